package docauth

import (
	"testing"
	"time"

	"checkpost/engine"
	"checkpost/mrz"
)

func TestPrintedFieldsAgainstMRZ(t *testing.T) {
	lines, err := mrz.Generate(mrz.Document{Format: mrz.TD3, DocumentCode: "P", IssuingState: "UTO", DocumentNumber: "U4EPKHJ5M",
		Surname: "MÜLLER-LÜDENSCHEIDT", GivenNames: "ЖАННА", Nationality: "UTO", Sex: "F",
		BirthDate: time.Date(1957, 6, 7, 0, 0, 0, 0, time.UTC), ExpiryDate: time.Date(2035, 1, 14, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := mrz.ParseLines(lines)
	if err != nil {
		t.Fatal(err)
	}
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
