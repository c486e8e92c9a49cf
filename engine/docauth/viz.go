package docauth

import (
	"fmt"
	"strconv"
	"strings"

	"checkpost/engine"
	"checkpost/mrz"
)

// Reading is one printed field of the visual inspection zone as read (by
// OCR, or typed by an officer).
type Reading struct {
	// Field names it: surname, given_names, document_number, birth_date,
	// expiry_date, sex, nationality, code (the issuing state), type (the
	// document code).
	Field string `json:"field"`
	// Text is the value as read.
	Text string `json:"text"`
	// Confidence is the reader's confidence in 0..1; 0 means unknown.
	// Readings below MinConfidence are not compared.
	Confidence float64 `json:"confidence,omitempty"`
	// Chars, when not nil, holds a machine reading's confidence in each
	// character of Text (one per rune, 0..1). A reading's Confidence is
	// that of its least sure word, which one unknown letter (Ø) sinks to
	// 0; with Chars, a character under MinCharConfidence neither confirms
	// nor refutes, and the sure ones are compared.
	Chars []float64 `json:"chars,omitempty"`
	// Part is "" when the whole value was seen; "start" when only its
	// beginning was (the rest under a thumb or glare: the last character
	// read may be cut), "end" when only its end was.
	Part string `json:"part,omitempty"`
}

// MinConfidence is the confidence below which a reading is too uncertain
// to contradict the MRZ.
const MinConfidence = 0.5

// MinCharConfidence is the confidence (Reading.Chars) below which a
// character of a machine reading is unsure: it neither confirms nor
// refutes the MRZ. Tesseract's characters at 0.9 or above were misread
// about 3% of the time on the genuine tuning captures (seeds 5000000..,
// mostly look-alikes and the national script of two-script names), those
// under 0.9 about half the time.
const MinCharConfidence = 0.9

// maxUnsureChars is the most unsure characters a reading compared
// character by character may have: a letter the model lacks or a
// blurred one, and its neighbour (Ø read as an unsure O, D as an unsure
// D). More is a doubtful reading (a word whose doubt its characters do
// not explain takes it whole: "VEOC" at 33, every character at 90 or
// more), compared whole.
const maxUnsureChars = 2

// minSureChars is the least number of sure characters a reading compared
// character by character must show to agree or differ.
const minSureChars = 3

// minShortNameConfidence is the confidence a machine reading of a name
// of fewer than four letters needs to differ from the MRZ: a short
// reading of a longer name at middling confidence is as likely a few of
// its letters read wrong (JIŘÍ read "JRE" at 0.52) as another name.
const minShortNameConfidence = 0.75

// checkVIZ compares the printed fields with the MRZ: names through
// transliteration (either of the spellings Doc 9303 allows for Ä, Ö, Ü,
// Å, Ø, Æ; a printed "national / transliterated" pair matches through
// either part; a truncated MRZ name matches its beginning), dates through
// the printed format (day, month by number or name, year), numbers and
// codes exactly.
func checkVIZ(r *mrz.Result, viz []Reading) engine.Check { return checkVIZVouched(r, viz, nil) }

// checkVIZVouched is checkVIZ with the fields whose glyphs vouch for the
// MRZ's value (vouchedByGlyphs): a reading of theirs that differs is
// said, not taken as a difference.
func checkVIZVouched(r *mrz.Result, viz []Reading, vouched map[string]bool) engine.Check {
	c := engine.Check{Name: "viz.mrz.consistency", Threshold: "0 fields differing"}
	if r == nil {
		c.Status, c.Reason = engine.NotPerformed, "the MRZ was not read"
		return c
	}
	if len(viz) == 0 {
		c.Status, c.Reason = engine.NotPerformed, "the printed fields were not read"
		return c
	}
	var diffs, same, open, misread []string
	var order []string
	byField := map[string][]Reading{}
	for _, rd := range viz {
		if byField[rd.Field] == nil {
			order = append(order, rd.Field)
		}
		byField[rd.Field] = append(byField[rd.Field], rd)
	}
	for _, name := range order {
		switch verdict, rd, want := judgeField(r, byField[name]); verdict {
		case fieldAgrees:
			if rd.Field == "document_number" && rd.Confidence > 0 && strings.ReplaceAll(strings.ToUpper(rd.Text), " ", "") != want {
				name += " (look-alikes aside)"
			}
			same = append(same, name)
		case fieldDiffers:
			if vouched[name] {
				misread = append(misread, fmt.Sprintf("%s read %q", name, rd.Text))
				continue
			}
			diffs = append(diffs, fmt.Sprintf("%s printed %q, MRZ %q", name, rd.Text, want))
		default:
			if want != "" {
				open = append(open, name)
			}
		}
	}
	c.Value = engine.Measured(float64(len(diffs)))
	switch {
	case len(diffs) > 0:
		c.Status, c.Reason = engine.Fail, "printed fields differ from the MRZ: "+strings.Join(diffs, "; ")
	case len(same) == 0:
		c.Status, c.Reason = engine.Undetermined, "no printed field could be compared with the MRZ"
	default:
		c.Status, c.Reason = engine.Pass, fmt.Sprintf("%d printed fields agree with the MRZ (%s)", len(same), strings.Join(same, ", "))
	}
	if len(open) > 0 {
		// What could not decide is said, never taken as a difference.
		c.Reason += "; read too unsure to compare (illegible, unsure characters, or one character from the MRZ's value): " + strings.Join(open, ", ")
	}
	if len(misread) > 0 {
		c.Reason += "; read otherwise, but every printed character matches the MRZ's by the model's glyphs: " + strings.Join(misread, ", ")
	}
	return c
}

type fieldVerdict int

const (
	fieldUncompared fieldVerdict = iota
	fieldAgrees
	fieldDiffers
)

// judgeField decides a field from its readings (a reader may read a
// doubtful field twice): it agrees when a reading agrees with the MRZ (a
// misread does not spell out the MRZ's value); it differs when a confident
// reading (or one typed in) differs and none is unsure of the difference
// (look-alikes, one character). Otherwise the reading cannot decide: two
// unsure readings that agree with each other do not either (a second
// reading of the same print repeats the first one's misreads: T4T8PU52N
// read T4TEPUSIN twice, a name cut off at the crop's edge twice). It
// returns the reading that decided and the MRZ's value.
func judgeField(r *mrz.Result, rds []Reading) (fieldVerdict, Reading, string) {
	var differ []Reading
	var byChars []bool
	unsure := false
	want := ""
	for _, rd := range rds {
		cmp := compareReading(r, rd)
		if cmp.want != "" {
			want = cmp.want
		}
		switch {
		case cmp.ok && cmp.comparable:
			return fieldAgrees, rd, cmp.want
		case cmp.comparable:
			differ = append(differ, rd)
			byChars = append(byChars, cmp.byChars)
		case strings.TrimSpace(rd.Text) != "" && cmp.want != "" && !(cmp.illegible && rd.Confidence > 0 && rd.Confidence < MinConfidence) && !nameFragment(rd):
			// An unsure reading (one character off, look-alikes) keeps
			// a difference found by another one from deciding; an
			// unsure one that is not even a date ("5 JU 998 SS") or a
			// name's fragment ("J" for IONESCU) says nothing.
			unsure = true
		}
	}
	if unsure || len(differ) == 0 {
		return fieldUncompared, Reading{}, want
	}
	for i, rd := range differ {
		// A reading compared by its sure characters differs on them
		// alone: its confidence is sunk by the unsure ones it left out.
		if rd.Confidence == 0 || byChars[i] || rd.Confidence >= minConfidenceFor(rd) {
			return fieldDiffers, rd, want
		}
	}
	if rd, ok := otherNameTwice(r, differ); ok {
		return fieldDiffers, rd, want
	}
	return fieldUncompared, Reading{}, want
}

// otherNameTwice finds, among unsure machine readings of a name that
// differ from the MRZ's, two (the field under white light and under IR)
// that spell the same name, but for a character, and that name is no
// misreading of the MRZ's: at least 3 other letters, and half of its
// letters, differ (MÜLLER-LÜDENSCHEIDT read twice at 0.18 and 0.00 for
// VAN DER BERG). A misread repeated in both views changes a letter or
// two (SK ALLISTER for MCALLISTER), it does not spell another name. A
// "national / transliterated" pair is left out (the national script
// reads as Latin look-alikes).
func otherNameTwice(r *mrz.Result, rds []Reading) (Reading, bool) {
	far := func(rd Reading) (string, bool) {
		if rd.Confidence <= 0 || rd.Field != "surname" && rd.Field != "given_names" || strings.Contains(rd.Text, "/") {
			return "", false
		}
		f := printedFieldInMRZ(r, rd.Field)
		if f == nil || f.Value == "" {
			return "", false
		}
		got, want := normName(rd.Text), normName(f.Value)
		if rd.Part != "" {
			got = cutPart(got, rd.Part)
		}
		n := len([]rune(got))
		if n < 4 {
			return "", false
		}
		// Against the whole name, and, for a value seen whole, against
		// its beginning and its end alone (the rest cut off or too faint
		// in both views); nor may it be the national script of a name
		// transliterated from Cyrillic, read as Latin look-alikes.
		// distant: at least 3 letters, and half of those compared,
		// differ.
		distant := func(h, span int) bool { return h >= 3 && 2*h >= span }
		h, _ := editCounts(got, want, rd.Part)
		cyr := cyrillicLook(strings.NewReplacer("<", "", " ", "").Replace(f.Value))
		hc, _ := editCounts(got, cyr, rd.Part)
		if !distant(h, n) || 3*hc <= n {
			return "", false
		}
		if rd.Part == "" {
			hs, _ := editCounts(got, want, "start")
			he, _ := editCounts(got, want, "end")
			// The MRZ's name may be the reading's beginning: a name
			// cut to fit the zone, given names left out (ANDREI for
			// ANDREI GUÐRÚN, read ANORELGUORUN).
			hp, _ := editCounts(want, got, "start")
			hcs, _ := editCounts(got, cyr, "start")
			if !distant(hs, n) || !distant(he, n) || !distant(hp, len([]rune(want))) || 3*hcs <= n {
				return "", false
			}
		}
		return got, true
	}
	for i := range rds {
		a, ok := far(rds[i])
		if !ok {
			continue
		}
		for j := i + 1; j < len(rds); j++ {
			if b, ok := far(rds[j]); ok && rds[i].Part == rds[j].Part {
				if h, _ := editCounts(a, b, ""); h <= 1 {
					return rds[i], true
				}
			}
		}
	}
	return Reading{}, false
}

// surnameWhole tells an MRZ whose surname was not cut although its name
// field is full: given names follow it, and their first name keeps two
// letters or more (Doc 9303 Part 3 §4.6 cuts the given names before the
// surname).
func surnameWhole(r *mrz.Result) bool {
	g := strings.Fields(strings.ReplaceAll(r.Value(mrz.GivenNames), "<", " "))
	return len(g) > 0 && len(g[0]) >= 2
}

// beginningMisread tells a machine reading of a name that agrees with
// the MRZ's but for its first one or two letters (SK ALLISTER for
// MCALLISTER: the value's beginning blurred into the crop's left edge
// or a mark there), with at least four letters agreeing after them: an
// altered name is another name, not the same one's ending.
func beginningMisread(got, want string) bool {
	g, w := []rune(got), []rune(want)
	for k := 0; k <= 2 && k < len(g); k++ {
		for j := 0; j <= 2 && j < len(w); j++ {
			if (k > 0 || j > 0) && len(g)-k >= 4 && string(g[k:]) == string(w[j:]) {
				return true
			}
		}
	}
	return false
}

// nameFragment tells a machine reading of a name that shows fewer than
// partMinChars letters: too little to compare, and too little to hold
// back another reading's difference.
func nameFragment(rd Reading) bool {
	return rd.Confidence > 0 && (rd.Field == "surname" || rd.Field == "given_names") && len([]rune(normName(rd.Text))) < partMinChars
}

// comparison is compareReading's answer.
type comparison struct {
	// ok: the reading agrees with the MRZ; comparable: it could tell.
	ok, comparable bool
	// want is the MRZ's value as the field prints it.
	want string
	// byChars: the reading was compared by its sure characters alone
	// (Reading.Chars), its unsure ones left open; sure counts them.
	byChars bool
	sure    int
	// differ counts the sure characters that differ (byChars).
	differ int
	// illegible: a date reading that is no date.
	illegible bool
}

// compareReading compares a reading with the MRZ: a machine reading with
// unsure characters (Reading.Chars under MinCharConfidence) by its sure
// characters, the unsure ones standing for any character (or none, or
// two: Ø and the next letter read as one); any other reading whole.
func compareReading(r *mrz.Result, rd Reading) comparison {
	ok, comparable, want := compareField(r, rd)
	if ok && comparable {
		// Agreeing whole, unsure characters and all (Tesseract is often
		// unsure of a day's leading 0 it read right).
		return comparison{ok: true, comparable: true, want: want}
	}
	if cutAtEdge(r, rd) {
		return comparison{want: want}
	}
	if mask := unsureMask(rd); mask != nil {
		// Too few sure characters to say anything: compared whole, as
		// before per-character confidences.
		if c, byChars := compareByChars(r, rd, mask); byChars && c.sure >= minSureChars {
			if !c.comparable && c.differ == 1 && comparable && !ok && rd.Confidence >= MinConfidence && (rd.Field == "birth_date" || rd.Field == "expiry_date") {
				// One sure digit differs, and the date read whole, its
				// unsure digits too, differs beyond a misread digit or
				// the round ones, with confidence (08 MAR 1991 at 0.79,
				// its day unsure, for 14 MAR 1981): the unsure digits
				// side with the sure one's difference.
				return comparison{comparable: true, want: want}
			}
			return c
		}
	}
	c := comparison{ok: ok, comparable: comparable, want: want}
	if !comparable && rd.Part == "" && (rd.Field == "birth_date" || rd.Field == "expiry_date") {
		_, dok := parsePrintedDate(rd.Text)
		_, _, myok := printedMonthYear(rd.Text)
		c.illegible = !dok && !myok || yearCutShort(rd.Text)
	}
	return c
}

// printedToMRZ names the MRZ field each printed name or date is compared
// with.
var printedToMRZ = map[string]mrz.FieldName{
	"surname": mrz.Surname, "given_names": mrz.GivenNames,
	"birth_date": mrz.BirthDate, "expiry_date": mrz.ExpiryDate,
}

// printedFieldInMRZ returns the MRZ's field for a printed name or date
// (nil for other fields and where the zone has none).
func printedFieldInMRZ(r *mrz.Result, field string) *mrz.Field {
	n, ok := printedToMRZ[field]
	if !ok {
		return nil
	}
	return r.Field(n)
}

// compareField reports whether a reading agrees with the MRZ, whether it
// could be compared at all, and the MRZ's value.
func compareField(r *mrz.Result, rd Reading) (ok, comparable bool, want string) {
	text := strings.TrimSpace(rd.Text)
	if text == "" {
		return false, false, ""
	}
	switch rd.Field {
	case "surname", "given_names":
		f := printedFieldInMRZ(r, rd.Field)
		if f == nil {
			return false, false, ""
		}
		truncated := r.Warnings.Has(mrz.WarnTruncatedName)
		if rd.Part == "start" && truncated && (rd.Field == "given_names" || !surnameWhole(r)) {
			// The MRZ's name field is full, so it may hold only this
			// name's beginning (BJ for BJORN): the reading is compared
			// up to the MRZ's length (and one more letter, which the
			// crop's edge may have cut); of a "national /
			// transliterated" pair, its Latin part ("TAPAC / TARAS" for
			// TA, tuning seed 13503026).
			latin := text
			if i := strings.LastIndexByte(text, '/'); i >= 0 {
				latin = text[i+1:]
			}
			got, want := []rune(normName(latin)), []rune(normName(f.Value))
			if len(got) > len(want)+1 {
				ok, comparable, _ := comparePart(string(got[:len(want)+1]), string(want), "start", rd.Confidence > 0)
				return ok, comparable, f.Value
			}
		}
		if rd.Part == "start" && shortStartOther(rd, f.Value) {
			return false, true, f.Value
		}
		if rd.Part != "" {
			return comparePartName(text, f.Value, rd.Part, rd.Confidence > 0)
		}
		if nameMatches(text, f.Value, truncated) {
			return true, true, f.Value
		}
		if rd.Confidence > 0 && !strings.Contains(text, "/") && (cutNameAlike(text, f.Value, truncated) || slashLost(text, f.Value, truncated)) {
			return false, false, f.Value
		}
		// Names that do not fit the MRZ's name field lose their last
		// given names (Doc 9303 Part 3 §4.6): the MRZ holds the first ones.
		if rd.Field == "given_names" && f.Value != "" {
			// The printed name's national letters may have been read
			// as single letters (SØLVI read SOLVI; the MRZ has SOELVI).
			full := mrz.Transliterate(r.Value(mrz.Surname)) + "<<" + mrz.Transliterate(text)
			t := strings.ReplaceAll(mrz.Transliterate(text), "<", " ") + " "
			if len(full) > nameWidth(r.Format) && (strings.HasPrefix(t, f.Value+" ") || strings.HasPrefix(skeleton(t), skeleton(f.Value+" "))) {
				return true, true, f.Value
			}
		}
		if rd.Confidence > 0 && nameHardEdits(text, f.Value) <= 1 {
			return false, false, f.Value
		}
		if rd.Confidence > 0 && !strings.Contains(text, "/") && beginningMisread(normName(text), normName(f.Value)) {
			return false, false, f.Value
		}
		if rd.Confidence > 0 && !strings.Contains(text, "/") {
			// A machine reading shorter than the MRZ's name that is its
			// beginning but for a character: the rest may be print too
			// faint to read (VAN DER BERG read "VAN DL" under uneven
			// light, RAHUL read "RAM"), not another name.
			got, want := normName(text), normName(f.Value)
			if len(got) < len(want) {
				if h, _ := editCounts(got, want, "start"); h <= 1 {
					return false, false, f.Value
				}
			}
		}
		return false, true, f.Value
	case "document_number":
		want = r.Value(mrz.DocumentNumber)
		got := strings.ReplaceAll(strings.ToUpper(text), " ", "")
		if rd.Part != "" {
			return comparePart(got, want, rd.Part, rd.Confidence > 0)
		}
		if got == want {
			return true, true, want
		}
		hard, indels, soft := editCounts3(got, want, "")
		switch {
		case hard == 0 && rd.Confidence > 0 && lookAlikesAside(got, soft):
			// A machine reading differing only in a few characters the
			// printed font makes look alike (0/O, 1/I, 5/S, 8/B): those
			// decide nothing, the others all agree. An alteration
			// changes characters that do not look alike.
			return true, true, want
		case hard == 0 || rd.Confidence > 0 && hard-indels < 2:
			// Typed in with look-alikes, or for a machine reading fewer
			// than two other characters in place of the MRZ's: the
			// reading cannot tell. A number's length is fixed by the
			// document's format and a forger replaces characters;
			// characters added or lost are the reader's (a glyph split
			// in two, a speck read as a letter).
			return false, false, want
		}
		return false, want != "", want
	case "birth_date", "expiry_date":
		f := printedFieldInMRZ(r, rd.Field)
		if f == nil || f.Date.IsZero() {
			return false, false, ""
		}
		if rd.Part != "" {
			return comparePartDate(text, f.Date, rd.Part)
		}
		d, ok := parsePrintedDate(text)
		if toks := dateTokens(strings.ToUpper(text)); ok && len(toks) == 3 && len(toks[0]) == 1 && monthOf(toks[1]) > 0 {
			// A day of one digit where the font prints two ("5 DEC 1998"
			// for 18 DEC): a digit lost, the day illegible.
			ok = false
		}
		if toks := dateTokens(strings.ToUpper(text)); ok && len(toks) > 3 && allDigits([]rune(toks[0])) && !allDigits([]rune(toks[1])) && monthOf(toks[1]) == 0 {
			// Letters that are no month after the day ("1Y SEP 2031"
			// for 13 SEP 2031, tuning seed 13502724): a digit read as
			// a letter, the day illegible (parsePrintedDate passes over
			// them, as over the second name of "MAR/MARS").
			ok = false
		}
		if !ok {
			if day, month, name, ok := dayMonthBesideBadYear(text); ok && rd.Confidence >= MinConfidence {
				// "12 DEC 2619" for 08 NOV 2007: the year misread beyond
				// 1900-2099, the day and the month legible. As for a
				// date whose day is illegible, three differences are
				// another date: digits of the day differing other than
				// as the font's round ones, and the month (a name's
				// letters, up to two, as in compareByChars). A day alone
				// misread by two digits (28 MAR 2604 for 12 MAR 2004,
				// every character read surely, under a JPEG of quality
				// 3: 17a97ef's false alarm, reverted in 1e36b4e) is not.
				diff := hardDigits(fmt.Sprintf("%02d", day), fmt.Sprintf("%02d", f.Date.Day))
				switch {
				case month == f.Date.Month:
				case name != "":
					diff += monthNameEdits(name, f.Date.Month)
				default:
					diff += hardDigits(fmt.Sprintf("%02d", month), fmt.Sprintf("%02d", f.Date.Month))
				}
				return false, diff >= 3, f.Date.String()
			}
			if m, y, ok := printedMonthYear(text); ok && rd.Confidence > 0 {
				if toks := dateTokens(strings.ToUpper(text)); len(toks) == 3 && len(toks[0]) == 2 {
					// A day of two digits out of range is the font's
					// round digits confused (89 for 09); digits that are
					// no such confusion of the MRZ's (88 for 15) still
					// tell: three of them, with the month's and the
					// year's, are another date.
					got := toks[0] + fmt.Sprintf("%02d%02d", m, y%100)
					if hardDigits(got, dateDigits(f.Date)) >= 3 {
						return false, true, f.Date.String()
					}
				}
				// The day is not legible (a leading 0 read 8, or lost):
				// the month and the year are compared.
				got, want := fmt.Sprintf("%02d%02d", m, y%100), fmt.Sprintf("%02d%02d", f.Date.Month, f.Date.Year%100)
				if got != want && nearMiss(got, want) {
					return false, false, f.Date.String()
				}
				return got == want, true, f.Date.String()
			}
			return false, false, f.Date.String()
		}
		same := d.Year%100 == f.Date.Year%100 && d.Month == f.Date.Month && d.Day == f.Date.Day
		if !same && rd.Confidence > 0 && nearMiss(dateDigits(d), dateDigits(f.Date)) {
			return false, false, f.Date.String()
		}
		if !same && rd.Confidence > 0 && roundDigitsOnly(dateDigits(d), dateDigits(f.Date)) {
			// Digits differing only as 0, 6 and 8 (the printed font's
			// round digits, which a blurred or dim print confuses: 10
			// NOV 1940 read 18 NOV 1948): the reading cannot tell.
			return false, false, f.Date.String()
		}
		if !same && rd.Confidence > 0 && yearCutShort(text) {
			return false, false, f.Date.String()
		}
		return same, true, f.Date.String()
	case "sex":
		want = r.Value(mrz.Sex)
		got := strings.ToUpper(text)
		if i := strings.IndexAny(got, "/ "); i > 0 {
			got = got[:i]
		}
		if want == "" { // < in the MRZ: unspecified, printed X or <
			return got == "X" || got == "<" || got == "-", true, "<"
		}
		if len([]rune(got)) > 1 && strings.Contains(got, want) {
			// One letter printed, more read, the MRZ's among them: a
			// doubled or speckled letter ("MM" for M under 0.25 mm of
			// defocus, read with a confidence of 0.52 and 0.66 on
			// genuine captures of seeds 15600000..), not another sex.
			return false, false, want
		}
		return got == want, true, want
	case "nationality", "code":
		fn := mrz.Nationality
		if rd.Field == "code" {
			fn = mrz.IssuingState
		}
		want = strings.Trim(r.Value(fn), "<")
		// Printed nationalities are words ("DEUTSCH"); compare only when a
		// code is printed ("UTOPIAN / UTO", "CAN").
		for _, tok := range strings.FieldsFunc(strings.ToUpper(text), func(r rune) bool { return r == '/' || r == ' ' || r == ',' }) {
			if tok == want {
				return true, true, want
			}
		}
		if rd.Field == "code" || (len(text) <= 3 && mrz.ValidCode(strings.ToUpper(text))) {
			return false, true, want
		}
		return false, false, want
	case "type":
		want = strings.Trim(r.Value(mrz.DocumentCode), "<")
		got := strings.ToUpper(strings.ReplaceAll(text, " ", ""))
		return got == want || (len(got) == 1 && strings.HasPrefix(want, got)), true, want
	}
	return false, false, ""
}

// A machine reading (Confidence > 0) one character away from the MRZ's
// value is not compared: a single misread character (0 read 8, a letter
// lost or doubled) cannot be told from an alteration, and alterations
// worth making change more. Typed readings are compared strictly.

// nearMiss reports whether a and b differ by exactly one edit (a
// character changed, added or lost).
func nearMiss(a, b string) bool {
	if a == b || len(a)-len(b) > 1 || len(b)-len(a) > 1 {
		return false
	}
	if len(a) == len(b) {
		diff := 0
		for i := 0; i < len(a); i++ {
			if a[i] != b[i] {
				diff++
			}
		}
		return diff == 1
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	for i := 0; i < len(b); i++ {
		if a[i] != b[i] {
			return a[i+1:] == b[i:]
		}
	}
	return true
}

// cutNameAlike tells a machine reading of a name longer than the MRZ's,
// which the zone cut short (truncated), whose beginning, up to the MRZ's
// length, is the MRZ's name but for look-alikes and one other edit: the
// name the zone cut, a letter misread ("INGRID TOANA" for INGRID IO, of
// INGRID IOANA: I read T; tuning seed 12002904), not another name.
func cutNameAlike(text, mrzName string, truncated bool) bool {
	if !truncated {
		return false
	}
	got, want := []rune(normName(text)), []rune(normName(mrzName))
	if len(want) < partMinChars || len(got) <= len(want) {
		return false
	}
	h, _ := editCounts(string(got[:len(want)]), string(want), "")
	return h <= 1
}

// slashLost tells a machine reading of a "national / transliterated"
// name pair whose slash was not read: words that are the MRZ's name as
// Cyrillic read as Latin (cyrillicLook; a third of their letters may
// differ), then the MRZ's name ("TAPAC TARAS" for ТАРАС / TARAS; tuning
// seed 10001812).
func slashLost(text, mrzName string, truncated bool) bool {
	words := strings.Fields(text)
	cyr := cyrillicLook(strings.NewReplacer("<", "", " ", "").Replace(mrzName))
	for i := 1; i < len(words); i++ {
		if !nameMatches(strings.Join(words[i:], " "), mrzName, truncated) {
			continue
		}
		nat := normName(strings.Join(words[:i], " "))
		if h, _ := editCounts(nat, cyr, ""); len(nat) >= partMinChars && 3*h <= len(nat) {
			return true
		}
	}
	return false
}

// nameHardEdits counts the edits other than look-alike substitutions
// between a printed name (either part of a "national / transliterated"
// pair) and the MRZ's, both as the MRZ spells them, spaces aside: the
// least over the parts.
func nameHardEdits(printed, mrzName string) int {
	want := normName(mrzName)
	best := -1
	for _, c := range nameParts(printed) {
		if h, _ := editCounts(normName(c), want, ""); best < 0 || h < best {
			best = h
		}
	}
	return best
}

// normName writes a name as the MRZ spells it, in one word.
func normName(s string) string {
	return strings.NewReplacer("<", "", " ", "", "-", "", "'", "").Replace(skeleton(mrz.Transliterate(singleLetter(strings.ToUpper(s)))))
}

// nameParts are the printed name and, for a "national / transliterated"
// pair, each part.
func nameParts(printed string) []string {
	cands := []string{printed}
	if strings.Contains(printed, "/") {
		cands = append(cands, strings.Split(printed, "/")...)
	}
	return cands
}

// partMinChars is the least number of characters a partly seen value
// must show to be compared.
const partMinChars = 3

// comparePart compares the visible part of a value (Reading.Part) with
// the MRZ's value: the character at the cut is dropped, the rest must
// agree with the value's beginning ("start") or end ("end"). Look-alikes
// decide nothing; a machine reading needs at least two other edits, and
// one for every three characters seen, to differ.
func comparePart(got, want, part string, machine bool) (ok, comparable bool, _ string) {
	got = cutPart(got, part)
	if len(got) < partMinChars || want == "" {
		return false, false, want
	}
	hard, soft := editCounts(got, want, part)
	switch {
	case hard == 0 && (soft == 0 || machine && lookAlikesAside(got, soft)):
		return true, true, want
	case hard == 0, machine && (hard < 2 || 3*hard < len(got)):
		return false, false, want
	}
	return false, true, want
}

// lookAlikesAside tells a reading whose look-alike differences (soft)
// leave at least three characters in four that agree exactly, and at
// least partMinChars of them.
func lookAlikesAside(got string, soft int) bool {
	n := len([]rune(got))
	return 4*soft <= n && n-soft >= partMinChars
}

// cutPart drops the character at the cut of a partly seen value.
func cutPart(s, part string) string {
	r := []rune(s)
	if len(r) == 0 {
		return ""
	}
	if part == "start" {
		return string(r[:len(r)-1])
	}
	return string(r[1:])
}

// comparePartName compares the visible part of a printed name with the
// MRZ's. The Latin part of a "national / transliterated" pair is printed
// last: with its slash in view it is compared alone; a beginning seen
// without the slash may be the national script, which the English OCR
// reads as Latin look-alikes (ИВАНОВА as UBAHOBA): when the MRZ's name
// rendered back so could be what was read, nothing is decided.
func comparePartName(printed, mrzName, part string, machine bool) (ok, comparable bool, want string) {
	want = normName(mrzName)
	if i := strings.LastIndexByte(printed, '/'); i >= 0 {
		latin := normName(printed[i+1:])
		if part == "end" {
			if latin == want {
				return true, true, mrzName
			}
			if h, _ := editCounts(latin, want, ""); machine && h <= 1 {
				return false, false, mrzName
			}
			return false, latin != "", mrzName
		}
		ok, comparable, _ = comparePart(latin, want, "start", machine)
		return ok, comparable, mrzName
	}
	got := normName(printed)
	ok, comparable, _ = comparePart(got, want, part, machine)
	if comparable && !ok && part == "start" && machine {
		seen := cutPart(got, part)
		if h, _ := editCounts(seen, cyrillicLook(want), "start"); 3*h <= len(seen) {
			return false, false, mrzName
		}
		// The name's end, but for a letter, where its beginning was
		// thought seen ("LUIVAN" for OSULLIVAN: the thumb over the
		// beginning; tuning seed 10001460): not another name.
		if h, _ := editCounts(got, want, "end"); h <= 1 && len(got) >= 4 {
			return false, false, mrzName
		}
	}
	return ok, comparable, mrzName
}

// shortStartOther tells a machine reading of a name's beginning (the
// rest under a thumb or glare) too short to compare once the letter at
// the cut is left out (comparePart), read surely (every character sure,
// the word at minShortNameConfidence or more) and differing from the
// MRZ's beginning in every letter, the one at the cut too, none of them
// a look-alike (and in all but one however aligned), nor near the MRZ's name as Cyrillic read as Latin: a
// short name whole in front of the thumb (KIM at 0.97, every letter at
// 0.99, for BEN SALEM; tuning seeds 12001309, 12002263). A letter the
// thumb cut is one letter misread, not three.
func shortStartOther(rd Reading, mrzName string) bool {
	if rd.Confidence < minShortNameConfidence || strings.Contains(rd.Text, "/") || len(rd.Chars) != len([]rune(rd.Text)) {
		return false
	}
	for _, c := range rd.Chars {
		if c < MinCharConfidence {
			return false
		}
	}
	got, want := normName(rd.Text), normName(mrzName)
	n := len([]rune(got))
	if n < partMinChars || len([]rune(cutPart(got, "start"))) >= partMinChars || len([]rune(want)) < n {
		return false
	}
	w := []rune(want)
	for i, c := range []rune(got) {
		if c == w[i] || lookAlikeRunes(c, w[i]) {
			return false
		}
	}
	// Nor shifted by a letter added or lost.
	if h, _ := editCounts(got, want, "start"); h < n-1 {
		return false
	}
	cyr := cyrillicLook(strings.NewReplacer("<", "", " ", "").Replace(mrzName))
	h, _ := editCounts(got, cyr, "start")
	return h >= n-1
}

// cyrillicLook writes a name the MRZ transliterated from Cyrillic
// (Doc 9303 Part 3, Table B) back in Cyrillic, each letter as the Latin
// capitals an English OCR reads it as (В as B, Н as H, Л as JI).
func cyrillicLook(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		n := 1
		look := ""
		for _, p := range cyrillicLooks {
			if strings.HasPrefix(s, p[0]) {
				n, look = len(p[0]), p[1]
				break
			}
		}
		if look == "" {
			look = s[:1]
		}
		b.WriteString(look)
		s = s[n:]
	}
	return b.String()
}

// cyrillicLooks maps transliterations (longest first) to the looks of
// their Cyrillic letters.
var cyrillicLooks = [][2]string{
	{"SHCH", "L"}, {"SH", "LW"}, {"ZH", "X"}, {"KH", "X"}, {"TS", "U"}, {"CH", "Y"}, {"IU", "IO"}, {"IA", "R"},
	{"V", "B"}, {"G", "F"}, {"D", "A"}, {"Z", "E"}, {"I", "U"}, {"L", "JI"}, {"N", "H"}, {"P", "N"}, {"R", "P"},
	{"S", "C"}, {"U", "Y"}, {"F", "O"}, {"Y", "BI"},
}

// comparePartDate compares the visible tokens of a partly seen printed
// date (day, month, year; the token at the cut left out) with the MRZ's.
func comparePartDate(text string, want mrz.Date, part string) (ok, comparable bool, _ string) {
	toks := strings.FieldsFunc(strings.ToUpper(text), func(r rune) bool { return r == ' ' || r == '.' || r == '/' || r == '-' })
	if len(toks) < 2 {
		return false, false, want.String()
	}
	same, differ := 0, 0
	judge := func(eq bool) {
		if eq {
			same++
		} else {
			differ++
		}
	}
	if part == "start" {
		// Day, then month (by name or number) when it is not at the cut.
		// A day out of range is illegible (the font's 0 read 8), not
		// another day.
		if d, err := strconv.Atoi(toks[0]); err == nil && len(toks[0]) == 2 && d >= 1 && d <= 31 {
			judge(d == want.Day)
		}
		if len(toks) >= 3 {
			if m := monthOf(toks[1]); m > 0 {
				judge(m == want.Month)
			}
		}
	} else {
		last := toks[len(toks)-1]
		if y, err := strconv.Atoi(last); err == nil && len(last) == 4 {
			judge(y%100 == want.Year%100)
		}
		if len(toks) >= 3 {
			if m := monthOf(toks[len(toks)-2]); m > 0 {
				judge(m == want.Month)
			}
		}
	}
	switch {
	case differ > 0:
		return false, true, want.String()
	case same > 0:
		return true, true, want.String()
	}
	return false, false, want.String()
}

// printedMonthYear reads the month and the four-digit year of a printed
// date whose day is not legible: a day of two or three digits out of
// range (the printed font's 0 read 8 or 6: "89 NOV 1947", a digit
// doubled: "280 SEP 1993"), of one digit (one lost: "5 DEC 1998") or no
// day ("NOV 1947"),
// then the month by name or number and a year from 1900 to 2099.
func printedMonthYear(s string) (month, year int, ok bool) {
	toks := dateTokens(strings.ToUpper(strings.TrimSpace(s)))
	switch len(toks) {
	case 3:
		d, err := strconv.Atoi(toks[0])
		if err != nil || len(toks[0]) > 3 || len(toks[0]) >= 2 && d >= 1 && d <= 31 {
			return 0, 0, false
		}
		toks = toks[1:]
	case 2:
	default:
		return 0, 0, false
	}
	m := monthOf(toks[0])
	y, err := strconv.Atoi(toks[1])
	if m == 0 || err != nil || len(toks[1]) != 4 || y < 1900 || y > 2099 {
		return 0, 0, false
	}
	return m, y, true
}

// dayMonthBesideBadYear reads a printed date "DD MON YYYY" (or "DD MM
// YYYY") whose four-digit year is outside 1900-2099, a misread ("12 DEC
// 2619"): its day, its month and, when printed by name, the month's
// name.
func dayMonthBesideBadYear(s string) (day, month int, name string, ok bool) {
	toks := dateTokens(strings.ToUpper(strings.TrimSpace(s)))
	if len(toks) != 3 || len(toks[0]) != 2 || len(toks[2]) != 4 {
		return 0, 0, "", false
	}
	d, err := strconv.Atoi(toks[0])
	if err != nil || d < 1 || d > 31 {
		return 0, 0, "", false
	}
	y, err := strconv.Atoi(toks[2])
	if err != nil || y >= 1900 && y <= 2099 {
		return 0, 0, "", false
	}
	m := monthOf(toks[1])
	if m == 0 {
		return 0, 0, "", false
	}
	if _, err := strconv.Atoi(toks[1]); err != nil {
		name = toks[1]
	}
	return d, m, name, true
}

// monthOf reads a month by name or number (0 when neither).
func monthOf(t string) int {
	if n, err := strconv.Atoi(t); err == nil {
		if n >= 1 && n <= 12 && len(t) == 2 {
			return n
		}
		return 0
	}
	return monthNames[t]
}

// editCounts aligns a reading with a value at the least cost (a
// look-alike substitution costs 0.3, any other edit 1) and counts the
// alignment's edits: hard ones (another character, one added or lost)
// and look-alike substitutions. With part "start" the reading is of the
// value's beginning only (what follows in the value is free), with "end"
// of its end only.
func editCounts(got, want, part string) (hard, soft int) {
	hard, _, soft = editCounts3(got, want, part)
	return hard, soft
}

// editCounts3 is editCounts with the characters added or lost counted
// apart: hard counts them too, indels only them.
func editCounts3(got, want, part string) (hard, indels, soft int) {
	return editCountsSure([]rune(got), nil, []rune(want), part)
}

// unsureCost is the cost of an edit on an unsure character: above 0, so
// that an alignment uses them only where it must.
const unsureCost = 0.01

// editCountsSure is editCounts3 on runes, with sure telling which of
// got's runes are sure (nil: all). An unsure rune stands for any
// character, for none, or for it and the MRZ's characters after it (Ø
// and the D after it read as one D), and counts no edit.
func editCountsSure(a []rune, sure []bool, b []rune, part string) (hard, indels, soft int) {
	type cell struct {
		cost              float64
		hard, soft, indel int
	}
	isSure := func(i int) bool { return sure == nil || sure[i] }
	n, m := len(a), len(b)
	dp := make([][]cell, n+1)
	for i := range dp {
		dp[i] = make([]cell, m+1)
	}
	for j := 1; j <= m; j++ {
		dp[0][j] = cell{float64(j), j, 0, j}
		if part == "end" {
			dp[0][j] = cell{}
		}
	}
	for i := 1; i <= n; i++ {
		sureA := isSure(i - 1)
		dp[i][0] = dp[i-1][0]
		if sureA {
			dp[i][0].cost++
			dp[i][0].hard++
			dp[i][0].indel++
		} else {
			dp[i][0].cost += unsureCost
		}
		for j := 1; j <= m; j++ {
			best := dp[i-1][j-1]
			switch {
			case a[i-1] == b[j-1]:
			case !sureA:
				best.cost += unsureCost
			case lookAlikeRunes(a[i-1], b[j-1]):
				best.cost += 0.3
				best.soft++
			default:
				best.cost++
				best.hard++
			}
			// A character of got with none of want's, and one of want's
			// with none of got's (absorbed by an unsure one before it).
			added, lost := dp[i-1][j], dp[i][j-1]
			if sureA {
				added.cost++
				added.hard++
				added.indel++
				lost.cost++
				lost.hard++
				lost.indel++
			} else {
				added.cost += unsureCost
				lost.cost += unsureCost
			}
			for _, c := range []cell{added, lost} {
				if c.cost < best.cost {
					best = c
				}
			}
			dp[i][j] = best
		}
	}
	end := dp[n][m]
	if part == "start" {
		for j := 0; j < m; j++ {
			if dp[n][j].cost < end.cost {
				end = dp[n][j]
			}
		}
	}
	return end.hard, end.indel, end.soft
}

// unsureMask tells which runes of a machine reading's text are sure
// (Reading.Chars at MinCharConfidence or above; spaces are), or nil when
// the reading carries no per-character confidences, was typed in, or
// has no unsure character or more than maxUnsureChars: it is then
// compared whole.
func unsureMask(rd Reading) []bool {
	if rd.Confidence == 0 || len(rd.Chars) == 0 {
		return nil
	}
	rs := []rune(rd.Text)
	if len(rs) != len(rd.Chars) {
		return nil
	}
	mask := make([]bool, len(rs))
	unsure := 0
	for i, c := range rd.Chars {
		mask[i] = c >= MinCharConfidence || rs[i] == ' '
		if !mask[i] {
			unsure++
		}
	}
	if unsure == 0 || unsure > maxUnsureChars {
		return nil
	}
	return mask
}

// compareByChars compares a machine reading with unsure characters (mask)
// by its sure ones: it differs when at least two sure characters differ
// from the MRZ's value beyond the look-alikes and the rules of the field
// (a number's characters added or lost are the reader's, a date is
// compared by its digits DDMMYY), and at least minSureChars are sure; it
// agrees when every sure character does and at most one is unsure.
// ok is false where the field is compared whole (a value seen in part,
// a name the MRZ may have cut, other fields).
func compareByChars(r *mrz.Result, rd Reading, mask []bool) (comparison, bool) {
	text := []rune(strings.ToUpper(rd.Text))
	if len(text) != len(mask) || rd.Part != "" {
		return comparison{}, false
	}
	switch rd.Field {
	case "surname", "given_names":
		f := printedFieldInMRZ(r, rd.Field)
		if f == nil || f.Value == "" || r.Warnings.Has(mrz.WarnTruncatedName) && !(rd.Field == "surname" && surnameWhole(r)) {
			return comparison{}, false
		}
		// A full name field may have lost given names (Doc 9303 Part 3
		// §4.6): those are compared whole.
		if rd.Field == "given_names" && len(r.Value(mrz.Surname))+2+len(f.Value) >= nameWidth(r.Format) {
			return comparison{}, false
		}
		want := []rune(normName(f.Value))
		bestHard, bestSoft, bestSure, bestUnsure := -1, 0, 0, 0
		for _, c := range splitRunes(text, mask, '/') {
			got, sure := nameRunes(c.r, c.m)
			if len(got) == 0 {
				continue
			}
			hard, _, soft := editCountsSure(got, sure, want, "")
			if bestHard < 0 || hard < bestHard {
				bestHard, bestSoft, bestSure, bestUnsure = hard, soft, countTrue(sure), len(sure)-countTrue(sure)
			}
		}
		if bestHard < 0 {
			return comparison{}, false
		}
		v := verdictByChars(bestHard, bestHard, bestSoft, bestSure, bestUnsure, len(want), f.Value)
		if v.comparable && !v.ok {
			// The national script of a two-script name read alone, as
			// the English model reads Cyrillic (ШЕВЧЕНКО as AWEBUEHK):
			// nothing is decided when it could be the MRZ's name so.
			var got []rune
			var sure []bool
			for i, c := range text {
				if c >= 'A' && c <= 'Z' {
					got, sure = append(got, c), append(sure, mask[i])
				}
			}
			plain := strings.NewReplacer("<", "", " ", "").Replace(f.Value)
			if h, _, _ := editCountsSure(got, sure, []rune(cyrillicLook(plain)), ""); 3*h <= countTrue(sure) {
				v.comparable = false
			}
		}
		return v, true
	case "document_number":
		want := r.Value(mrz.DocumentNumber)
		if want == "" {
			return comparison{}, false
		}
		var got []rune
		var sure []bool
		for i, c := range text {
			if c != ' ' {
				got, sure = append(got, c), append(sure, mask[i])
			}
		}
		hard, indels, soft := editCountsSure(got, sure, []rune(want), "")
		// Characters added or lost are the reader's (a glyph split in
		// two, a speck read as a letter).
		return verdictByChars(hard, hard-indels, soft, countTrue(sure), len(sure)-countTrue(sure), len(want), want), true
	case "birth_date", "expiry_date":
		f := printedFieldInMRZ(r, rd.Field)
		if f == nil || f.Date.IsZero() {
			return comparison{}, false
		}
		got, sure, name, ok := dateRunes(text, mask)
		if !ok {
			return comparison{}, false
		}
		want := []rune(dateDigits(f.Date))
		hard, n := 0, 0
		for i := range got {
			if sure[i] {
				n++
				if got[i] != want[i] && !roundDigitsOnly(string(got[i]), string(want[i])) {
					hard++
				}
			}
		}
		if name != "" && (got[2] != want[2] || got[3] != want[3]) {
			// A month read by name, every letter sure, differs by its
			// letters, not by the digits of its number: MAY for FEB is
			// three letters off (two differences), JUN for JUL one.
			digitsOff := 0
			for i := 2; i < 4; i++ {
				if got[i] != want[i] && !roundDigitsOnly(string(got[i]), string(want[i])) {
					digitsOff++
				}
			}
			hard += monthNameEdits(name, f.Date.Month) - digitsOff
		}
		return verdictByChars(hard, hard, 0, n, len(got)-n, len(want), f.Date.String()), true
	}
	return comparison{}, false
}

// verdictByChars decides a reading compared by its sure characters: n
// sure characters and unsure ones, of a value of length width, hard
// edits on them (differ of those counting towards a difference), soft
// look-alike ones. It agrees with one unsure character at most (which
// may stand for two of the value's: Ø and D read as one D).
func verdictByChars(hard, differ, soft, n, unsure, width int, want string) comparison {
	c := comparison{want: want, byChars: true, sure: n, differ: differ}
	switch {
	case hard == 0 && unsure <= 1 && n >= width-2 && 4*soft <= n:
		c.ok, c.comparable = true, true
	case differ >= 2:
		c.comparable = true
	}
	return c
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// maskedRunes are runes with their sureness.
type maskedRunes struct {
	r []rune
	m []bool
}

// splitRunes returns the whole text and, when it holds sep, each part
// between seps (a "national / transliterated" name pair).
func splitRunes(rs []rune, mask []bool, sep rune) []maskedRunes {
	out := []maskedRunes{{rs, mask}}
	start, found := 0, false
	for i := 0; i <= len(rs); i++ {
		if i == len(rs) || rs[i] == sep {
			if i < len(rs) {
				found = true
			}
			if found {
				out = append(out, maskedRunes{rs[start:i], mask[start:i]})
			}
			start = i + 1
		}
	}
	return out
}

// nameRunes writes a machine reading of a name (capitals) as normName
// writes the MRZ's, one word, keeping each character's sureness: the
// two-letter spellings AE, OE, UE, AA fold to one letter (sure when both
// are) and Q to O; separators and other characters go.
func nameRunes(rs []rune, mask []bool) ([]rune, []bool) {
	var out []rune
	var sure []bool
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		if i+1 < len(rs) {
			switch string(rs[i : i+2]) {
			case "AE", "OE", "UE", "AA":
				out, sure = append(out, c), append(sure, mask[i] && mask[i+1])
				i++
				continue
			}
		}
		if c == 'Q' {
			c = 'O'
		}
		if c >= 'A' && c <= 'Z' {
			out, sure = append(out, c), append(sure, mask[i])
		}
	}
	return out, sure
}

// dateRunes writes a printed date read with unsure characters as its
// digits DDMMYY with their sureness: a day of three characters one of
// which is unsure loses it (the font's 0 read 80), a day of one digit
// is unsure (a digit lost), a month by name is sure when all its
// letters are, a year's last two digits. ok is false for anything that
// is not three parts of such a date.
func dateRunes(rs []rune, mask []bool) (digits []rune, sure []bool, monthName string, ok bool) {
	var toks []maskedRunes
	var cur maskedRunes
	flush := func() {
		if len(cur.r) > 0 {
			toks = append(toks, cur)
		}
		cur = maskedRunes{}
	}
	for i, c := range rs {
		switch {
		case c == ' ' || c == '.' || c == '/' || c == '-':
			flush()
			continue
		case len(cur.r) > 0 && isDigit(c) != isDigit(cur.r[len(cur.r)-1]):
			// "04NOV": the space between day and month not read.
			flush()
		}
		cur.r, cur.m = append(cur.r, c), append(cur.m, mask[i])
	}
	flush()
	if len(toks) != 3 {
		return nil, nil, "", false
	}
	day, month, year := toks[0], toks[1], toks[2]
	if !allDigits(day.r) || !allDigits(year.r) {
		return nil, nil, "", false
	}
	switch len(day.r) {
	case 1:
		// A digit lost: which one is not known.
		day = maskedRunes{[]rune("00"), []bool{false, false}}
	case 2:
	case 3:
		k := -1
		for i, s := range day.m {
			if !s {
				if k >= 0 {
					return nil, nil, "", false
				}
				k = i
			}
		}
		if k < 0 {
			return nil, nil, "", false
		}
		day = maskedRunes{append(append([]rune{}, day.r[:k]...), day.r[k+1:]...), append(append([]bool{}, day.m[:k]...), day.m[k+1:]...)}
	default:
		return nil, nil, "", false
	}
	switch {
	case len(year.r) == 4 && (countTrue(year.m[:2]) < 2 || string(year.r[:2]) == "19" || string(year.r[:2]) == "20"):
		year = maskedRunes{year.r[2:], year.m[2:]}
	case len(year.r) < 4 && len(year.r) != 2:
		// A year cut short ("07 AUG 1"): its digits are not known; the
		// day and the month still tell.
		year = maskedRunes{[]rune("00"), []bool{false, false}}
	default:
		return nil, nil, "", false
	}
	var mon maskedRunes
	switch {
	case allDigits(month.r) && len(month.r) == 2:
		mon = month
	case !allDigits(month.r):
		m := monthNames[string(month.r)]
		if m == 0 && len(month.r) > 3 {
			m = monthNames[string(month.r[:3])]
		}
		if m == 0 {
			// Not a month's name: unknown when some letter is unsure.
			if countTrue(month.m) == len(month.m) {
				return nil, nil, "", false
			}
			mon = maskedRunes{[]rune("00"), []bool{false, false}}
			break
		}
		s := countTrue(month.m) == len(month.m)
		mon = maskedRunes{[]rune(fmt.Sprintf("%02d", m)), []bool{s, s}}
		if s && len(month.r) == 3 {
			monthName = string(month.r)
		}
	default:
		return nil, nil, "", false
	}
	for _, t := range []maskedRunes{day, mon, year} {
		digits, sure = append(digits, t.r...), append(sure, t.m...)
	}
	return digits, sure, monthName, true
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func allDigits(rs []rune) bool {
	for _, r := range rs {
		if !isDigit(r) {
			return false
		}
	}
	return len(rs) > 0
}

// lookAlikeRunes tells two characters of one look-alike class.
func lookAlikeRunes(a, b rune) bool {
	if a >= 128 || b >= 128 {
		return false
	}
	for _, c := range lookAlikes {
		if strings.IndexByte(c, byte(a)) >= 0 && strings.IndexByte(c, byte(b)) >= 0 {
			return true
		}
	}
	return false
}

// dateDigits writes a date as DDMMYY.
func dateDigits(d mrz.Date) string {
	return fmt.Sprintf("%02d%02d%02d", d.Day, d.Month, d.Year%100)
}

// CompareReading reports whether a reading agrees with the MRZ, whether
// it could be compared at all, and the MRZ's value, as viz.mrz.consistency
// judges it (for evaluations of readers).
func CompareReading(r *mrz.Result, rd Reading) (ok, comparable bool, want string) {
	return compareField(r, rd)
}

// JudgeReadings decides a field from its readings as viz.mrz.consistency
// does (for evaluations of readers): whether they agree with the MRZ,
// whether they could decide at all, and the MRZ's value.
func JudgeReadings(r *mrz.Result, rds []Reading) (ok, decided bool, want string) {
	v, _, want := judgeField(r, rds)
	return v == fieldAgrees, v != fieldUncompared, want
}

// lookAlikes are the classes of characters an OCR of printed capitals
// confuses. A 9 is read O or I (the printed font's closed bowl and tail):
// on tuning captures 11000970 and 11004828 every 9 of a document number
// was read so, confidently.
var lookAlikes = []string{"0OQDU", "1IJLT", "2Z", "5S", "8B", "6G", "4A", "EF", "9O", "9I"}

// nameWidth is the width of the MRZ's name field of a format.
func nameWidth(f mrz.Format) int {
	switch f {
	case mrz.TD1:
		return 30
	case mrz.TD2, mrz.MRVB:
		return 31
	}
	return 39
}

// nameMatches compares a printed name with the MRZ's readable name.
func nameMatches(printed, mrzName string, truncated bool) bool {
	want := strings.Join(strings.Fields(mrzName), " ")
	cands := []string{printed}
	if strings.Contains(printed, "/") {
		cands = append(cands, strings.Split(printed, "/")...)
	}
	for _, c := range cands {
		for _, t := range []string{mrz.Transliterate(c), mrz.Transliterate(singleLetter(c))} {
			t = strings.ReplaceAll(t, "<", " ")
			if t == want || (truncated && want != "" && strings.HasPrefix(t, want)) {
				return true
			}
			// A printed name whose umlauts were lost (by the printer's
			// font or the reader) against an MRZ that spells them out,
			// also when the MRZ's name was cut short.
			st, sw := skeleton(t), skeleton(want)
			if st == sw || (truncated && sw != "" && strings.HasPrefix(st, sw)) {
				return true
			}
			// Spacing is not part of a name's identity, and an OCR
			// splits or joins words ("THI LAN" read "THILAN").
			if nt, nw := strings.ReplaceAll(st, " ", ""), strings.ReplaceAll(sw, " ", ""); nt != "" && (nt == nw || truncated && nw != "" && strings.HasPrefix(nt, nw)) {
				return true
			}
		}
	}
	return false
}

// skeleton folds the two-letter spellings of national characters (AE,
// OE, UE, AA) to one letter, and Q to O (an OCR reads Ø as Q).
func skeleton(s string) string {
	return strings.NewReplacer("AE", "A", "OE", "O", "UE", "U", "AA", "A", "Q", "O").Replace(s)
}

// singleLetter writes the national characters that ICAO also allows as a
// single letter (Ä as A, Ö as O, Ü as U, Å as A, Ø as O, Æ as A).
func singleLetter(s string) string {
	return strings.NewReplacer("Ä", "A", "Ö", "O", "Ü", "U", "Å", "A", "Ø", "O", "Æ", "A",
		"ä", "a", "ö", "o", "ü", "u", "å", "a", "ø", "o", "æ", "a").Replace(s)
}

var monthNames = map[string]int{}

// monthLists are the three-letter month names by language.
var monthLists [][]string

// monthNameEdits is how far a month's three-letter name read (a month
// other than month) is from month's name in the same language: the
// letters that differ, at most 2 (JUN and JUL 1, MAY and FEB 2).
func monthNameEdits(name string, month int) int {
	best := 2
	for _, l := range monthLists {
		if month < 1 || month > len(l) || monthNumber(l, name) == 0 || len(l[month-1]) != len(name) {
			continue
		}
		d := 0
		for i := range name {
			if name[i] != l[month-1][i] {
				d++
			}
		}
		best = min(best, d)
	}
	return best
}

// monthNumber is name's month in list l (0: not in it).
func monthNumber(l []string, name string) int {
	for i, m := range l {
		if m == name {
			return i + 1
		}
	}
	return 0
}

func init() {
	lists := [][]string{
		{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"},
		{"JAN", "FEV", "MARS", "AVR", "MAI", "JUIN", "JUIL", "AOUT", "SEPT", "OCT", "NOV", "DEC"},
		{"JAN", "FEB", "MÄR", "APR", "MAI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEZ"},
		{"ENE", "FEB", "MAR", "ABR", "MAY", "JUN", "JUL", "AGO", "SEP", "OCT", "NOV", "DIC"},
	}
	monthLists = lists
	for _, l := range lists {
		for i, m := range l {
			monthNames[m] = i + 1
		}
	}
	monthNames["FÉV"], monthNames["AOÛ"], monthNames["AOÛT"], monthNames["DÉC"], monthNames["MRZ"] = 2, 8, 8, 12, 3
}

// dateTokens splits a printed date into its parts: at separators, and
// between digits and letters ("04NOV 1996": the space before the month
// not read).
func dateTokens(s string) []string {
	var toks []string
	start := -1
	prevDigit := false
	for i, r := range s {
		sep := r == ' ' || r == '.' || r == '/' || r == '-'
		d := isDigit(r)
		if start >= 0 && (sep || d != prevDigit) {
			toks = append(toks, s[start:i])
			start = -1
		}
		if !sep && start < 0 {
			start = i
		}
		prevDigit = d
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}

// parsePrintedDate reads the date formats printed on travel documents:
// "02 MAR 1981", "02 MAR/MARS 81", "12.08.1964", "12/08/1964",
// "1964-08-12".
func parsePrintedDate(s string) (mrz.Date, bool) {
	toks := dateTokens(strings.ToUpper(strings.TrimSpace(s)))
	var nums, lens []int
	month := 0
	for _, t := range toks {
		if n, err := strconv.Atoi(t); err == nil {
			nums, lens = append(nums, n), append(lens, len(t))
			continue
		}
		if m, ok := monthNames[t]; ok && month == 0 {
			month = m
			continue
		}
		if len(t) > 3 {
			if m, ok := monthNames[t[:3]]; ok && month == 0 {
				month = m
				continue
			}
		}
	}
	var d mrz.Date
	yearLen := 0
	switch {
	case month != 0 && len(nums) == 2:
		d, yearLen = mrz.Date{Day: nums[0], Month: month, Year: nums[1]}, lens[1]
	case month == 0 && len(nums) == 3 && nums[0] > 31:
		d, yearLen = mrz.Date{Year: nums[0], Month: nums[1], Day: nums[2]}, lens[0]
	case month == 0 && len(nums) == 3:
		d, yearLen = mrz.Date{Day: nums[0], Month: nums[1], Year: nums[2]}, lens[2]
	default:
		return mrz.Date{}, false
	}
	if yearLen != 2 && yearLen != 4 {
		return mrz.Date{}, false // "31 JUL 1": the year's digits lost
	}
	if yearLen == 4 && (d.Year < 1900 || d.Year > 2099) {
		return mrz.Date{}, false // "16 NOV 2680": a digit misread
	}
	if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 || d.Year < 0 {
		return mrz.Date{}, false
	}
	return d, true
}

// checkMRZPlausibility reports the MRZ's own validity: check digits,
// codes, dates.
func checkMRZPlausibility(r *mrz.Result) engine.Check {
	c := engine.Check{Name: "mrz.plausibility", Threshold: "0 invalid fields"}
	if r == nil {
		c.Status, c.Reason = engine.NotPerformed, "the MRZ was not read"
		return c
	}
	errs := r.Errors()
	c.Value = engine.Measured(float64(len(errs)))
	if len(errs) == 0 {
		c.Status, c.Reason = engine.Pass, fmt.Sprintf("%s zone: check digits, codes and dates valid", r.Format)
		if ws := r.Warnings.List(); len(ws) > 0 {
			var names []string
			for _, w := range ws {
				names = append(names, w.String())
			}
			c.Reason += " (warnings: " + strings.Join(names, ", ") + ")"
		}
		return c
	}
	var msgs []string
	for _, f := range errs {
		msgs = append(msgs, fmt.Sprintf("%s: %s", f.Name, f.Message))
	}
	c.Status, c.Reason = engine.Fail, "invalid MRZ: "+strings.Join(msgs, "; ")
	return c
}

// yearCutShort reports a printed date whose year after the month's name
// was read "19" or "20": a four-digit year cut short after its century,
// illegible (as a reading that is no date, an unsure one does not hold
// back another reading's difference).
func yearCutShort(text string) bool {
	toks := dateTokens(strings.ToUpper(strings.TrimSpace(text)))
	return len(toks) == 3 && monthOf(toks[1]) > 0 && (toks[2] == "19" || toks[2] == "20")
}

// hardDigits counts the positions where two digit strings of one length
// differ other than as round digits (0, 6, 8).
func hardDigits(a, b string) int {
	n := 0
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] && !roundDigitsOnly(a[i:i+1], b[i:i+1]) {
			n++
		}
	}
	return n
}

// roundDigitsOnly reports whether two digit strings of one length
// differ, and only where both digits are round ones (0, 6, 8).
func roundDigitsOnly(a, b string) bool {
	if len(a) != len(b) || a == b {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && (strings.IndexByte("068", a[i]) < 0 || strings.IndexByte("068", b[i]) < 0) {
			return false
		}
	}
	return true
}

// minConfidenceFor is the confidence a reading compared whole needs to
// differ from the MRZ: MinConfidence, or minShortNameConfidence for a
// name of fewer than four letters.
func minConfidenceFor(rd Reading) float64 {
	if (rd.Field == "surname" || rd.Field == "given_names") && len([]rune(normName(rd.Text))) < 4 {
		return minShortNameConfidence
	}
	return MinConfidence
}

// cutAtEdge reports a machine reading of a name whose end the crop's
// right edge cut: shorter than the MRZ's name and its beginning but for
// a character (the last one read may be cut): the Latin part of a
// "national / transliterated" pair ("EKATEPUHA / EKATE" for EKATERINA),
// or the national script alone read as Latin look-alikes ("OJIEH" for
// ОЛЕНА INGRID).
func cutAtEdge(r *mrz.Result, rd Reading) bool {
	if rd.Confidence == 0 || rd.Part != "" || (rd.Field != "surname" && rd.Field != "given_names") {
		return false
	}
	f := printedFieldInMRZ(r, rd.Field)
	if f == nil || f.Value == "" {
		return false
	}
	want := normName(f.Value)
	text := rd.Text
	slash := strings.LastIndexByte(text, '/')
	if slash >= 0 {
		text = text[slash+1:]
	}
	got := normName(text)
	if n := len([]rune(got)); n > partMinChars && n < len([]rune(want)) {
		if h, _ := editCounts(cutPart(got, "start"), want, "start"); h == 0 || h <= 1 && slash >= 0 {
			return true
		}
	}
	if slash < 0 {
		cyr := cyrillicLook(strings.NewReplacer("<", "", " ", "").Replace(f.Value))
		if n := len([]rune(got)); n >= partMinChars && n <= len(cyr) {
			if h, _ := editCounts(cutPart(got, "start"), cyr, "start"); 3*h < n-1 {
				return true
			}
		}
	}
	return false
}
