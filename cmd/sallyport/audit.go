package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// auditCmd prints the audit log, newest first.
func auditCmd(ctx context.Context, e env, args []string) error {
	var user, since, until string
	var limit int
	flags := func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "only this user (email or id)")
		fs.StringVar(&since, "since", "",
			"only events since a time (RFC 3339) or a duration ago (24h)")
		fs.StringVar(&until, "until", "", "only events before a time (RFC 3339) or a duration ago")
		fs.IntVar(&limit, "limit", 100, "at most this many events (1-1000)")
	}
	p, err := cliParts(ctx, e, "audit", args, flags)
	if err != nil {
		return err
	}
	defer p.store.Close()
	if limit < 1 || limit > 1000 {
		return errors.New("audit: --limit must be from 1 to 1000")
	}
	f := store.AuditFilter{Limit: limit}
	now := time.Now()
	if f.Since, err = pointInTime(since, now); err != nil {
		return fmt.Errorf("audit --since: %w", err)
	}
	if f.Until, err = pointInTime(until, now); err != nil {
		return fmt.Errorf("audit --until: %w", err)
	}
	if user != "" {
		f.UserID = user
		if strings.Contains(user, "@") {
			u, err := p.svc.UserByEmail(ctx, user)
			if err != nil {
				return err
			}
			f.UserID = u.ID
		}
	}
	events, err := p.svc.AuditLog(ctx, f)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tUSER\tSESSION\tREASON\tIP\tUSER AGENT")
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.Time.UTC().Format(time.RFC3339),
			ev.Type, dash(ev.UserID), dash(ev.SessionID), dash(ev.Reason), dash(ev.IP),
			dash(strings.ReplaceAll(ev.UserAgent, "\t", " ")))
	}
	return tw.Flush()
}

// pointInTime reads an RFC 3339 time or a duration before now.
func pointInTime(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", v)
	}
	return t, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
