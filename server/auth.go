package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"checkpost/server/store"
)

type ctxKey int

const tokenKey ctxKey = iota

// TokenFrom returns the API token that authenticated the request.
func TokenFrom(ctx context.Context) (store.Token, bool) {
	t, ok := ctx.Value(tokenKey).(store.Token)
	return t, ok
}

// requireRole admits requests that carry "Authorization: Bearer TOKEN" with
// a live token of one of the roles; others get 401 (no or unknown token) or
// 403 (a token of another role).
func (s *Server) requireRole(roles ...store.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="checkpost"`)
				writeProblem(w, r, http.StatusUnauthorized, "unauthorized", "send an API token as \"Authorization: Bearer TOKEN\"")
				return
			}
			tok, err := s.db.LookupToken(r.Context(), strings.TrimSpace(secret))
			if errors.Is(err, store.ErrTokenNotFound) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="checkpost", error="invalid_token"`)
				writeProblem(w, r, http.StatusUnauthorized, "unauthorized", "the API token is unknown or revoked")
				return
			}
			if err != nil {
				s.log.Error("token lookup", "err", err)
				writeProblem(w, r, http.StatusInternalServerError, "internal error", "could not check the API token")
				return
			}
			if !slices.Contains(roles, tok.Role) {
				writeProblem(w, r, http.StatusForbidden, "forbidden", "the token's role "+string(tok.Role)+" may not use this endpoint")
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey, tok)))
		})
	}
}

func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) {
	tok, _ := TokenFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"name": tok.Name, "role": tok.Role})
}
