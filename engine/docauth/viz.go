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
	// Part is "" when the whole value was seen; "start" when only its
	// beginning was (the rest under a thumb or glare: the last character
	// read may be cut), "end" when only its end was.
	Part string `json:"part,omitempty"`
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
			diffs = append(diffs, fmt.Sprintf("%s printed %q, MRZ %q", name, rd.Text, want))
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
	unsure := false
	want := ""
	for _, rd := range rds {
		ok, comparable, w := compareField(r, rd)
		if w != "" {
			want = w
		}
		switch {
		case ok && comparable:
			return fieldAgrees, rd, w
		case comparable:
			differ = append(differ, rd)
		case strings.TrimSpace(rd.Text) != "" && w != "":
			unsure = true
		}
	}
	if unsure || len(differ) == 0 {
		return fieldUncompared, Reading{}, want
	}
	for _, rd := range differ {
		if rd.Confidence == 0 || rd.Confidence >= MinConfidence {
			return fieldDiffers, rd, want
		}
	}
	return fieldUncompared, Reading{}, want
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
		if rd.Part != "" {
			return comparePartName(text, f.Value, rd.Part, rd.Confidence > 0)
		}
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
		if rd.Confidence > 0 && nameHardEdits(text, f.Value) <= 1 {
			return false, false, f.Value
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
		fn := mrz.BirthDate
		if rd.Field == "expiry_date" {
			fn = mrz.ExpiryDate
		}
		f := r.Field(fn)
		if f == nil || f.Date.IsZero() {
			return false, false, ""
		}
		if rd.Part != "" {
			return comparePartDate(text, f.Date, rd.Part)
		}
		d, ok := parsePrintedDate(text)
		if !ok {
			if m, y, ok := printedMonthYear(text); ok && rd.Confidence > 0 {
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
	}
	return ok, comparable, mrzName
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
// doubled: "280 SEP 1993") or no day ("NOV 1947"),
// then the month by name or number and a year from 1900 to 2099.
func printedMonthYear(s string) (month, year int, ok bool) {
	toks := strings.FieldsFunc(strings.ToUpper(strings.TrimSpace(s)), func(r rune) bool { return r == ' ' || r == '.' || r == '/' || r == '-' })
	switch len(toks) {
	case 3:
		d, err := strconv.Atoi(toks[0])
		if err != nil || len(toks[0]) < 2 || len(toks[0]) > 3 || d >= 1 && d <= 31 {
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
	a, b := []rune(got), []rune(want)
	type cell struct {
		cost              float64
		hard, soft, indel int
	}
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
		dp[i][0] = cell{float64(i), i, 0, i}
		for j := 1; j <= m; j++ {
			best := dp[i-1][j-1]
			switch {
			case a[i-1] == b[j-1]:
			case lookAlikeRunes(a[i-1], b[j-1]):
				best.cost += 0.3
				best.soft++
			default:
				best.cost++
				best.hard++
			}
			for _, c := range []cell{dp[i-1][j], dp[i][j-1]} {
				c.cost++
				c.hard++
				c.indel++
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
// confuses.
var lookAlikes = []string{"0OQDU", "1IJLT", "2Z", "5S", "8B", "6G", "4A", "EF"}

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
