package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/sallyport/sallyport/internal/auth"
)

// authed runs fn only for a request with a valid access token of a live
// session, and gives fn the principal through the request's info (which
// saves copying the request for a new context on this hot path).
func (s *Server) authed(fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.svc.Authenticate(bearer(r))
		if err != nil {
			return err
		}
		i := info(r.Context())
		if i == nil {
			i = &reqInfo{}
			r = r.WithContext(context.WithValue(r.Context(), infoKey{}, i))
		}
		i.userID = p.UserID
		i.principal = p
		return fn(w, r)
	}
}

func principal(r *http.Request) auth.Principal {
	if i := info(r.Context()); i != nil {
		return i.principal
	}
	return auth.Principal{}
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	u, err := s.svc.Me(r.Context(), principal(r))
	if err != nil {
		return err
	}
	body := meBody{User: newUserBody(u)}
	// GET /me is the hottest route: the encoded answer is kept per user
	// and used again while the user's fields are unchanged.
	if cached, ok := s.meCache.Load(u.ID); ok && cached.(*meEntry).body == body {
		writeRaw(w, http.StatusOK, cached.(*meEntry).json)
		return nil
	}
	encoded, err := json.Marshal(body)
	if err != nil {
		return err
	}
	encoded = append(encoded, '\n')
	if s.meCount.Add(1) > meCacheMax {
		s.meCache.Clear()
		s.meCount.Store(0)
	}
	s.meCache.Store(u.ID, &meEntry{body: body, json: encoded})
	writeRaw(w, http.StatusOK, encoded)
	return nil
}

// meCacheMax bounds the encoded /me answers kept; when full, it starts over.
const meCacheMax = 10000

// meEntry is an encoded /me answer and the fields it was made from.
type meEntry struct {
	body meBody
	json []byte
}

type meBody struct {
	User userBody `json:"user"`
}

type sessionBody struct {
	ID         string    `json:"id"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Current    bool      `json:"current"`
}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	list, err := s.svc.Sessions(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]sessionBody, 0, len(list))
	for _, sess := range list {
		out = append(out, sessionBody{
			ID:         sess.ID,
			UserAgent:  sess.UserAgent,
			IP:         sess.IP,
			CreatedAt:  sess.CreatedAt.UTC(),
			LastUsedAt: sess.LastUsedAt.UTC(),
			ExpiresAt:  s.svc.SessionEnd(sess).UTC(),
			Current:    sess.ID == p.SessionID,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
	return nil
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.svc.RevokeSession(r.Context(), principal(r), id, client(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var in passwordRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	err := required("current_password", in.CurrentPassword, "new_password", in.NewPassword)
	if err != nil {
		return err
	}
	// A stolen access token must not buy unlimited guesses at the current
	// password: the account's login backoff applies here too.
	p := principal(r)
	ip := clientIP(r)
	if err := s.limits.loginAttempt(r.Context(), ip, p.Email); err != nil {
		return err
	}
	err = s.svc.ChangePassword(r.Context(), p, in.CurrentPassword, in.NewPassword, client(r))
	s.limits.loginDone(r.Context(), ip, p.Email, err)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
