package mrz

import (
	"fmt"
	"strings"
	"time"
)

// Document holds the fields from which Generate builds a zone. Names may
// be written in any script: Generate transliterates them.
type Document struct {
	Format Format
	// DocumentCode is P, I, ID, V, AC, ...; empty means the format's usual
	// code (P for TD3, I for TD1 and TD2, V for visas, ID for the French card).
	DocumentCode string
	// IssuingState and Nationality are three-letter codes ("D" for
	// Germany is written D<<). The French card has no nationality field.
	IssuingState string
	// DocumentNumber may exceed nine characters on TD1, TD2 and visas: it
	// then continues in the optional data (Doc 9303 long numbers). The
	// French card's number has twelve.
	DocumentNumber string
	Surname        string
	GivenNames     string
	Nationality    string
	// Sex is M, F, X, or empty (written <).
	Sex string
	// OptionalData is the optional data of TD1 line 1, TD2 and visas, the
	// personal number of TD3, or the French card's administrative code.
	OptionalData string
	// OptionalData2 is the optional data of TD1 line 2.
	OptionalData2 string
	// BirthDate zero is written <<<<<< (unknown).
	BirthDate time.Time
	// ExpiryDate is required except on the French card, which has none.
	ExpiryDate time.Time
	// LongNumberFillerIncluded computes a long document number's check
	// digit with the < at the check-digit position, as some issuers do,
	// instead of the ICAO 8th edition rule.
	LongNumberFillerIncluded bool
}

// Generate builds the zone of d, line by line. Names are transliterated
// (Transliterate) and truncated to fit; codes, numbers and optional data
// must already be MRZ characters (letters, digits, <; lower case and
// spaces are converted). An error says which field cannot be written.
func Generate(d Document) ([]string, error) {
	f := d.Format
	if f == UnknownFormat || f.Lines() == 0 {
		return nil, fmt.Errorf("mrz: generate: unknown format %v", f)
	}
	w := f.LineLength()
	lines := make([][]byte, f.Lines())
	for i := range lines {
		lines[i] = []byte(strings.Repeat("<", w))
	}
	lay := &layouts[f]
	put := func(p pos, s string) { copy(lines[p.line][p.start:p.end], s) }

	code := d.DocumentCode
	if code == "" {
		code = map[Format]string{TD1: "I", TD2: "I", TD3: "P", MRVA: "V", MRVB: "V", FrenchID: "ID"}[f]
	}
	// The second character may be a digit, as some issuers print it (a
	// warning when parsed); the first is a letter.
	code, err := mrzText("document code", code, 2, classAlnum)
	if err != nil {
		return nil, err
	}
	if code == "" || !classAlpha.allows(code[0]) || code[0] == '<' {
		return nil, fmt.Errorf("mrz: generate: document code %q: its first character must be a letter", d.DocumentCode)
	}
	put(lay.code, code)
	state, err := mrzText("issuing state", d.IssuingState, 3, classAlpha)
	if err != nil {
		return nil, err
	}
	put(lay.state, state)
	if lay.nationality.ok() {
		nat, err := mrzText("nationality", d.Nationality, 3, classAlpha)
		if err != nil {
			return nil, err
		}
		put(lay.nationality, nat)
	}

	// Names.
	if lay.names.ok() {
		put(lay.names, fitName(Transliterate(d.Surname), Transliterate(d.GivenNames), lay.names.width()))
	} else {
		put(lay.surnameOnly, truncate(Transliterate(d.Surname), lay.surnameOnly.width()))
		put(lay.givenOnly, truncate(Transliterate(d.GivenNames), lay.givenOnly.width()))
	}

	// Document number, possibly long.
	num, err := mrzText("document number", d.DocumentNumber, -1, classAlnum)
	if err != nil {
		return nil, err
	}
	num = strings.TrimRight(num, "<")
	if num == "" {
		return nil, fmt.Errorf("mrz: generate: the document number is empty")
	}
	opt, err := mrzText("optional data", d.OptionalData, -1, classAlnum)
	if err != nil {
		return nil, err
	}
	nw := lay.docNumber.width()
	if len(num) <= nw {
		put(lay.docNumber, num)
		cd, _ := CheckDigit(padRight(num, nw))
		put(lay.docCheck, string(cd))
	} else {
		if !lay.longNumbers {
			return nil, fmt.Errorf("mrz: generate: document number %q has %d characters; %v allows %d", num, len(num), f, nw)
		}
		head, ext := num[:nw], num[nw:]
		var cs checkSum
		cs.add(head)
		if d.LongNumberFillerIncluded {
			cs.add("<")
		}
		cs.add(ext)
		put(lay.docNumber, head)
		// The < at the check-digit position is already there.
		cont := ext + string(cs.digit())
		if opt != "" {
			cont += "<" + opt
		}
		opt = cont
	}
	if lay.optional.ok() {
		if len(opt) > lay.optional.width() {
			return nil, fmt.Errorf("mrz: generate: optional data %q (with the long number's continuation) has %d characters; %v allows %d", opt, len(opt), f, lay.optional.width())
		}
		put(lay.optional, opt)
	} else if opt != "" {
		return nil, fmt.Errorf("mrz: generate: %v has no optional data", f)
	}
	if lay.optionalChk.ok() {
		raw := string(lines[lay.optional.line][lay.optional.start:lay.optional.end])
		cd := byte('<')
		if !allFiller(raw) {
			cd, _ = CheckDigit(raw)
		}
		put(lay.optionalChk, string(cd))
	}
	if lay.optional2.ok() {
		opt2, err := mrzText("optional data 2", d.OptionalData2, lay.optional2.width(), classAlnum)
		if err != nil {
			return nil, err
		}
		put(lay.optional2, opt2)
	} else if d.OptionalData2 != "" {
		return nil, fmt.Errorf("mrz: generate: %v has no second optional data field", f)
	}

	// Dates and sex.
	birth := "<<<<<<"
	if !d.BirthDate.IsZero() {
		birth = d.BirthDate.Format("060102")
	}
	put(lay.birth, birth)
	cd, _ := CheckDigit(birth)
	put(lay.birthCheck, string(cd))
	if lay.expiry.ok() {
		if d.ExpiryDate.IsZero() {
			return nil, fmt.Errorf("mrz: generate: %v needs an expiry date", f)
		}
		exp := d.ExpiryDate.Format("060102")
		put(lay.expiry, exp)
		cd, _ := CheckDigit(exp)
		put(lay.expiryCheck, string(cd))
	}
	switch s := strings.ToUpper(d.Sex); s {
	case "M", "F", "X", "<":
		put(lay.sex, s)
	case "":
	default:
		return nil, fmt.Errorf("mrz: generate: sex %q is not M, F, X or empty", d.Sex)
	}
	if lay.composite.ok() {
		var cs checkSum
		for _, p := range lay.compositeParts {
			if p.ok() {
				cs.add(string(lines[p.line][p.start:p.end]))
			}
		}
		put(lay.composite, string(cs.digit()))
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = string(l)
	}
	return out, nil
}

// mrzText upper-cases s, turns spaces into fillers and checks its class
// and length (max < 0: any).
func mrzText(what, s string, max int, c charClass) (string, error) {
	s = strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(s)), " ", "<")
	if i := firstOutside(s, c); i >= 0 {
		return "", fmt.Errorf("mrz: generate: %s %q: character %q at %d is not allowed (%s)", what, s, s[i], i+1, classMessage[c])
	}
	if max >= 0 && len(s) > max {
		return "", fmt.Errorf("mrz: generate: %s %q has %d characters; at most %d fit", what, s, len(s), max)
	}
	return s, nil
}

func padRight(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat("<", n-len(s))
}

// fitName writes primary<<secondary into width characters. When it does
// not fit, the secondary identifier is cut first (Doc 9303 Part 3
// §4.6: truncation from the end of the secondary identifier), then the
// primary one, keeping << and the first letter of the secondary
// identifier. A cut name ends with a letter in the last position, which
// is how a reader can tell it may be truncated.
func fitName(primary, secondary string, width int) string {
	full := primary
	if secondary != "" {
		full = primary + "<<" + secondary
	}
	if len(full) <= width {
		return full
	}
	if secondary == "" {
		return truncate(primary, width)
	}
	if len(primary)+3 <= width {
		return primary + "<<" + secondary[:width-len(primary)-2]
	}
	// The primary identifier is cut; the secondary one gets what is left,
	// at least its first letter, so that the last position holds a letter.
	p := strings.TrimRight(primary[:width-3], "<")
	return p + "<<" + secondary[:min(len(secondary), width-len(p)-2)]
}

func truncate(s string, width int) string {
	if len(s) <= width {
		return s
	}
	return s[:width]
}
