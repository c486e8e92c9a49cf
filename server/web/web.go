// Package web is the supervisors' review page: sign-in, the referral queue,
// the case with its evidence, decisions, escalation and statistics, and a
// counter terminal's view of its own submissions. It is plain server-rendered
// HTML with a little script, every asset embedded in the binary (no CDN: it
// works offline at the border post).
//
// The server mounts its routes through the access table (server/access.go):
// each route there names the roles it admits, and the server wraps it in
// RequireSession. Pages authenticate by a session cookie (Secure, HttpOnly,
// SameSite=Strict, only its hash stored), every form carries the session's
// CSRF token, and every read of personal data or evidence is audited as the
// API's reads are.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"checkpost/server/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Config holds what the review page needs.
type Config struct {
	// DB holds accounts and sessions; Vault the cases and the audit log.
	// Without a Vault the case pages answer 503.
	DB    *store.DB
	Vault *store.Vault
	Log   *slog.Logger
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// UI serves the review page.
type UI struct {
	db    *store.DB
	vault *store.Vault
	log   *slog.Logger
	now   func() time.Time
	pages map[string]*template.Template

	queueWatch  *queueWatch
	streamsDone chan struct{}
	stopStreams sync.Once

	reasonsMu    sync.Mutex
	reasons      []string
	reasonsUntil time.Time
}

// Route is one page or action of the review page. The server registers it
// under its line of the access table.
type Route struct {
	Method  string
	Pattern string
	Handler http.HandlerFunc
}

// Cookie names. The __Host- prefix makes the browser refuse them unless
// they are Secure, host-only and for the whole site.
const (
	sessionCookie = "__Host-checkpost-session"
	loginCookie   = "__Host-checkpost-login"
)

// New makes the review page.
func New(cfg Config) *UI {
	u := &UI{db: cfg.DB, vault: cfg.Vault, log: cfg.Log, now: cfg.Now, streamsDone: make(chan struct{})}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	if u.now == nil {
		u.now = time.Now
	}
	u.pages = parsePages()
	if u.db != nil {
		u.queueWatch = newQueueWatch(u.db.QueueVersion)
	}
	return u
}

// Routes lists the review page's routes.
func (u *UI) Routes() []Route {
	return []Route{
		{"GET", "/ui", u.handleHome},
		{"GET", "/ui/login", u.handleLoginForm},
		{"POST", "/ui/login", u.handleLogin},
		{"POST", "/ui/logout", u.handleLogout},
		{"GET", "/ui/static/{file}", u.handleStatic},
		{"GET", "/ui/queue", u.handleQueue},
		{"GET", "/ui/queue/rows", u.handleQueueRows},
		{"GET", "/ui/mine", u.handleMine},
		{"GET", "/ui/cases/{id}", u.handleCase},
		{"GET", "/ui/cases/{id}/evidence/{name}", u.handleEvidence},
		{"GET", "/ui/cases/{id}/enrolled/{subject}", u.handleEnrolled},
		{"POST", "/ui/cases/{id}/assign", u.handleAssign},
		{"POST", "/ui/cases/{id}/escalate", u.handleEscalate},
		{"POST", "/ui/cases/{id}/decision", u.handleDecision},
		{"GET", "/ui/stats", u.handleStats},
	}
}

type ctxKey int

const sessionKey ctxKey = iota

// SessionFrom returns the signed-in session of a request.
func SessionFrom(ctx context.Context) (store.Session, bool) {
	s, ok := ctx.Value(sessionKey).(store.Session)
	return s, ok
}

// SecurityHeaders sets the headers every response of the review page
// carries: a strict content security policy (no inline script or style,
// nothing from elsewhere), no framing, no referrer to other sites, no
// caching of pages that hold personal data.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: under no-referrer browsers send
		// "Origin: null" on form posts, and the origin check needs it.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/ui/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// RequireSession admits requests with a live session of one of roles. A
// page asked for without a session is sent to the sign-in page; other
// requests get 401. A session of another role gets 403. Every request
// other than GET must carry the session's CSRF token (form field "csrf" or
// header X-CSRF-Token) and, when the browser sends one, an Origin of this
// site.
func (u *UI) RequireSession(roles ...store.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := u.session(r)
			if err != nil {
				if !errors.Is(err, store.ErrSessionNotFound) {
					u.log.Error("session lookup", "err", err)
					u.fail(w, r, http.StatusInternalServerError, "The session could not be checked. Try again.")
					return
				}
				if r.Method == http.MethodGet && !scripted(r) {
					http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				u.fail(w, r, http.StatusUnauthorized, "Your session has ended. Sign in again.")
				return
			}
			if !slices.Contains(roles, s.Role) {
				u.fail(w, r, http.StatusForbidden, "Your role ("+string(s.Role)+") may not use this page.")
				return
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				if !sameOrigin(r) {
					u.fail(w, r, http.StatusForbidden, "The request came from another site.")
					return
				}
				tok := r.Header.Get("X-CSRF-Token")
				if tok == "" {
					tok = r.PostFormValue("csrf")
				}
				if subtle.ConstantTimeCompare([]byte(tok), []byte(s.CSRF)) != 1 {
					u.fail(w, r, http.StatusForbidden, "The form is out of date (its security token does not match). Reload the page and try again.")
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey, s)))
		}))
	}
}

// session returns the request's live session. Requests the page's script
// makes by itself (X-Requested-With) do not count as activity: an open
// queue polling on an unattended screen still signs out when idle.
func (u *UI) session(r *http.Request) (store.Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return store.Session{}, store.ErrSessionNotFound
	}
	if scripted(r) {
		return u.db.PeekSession(r.Context(), c.Value)
	}
	return u.db.LookupSession(r.Context(), c.Value)
}

// scripted says whether the page's script made the request by itself
// (a fetch marked X-Requested-With, or an event stream, which cannot set
// headers): it gets short text errors, and it does not keep a session
// alive.
func scripted(r *http.Request) bool {
	return r.Header.Get("X-Requested-With") != "" || wantsStream(r)
}

// sameOrigin rejects a request whose Origin (or, lacking it, Referer) names
// another host. Browsers send Origin on every POST; its absence is allowed
// for clients that send neither (they still need the CSRF token).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" {
		return true
	}
	ou, err := url.Parse(o)
	return err == nil && ou.Host == r.Host
}

func (u *UI) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "file")
	b, err := fs.ReadFile(staticFiles, "static/"+name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".svg"):
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}

func (u *UI) handleHome(w http.ResponseWriter, r *http.Request) {
	s, _ := SessionFrom(r.Context())
	http.Redirect(w, r, homeOf(s.Role), http.StatusSeeOther)
}

func homeOf(role store.Role) string {
	if role == store.RoleCounter || role == store.RoleStation {
		return "/ui/mine"
	}
	return "/ui/queue"
}

// page is what every page template gets.
type page struct {
	Title   string
	Session store.Session
	Nav     string // the current section, for aria-current
	Flash   string
	Error   string
	Data    any
}

func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if s, ok := SessionFrom(r.Context()); ok {
		p.Session = s
	}
	if p.Flash == "" {
		p.Flash = r.URL.Query().Get("flash")
	}
	t := u.pages[name]
	if t == nil {
		panic("web: no page " + name)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		u.log.Error("render page", "page", name, "err", err)
		http.Error(w, "the page could not be rendered; it has been logged", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

// fail answers with an error page (or a short text for script requests).
func (u *UI) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if scripted(r) {
		http.Error(w, msg, status)
		return
	}
	u.render(w, r, status, "error", page{Title: http.StatusText(status), Error: msg})
}

func (u *UI) needVault(w http.ResponseWriter, r *http.Request) bool {
	if u.vault == nil {
		u.fail(w, r, http.StatusServiceUnavailable, "This server runs without its encrypted store: no cases can be shown.")
		return false
	}
	return true
}

func where(r *http.Request) store.Where {
	return store.Where{RequestID: middleware.GetReqID(r.Context()), Remote: r.RemoteAddr}
}

// audit records a read or action of the signed-in user; personal data is
// not shown when its audit entry cannot be written.
func (u *UI) audit(r *http.Request, action, id string, details map[string]string) error {
	s, _ := SessionFrom(r.Context())
	_, err := u.vault.Audit(r.Context(), store.AuditEntry{Actor: s.Actor(), Action: action, ObjectType: "verification",
		ObjectID: id, RequestID: where(r).RequestID, Remote: r.RemoteAddr, Details: details})
	if err != nil {
		u.log.Error("audit", "action", action, "err", err)
	}
	return err
}
