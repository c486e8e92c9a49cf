package docauth

import (
	"strings"
	"testing"
	"time"

	"checkpost/engine"
	"checkpost/mrz"
)

// utoMRZ is the parsed MRZ of a UTO passport (number U4EPKHJ5M, born
// 1957-06-07, expiring 2035-01-14, F) with the given names.
func utoMRZ(t *testing.T, surname, given string) *mrz.Result {
	t.Helper()
	return td3MRZ(t, "U4EPKHJ5M", surname, given, day(1957, 6, 7), day(2035, 1, 14))
}

// td3MRZ generates and parses a UTO passport's MRZ (TD3, F) with the
// given number, names and dates.
func td3MRZ(tb testing.TB, number, surname, given string, born, expires time.Time) *mrz.Result {
	tb.Helper()
	return parsedMRZ(tb, mrz.Document{Format: mrz.TD3, DocumentCode: "P", IssuingState: "UTO", DocumentNumber: number,
		Surname: surname, GivenNames: given, Nationality: "UTO", Sex: "F", BirthDate: born, ExpiryDate: expires})
}

// day is a date at midnight UTC.
func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// parsedMRZ generates d's MRZ and parses it back.
func parsedMRZ(tb testing.TB, d mrz.Document) *mrz.Result {
	tb.Helper()
	lines, err := mrz.Generate(d)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := mrz.ParseLines(lines)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// td1MRZ generates and parses an identity card's MRZ (TD1) with the
// given number and names, born 12 FEB 1966, expiring 23 MAR 2029.
func td1MRZ(tb testing.TB, number, surname, given string) *mrz.Result {
	tb.Helper()
	return parsedMRZ(tb, mrz.Document{Format: mrz.TD1, DocumentCode: "ID", IssuingState: "UTO", DocumentNumber: number,
		Surname: surname, GivenNames: given, Nationality: "UTO", Sex: "F",
		BirthDate: time.Date(1966, 2, 12, 0, 0, 0, 0, time.UTC), ExpiryDate: time.Date(2029, 3, 23, 0, 0, 0, 0, time.UTC)})
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
	// A sex read as more than one letter, the MRZ's among them, decides
	// nothing; another letter, doubled or not, still differs.
	for _, tc := range []struct {
		text           string
		ok, comparable bool
	}{{"FF", false, false}, {"<F", false, false}, {"MM", false, true}, {"M", false, true}, {"F / F", true, true}} {
		ok, comparable, want := compareField(r, Reading{Field: "sex", Text: tc.text})
		if ok != tc.ok || comparable != tc.comparable {
			t.Errorf("sex %q vs MRZ %q: ok %v comparable %v, want %v %v", tc.text, want, ok, comparable, tc.ok, tc.comparable)
		}
	}
}

func TestEditCounts(t *testing.T) {
	for _, tc := range []struct {
		got, want, part string
		hard, soft      int
	}{
		{"U2TUPVEQ3", "U2TUPVE03", "", 0, 1},
		{"UZHKIRVIR", "UZHK1RV9R", "", 0, 2}, // I/1 and I/9 look alike
		{"UZHK1RVRR", "UZHK1RV9R", "", 1, 0}, // R/9 do not
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
		{"birth_date", "9 JUN 1957", "", agrees},  // a digit of the day lost
		{"birth_date", "07 JUN 1", "", undecided}, // the year's digits lost
		{"birth_date", "7 JUN 1961", "", differs},
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
		{"two unsure readings that agree with each other, a misreading of the name", []Reading{{Field: "surname", Text: "OKANKWA", Confidence: 0.1}, {Field: "surname", Text: "OKANKWA", Confidence: 0.1}}, engine.Undetermined},
		{"two unsure readings that agree with each other on its beginning", []Reading{{Field: "surname", Text: "OKON", Confidence: 0.1}, {Field: "surname", Text: "OKONK", Confidence: 0.1}}, engine.Undetermined},
		{"two unsure readings that spell another name", []Reading{{Field: "surname", Text: "DEGARD", Confidence: 0.1}, {Field: "surname", Text: "ODEGARD", Confidence: 0.1}}, engine.Fail},
		{"another name read once", []Reading{{Field: "surname", Text: "ODEGARD", Confidence: 0.1}, {Field: "surname", Text: "SS", Confidence: 0.1}}, engine.Undetermined},
		{"two unsure readings that spell another name, long", []Reading{{Field: "surname", Text: "MULLER-LUDENSCHEIDT", Confidence: 0.18}, {Field: "surname", Text: "MULLER -LUDENSCHEIDT", Confidence: 0.001}}, engine.Fail},
		{"a fragment does not hold back a confident reading", []Reading{{Field: "surname", Text: "J", Confidence: 0.15}, {Field: "surname", Text: "IONESCU", Confidence: 0.74}}, engine.Fail},
		{"two unsure readings that do not", []Reading{{Field: "surname", Text: "AU", Confidence: 0.1}, {Field: "surname", Text: "ODEGARD", Confidence: 0.1}}, engine.Undetermined},
		{"a second reading agrees", []Reading{{Field: "surname", Text: "AU", Confidence: 0.6}, {Field: "surname", Text: "OKONKWO", Confidence: 0.2}}, engine.Pass},
		{"the name's beginning read, the rest too faint", []Reading{{Field: "surname", Text: "OKO", Confidence: 0.9}}, engine.Undetermined},
		{"a shorter name", []Reading{{Field: "surname", Text: "KIM", Confidence: 0.9}}, engine.Fail},
		{"a second reading one letter off", []Reading{{Field: "surname", Text: "TANAKA", Confidence: 0.6}, {Field: "surname", Text: "OKONKVO", Confidence: 0.2}}, engine.Undetermined},
	} {
		if c := checkVIZ(r, tc.rds); c.Status != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, c.Status, c.Reason, tc.want)
		}
	}
}

// chars gives a reading per-character confidences: 0.99 for every rune
// but those at the positions listed, which get 0.3.
func chars(text string, unsure ...int) []float64 {
	cs := make([]float64, len([]rune(text)))
	for i := range cs {
		cs[i] = 0.99
	}
	for _, i := range unsure {
		cs[i] = 0.3
	}
	return cs
}

// TestReadingByChars: a machine reading with unsure characters is
// compared by its sure ones; the unsure ones stand for anything.
func TestReadingByChars(t *testing.T) {
	mrzOf := func(surname string, born time.Time) *mrz.Result {
		return td3MRZ(t, "U4EPKHJ5M", surname, "ANNA", born, day(2035, 1, 14))
	}
	odegard := mrzOf("ØDEGÅRD", day(1993, 9, 20))
	other := mrzOf("SVEINSDOTTIR", day(1994, 9, 15))
	// The English model has no Ø: it read ØD as one unsure D, or Ø as
	// an unsure M, and gave the word confidence 0.
	degard := Reading{Field: "surname", Text: "DEGARD", Confidence: 0.001, Chars: chars("DEGARD", 0)}
	mdegard := Reading{Field: "surname", Text: "MDEGARD", Confidence: 0.001, Chars: chars("MDEGARD", 0)}
	for _, tc := range []struct {
		name string
		r    *mrz.Result
		rds  []Reading
		want engine.Status
	}{
		{"Ø read as part of an unsure D, genuine", odegard, []Reading{degard}, engine.Pass},
		{"Ø read as an unsure M, genuine", odegard, []Reading{mdegard}, engine.Pass},
		{"ØDEGÅRD printed over another name", other, []Reading{degard}, engine.Fail},
		{"the same read without per-character confidences", other, []Reading{{Field: "surname", Text: "DEGARD", Confidence: 0.001}}, engine.Undetermined},
		{"a doubled day's unsure 0, genuine", odegard, []Reading{{Field: "birth_date", Text: "280 SEP 1993", Confidence: 0.95, Chars: chars("280 SEP 1993", 1)}}, engine.Pass},
		{"a doubled day's unsure 0, another date", other, []Reading{{Field: "birth_date", Text: "280 SEP 1993", Confidence: 0.95, Chars: chars("280 SEP 1993", 1)}}, engine.Fail},
		{"one sure digit off and an unsure one", other, []Reading{{Field: "birth_date", Text: "15 SEP 1993", Confidence: 0.6, Chars: chars("15 SEP 1993", 0)}}, engine.Undetermined},
		{"an unsure day and a sure month and year", mrzOf("OKONKWO", day(1989, 1, 13)), []Reading{{Field: "birth_date", Text: "05 JUN 1998", Confidence: 0.6, Chars: chars("05 JUN 1998", 0, 1)}}, engine.Fail},
		{"a date read without the space before its month", mrzOf("OKONKWO", day(1984, 12, 17)), []Reading{{Field: "birth_date", Text: "19MAR 1991", Confidence: 0.9}}, engine.Fail},
		{"an illegible unsure date does not hold back a sure one", mrzOf("OKONKWO", day(1989, 1, 13)),
			[]Reading{{Field: "birth_date", Text: "5 JU 998 SS", Confidence: 0.001}, {Field: "birth_date", Text: "05 JUN 1998", Confidence: 0.6}}, engine.Fail},
		// Too few sure characters: compared whole, as an unsure reading,
		// which neither decides nor holds back a sure one.
		{"too few sure characters", other, []Reading{{Field: "surname", Text: "KTOM", Confidence: 0.001, Chars: chars("KTOM", 1, 2, 3)}}, engine.Undetermined},
		{"too few sure characters beside a sure reading", other, []Reading{{Field: "surname", Text: "KTOM", Confidence: 0.001, Chars: chars("KTOM", 1, 2, 3)},
			{Field: "surname", Text: "ASTROM", Confidence: 0.91}}, engine.Fail},
		{"the national script read alone", mrzOf("ШЕВЧЕНКО", day(1993, 9, 20)), []Reading{{Field: "surname", Text: "AWEBUEHK", Confidence: 0.001, Chars: chars("AWEBUEHK", 0)}}, engine.Undetermined},
		// Document numbers: characters added or lost are the reader's.
		{"a number one sure character off", odegard, []Reading{{Field: "document_number", Text: "U4EPKXJ9M", Confidence: 0.2, Chars: chars("U4EPKXJ9M", 5)}}, engine.Undetermined},
		{"a number two sure characters off", odegard, []Reading{{Field: "document_number", Text: "U4EPWXJ9M", Confidence: 0.2, Chars: chars("U4EPWXJ9M", 5)}}, engine.Fail},
		{"a number with a sure character added", odegard, []Reading{{Field: "document_number", Text: "U4EPKHJ5MW", Confidence: 0.2, Chars: chars("U4EPKHJ5MW", 2)}}, engine.Undetermined},
		{"a number with an unsure character", odegard, []Reading{{Field: "document_number", Text: "U4EPKHJ5M", Confidence: 0.2, Chars: chars("U4EPKHJ5M", 2)}}, engine.Pass},
	} {
		if c := checkVIZ(tc.r, tc.rds); c.Status != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, c.Status, c.Reason, tc.want)
		}
	}
	// A field too unsure to compare is named in the reason.
	c := checkVIZ(other, []Reading{{Field: "given_names", Text: "ANNA", Confidence: 0.9},
		{Field: "surname", Text: "KTOM", Confidence: 0.001, Chars: chars("KTOM", 1, 2, 3)}})
	if c.Status != engine.Pass || !strings.Contains(c.Reason, "too unsure to compare") || !strings.HasSuffix(c.Reason, ": surname") {
		t.Errorf("one field agrees, one unsure: %s (%s)", c.Status, c.Reason)
	}
}

func TestEditCountsSure(t *testing.T) {
	for _, tc := range []struct {
		got    string
		unsure []int
		want   string
		hard   int
	}{
		{"DEGARD", []int{0}, "ODEGARD", 0},   // Ø and D read as one unsure D
		{"MDEGARD", []int{0}, "ODEGARD", 0},  // Ø read as an unsure M
		{"DEGARD", []int{0}, "IONESCU", 3},   // the sure letters differ (D and U look alike)
		{"2?0", []int{1}, "20", 0},           // an unsure character added
		{"ODEGARD", []int{}, "DEGARD", 1},    // a sure one added
		{"OD?GARD", []int{2}, "ODEGAARD", 1}, // one letter lost beside no unsure one
	} {
		sure := make([]bool, len(tc.got))
		for i := range sure {
			sure[i] = true
		}
		for _, i := range tc.unsure {
			sure[i] = false
		}
		if h, _, _ := editCountsSure([]rune(tc.got), sure, []rune(tc.want), ""); h != tc.hard {
			t.Errorf("%q (unsure %v) vs %q: %d hard, want %d", tc.got, tc.unsure, tc.want, h, tc.hard)
		}
	}
}

// FuzzCheckVIZ: readings of any text with any per-character confidences
// (a reader's output is outside bytes) never panic the comparison.
func FuzzCheckVIZ(f *testing.F) {
	f.Add("surname", "DEGARD", 0.001, []byte{20, 99, 99, 99, 99, 99}, "")
	f.Add("birth_date", "280 SEP 1993", 0.9, []byte{99, 40, 99, 99, 99}, "")
	f.Add("birth_date", "19MAR 1991", 0.0, []byte{}, "start")
	f.Add("document_number", "U4 EPK\xffHJ5M", 0.2, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, "end")
	r := td1MRZ(f, "T7592D5A5", "ÅSTRÖM", "ANNA MARIA")
	f.Fuzz(func(t *testing.T, field, text string, conf float64, cs []byte, part string) {
		rd := Reading{Field: field, Text: text, Confidence: conf, Part: part}
		for _, c := range cs {
			rd.Chars = append(rd.Chars, float64(c)/100)
		}
		for _, name := range []string{field, "surname", "given_names", "birth_date", "expiry_date", "document_number"} {
			rd.Field = name
			checkVIZ(r, []Reading{rd, rd})
		}
	})
}

// TestNameCutAtEdge: a two-script name whose Latin part the crop's right
// edge cut, or whose national script alone was read, decides nothing; a
// name printed over another still differs.
func TestNameCutAtEdge(t *testing.T) {
	r := utoMRZ(t, "ЖУКОВСКАЯ", "ЕКАТЕРИНА")
	expectVIZ(t, r, []vizCase{
		{"the Latin part cut", Reading{Field: "given_names", Text: "EKATEPUHA / EKATE", Confidence: 0.9}, engine.Undetermined},
		{"the Latin part cut in its last letter", Reading{Field: "surname", Text: "KYKOBCKAA / ZHUKOVSKAJ", Confidence: 0.9}, engine.Undetermined},
		{"the national script alone", Reading{Field: "surname", Text: "KYKOB", Confidence: 0.91}, engine.Undetermined},
		{"the whole pair", Reading{Field: "given_names", Text: "EKATEPUHA / EKATERINA", Confidence: 0.9}, engine.Pass},
		{"another name, its Latin part cut", Reading{Field: "given_names", Text: "OЛЕНА / OLEN", Confidence: 0.9}, engine.Fail},
		{"another name in the national script", Reading{Field: "surname", Text: "NETPOBA", Confidence: 0.9}, engine.Fail},
		{"too little of the Latin part", Reading{Field: "given_names", Text: "ANHA / A", Confidence: 0.9}, engine.Fail},
	})
}

// TestYearCutShort: a printed year read as its century alone ("19")
// is illegible, not year 2019; a whole other year still differs.
func TestYearCutShort(t *testing.T) {
	r := utoMRZ(t, "OKONKWO", "ANNA") // born 1957-06-07
	for _, tc := range []struct {
		text string
		want engine.Status
	}{
		{"07 JUN 19", engine.Undetermined},
		{"07 JUN 20", engine.Undetermined},
		{"07 JUN 57", engine.Pass},
		{"07 JUN 1975", engine.Fail},
		{"07 JUN 75", engine.Fail},
	} {
		if c := checkVIZ(r, []Reading{{Field: "birth_date", Text: tc.text, Confidence: 0.9}}); c.Status != tc.want {
			t.Errorf("%q: %s (%s), want %s", tc.text, c.Status, c.Reason, tc.want)
		}
	}
}

// TestRoundDigitsAndShortNames: a date whose digits differ only as 0, 6
// and 8, or whose four-digit year is no year of a living person or a
// document, decides nothing; a short name reading at middling
// confidence neither. Other digits, and a confident short name, still
// differ.
func TestRoundDigitsAndShortNames(t *testing.T) {
	r := utoMRZ(t, "OKONKWO", "JIŘÍ") // born 1957-06-07, expires 2035-01-14
	expectVIZ(t, r, []vizCase{
		{"a year 2680", Reading{Field: "birth_date", Text: "07 JUN 2680", Confidence: 0.62}, engine.Undetermined},
		{"a short name at middling confidence", Reading{Field: "given_names", Text: "JRE", Confidence: 0.52}, engine.Undetermined},
		{"a short name read confidently", Reading{Field: "given_names", Text: "BUR", Confidence: 0.9}, engine.Fail},
		{"a longer name at middling confidence", Reading{Field: "given_names", Text: "FATIMA", Confidence: 0.6}, engine.Fail},
	})
	r1940 := td3MRZ(t, "U927N2DN1", "AL-HASHIMI", "PRIYA", day(1940, 11, 10), day(2034, 5, 23))
	expectVIZ(t, r1940, []vizCase{
		{"0 read 8 twice", Reading{Field: "birth_date", Text: "18 NOV 1948", Confidence: 0.85}, engine.Undetermined},
		{"0 read 6 and 8", Reading{Field: "birth_date", Text: "16 NOV 1948", Confidence: 0.85}, engine.Undetermined},
		{"0 read 8 and 0 read 9", Reading{Field: "birth_date", Text: "18 NOV 1949", Confidence: 0.85}, engine.Fail},
		{"0 read 8 twice, typed in", Reading{Field: "birth_date", Text: "18 NOV 1948"}, engine.Fail},
		{"0 read 8 twice, per character", Reading{Field: "birth_date", Text: "18 NOV 1948", Confidence: 0.3, Chars: chars("18 NOV 1948", 3)}, engine.Undetermined},
		{"another date, per character", Reading{Field: "birth_date", Text: "13 NOV 1945", Confidence: 0.3, Chars: chars("13 NOV 1945", 3)}, engine.Fail},
	})
	// Doc 9303 Part 3's transliterations: either spelling agrees.
	for _, tc := range [][2]string{{"SØLVI", "SOELVI"}, {"ÅSA", "AASA"}, {"JÄGER", "JAEGER"}, {"MÜLLER", "MUELLER"}, {"STRAßE", "STRASSE"}} {
		rr := utoMRZ(t, tc[0], "ANNA")
		for _, text := range []string{tc[0], tc[1], singleLetter(tc[0])} {
			if c := checkVIZ(rr, []Reading{{Field: "surname", Text: text, Confidence: 0.9}}); c.Status != engine.Pass {
				t.Errorf("%s printed, MRZ %q: %s (%s)", text, rr.Value(mrz.Surname), c.Status, c.Reason)
			}
		}
	}
}

// TestYearCutShortHoldsNothingBack: an unsure reading whose year was cut
// to its century does not keep a confident reading's difference from
// deciding.
func TestYearCutShortHoldsNothingBack(t *testing.T) {
	r := utoMRZ(t, "OKONKWO", "ANNA") // born 1957-06-07
	c := checkVIZ(r, []Reading{{Field: "birth_date", Text: "28 MAY 19", Confidence: 0.2}, {Field: "birth_date", Text: "28 MAY 1962", Confidence: 0.95}})
	if c.Status != engine.Fail {
		t.Errorf("%s (%s), want FAIL", c.Status, c.Reason)
	}
}

// TestSingleLetterNameAgainstCutMRZ: a printed Ø read as O (SOLVI) agrees
// with an MRZ that spells it OE (SOELVI) also where the MRZ's name field
// lost letters (SOELVIA for SØLVIANNE) or whole given names (SOELVI for
// SØLVI ELIF); another name still differs.
func TestSingleLetterNameAgainstCutMRZ(t *testing.T) {
	for _, tc := range []struct {
		given, read string
		want        engine.Status
	}{
		{"SØLVIANNE", "SOLVIANNE", engine.Pass},
		{"SØLVIANNE", "MARIANNE", engine.Fail},
		{"SØLVI ELIF", "SOLVI ELIF", engine.Pass},
		{"SØLVI ELIF", "MARIA ELIF", engine.Fail},
	} {
		r := utoMRZ(t, "BRØNDUM-KRISTIANSEN-HØJGAARD", tc.given)
		if c := checkVIZ(r, []Reading{{Field: "given_names", Text: tc.read, Confidence: 0.9}}); c.Status != tc.want {
			t.Errorf("%s (MRZ %q) read %q: %s (%s), want %s", tc.given, r.Value(mrz.GivenNames), tc.read, c.Status, c.Reason, tc.want)
		}
	}
}

// vizCase is one reading and the status checkVIZ must give it.
type vizCase struct {
	name string
	rd   Reading
	want engine.Status
}

// expectVIZ checks each case's reading alone against r.
func expectVIZ(t *testing.T, r *mrz.Result, cases []vizCase) {
	t.Helper()
	for _, tc := range cases {
		if c := checkVIZ(r, []Reading{tc.rd}); c.Status != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, c.Status, c.Reason, tc.want)
		}
	}
}

// TestMonthNameByChars: a month read by name, every letter sure, differs
// from the MRZ's by its letters, whatever the digits of the two months'
// numbers (08 and 06 are the font's round digits).
func TestMonthNameByChars(t *testing.T) {
	r := utoMRZ(t, "OKONKWO", "ANNA") // born 07 JUN 1957
	expectVIZ(t, r, []vizCase{
		{"AUG for JUN, day unsure", Reading{Field: "birth_date", Text: "07 AUG 1957", Confidence: 0.8, Chars: chars("07 AUG 1957", 0, 1)}, engine.Fail},
		{"JUL for JUN, one letter", Reading{Field: "birth_date", Text: "07 JUL 1957", Confidence: 0.8, Chars: chars("07 JUL 1957", 0, 1)}, engine.Undetermined},
		{"AUG with an unsure letter", Reading{Field: "birth_date", Text: "07 AUG 1957", Confidence: 0.8, Chars: chars("07 AUG 1957", 0, 4)}, engine.Undetermined},
		{"JUN read right", Reading{Field: "birth_date", Text: "07 JUN 1957", Confidence: 0.8, Chars: chars("07 JUN 1957", 0)}, engine.Pass},
		{"AUG for JUN, the year cut short", Reading{Field: "birth_date", Text: "07 AUG 1", Confidence: 0.44, Chars: chars("07 AUG 1", 7)}, engine.Fail},
		{"JUN, the year cut short", Reading{Field: "birth_date", Text: "07 JUN 1", Confidence: 0.44, Chars: chars("07 JUN 1", 7)}, engine.Undetermined},
	})
}

// TestSurnameOfAFullNameField: an MRZ whose name field is full cut its
// given names, not its surname: the surname is compared character by
// character as any other.
func TestSurnameOfAFullNameField(t *testing.T) {
	r := utoMRZ(t, "KRISHNAMURTHY VENKATARAMAN", "XIAOMEI CHLOE")
	if !r.Warnings.Has(mrz.WarnTruncatedName) {
		t.Fatal("the test's MRZ name is not cut")
	}
	expectVIZ(t, r, []vizCase{
		{"another surname, one letter unsure", Reading{Field: "surname", Text: "PCHATTERJEE", Confidence: 0.001, Chars: chars("PCHATTERJEE", 0)}, engine.Fail},
		{"the surname, one letter unsure", Reading{Field: "surname", Text: "KRISHNAMURTHY VENKATARAMAN", Confidence: 0.001, Chars: chars("KRISHNAMURTHY VENKATARAMAN", 3)}, engine.Pass},
	})
	// A surname cut itself (the given names down to an initial) is not
	// compared so.
	r = utoMRZ(t, "KRISHNAMURTHYVENKATARAMANSUBRAMANIAM", "XIAOMEI")
	expectVIZ(t, r, []vizCase{
		{"against a cut surname", Reading{Field: "surname", Text: "PCHATTERJEE", Confidence: 0.001, Chars: chars("PCHATTERJEE", 0)}, engine.Undetermined},
	})
}

// TestIllegibleDayDigits: a day out of range is the font's round digits
// confused, but digits that are no such confusion of the MRZ's still
// count: three of them are another date.
func TestIllegibleDayDigits(t *testing.T) {
	expectVIZ(t, utoMRZ(t, "OKONKWO", "ANNA"), []vizCase{ // born 07 JUN 1957
		{"0 read 8", Reading{Field: "birth_date", Text: "87 JUN 1957", Confidence: 0.95}, engine.Pass},
		{"0 read 8, a year digit off", Reading{Field: "birth_date", Text: "87 JUN 1958", Confidence: 0.95}, engine.Undetermined},
		{"0 read 9, a year digit off", Reading{Field: "birth_date", Text: "97 JUN 1953", Confidence: 0.95}, engine.Undetermined},
	})
	r := td3MRZ(t, "U4EPKHJ5M", "OKONKWO", "ANNA", day(1954, 10, 15), day(2035, 1, 14))
	expectVIZ(t, r, []vizCase{
		{"another day, a year digit off", Reading{Field: "birth_date", Text: "88 OCT 1959", Confidence: 0.95}, engine.Fail},
	})
}

// TestUnsureDaySidesWithSureDigit: a date with an unsure day and one sure
// digit off is decided by the whole reading when that differs beyond a
// misread digit, with confidence.
func TestUnsureDaySidesWithSureDigit(t *testing.T) {
	r := utoMRZ(t, "OKONKWO", "ANNA") // born 07 JUN 1957
	expectVIZ(t, r, []vizCase{
		{"another day and year", Reading{Field: "birth_date", Text: "12 JUN 1967", Confidence: 0.79, Chars: chars("12 JUN 1967", 0, 1)}, engine.Fail},
		{"the same, unsure", Reading{Field: "birth_date", Text: "12 JUN 1967", Confidence: 0.45, Chars: chars("12 JUN 1967", 0, 1)}, engine.Undetermined},
		{"the year's digit alone", Reading{Field: "birth_date", Text: "07 JUN 1967", Confidence: 0.79, Chars: chars("07 JUN 1967", 0, 1)}, engine.Undetermined},
	})
}

// TestNameReadTwiceAgainstCutMRZ: two unsure readings that agree with
// each other and go on beyond the MRZ's name, given names the zone left
// out, are no other name.
func TestNameReadTwiceAgainstCutMRZ(t *testing.T) {
	r := utoMRZ(t, "MUELLER LUEDENSCHEIDT OSTERHAGE", "ANDREI GUDRUN")
	if got := r.Value(mrz.GivenNames); got != "ANDREI" {
		t.Fatalf("the test's MRZ has given names %q, want ANDREI", got)
	}
	rds := []Reading{{Field: "given_names", Text: "ANORELGUORUN", Confidence: 0.001}, {Field: "given_names", Text: "ANORELGUORUN", Confidence: 0.001}}
	if c := checkVIZ(r, rds); c.Status != engine.Undetermined {
		t.Errorf("%s (%s), want UNDETERMINED", c.Status, c.Reason)
	}
}

// TestNameBeginningMisread: a name read right but for its first letters
// (the crop's left edge) decides nothing; another name does.
func TestNameBeginningMisread(t *testing.T) {
	r := utoMRZ(t, "MCALLISTER", "ANNA")
	expectVIZ(t, r, []vizCase{
		{"two first letters misread", Reading{Field: "surname", Text: "SK ALLISTER", Confidence: 0.54}, engine.Undetermined},
		{"a letter before the name", Reading{Field: "surname", Text: "IMCALLISTER", Confidence: 0.9}, engine.Undetermined},
		{"another name", Reading{Field: "surname", Text: "HOLLISTER", Confidence: 0.9}, engine.Fail},
		{"typed in", Reading{Field: "surname", Text: "SKALLISTER"}, engine.Fail},
	})
}

// TestStartOfNameAgainstCutMRZ: a name read in part (its start in view)
// against an MRZ whose full name field cut the given names is compared up
// to the MRZ's length only: BJORN for the MRZ's BJ decides nothing (two
// letters), ANNA-KARIN MARGARETA agrees with ANNA<KARIN<M, another name
// still differs.
func TestStartOfNameAgainstCutMRZ(t *testing.T) {
	td1 := func(surname, given string) *mrz.Result { return td1MRZ(t, "T7592D5A5", surname, given) }
	start := func(field, text string) Reading {
		return Reading{Field: field, Text: text, Confidence: 0.9, Part: "start"}
	}
	expectVIZ(t, td1("VANDERWESTHUIZEN-LINDQVIST", "BJORN"), []vizCase{
		{"the MRZ's two letters", start("given_names", "BJORN"), engine.Undetermined},
	})
	expectVIZ(t, td1("VANDERWESTHUIZEN", "ANNA-KARIN MARGARETA"), []vizCase{
		{"the name the MRZ cut", start("given_names", "ANNA-KARIN MARGARETA"), engine.Pass},
		{"another name", start("given_names", "BRITT-MARIE SOFIA"), engine.Fail},
	})
}

// TestNineReadAsLetter: a document number whose 9s are read O or I, with
// every other character right, decides nothing; another character in
// their place still differs.
func TestNineReadAsLetter(t *testing.T) {
	r := td1MRZ(t, "V88T9N9AP", "OKONKWO", "ANNA")
	number := func(text string) Reading {
		return Reading{Field: "document_number", Text: text, Confidence: 0.9}
	}
	expectVIZ(t, r, []vizCase{
		{"9s read I", number("V88TINIAP"), engine.Pass},
		{"9s read O", number("V88TONOAP"), engine.Pass},
		{"9s replaced by other letters", number("V88TKNWAP"), engine.Fail},
	})
}

// TestShortNameBeforeThumb: a short name read whole and surely in front of
// a thumb (only the field's beginning seen) differs when every letter
// differs from the MRZ's beginning; the MRZ's beginning (two letters once
// the one at the cut is left out), a letter alike, a look-alike or an
// unsure reading decide nothing.
func TestShortNameBeforeThumb(t *testing.T) {
	r := td3MRZ(t, "ULZV83L55", "BEN SALEM", "NATALIA", day(2007, 11, 24), day(2033, 3, 3))
	start := func(text string, conf float64, ch []float64) Reading {
		return Reading{Field: "surname", Text: text, Confidence: conf, Chars: ch, Part: "start"}
	}
	sure := []float64{0.99, 0.99, 0.99}
	expectVIZ(t, r, []vizCase{
		{"another name", start("KIM", 0.97, sure), engine.Fail},
		{"the MRZ's beginning", start("BEN", 0.97, sure), engine.Undetermined},
		{"one letter the same", start("BIM", 0.97, sure), engine.Undetermined},
		{"a look-alike", start("KEM", 0.97, sure), engine.Undetermined},
		{"a letter unsure", start("KIM", 0.97, []float64{0.99, 0.5, 0.99}), engine.Undetermined},
		{"unsure word", start("KIM", 0.4, sure), engine.Undetermined},
	})
	// The national script of a Cyrillic name read as Latin: ИВА for IVANOVA.
	expectVIZ(t, td3MRZ(t, "ULZV83L55", "IVANOVA", "NATALIA", day(2007, 11, 24), day(2033, 3, 3)), []vizCase{
		{"Cyrillic look", start("UBA", 0.97, sure), engine.Undetermined},
	})
}

// TestDayMonthBesideMisreadYear: a date whose year is misread beyond
// 1900-2099 is compared by its day and month: three differences (day
// digits other than round ones, a month name's letters) are another
// date; a day misread by two digits beside the right month is not.
func TestDayMonthBesideMisreadYear(t *testing.T) {
	r := td3MRZ(t, "TJ4WUL2LV", "SHCHERBAKOV", "JUERGEN", day(2007, 11, 8), day(2031, 5, 19))
	born := func(text string) Reading {
		return Reading{Field: "birth_date", Text: text, Confidence: 0.68, Chars: chars(text)}
	}
	expectVIZ(t, r, []vizCase{
		{"another day and month", born("12 DEC 2619"), engine.Fail},
		{"another day, the month by number", born("12.03.2619"), engine.Fail},
		{"the day misread, the month right", born("12 NOV 2619"), engine.Undetermined},
		{"the day and month right", born("08 NOV 2607"), engine.Undetermined},
		{"one day digit", born("09 NOV 2607"), engine.Undetermined},
	})
	// Unsure readings decide nothing.
	unsure := born("12 DEC 2619")
	unsure.Confidence = 0.3
	expectVIZ(t, r, []vizCase{{"unsure", unsure, engine.Undetermined}})
}

// TestNameFalseAlarmsOfTuning: three genuine names read wrong on tuning
// captures decide nothing; other names in their place still differ.
func TestNameFalseAlarmsOfTuning(t *testing.T) {
	given := func(text string) Reading { return Reading{Field: "given_names", Text: text, Confidence: 0.9} }
	// A given name the zone cut (INGRID IO), its I read T.
	r := td1MRZ(t, "T7592D5A5", "KRISHNAMURTHYVENKAT", "INGRID IOANA")
	if g := r.Value(mrz.GivenNames); g != "INGRID IO" {
		t.Fatalf("MRZ given names %q, want INGRID IO", g)
	}
	expectVIZ(t, r, []vizCase{
		{"the cut name", given("INGRID IOANA"), engine.Pass},
		{"the cut name, I read T", given("INGRID TOANA"), engine.Undetermined},
		{"another name", given("BRITT MARIE"), engine.Fail},
	})
	// ТАРАС / TARAS read without its slash.
	r = td3MRZ(t, "UF5ABG46M", "OKONKWO", "TARAS", day(1958, 3, 23), day(2028, 4, 18))
	expectVIZ(t, r, []vizCase{
		{"slash lost", given("TAPAC TARAS"), engine.Undetermined},
		{"another name before the MRZ's", given("PETRO TARAS"), engine.Fail},
	})
	// The end of OSULLIVAN read where its beginning was thought seen.
	r = td3MRZ(t, "UF5ABG46M", "OSULLIVAN", "ANNA", day(1958, 3, 23), day(2028, 4, 18))
	start := func(text string) Reading {
		return Reading{Field: "surname", Text: text, Confidence: 0.56, Chars: chars(text), Part: "start"}
	}
	expectVIZ(t, r, []vizCase{
		{"the name's end", start("LUIVAN"), engine.Undetermined},
		{"another name", start("KOWALSKI"), engine.Fail},
	})
}

// TestMoreTuningFalseAlarms: a two-script given name seen in part is
// compared by its Latin part up to the length of an MRZ that cut it (to
// two letters: too few to tell), and a date whose day has a letter in
// it decides nothing; another name or day still differs.
func TestMoreTuningFalseAlarms(t *testing.T) {
	r := td1MRZ(t, "TZZ7RK221", "KRISHNAMURTHY VENKATARAMAN", "ТАРАС")
	if g := r.Value(mrz.GivenNames); g != "TA" {
		t.Fatalf("MRZ given names %q, want TA", g)
	}
	start := func(text string) Reading {
		return Reading{Field: "given_names", Text: text, Confidence: 0.97, Chars: chars(text), Part: "start"}
	}
	expectVIZ(t, r, []vizCase{
		// Two letters once the one at the cut is left out: too few.
		{"the pair, the MRZ cut to TA", start("TAPAC / TARAS"), engine.Undetermined},
	})
	r = td1MRZ(t, "TZZ7RK221", "KRISHNAMURTHYVENKATARAMA", "ТАРАС")
	if g := r.Value(mrz.GivenNames); g != "TARA" {
		t.Fatalf("MRZ given names %q, want TARA", g)
	}
	expectVIZ(t, r, []vizCase{
		{"the pair, the MRZ cut to TARA", start("TAPAC / TARAS"), engine.Pass},
		{"another pair", start("ПЕТРО / PETRO"), engine.Fail},
	})
	r = td3MRZ(t, "U4AYEYZA6", "OSULLIVAN", "NATALIA", day(1953, 7, 16), day(2031, 9, 13))
	expires := func(text string) Reading { return Reading{Field: "expiry_date", Text: text, Confidence: 0.51} }
	expectVIZ(t, r, []vizCase{
		{"a letter in the day", expires("1Y SEP 2031"), engine.Undetermined},
		{"another day", expires("21 SEP 2031"), engine.Fail},
	})
}
