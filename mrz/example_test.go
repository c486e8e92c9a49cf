package mrz_test

import (
	"fmt"
	"time"

	"checkpost/mrz"
)

func Example() {
	r, err := mrz.Parse(`P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<
L898902C36UTO7408122F1204159ZE184226B<<<<<10`,
		mrz.WithReferenceDate(time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Format, r.Valid)
	fmt.Println(r.Value(mrz.Surname), "/", r.Value(mrz.GivenNames))
	fmt.Println(r.Field(mrz.BirthDate).Date, r.Field(mrz.ExpiryDate).Date)
	fmt.Println(r.Field(mrz.DocumentNumber).Span)
	for _, w := range r.Warnings.List() {
		fmt.Println("warning:", w)
	}
	// Output:
	// TD3 true
	// ERIKSSON / ANNA MARIA
	// 1974-08-12 2012-04-15
	// line 2, positions 1-9
	// warning: specimen
}

func ExampleParse_invalid() {
	// The birth date's check digit was changed from 2 to 8.
	r, _ := mrz.Parse("I<UTOD231458907<<<<<<<<<<<<<<<\n7408128F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<")
	for _, f := range r.Errors() {
		fmt.Printf("%s: %s (%s, expected %c)\n", f.Name, f.Code, f.ErrorSpan, f.Expected)
	}
	// Output:
	// birth_date_check: check_digit (line 2, position 7, expected 2)
	// composite_check: check_digit (line 2, position 30, expected 4)
}

func ExampleRepair() {
	// An OCR reading with O for 0 in the birth date and 5 for S in the name.
	rep, err := mrz.Repair([]string{
		"P<UTOERIK5SON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO74O8122F1204159ZE184226B<<<<<10",
	}, nil)
	if err != nil {
		panic(err)
	}
	for _, c := range rep.Corrections {
		fmt.Println(c)
	}
	fmt.Println(rep.Result.Valid)
	// Output:
	// line 1 position 10 (surname): '5' -> 'S' (character_class)
	// line 2 position 16 (birth_date): 'O' -> '0' (character_class)
	// true
}

func ExampleRepair_alternatives() {
	// The OCR engine read the check digit of the document number as 8 but
	// also proposed 6: the alternative that validates is taken.
	alts := make(mrz.Alternatives, 2)
	alts[1] = make([][]mrz.Candidate, 44)
	alts[1][9] = []mrz.Candidate{{Char: '8', Score: 0.55}, {Char: '6', Score: 0.40}}
	rep, _ := mrz.Repair([]string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C38UTO7408122F1204159ZE184226B<<<<<10",
	}, alts)
	fmt.Println(rep.Corrections[0], rep.Result.Valid)
	// Output:
	// line 2 position 10 (document_number_check): '8' -> '6' (check_digit) true
}

func ExampleGenerate() {
	lines, err := mrz.Generate(mrz.Document{
		Format:         mrz.TD3,
		IssuingState:   "D",
		DocumentNumber: "C01X00T47",
		Surname:        "Müller-Lüdenscheidt",
		GivenNames:     "Jürgen Åke",
		Nationality:    "D",
		Sex:            "M",
		BirthDate:      time.Date(1964, 8, 12, 0, 0, 0, 0, time.UTC),
		ExpiryDate:     time.Date(2031, 10, 31, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// P<D<<MUELLER<LUEDENSCHEIDT<<JUERGEN<AAKE<<<<
	// C01X00T478D<<6408125M3110315<<<<<<<<<<<<<<<2
}

func ExampleTransliterate() {
	fmt.Println(mrz.Transliterate("Ægir Þórsson"))
	fmt.Println(mrz.Transliterate("Щербаков Юрий"))
	fmt.Println(mrz.Transliterate("O'Brien, Seán"))
	// Output:
	// AEGIR<THORSSON
	// SHCHERBAKOV<IURII
	// OBRIEN<SEAN
}
