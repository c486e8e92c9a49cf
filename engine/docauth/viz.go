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
}

// MinConfidence is the confidence below which a reading is too uncertain
// to contradict the MRZ.
const MinConfidence = 0.5

// checkVIZ compares the printed fields with the MRZ: names through
// transliteration (either of the spellings Doc 9303 allows for Ä, Ö, Ü,
// Å, Ø, Æ; a printed "national / transliterated" pair matches through
// either part; a truncated MRZ name matches its beginning), dates through
// the printed format (day, month by number or name, year), numbers and
// codes exactly.
func checkVIZ(r *mrz.Result, viz []Reading) engine.Check {
	c := engine.Check{Name: "viz.mrz.consistency", Threshold: "0 fields differing"}
	if r == nil {
		c.Status, c.Reason = engine.NotPerformed, "the MRZ was not read"
		return c
	}
	if len(viz) == 0 {
		c.Status, c.Reason = engine.NotPerformed, "the printed fields were not read"
		return c
	}
	var diffs, same []string
	for _, rd := range viz {
		if rd.Confidence > 0 && rd.Confidence < MinConfidence {
			continue
		}
		ok, comparable, want := compareField(r, rd)
		if !comparable {
			continue
		}
		if ok {
			same = append(same, rd.Field)
		} else {
			diffs = append(diffs, fmt.Sprintf("%s printed %q, MRZ %q", rd.Field, rd.Text, want))
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
	return c
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
		fn := mrz.Surname
		if rd.Field == "given_names" {
			fn = mrz.GivenNames
		}
		f := r.Field(fn)
		if f == nil {
			return false, false, ""
		}
		truncated := r.Warnings.Has(mrz.WarnTruncatedName)
		if nameMatches(text, f.Value, truncated) {
			return true, true, f.Value
		}
		// Names that do not fit the MRZ's name field lose their last
		// given names (Doc 9303 Part 3 §4.6): the MRZ holds the first ones.
		if rd.Field == "given_names" && f.Value != "" {
			full := mrz.Transliterate(r.Value(mrz.Surname)) + "<<" + mrz.Transliterate(text)
			if len(full) > nameWidth(r.Format) && strings.HasPrefix(strings.ReplaceAll(mrz.Transliterate(text), "<", " ")+" ", f.Value+" ") {
				return true, true, f.Value
			}
		}
		if rd.Confidence > 0 && nameNearMiss(text, f.Value) {
			return false, false, f.Value
		}
		return false, true, f.Value
	case "document_number":
		want = r.Value(mrz.DocumentNumber)
		got := strings.ReplaceAll(strings.ToUpper(text), " ", "")
		if got != want && (lookAlike(got, want) || rd.Confidence > 0 && nearMiss(got, want)) {
			// Differing only in characters OCR confuses (0/O, 1/I, ...):
			// the reading cannot tell, so it decides nothing.
			return false, false, want
		}
		return got == want, want != "", want
	case "birth_date", "expiry_date":
		fn := mrz.BirthDate
		if rd.Field == "expiry_date" {
			fn = mrz.ExpiryDate
		}
		f := r.Field(fn)
		if f == nil || f.Date.IsZero() {
			return false, false, ""
		}
		d, ok := parsePrintedDate(text)
		if !ok {
			return false, false, f.Date.String()
		}
		same := d.Year%100 == f.Date.Year%100 && d.Month == f.Date.Month && d.Day == f.Date.Day
		if !same && rd.Confidence > 0 && nearMiss(dateDigits(d), dateDigits(f.Date)) {
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

// nameNearMiss is nearMiss for names: on either part of a printed
// "national / transliterated" pair, as the MRZ spells them, spaces aside.
func nameNearMiss(printed, mrzName string) bool {
	norm := func(s string) string {
		return strings.NewReplacer("<", "", " ", "").Replace(skeleton(mrz.Transliterate(singleLetter(s))))
	}
	want := norm(mrzName)
	cands := []string{printed}
	if strings.Contains(printed, "/") {
		cands = append(cands, strings.Split(printed, "/")...)
	}
	for _, c := range cands {
		if nearMiss(norm(c), want) {
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

// lookAlikes are the classes of characters an OCR of printed capitals
// confuses.
var lookAlikes = []string{"0OQDU", "1IJLT", "2Z", "5S", "8B", "6G", "4A"}

// lookAlike reports whether a and b have the same length and differ only
// by characters of one look-alike class.
func lookAlike(a, b string) bool {
	if len(a) != len(b) || a == b {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] == b[i] {
			continue
		}
		same := false
		for _, c := range lookAlikes {
			if strings.IndexByte(c, a[i]) >= 0 && strings.IndexByte(c, b[i]) >= 0 {
				same = true
				break
			}
		}
		if !same {
			return false
		}
	}
	return true
}

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
			// font or the reader) against an MRZ that spells them out.
			if skeleton(t) == skeleton(want) {
				return true
			}
			// Spacing is not part of a name's identity, and an OCR
			// splits or joins words ("THI LAN" read "THILAN").
			if nt, nw := strings.ReplaceAll(skeleton(t), " ", ""), strings.ReplaceAll(skeleton(want), " ", ""); nt != "" && nt == nw {
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

func init() {
	lists := [][]string{
		{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"},
		{"JAN", "FEV", "MARS", "AVR", "MAI", "JUIN", "JUIL", "AOUT", "SEPT", "OCT", "NOV", "DEC"},
		{"JAN", "FEB", "MÄR", "APR", "MAI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEZ"},
		{"ENE", "FEB", "MAR", "ABR", "MAY", "JUN", "JUL", "AGO", "SEP", "OCT", "NOV", "DIC"},
	}
	for _, l := range lists {
		for i, m := range l {
			monthNames[m] = i + 1
		}
	}
	monthNames["FÉV"], monthNames["AOÛ"], monthNames["AOÛT"], monthNames["DÉC"], monthNames["MRZ"] = 2, 8, 8, 12, 3
}

// parsePrintedDate reads the date formats printed on travel documents:
// "02 MAR 1981", "02 MAR/MARS 81", "12.08.1964", "12/08/1964",
// "1964-08-12".
func parsePrintedDate(s string) (mrz.Date, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	toks := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '.' || r == '/' || r == '-' })
	var nums []int
	month := 0
	for _, t := range toks {
		if n, err := strconv.Atoi(t); err == nil {
			nums = append(nums, n)
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
	switch {
	case month != 0 && len(nums) == 2:
		d = mrz.Date{Day: nums[0], Month: month, Year: nums[1]}
	case month == 0 && len(nums) == 3 && nums[0] > 31:
		d = mrz.Date{Year: nums[0], Month: nums[1], Day: nums[2]}
	case month == 0 && len(nums) == 3:
		d = mrz.Date{Day: nums[0], Month: nums[1], Year: nums[2]}
	default:
		return mrz.Date{}, false
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
