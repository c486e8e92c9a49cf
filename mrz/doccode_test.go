package mrz

import (
	"strings"
	"testing"
	"time"
)

// A TD1 as US permanent resident cards print it: a digit as the document
// code's second character (Doc 9303 defines letters there).
func c1Card(t *testing.T) []string {
	t.Helper()
	lines, err := Generate(Document{Format: TD1, DocumentCode: "C1", IssuingState: "USA", DocumentNumber: "SRC0012345",
		Surname: "DOE", GivenNames: "JANE", Nationality: "CAN", BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), Sex: "F", ExpiryDate: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(lines[0], "C1USA") {
		t.Fatalf("generated %q, want the code C1", lines[0])
	}
	return lines
}

func TestDocumentCodeDigit(t *testing.T) {
	lines := c1Card(t)
	r, err := ParseLines(lines, testRef)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Valid || !r.Warnings.Has(WarnDigitInDocumentCode) || r.Value(DocumentCode) != "C1" {
		t.Fatalf("C1 card: valid %v, warnings %v, code %q; want valid with the digit warning", r.Valid, r.Warnings.List(), r.Value(DocumentCode))
	}
	// A digit first is not a code.
	bad := append([]string(nil), lines...)
	bad[0] = "1C" + bad[0][2:]
	if r, err := ParseLines(bad, testRef); err != nil || r.Valid || r.Field(DocumentCode).Valid {
		t.Fatalf("1C card parsed valid (err %v)", err)
	}
	if _, err := Generate(Document{Format: TD1, DocumentCode: "1C", IssuingState: "USA"}); err == nil {
		t.Fatal("Generate took a document code starting with a digit")
	}
	if _, err := Generate(Document{Format: TD1, DocumentCode: "  ", IssuingState: "USA"}); err == nil {
		t.Fatal("Generate took a blank document code")
	}
}

// The repair keeps a digit in the document code's second position when
// the engine read it and offered no letter for the cell (no check digit
// covers the code, so only the engine can tell); plain text, or an engine
// that offers a letter, get the letter look-alike as Doc 9303 has it.
func TestRepairDocumentCodeDigit(t *testing.T) {
	lines := c1Card(t)
	confident := func(lines []string) Alternatives {
		alts := make(Alternatives, len(lines))
		for i, l := range lines {
			alts[i] = make([][]Candidate, len(l))
			for k := range l {
				alts[i][k] = []Candidate{{Char: l[k], Score: 0.99}}
			}
		}
		return alts
	}
	for _, tc := range []struct {
		name string
		alts func() Alternatives
		want string
	}{
		{"engine read the digit alone", func() Alternatives { return confident(lines) }, "C1"},
		{"plain text", func() Alternatives { return nil }, "CI"},
		{"engine offered I", func() Alternatives {
			a := confident(lines)
			a[0][1] = []Candidate{{'1', 0.7}, {'I', 0.3}}
			return a
		}, "CI"},
		{"engine's best was I", func() Alternatives {
			a := confident(lines)
			a[0][1] = []Candidate{{'I', 0.6}, {'1', 0.4}}
			return a
		}, "CI"},
	} {
		rep, err := Repair(lines, tc.alts(), testRef)
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Lines[0][:2]; got != tc.want {
			t.Errorf("%s: code %q, want %q", tc.name, got, tc.want)
		}
		if strings.Join(rep.Lines[1:], "\n") != strings.Join(lines[1:], "\n") {
			t.Errorf("%s: lines 2-3 changed: %q", tc.name, rep.Lines)
		}
	}
}

// A first character of the document code that the format does not allow
// (a specimen stamp across it) takes the engine's best allowed reading.
func TestRepairDocumentCodeFirst(t *testing.T) {
	lines := c1Card(t)
	lines[0] = "ID" + lines[0][2:]
	misread := append([]string(nil), lines...)
	misread[0] = "TD" + lines[0][2:]
	alts := make(Alternatives, 3)
	alts[0] = make([][]Candidate, 30)
	alts[0][0] = []Candidate{{'T', 0.44}, {'I', 0.2}, {'C', 0.07}}
	rep, err := Repair(misread, alts, testRef)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lines[0] != lines[0] || !rep.Result.Valid {
		t.Fatalf("repaired %q (valid %v), want %q", rep.Lines[0], rep.Result.Valid, lines[0])
	}
	if c := rep.Corrections[len(rep.Corrections)-1]; c.Reason != ReasonDocumentCode || c.From != 'T' || c.To != 'I' {
		t.Errorf("correction %v, want T -> I for the document code", c)
	}
	// No allowed reading offered and no look-alike: left for the parse.
	alts[0][0] = []Candidate{{'T', 0.9}, {'Y', 0.1}}
	if rep, err = Repair(misread, alts, testRef); err != nil || rep.Lines[0] != misread[0] || rep.Result.Field(DocumentCode).Valid {
		t.Errorf("T without an allowed alternative: %q, err %v", rep.Lines[0], err)
	}
	// A passport's code starts with P, whatever the engine read.
	pp, err := Generate(Document{Format: TD3, IssuingState: "UTO", DocumentNumber: "L898902C3", Surname: "ERIKSSON",
		GivenNames: "ANNA", Nationality: "UTO", BirthDate: time.Date(1974, 8, 12, 0, 0, 0, 0, time.UTC), Sex: "F",
		ExpiryDate: time.Date(2032, 4, 15, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]string(nil), pp...)
	bad[0] = "R" + pp[0][1:]
	palts := make(Alternatives, 2)
	palts[0] = make([][]Candidate, 44)
	palts[0][0] = []Candidate{{'R', 0.5}, {'P', 0.45}}
	if rep, err = Repair(bad, palts, testRef); err != nil || rep.Lines[0] != pp[0] {
		t.Errorf("passport read R<UTO: repaired %q, err %v", rep.Lines[0], err)
	}
}
