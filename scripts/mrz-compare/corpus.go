package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"checkpost/mrz"
)

var (
	names = []string{"Eriksson", "Müller", "Dvořák", "Øster", "Ångström", "Łukasz", "García", "Nguyễn", "O'Neil", "Smith",
		"van der Berg", "Иванов", "Юлия", "محمد", "José María", "Anna", "Peter John", "Li", "Kowalska-Kwiatkowska", "Þór"}
	// Codes that checkpost accepts as Doc 9303 Part 3 codes besides ISO
	// 3166-1 (each zone of kind icao_code uses one).
	icaoOnly = []string{"D", "EUE", "UNO", "UNA", "UNK", "XXA", "XXB", "XXC", "XXX", "XOM", "XPO", "XCC", "XBA", "GBD", "GBN", "RKS", "ANT", "NTZ"}
	formats  = []mrz.Format{mrz.TD1, mrz.TD2, mrz.TD3, mrz.TD3, mrz.MRVA, mrz.MRVB, mrz.FrenchID}
	// The misreads of OCR-B (true character -> read as).
	lookalikes = map[byte]string{'0': "ODQ", '1': "I", '8': "B", '5': "S", '2': "Z", '6': "G",
		'O': "0", 'I': "1", 'B': "8", 'S': "5", 'Z': "2", 'G': "6", 'D': "0", 'Q': "0", '<': "K"}
	kinds = []string{"check_digit", "ocr_lookalike", "bad_code", "specimen_code", "icao_code", "bad_date", "sex_x",
		"long_number_filler", "filler_k", "lower_case", "line_length"}
)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func text(rng *rand.Rand, chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rng.IntN(len(chars))]
	}
	return string(b)
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// document returns random fields of format f that mrz.Generate accepts.
func document(rng *rand.Rand, f mrz.Format) mrz.Document {
	iso := mrz.ValidCodes()[:249] // ISO 3166-1 codes come first
	d := mrz.Document{
		Format:         f,
		IssuingState:   iso[rng.IntN(len(iso))],
		Nationality:    iso[rng.IntN(len(iso))],
		DocumentNumber: text(rng, alnum, 6+rng.IntN(4)),
		Surname:        names[rng.IntN(len(names))],
		GivenNames:     names[rng.IntN(len(names))] + " " + names[rng.IntN(len(names))],
		Sex:            []string{"M", "F", "M", "F", ""}[rng.IntN(5)],
		BirthDate:      date(1930+rng.IntN(95), 1+rng.IntN(12), 1+rng.IntN(28)),
		ExpiryDate:     date(2026+rng.IntN(10), 1+rng.IntN(12), 1+rng.IntN(28)),
	}
	if rng.IntN(2) == 0 && f != mrz.FrenchID {
		d.OptionalData = text(rng, alnum, 1+rng.IntN(5))
	}
	if f == mrz.FrenchID {
		d.IssuingState, d.Nationality, d.ExpiryDate = "FRA", "", time.Time{}
		d.DocumentNumber = d.BirthDate.AddDate(20, 0, 0).Format("0601") + text(rng, "ABCDEFGHJKLMNPRSTUVWXYZ0123456789", 3) + text(rng, "0123456789", 5)
		d.OptionalData = text(rng, alnum, 6)
	}
	return d
}

// generate makes n zones: half clean, half with one corruption each.
func generate(n int, seed uint64) []zone {
	rng := rand.New(rand.NewPCG(seed, 0x6d727a))
	out := make([]zone, 0, n)
	for len(out) < n {
		f := formats[rng.IntN(len(formats))]
		d := document(rng, f)
		kind := "clean"
		if rng.IntN(2) == 0 {
			kind = kinds[rng.IntN(len(kinds))]
		}
		z, ok := corrupt(rng, d, kind)
		if ok {
			out = append(out, z)
		}
	}
	return out
}

func mustGenerate(d mrz.Document) []string {
	lines, err := mrz.Generate(d)
	if err != nil {
		panic(fmt.Sprintf("%+v: %v", d, err))
	}
	return lines
}

// corrupt applies one corruption; ok is false when it does not apply to
// the document (e.g. a long number on a TD3).
func corrupt(rng *rand.Rand, d mrz.Document, kind string) (zone, bool) {
	z := zone{kind: kind}
	switch kind {
	case "specimen_code":
		d.IssuingState, d.Nationality = "UTO", "UTO"
		if d.Format == mrz.FrenchID {
			return z, false
		}
	case "icao_code":
		if d.Format == mrz.FrenchID {
			return z, false
		}
		z.detail = icaoOnly[rng.IntN(len(icaoOnly))]
		if rng.IntN(2) == 0 {
			d.IssuingState = z.detail
		} else {
			d.Nationality = z.detail
		}
	case "sex_x":
		d.Sex = "X"
	case "long_number_filler":
		if d.Format != mrz.TD1 && d.Format != mrz.TD2 {
			return z, false
		}
		d.DocumentNumber = text(rng, alnum, 10+rng.IntN(3))
		d.OptionalData = ""
		d.LongNumberFillerIncluded = rng.IntN(2) == 0
		z.detail = fmt.Sprint("filler included ", d.LongNumberFillerIncluded)
	}
	z.lines = mustGenerate(d)
	lines := make([][]byte, len(z.lines))
	for i, l := range z.lines {
		lines[i] = []byte(l)
	}
	switch kind {
	case "check_digit":
		// One check digit of the zone gets another digit.
		p := mrz.NewParser(mrz.WithReferenceDate(ref))
		r, _ := p.ParseLines(z.lines)
		var checks []*mrz.Field
		for _, n := range []mrz.FieldName{mrz.DocumentNumberCheck, mrz.BirthDateCheck, mrz.ExpiryDateCheck, mrz.OptionalDataCheck, mrz.CompositeCheck} {
			if f := r.Field(n); f != nil && f.Raw != "<" {
				checks = append(checks, f)
			}
		}
		f := checks[rng.IntN(len(checks))]
		c := &lines[f.Span.Line][f.Span.Start]
		*c = byte('0' + (int(*c-'0')+1+rng.IntN(9))%10)
		z.detail = f.Name.String()
	case "ocr_lookalike":
		for {
			li, col := rng.IntN(len(lines)), rng.IntN(len(lines[0]))
			if mis := lookalikes[lines[li][col]]; mis != "" {
				lines[li][col] = mis[rng.IntN(len(mis))]
				z.detail = fmt.Sprintf("line %d col %d", li+1, col+1)
				break
			}
		}
	case "bad_code":
		for {
			c := text(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 3)
			if !mrz.ValidCode(c) {
				copy(lines[0][2:5], c)
				z.detail = c
				break
			}
		}
	case "bad_date":
		// Month 13 or day 32 in the birth date, check digits recomputed.
		p := mrz.NewParser(mrz.WithReferenceDate(ref))
		r, _ := p.ParseLines(z.lines)
		bf := r.Field(mrz.BirthDate)
		row := lines[bf.Span.Line]
		if rng.IntN(2) == 0 {
			copy(row[bf.Span.Start+2:], "13")
			z.detail = "month 13"
		} else {
			copy(row[bf.Span.Start+4:], "32")
			z.detail = "day 32"
		}
		fixChecks(lines, []mrz.FieldName{mrz.BirthDateCheck, mrz.CompositeCheck})
	case "filler_k":
		// A K among the fillers after the name (the last name line).
		l := lines[len(lines)-1]
		if d.Format == mrz.TD3 || d.Format == mrz.TD2 || d.Format == mrz.MRVA || d.Format == mrz.MRVB {
			l = lines[0]
		}
		if l[len(l)-1] != '<' || l[len(l)-2] != '<' {
			return z, false
		}
		l[len(l)-1-rng.IntN(2)] = 'K'
	case "lower_case":
		li, col := rng.IntN(len(lines)), rng.IntN(len(lines[0]))
		c := lines[li][col]
		if c < 'A' || c > 'Z' {
			return z, false
		}
		lines[li][col] = c - 'A' + 'a'
	case "line_length":
		li := rng.IntN(len(lines))
		lines[li] = lines[li][:len(lines[li])-1]
	}
	for i := range lines {
		z.lines[i] = string(lines[i])
	}
	return z, true
}

// fixChecks sets each named check digit to the digit that makes it valid
// (trying the ten digits), so that a corruption leaves only the error it
// means to make.
func fixChecks(lines [][]byte, checks []mrz.FieldName) {
	p := mrz.NewParser(mrz.WithReferenceDate(ref))
	strs := func() []string {
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = string(l)
		}
		return out
	}
	for _, n := range checks {
		r, err := p.ParseLines(strs())
		if err != nil || r.Field(n) == nil {
			continue
		}
		sp := r.Field(n).Span
		for dgt := byte('0'); dgt <= '9'; dgt++ {
			lines[sp.Line][sp.Start] = dgt
			r, _ := p.ParseLines(strs())
			if f := r.Field(n); f.Code != mrz.ErrCheckDigit {
				break
			}
		}
	}
}

// explain names the class of a disagreement and says why the parsers
// differ. The classes were written after reading the disagreements of a
// first run; anything else is marked UNEXPLAINED with both verdicts.
func explain(z zone, ours, theirs verdict) (key, why string) {
	o := strings.Join(ours.fields, ",")
	if ours.err != "" {
		o = ours.err
	}
	t := strings.Join(theirs.fields, ",")
	if theirs.err != "" {
		t = "throws: " + theirs.err
	}
	has := func(s, sub string) bool { return strings.Contains(s, sub) }
	visa := ours.format == "MRV-A" || ours.format == "MRV-B"
	if ours.valid {
		switch {
		case visa && z.kind != "clean":
			return "checkpost valid, npm invalid: visa (no npm format) with a corruption no check digit can see",
				"npm has no visa formats (it reads them as TD3/TD2 and fails the V code and the absent composite digit); " +
					"on checkpost's side the corruption is valid or invisible on a visa: sex X, UTO and the other Doc 9303 codes are valid, " +
					"and a visa has no composite digit, so a look-alike or a K in the name or optional data cannot be detected"
		case visa:
			return "checkpost valid, npm invalid: visa format",
				"npm mrz has no visa formats (Doc 9303 Part 7): it reads an MRV-A as TD3 and an MRV-B as TD2, so the V document code and the missing composite check digit fail there"
		case z.kind == "specimen_code" && (has(t, "issuingState") || has(t, "nationality")):
			return "checkpost valid, npm invalid: state code UTO",
				"npm's state table lacks UTO (Utopia, Doc 9303 Part 3 Part G, the code of every ICAO specimen); checkpost accepts it and warns 'specimen'"
		case z.kind == "icao_code" && (has(t, "issuingState") || has(t, "nationality")):
			return "checkpost valid, npm invalid: Doc 9303 code " + z.detail,
				"npm's state table lacks the Doc 9303 Part 3 code " + z.detail + "; checkpost's table has every code of icao_codes.tsv"
		case z.kind == "sex_x" && t == "sex":
			return "checkpost valid, npm invalid: sex X",
				"npm accepts only M, F and < for sex; Doc 9303 (7th edition on) allows X, which checkpost accepts with a warning"
		case t == "firstName" && ours.fields == nil:
			return "checkpost valid, npm invalid: no given names",
				"npm rejects a name without a secondary identifier; Doc 9303 allows a primary identifier alone (here a K read for the first < of the << separator made the whole name one identifier, which no check digit covers)"
		case z.kind == "long_number_filler" && z.detail == "filler included true":
			return "checkpost valid, npm invalid: long number, issuer's check rule",
				"the issuer computed the long document number's check digit with the < at the check-digit position (as Belgium does); npm knows only the ICAO rule, checkpost accepts both and says which matched"
		}
	} else {
		switch {
		case (z.kind == "filler_k" || z.kind == "ocr_lookalike") && (has(o, "given_names:filler") || has(o, "surname:filler")):
			return "checkpost invalid, npm valid: K among the fillers after the name",
				"a K read for a < after the name: npm takes it as part of the name, checkpost rejects letters after the trailing filler (Doc 9303: the name ends with fillers); --repair turns it back into <"
		case z.kind == "ocr_lookalike" && has(o, "invalid_character") && !has(o, "check_digit"):
			return "checkpost invalid, npm valid: look-alike outside the field's class",
				"a look-alike (0 for O, 1 for I...) in a field no check digit covers: npm checks such fields less strictly, checkpost requires each field's class (letters only in names, codes and sex)"
		}
	}
	return fmt.Sprintf("UNEXPLAINED [%s] checkpost valid=%v %s; npm valid=%v format %s %s", z.kind, ours.valid, o, theirs.valid, theirs.format, t),
		"UNEXPLAINED: checkpost says " + o + "; npm says " + t
}
