package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/store"
)

type auditBody struct {
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	UserID    string    `json:"user_id,omitempty"`
	SessionID string    `json:"session_id,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	IP        string    `json:"ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
}

// adminOnly lets fn run only for principals whose user has the admin
// role now: the stored role counts, not the one in the token, so a
// demotion takes effect within seconds rather than at token expiry.
func (s *Server) adminOnly(fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		role, err := s.svc.CurrentRole(r.Context(), principal(r))
		if err != nil {
			return err
		}
		if role != auth.RoleAdmin {
			return errMsg("forbidden", "this endpoint needs the admin role")
		}
		return fn(w, r)
	}
}

// audit pages through the audit log: ?user_id=&since=&until= (RFC 3339)
// &limit= (1-1000) &before= (the "next" of the previous page).
func (s *Server) audit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.AuditFilter{UserID: q.Get("user_id"), BeforeID: q.Get("before")}
	var err error
	if f.Since, err = parseTime(q.Get("since"), "since"); err != nil {
		return err
	}
	if f.Until, err = parseTime(q.Get("until"), "until"); err != nil {
		return err
	}
	f.Limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errMsg("invalid_request", `"limit" must be a number from 1 to 1000`)
		}
		f.Limit = n
	}
	events, err := s.svc.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]auditBody, 0, len(events))
	for _, e := range events {
		out = append(out, auditBody(e))
	}
	next := ""
	if len(events) == f.Limit {
		next = events[len(events)-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "next": next})
	return nil
}

func parseTime(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errMsg("invalid_request",
			`"`+name+`" must be an RFC 3339 time such as 2026-01-02T15:04:05Z`)
	}
	return t, nil
}
