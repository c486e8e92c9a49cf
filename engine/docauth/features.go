package docauth

import (
	"image"
	"math"
	"strings"

	"checkpost/engine/docauth/profile"
)

// Names of the measurements a profile holds; per-region ones add
// ":" + the region's name.
const (
	mSharpness  = "quality.sharpness"
	mPaperRatio = "uv.paper.ratio"
	mUVFeature  = "uv.feature.ncc:"
	mFibres     = "uv.fibres.density"
	mMRZIR      = "ir.mrz.absorption"
	mFieldIR    = "ir.field.absorption:"
	mDropout    = "ir.dropout.absorption"
	mPattern    = "white.pattern.ncc"
	mPortraitUV = "portrait.uv.rel"
	mPortraitIR = "portrait.ir.slope"
	mPortraitEd = "portrait.edge.ridge"
)

// uvHighPass is the radius in template cells (2 mm) of the box whose mean
// is taken off UV patterns before they are correlated.
const uvHighPass = 4

// side is a profile side prepared for measuring: templates as planes at
// TemplateMM, masks as booleans.
type side struct {
	ps       *profile.Side
	tw, th   int
	white    plane // white luminance
	uv       plane // UV luminance, high-passed (highPass)
	dropout  []bool
	static   []bool
	bare     []bool            // template cells of bare paper under white light
	personal []image.Rectangle // in template cells
	glyphs   *glyphModel       // the fields' characters (nil: not learned)
}

func compileSide(ps *profile.Side) *side {
	c := &side{ps: ps, glyphs: compileGlyphs(ps.Glyphs)}
	if g := ps.Template("white"); g != nil {
		c.tw, c.th = g.W, g.H
		c.white = gridLum(g)
	}
	if g := ps.Template("uv"); g != nil && g.W == c.tw && g.H == c.th {
		c.uv = highPass(gridLum(g), c.tw, c.th, uvHighPass)
	}
	if c.white != nil {
		bg := paperLevel(c.white, c.tw, c.th)
		c.bare = make([]bool, len(c.white))
		for i, v := range c.white {
			c.bare[i] = v >= 0.85*bg[i]
		}
	}
	if g := ps.Template("dropout"); g != nil && g.W == c.tw && g.H == c.th {
		c.dropout = gridMask(g)
	}
	if g := ps.Template("static"); g != nil && g.W == c.tw && g.H == c.th {
		c.static = gridMask(g)
	}
	for _, r := range ps.Regions {
		if personal(r.Kind) {
			c.personal = append(c.personal, boxCells(r.Box, c.tw, c.th, 2))
		}
	}
	return c
}

func personal(k profile.Kind) bool {
	return k == profile.KindField || k == profile.KindPortrait || k == profile.KindMRZ || k == profile.KindSignature
}

func gridLum(g *profile.Grid) plane {
	out := make(plane, g.W*g.H)
	for i := range out {
		if g.Channels == 1 {
			out[i] = float32(g.Pix[i])
		} else {
			out[i] = 0.299*float32(g.Pix[3*i]) + 0.587*float32(g.Pix[3*i+1]) + 0.114*float32(g.Pix[3*i+2])
		}
	}
	return out
}

func gridMask(g *profile.Grid) []bool {
	out := make([]bool, g.W*g.H)
	for i := range out {
		out[i] = g.Pix[i*g.Channels] >= 128
	}
	return out
}

// boxCells converts a normalised box to cells of a w x h grid, grown by
// grow cells and clipped.
func boxCells(b [4]float64, w, h, grow int) image.Rectangle {
	r := image.Rect(int(math.Floor(b[0]*float64(w))), int(math.Floor(b[1]*float64(h))),
		int(math.Ceil(b[2]*float64(w))), int(math.Ceil(b[3]*float64(h))))
	return r.Inset(-grow).Intersect(image.Rect(0, 0, w, h))
}

// measurement is one measured value with what it was measured on.
type measurement struct {
	value float64
	n     int // cells it rests on
	ok    bool
	// shift is the offset in mm at which a pattern matched best.
	dx, dy float64
}

// measureAll measures every property the profile side describes on a
// registered side.
func measureAll(a *analysis, c *side) map[string]measurement {
	out := map[string]measurement{}
	s := a.s
	page := image.Rect(0, 0, s.w, s.h)
	// Sharpness on the MRZ when the side has one (dense, high-contrast
	// print on every document), else on the whole page.
	sr := page
	if r, ok := c.ps.Region("mrz"); ok {
		sr = s.cellRect(r.Box)
	}
	if v := a.sharpness(sr); v > 0 {
		out[mSharpness] = measurement{value: v, ok: true}
	}
	pr, n := a.paperRatio(page)
	if n >= 50 {
		out[mPaperRatio] = measurement{value: pr, n: n, ok: true}
	}
	// UV features: correlation with the template at their place.
	if a.ul != nil && c.uv != nil {
		g := a.half(a.ul)
		g.p = highPass(g.p, g.w, g.h, uvHighPass)
		// Compare the glow only where the paper is bare under white light,
		// in the capture and in the profile: printed text darkens the UV
		// image too, at the same place on every document, and would
		// correlate without any overprint.
		if a.wl != nil {
			wl, bw := a.half(a.wl), a.half(a.bgW)
			for i := range g.bad {
				if wl.p[i] < 0.85*bw.p[i] {
					g.bad[i] = true
				}
			}
		}
		if g.w == c.tw && g.h == c.th {
			for _, r := range c.ps.Regions {
				if r.Kind != profile.KindUVFeature {
					continue
				}
				rc := boxCells(r.Box, c.tw, c.th, 0)
				v, dx, dy, m := bestNCC(g, c.uv, c.tw, rc, 3, c.bare)
				ok := m >= rc.Dx()*rc.Dy()/3
				out[mUVFeature+r.Name] = measurement{value: v, n: m, ok: ok, dx: float64(dx) * TemplateMM, dy: float64(dy) * TemplateMM}
			}
		}
	}
	// Fibres, away from the UV features.
	if a.ul != nil {
		var skip []image.Rectangle
		for _, r := range c.ps.Regions {
			if r.Kind == profile.KindUVFeature {
				skip = append(skip, s.cellRect(r.Box).Inset(-4))
			}
		}
		if v, area := a.fibres(page.Inset(4), skip); area > 0 {
			out[mFibres] = measurement{value: v, n: area, ok: float64(area)*s.mm*s.mm > 400}
		}
	}
	// IR absorption of the MRZ and of the IR-dark fields.
	if r, ok := c.ps.Region("mrz"); ok {
		v, m := a.absorption(s.cellRect(r.Box), nil)
		out[mMRZIR] = measurement{value: v, n: m, ok: m >= 20}
	}
	for _, r := range c.ps.Regions {
		if r.Kind == profile.KindIRDark || (r.Kind == profile.KindField && r.IRDark) {
			v, m := a.absorption(s.cellRect(r.Box), nil)
			out[mFieldIR+r.Name] = measurement{value: v, n: m, ok: m >= 20}
		}
	}
	// IR-dropout art: what the profile saw vanish under IR.
	if c.dropout != nil && c.tw > 0 {
		tw, th := c.tw, c.th
		mask := func(i int) bool {
			x, y := i%s.w, i/s.w
			tx, ty := x*tw/s.w, y*th/s.h
			return c.dropout[ty*tw+tx]
		}
		v, m := a.absorption(page, mask)
		out[mDropout] = measurement{value: v, n: m, ok: m >= 200}
	}
	// White-light pattern: local correlation with the template over the
	// static cells.
	if a.wl != nil && c.white != nil {
		g := a.half(a.wl)
		if g.w == c.tw && g.h == c.th {
			use := c.static
			v, tiles := tileNCC(g, c.white, c.tw, use, 16)
			out[mPattern] = measurement{value: v, n: tiles, ok: tiles >= 8}
		}
	}
	// Portrait: UV response relative to paper, IR following the face,
	// over the portrait's cells in view when they are more than
	// 1/portraitMinShare of it.
	if r, ok := c.ps.Region("portrait"); ok && a.wl != nil {
		rc := s.cellRect(r.Box).Inset(2)
		if a.ul != nil && pr > 0 {
			var vals []float32
			for y := rc.Min.Y; y < rc.Max.Y; y++ {
				for x := rc.Min.X; x < rc.Max.X; x++ {
					i := y*s.w + x
					if a.bad[i] {
						continue
					}
					vals = append(vals, a.ul[i]/(float32(pr)*a.bgW[i]))
				}
			}
			if len(vals) > rc.Dx()*rc.Dy()/portraitMinShare {
				out[mPortraitUV] = measurement{value: float64(median(vals)), n: len(vals), ok: true}
			}
		}
		if v, ok := a.portraitEdge(s.cellRect(r.Box)); ok {
			out[mPortraitEd] = measurement{value: v, ok: true}
		}
		if s.ir != nil {
			var sx, sy, sxx, sxy float64
			n := 0
			for y := rc.Min.Y; y < rc.Max.Y; y++ {
				for x := rc.Min.X; x < rc.Max.X; x++ {
					i := y*s.w + x
					if a.bad[i] {
						continue
					}
					fx := float64(a.wl[i] / a.bgW[i])
					fy := float64(s.ir[i] / a.bgIR[i])
					sx += fx
					sy += fy
					sxx += fx * fx
					sxy += fx * fy
					n++
				}
			}
			if n > rc.Dx()*rc.Dy()/portraitMinShare {
				fn := float64(n)
				vx := sxx - sx*sx/fn
				if vx > 1e-6*fn {
					out[mPortraitIR] = measurement{value: (sxy - sx*sy/fn) / vx, n: n, ok: true}
				}
			}
		}
	}
	return out
}

// portraitMinShare: the portrait is measured when more than this
// fraction (its inverse) of its cells are in view. A thumb over it takes
// the face's skin with it (the two touch, and skin joined to the page's
// edge is the thumb's), so at a third 5 of 130 substituted portraits
// under a thumb were UNDETERMINED and missed (tuning seeds 13604000..
// 13604999, eval docauth --classes none,portrait-substituted). At a
// sixth: those 130 all FAILed; the 132 genuine captures with a thumb of
// that range, and 149 genuine captures with a thumb over a fifth or more
// of the portrait (seeds 13605000..13606499, all three models, eval
// docauth --recheck), FAILed as before (one, at a third too), 15 of
// them measured and PASSing where they had been UNDETERMINED.
const portraitMinShare = 6

// tolerance says how a measurement's accepted range follows from its
// spread over the genuine captures: mean ± max(k·std, rel·|mean|, abs) on
// the bounded sides.
type tolerance struct {
	lo, hi      bool
	k, rel, abs float64
}

// tolerances by measurement name (prefix for per-region names). The
// floors (rel, abs) carry a profile learned from a few captures over the
// variation of captures it never saw: degradations, other devices; they
// were set on the tuning seeds of the evaluation (see eval.go).
var tolerances = map[string]tolerance{
	mPaperRatio: {hi: true, k: 4, rel: 1.0, abs: 0.08},
	mUVFeature:  {lo: true, k: 4, rel: 0.55, abs: 0.2},
	mFibres:     {lo: true, k: 0, rel: 0.85, abs: 0},
	mMRZIR:      {lo: true, k: 4, rel: 0.5, abs: 0.2},
	mFieldIR:    {lo: true, k: 4, rel: 0.5, abs: 0.2},
	mDropout:    {hi: true, k: 4, rel: 1.0, abs: 0.25},
	mPattern:    {lo: true, k: 4, rel: 0.6, abs: 0.2},
	mPortraitUV: {hi: true, k: 4, rel: 0.8, abs: 0.3},
	mPortraitIR: {lo: true, hi: true, k: 4, rel: 0, abs: 0.3},
	mPortraitEd: {hi: true, k: 4, rel: 1.0, abs: 0.1},
}

func toleranceFor(name string) (tolerance, bool) {
	if t, ok := tolerances[name]; ok {
		return t, true
	}
	if i := strings.IndexByte(name, ':'); i > 0 {
		t, ok := tolerances[name[:i+1]]
		return t, ok
	}
	return tolerance{}, false
}

// summarise turns the values of one measurement over the genuine captures
// into the profile's entry with its range.
func summarise(name string, vals []float64) profile.Measurement {
	m := profile.Measurement{Name: name, N: len(vals)}
	if len(vals) == 0 {
		return m
	}
	m.Min, m.Max = vals[0], vals[0]
	for _, v := range vals {
		m.Mean += v
		m.Min = math.Min(m.Min, v)
		m.Max = math.Max(m.Max, v)
	}
	m.Mean /= float64(len(vals))
	for _, v := range vals {
		m.Std += (v - m.Mean) * (v - m.Mean)
	}
	if len(vals) > 1 {
		m.Std = math.Sqrt(m.Std / float64(len(vals)-1))
	}
	t, ok := toleranceFor(name)
	if !ok {
		return m
	}
	margin := math.Max(t.k*m.Std, math.Max(t.rel*math.Abs(m.Mean), t.abs))
	if t.lo {
		lo := math.Min(m.Min, m.Mean-margin)
		m.Lo = &lo
	}
	if t.hi {
		hi := math.Max(m.Max, m.Mean+margin)
		m.Hi = &hi
	}
	return m
}
