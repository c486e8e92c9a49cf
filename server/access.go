package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"checkpost/server/store"
	"checkpost/server/web"
)

// Endpoint is one line of the access table: a route, the roles that may
// call it, and its limits.
type Endpoint struct {
	Method  string
	Pattern string
	// Roles that may call the endpoint; Public endpoints need no token.
	Roles  []store.Role
	Public bool
	// MaxBody bounds the request body (default DefaultMaxBody).
	MaxBody int64
	// Timeout bounds the whole request (default DefaultTimeout).
	Timeout time.Duration
	// Upload endpoints take their body and time limits from the server's
	// Limits (MaxUpload, VerifyTimeout) instead.
	Upload bool
	// UI endpoints are pages of the review page (server/web): they
	// authenticate by its session cookie, not by a token, and Roles are
	// the roles of the signed-in session (accounts: supervisor, chief;
	// counter terminals signed in by their token: counter, station).
	UI bool
}

// The defaults for endpoints that do not say otherwise.
const (
	DefaultMaxBody = 1 << 20
	DefaultTimeout = 30 * time.Second
)

var (
	allRoles   = store.Roles
	caseRoles  = []store.Role{store.RoleCounter, store.RoleStation, store.RoleSupervisor}
	submitters = []store.Role{store.RoleCounter, store.RoleStation}
	supervisor = []store.Role{store.RoleSupervisor}
	admin      = []store.Role{store.RoleAdmin}
	// Sessions of the review page.
	reviewers   = []store.Role{store.RoleSupervisor, store.RoleChief}
	anySession  = []store.Role{store.RoleSupervisor, store.RoleChief, store.RoleCounter, store.RoleStation}
	supervisors = []store.Role{store.RoleSupervisor}
)

// endpoints is the one table of who may call what. Every route of the
// router must have a line here (routes are registered through it, and a
// test walks the router to catch any that are not); the README's API table
// and the OpenAPI document say the same.
var endpoints = []Endpoint{
	{Method: "GET", Pattern: "/healthz", Public: true},
	{Method: "GET", Pattern: "/readyz", Public: true},
	{Method: "GET", Pattern: "/metrics", Roles: admin},
	{Method: "GET", Pattern: "/api/openapi.json", Roles: allRoles},
	{Method: "GET", Pattern: "/api/v1/whoami", Roles: allRoles},

	// Counters and stations submit; counters see only their own cases.
	{Method: "POST", Pattern: "/api/v1/verifications", Roles: submitters, Upload: true},
	{Method: "GET", Pattern: "/api/v1/verifications/{id}", Roles: caseRoles},
	{Method: "GET", Pattern: "/api/v1/verifications/{id}/evidence/{name}", Roles: caseRoles},
	{Method: "POST", Pattern: "/api/v1/verifications/{id}/decision", Roles: caseRoles},
	{Method: "GET", Pattern: "/api/v1/movements", Roles: supervisor},

	// Administration: keys and the audit log.
	{Method: "GET", Pattern: "/api/v1/admin/keys", Roles: admin},
	{Method: "POST", Pattern: "/api/v1/admin/keys/rotate", Roles: admin},
	{Method: "GET", Pattern: "/api/v1/admin/audit", Roles: admin},
	{Method: "GET", Pattern: "/api/v1/admin/audit/verify", Roles: admin},

	// The review page (server/web), by session cookie.
	{Method: "GET", Pattern: "/ui", UI: true, Roles: anySession},
	{Method: "GET", Pattern: "/ui/login", UI: true, Public: true},
	{Method: "POST", Pattern: "/ui/login", UI: true, Public: true},
	{Method: "POST", Pattern: "/ui/logout", UI: true, Roles: anySession},
	{Method: "GET", Pattern: "/ui/static/{file}", UI: true, Public: true},
	{Method: "GET", Pattern: "/ui/queue", UI: true, Roles: reviewers},
	{Method: "GET", Pattern: "/ui/queue/rows", UI: true, Roles: reviewers},
	{Method: "GET", Pattern: "/ui/mine", UI: true, Roles: submitters},
	{Method: "GET", Pattern: "/ui/cases/{id}", UI: true, Roles: anySession},
	{Method: "GET", Pattern: "/ui/cases/{id}/evidence/{name}", UI: true, Roles: anySession},
	{Method: "GET", Pattern: "/ui/cases/{id}/enrolled/{subject}", UI: true, Roles: reviewers},
	{Method: "POST", Pattern: "/ui/cases/{id}/assign", UI: true, Roles: reviewers},
	{Method: "POST", Pattern: "/ui/cases/{id}/escalate", UI: true, Roles: supervisors},
	{Method: "POST", Pattern: "/ui/cases/{id}/decision", UI: true, Roles: reviewers},
	{Method: "GET", Pattern: "/ui/stats", UI: true, Roles: reviewers},
}

// Endpoints returns a copy of the access table.
func Endpoints() []Endpoint { return append([]Endpoint(nil), endpoints...) }

func lookupEndpoint(method, pattern string) (Endpoint, bool) {
	for _, e := range endpoints {
		if e.Method == method && e.Pattern == pattern {
			return e, true
		}
	}
	return Endpoint{}, false
}

// handle registers h on the root router under the access table's line for
// (method, pattern): the token check for its roles, its body limit and its
// time limit. A route without a line is a programming error, caught at
// start.
func (s *Server) handle(r chi.Router, method, pattern string, h http.HandlerFunc) {
	e, ok := lookupEndpoint(method, pattern)
	if !ok {
		panic(fmt.Sprintf("server: %s %s has no line in the access table (server/access.go)", method, pattern))
	}
	maxBody, timeout := e.MaxBody, e.Timeout
	if e.Upload {
		maxBody, timeout = s.limits.MaxUpload, s.limits.VerifyTimeout
	}
	if maxBody == 0 {
		maxBody = DefaultMaxBody
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	var chain []func(http.Handler) http.Handler
	chain = append(chain, limitRequest(maxBody, timeout))
	switch {
	case e.UI && e.Public:
		chain = append(chain, web.SecurityHeaders)
	case e.UI:
		chain = append(chain, s.ui.RequireSession(e.Roles...))
	case !e.Public:
		chain = append(chain, s.requireRole(e.Roles...))
	}
	r.With(chain...).Method(method, pattern, h)
}
