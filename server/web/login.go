package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"checkpost/server/store"
)

type loginData struct {
	Next  string
	CSRF  string
	Name  string
	Token bool // the counter-terminal form was the one sent
	// NoTLS is set when the page came over plain HTTP to another machine:
	// browsers keep the session's Secure cookie only over HTTPS (or from
	// this machine's loopback), so signing in would silently fail.
	NoTLS bool
}

// plainRemote reports whether the request came over plain HTTP from a
// name other than loopback (and no TLS proxy says it was HTTPS).
func plainRemote(r *http.Request) bool {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return false
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// safeNext keeps a post-sign-in redirect inside the review page.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	return next
}

// loginToken sets (or reuses) the sign-in form's CSRF cookie: before a
// session exists the form and a cookie carry the same random value, which
// another site can neither read nor set.
func loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) >= 32 && len(c.Value) < 100 {
		return c.Value
	}
	var b [24]byte
	rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: v, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	return v
}

func (u *UI) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, err := u.session(r); err == nil {
			http.Redirect(w, r, homeOf(s.Role), http.StatusSeeOther)
			return
		}
		d := loginData{Next: safeNext(r.URL.Query().Get("next")), CSRF: loginToken(w, r), NoTLS: plainRemote(r)}
		u.render(w, r, http.StatusOK, "login", page{Title: "Sign in", Data: d})
	})).ServeHTTP(w, r)
}

// handleLogin signs in a supervisor or chief by name and password, or a
// counter terminal by its API token (to see its own submissions).
func (u *UI) handleLogin(w http.ResponseWriter, r *http.Request) {
	SecurityHeaders(http.HandlerFunc(u.login)).ServeHTTP(w, r)
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	form := r.PostFormValue("csrf")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 || !sameOrigin(r) {
		d := loginData{Next: safeNext(r.PostFormValue("next")), CSRF: loginToken(w, r)}
		u.render(w, r, http.StatusForbidden, "login", page{Title: "Sign in", Data: d,
			Error: "The sign-in form was out of date. Please try again."})
		return
	}
	d := loginData{Next: safeNext(r.PostFormValue("next")), CSRF: c.Value, Name: r.PostFormValue("name")}
	var (
		accountID, tokenID int64
		role               store.Role
		name               string
		audit              store.Actor
	)
	if token := strings.TrimSpace(r.PostFormValue("token")); token != "" {
		d.Token = true
		tok, err := u.db.LookupToken(r.Context(), token)
		if err != nil || (tok.Role != store.RoleCounter && tok.Role != store.RoleStation) {
			if err != nil && !errors.Is(err, store.ErrTokenNotFound) {
				u.log.Error("sign in by token", "err", err)
			}
			u.render(w, r, http.StatusUnauthorized, "login", page{Title: "Sign in", Data: d,
				Error: "That is not a live counter or station token."})
			return
		}
		tokenID, role, name, audit = tok.ID, tok.Role, tok.Name, store.TokenActor(tok)
	} else {
		a, err := u.db.Authenticate(r.Context(), r.PostFormValue("name"), r.PostFormValue("password"))
		switch {
		case errors.Is(err, store.ErrBadCredentials):
			// The name is not logged: people type passwords into it.
			u.log.Warn("review page: wrong name or password", "remote", r.RemoteAddr)
			u.render(w, r, http.StatusUnauthorized, "login", page{Title: "Sign in", Data: d, Error: "Wrong name or password."})
			return
		case errors.Is(err, store.ErrAccountLocked):
			u.log.Warn("review page: sign-in to a locked account", "remote", r.RemoteAddr)
			u.render(w, r, http.StatusTooManyRequests, "login", page{Title: "Sign in", Data: d,
				Error: "Too many wrong passwords: the account is locked for a few minutes."})
			return
		case err != nil:
			u.log.Error("sign in", "err", err)
			u.render(w, r, http.StatusInternalServerError, "login", page{Title: "Sign in", Data: d, Error: "Sign-in failed; it has been logged."})
			return
		}
		accountID, role, name, audit = a.ID, a.Role, a.Name, a.Actor()
	}
	secret, _, err := u.db.CreateSession(r.Context(), accountID, tokenID, role, name)
	if err != nil {
		u.log.Error("create session", "err", err)
		u.render(w, r, http.StatusInternalServerError, "login", page{Title: "Sign in", Data: d, Error: "Sign-in failed; it has been logged."})
		return
	}
	if u.vault != nil {
		if _, err := u.vault.Audit(r.Context(), store.AuditEntry{Actor: audit, Action: "session.signin", ObjectType: "session",
			RequestID: where(r).RequestID, Remote: r.RemoteAddr, Details: map[string]string{"role": string(role)}}); err != nil {
			u.log.Error("audit sign-in", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Expires: u.now().Add(store.SessionLifetime)})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1, Expires: time.Unix(1, 0)})
	next := d.Next
	if next == "" {
		next = homeOf(role)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (u *UI) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := u.db.EndSession(r.Context(), c.Value); err != nil {
			u.log.Error("end session", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1, Expires: time.Unix(1, 0)})
	http.Redirect(w, r, "/ui/login?flash="+urlEscape("You are signed out."), http.StatusSeeOther)
}
