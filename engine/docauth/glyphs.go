package docauth

import (
	"fmt"
	"image"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"checkpost/engine"
	"checkpost/engine/docauth/profile"
	"checkpost/internal/deblur"
	"checkpost/mrz"
)

// Glyph evidence: the characters of a printed number or date compared one
// by one, as images, with the model's own characters (profile.GlyphSet,
// learned from the genuine captures' fields) — a second witness beside
// the OCR, which decides nothing on one character: Tesseract read 37% of
// the genuine document numbers of tuning seeds 13000000.. (300 captures)
// other than printed, some with every character sure (U4R2RLC1J read
// U4R2RLC11), and an MRZ altered in one character of its number is
// exactly that. The question put to the glyphs is narrower than
// reading: is the printed character at each place the one the MRZ says,
// or clearly another of the model's characters?

// glyphFields are the fields compared by glyphs: numbers and dates,
// whose every character is one of a small set printed over and over.
var glyphFields = map[string]bool{"document_number": true, "birth_date": true, "expiry_date": true}

// The normalised glyph: the capitals' height fills glyphRows rows; the
// width is scaled alike and centred in glyphCols columns.
const (
	glyphRows = 16
	glyphCols = 20
)

// glyphPadCaps is how far above and below the capitals' rows a glyph's
// cell reaches, in capital heights (the band finder may cut a row of a
// round letter's top or bottom).
const glyphPadCaps = 0.125

// glyphVec is a normalised glyph: darkness over the print's contrast on
// glyphRows x glyphCols cells.
type glyphVec [glyphRows * glyphCols]float32

// segmentGlyphs cuts the value printed in a field crop (grey, upright, at
// pxPerMM) into its characters: runs of inked columns on the capitals'
// rows, those too short to be a character (a dot, a hyphen) left out.
// With n > 0 the value is known to print n characters: runs that blur
// joined are parted at their faintest column (the widest first), and
// pieces of one character (a stroke washed out) joined across the
// narrowest gap, to make n when at most maxGlyphFix are off. It returns
// false when the crop holds no clean line of print.
func segmentGlyphs(p *fieldPrint, pxPerMM float64, n int) ([]glyphVec, []bool, bool) {
	ln, ok := findValueLine(p.im, pxPerMM)
	if !ok {
		return nil, nil, false
	}
	capPx := ln.bot - ln.top + 1
	x1 := lineEnd(ln.cols, ln.x0, capPx)
	runs := glyphRuns(ln, ln.ink, ln.cols, x1)
	if n > 0 && len(runs) != n {
		// A blurred print (defocus, a low resolution enlarged) is
		// deblurred as the reader deblurs it (mrz/ocr/viz) and cut
		// again: its gaps open where the blur had filled them.
		if gs, ok := cutDeblurred(p, pxPerMM, n); ok {
			return gs, make([]bool, n), true
		}
	}
	darker := false
	if n > 0 && len(runs) < n {
		// Blur greys the gaps between characters: at a darker ink
		// level they open again (thin strokes may break, which
		// fixRuns joins).
		for _, level := range []int{3, 4} {
			ink := inkMask(ln.dark, ln.w, ln.h, ln.contrast*level/5)
			more := glyphRuns(ln, ink, inkedColumns(ink, ln.w, ln.top, ln.bot), x1)
			if abs(len(more)-n) < abs(len(runs)-n) {
				runs, darker = widenRuns(more, capPx/8, ln.w), true
			}
			if len(runs) >= n {
				break
			}
		}
	}
	fixed := make([]bool, len(runs))
	if n > 0 {
		if runs, fixed, ok = fixRuns(ln, runs, n, capPx); !ok {
			return nil, nil, false
		}
	}
	if darker {
		// Cut at another ink level than the model's glyphs were: a
		// faint stroke lost (E's arms under blur, leaving a stem like
		// a 1) counts as a made cut.
		for i := range fixed {
			fixed[i] = true
		}
	}
	gs := glyphsOf(ln, runs)
	return gs, fixed, len(gs) > 0
}

// glyphsOf samples each run of a value line as a glyph: its columns, the
// capitals' rows and glyphPadCaps more above and below.
func glyphsOf(ln valueLine, runs [][2]int) []glyphVec {
	pad := int(math.Round(glyphPadCaps * float64(ln.bot-ln.top+1)))
	y0, y1 := max(0, ln.top-pad), min(ln.h-1, ln.bot+pad)
	out := make([]glyphVec, 0, len(runs))
	for _, r := range runs {
		out = append(out, glyphOf(ln, r[0], r[1], y0, y1))
	}
	return out
}

// Deblurring before the cut is the reader's (internal/deblur.Blurred).
// Tuning seeds 13000000..13000599 (none and mrz-altered, 300 each): the
// places of genuine captures cut without parting or joining (deblurred
// ones among them) never had another character correlate more than 0.01
// better than the MRZ's (the decision needs 0.10); mrz-altered 273 ->
// 279/300 detected (with glyphBelowTypical at 0.05, which alone accounts
// for up to four of them), any FAIL on a genuine capture 1/300 as before.

// fieldPrint is a field crop and, once asked for, its print deblurred
// (nil when not blurred): the cut and the fit both read it, and the
// deblurring is done once.
type fieldPrint struct {
	im         *image.Gray
	d          *image.Gray
	deblurDone bool
}

func (p *fieldPrint) deblurred() *image.Gray {
	if !p.deblurDone {
		p.d, p.deblurDone = deblur.Blurred(p.im), true
	}
	return p.d
}

// cutDeblurred deblurs a blurred field crop and cuts its value into
// glyphs, when that gives n runs of ink.
func cutDeblurred(p *fieldPrint, pxPerMM float64, n int) ([]glyphVec, bool) {
	d := p.deblurred()
	if d == nil {
		return nil, false
	}
	ln, ok := findValueLine(d, pxPerMM)
	if !ok {
		return nil, false
	}
	capPx := ln.bot - ln.top + 1
	runs := glyphRuns(ln, ln.ink, ln.cols, lineEnd(ln.cols, ln.x0, capPx))
	if len(runs) != n {
		return nil, false
	}
	return glyphsOf(ln, runs), true
}

// glyphRuns returns the runs of inked columns (cols, of ink) from the
// line's first to x1 that span half the capitals' height or more.
func glyphRuns(ln valueLine, ink, cols []bool, x1 int) [][2]int {
	capPx := ln.bot - ln.top + 1
	var runs [][2]int
	for x := ln.x0; x <= x1; {
		if !cols[x] {
			x++
			continue
		}
		a := x
		for x <= x1 && cols[x] {
			x++
		}
		b := x - 1
		// The run's ink rows: a character spans most of the capitals'
		// height; a hyphen or a dot does not.
		r0, r1 := -1, -1
		for y := ln.top; y <= ln.bot; y++ {
			for xx := a; xx <= b; xx++ {
				if ink[y*ln.w+xx] {
					if r0 < 0 {
						r0 = y
					}
					r1 = y
					break
				}
			}
		}
		if r0 < 0 || (r1-r0+1)*2 < capPx {
			continue
		}
		runs = append(runs, [2]int{a, b})
	}
	return runs
}

// widenRuns gives runs found at a darker ink level back the faint edges
// of their strokes: e columns each side, up to halfway to a neighbour.
func widenRuns(runs [][2]int, e, w int) [][2]int {
	out := make([][2]int, len(runs))
	for k, r := range runs {
		a, b := max(0, r[0]-e), min(w-1, r[1]+e)
		if k > 0 {
			a = max(a, (runs[k-1][1]+r[0])/2+1)
		}
		if k+1 < len(runs) {
			b = min(b, (r[1]+runs[k+1][0])/2)
		}
		out[k] = [2]int{a, b}
	}
	return out
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// maxGlyphFix is the most runs fixRuns parts or joins.
const maxGlyphFix = 3

// fixRuns makes n character runs out of runs (see segmentGlyphs); fixed
// marks the runs it parted or joined.
func fixRuns(ln valueLine, runs [][2]int, n, capPx int) ([][2]int, []bool, bool) {
	fixed := make([]bool, len(runs))
	if len(runs) == 0 || len(runs) < n-maxGlyphFix || len(runs) > n+maxGlyphFix {
		return nil, nil, false
	}
	for len(runs) < n {
		// The widest run, parted at its faintest column in its middle
		// half.
		k := 0
		for i, r := range runs {
			if r[1]-r[0] > runs[k][1]-runs[k][0] {
				k = i
			}
		}
		a, b := runs[k][0], runs[k][1]
		if (b-a+1)*4 < capPx*3 {
			return nil, nil, false // no run wide enough to hold two
		}
		cut, least := -1, math.MaxInt
		for x := a + (b-a+1)/4; x <= b-(b-a+1)/4; x++ {
			s := 0
			for y := ln.top; y <= ln.bot; y++ {
				s += ln.dark[y*ln.w+x]
			}
			if s < least {
				cut, least = x, s
			}
		}
		runs = append(runs[:k+1], runs[k:]...)
		runs[k], runs[k+1] = [2]int{a, cut - 1}, [2]int{cut + 1, b}
		fixed = append(fixed[:k+1], fixed[k:]...)
		fixed[k], fixed[k+1] = true, true
	}
	for len(runs) > n {
		// The two neighbours nearest each other whose union is not
		// wider than a capital height.
		k := -1
		for i := 0; i+1 < len(runs); i++ {
			if runs[i+1][1]-runs[i][0]+1 > capPx {
				continue
			}
			if k < 0 || runs[i+1][0]-runs[i][1] < runs[k+1][0]-runs[k][1] {
				k = i
			}
		}
		if k < 0 {
			return nil, nil, false
		}
		runs[k][1] = runs[k+1][1]
		runs = append(runs[:k+1], runs[k+2:]...)
		fixed[k] = true
		fixed = append(fixed[:k+1], fixed[k+2:]...)
	}
	return runs, fixed, true
}

// glyphOf samples the darkness of columns a..b, rows y0..y1 of a value
// line onto a normalised glyph (bilinear, clipped at the contrast).
func glyphOf(ln valueLine, a, b, y0, y1 int) glyphVec {
	var g glyphVec
	scale := float64(glyphRows) / float64(y1-y0+1) // cells per pixel
	width := float64(b-a+1) * scale
	left := (float64(glyphCols) - width) / 2
	c := float64(ln.contrast)
	at := func(x, y int) float64 {
		if x < a || x > b || y < 0 || y >= ln.h {
			return 0
		}
		return math.Min(1, float64(ln.dark[y*ln.w+x])/c)
	}
	for v := 0; v < glyphRows; v++ {
		sy := float64(y0) + (float64(v)+0.5)/scale - 0.5
		for u := 0; u < glyphCols; u++ {
			sx := float64(a) + (float64(u)+0.5-left)/scale - 0.5
			if sx < float64(a)-1 || sx > float64(b)+1 {
				continue
			}
			fx, fy := math.Floor(sx), math.Floor(sy)
			tx, ty := sx-fx, sy-fy
			ix, iy := int(fx), int(fy)
			val := (at(ix, iy)*(1-tx)+at(ix+1, iy)*tx)*(1-ty) + (at(ix, iy+1)*(1-tx)+at(ix+1, iy+1)*tx)*ty
			g[v*glyphCols+u] = float32(val)
		}
	}
	return g
}

// normGlyph returns g with its mean taken off and scaled to unit length
// (false for a blank glyph): the dot product of two is their normalised
// correlation.
func normGlyph(g glyphVec) (glyphVec, bool) {
	var s float64
	for _, v := range g {
		s += float64(v)
	}
	m := float32(s / float64(len(g)))
	var ss float64
	for i := range g {
		g[i] -= m
		ss += float64(g[i]) * float64(g[i])
	}
	if ss < 1e-6 {
		return g, false
	}
	k := float32(1 / math.Sqrt(ss))
	for i := range g {
		g[i] *= k
	}
	return g, true
}

func dotGlyph(a, b *glyphVec) float64 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}

// glyphChars returns the characters of a printed value a glyph stands
// for: letters and digits, upper case (separators and spaces are no
// glyph segmentGlyphs keeps).
func glyphChars(s string) []rune {
	var out []rune
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			out = append(out, r)
		}
	}
	return out
}

// dateLayouts are the printed date layouts a profile can learn (Go time
// layouts; months printed in capitals).
var dateLayouts = []string{"02 Jan 2006", "02 01 2006", "02.01.2006", "02/01/2006", "02-01-2006", "2006-01-02", "02 Jan 06", "02.01.06", "02/01/06", "02 January 2006"}

// printedDateText writes a date in a layout, months in capitals.
func printedDateText(t time.Time, layout string) string {
	return strings.ToUpper(t.Format(layout))
}

// dateLayoutOf finds the layout a printed date is written in (false for
// none of dateLayouts).
func dateLayoutOf(printed string) (string, bool) {
	p := strings.ToUpper(strings.TrimSpace(printed))
	for _, l := range dateLayouts {
		t, err := time.Parse(l, p)
		if err == nil && printedDateText(t, l) == p {
			return l, true
		}
	}
	return "", false
}

// glyphLearner gathers the genuine captures' glyphs of each character.
type glyphLearner struct {
	sum     map[rune]*[glyphRows * glyphCols]float64
	n       map[rune]int
	layouts map[string]map[string]int // field -> layout -> count
}

func newGlyphLearner() *glyphLearner {
	return &glyphLearner{sum: map[rune]*[glyphRows * glyphCols]float64{}, n: map[rune]int{}, layouts: map[string]map[string]int{}}
}

// add takes a field crop and its printed value: its glyphs are kept when
// they are as many as the value's characters (else the cut went wrong:
// two characters run together under blur, a thumb over the value).
func (gl *glyphLearner) add(field, value string, im *image.Gray, pxPerMM float64) bool {
	if field == "birth_date" || field == "expiry_date" {
		l, ok := dateLayoutOf(value)
		if !ok {
			return false
		}
		if gl.layouts[field] == nil {
			gl.layouts[field] = map[string]int{}
		}
		gl.layouts[field][l]++
	}
	want := glyphChars(value)
	// Strictly cut (no runs parted or joined): a mean must not take in
	// a wrong cut.
	gs, _, ok := segmentGlyphs(&fieldPrint{im: im}, pxPerMM, 0)
	if !ok || len(gs) != len(want) {
		return false
	}
	for i, r := range want {
		s := gl.sum[r]
		if s == nil {
			s = new([glyphRows * glyphCols]float64)
			gl.sum[r] = s
		}
		for k, v := range gs[i] {
			s[k] += float64(v)
		}
		gl.n[r]++
	}
	return true
}

// set returns what was learned (nil when nothing was).
func (gl *glyphLearner) set() *profile.GlyphSet {
	if len(gl.n) == 0 {
		return nil
	}
	gs := &profile.GlyphSet{W: glyphCols, H: glyphRows}
	chars := make([]rune, 0, len(gl.n))
	for r := range gl.n {
		chars = append(chars, r)
	}
	sort.Slice(chars, func(i, j int) bool { return chars[i] < chars[j] })
	for _, r := range chars {
		pix := make([]byte, glyphRows*glyphCols)
		for k, v := range gl.sum[r] {
			pix[k] = uint8(math.Round(math.Min(255, math.Max(0, 255*v/float64(gl.n[r])))))
		}
		gs.Glyphs = append(gs.Glyphs, profile.Glyph{Char: string(r), N: gl.n[r], Pix: pix})
	}
	for f, m := range gl.layouts {
		best, bn := "", 0
		for l, n := range m {
			if n > bn || n == bn && l < best {
				best, bn = l, n
			}
		}
		if gs.DateLayouts == nil {
			gs.DateLayouts = map[string]string{}
		}
		gs.DateLayouts[f] = best
	}
	return gs
}

// glyphModel is a profile's GlyphSet ready for comparison.
type glyphModel struct {
	chars   []rune
	vecs    []glyphVec
	raw     []glyphVec // the glyphs' darkness, unnormalised
	widths  []float64  // each glyph's inked columns, in glyph columns
	layouts map[string]string
}

func compileGlyphs(gs *profile.GlyphSet) *glyphModel {
	if gs == nil || gs.W != glyphCols || gs.H != glyphRows {
		return nil
	}
	m := &glyphModel{layouts: gs.DateLayouts}
	for _, g := range gs.Glyphs {
		var v glyphVec
		for k, p := range g.Pix {
			v[k] = float32(p) / 255
		}
		nv, ok := normGlyph(v)
		if !ok {
			continue
		}
		m.chars = append(m.chars, []rune(g.Char)[0])
		m.vecs = append(m.vecs, nv)
		m.raw = append(m.raw, v)
		m.widths = append(m.widths, inkedWidth(&v))
	}
	if len(m.chars) == 0 {
		return nil
	}
	return m
}

// inkedWidth is the width of a mean glyph's ink (darkness at least a
// quarter of its darkest), in glyph columns.
func inkedWidth(g *glyphVec) float64 {
	var col [glyphCols]float32
	var top float32
	for v := 0; v < glyphRows; v++ {
		for u := 0; u < glyphCols; u++ {
			col[u] = max(col[u], g[v*glyphCols+u])
			top = max(top, g[v*glyphCols+u])
		}
	}
	first, last := -1, -1
	for u, c := range col {
		if c >= top/4 {
			if first < 0 {
				first = u
			}
			last = u
		}
	}
	return float64(last - first + 1)
}

// glyphField is one field's glyphs measured on a capture.
type glyphField struct {
	// part is "" for a field wholly in view, else the part in view
	// ("start", "end"): want and glyphs are then that part's.
	part   string
	first  int    // the place in the value of want's first character
	want   []rune // the MRZ's value as printed
	glyphs []glyphVec
	fixed  []bool // glyphs parted or joined to make the value's count
	// places, when set, are the comparisons of a fitted field
	// (fitGlyphs), which has no glyphs.
	places []glyphPlace
	// cut, for a part fitted, is the same part cut strictly by its runs
	// of ink (partGlyphs), judged where the fit finds no difference.
	cut   *glyphField
	model *glyphModel
}

// partMinGlyphs is the least count of characters in view of a partly
// hidden field for them to be compared by glyphs. Fields in part were
// added after the first report ranges: on tuning seeds
// 13000000..13000599 mrz-altered 279 -> 283/300, any FAIL on a genuine
// capture 1/300 as before; of the 29 genuine fields compared in part, 6
// were cut shifted (every place unlike the MRZ's character: 4 to 7
// places), which partDiffers' limits leave undecided.
const partMinGlyphs = 4

// partGlyphs cuts the part in view of a partly hidden field (the rest
// whitened) into characters, strictly (no run parted or joined: their
// count cannot be checked against the value's), and lays them against
// the MRZ's value's beginning or end. The character at the edge of the
// hidden part may be cut by it and is left out.
func partGlyphs(part string, want []rune, im *image.Gray, pxPerMM float64) (glyphField, bool) {
	gs, _, ok := segmentGlyphs(&fieldPrint{im: im}, pxPerMM, 0)
	k := len(gs) - 1
	if !ok || k < partMinGlyphs || k >= len(want) {
		return glyphField{}, false
	}
	gf := glyphField{part: part, fixed: make([]bool, k)}
	if part == "start" {
		gf.want, gf.glyphs = want[:k], gs[:k]
	} else {
		gf.want, gf.glyphs, gf.first = want[len(want)-k:], gs[1:], len(want)-k
	}
	return gf, true
}

// partDiffers is glyphDiffers for a field in part: its cut could not be
// checked by the count, and two characters blur ran together shift the
// rest, each place then looking like its neighbour's character. At most
// two places may differ, none like a neighbour's character of the MRZ's,
// and every other place must agree.
func partDiffers(ps []glyphPlace, fixed []bool, want []rune) []int {
	bad := glyphDiffers(ps, fixed, false)
	if len(bad) == 0 || len(bad) > 2 {
		return nil
	}
	notBest := 0
	for _, p := range ps {
		if p.want < p.other {
			notBest++
		}
	}
	if notBest != len(bad) {
		return nil
	}
	if shifted(ps, bad, want) {
		return nil
	}
	return bad
}

// shifted tells whether a place that differs looks like its neighbour's
// character of the MRZ, as when a part's places are laid one off: that
// neighbour is then laid off too and does not agree either. A V printed
// for the MRZ's 9 between two V's that each agree is no shift (tuning
// seed 13600941, "V9VH" seen of V9VHCDME8; replaying the decisions of
// eval docauth --cases on tuning seeds 13600000..13601599, 13602000..
// 13602999 and 13603000.., no genuine capture more FAILed).
func shifted(ps []glyphPlace, bad []int, want []rune) bool {
	off := func(j int) bool { return ps[j].want < ps[j].other }
	for _, i := range bad {
		if i > 0 && ps[i].best == want[i-1] && off(i-1) || i+1 < len(want) && ps[i].best == want[i+1] && off(i+1) {
			return true
		}
	}
	return false
}

// glyphPlace is one character's comparison: the correlation with the
// model's glyph of the MRZ's character (want) and with the best other
// (other, its character best).
type glyphPlace struct {
	want, other float64
	best        rune
	// mrz is the MRZ's character at the place (0 where not known).
	mrz rune
	// hidden: the place lies at or under a thumb (fitPlaces with
	// hidden columns) and is not judged.
	hidden bool
	// alone, for a fitted place, is the best other character's own
	// correlation where its lay puts it (other counts what the lay
	// gains at the other places too).
	alone float64
}

// compareGlyphs compares a field's glyphs with the MRZ's value in its
// printed form, place by place; false when the glyphs cannot be laid
// against the value (as many glyphs as characters, and a model glyph of
// each of the value's characters).
func (m *glyphModel) compareGlyphs(field string, want []rune, gs []glyphVec) ([]glyphPlace, bool) {
	if len(gs) != len(want) || len(want) == 0 {
		return nil, false
	}
	out := make([]glyphPlace, len(want))
	for i, r := range want {
		g, ok := normGlyph(gs[i])
		if !ok {
			return nil, false
		}
		p := glyphPlace{want: math.NaN(), other: math.Inf(-1), mrz: r}
		digit := r >= '0' && r <= '9'
		for k, c := range m.chars {
			s := dotGlyph(&g, &m.vecs[k])
			if c == r {
				p.want = s
				continue
			}
			if (c >= '0' && c <= '9') != digit && !anyCharAnywhere[field] {
				continue
			}
			if s > p.other {
				p.other, p.best = s, c
			}
		}
		if math.IsNaN(p.want) {
			return nil, false
		}
		out[i] = p
	}
	return out, true
}

// anyCharAnywhere are the fields where any character may stand at any
// place (a document number); in a date a digit's place holds a digit and
// a month's a letter.
var anyCharAnywhere = map[string]bool{"document_number": true}

// glyphWant returns the characters the MRZ says a field prints (false
// when it cannot say: no such field, a date layout not learned).
func (m *glyphModel) glyphWant(r *mrz.Result, field string) ([]rune, bool) {
	switch field {
	case "document_number":
		v := strings.Trim(r.Value(mrz.DocumentNumber), "<")
		if v == "" {
			return nil, false
		}
		return glyphChars(v), true
	case "birth_date", "expiry_date":
		f := printedFieldInMRZ(r, field)
		l := m.layouts[field]
		if f == nil || f.Date.IsZero() || l == "" {
			return nil, false
		}
		return glyphChars(printedDateText(f.Date.Time(), l)), true
	}
	return nil, false
}

// debugGlyphs formats a field's comparison for a reason.
func debugGlyphs(want []rune, ps []glyphPlace, fixed []bool) string {
	var b strings.Builder
	for i, p := range ps {
		mark := ""
		if fixed[i] {
			mark = "*"
		}
		fmt.Fprintf(&b, "%c%s:%.2f/%c:%.2f", want[i], mark, p.want, p.best, p.other)
		if p.alone != 0 && p.alone != p.other {
			// A fitted place: the other character's own correlation.
			fmt.Fprintf(&b, "(%.2f)", p.alone)
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// Glyph decision: a place's printed character is another than the MRZ's
// when another of the model's glyphs correlates with it glyphMargin
// better than the MRZ character's, and at least glyphOther; at least
// glyphOtherCut where the place or a neighbour was parted or joined
// (fixRuns), whose neighbours so made must be clean cuts (a glyph
// correlating glyphCleanCut or better with some character). The other
// places must agree, but for glyphSlack not clearly either way: a cut
// gone wrong (two characters run together under blur and parted in the
// wrong column) leaves several places unlike any character, an altered
// character one or a few places each clearly another. Chosen on tuning
// seeds 13000000..13000599 (eval docauth --viz ocr, none and
// mrz-altered, 300 each): genuine places never had another character
// 0.10 better unless a cut had gone wrong; without the rules for made
// cuts and the typical correlation, 4 of 212 genuine captures FAILed
// (blur: E's stem cut alone and taken for a 1). With them: any FAIL on
// a genuine capture 1/300 (a surname misread, as before), mrz-altered
// detected 273/300 (180/300 without glyphs) with glyphBelowTypical at
// 0.03; 0.05 was chosen after, replaying the run's comparisons (one
// more detected, no genuine place more).
const (
	// glyphMargin was 0.10 until tuning seeds 13602000..13602999 (500
	// genuine, 500 mrz-altered): a G printed for the MRZ's C came 0.09
	// better (seed 13602005). Over the genuine places cut by their runs
	// on the three tuning ranges (1600 captures), none with another
	// character near the typical correlation came closer than 0.06
	// (an E like an F, seed 13602738); replayed, 0.08 detects that G and
	// FAILs no genuine capture more.
	glyphMargin   = 0.08
	glyphOther    = 0.75
	glyphOtherCut = 0.90
	glyphCleanCut = 0.85
	glyphSlack    = 1
	// glyphOtherFit replaces glyphOtherCut for fitted places
	// (glyphfit.go), whose correlations are each at the span that fits
	// best: on the tuning seeds, with the fit, 0.90 293/300 and 0.85
	// 294/300 mrz-altered, genuine captures as with 0.90 (no fitted
	// place of theirs had another character 0.10 better but in two
	// fields whose fit had gone astray at a washed-out end, each with
	// five or six places unlike the MRZ's).
	glyphOtherFit = 0.85
	// glyphCleanFit replaces glyphCleanCut for the neighbours of a
	// fitted place: a neighbour of an altered character is fitted
	// beside the MRZ's character laid where it does not fit, and fits
	// less well (an E at 0.84 beside a T printed for the MRZ's H, tuning
	// seed 13602605). Replaying the decisions on the tuning seeds
	// 13600000.., 13000000.. and 13602000.. (1600 genuine, 1600
	// mrz-altered): 0.80 one more detected, no genuine capture more
	// FAILed; 0.75 FAILed one.
	glyphCleanFit = 0.80
	// glyphMarginFit replaces glyphMargin for fitted places: under heavy
	// defocus a 0 and a 6, 8 or 9 blur alike, and another character
	// fits a few hundredths better only. On tuning seeds 13600000..
	// 13601599 (replaying the decisions of eval docauth --cases), with
	// the glyphs blurred as the print (fitGlyphs): 0.10 780/800
	// mrz-altered, 0.08 782, 0.06 785, 0.04 786 and a genuine capture
	// FAILed by glyphs (5 at 0.03).
	glyphMarginFit = 0.06
	// glyphBelowTypical: the other character's correlation may fall
	// this much short of the median of the agreeing places'.
	glyphBelowTypical = 0.05
	// glyphBelowAbsent replaces glyphBelowTypical where the MRZ's
	// character correlates glyphAbsent or more below the typical place:
	// at a low resolution an L printed for the MRZ's 1 correlated 0.87
	// with the L, the line's places typically 0.95, and the 1 0.42
	// (tuning seed 13000305). Replaying the decisions of eval docauth
	// --cases on tuning seeds 13600000..13601599 and 13000000..13000599
	// (none and mrz-altered, 1100 each), glyphAbsent 0.2 to 0.4: with
	// 0.08 or 0.10 mrz-altered one more detected and no genuine capture
	// more FAILed, 0.12 FAILed one; checked again (eval docauth
	// --recheck), that L's 0.87 was short of 0.08 unrounded.
	glyphBelowAbsent = 0.10
	glyphAbsent      = 0.3
)

// glyphDiffers returns the places where the printed character is
// another than the MRZ's (see the constants), none when the field's
// glyphs are not clear enough to tell.
func glyphDiffers(ps []glyphPlace, fixed []bool, fitted bool) []int {
	n := len(ps)
	// How well this capture's print matches the model's glyphs where it
	// agrees with the MRZ: blur and noise lower it for every place.
	var agree []float64
	for _, p := range ps {
		if p.want >= p.other {
			agree = append(agree, p.want)
		}
	}
	if len(agree) == 0 {
		return nil
	}
	sort.Float64s(agree)
	typical := agree[len(agree)/2]
	var bad []int
	notBest := 0
	for i, p := range ps {
		if p.want < p.other {
			notBest++
		}
		margin := glyphMargin
		if fitted {
			margin = glyphMarginFit
		}
		if p.other-p.want < margin-1e-9 {
			continue
		}
		need := glyphOther
		cleanCuts := true
		for j := max(0, i-1); j <= min(n-1, i+1); j++ {
			if !fixed[j] {
				continue
			}
			need = glyphOtherCut
			clean := glyphCleanCut
			if fitted {
				need, clean = glyphOtherFit, glyphCleanFit
			}
			if j != i && math.Max(ps[j].want, ps[j].other) < clean {
				cleanCuts = false
			}
		}
		// A fitted place differs only where the other character fits on
		// its own too: its own correlation (glyphPlace.alone)
		// glyphOtherFit or better, and glyphMarginFit better than the
		// MRZ's character's. Its comparison counts what re-laying the
		// place gains at the others, which near a thumb may be most of
		// it: a genuine J was "like a D" by 1.21 under 0.26 mm of
		// defocus, the D's own correlation 0.87 and the J's 0.96 (tuning
		// seed 13600793). Of the places of whole fields fitted on tuning
		// seeds 13602000..13602999 that differed, 5 fall short, each in
		// a capture with another place that does not (mostly a
		// neighbour disturbed by the altered character): no detection
		// is lost.
		if fitted && p.alone < math.Max(glyphOtherFit, p.want+glyphMarginFit-1e-9) {
			continue
		}
		// Another character printed in the model's font matches its
		// glyph about as well as the rest of the line matches theirs;
		// a little less where the MRZ's character is plainly not there.
		below := glyphBelowTypical
		if typical-p.want >= glyphAbsent {
			below = glyphBelowAbsent
		}
		need = math.Max(need, typical-below)
		if p.other >= need && cleanCuts {
			bad = append(bad, i)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	// against counts the other places another character beats the
	// MRZ's at that speak against the MRZ, for the slack: a fitted
	// place only where the other character also fits there on its own
	// at least as well as the MRZ's, and no place whose other
	// character is a look-alike of the MRZ's.
	//   - Re-laying a neighbour of an altered character gains what the
	//     altered place gains, so the neighbour's comparison beats the
	//     MRZ's while its own correlation does not (a V at 0.93 "like a
	//     W" by 1.05, the W's own 0.64, beside an M printed for the
	//     MRZ's 3, tuning seed 13603429).
	//   - Under heavy defocus an S and a 5 blur alike (an S "like a 5"
	//     by 0.06 beside a 6 printed for the MRZ's U, 0.26 mm of
	//     defocus, tuning seed 13602667). Replaying the decisions of
	//     eval docauth --cases on the tuning ranges (2100 genuine, 2100
	//     mrz-altered), that one more detected; of the genuine fields
	//     with a place that differs, two, the slack still holds both.
	against := 0
	for i, p := range ps {
		if p.want < p.other && !slices.Contains(bad, i) && (!fitted || p.alone >= p.want) && !lookAlikeRunes(p.mrz, p.best) {
			against++
		}
	}
	if against > glyphSlack {
		return nil
	}
	if fitted && 2*(n-notBest) < n {
		// A fit gone astray (a J or a 1 laid at every place of a
		// genuine number under defocus and a low resolution, tuning
		// seed 13600712) finds another character nearly everywhere; an
		// altered number or date keeps most of its places. On tuning
		// seeds 13600000..13601599 and 13000000..13000599 it lost no
		// detection.
		return nil
	}
	return bad
}

// compare returns the field's comparison place by place, false when
// its glyphs could not be compared.
func (gf glyphField) compare(name string) ([]glyphPlace, bool) {
	if gf.places != nil {
		return gf.places, true
	}
	return gf.model.compareGlyphs(name, gf.want, gf.glyphs)
}

// readAsMRZ tells whether a reading of the whole field, of
// MinConfidence or more, gives want's characters exactly.
func readAsMRZ(viz []Reading, field string, want []rune) bool {
	for _, rd := range viz {
		if rd.Field == field && rd.Part == "" && rd.Confidence >= MinConfidence && string(glyphChars(rd.Text)) == string(want) {
			return true
		}
	}
	return false
}

// vouchedByGlyphs returns the fields wholly in view whose every printed
// character matches the MRZ's glyph at least as well as any other: a
// reading of one of them that differs from the MRZ is a misreading, and
// decides nothing (a number read "TOIWKSLZR" for T63WK8LZR under 0.26
// mm of defocus FAILed a genuine tuning capture, seed 13600726, its
// glyphs all agreeing). On tuning seeds 13600000..13601599 and
// 13000000..13000599 no MRZ alteration was read so and glyphs all
// agreeing.
func vouchedByGlyphs(fields map[string]glyphField) map[string]bool {
	out := map[string]bool{}
	for name, gf := range fields {
		if gf.part != "" {
			continue
		}
		ps, ok := gf.compare(name)
		if !ok {
			continue
		}
		agree := true
		for _, p := range ps {
			agree = agree && p.want >= p.other
		}
		out[name] = agree
	}
	return out
}

// differs compares a field's glyphs with the MRZ's characters and
// returns the comparisons, the places that differ (glyphDiffers, or
// for a part partDiffers and the limits of a fitted part) and a note
// for the debug reason.
func (gf glyphField) differs(name string) ([]glyphPlace, []int, string) {
	want := gf.want
	ps, ok := gf.compare(name)
	if !ok {
		return nil, nil, fmt.Sprintf("%s: %d glyphs for %d", name, len(gf.glyphs), len(want))
	}
	note := debugGlyphs(want, ps, gf.fixed)
	if gf.places != nil {
		note = "fitted " + note
	}
	note = name + gf.part + ": " + note
	bad := glyphDiffers(ps, gf.fixed, gf.places != nil)
	switch {
	case gf.part != "" && gf.places == nil:
		bad = partDiffers(ps, gf.fixed, want)
	case gf.part != "" && (len(bad) > partMaxDiffer || shifted(ps, bad, want)):
		bad = nil
	}
	return ps, bad, note
}

// weighGlyphs adds the glyph evidence to viz.mrz.consistency: a number
// or date whose printed characters are, by the model's glyphs, other
// than the MRZ's FAILs it, whatever the readings said. With the
// environment variable CHECKPOST_GLYPH_DEBUG set, every place's
// correlations are added to the reason ("7:0.99/2:0.77": the MRZ's
// character and the best other; * a made cut), which is what the
// decision constants were chosen on (eval docauth --cases).
//
// A field wholly in view that a reading of MinConfidence or more gives
// exactly as the MRZ does is not FAILed by its glyphs: the reader, which
// does not know the MRZ, would have had to misread the altered
// character as the MRZ's. A genuine number under 0.10 mm of defocus and
// noise had two J's "like a 3" by its glyphs, read UJK21PL4J at 0.63
// (seed 15901366, a report range's, which then no longer counted as
// one); of the 1494 fields FAILed by glyphs on the mrz-altered
// captures of the tuning seeds 13600000.., 13000000.. and 13602000..,
// none was read so.
func weighGlyphs(r *mrz.Result, fields map[string]glyphField, c engine.Check, viz []Reading) engine.Check {
	if r == nil || len(fields) == 0 {
		return c
	}
	var notes, differ, aside []string
	for _, name := range sortedKeys(fields) {
		gf := fields[name]
		ps, bad, note := gf.differs(name)
		notes = append(notes, note)
		if len(bad) == 0 && gf.cut != nil {
			// A part the fit finds no difference in: its strict cut by
			// the runs of ink may still.
			gf = *gf.cut
			ps, bad, note = gf.differs(name)
			notes = append(notes, note)
		}
		if len(bad) == 0 {
			continue
		}
		if gf.part == "" && readAsMRZ(viz, name, gf.want) {
			aside = append(aside, name)
			continue
		}
		want := gf.want
		var what []string
		for _, i := range bad {
			what = append(what, fmt.Sprintf("character %d looks like %c (%.2f), not %c (%.2f)", gf.first+i+1, ps[i].best, ps[i].other, want[i], ps[i].want))
		}
		seen := ""
		if gf.part != "" {
			seen = fmt.Sprintf(", its %s in view", gf.part)
		}
		differ = append(differ, fmt.Sprintf("%s (MRZ %q as printed%s): %s", name, string(want), seen, strings.Join(what, ", ")))
	}
	if len(differ) > 0 {
		if c.Status != engine.Fail {
			c.Status = engine.Fail
			c.Reason = "printed characters differ from the MRZ by the model's glyphs: " + strings.Join(differ, "; ") + "; " + c.Reason
		} else {
			c.Reason += "; printed characters differ from the MRZ by the model's glyphs: " + strings.Join(differ, "; ")
		}
	}
	if len(aside) > 0 {
		c.Reason += "; glyphs unlike the MRZ's set aside, read exactly as the MRZ: " + strings.Join(aside, ", ")
	}
	if len(notes) > 0 && os.Getenv("CHECKPOST_GLYPH_DEBUG") != "" {
		c.Reason += "; glyphs: " + strings.Join(notes, "; ")
	}
	return c
}
