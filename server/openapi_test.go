package server

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"checkpost/server/store"
)

type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
}

type openAPIOperation struct {
	Summary   string            `json:"summary"`
	Roles     []string          `json:"x-roles"`
	Security  *[]map[string]any `json:"security"`
	Responses map[string]any    `json:"responses"`
}

// TestOpenAPIMatchesRouter: every route is documented, every documented
// operation is routed, and the roles the document states are the access
// table's.
func TestOpenAPIMatchesRouter(t *testing.T) {
	f := newFixture(t, Config{})
	rec := f.do("GET", "/api/openapi.json", f.tokens[store.RoleCounter], "", nil)
	if rec.Code != 200 {
		t.Fatalf("/api/openapi.json: %d", rec.Code)
	}
	var doc openAPIDoc
	dec := json.NewDecoder(strings.NewReader(rec.Body.String()))
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Paths) == 0 {
		t.Fatalf("not an OpenAPI 3 document: %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
	documented := map[string]openAPIOperation{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}
	routed := routedEndpoints(t, f.s)
	for r := range routed {
		method, pattern, _ := strings.Cut(r, " ")
		if e, ok := lookupEndpoint(method, pattern); ok && e.UI {
			continue // the review page's HTML pages are not part of the API
		}
		if _, ok := documented[r]; !ok {
			t.Errorf("%s is routed but not in openapi.json", r)
		}
	}
	var names []string
	for r := range documented {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		op := documented[r]
		if !routed[r] {
			t.Errorf("%s is in openapi.json but not routed", r)
		}
		if op.Summary == "" || len(op.Responses) == 0 {
			t.Errorf("%s: no summary or responses", r)
		}
		method, pattern, _ := strings.Cut(r, " ")
		e, ok := lookupEndpoint(method, pattern)
		if !ok {
			continue
		}
		var want []string
		for _, role := range e.Roles {
			want = append(want, string(role))
		}
		if !slices.Equal(op.Roles, want) && !(len(op.Roles) == 0 && len(want) == 0) {
			t.Errorf("%s: openapi.json says roles %v, the access table %v", r, op.Roles, want)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != e.Public {
			t.Errorf("%s: public in openapi.json %v, in the access table %v", r, public, e.Public)
		}
		if !e.Public {
			for _, code := range []string{"401", "403"} {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s: response %s not documented", r, code)
				}
			}
		}
	}
}
