package mrz

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The corruptions a reader makes, as (true character, misread) pairs;
// for letters in letter fields and digits in digit fields the misread is
// outside the class, so the class tells the truth back.
var misreads = map[byte]string{
	'0': "ODQ", '1': "I", '8': "B", '5': "S", '2': "Z", '6': "G",
	'O': "0", 'I': "1", 'B': "8", 'S': "5", 'Z': "2", 'G': "6",
}

// TestRepairSingleMisread corrupts one character of random generated
// zones with a look-alike and repairs them: the outcome must be the
// original zone, or an ambiguity whose options include the original;
// never another zone. Class-protected fields (dates, check digits, codes,
// names) must come back exactly.
func TestRepairSingleMisread(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	exact, ambiguous, tried := 0, 0, 0
	for tried < 3000 {
		d := randomDocument(rng)
		lines, err := Generate(d)
		if err != nil {
			t.Fatal(err)
		}
		li, col := rng.IntN(len(lines)), rng.IntN(len(lines[0]))
		mis := misreads[lines[li][col]]
		if mis == "" {
			continue
		}
		tried++
		bad := append([]string(nil), lines...)
		b := []byte(bad[li])
		b[col] = mis[rng.IntN(len(mis))]
		bad[li] = string(b)
		rep, err := Repair(bad, nil, testRef)
		if err != nil {
			t.Fatalf("%q: %v", bad, err)
		}
		got := strings.Join(rep.Lines, "\n")
		want := strings.Join(lines, "\n")
		if got == want {
			exact++
			continue
		}
		found := false
		for _, a := range rep.Ambiguities {
			for _, o := range a.Options {
				for _, c := range o.Changes {
					if c.Line == li && c.Column == col && c.To == lines[li][col] {
						found = true
					}
				}
			}
		}
		cls := (&repairer{format: d.Format}).classAt(cell{li, col})
		if (d.Format == MRVA || d.Format == MRVB) && li == 1 && col >= 28 && got == strings.Join(bad, "\n") {
			continue // visa optional data: no check digit covers it
		}
		if cls == classAlnum && charValue[b[col]]%10 == charValue[lines[li][col]]%10 && got == strings.Join(bad, "\n") {
			continue // G for 6 in an alphanumeric field: 7-3-1 cannot see it
		}
		if !found || cls != classAlnum {
			t.Fatalf("misread %q at line %d col %d (class %d) repaired wrongly:\nbad  %s\ngot  %s\nwant %s\ncorrections %v\nambiguities %+v",
				b[col], li+1, col+1, cls, strings.Join(bad, "\n"), got, want, rep.Corrections, rep.Ambiguities)
		}
		ambiguous++
	}
	t.Logf("%d misreads: %d repaired exactly, %d reported ambiguous", tried, exact, ambiguous)
	if exact < tried*8/10 {
		t.Errorf("only %d of %d repaired exactly", exact, tried)
	}
}

func TestRepairFillerK(t *testing.T) {
	rep, err := Repair([]string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<K<<<<<<KK<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}, nil, testRef)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Result.Valid || rep.Lines[0] != "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<" || len(rep.Corrections) != 3 {
		t.Fatalf("%q %v", rep.Lines, rep.Corrections)
	}
	for _, c := range rep.Corrections {
		if c.Reason != ReasonFiller || c.From != 'K' || c.To != '<' {
			t.Errorf("correction %v", c)
		}
	}
}

func TestRepairShape(t *testing.T) {
	// Lower case, blanks between characters, trailing fillers lost.
	rep, err := Repair([]string{
		"p<utoeriksson<<anna<maria",
		"L898902C36 UTO7408122F1204159ZE184226B<<<<<10",
	}, nil, testRef)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Result.Valid || rep.Result.Format != TD3 {
		t.Fatalf("%q: %v", rep.Lines, fieldErrors(rep.Result))
	}
	if _, err := Repair([]string{"hello", "world"}, nil); err == nil {
		t.Fatal("repaired two words into a zone")
	}
}

func TestRepairStateCode(t *testing.T) {
	// D<< read as 0<<, and UTO read as UT0: the class makes 0 a letter,
	// and only D (not O or Q) gives a valid code.
	rep, err := Repair([]string{
		"P<0<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<",
		"C01X0006H1D<<6408125F1710319<<<<<<<<<<<<<<<0",
	}, nil, testRef)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Result.Valid || rep.Result.Value(IssuingState) != "D" {
		t.Fatalf("%q %v %v", rep.Lines, rep.Corrections, fieldErrors(rep.Result))
	}
}

// TestRepairAmbiguity: visas have no composite check digit, so a misread
// in the document number may have several look-alike fixes that satisfy
// its check digit. Repair must leave the number as read and list the
// options, the true one among them.
func TestRepairAmbiguity(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for try := 0; try < 2000; try++ {
		d := randomDocument(rng)
		d.Format = MRVB
		d.DocumentNumber = randText(rng, "0123456789OIBSZG", 9)
		d.OptionalData, d.LongNumberFillerIncluded = "", false
		lines, err := Generate(d)
		if err != nil {
			t.Fatal(err)
		}
		col := rng.IntN(9)
		mis := misreads[lines[1][col]]
		if mis == "" {
			continue
		}
		b := []byte(lines[1])
		b[col] = mis[0]
		rep, err := Repair([]string{lines[0], string(b)}, nil, testRef)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Ambiguities) == 0 {
			continue
		}
		a := rep.Ambiguities[0]
		if a.Field != DocumentNumberCheck || len(a.Options) < 2 || rep.Lines[1] != string(b) || rep.Result.Valid {
			t.Fatalf("ambiguity %+v, lines %q", a, rep.Lines)
		}
		for _, o := range a.Options {
			if strings.HasPrefix(lines[1], o.Text) {
				return
			}
		}
		t.Fatalf("the true number %s is not among the options %+v", lines[1][:10], a.Options)
	}
	t.Fatal("no ambiguous misread found in 2000 tries")
}

// TestRepairScores: with the OCR engine's alternatives, the options of an
// ambiguity are sorted by score, and changing a cell the engine was sure
// of (no alternatives) costs more than taking a proposed alternative.
func TestRepairScores(t *testing.T) {
	alts := make(Alternatives, 2)
	alts[1] = make([][]Candidate, 36)
	alts[1][9] = []Candidate{{'3', 0.5}, {'4', 0.45}, {'5', 0.05}}
	// The check digit was read as ?: its best alternative 3 fails, 4 (the
	// true one) validates, and so do two look-alike changes of 8 to B in
	// the number.
	rep, err := Repair([]string{"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C?XXX4009078F9612109<<<<<<<<"}, alts, testRef)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ambiguities) != 1 || rep.Result.Valid {
		t.Fatalf("lines %q corrections %v ambiguities %+v", rep.Lines, rep.Corrections, rep.Ambiguities)
	}
	opts := rep.Ambiguities[0].Options
	if len(opts) < 2 || opts[0].Text != "L8988901C4" {
		t.Fatalf("options %+v", opts)
	}
	for i := 1; i < len(opts); i++ {
		if opts[i].Score > opts[i-1].Score {
			t.Errorf("options not sorted by score: %+v", opts)
		}
	}
}

// TestRepairLongNumberOtherRule: O read as 0 in a long document number
// whose misread satisfies the other long-number rule (the < at position
// 15 left out of the check instead of included): only the composite check
// sees it, and repair must offer the true reading.
func TestRepairLongNumberOtherRule(t *testing.T) {
	bad := []string{"I<RUS0OZMAVL27<KWK60<G6FP8<<<<", "5205040X2709260GBR<<<<<<<<<<<4", "IVANOV<<KOWALSKA<KWIATKOWSKA<I"}
	rep, err := Repair(bad, nil, testRef)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Lines, "") == strings.Join(bad, "") && len(rep.Ambiguities) == 0 {
		t.Fatalf("left invalid with no ambiguity reported")
	}
	ok := false
	for _, a := range rep.Ambiguities {
		for _, o := range a.Options {
			if strings.HasPrefix(o.Text, "OOZMAVL27") {
				ok = true
			}
		}
	}
	if rep.Lines[0][5] == 'O' && rep.Result.Valid {
		ok = true
	}
	if !ok {
		t.Fatalf("true reading not offered: lines %q, ambiguities %+v", rep.Lines, rep.Ambiguities)
	}
}
