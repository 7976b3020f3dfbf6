package httpapi

import (
	"context"
	"log/slog"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/store"
)

// EventSink returns the function that the auth service calls for each
// event: it writes one log line, counts the event and, when record is not
// nil, passes it on for the audit log. Events hold ids and reasons, never
// a password or a token.
func EventSink(log *slog.Logger, m *Metrics, record func(store.AuditEvent)) func(auth.Event) {
	return func(e auth.Event) {
		m.Event(e)
		if record != nil {
			record(AuditEvent(e))
		}
		level := slog.LevelInfo
		if e.Type == "reuse_detected" || e.Type == "login_failed" {
			level = slog.LevelWarn
		}
		log.LogAttrs(context.Background(), level, "auth event",
			slog.String("event", e.Type),
			slog.String("user_id", e.UserID),
			slog.String("session_id", e.SessionID),
			slog.String("reason", e.Reason),
			slog.String("ip", e.Client.IP),
		)
	}
}

// AuditEvent turns an auth event into an audit log entry; the store or
// the audit writer fills in the id and time.
func AuditEvent(e auth.Event) store.AuditEvent {
	return store.AuditEvent{
		Type:      e.Type,
		UserID:    e.UserID,
		SessionID: e.SessionID,
		Reason:    e.Reason,
		IP:        e.Client.IP,
		UserAgent: e.Client.UserAgent,
	}
}
