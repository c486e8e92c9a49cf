package web

import (
	"strings"
	"testing"
)

func TestParseReportToleratesAbsentAndOddFields(t *testing.T) {
	for _, raw := range []string{`{}`, `{"recommendation":"REFER"}`, `{"checks":"none","mrz":[],"watchlist":7}`,
		`{"checks":[{"name":"x","status":"FAIL","regions":[{"light":"uv","x":"1","y":2,"w":-3,"h":4}]}]}`,
		`{"mrz":{"lines":["AB"],"errors":[{"span":{"line":9,"start":-4,"end":99}}]}}`,
		`{"watchlist":{"fingerprints":{"candidates":[{"subject":"S1","score":"high","fingers":[{"pairs":[{"probe":1}]}]}]},"persons":[{"names":["A B"]}]}}`} {
		rv, err := parseReport([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		_ = rv
	}
	if _, err := parseReport([]byte(`[1,2]`)); err == nil {
		t.Fatal("a report that is not an object was accepted")
	}
	rv, _ := parseReport([]byte(`{"mrz":{"lines":["P<UTO","L8989"],"errors":[{"field":"document_number","message":"bad digit","span":{"line":1,"start":2,"end":4}}]},
		"reasons":[{"code":"a.b","reason":"why"}],"checks":[{"name":"c","status":"fail","regions":[{"light":"ir","x":1,"y":2,"w":3,"h":4}]}],"extra":1}`))
	marked := ""
	for _, c := range rv.MRZ.Lines[1].Chars {
		if c.Error != "" {
			marked += c.C
		}
	}
	if marked != "98" || rv.MRZ.Errors[0].Where != "line 2, positions 3-4" {
		t.Fatalf("MRZ marks %q at %q", marked, rv.MRZ.Errors[0].Where)
	}
	if rv.Reasons[0] != "a.b: why" || rv.Checks[0].Status != "FAIL" || len(rv.Checks[0].Regions) != 1 || !strings.Contains(strings.Join(rv.Unread, ","), "extra") {
		t.Fatalf("report view %+v", rv)
	}
}

// FuzzParseReport: the stored report comes from the engine, which changes
// apart from this page: no report may make the page panic.
func FuzzParseReport(f *testing.F) {
	f.Add([]byte(`{"recommendation":"REFER","checks":[{"name":"x","status":"FAIL","value":1,"regions":[{"light":"uv","x":1,"y":2,"w":3,"h":4}]}]}`))
	f.Add([]byte(`{"mrz":{"lines":["P<UTO"],"fields":{"surname":{"valid":false,"error_span":{"line":0,"start":1,"end":3}}}},"printed":{"surname":"X"}}`))
	f.Add([]byte(`{"watchlist":{"fingerprints":[{"subject":"S","fmr":0,"fingers":[{"probe":0,"pairs":[{"probe":{"x":1,"y":1},"candidate":{"x":2,"y":2}}]}]}],"persons":[{"person":{"id":1e308}}]}}`))
	f.Add([]byte(`{"stages":[{"name":"a","duration_ms":3}],"versions":{"p":"1"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rv, err := parseReport(b)
		if err != nil {
			return
		}
		for _, c := range rv.Checks {
			for _, r := range c.Regions {
				if r.W <= 0 || r.H <= 0 {
					t.Fatalf("a region without area was kept: %+v", r)
				}
			}
		}
	})
}

func TestImagesOrderedBySideThenLight(t *testing.T) {
	names := []string{"back.uv", "front.ir", "back.white", "front.white", "front.uv", "back.ir"}
	got := orderDocumentImages(names)
	want := []string{"front.white", "front.ir", "front.uv", "back.white", "back.ir", "back.uv"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("order %v, want %v", got, want)
	}
}
