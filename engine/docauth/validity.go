package docauth

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"time"

	"checkpost/engine"
	"checkpost/mrz"
)

// The validity a document's MRZ gives it: its date of expiry less the
// printed date of issue, which the MRZ does not hold. An MRZ altered to
// extend the validity (the printed date of expiry left as issued, or
// hidden under the holder's thumb) makes a document valid longer than
// its issuer ever issues one: profile.Profile.MaxValidityDays.

// validityGraceDays is how much longer than the profile's longest the
// validity may be before it FAILs: issuers round, and some carried the
// months left on a passport renewed early over to the new one (up to
// nine months).
const validityGraceDays = 366

// issueCrop is the date of issue's field crop, for its glyphs.
type issueCrop struct {
	im      *image.Gray
	pxPerMM float64
	glyphs  *glyphModel // nil when the profile learned none
}

// The year decides: the validity a forger extends grows by years, and
// a genuine document's grows past the longest plus validityGraceDays
// only by a year misread (a day or month misread moves it by less than
// the grace). So the year's characters must be read surely and be
// borne out by the model's glyphs; a day or month the reader was
// unsure of is taken as read, and a day out of range (the font's 0
// read 8: "89 APR 2021") as the month's first.

// vouches tells whether the model's glyphs find the year of a reading
// of the date of issue printed as read: each of its places' glyph
// correlates with the read character's at least as well as with any
// other (a year's 9 read 8 is the model's 9). Without glyphs the
// reading stands alone.
func (ic *issueCrop) vouches(text string) bool {
	if ic == nil || ic.glyphs == nil {
		return true
	}
	want := glyphChars(text)
	year := yearPlaces(text)
	if len(want) == 0 || year == nil {
		return false
	}
	ps, ok := ic.glyphs.cutGlyphs(ic.im, ic.pxPerMM, "issue_date", want).compare("issue_date")
	if !ok {
		return false
	}
	for _, i := range year {
		if ps[i].want < ps[i].other {
			return false
		}
	}
	return true
}

// yearPlaces returns the places of a printed date's year among its
// characters (glyphChars): its only four-digit number, else its last
// number; nil when it has none, or characters other than letters,
// digits and separators.
func yearPlaces(text string) []int {
	toks := dateTokens(strings.ToUpper(strings.TrimSpace(text)))
	joined := strings.Join(toks, "")
	if string(glyphChars(joined)) != string(glyphChars(text)) || len(glyphChars(joined)) != len([]rune(joined)) {
		return nil
	}
	var nums [][2]int // each number's first place and length
	four := -1
	pos := 0
	for _, t := range toks {
		n := len([]rune(t))
		if allDigits([]rune(t)) {
			if n == 4 {
				if four >= 0 {
					return nil
				}
				four = len(nums)
			}
			nums = append(nums, [2]int{pos, n})
		}
		pos += n
	}
	if len(nums) == 0 {
		return nil
	}
	y := nums[len(nums)-1]
	if four >= 0 {
		y = nums[four]
	}
	var out []int
	for i := y[0]; i < y[0]+y[1]; i++ {
		out = append(out, i)
	}
	return out
}

// readIssueDate reads a reading of the date of issue: false when it is
// in part, a machine reading under MinConfidence or with a character
// of its year under MinCharConfidence, or no date.
func readIssueDate(rd Reading) (mrz.Date, bool) {
	if rd.Part != "" || rd.Confidence != 0 && rd.Confidence < MinConfidence {
		return mrz.Date{}, false
	}
	d, ok := parsePrintedDate(rd.Text)
	if !ok {
		m, y, myok := printedMonthYear(rd.Text)
		if !myok {
			return mrz.Date{}, false
		}
		d = mrz.Date{Year: y, Month: m, Day: 1}
	}
	rs := []rune(rd.Text)
	if rd.Confidence == 0 || len(rd.Chars) != len(rs) {
		return d, true
	}
	year := yearPlaces(rd.Text)
	k := 0 // place among the characters
	for i, r := range rs {
		if len(glyphChars(string(r))) == 0 {
			continue
		}
		if slices.Contains(year, k) && rd.Chars[i] < MinCharConfidence {
			return mrz.Date{}, false
		}
		k++
	}
	return d, true
}

// issueDateBefore returns a printed date of issue as a date no later
// than expiry: a two-digit year is taken in the century that puts it
// within the 100 years before expiry.
func issueDateBefore(d mrz.Date, expiry time.Time) time.Time {
	if d.Year < 100 {
		y := expiry.Year()/100*100 + d.Year
		if y > expiry.Year() {
			y -= 100
		}
		d.Year = y
	}
	return d.Time()
}

// weighValidity adds the validity to viz.mrz.consistency: where the
// profile knows its model's longest validity and the printed date of
// issue is read (readIssueDate; every reading of it giving the same
// date, and the model's glyphs vouching for its year), an MRZ expiring
// more than validityGraceDays after the longest FAILs it.
//
// The printed date of expiry, read whole and agreeing with the MRZ,
// vouches for the MRZ's: the validity is then the fallback it is for,
// not weighed against it (only said). The year of issue can be misread
// with every sign of certainty: "14 MAY 2015" for 2019, its characters
// at 0.9 and more and the glyphs bearing out the 5, in a JPEG of quality
// 5 whose expiry date was read as the MRZ's (seed 16716110 of the report
// range 16700000..16719999, which then no longer counts as one for this
// rule).
func weighValidity(r *mrz.Result, reads, others []Reading, ic *issueCrop, maxDays int, c engine.Check) engine.Check {
	if r == nil || maxDays <= 0 || len(reads) == 0 {
		return c
	}
	f := printedFieldInMRZ(r, "expiry_date")
	if f == nil || f.Date.Year == 0 || f.Date.Month == 0 || f.Date.Day == 0 {
		return c
	}
	expiry := f.Date.Time()
	var issued time.Time
	var text string
	for _, rd := range reads {
		d, ok := readIssueDate(rd)
		if !ok {
			continue
		}
		t := issueDateBefore(d, expiry)
		if !issued.IsZero() && !t.Equal(issued) {
			c.Reason += fmt.Sprintf("; the date of issue read two ways (%q, %q): validity not weighed", text, rd.Text)
			return c
		}
		issued, text = t, rd.Text
	}
	if issued.IsZero() {
		return c
	}
	if issued.After(expiry) {
		c.Reason += fmt.Sprintf("; the date of issue read %q, after the MRZ's date of expiry: validity not weighed", text)
		return c
	}
	days := validityDays(issued, expiry)
	years := func(d int) float64 { return math.Round(float64(d)/365.25*10) / 10 }
	tooLong := days > maxDays+validityGraceDays
	// Only a validity too long needs the glyphs' word (fitting them
	// costs a few milliseconds).
	if tooLong && !ic.vouches(text) {
		c.Reason += fmt.Sprintf("; the date of issue read %q, which the model's glyphs do not bear out: validity not weighed", text)
		return c
	}
	if tooLong && !expiryPrintedAsMRZ(r, others) {
		why := fmt.Sprintf("the MRZ's date of expiry (%s) is %.1f years after the printed date of issue (%s): the model's documents are valid at most %.1f years",
			f.Date, years(days), text, years(maxDays))
		if c.Status != engine.Fail {
			c.Status = engine.Fail
			c.Reason = why + "; " + c.Reason
		} else {
			c.Reason += "; " + why
		}
		return c
	}
	c.Reason += fmt.Sprintf("; valid %.1f years from the printed date of issue (%s) to the MRZ's date of expiry (the model's longest %.1f)", years(days), text, years(maxDays))
	if tooLong {
		c.Reason += ": longer, but the printed date of expiry agrees with the MRZ (the date of issue taken as misread)"
	}
	return c
}

// expiryPrintedAsMRZ tells whether a whole reading of the printed date
// of expiry agrees with the MRZ's.
func expiryPrintedAsMRZ(r *mrz.Result, rds []Reading) bool {
	var whole []Reading
	for _, rd := range rds {
		if rd.Field == "expiry_date" && rd.Part == "" {
			whole = append(whole, rd)
		}
	}
	v, _, _ := judgeField(r, whole)
	return len(whole) > 0 && v == fieldAgrees
}
