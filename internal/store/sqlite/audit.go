package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// AppendAudit stores one audit event; a taken id gives store.ErrConflict.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	const q = `INSERT INTO audit_events
		(id, at, type, user_id, session_id, reason, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	_, err := s.write.ExecContext(ctx, q, e.ID, millis(e.Time), e.Type, e.UserID,
		e.SessionID, e.Reason, e.IP, e.UserAgent)
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
	if f.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, millis(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, millis(f.Until))
	}
	if f.BeforeID != "" {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT id, at, type, user_id, session_id, reason, ip, user_agent
		FROM audit_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", s.classify(err))
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var at int64
		err := rows.Scan(&e.ID, &at, &e.Type, &e.UserID, &e.SessionID, &e.Reason, &e.IP,
			&e.UserAgent)
		if err != nil {
			return nil, fmt.Errorf("list audit events: %w", s.classify(err))
		}
		e.Time = fromMillis(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit events: %w", s.classify(err))
	}
	return out, nil
}

// DeleteAuditBefore removes events older than t.
func (s *Store) DeleteAuditBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM audit_events WHERE at < ?`, millis(t))
	if err != nil {
		return 0, fmt.Errorf("delete audit events: %w", s.classify(err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}
