package mrz

import (
	"strings"
	"testing"
)

// FuzzParse: any text gives a result or a *FormatError, never a panic, and
// a result is consistent: Valid only when every field is, spans inside
// the lines.
func FuzzParse(f *testing.F) {
	for _, s := range specimens {
		f.Add(s.text)
	}
	f.Add("I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<")
	f.Add("IDFRATEST<NAME<<<<<<<<<<<<<<<<0CHE02\n1710GVA123451ROBERTA<<<<<<<9112311F2")
	f.Add("")
	f.Add("\n\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		r, err := Parse(text, testRef)
		if err != nil {
			if r != nil {
				t.Fatal("result with an error")
			}
			return
		}
		allValid := true
		for i := range r.Fields {
			fl := &r.Fields[i]
			if !fl.Present {
				continue
			}
			allValid = allValid && fl.Valid
			for _, sp := range []Span{fl.Span, fl.ErrorSpan} {
				if sp.Line < 0 || sp.Line >= r.NumLines || sp.Start < 0 || sp.End > len(r.Lines[sp.Line]) || sp.Start > sp.End {
					t.Fatalf("%v: span %+v outside the zone %q", fl.Name, sp, r.Lines)
				}
			}
			if !fl.Valid && (fl.Code == "" || fl.Message == "") {
				t.Fatalf("%v invalid without code or message", fl.Name)
			}
		}
		if allValid != r.Valid {
			t.Fatalf("Valid %v but fields say %v", r.Valid, allValid)
		}
		if _, err := r.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzRepair: any lines and alternatives give a repaired zone or an error,
// never a panic, and the repaired lines have the format's shape.
func FuzzRepair(f *testing.F) {
	for _, s := range specimens {
		f.Add(s.text, "")
	}
	f.Add("P<UT0ERIK55ON<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<\nL898902C36UTO740BIZZF12041S9ZE184226B<<<<<1O", "0:3:OD")
	f.Fuzz(func(t *testing.T, text, alt string) {
		lines := strings.Split(text, "\n")
		if len(lines) > 4 || len(text) > 200 {
			return // Repair's search is bounded per field, but keep each run short
		}
		// alt encodes one cell's alternatives as "line:col:chars".
		var alts Alternatives
		if parts := strings.SplitN(alt, ":", 3); len(parts) == 3 && len(parts[0]) == 1 && len(parts[1]) <= 2 {
			li, col := int(parts[0][0]-'0'), 0
			for _, c := range parts[1] {
				col = col*10 + int(c-'0')
			}
			if li >= 0 && li < 3 && col >= 0 && col < 44 {
				alts = make(Alternatives, li+1)
				alts[li] = make([][]Candidate, col+1)
				for i := 0; i < len(parts[2]) && i < 5; i++ {
					alts[li][col] = append(alts[li][col], Candidate{parts[2][i], float64(5 - i)})
				}
			}
		}
		rep, err := Repair(lines, alts, testRef)
		if err != nil {
			return
		}
		f := rep.Result.Format
		if len(rep.Lines) != f.Lines() {
			t.Fatalf("%d lines for %v", len(rep.Lines), f)
		}
		for _, l := range rep.Lines {
			if len(l) != f.LineLength() {
				t.Fatalf("line %q for %v", l, f)
			}
		}
	})
}
