package docauth

import (
	"testing"
	"time"

	"checkpost/engine"
	"checkpost/mrz"
)

// utoMRZ is the parsed MRZ of a UTO passport (number U4EPKHJ5M, born
// 1957-06-07, expiring 2035-01-14, F) with the given names.
func utoMRZ(t *testing.T, surname, given string) *mrz.Result {
	t.Helper()
	lines, err := mrz.Generate(mrz.Document{Format: mrz.TD3, DocumentCode: "P", IssuingState: "UTO", DocumentNumber: "U4EPKHJ5M",
		Surname: surname, GivenNames: given, Nationality: "UTO", Sex: "F",
		BirthDate: time.Date(1957, 6, 7, 0, 0, 0, 0, time.UTC), ExpiryDate: time.Date(2035, 1, 14, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := mrz.ParseLines(lines)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPrintedFieldsAgainstMRZ(t *testing.T) {
	r := utoMRZ(t, "MÜLLER-LÜDENSCHEIDT", "ЖАННА")
	for _, tc := range []struct {
		field, text string
		ok          bool
	}{
		{"surname", "MÜLLER-LÜDENSCHEIDT", true},
		{"surname", "MULLER-LUDENSCHEIDT", true}, // Ü as U is allowed too
		{"surname", "MÜLLER", false},
		{"given_names", "ЖАННА / ZHANNA", true},
		{"given_names", "ANNA", false},
		{"birth_date", "07 JUN 1957", true},
		{"birth_date", "07.06.1957", true},
		{"birth_date", "07 JUIN/JUN 57", true},
		{"birth_date", "08 JUN 1957", false},
		{"expiry_date", "14 JAN 2035", true},
		{"document_number", "U4EPKHJ5M", true},
		{"document_number", "U4EPKHJ5N", false},
		{"sex", "F", true},
		{"sex", "M", false},
		{"nationality", "UTOPIAN / UTO", true},
		{"code", "UTO", true},
		{"code", "D", false},
		{"type", "P", true},
	} {
		ok, comparable, want := compareField(r, Reading{Field: tc.field, Text: tc.text})
		if !comparable || ok != tc.ok {
			t.Errorf("%s %q vs MRZ %q: ok %v comparable %v, want ok %v", tc.field, tc.text, want, ok, comparable, tc.ok)
		}
	}
	// Words are not codes: a printed "DEUTSCH" is not compared.
	if _, comparable, _ := compareField(r, Reading{Field: "nationality", Text: "DEUTSCH"}); comparable {
		t.Error("a nationality in words was compared with the code")
	}
	c := checkVIZ(r, []Reading{{Field: "surname", Text: "MÜLLER-LÜDENSCHEIDT"}, {Field: "birth_date", Text: "08 JUN 1957"}})
	if c.Status != engine.Fail || c.Value == nil || *c.Value != 1 {
		t.Errorf("one differing field: %+v", c)
	}
	c = checkVIZ(r, []Reading{{Field: "birth_date", Text: "08 JUN 1957", Confidence: 0.2}})
	if c.Status != engine.Undetermined {
		t.Errorf("an unsure reading decided the check: %+v", c)
	}
	if c := checkVIZ(r, nil); c.Status != engine.NotPerformed {
		t.Errorf("no readings: %s", c.Status)
	}
	if c := checkMRZPlausibility(r); c.Status != engine.Pass {
		t.Errorf("valid MRZ: %s %s", c.Status, c.Reason)
	}
}

func TestEditCounts(t *testing.T) {
	for _, tc := range []struct {
		got, want, part string
		hard, soft      int
	}{
		{"U2TUPVEQ3", "U2TUPVE03", "", 0, 1},
		{"UZHKIRVIR", "UZHK1RV9R", "", 1, 1}, // I/1 look alike, R/9 do not
		{"VSXHU7LWE", "V5XHU7LWF", "", 0, 2},
		{"X9KLMNB77", "U2TUPVE03", "", 9, 0},
		{"ERIKSON", "ERIKSSON", "", 1, 0},
		{"SHEV", "SHEVCHENKO", "start", 0, 0},
		{"CHENKO", "SHEVCHENKO", "end", 0, 0},
		{"CHENKO", "SHEVCHENKO", "start", 4, 0},
		{"TANAK", "OKONKWO", "start", 4, 0},
	} {
		h, s := editCounts(tc.got, tc.want, tc.part)
		if h != tc.hard || s != tc.soft {
			t.Errorf("%q vs %q (%q): %d hard %d soft, want %d %d", tc.got, tc.want, tc.part, h, s, tc.hard, tc.soft)
		}
	}
}

func TestPartlySeenFields(t *testing.T) {
	r := utoMRZ(t, "ИВАНОВА", "ANNA")
	const differs, agrees, undecided = "differs", "agrees", "undecided"
	for _, tc := range []struct {
		field, text, part, want string
	}{
		{"surname", "IVANOV", "start", agrees},     // the last letter at the cut
		{"surname", "UBAHOBA", "start", undecided}, // ИВАНОВА as the English OCR reads it
		{"surname", "UBAHOBA / IVANO", "start", agrees},
		{"surname", "TANAKA", "start", differs},
		{"surname", "WANOVA", "end", agrees},
		{"surname", "OZTURK", "end", differs},
		{"surname", "IV", "start", undecided}, // too little seen
		{"document_number", "U4EPKH", "start", agrees},
		{"document_number", "X9KLMN", "start", differs},
		{"document_number", "U4EPKX", "start", agrees}, // X at the cut
		{"birth_date", "07 JUN 19", "start", agrees},
		{"birth_date", "21 DEC 19", "start", differs},
		{"birth_date", "UN 1957", "end", agrees},
		{"birth_date", "UN 1961", "end", differs},
		{"birth_date", "07 J", "start", agrees},
		{"birth_date", "87 JUN 19", "start", agrees}, // the day illegible, the month agrees
		{"birth_date", "87 J", "start", undecided},
		{"birth_date", "89 JUN 1957", "", agrees}, // the day's 0 read 8: month and year compared
		{"birth_date", "89 JUN 1961", "", differs},
		{"birth_date", "89 JUN 1958", "", undecided}, // one digit off
		{"birth_date", "JUN 1957", "", agrees},
		{"birth_date", "89 JUN 2657", "", undecided},
		{"birth_date", "070 JUN 1961", "", differs},
	} {
		ok, comparable, want := compareField(r, Reading{Field: tc.field, Text: tc.text, Part: tc.part, Confidence: 0.9})
		got := undecided
		if comparable {
			got = map[bool]string{true: agrees, false: differs}[ok]
		}
		if got != tc.want {
			t.Errorf("%s %q (%s seen) vs %q: %s, want %s", tc.field, tc.text, tc.part, want, got, tc.want)
		}
	}
}

func TestFieldReadTwice(t *testing.T) {
	r, err := mrz.ParseLines([]string{"P<UTOOKONKWO<<ANNA<<<<<<<<<<<<<<<<<<<<<<<<<<", "U2TUPVE030UTO7408122F3501014<<<<<<<<<<<<<<06"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		rds  []Reading
		want engine.Status
	}{
		{"one confident reading differs", []Reading{{Field: "surname", Text: "TANAKA", Confidence: 0.9}}, engine.Fail},
		{"one unsure reading", []Reading{{Field: "surname", Text: "ODEGARD", Confidence: 0.1}}, engine.Undetermined},
		{"two unsure readings that agree with each other", []Reading{{Field: "surname", Text: "DEGARD", Confidence: 0.1}, {Field: "surname", Text: "ODEGARD", Confidence: 0.1}}, engine.Undetermined},
		{"two unsure readings that do not", []Reading{{Field: "surname", Text: "AU", Confidence: 0.1}, {Field: "surname", Text: "ODEGARD", Confidence: 0.1}}, engine.Undetermined},
		{"a second reading agrees", []Reading{{Field: "surname", Text: "AU", Confidence: 0.6}, {Field: "surname", Text: "OKONKWO", Confidence: 0.2}}, engine.Pass},
		{"a second reading one letter off", []Reading{{Field: "surname", Text: "TANAKA", Confidence: 0.6}, {Field: "surname", Text: "OKONKVO", Confidence: 0.2}}, engine.Undetermined},
	} {
		if c := checkVIZ(r, tc.rds); c.Status != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, c.Status, c.Reason, tc.want)
		}
	}
}
