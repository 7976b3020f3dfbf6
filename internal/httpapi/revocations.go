package httpapi

import (
	"net/http"
	"strconv"
	"time"
)

// feedPollInterval is the polling interval the feed suggests to clients.
const feedPollInterval = 2

type revocationEntry struct {
	SessionID string `json:"session_id"`
	RevokedAt int64  `json:"revoked_at"`
	Until     int64  `json:"until"`
}

// revocations serves the revocation feed to service accounts: sessions
// revoked since the cursor, so that other services can refuse their
// access tokens before they expire.
func (s *Server) revocations(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.svc.AuthenticateService(r.Context(), bearer(r)); err != nil {
		return err
	}
	var cursor time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 || ms > 1<<53 {
			return errMsg("invalid_request", `"since" must be a cursor from an earlier answer`)
		}
		cursor = time.UnixMilli(ms)
	}
	list, next, err := s.svc.Revocations(r.Context(), cursor)
	if err != nil {
		return err
	}
	out := make([]revocationEntry, 0, len(list))
	for _, e := range list {
		out = append(out, revocationEntry{
			SessionID: e.SessionID,
			RevokedAt: e.RevokedAt.Unix(),
			Until:     e.Until.Unix(),
		})
	}
	nextCursor := "0"
	if !next.IsZero() {
		nextCursor = strconv.FormatInt(next.UnixMilli(), 10)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"revocations":   out,
		"cursor":        nextCursor,
		"poll_interval": feedPollInterval,
	})
	return nil
}
