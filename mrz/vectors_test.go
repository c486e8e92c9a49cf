package mrz

import (
	"bufio"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"checkpost/internal/shareddata"
)

// A reference date after every expiry in the vectors would flag them all
// expired; the tests fix one so that results do not change with the day.
var testRef = WithReferenceDate(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))

func readTSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		rows = append(rows, strings.Split(sc.Text(), "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// failingChecks lists the check-digit fields of r that fail, in the
// vocabulary of vectors.tsv (doc, dob, exp, pn, comp).
func failingChecks(r *Result) string {
	short := map[FieldName]string{DocumentNumberCheck: "doc", BirthDateCheck: "dob", ExpiryDateCheck: "exp", OptionalDataCheck: "pn", CompositeCheck: "comp"}
	var out []string
	for _, n := range []FieldName{DocumentNumberCheck, BirthDateCheck, ExpiryDateCheck, OptionalDataCheck, CompositeCheck} {
		if f := r.Field(n); f != nil && !f.Valid {
			out = append(out, short[n])
		}
	}
	if len(out) == 0 {
		return "OK"
	}
	return "FAIL:" + strings.Join(out, ",")
}

// TestVectors checks format detection and the check-digit status of every
// row of ../shared/data/mrz/vectors.tsv (columns: source, format,
// check-digit status recomputed with 7-3-1, lines joined by |, note, dup).
func TestVectors(t *testing.T) {
	rows := readTSV(t, shareddata.Path(t, "mrz/vectors.tsv"))
	if len(rows) < 40 {
		t.Fatalf("only %d rows in vectors.tsv", len(rows))
	}
	for i, row := range rows {
		wantFormat, wantChecks, text := row[1], row[2], strings.ReplaceAll(row[3], "|", "\n")
		r, err := Parse(text, testRef)
		if wantFormat == "OTHER" {
			// The Swiss driving licence (3 lines of 9, 30, 30) is no ICAO format.
			if err == nil {
				t.Errorf("row %d (%s): parsed an OTHER zone as %v", i+2, row[4], r.Format)
			}
			continue
		}
		if err != nil {
			t.Errorf("row %d (%s): %v", i+2, row[4], err)
			continue
		}
		f, err := ParseFormat(wantFormat)
		if err != nil {
			t.Fatal(err)
		}
		if r.Format != f {
			t.Errorf("row %d (%s): format %v, want %v", i+2, row[4], r.Format, f)
		}
		if got := failingChecks(r); got != wantChecks {
			t.Errorf("row %d (%s): check digits %s, want %s\n%s", i+2, row[4], got, wantChecks, text)
		}
		if wantChecks == "OK" && !r.Valid {
			// Valid check digits with another invalid field: only the
			// state codes the npm table lacks may do that here, and none do.
			t.Errorf("row %d (%s): invalid: %v", i+2, row[4], fieldErrors(r))
		}
	}
}

func fieldErrors(r *Result) []string {
	var out []string
	for _, f := range r.Errors() {
		out = append(out, f.Name.String()+": "+string(f.Code)+" at "+f.ErrorSpan.String()+" ("+f.Message+")")
	}
	return out
}

// TestVectorsAutocorrect repairs the deliberately garbled rows ("Use
// autocorrect" with failing check digits) and expects the clean row of the
// same source file.
func TestVectorsAutocorrect(t *testing.T) {
	rows := readTSV(t, shareddata.Path(t, "mrz/vectors.tsv"))
	n := 0
	for _, row := range rows {
		if !strings.HasPrefix(row[4], "Use autocorrect") || !strings.HasPrefix(row[2], "FAIL") {
			continue
		}
		var clean string
		for _, o := range rows {
			if o[0] == row[0] && o[2] == "OK" && o[1] == row[1] && strings.HasPrefix(o[4], "Use autocorrect") {
				clean = o[3]
			}
		}
		if clean == "" {
			t.Fatalf("no clean row for %q", row[3])
		}
		n++
		rep, err := Repair(strings.Split(row[3], "|"), nil, testRef)
		if err != nil {
			t.Errorf("%s: %v", row[3], err)
			continue
		}
		if got := strings.Join(rep.Lines, "|"); got != clean {
			t.Errorf("repair of %s\n got %s\nwant %s\ncorrections %v\nambiguities %+v", row[3], got, clean, rep.Corrections, rep.Ambiguities)
		}
		if !rep.Result.Valid {
			t.Errorf("repaired %s is invalid: %v", clean, fieldErrors(rep.Result))
		}
	}
	if n < 4 {
		t.Fatalf("only %d garbled rows", n)
	}
}

var paren = regexp.MustCompile(`\([^)]*\)`)

// TestImageTruth parses the printed MRZ of the 41 specimen images
// (images/truth.tsv: its check_digits column is OK or FAIL: followed by
// the failing ones) and compares the check-digit verdict.
func TestImageTruth(t *testing.T) {
	rows := readTSV(t, shareddata.Path(t, "mrz/images/truth.tsv"))
	names := map[string]string{"docnum": "doc", "birth": "dob", "expiry": "exp", "personal": "pn", "composite": "comp"}
	for _, row := range rows {
		if row[3] == "NONE" {
			continue
		}
		r, err := Parse(strings.ReplaceAll(row[4], "|", "\n"), testRef)
		if err != nil {
			t.Errorf("%s: %v", row[0], err)
			continue
		}
		if f, _ := ParseFormat(row[3]); r.Format != f {
			t.Errorf("%s: format %v, want %v", row[0], r.Format, row[3])
		}
		want := "OK"
		if strings.HasPrefix(row[5], "FAIL") {
			var fails []string
			for _, part := range strings.Split(paren.ReplaceAllString(strings.TrimPrefix(row[5], "FAIL:"), ""), ";") {
				name := strings.TrimSpace(part)
				if i := strings.IndexByte(name, '('); i >= 0 {
					name = name[:i]
				}
				fails = append(fails, names[name])
			}
			order := map[string]int{"doc": 0, "dob": 1, "exp": 2, "pn": 3, "comp": 4}
			sort.Slice(fails, func(i, j int) bool { return order[fails[i]] < order[fails[j]] })
			want = "FAIL:" + strings.Join(fails, ",")
		}
		if got := failingChecks(r); got != want {
			t.Errorf("%s: check digits %s, want %s (%s)", row[0], got, want, row[5])
		}
	}
}
