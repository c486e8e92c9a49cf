package docauth

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strings"

	"checkpost/engine"
	"checkpost/internal/histogram"
	"checkpost/mrz"
)

// inkExtent is a printed value's ink in a field crop, measured without
// reading it: the width from its first inked column to its last, and
// the height of its capitals (the rows most of its letters fill, not an
// accent above them nor a tail below), in millimetres. Their ratio is
// the value's length in capital heights, whatever the print's size (a
// long value printed smaller to fit keeps it).
type inkExtent struct {
	widthMM, capMM float64
	// faintMM is the width counting print as faint as a quarter of the
	// contrast: more than widthMM where part of the value is washed out
	// (a glare's haze), or where faint background art lies close after
	// it. A value too short must be so by this width too.
	faintMM float64
	// cut is true when the ink runs to within a blank gap (rightGapCaps)
	// of the crop's right edge: the value may go on beyond it.
	cut bool
	// endMM is where the line ends (faint print counted), from the
	// crop's left edge.
	endMM float64
}

// lengthFields are the fields whose printed length is weighed: names,
// whose alteration changes it (a date's or a number's keeps its format).
var lengthFields = map[string]bool{"surname": true, "given_names": true}

// speckAllowanceCaps is what a value may have lost, in capital heights,
// under specks of glare too small to hide a field (up to minHidingMM2:
// a letter and a half): a name too short must be so with it added.
const speckAllowanceCaps = 2

// measureName measures a name's print for the length evidence (false
// when it cannot be): on a field (box, page mm, cut out as im at scale
// px per mm) wholly in view, or on one whose beginning is in view (span)
// when the value ends, a blank gap after it, before the hidden part.
// rows are the value's rows (page mm); hiding marks the cells under glare or a thumb, raw every unusable
// cell: specks of glare inside the value's box leave it measured, with
// speckAllowanceCaps added to the faint width.
func measureName(name, part string, im *image.Gray, scale float64, hiding, raw *analysis, box [4]float64, rows, span [2]float64, W, H float64) (inkExtent, bool) {
	if !lengthFields[name] || part == "end" {
		return inkExtent{}, false
	}
	right, seenRight := box[2], box[2]
	if part == "start" {
		// The cell at the span's edge is the first hidden one.
		right, seenRight = span[1], span[1]-hiding.s.mm
	}
	// On the value's rows (those of the profile's box).
	seen := [4]float64{box[0] / W, rows[0] / H, seenRight / W, rows[1] / H}
	if hiddenFraction(hiding, seen) > 0 {
		return inkExtent{}, false
	}
	e, ok := measureInk(im, scale)
	if !ok {
		return e, false
	}
	if part == "start" && !e.endsBefore(right-box[0]) {
		return inkExtent{}, false // the value may run on under the thumb
	}
	if hiddenFraction(raw, seen) > 0 {
		e.faintMM += speckAllowanceCaps * e.capMM
	}
	return e, true
}

// endsBefore tells a line that ends a blank gap of more than
// rightGapCaps before x (mm from the crop's left edge): what lies at x
// or beyond is not part of the value.
func (e inkExtent) endsBefore(x float64) bool { return x-e.endMM > rightGapCaps*e.capMM }

// wholeGapCaps is the least blank gap, in capital heights, between a
// number's or date's last run of ink and a thumb right after it for the
// value to be taken as whole by its count of runs (valueInView): a
// character the thumb's edge cuts leaves its ink at the edge.
const wholeGapCaps = 0.5

// valueInView tells a field whose beginning is in view (its crop im at
// pxPerMM, whitened from cutMM on, the first hidden column) whose value
// ends in view. Such a value is read and compared whole, its glyphs too.
//   - Its line of print stops a blank gap (rightGapCaps) before the cut.
//     A field's crop runs on to where a longer value would end (up to
//     twice the learned value's width); a thumb there had the value
//     taken for its beginning, its last character for the one at the
//     cut and left out, and a little hidden field was not cut into
//     glyphs. On tuning seeds 13600000..13601599 (eval docauth --viz
//     ocr, none and mrz-altered, 800 each) the MRZ alterations missed
//     under a thumb went from 23 to 15 of 196; genuine captures FAILed
//     as before (3/800).
//   - Or, for a number or date of n characters (n > 0: the MRZ's count),
//     its line is n runs of ink ending wholeGapCaps or more before the
//     cut, the thumb closer than a blank gap. An expiry date read in
//     full, "09 OCT 2027", was compared as a beginning without its last
//     digit, the one the MRZ had altered (tuning seed 13600323, now
//     caught by its glyphs); on the same seeds this gained that capture
//     and lost none, genuine captures FAILing as before.
func valueInView(im *image.Gray, pxPerMM, cutMM float64, n int) bool {
	ln, ok := findValueLine(im, pxPerMM)
	if !ok {
		return false
	}
	if inkOf(ln, pxPerMM).endsBefore(cutMM) {
		return true
	}
	if n == 0 {
		return false
	}
	capPx := ln.bot - ln.top + 1
	x1 := lineEnd(ln.cols, ln.x0, capPx)
	if cutMM*pxPerMM-float64(x1+1) < wholeGapCaps*float64(capPx) {
		return false
	}
	return len(glyphRuns(ln, ln.ink, ln.cols, x1)) == n
}

// caps is the value's length in capital heights.
func (e inkExtent) caps() float64 { return e.widthMM / e.capMM }

// Ink measurement bounds: a line of capitals of a printed field is 1.2 to
// 4.5 mm high (values are printed at 2.5 to 5 mm; long ones smaller to
// fit their room), and the paper must stand out from the ink by
// minInkContrast grey levels.
const (
	minCapMM       = 1.0
	maxCapMM       = 4.5
	minInkContrast = 48
)

// measureInk measures the value printed in a field crop (grey, upright,
// at pxPerMM): it returns false when the crop holds no clean line of
// print (too little contrast, no band of rows, capitals of an
// implausible height).
func measureInk(im *image.Gray, pxPerMM float64) (inkExtent, bool) {
	ln, ok := findValueLine(im, pxPerMM)
	if !ok {
		return inkExtent{}, false
	}
	return inkOf(ln, pxPerMM), true
}

// inkOf measures a found line of print (see measureInk).
func inkOf(ln valueLine, pxPerMM float64) inkExtent {
	w, h, capPx, x0 := ln.w, ln.h, ln.bot-ln.top+1, ln.x0
	x1 := lineEnd(ln.cols, x0, capPx)
	// The same line with print as faint as a quarter of the contrast (a
	// glare's haze, a washed-out end): where it runs on, the value may
	// too.
	faint := lineEnd(strokeColumns(strokes(ln.dark, w, h, ln.contrast/4), w, ln.top, ln.bot), x0, capPx)
	return inkExtent{widthMM: float64(x1-x0+1) / pxPerMM, faintMM: float64(max(x1, faint)-x0+1) / pxPerMM, capMM: ln.capMM,
		cut: float64(w-1-max(x1, faint)) <= rightGapCaps*float64(capPx), endMM: float64(max(x1, faint)+1) / pxPerMM}
}

// valueLine is the line of print of a field crop's value: the crop's
// darkness (see darkness) and ink, the rows of its capitals, and its
// inked columns from the value's first one.
type valueLine struct {
	w, h     int
	dark     []int
	contrast int
	ink      []bool
	top, bot int // the capitals' rows
	capMM    float64
	cols     []bool // columns with ink on the capitals' rows
	x0       int    // the value's first inked column
}

// findValueLine finds the line of print of a field crop (grey, upright,
// at pxPerMM), or false when the crop holds no clean one (too little
// contrast, no band of rows, capitals of an implausible height).
func findValueLine(im *image.Gray, pxPerMM float64) (valueLine, bool) {
	w, h := im.Rect.Dx(), im.Rect.Dy()
	if w < 8 || h < 8 || pxPerMM <= 0 {
		return valueLine{}, false
	}
	dark, contrast := darkness(im)
	if contrast < minInkContrast {
		return valueLine{}, false
	}
	// Ink is darker than half the print's contrast: background art is
	// printed in light tints.
	clean := inkMask(dark, w, h, contrast/2)
	rows := make([]int, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if clean[y*w+x] {
				rows[y]++
			}
		}
	}
	// The value's block of rows: the one (parted from others by blank
	// rows) nearest the crop's middle, where the profile places it; a
	// caption caught above is another block, and may hold more ink than
	// a short value.
	mid, b0, b1 := h/2, -1, -1
	for d := 0; d < h/4 && b0 < 0; d++ {
		for _, y := range []int{mid - d, mid + d} {
			if y >= 0 && y < h && rows[y] >= 2 {
				b0, b1 = y, y
				break
			}
		}
	}
	if b0 < 0 {
		return valueLine{}, false
	}
	for b0 > 0 && rows[b0-1] >= 2 {
		b0--
	}
	for b1 < h-1 && rows[b1+1] >= 2 {
		b1++
	}
	// Its capitals' band: the run of rows holding a good share of the
	// block's busiest row's ink with the most ink in all (not an accent
	// above nor a tail below).
	peak := 0
	for y := b0; y <= b1; y++ {
		peak = max(peak, rows[y])
	}
	thrRow := max(2, peak/4)
	best, bestSum, top, sum := -1, 0, -1, 0
	for y := b0; y <= b1+1; y++ {
		if y <= b1 && rows[y] >= thrRow {
			if top < 0 {
				top, sum = y, 0
			}
			sum += rows[y]
			continue
		}
		if top >= 0 && sum > bestSum {
			best, bestSum = top, sum
		}
		top = -1
	}
	if best < 0 {
		return valueLine{}, false
	}
	bot := best
	for bot+1 <= b1 && rows[bot+1] >= thrRow {
		bot++
	}
	capPx := bot - best + 1
	capMM := float64(capPx) / pxPerMM
	if capMM < minCapMM || capMM > maxCapMM || best == 0 || bot == h-1 {
		return valueLine{}, false
	}
	cols := inkedColumns(clean, w, best, bot)
	x0 := 0
	for x0 < w && !cols[x0] {
		x0++
	}
	// A narrow mark near the left edge and a gap wider than between
	// letters: the end of something printed before the field.
	if x0 < capPx {
		end := x0
		for end < w && cols[end] {
			end++
		}
		gap := 0
		for end+gap < w && !cols[end+gap] {
			gap++
		}
		if (end-x0)*3 < capPx && gap*10 >= capPx*3 && end+gap < w {
			x0 = end + gap
		}
	}
	if x0 >= w {
		return valueLine{}, false
	}
	return valueLine{w: w, h: h, dark: dark, contrast: contrast, ink: clean, top: best, bot: bot, capMM: capMM, cols: cols, x0: x0}, true
}

// darkness returns how much darker than the paper of its column each
// pixel of im is, smoothed (3x3) against noise, and the print's contrast
// (the 98th percentile of the darkness). A column's paper is the
// lightest sixth of it and of its neighbours half the crop's height
// either side: uneven light shades the paper.
func darkness(im *image.Gray) ([]int, int) {
	w, h := im.Rect.Dx(), im.Rect.Dy()
	sm := make([]int, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s, n := 0, 0
			for yy := max(0, y-1); yy <= min(h-1, y+1); yy++ {
				for xx := max(0, x-1); xx <= min(w-1, x+1); xx++ {
					s += int(im.Pix[yy*im.Stride+xx])
					n++
				}
			}
			sm[y*w+x] = s / n
		}
	}
	colPaper := make([]int, w)
	col := make([]int, h)
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			col[y] = sm[y*w+x]
		}
		slices.Sort(col)
		colPaper[x] = col[h*5/6]
	}
	win := max(1, h/2)
	dark := make([]int, w*h)
	var hist [256]int
	for x := 0; x < w; x++ {
		paper := 0
		for xx := max(0, x-win); xx <= min(w-1, x+win); xx++ {
			paper = max(paper, colPaper[xx])
		}
		for y := 0; y < h; y++ {
			d := max(0, paper-sm[y*w+x])
			dark[y*w+x] = d
			hist[d]++
		}
	}
	return dark, histogram.Quantile(hist[:], w*h, 0.98)
}

// inkMask marks the pixels darker than thr that have two such
// neighbours or more (a speck of noise is not print).
func inkMask(dark []int, w, h, thr int) []bool {
	clean := make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if dark[y*w+x] <= thr {
				continue
			}
			n := 0
			for yy := max(0, y-1); yy <= min(h-1, y+1); yy++ {
				for xx := max(0, x-1); xx <= min(w-1, x+1); xx++ {
					if dark[yy*w+xx] > thr {
						n++
					}
				}
			}
			clean[y*w+x] = n >= 3 // itself and two neighbours
		}
	}
	return clean
}

// strokes marks the pixels darker than thr whose eight neighbours are
// too: the strokes of letters, not the hairlines of background art.
func strokes(dark []int, w, h, thr int) []bool {
	out := make([]bool, w*h)
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			all := true
			for yy := y - 1; yy <= y+1 && all; yy++ {
				for xx := x - 1; xx <= x+1; xx++ {
					if dark[yy*w+xx] <= thr {
						all = false
						break
					}
				}
			}
			out[y*w+x] = all
		}
	}
	return out
}

// strokeColumns tells the columns where strokes cover a sixth of rows
// y0..y1 or more: a letter's stem or bowl, not background art crossing
// the line.
func strokeColumns(ink []bool, w, y0, y1 int) []bool {
	cols := make([]bool, w)
	need := (y1 - y0 + 1) / 6
	for x := 0; x < w; x++ {
		n := 0
		for y := y0; y <= y1; y++ {
			if ink[y*w+x] {
				n++
			}
		}
		cols[x] = n > 0 && n >= need
	}
	return cols
}

// inkedColumns tells the columns holding ink on rows y0..y1.
func inkedColumns(ink []bool, w, y0, y1 int) []bool {
	cols := make([]bool, w)
	for x := 0; x < w; x++ {
		for y := y0; y <= y1; y++ {
			if ink[y*w+x] {
				cols[x] = true
				break
			}
		}
	}
	return cols
}

// lineEnd is the last inked column of the line starting at x0, before a
// blank gap of more than rightGapCaps capital heights (capPx pixels):
// words are parted by about half of one.
func lineEnd(cols []bool, x0, capPx int) int {
	x1, gap := x0, 0
	for x := x0; x < len(cols); x++ {
		if cols[x] {
			x1, gap = x, 0
			continue
		}
		gap++
		if float64(gap) > rightGapCaps*float64(capPx) {
			break
		}
	}
	return x1
}

// rightGapCaps is the blank gap, in capital heights, after which what
// follows a value is not part of it.
const rightGapCaps = 2.5

// capsOf estimates the length, in capital heights, of a name as printed
// in a common sans-serif type (advance widths over the capital height:
// narrow I and J, wide M and W), without the side bearings of its first
// and last letters.
func capsOf(name string) float64 {
	w := 0.0
	for _, r := range name {
		switch {
		case r == ' ' || r == '<':
			w += 0.38
		case r == 'I':
			w += 0.5
		case r == 'J':
			w += 0.7
		case r == 'L' || r == 'F' || r == 'T' || r == 'Z':
			w += 0.85
		case r == 'M':
			w += 1.15
		case r == 'W':
			w += 1.3
		case r == '-':
			w += 0.6
		case r == '\'':
			w += 0.3
		default:
			w += 0.95
		}
	}
	return math.Max(0, w-0.15)
}

// minLengthRatio is the margin of the length evidence: a printed name
// under this share of its MRZ value's length (both in capital heights)
// is not its print. A genuine print is shorter than its MRZ value where
// the MRZ spells a letter with two (Ü as UE, Å as AA: ÅSTRÖM is 0.68 of
// AASTROEM's length at worst on the tuning captures). A print longer
// than its MRZ's is not judged: two-script prints ("ИВАНОВА / IVANOVA",
// 2.35 times) and names cut in the MRZ are genuinely longer, and under a
// strong glare the background art, as dark as the washed-out print,
// measured a genuine BJØRN 4.1 times BJOERN.
const minLengthRatio = 0.55

// lengthEvidence compares the length of a printed name (e, measured on
// the whole value in view) with the MRZ's value: a name far shorter than
// the MRZ's cannot be its print, whatever its letters read. It returns a
// difference to report, or "".
func lengthEvidence(r *mrz.Result, field string, e inkExtent) string {
	if !lengthFields[field] {
		return ""
	}
	f := printedFieldInMRZ(r, field)
	if f == nil || strings.TrimSpace(f.Value) == "" {
		return ""
	}
	want := capsOf(strings.TrimSpace(f.Value))
	if want <= 0 {
		return ""
	}
	ratio := e.caps() / want
	if ratio >= minLengthRatio || e.faintMM/e.capMM/want >= minLengthRatio || e.cut {
		return ""
	}
	return fmt.Sprintf("%s printed %.0f mm long in %.1f mm capitals (%.1f capital heights), MRZ %q (%.1f): %.2f times its length", field,
		e.widthMM, e.capMM, e.caps(), f.Value, want, ratio)
}

// weighLength adds to c (viz.mrz.consistency) the names whose printed
// length (extents: measured on the fields wholly in view) is far from
// their MRZ value's: a FAIL, unless a reading of the field spelled the
// MRZ's value (then the measurement, not the print, is wrong).
func weighLength(r *mrz.Result, readings []Reading, extents map[string]inkExtent, c engine.Check) engine.Check {
	if r == nil || len(extents) == 0 {
		return c
	}
	byField := map[string][]Reading{}
	for _, rd := range readings {
		byField[rd.Field] = append(byField[rd.Field], rd)
	}
	var diffs []string
	for _, name := range []string{"surname", "given_names"} {
		e, ok := extents[name]
		if !ok {
			continue
		}
		if v, _, _ := judgeField(r, byField[name]); v == fieldAgrees {
			continue
		}
		if d := lengthEvidence(r, name, e); d != "" {
			diffs = append(diffs, d)
		}
	}
	if len(diffs) == 0 {
		return c
	}
	n := 0.0
	if c.Status == engine.Fail && c.Value != nil {
		n = *c.Value
	}
	c.Value = engine.Measured(n + float64(len(diffs)))
	if c.Status == engine.Fail {
		c.Reason += "; " + strings.Join(diffs, "; ")
	} else {
		c.Status = engine.Fail
		c.Reason = "printed names differ from the MRZ in length: " + strings.Join(diffs, "; ") + " (" + c.Reason + ")"
	}
	return c
}
