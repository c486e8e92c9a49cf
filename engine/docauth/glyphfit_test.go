package docauth

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// noiseLine is a w x h value line of random darkness up to 4/3 of the
// contrast, its capitals on the middle rows.
func noiseLine(rng *rand.Rand, w, h, contrast int) valueLine {
	ln := valueLine{w: w, h: h, dark: make([]int, w*h), contrast: contrast, top: h / 3, bot: h * 2 / 3}
	for i := range ln.dark {
		ln.dark[i] = rng.IntN(contrast * 4 / 3)
	}
	return ln
}

// TestGlyphColumnsSpanIsGlyphOf: the fit's sampling of a span (the
// columns sampled on the glyph's rows once, then across) gives the
// glyph glyphOf gives for the same columns.
func TestGlyphColumnsSpanIsGlyphOf(t *testing.T) {
	ln := noiseLine(rand.New(rand.NewPCG(1, 2)), 120, 40, 150)
	gc := newGlyphColumns(ln)
	pad := int(math.Round(glyphPadCaps * float64(ln.bot-ln.top+1)))
	y0, y1 := max(0, ln.top-pad), min(ln.h-1, ln.bot+pad)
	for _, s := range [][2]int{{0, 9}, {30, 31}, {40, 63}, {100, 119}, {57, 57}} {
		want := glyphOf(ln, s[0], s[1], y0, y1)
		got := gc.span(s[0], s[1])
		for k := range want {
			if math.Abs(float64(want[k]-got[k])) > 1e-5 {
				t.Fatalf("span %v cell %d: %v, glyphOf %v", s, k, got[k], want[k])
			}
		}
	}
}

// TestSpanScoresAreCorrelations: the fit's span scores are the
// normalised correlations of the spans' glyphs with the model's glyphs,
// as compareGlyphs takes them.
func TestSpanScoresAreCorrelations(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ln := noiseLine(rng, 90, 36, 120)
	gc := newGlyphColumns(ln)
	vecs := make([]glyphVec, 3)
	for k := range vecs {
		var g glyphVec
		for i := range g {
			g[i] = rng.Float32()
		}
		vecs[k], _ = normGlyph(g)
	}
	need := [][2]int{{3, 30}, {0, 0}, {3, 30}}
	lo, hi, wMin, wMax := 5, 80, 3, 30
	score := gc.spanScores(vecs, need, lo, hi, wMin, wMax)
	L := hi - lo + 1
	for w := wMin; w <= wMax; w += 3 {
		for a := lo; a+w-1 <= hi; a += 7 {
			g, _ := normGlyph(gc.span(a, a+w-1))
			for k := range vecs {
				want := float32(-1)
				if need[k][1] > 0 {
					want = float32(dotGlyph(&g, &vecs[k]))
				}
				if got := score[((w-wMin)*L+a-lo)*len(vecs)+k]; math.Abs(float64(got-want)) > 1e-4 {
					t.Fatalf("span %d+%d glyph %d: %v, want %v", a, w, k, got, want)
				}
			}
		}
	}
}

// TestFitGlyphsOnAnyCrop: crops of any size and content (noise, blank,
// a bar, tiny) give a comparison per character or none, never a panic.
func TestFitGlyphsOnAnyCrop(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := &glyphModel{}
	for _, c := range "0123456789ABJMW" {
		var g glyphVec
		for i := range g {
			g[i] = rng.Float32()
		}
		v, _ := normGlyph(g)
		m.chars = append(m.chars, c)
		m.vecs = append(m.vecs, v)
		m.widths = append(m.widths, inkedWidth(&g)*rng.Float64())
	}
	want := []rune("AB0123J")
	for n := 0; n < 300; n++ {
		w, h := 1+rng.IntN(400), 1+rng.IntN(80)
		im := image.NewGray(image.Rect(0, 0, w, h))
		kind := n % 3
		for i := range im.Pix {
			switch kind {
			case 0:
				im.Pix[i] = uint8(rng.IntN(256))
			case 1:
				im.Pix[i] = 200
			default:
				if x := i % w; x > w/4 && x < w/2 && i/w > h/3 && i/w < 2*h/3 {
					im.Pix[i] = 30
				} else {
					im.Pix[i] = 220
				}
			}
		}
		if ps, ok := m.fitGlyphs(&fieldPrint{im: im}, 11.8, "document_number", want); ok && len(ps) != len(want) {
			t.Fatalf("%dx%d: %d places for %d characters", w, h, len(ps), len(want))
		}
	}
}

// TestBlurredGlyphs: a glyph blurred by a sigma of one cell spreads a
// dot as a Gaussian does, across and down alike, keeping its ink; a
// vanishing sigma leaves the model's glyphs as they were.
func TestBlurredGlyphs(t *testing.T) {
	var dot glyphVec
	c := 8*glyphCols + 10
	dot[c] = 1
	k := []float32{0.054, 0.244, 0.403, 0.244, 0.054} // sigma 1, normalised
	b := blurGlyph(blurGlyph(dot, k, 1, glyphCols), k, glyphCols, glyphRows)
	var sum float32
	for _, v := range b {
		sum += v
	}
	if math.Abs(float64(sum)-1) > 0.005 { // the kernel rounded to 3 places
		t.Errorf("ink %.4f after the blur, want 1", sum)
	}
	for _, d := range []int{1, -1, glyphCols, -glyphCols} {
		if r := b[c+d] / b[c]; math.Abs(float64(r)-math.Exp(-0.5)) > 0.01 {
			t.Errorf("neighbour %+d: %.3f of the centre, want %.3f", d, r, math.Exp(-0.5))
		}
	}
	// At the edges the line ends: nothing wraps to the next row.
	var edge glyphVec
	edge[glyphCols-1] = 1
	if e := blurGlyph(edge, k, 1, glyphCols); e[glyphCols] != 0 || e[glyphCols-2] == 0 {
		t.Errorf("blur across the right edge: next row %.3f, left neighbour %.3f", e[glyphCols], e[glyphCols-2])
	}
	m := compileGlyphs(learnSim(t, "uto-passport").Side("front").Glyphs)
	if m == nil {
		t.Fatal("the learned profile has no glyphs")
	}
	for n, v := range m.blurredVecs(0.05) {
		if d := dotGlyph(&v, &m.vecs[n]); d < 0.999 {
			t.Errorf("glyph %c blurred by 0.05 cells: correlation %.4f with itself", m.chars[n], d)
		}
	}
}
