package httpapi

import (
	"context"
	"log/slog"

	"github.com/sallyport/sallyport/internal/auth"
)

// EventSink returns the function that the auth service calls for each
// event: it writes one log line and counts the event. Events hold ids and
// reasons, never a password or a token.
func EventSink(log *slog.Logger, m *Metrics) func(auth.Event) {
	return func(e auth.Event) {
		m.Event(e)
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
