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

// TestPrintedFieldsShapes: the printed-vs-MRZ table from a map of fields,
// from a list of readings (the printed-field reader's shape), and from the
// consistency check's reason when the report has no readings.
func TestPrintedFieldsShapes(t *testing.T) {
	const mrzPart = `"mrz":{"parsed":{"lines":["P<UTOERIKSSON<<ANNA"],"fields":{"surname":{"value":"ERIKSSON","valid":true},"birth_date":{"value":"740812","date":"1974-08-12","valid":true},"issuing_state":{"value":"UTO","valid":true}}}}`
	for _, c := range []struct {
		name, report string
		want         []string // field|printed|mrz|agree
	}{
		{"map", `{` + mrzPart + `,"printed":{"surname":"ERIKSON","birth_date":{"printed":"1974-08-12"}}}`,
			[]string{"Surname|ERIKSON|ERIKSSON|false", "Birth date|1974-08-12|1974-08-12|true"}},
		{"readings", `{` + mrzPart + `,"viz":[{"field":"surname","text":"ERIKSSON","confidence":0.9},{"field":"code","text":"UTO"}]}`,
			[]string{"Issuing state|UTO|UTO|true", "Surname|ERIKSSON|ERIKSSON|true"}},
		{"check", `{` + mrzPart + `,"checks":[{"name":"viz.mrz.consistency","status":"FAIL","reason":"printed fields differ from the MRZ: surname printed \"ERIK\\\"SON\", MRZ \"ERIKSSON\"; sex printed \"M\", MRZ \"F\""}]}`,
			[]string{`Surname|ERIK"SON|ERIKSSON|false`, "Sex|M|F|false"}},
		{"check passed", `{` + mrzPart + `,"checks":[{"name":"viz.mrz.consistency","status":"PASS","reason":"2 printed fields agree with the MRZ (surname, code)"}]}`,
			[]string{"Surname||ERIKSSON|true", "Code||UTO|true"}},
	} {
		rv, err := parseReport([]byte(c.report))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, r := range rv.Compare {
			got = append(got, r.Field+"|"+r.Printed+"|"+r.MRZ+"|"+fmtBool(r.Agree))
		}
		if strings.Join(got, ";") != strings.Join(c.want, ";") {
			t.Errorf("%s: rows %q, want %q", c.name, got, c.want)
		}
	}
}

func fmtBool(b *bool) string {
	if b == nil {
		return "?"
	}
	if *b {
		return "true"
	}
	return "false"
}
