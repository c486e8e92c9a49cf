package mrz

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The ICAO specimens of Doc 9303 Parts 4-7 and the French card's public
// example, with the values every field must have.
var specimens = []struct {
	name   string
	format Format
	text   string
	want   map[FieldName]string
	spans  map[FieldName]Span
	warns  []Warning
}{
	{"TD3 (Part 4)", TD3, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
		map[FieldName]string{DocumentCode: "P", IssuingState: "UTO", Surname: "ERIKSSON", GivenNames: "ANNA MARIA",
			DocumentNumber: "L898902C3", DocumentNumberCheck: "6", Nationality: "UTO", BirthDate: "740812", BirthDateCheck: "2",
			Sex: "F", ExpiryDate: "120415", ExpiryDateCheck: "9", OptionalData: "ZE184226B", OptionalDataCheck: "1", CompositeCheck: "0"},
		map[FieldName]Span{Surname: {0, 5, 13}, GivenNames: {0, 15, 25}, DocumentNumber: {1, 0, 9}, CompositeCheck: {1, 43, 44}, OptionalData: {1, 28, 42}},
		[]Warning{WarnExpired, WarnSpecimen}},
	{"TD1 (Part 5)", TD1, "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<",
		map[FieldName]string{DocumentCode: "I", IssuingState: "UTO", DocumentNumber: "D23145890", DocumentNumberCheck: "7",
			OptionalData: "", BirthDate: "740812", Sex: "F", ExpiryDate: "120415", Nationality: "UTO", OptionalData2: "",
			CompositeCheck: "6", Surname: "ERIKSSON", GivenNames: "ANNA MARIA"},
		map[FieldName]Span{DocumentNumber: {0, 5, 14}, Nationality: {1, 15, 18}, Surname: {2, 0, 8}, GivenNames: {2, 10, 20}},
		[]Warning{WarnExpired, WarnSpecimen}},
	{"TD2 (Part 6)", TD2, "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6",
		map[FieldName]string{DocumentNumber: "D23145890", BirthDate: "740812", ExpiryDate: "120415", CompositeCheck: "6", GivenNames: "ANNA MARIA"},
		map[FieldName]Span{CompositeCheck: {1, 35, 36}, OptionalData: {1, 28, 35}},
		[]Warning{WarnExpired, WarnSpecimen}},
	{"MRV-A (Part 7)", MRVA, "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL8988901C4XXX4009078F96121096ZE184226B<<<<<<",
		map[FieldName]string{DocumentCode: "V", DocumentNumber: "L8988901C", Nationality: "XXX", BirthDate: "400907", ExpiryDate: "961210", OptionalData: "6ZE184226B"},
		map[FieldName]Span{OptionalData: {1, 28, 44}},
		[]Warning{WarnExpired, WarnSpecimen, WarnUnspecifiedNationality}},
	{"MRV-B (Part 7)", MRVB, "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4009078F9612109<<<<<<<<",
		map[FieldName]string{DocumentNumber: "L8988901C", ExpiryDate: "961210", OptionalData: ""},
		nil,
		[]Warning{WarnExpired, WarnSpecimen, WarnUnspecifiedNationality}},
	{"French ID", FrenchID, "IDFRABERTHIER<<<<<<<<<<<<<<<<<<<<<<<\n9409923102854CORINNE<<<<<<<6512068F4",
		map[FieldName]string{DocumentCode: "ID", IssuingState: "FRA", Surname: "BERTHIER", GivenNames: "CORINNE",
			DocumentNumber: "940992310285", DocumentNumberCheck: "4", IssueDate: "9409", BirthDate: "651206", Sex: "F", CompositeCheck: "4", OptionalData: ""},
		map[FieldName]Span{GivenNames: {1, 13, 20}, DocumentNumber: {1, 0, 12}, OptionalData: {0, 30, 36}},
		nil},
}

func TestSpecimens(t *testing.T) {
	for _, s := range specimens {
		t.Run(s.name, func(t *testing.T) {
			r, err := Parse(s.text, testRef)
			if err != nil {
				t.Fatal(err)
			}
			if r.Format != s.format || !r.Valid {
				t.Fatalf("format %v valid %v: %v", r.Format, r.Valid, fieldErrors(r))
			}
			for n, want := range s.want {
				f := r.Field(n)
				if f == nil {
					t.Errorf("%v: absent", n)
				} else if f.Value != want {
					t.Errorf("%v = %q, want %q", n, f.Value, want)
				}
			}
			for n, want := range s.spans {
				if got := r.Field(n).Span; got != want {
					t.Errorf("%v span %+v, want %+v", n, got, want)
				}
			}
			for _, w := range s.warns {
				if !r.Warnings.Has(w) {
					t.Errorf("warning %v missing (have %v)", w, r.Warnings.List())
				}
			}
			if len(r.Warnings.List()) != len(s.warns) {
				t.Errorf("warnings %v, want %v", r.Warnings.List(), s.warns)
			}
			// Every present field's raw text is where its span says, except
			// the names, whose span covers the name only.
			for i := range r.Fields {
				f := &r.Fields[i]
				if !f.Present || f.Name == Surname || f.Name == GivenNames {
					continue
				}
				if got := r.Lines[f.Span.Line][f.Span.Start:f.Span.End]; got != f.Raw && f.Name != DocumentNumber {
					t.Errorf("%v: span text %q, raw %q", f.Name, got, f.Raw)
				}
			}
		})
	}
}

func TestFieldErrors(t *testing.T) {
	td3 := "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
	cases := []struct {
		name       string
		from, to   string
		field      FieldName
		code       ErrorCode
		errorStart int
	}{
		{"document number check", "L898902C36", "L898902C37", DocumentNumberCheck, ErrCheckDigit, 9},
		{"lower case", "ERIKSSON<<ANNA", "ERIKSSON<<aNNA", GivenNames, ErrInvalidCharacter, 15},
		{"unknown state", "P<UTO", "P<QQQ", IssuingState, ErrUnknownCode, 2},
		{"non-ICAO nationality", "C36UTO", "C36WSA", Nationality, ErrNonICAOCode, 10},
		{"month 13", "7408122", "7413122", BirthDate, ErrInvalidDate, 15},
		{"30 February", "7408122F1204159", "7408122F1202309", ExpiryDate, ErrInvalidDate, 25},
		{"sex", "2F12", "2Q12", Sex, ErrSex, 20},
		{"letters after the filler", "MARIA<<<<<<<<<<<<<<<<<<<", "MARIA<<<<<<<<<<<<<<<<<<X", GivenNames, ErrFiller, 25},
		{"passport code", "P<UTO", "I<UTO", DocumentCode, ErrDocumentCode, 0},
		{"unknown expiry", "1204159", "12<<<<9", ExpiryDate, ErrUnknownDate, 23},
		{"personal number check filler when used", "B<<<<<10", "B<<<<<<0", OptionalDataCheck, ErrCheckDigit, 42},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(td3, c.from) {
				t.Fatalf("%q not in the specimen", c.from)
			}
			r, err := Parse(strings.Replace(td3, c.from, c.to, 1), testRef)
			if err != nil {
				t.Fatal(err)
			}
			f := r.Field(c.field)
			if r.Valid || f.Valid || f.Code != c.code || f.Message == "" {
				t.Fatalf("valid %v, %v: valid %v code %q message %q", r.Valid, c.field, f.Valid, f.Code, f.Message)
			}
			if f.ErrorSpan.Start != c.errorStart {
				t.Errorf("error at %v, want column %d", f.ErrorSpan, c.errorStart+1)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	doc := Document{Format: TD3, IssuingState: "FRA", Nationality: "FRA", DocumentNumber: "12AB34567", Surname: "MARTIN", GivenNames: "LEA",
		Sex: "X", BirthDate: date(1990, 2, 3), ExpiryDate: date(2030, 2, 3)}
	r := mustParse(t, doc)
	if !r.Valid || !r.Warnings.Has(WarnNonStandardSex) || r.Warnings.Has(WarnExpired) {
		t.Fatalf("valid %v warnings %v", r.Valid, r.Warnings.List())
	}
	doc.Sex, doc.ExpiryDate = "F", date(2020, 1, 1)
	if r := mustParse(t, doc); !r.Valid || !r.Warnings.Has(WarnExpired) {
		t.Fatalf("expired: valid %v warnings %v", r.Valid, r.Warnings.List())
	}
	doc.Surname = "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ"
	if r := mustParse(t, doc); !r.Valid || !r.Warnings.Has(WarnTruncatedName) {
		t.Fatalf("truncated: valid %v warnings %v", r.Valid, r.Warnings.List())
	}
}

func TestLongDocumentNumber(t *testing.T) {
	// A number whose check digit differs under the two rules, or the test
	// could not tell them apart.
	var icao, incl checkSum
	icao.add("AB1234567" + "891")
	incl.add("AB1234567" + "<" + "891")
	if icao.digit() == incl.digit() {
		t.Fatal("pick another number: both rules give the same digit")
	}
	for _, incl := range []bool{false, true} {
		for _, f := range []Format{TD1, TD2, MRVA, MRVB} {
			doc := Document{Format: f, IssuingState: "BEL", Nationality: "BEL", DocumentNumber: "AB1234567891", Surname: "PEETERS", GivenNames: "JAN",
				Sex: "M", BirthDate: date(1980, 5, 6), ExpiryDate: date(2029, 1, 2), LongNumberFillerIncluded: incl, OptionalData: "XY"}
			r := mustParse(t, doc)
			want := LongICAO
			if incl {
				want = LongFillerIncluded
			}
			if !r.Valid || r.LongNumber != want || r.Value(DocumentNumber) != "AB1234567891" || r.Value(OptionalData) != "XY" {
				t.Errorf("%v filler included %v: valid %v rule %v number %q optional %q %v", f, incl, r.Valid, r.LongNumber,
					r.Value(DocumentNumber), r.Value(OptionalData), fieldErrors(r))
			}
			if incl != r.Warnings.Has(WarnLongNumberFillerIncluded) {
				t.Errorf("%v: warnings %v", f, r.Warnings.List())
			}
		}
	}
	// A < at the check position with nothing after it.
	r, _ := Parse("I<UTOD23145890<<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<", testRef)
	if f := r.Field(DocumentNumberCheck); f.Valid || f.Code != ErrLongNumber {
		t.Fatalf("empty continuation: %+v", f)
	}
	if _, err := Generate(Document{Format: TD3, IssuingState: "BEL", Nationality: "BEL", DocumentNumber: "AB1234567890", Surname: "X",
		BirthDate: date(1980, 5, 6), ExpiryDate: date(2029, 1, 2)}); err == nil {
		t.Fatal("TD3 accepted a 12-character number")
	}
}

func TestCenturyInference(t *testing.T) {
	doc := Document{Format: TD3, IssuingState: "FRA", Nationality: "FRA", DocumentNumber: "1", Surname: "A",
		BirthDate: date(2025, 12, 31), ExpiryDate: date(2047, 3, 1)}
	lines, err := Generate(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(lines, "\n")
	for _, c := range []struct {
		ref           string
		horizon       int
		birth, expiry string
	}{
		{"2026-01-15", 0, "2025-12-31", "1947-03-01"}, // 2047 is beyond the default 20 years
		{"2026-01-15", 30, "2025-12-31", "2047-03-01"},
		{"2025-12-30", 30, "1925-12-31", "2047-03-01"}, // born the day after the reference: the previous century
	} {
		ref, _ := time.Parse("2006-01-02", c.ref)
		r, err := Parse(text, WithReferenceDate(ref), WithExpiryHorizon(c.horizon))
		if err != nil {
			t.Fatal(err)
		}
		if b, e := r.Field(BirthDate).Date.String(), r.Field(ExpiryDate).Date.String(); b != c.birth || e != c.expiry {
			t.Errorf("ref %s horizon %d: birth %s expiry %s, want %s %s", c.ref, c.horizon, b, e, c.birth, c.expiry)
		}
	}
	// Unknown day and month in a birth date.
	r, _ := Parse("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO74<<<<6F1204159ZE184226B<<<<<18", testRef)
	if f := r.Field(BirthDate); !f.Valid || f.Date.String() != "1974-XX-XX" || !r.Warnings.Has(WarnBirthUnknownParts) {
		t.Fatalf("unknown parts: %+v %v %v", f, r.Warnings.List(), fieldErrors(r))
	}
	// 29 February exists in 2000 and 1996, not in 1900 or 2001.
	for _, c := range []struct {
		d  string
		ok bool
	}{{"000229", true}, {"960229", true}, {"010229", false}} {
		r, _ := Parse(strings.Replace("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10", "740812", c.d, 1), testRef)
		if f := r.Field(BirthDate); f.Valid != c.ok {
			t.Errorf("%s: valid %v", c.d, f.Valid)
		}
	}
}

func TestFormatErrors(t *testing.T) {
	for _, text := range []string{"", "P<UTO", "abc\ndef", strings.Repeat("<", 44) + "\n" + strings.Repeat("<", 43), "a\nb\nc\nd"} {
		_, err := Parse(text)
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrNotMRZ) {
			t.Errorf("%q: error %v", text, err)
		}
	}
	// A zone on one line, with CRLF and blank lines around, parses.
	one := "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10"
	for _, text := range []string{one, "\r\n  " + one[:44] + "\r\n\r\n" + one[44:] + "  \r\n"} {
		if r, err := Parse(text, testRef); err != nil || !r.Valid {
			t.Errorf("%q: %v", text, err)
		}
	}
}

func TestCheckDigit(t *testing.T) {
	for s, want := range map[string]byte{"L898902C3": '6', "740812": '2', "120415": '9', "ZE184226B<<<<<": '1', "<<<<": '0', "AB2134<<<": '5'} {
		if got, ok := CheckDigit(s); !ok || got != want {
			t.Errorf("CheckDigit(%q) = %c, want %c", s, got, want)
		}
	}
	if _, ok := CheckDigit("ab"); ok {
		t.Error("lower case accepted")
	}
}

func TestWarningNames(t *testing.T) {
	seen := map[string]bool{}
	for i := range numWarnings {
		w := Warning(1 << i)
		if strings.HasPrefix(w.String(), "warning(") || w.Message() == w.String() || seen[w.String()] {
			t.Errorf("warning %d: name %q message %q", i, w, w.Message())
		}
		seen[w.String()] = true
	}
	if len(warningNames) != numWarnings || len(warningMessages) != numWarnings {
		t.Fatalf("%d names, %d messages, %d warnings", len(warningNames), len(warningMessages), numWarnings)
	}
}
