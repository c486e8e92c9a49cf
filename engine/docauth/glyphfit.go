package docauth

import (
	"image"
	"math"

	"checkpost/internal/deblur"
)

// Fitting a value's glyphs: where blur has run characters together (or
// broken one in two) so that the runs of ink do not count the value's
// characters as they are, the characters are not cut at the gaps but
// fitted. The value's n characters are laid along the line left to
// right, each over a span of columns of its own width with a gap of its
// own before it (a date's word space), and a lay is scored by the sum
// of each span's correlation with the model's glyph of its character,
// less fitGapInk for each glyph column's worth of ink left out of every
// span (without it, in the fits of eleven captures under 0.22 mm of
// defocus, a J or a 1 laid over part of a character, the rest left in
// a gap, was the best other character at most places). Each
// place is then asked which character it holds, the others held to the
// MRZ's: the best lay with the place as the MRZ's character against the
// best with it as each other character (dynamic programming from both
// ends, over the spans' first and last columns). Its comparison
// (glyphPlace) is the MRZ's character's correlation where it lies best,
// and the other's that much higher or lower as its best lay's score is
// than the MRZ's: an altered character's best lay puts the true
// character's span where it is printed, which the MRZ's character
// cannot fit, while a genuine place's alternatives lose by as much as
// the character fits better than they do. Comparing each character on
// the span that fits it best matters: a single lay as the MRZ's reading
// bent an altered character's span to the MRZ's (on tuning seeds
// 13000000..13000599 the mrz-altered detected fell from 283 to 271/300),
// and laying every place freely took parts of characters for narrower
// ones (19 of 300 genuine captures FAILed: T read as J, S as 5).
//
// Fitted places count as made cuts (glyphDiffers, with glyphOtherFit).

// The spans and gaps, in capital heights: a narrow 1 blurred is about
// 0.3, a W about 1.1; a date's word space about 0.6.
const (
	fitMinWidth = 0.15
	fitMaxWidth = 1.4
	fitMaxGap   = 1.2
	// fitEdge is how far the first span may start from the line's first
	// inked column and the last end from its last, either way. At 0.5 a
	// date's leading 1 could be left out of every span, "18 AUG" laid as
	// an 8 with a gap before it (a genuine capture FAILed, tuning seed
	// 13601458); at 0.25, on tuning seeds 13600000..13601599 (800
	// genuine, 800 mrz-altered) and 13000000..13000599, no detection was
	// lost (769/800 and 294/300).
	fitEdge = 0.25
	// fitWidthPx: see fitWidth.
	fitWidthPx = 2
	// fitGapInk is what leaving a glyph column's worth of ink (dark on
	// every row of the capitals) out of every span costs, in
	// correlation. 0.2 lost 2 of 769 detections on tuning seeds
	// 13600000.. and spared no genuine capture more.
	fitGapInk = 0.1
	// fitHiddenScore is what a span reaching into hidden columns scores
	// with every character: below a clear character's correlation in
	// view (0.9 and more, blurred glyphs for a blurred print), so that
	// the places in view are laid on the print, not pushed under the
	// thumb. It makes laying a hidden place in view worth a worse
	// character before it where the MRZ repeats one (a K's stem laid as
	// a J for the next K to fit the K), which the place at the thumb's
	// edge, never judged, covers (fitPart). Scoring as the agreeing
	// places in view typically do instead (a second lay) took altered
	// characters beside the thumb for hidden: on the 225 tuning
	// captures with a field read in part (seeds 13600000.., 13000000..,
	// 13602000..), 106 against 107 of 122 mrz-altered detected, any FAIL
	// on a genuine capture 1/103 either way.
	fitHiddenScore = 0.8
	// fitHiddenNear: a span this near the hidden columns (capital
	// heights) is taken as reaching into them, and a place laid there as
	// hidden: a character cut by the thumb's edge may look like another
	// (a K's arms and the next K's stem like a K).
	fitHiddenNear = 0.15
)

// fitWidth: a span is compared with a glyph when its width is within
// these times the glyph's inked width, give or take fitWidthPx pixels
// (blur widens a stroke's ink; a span may leave a faint edge out),
// which saves comparing spans with glyphs they cannot be. It changed no
// correlation by more than 0.02 in the fits of those eleven captures.
var fitWidth = [2]float64{0.6, 1.5}

// glyphColumns holds a value line's columns sampled on the glyph's rows
// (glyphOf's vertical sampling, done once for every span).
type glyphColumns struct {
	w     int
	scale float64 // glyph cells per pixel
	v     [][glyphRows]float32
}

func newGlyphColumns(ln valueLine) *glyphColumns {
	pad := int(math.Round(glyphPadCaps * float64(ln.bot-ln.top+1)))
	y0, y1 := max(0, ln.top-pad), min(ln.h-1, ln.bot+pad)
	gc := &glyphColumns{w: ln.w, scale: float64(glyphRows) / float64(y1-y0+1), v: make([][glyphRows]float32, ln.w)}
	c := float64(ln.contrast)
	at := func(x, y int) float64 {
		if y < 0 || y >= ln.h {
			return 0
		}
		return math.Min(1, float64(ln.dark[y*ln.w+x])/c)
	}
	for v := 0; v < glyphRows; v++ {
		sy := float64(y0) + (float64(v)+0.5)/gc.scale - 0.5
		fy := math.Floor(sy)
		ty, iy := sy-fy, int(fy)
		for x := 0; x < ln.w; x++ {
			gc.v[x][v] = float32(at(x, iy)*(1-ty) + at(x, iy+1)*ty)
		}
	}
	return gc
}

// span samples columns a..b as glyphOf does.
func (gc *glyphColumns) span(a, b int) glyphVec {
	var g glyphVec
	width := float64(b-a+1) * gc.scale
	left := (float64(glyphCols) - width) / 2
	col := func(x int) *[glyphRows]float32 {
		if x < a || x > b {
			return nil
		}
		return &gc.v[x]
	}
	for u := 0; u < glyphCols; u++ {
		sx := float64(a) + (float64(u)+0.5-left)/gc.scale - 0.5
		if sx < float64(a)-1 || sx > float64(b)+1 {
			continue
		}
		fx := math.Floor(sx)
		tx := float32(sx - fx)
		l, r := col(int(fx)), col(int(fx)+1)
		for v := 0; v < glyphRows; v++ {
			var s float32
			if l != nil {
				s += l[v] * (1 - tx)
			}
			if r != nil {
				s += r[v] * tx
			}
			g[v*glyphCols+u] = s
		}
	}
	return g
}

// fitGlyphs fits want's characters along the value line of a field crop
// with the model's glyphs and returns each place's comparison (see
// above), or false when the line or the fit cannot be found. A blurred
// print (deblur.Sigma above deblur.Above) is fitted as it is, with the
// glyphs blurred alike; only where no line is found in it is it fitted
// deblurred, with the glyphs as learned. Deblurring leaves the print of
// 0.25 mm of defocus unlike every glyph (typical correlations of 0.85).
// On tuning seeds 13600000..13601599 (eval docauth --viz ocr, none and
// mrz-altered, 800 each; the decisions replayed with the same
// constants) mrz-altered detected went 782 -> 785/800, the misses under
// 0.15 mm of defocus or more without a thumb 2 -> 0 of 53; genuine
// captures FAILed as before (3/800, none by glyphs).
func (m *glyphModel) fitGlyphs(p *fieldPrint, pxPerMM float64, field string, want []rune) ([]glyphPlace, bool) {
	return m.fitGlyphsHiding(p, pxPerMM, field, want, noneHidden)
}

// noneHidden is the hidden columns of a field wholly in view.
var noneHidden = [2]int{0, -1}

// fitGlyphsHiding is fitGlyphs for a field whose columns hid[0]..hid[1]
// of the crop are hidden (whitened): see fitPlaces.
func (m *glyphModel) fitGlyphsHiding(p *fieldPrint, pxPerMM float64, field string, want []rune, hid [2]int) ([]glyphPlace, bool) {
	ln, ok := valueLine{}, false
	vecs := m.vecs
	var gc *glyphColumns
	if sg := deblur.Sigma(p.im); sg > deblur.Above {
		// A blurred print is fitted as it is, with the model's glyphs
		// blurred alike (the print's blur less a sharp print's).
		if ln, ok = findValueLine(p.im, pxPerMM); ok {
			gc = newGlyphColumns(ln)
			vecs = m.blurredVecs(math.Sqrt(sg*sg-deblur.SharpSigma*deblur.SharpSigma) * gc.scale)
		}
	}
	if !ok {
		if d := p.deblurred(); d != nil {
			ln, ok = findValueLine(d, pxPerMM)
		}
	}
	if !ok {
		if ln, ok = findValueLine(p.im, pxPerMM); !ok {
			return nil, false
		}
	}
	if gc == nil {
		gc = newGlyphColumns(ln)
	}
	// The characters each place may hold: the MRZ's (wk), and any of
	// its class (a digit's place a digit in a date).
	n := len(want)
	wk := make([]int, n)
	allowed := make([][]int, n)
	for i, r := range want {
		wk[i] = -1
		digit := r >= '0' && r <= '9'
		for k, c := range m.chars {
			if c == r {
				wk[i] = k
			}
			if anyCharAnywhere[field] || (c >= '0' && c <= '9') == digit {
				allowed[i] = append(allowed[i], k)
			}
		}
		if wk[i] < 0 {
			return nil, false
		}
	}
	return fitPlaces(ln, gc, vecs, m.widths, m.chars, wk, allowed, hid)
}

// blurredVecs returns the model's glyphs blurred by a Gaussian of sigma
// glyph cells, normalised.
func (m *glyphModel) blurredVecs(sigma float64) []glyphVec {
	k := deblur.GaussianKernel(sigma, glyphCols)
	out := make([]glyphVec, len(m.raw))
	for n := range m.raw {
		// Across (a step of 1 cell, glyphCols of them), then down.
		b := blurGlyph(blurGlyph(m.raw[n], k, 1, glyphCols), k, glyphCols, glyphRows)
		nv, ok := normGlyph(b)
		if !ok {
			nv = m.vecs[n]
		}
		out[n] = nv
	}
	return out
}

// blurGlyph convolves g with the kernel k along one direction: cells
// step apart, n of them in a line (beyond its ends, paper).
func blurGlyph(g glyphVec, k []float32, step, n int) glyphVec {
	var out glyphVec
	r := len(k) / 2
	for i := range g {
		at := i / step % n // the cell's place along the line
		var s float32
		for j, w := range k {
			if p := at + j - r; p >= 0 && p < n {
				s += w * g[i+(j-r)*step]
			}
		}
		out[i] = s
	}
	return out
}

// fitPlaces compares each place of the line with its characters by the
// fit (see above): wk[i] is the MRZ's character of place i (an index of
// vecs), allowed[i] those it may hold.
//
// Columns hid[0]..hid[1] are hidden (a thumb over a field's end or
// beginning, whitened): a span that reaches into them fits every
// character alike, fitHiddenScore, so that the places not in view are
// laid there, as many as the value has past what is seen, and the
// places in view where they fit, whatever their count. A place whose
// MRZ's character lies best within fitHiddenNear of the hidden columns
// is marked hidden (a character the thumb's edge cuts is not judged).
func fitPlaces(ln valueLine, gc *glyphColumns, vecs []glyphVec, widths []float64, chars []rune, wk []int, allowed [][]int, hid [2]int) ([]glyphPlace, bool) {
	n := len(wk)
	capPx := ln.bot - ln.top + 1
	x0, x1 := faintLine(ln)
	cp := float64(capPx)
	wMin, wMax := max(2, int(fitMinWidth*cp)), max(3, int(math.Ceil(fitMaxWidth*cp)))
	gMax, edge := int(math.Ceil(fitMaxGap*cp)), int(math.Ceil(fitEdge*cp))
	lo, hi := max(0, x0-edge), min(ln.w-1, x1+edge)
	hiding := hid[0] <= hid[1]
	if hiding {
		// The hidden columns hold the places not in view.
		lo, hi = min(lo, max(0, hid[0])), max(hi, min(ln.w-1, hid[1]))
	}
	if n == 0 || hi-lo+1 < n*wMin {
		return nil, false
	}
	L := hi - lo + 1
	nd := len(vecs)
	// The widths each glyph is compared at: about its own (see
	// fitWidth), from any place that may hold it.
	need := make([][2]int, nd)
	mark := func(k int) {
		px := widths[k] / gc.scale
		need[k] = [2]int{max(wMin, int(fitWidth[0]*px)-fitWidthPx), min(wMax, int(math.Ceil(fitWidth[1]*px))+fitWidthPx)}
	}
	for i := range wk {
		mark(wk[i])
		for _, k := range allowed[i] {
			mark(k)
		}
	}
	// score[((w-wMin)*L+a-lo)*nd+k]: the span of width w from a against
	// vecs[k] (-1 for a blank span or a width vecs[k] is not compared
	// at).
	score := gc.spanScores(vecs, need, lo, hi, wMin, wMax)
	// ink[k]: the cost of leaving columns lo..lo+k-1 out of every span,
	// fitGapInk per glyph column of ink on the capitals' rows (a gap
	// holds none, a character left half out does).
	ink := make([]float32, L+1)
	for x := lo; x <= hi; x++ {
		s := 0
		for y := ln.top; y <= ln.bot; y++ {
			s += min(ln.dark[y*ln.w+x], ln.contrast)
		}
		ink[x-lo+1] = ink[x-lo] + float32(fitGapInk*gc.scale*float64(s)/float64(ln.contrast*capPx))
	}
	neg := float32(math.Inf(-1))
	near := int(math.Ceil(fitHiddenNear * cp))
	if hiding {
		for w := wMin; w <= wMax; w++ {
			for a := lo; a+w-1 <= hi; a++ {
				if a+w-1 < hid[0]-near || a > hid[1]+near {
					continue
				}
				base := ((w-wMin)*L + a - lo) * nd
				for k := 0; k < nd; k++ {
					score[base+k] = fitHiddenScore
				}
			}
		}
	}
	// f[i][e-lo]: the best sum of spans 0..i as the MRZ's characters,
	// span i ending at e, less the ink left out before e; g[i][s-lo]:
	// the best sum of spans i..n-1 with span i starting at s, less the
	// ink left out after s.
	newTable := func() [][]float32 {
		t := make([][]float32, n)
		for i := range t {
			t[i] = make([]float32, L)
			for e := range t[i] {
				t[i][e] = neg
			}
		}
		return t
	}
	f, g := newTable(), newTable()
	// before(i, a): the best of spans 0..i-1 ending before a, less the
	// ink left out before a; after(i, b) the best of spans i+1..n-1
	// starting after b, less the ink left out after b.
	before := func(i, a int) float32 {
		if i == 0 {
			if a > x0+edge {
				return neg
			}
			return -ink[a-lo]
		}
		v := neg
		for pe := a - 1; pe >= max(lo, a-1-gMax); pe-- {
			if p := f[i-1][pe-lo]; p > neg {
				v = max(v, p-(ink[a-lo]-ink[pe+1-lo]))
			}
		}
		return v
	}
	after := func(i, b int) float32 {
		if i == n-1 {
			if b < x1-edge {
				return neg
			}
			return -(ink[L] - ink[b+1-lo])
		}
		v := neg
		for ns := b + 1; ns <= min(hi, b+1+gMax); ns++ {
			if q := g[i+1][ns-lo]; q > neg {
				v = max(v, q-(ink[ns-lo]-ink[b+1-lo]))
			}
		}
		return v
	}
	for i := 0; i < n; i++ {
		for a := lo; a <= hi; a++ {
			p := before(i, a)
			if p == neg {
				continue
			}
			for w := wMin; w <= wMax && a+w-1 <= hi; w++ {
				e := a + w - 1
				f[i][e-lo] = max(f[i][e-lo], p+score[((w-wMin)*L+a-lo)*nd+wk[i]])
			}
		}
	}
	for i := n - 1; i >= 0; i-- {
		for b := hi; b >= lo; b-- {
			q := after(i, b)
			if q == neg {
				continue
			}
			for w := wMin; w <= wMax && b-w+1 >= lo; w++ {
				a := b - w + 1
				g[i][a-lo] = max(g[i][a-lo], q+score[((w-wMin)*L+a-lo)*nd+wk[i]])
			}
		}
	}
	// Each place laid as each of its characters, between the others
	// laid as the MRZ's: the best total of each character, and its
	// correlation there.
	places := make([]glyphPlace, n)
	left := make([]float32, L)
	right := make([]float32, L)
	tot := make([]float32, nd)
	loc := make([]float32, nd)
	for i := 0; i < n; i++ {
		for x := lo; x <= hi; x++ {
			left[x-lo], right[x-lo] = before(i, x), after(i, x)
		}
		for k := range tot {
			tot[k], loc[k] = neg, neg
		}
		at := [2]int{}
		for a := lo; a <= hi; a++ {
			if left[a-lo] == neg {
				continue
			}
			for w := wMin; w <= wMax && a+w-1 <= hi; w++ {
				r := right[a+w-1-lo]
				if r == neg {
					continue
				}
				ctx := left[a-lo] + r
				base := ((w-wMin)*L + a - lo) * nd
				for _, k := range allowed[i] {
					if t := ctx + score[base+k]; t > tot[k] && k != wk[i] {
						tot[k], loc[k] = t, score[base+k]
					}
				}
				if t := ctx + score[base+wk[i]]; t > tot[wk[i]] {
					tot[wk[i]], loc[wk[i]] = t, score[base+wk[i]]
					at[0], at[1] = a, a+w-1
				}
			}
		}
		if tot[wk[i]] == neg {
			return nil, false
		}
		// The MRZ's character's own correlation where it fits best;
		// another's by as much more as its total is.
		p := glyphPlace{want: float64(loc[wk[i]]), other: math.Inf(-1), mrz: chars[wk[i]]}
		if hiding && at[1] >= hid[0]-near && at[0] <= hid[1]+near {
			p.hidden = true
		}
		for _, k := range allowed[i] {
			if k == wk[i] || tot[k] == neg {
				continue
			}
			if o := float64(loc[wk[i]] + tot[k] - tot[wk[i]]); o > p.other {
				p.other, p.best, p.alone = o, chars[k], float64(loc[k])
			}
		}
		places[i] = p
	}
	return places, true
}

// cutGlyphs cuts a field wholly in view into want's count of glyphs:
// by its runs of ink when they count them as they are (segmentGlyphs,
// no run parted or joined), else fitted (the comparisons then come
// with the field; the runs parted and joined are kept when the fit
// finds no line). On tuning seeds 13000000..13000599 (eval docauth
// --viz ocr, none and mrz-altered, 300 each) 395 fields were fitted:
// mrz-altered 283 -> 293/300 detected (294 with glyphOtherFit), any
// FAIL on a genuine capture 1/300 as before.
func (m *glyphModel) cutGlyphs(im *image.Gray, pxPerMM float64, field string, want []rune) glyphField {
	p := &fieldPrint{im: im}
	gs, fixed, ok := segmentGlyphs(p, pxPerMM, len(want))
	gf := glyphField{want: want, glyphs: gs, fixed: fixed, model: m}
	made := !ok
	for _, f := range fixed {
		made = made || f
	}
	if !made {
		return gf
	}
	if ps, ok := m.fitGlyphs(p, pxPerMM, field, want); ok {
		gf.glyphs, gf.places, gf.fixed = nil, ps, allMade(len(want))
	}
	return gf
}

// partMaxDiffer: a field fitted in part is taken to differ from the
// MRZ in this many places at most (an altered MRZ differs in one or
// two); more is a fit gone astray.
const partMaxDiffer = 2

// fitPart fits the glyphs of a partly hidden field, crop columns
// hid[0]..hid[1] hidden (whitened), and keeps the places in view from
// its seen part ("start" or "end") on, short of the hidden ones; false
// when fewer than partMinGlyphs are.
func (m *glyphModel) fitPart(im *image.Gray, pxPerMM float64, field, part string, want []rune, hid [2]int) (glyphField, bool) {
	ps, ok := m.fitGlyphsHiding(&fieldPrint{im: im}, pxPerMM, field, want, hid)
	if !ok {
		return glyphField{}, false
	}
	// The places in view, but the last before the hidden ones: the
	// analysis grid's hidden cells do not always reach the thumb's edge,
	// and the character there, partly covered, may look like another (a
	// 3 like a 6 in a genuine expiry date, tuning seed 13000040).
	i0, i1 := 0, len(ps)
	if part == "start" {
		for i1 = 0; i1 < len(ps) && !ps[i1].hidden; i1++ {
		}
		i1--
	} else {
		for i0 = len(ps); i0 > 0 && !ps[i0-1].hidden; i0-- {
		}
		i0++
	}
	if i1-i0 < partMinGlyphs {
		return glyphField{}, false
	}
	return glyphField{part: part, first: i0, want: want[i0:i1], places: ps[i0:i1], fixed: allMade(i1 - i0), model: m}, true
}

// allMade marks n places as made cuts.
func allMade(n int) []bool {
	all := make([]bool, n)
	for i := range all {
		all[i] = true
	}
	return all
}

// spanScores returns the correlation of every span of columns lo..hi of
// wMin..wMax columns with each of vecs (normalised glyphs) that need
// marks: at ((w-wMin)*L+a-lo)*len(vecs)+k for the span of w columns from
// a (L = hi-lo+1), -1 for a blank span or a glyph not needed. It is
// normGlyph(span(a, a+w-1)) . vecs[k] without sampling each span: a
// span's glyph column u is two of the line's columns weighed (the same
// columns and weights, shifted, for every span of one width), so its
// dot product with a glyph is the weighed sum of the line's columns'
// dot products with the glyph's column u, taken once; and as the glyphs
// have mean 0, the span's mean need only be taken off its norm.
func (gc *glyphColumns) spanScores(vecs []glyphVec, need [][2]int, lo, hi, wMin, wMax int) []float32 {
	L, nd := hi-lo+1, len(vecs)
	var ks []int
	for k := range vecs {
		if need[k][1] > 0 {
			ks = append(ks, k)
		}
	}
	// dots[((x-lo)*glyphCols+u)*nd+k]: column x against column u of
	// vecs[k]; s1, s2: column x's sum and sum of squares; s12 its
	// products with column x+1.
	dots := make([]float32, (L+1)*glyphCols*nd)
	s1, s2, s12 := make([]float32, L+1), make([]float32, L+1), make([]float32, L+1)
	for x := lo; x <= hi; x++ {
		c := &gc.v[x]
		for v := 0; v < glyphRows; v++ {
			s1[x-lo] += c[v]
			s2[x-lo] += c[v] * c[v]
			if x < hi {
				s12[x-lo] += c[v] * gc.v[x+1][v]
			}
		}
		for u := 0; u < glyphCols; u++ {
			row := dots[((x-lo)*glyphCols+u)*nd:]
			for _, k := range ks {
				var d float32
				t := &vecs[k]
				for v := 0; v < glyphRows; v++ {
					d += c[v] * t[v*glyphCols+u]
				}
				row[k] = d
			}
		}
	}
	score := make([]float32, (wMax-wMin+1)*L*nd)
	for i := range score {
		score[i] = -1
	}
	type tap struct {
		u, fl  int
		wl, wr float32
	}
	taps := make([]tap, 0, glyphCols)
	kw := make([]int, 0, len(ks))
	acc := make([]float32, nd)
	const cells = glyphRows * glyphCols
	for w := wMin; w <= wMax; w++ {
		// The taps of a span of w columns from 0 (span's sampling).
		taps = taps[:0]
		left := (float64(glyphCols) - float64(w)*gc.scale) / 2
		for u := 0; u < glyphCols; u++ {
			sx := (float64(u)+0.5-left)/gc.scale - 0.5
			if sx < -1 || sx > float64(w) {
				continue
			}
			fx := math.Floor(sx)
			tx, fl := float32(sx-fx), int(fx)
			var t tap
			t.u, t.fl = u, fl
			if fl >= 0 && fl <= w-1 {
				t.wl = 1 - tx
			}
			if fl+1 >= 0 && fl+1 <= w-1 {
				t.wr = tx
			}
			taps = append(taps, t)
		}
		// The glyphs spans of this width are compared with.
		kw = kw[:0]
		for _, k := range ks {
			if w >= need[k][0] && w <= need[k][1] {
				kw = append(kw, k)
			}
		}
		if len(kw) == 0 {
			continue
		}
		for a := lo; a+w-1 <= hi; a++ {
			var sum, sq float32
			for _, k := range kw {
				acc[k] = 0
			}
			for _, t := range taps {
				x := a + t.fl - lo
				if t.wl != 0 {
					sum += t.wl * s1[x]
					sq += t.wl * t.wl * s2[x]
					row := dots[(x*glyphCols+t.u)*nd:]
					for _, k := range kw {
						acc[k] += t.wl * row[k]
					}
				}
				if t.wr != 0 {
					sum += t.wr * s1[x+1]
					sq += t.wr * t.wr * s2[x+1]
					if t.wl != 0 {
						sq += 2 * t.wl * t.wr * s12[x]
					}
					row := dots[((x+1)*glyphCols+t.u)*nd:]
					for _, k := range kw {
						acc[k] += t.wr * row[k]
					}
				}
			}
			ss := float64(sq) - float64(sum)*float64(sum)/cells
			if ss < 1e-6 {
				continue
			}
			inv := float32(1 / math.Sqrt(ss))
			base := ((w-wMin)*L + a - lo) * nd
			for _, k := range kw {
				score[base+k] = acc[k] * inv
			}
		}
	}
	return score
}

// faintLine returns the first and last column of a value line's print
// with its faint strokes (a quarter of the contrast, as inkExtent's
// faint end): uneven light washes out one end of a value, whose
// characters the fit must still lay spans over (the line's ink at half
// the contrast began at the R of a date printed "18 APR 2027" with its
// start washed out, on tuning seed 13000032).
func faintLine(ln valueLine) (int, int) {
	capPx := ln.bot - ln.top + 1
	cols := strokeColumns(strokes(ln.dark, ln.w, ln.h, ln.contrast/4), ln.w, ln.top, ln.bot)
	x0, gap := ln.x0, 0
	for x := ln.x0 - 1; x >= 0 && float64(gap) <= fitMaxGap*float64(capPx); x-- {
		if cols[x] {
			x0, gap = x, 0
		} else {
			gap++
		}
	}
	return x0, max(lineEnd(ln.cols, ln.x0, capPx), lineEnd(cols, ln.x0, capPx))
}
