package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sallyport/sallyport/internal/store"
)

const auditColumns = `id, at, type, user_id, session_id, reason, ip, user_agent`

// AppendAudit stores one audit event; a taken id gives store.ErrConflict.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	const q = `INSERT INTO audit_events (` + auditColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	_, err := s.pool.Exec(ctx, q, e.ID, ts(e.Time), e.Type, e.UserID, e.SessionID, e.Reason,
		e.IP, e.UserAgent)
	if err != nil {
		return fmt.Errorf("append audit event %q: %w", e.ID, s.classify(err))
	}
	return nil
}

// ListAudit returns the events f selects, highest id first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent,
	error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.UserID != "" {
		add("user_id = $%d", f.UserID)
	}
	if !f.Since.IsZero() {
		add("at >= $%d", ts(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < $%d", ts(f.Until))
	}
	if f.BeforeID != "" {
		add("id < $%d", f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))

	list, err := queryAll(ctx, s, q, args, func(r pgx.Row) (store.AuditEvent, error) {
		var e store.AuditEvent
		err := r.Scan(&e.ID, &e.Time, &e.Type, &e.UserID, &e.SessionID, &e.Reason, &e.IP,
			&e.UserAgent)
		e.Time = utc(e.Time)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return list, nil
}

// DeleteAuditBefore removes events older than t.
func (s *Store) DeleteAuditBefore(ctx context.Context, t time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit_events WHERE at < $1`, ts(t))
	if err != nil {
		return 0, fmt.Errorf("delete audit events: %w", s.classify(err))
	}
	return tag.RowsAffected(), nil
}
