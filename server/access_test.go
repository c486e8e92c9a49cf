package server

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"checkpost/server/store"
)

// routedEndpoints walks the router: every (method, pattern) it serves.
func routedEndpoints(t *testing.T, s *Server) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	err := chi.Walk(s.Router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(route, "/*")
		if route != "/" {
			route = strings.TrimSuffix(route, "/")
		}
		got[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestEveryRouteIsInTheAccessTable: a route added anywhere (in routes() or
// by another file through Router()) without a line in the access table
// fails here, and so does a line for a route that does not exist.
func TestEveryRouteIsInTheAccessTable(t *testing.T) {
	f := newFixture(t, Config{})
	routed := routedEndpoints(t, f.s)
	for r := range routed {
		method, pattern, _ := strings.Cut(r, " ")
		if _, ok := lookupEndpoint(method, pattern); !ok {
			t.Errorf("%s is routed but has no line in the access table (server/access.go)", r)
		}
	}
	for _, e := range endpoints {
		if !routed[e.Method+" "+e.Pattern] {
			t.Errorf("%s %s is in the access table but not routed", e.Method, e.Pattern)
		}
		if !e.Public && len(e.Roles) == 0 {
			t.Errorf("%s %s admits no role and is not public", e.Method, e.Pattern)
		}
	}
}

var paramRe = regexp.MustCompile(`\{[^}]+\}`)

// TestEveryEndpointEveryRole sends each endpoint of the access table a
// request as each role, without a token and with a revoked token, and
// checks the exact outcome: 401 without a valid token, 403 for a role not
// in the table, and a 2xx for an admitted role when the test knows how to
// build a valid request (an endpoint added later without such a builder is
// still checked for 401/403 and for not failing with a 5xx).
func TestEveryEndpointEveryRole(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	revokedSecret, revoked, err := f.db.CreateToken(ctx, store.RoleAdmin, "revoked admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.RevokeToken(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}

	// request returns the path and body of a valid call of e by role, and
	// whether the test knows it to be valid (then a 2xx is required).
	request := func(e Endpoint, role store.Role) (path, ctype string, body []byte, known bool) {
		path = e.Pattern
		known = true
		if strings.Contains(path, "{id}") {
			id := f.storedCase(role, "CLEAR")
			path = strings.ReplaceAll(path, "{id}", id)
		}
		path = strings.ReplaceAll(path, "{name}", "white")
		switch e.Method + " " + e.Pattern {
		case "POST /api/v1/verifications":
			body, ctype = validSubmission("LX100")
		case "POST /api/v1/verifications/{id}/decision":
			body, ctype = []byte(`{"decision":"allowed"}`), "application/json"
		case "POST /api/v1/admin/keys/rotate":
		default:
			if e.Method != "GET" || paramRe.MatchString(path) {
				known = false
			}
		}
		return path, ctype, body, known
	}

	type caller struct {
		name  string
		token string
		role  store.Role
	}
	callers := []caller{{name: "no token"}, {name: "revoked token", token: revokedSecret}}
	for _, r := range store.Roles {
		callers = append(callers, caller{name: string(r), token: f.tokens[r], role: r})
	}
	checked, api := 0, 0
	for _, e := range endpoints {
		if e.UI {
			continue // pages of the review page take sessions, not tokens: server/web tests them per role
		}
		api++
		for _, c := range callers {
			path, ctype, body, known := request(e, c.role)
			rec := f.do(e.Method, path, c.token, ctype, body)
			admitted := e.Public || c.token != "" && c.token != revokedSecret && slices.Contains(e.Roles, c.role)
			what := fmt.Sprintf("%s %s as %s", e.Method, e.Pattern, c.name)
			switch {
			case e.Public:
				if rec.Code/100 != 2 {
					t.Errorf("%s: %d, want 2xx (public)", what, rec.Code)
				}
			case c.token == "" || c.token == revokedSecret:
				if rec.Code != http.StatusUnauthorized || !isProblem(rec) {
					t.Errorf("%s: %d, want 401 problem+json", what, rec.Code)
				}
			case !admitted:
				if rec.Code != http.StatusForbidden || !isProblem(rec) {
					t.Errorf("%s: %d, want 403 problem+json", what, rec.Code)
				}
			case known:
				if rec.Code/100 != 2 {
					t.Errorf("%s: %d, want 2xx: %s", what, rec.Code, rec.Body)
				}
			default:
				if rec.Code == 401 || rec.Code == 403 || rec.Code >= 500 {
					t.Errorf("%s: %d, want an answer past authorisation: %s", what, rec.Code, rec.Body)
				}
			}
			checked++
		}
	}
	if want := api * (len(store.Roles) + 2); checked != want {
		t.Fatalf("checked %d combinations, want %d", checked, want)
	}
}

// TestCountersSeeOnlyTheirOwnCases: another counter's case is "not found".
func TestCountersSeeOnlyTheirOwnCases(t *testing.T) {
	f := newFixture(t, Config{})
	other, _, err := f.db.CreateToken(context.Background(), store.RoleCounter, "counter 2")
	if err != nil {
		t.Fatal(err)
	}
	id := f.storedCase(store.RoleCounter, "REFER")
	for _, path := range []string{"/api/v1/verifications/" + id, "/api/v1/verifications/" + id + "/evidence/white"} {
		if rec := f.do("GET", path, other, "", nil); rec.Code != 404 || !isProblem(rec) {
			t.Errorf("%s by another counter: %d", path, rec.Code)
		}
		if rec := f.do("GET", path, f.tokens[store.RoleStation], "", nil); rec.Code != 404 {
			t.Errorf("%s by a station that did not submit it: %d", path, rec.Code)
		}
		if rec := f.do("GET", path, f.tokens[store.RoleSupervisor], "", nil); rec.Code != 200 {
			t.Errorf("%s by a supervisor: %d", path, rec.Code)
		}
	}
	// A counter may not decide its own REFER case; a supervisor may.
	body := []byte(`{"decision":"refused","comment":"forged visa"}`)
	if rec := f.do("POST", "/api/v1/verifications/"+id+"/decision", f.tokens[store.RoleCounter], "application/json", body); rec.Code != 403 {
		t.Errorf("counter deciding a REFER case: %d", rec.Code)
	}
	if rec := f.do("POST", "/api/v1/verifications/"+id+"/decision", f.tokens[store.RoleSupervisor], "application/json", body); rec.Code != 200 {
		t.Errorf("supervisor deciding: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do("POST", "/api/v1/verifications/"+id+"/decision", f.tokens[store.RoleSupervisor], "application/json", body); rec.Code != 409 || !isProblem(rec) {
		t.Errorf("second decision: %d", rec.Code)
	}
}
