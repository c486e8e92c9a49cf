package sim

import (
	"bytes"
	"image"
	"math"
	"os"
	"strings"
	"sync"
	"testing"

	"checkpost/devices"
	"checkpost/mrz"
)

var (
	testSimOnce sync.Once
	testSim     *Simulator
	testSimErr  error
)

func simulator(tb testing.TB) *Simulator {
	tb.Helper()
	testSimOnce.Do(func() { testSim, testSimErr = New() })
	if testSimErr != nil {
		tb.Fatalf("%v (the Debian package fonts-ocr-b is a requirement; make setup installs it)", testSimErr)
	}
	return testSim
}

// testPPI keeps the tests quick; the benchmark renders at 300 ppi.
var testPPI = 200.0

func render(t *testing.T, model string, seed uint64, forgeries, degradations string) *devices.Capture {
	t.Helper()
	fs, err := ParseForgeries(forgeries)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ParseDegradations(degradations)
	if err != nil {
		t.Fatal(err)
	}
	c, err := simulator(t).Render(Spec{Model: model, Seed: seed, PPI: testPPI, Forgeries: fs, Degradations: ds})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func region(t *testing.T, c *devices.Capture, name string) devices.Region {
	t.Helper()
	r, ok := c.Truth.Region(name)
	if !ok {
		t.Fatalf("no region %q in the truth", name)
	}
	return r
}

// darkFraction is the share of IR pixels below 100 inside r (quad-aware).
func darkFraction(ir *image.Gray, r devices.Region) float64 {
	dark, n := 0, 0
	b := r.Rect()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !r.Contains(devices.Point{X: float64(x) + 0.5, Y: float64(y) + 0.5}) {
				continue
			}
			n++
			if ir.Pix[y*ir.Stride+x] < 100 {
				dark++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(dark) / float64(n)
}

func meanRGB(im *image.RGBA, b image.Rectangle) float64 {
	b = b.Intersect(im.Bounds())
	sum, n := 0.0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := im.Pix[y*im.Stride+4*x:]
			sum += (float64(p[0]) + float64(p[1]) + float64(p[2])) / 3
			n++
		}
	}
	return sum / float64(n)
}

func meanGray(im *image.Gray, b image.Rectangle) float64 {
	b = b.Intersect(im.Bounds())
	sum, n := 0.0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			sum += float64(im.Pix[y*im.Stride+x])
			n++
		}
	}
	return sum / float64(n)
}

func TestRenderIsDeterministic(t *testing.T) {
	for _, m := range Models() {
		a := render(t, m.Name, 11, "portrait-substituted,photocopy", "occlusion,light,rotate,noise,jpeg:50")
		b := render(t, m.Name, 11, "portrait-substituted,photocopy", "occlusion,light,rotate,noise,jpeg:50")
		if !bytes.Equal(a.White.Pix, b.White.Pix) || !bytes.Equal(a.IR.Pix, b.IR.Pix) || !bytes.Equal(a.UV.Pix, b.UV.Pix) {
			t.Fatalf("%s: two renders of one spec differ", m.Name)
		}
		c := render(t, m.Name, 12, "portrait-substituted,photocopy", "occlusion,light,rotate,noise,jpeg:50")
		if bytes.Equal(a.IR.Pix, c.IR.Pix) || strings.Join(a.Truth.MRZ, "") == strings.Join(c.Truth.MRZ, "") {
			t.Fatalf("%s: seeds 11 and 12 render the same", m.Name)
		}
	}
}

func mrzSide(c *devices.Capture) *devices.Side {
	if c.Truth.MRZSide == "back" {
		return c.Back
	}
	return &c.Side
}

// The truth's MRZ region is where the IR-dark MRZ is; the IR page outside
// every region of dark print is light (the art vanished).
func TestGenuineMRZRegionIsDarkInIRAndArtVanishes(t *testing.T) {
	for _, m := range Models() {
		c := render(t, m.Name, 5, "none", "none")
		side := mrzSide(c)
		mrzReg := region(t, c, "mrz")
		if f := darkFraction(side.IR, mrzReg); f < 0.12 {
			t.Errorf("%s: IR MRZ region only %.3f dark", m.Name, f)
		}
		// Each line's box holds dark pixels too.
		for i := range c.Truth.MRZ {
			if f := darkFraction(side.IR, region(t, c, "mrz.line"+string(rune('1'+i)))); f < 0.12 {
				t.Errorf("%s: IR MRZ line %d only %.3f dark", m.Name, i+1, f)
			}
		}
		// Outside the regions that hold IR-dark print, almost no dark
		// pixels: background art, labels and overprint vanish.
		for _, sideName := range []string{"front", "back"} {
			s := &c.Side
			if sideName == "back" {
				if c.Back == nil {
					continue
				}
				s = c.Back
			}
			var page devices.Region
			var masks []image.Rectangle
			for _, r := range c.Truth.Regions {
				if r.Side != sideName {
					continue
				}
				switch {
				case r.Name == "page":
					page = r
				case r.Name == "mrz" || strings.HasPrefix(r.Name, "field.") || r.Name == "portrait" || r.Name == "signature" || r.Name == "ir.code":
					masks = append(masks, r.Rect().Inset(-3))
				}
			}
			pr := page.Rect()
			// The top band holds the headings, some of them IR-visible.
			pr.Min.Y += int(14 * testPPI / 25.4)
			dark, n := 0, 0
		pixels:
			for y := pr.Min.Y; y < pr.Max.Y; y++ {
				for x := pr.Min.X; x < pr.Max.X; x++ {
					p := image.Pt(x, y)
					for _, mk := range masks {
						if p.In(mk) {
							continue pixels
						}
					}
					n++
					if s.IR.Pix[y*s.IR.Stride+x] < 100 {
						dark++
					}
				}
			}
			if frac := float64(dark) / float64(n); frac > 0.003 {
				t.Errorf("%s %s: %.4f of the IR page outside printed data is dark", m.Name, sideName, frac)
			}
		}
	}
}

func TestGenuineMRZParsesAndMatchesTruth(t *testing.T) {
	for _, m := range Models() {
		for seed := uint64(0); seed < 20; seed++ {
			fs, _ := ParseForgeries("none")
			c, err := simulator(t).Render(Spec{Model: m.Name, Seed: seed, PPI: 100, Forgeries: fs})
			if err != nil {
				t.Fatal(err)
			}
			r, err := mrz.ParseLines(c.Truth.MRZ)
			if err != nil {
				t.Fatalf("%s seed %d: %v", m.Name, seed, err)
			}
			if !r.Valid || r.Format != m.Format {
				t.Fatalf("%s seed %d: MRZ %q invalid or format %v", m.Name, seed, c.Truth.MRZ, r.Format)
			}
			if c.Truth.Forgery != "none" || len(c.Truth.Mismatched) != 0 {
				t.Fatalf("%s: genuine truth says forgery %q mismatched %v", m.Name, c.Truth.Forgery, c.Truth.Mismatched)
			}
		}
	}
}

func sameImages(t *testing.T, what string, a, b *devices.Capture, white, ir, uv bool) {
	t.Helper()
	if white && !bytes.Equal(a.White.Pix, b.White.Pix) {
		t.Errorf("%s changed the white image", what)
	}
	if ir && !bytes.Equal(a.IR.Pix, b.IR.Pix) {
		t.Errorf("%s changed the IR image", what)
	}
	if uv && !bytes.Equal(a.UV.Pix, b.UV.Pix) {
		t.Errorf("%s changed the UV image", what)
	}
}

func TestForgeriesChangeWhatTheyShould(t *testing.T) {
	const model, seed = "uto-passport", 21
	g := render(t, model, seed, "none", "none")
	page := region(t, g, "page").Rect()
	op := region(t, g, "uv.overprint").Rect()
	mrzBox := region(t, g, "mrz").Rect()

	t.Run("uv-bright-paper", func(t *testing.T) {
		f := render(t, model, seed, "uv-bright-paper", "none")
		// The paper's UV luminance, away from the overprint.
		probe := image.Rect(page.Min.X+5, mrzBox.Min.Y-60, op.Min.X, mrzBox.Min.Y-30)
		if gm, fm := meanRGB(g.UV, probe), meanRGB(f.UV, probe); fm < 3*gm || fm < 90 {
			t.Errorf("UV paper luminance %.1f -> %.1f", gm, fm)
		}
		if d := math.Abs(meanRGB(g.White, page) - meanRGB(f.White, page)); d > 3 {
			t.Errorf("white image changed by %.1f", d)
		}
		if d := math.Abs(meanGray(g.IR, page) - meanGray(f.IR, page)); d > 3 {
			t.Errorf("IR image changed by %.1f", d)
		}
		if strings.Join(f.Truth.MRZ, "") != strings.Join(g.Truth.MRZ, "") {
			t.Error("MRZ changed")
		}
	})
	t.Run("uv-overprint-missing", func(t *testing.T) {
		f := render(t, model, seed, "uv-overprint-missing", "none")
		sameImages(t, "missing overprint", g, f, true, true, false)
		if gm, fm := meanRGB(g.UV, op), meanRGB(f.UV, op); fm > gm*0.6 {
			t.Errorf("UV in the overprint box %.1f -> %.1f", gm, fm)
		}
		if _, ok := f.Truth.Region("uv.overprint"); ok {
			t.Error("truth still locates the missing overprint")
		}
	})
	t.Run("uv-overprint-misplaced", func(t *testing.T) {
		f := render(t, model, seed, "uv-overprint-misplaced:15", "none")
		sameImages(t, "misplaced overprint", g, f, true, true, false)
		moved := region(t, f, "uv.overprint").Rect()
		d := math.Hypot(float64(moved.Min.X-op.Min.X), float64(moved.Min.Y-op.Min.Y)) / (testPPI / 25.4)
		if math.Abs(d-15) > 3 && moved.Dx() == op.Dx() && moved.Dy() == op.Dy() {
			t.Errorf("overprint moved %.1f mm, want 15", d)
		}
	})
	t.Run("mrz-ir-transparent", func(t *testing.T) {
		f := render(t, model, seed, "mrz-ir-transparent", "none")
		sameImages(t, "IR-transparent MRZ ink", g, f, true, false, true)
		mr := region(t, f, "mrz")
		if gd, fd := darkFraction(g.IR, mr), darkFraction(f.IR, mr); fd > 0.01 || gd < 0.12 {
			t.Errorf("IR MRZ dark fraction %.3f -> %.3f", gd, fd)
		}
		if meanGray(f.IR, mr.Rect()) < 200 {
			t.Errorf("IR MRZ region mean %.1f, want light", meanGray(f.IR, mr.Rect()))
		}
	})
	t.Run("portrait-substituted", func(t *testing.T) {
		f := render(t, model, seed, "portrait-substituted", "none")
		pasted := region(t, f, "forged.portrait").Rect()
		// Outside the pasted photo nothing changed.
		for y := 0; y < g.White.Rect.Dy(); y++ {
			for x := 0; x < g.White.Rect.Dx(); x++ {
				if image.Pt(x, y).In(pasted) {
					continue
				}
				i := y*g.White.Stride + 4*x
				if g.White.Pix[i] != f.White.Pix[i] || g.UV.Pix[i+2] != f.UV.Pix[i+2] || g.IR.Pix[y*g.IR.Stride+x] != f.IR.Pix[y*f.IR.Stride+x] {
					t.Fatalf("pixel (%d,%d) outside the pasted photo changed", x, y)
				}
			}
		}
		pr := region(t, g, "portrait").Rect()
		if gm, fm := meanRGB(g.UV, pr), meanRGB(f.UV, pr); fm < 2*gm {
			t.Errorf("UV portrait luminance %.1f -> %.1f: photo paper should glow", gm, fm)
		}
		// The passport prints its portrait IR-visible; the pasted dye photo vanishes.
		if gd, fd := meanGray(g.IR, pr), meanGray(f.IR, pr); fd < gd+20 {
			t.Errorf("IR portrait mean %.1f -> %.1f", gd, fd)
		}
	})
	t.Run("field-altered", func(t *testing.T) {
		f := render(t, model, seed, "field-altered", "none")
		if strings.Join(f.Truth.MRZ, "") != strings.Join(g.Truth.MRZ, "") {
			t.Error("MRZ changed")
		}
		if len(f.Truth.Mismatched) != 1 {
			t.Fatalf("mismatched %v", f.Truth.Mismatched)
		}
		name := f.Truth.Mismatched[0]
		gf, _ := g.Truth.Field(name)
		ff, _ := f.Truth.Field(name)
		if gf.Value == ff.Value {
			t.Errorf("field %s not altered (%q)", name, ff.Value)
		}
		sameImages(t, "altered field", g, f, false, false, false)
	})
	t.Run("mrz-altered", func(t *testing.T) {
		f := render(t, model, seed, "mrz-altered", "none")
		if strings.Join(f.Truth.MRZ, "") == strings.Join(g.Truth.MRZ, "") {
			t.Fatal("MRZ not altered")
		}
		r, err := mrz.ParseLines(f.Truth.MRZ)
		if err != nil || !r.Valid {
			t.Fatalf("altered MRZ should keep valid check digits: %v %+v", err, f.Truth.MRZ)
		}
		for i, fl := range f.Truth.Fields {
			if fl.Value != g.Truth.Fields[i].Value {
				t.Errorf("printed field %s changed", fl.Name)
			}
		}
		if len(f.Truth.Mismatched) != 1 {
			t.Errorf("mismatched %v", f.Truth.Mismatched)
		}
	})
	t.Run("mrz-check-digits", func(t *testing.T) {
		f := render(t, model, seed, "mrz-check-digits", "none")
		r, err := mrz.ParseLines(f.Truth.MRZ)
		if err != nil {
			t.Fatal(err)
		}
		if r.Valid {
			t.Errorf("MRZ with broken check digits parses valid: %q", f.Truth.MRZ)
		}
		if f.Truth.Document != g.Truth.Document {
			t.Error("the encoded data changed")
		}
	})
	t.Run("photocopy", func(t *testing.T) {
		f := render(t, model, seed, "photocopy", "none")
		// No overprint glow: the overprint box is about as bright as the
		// copy paper around it, and bright overall (optical brighteners).
		probe := image.Rect(page.Min.X+5, mrzBox.Min.Y-60, op.Min.X, mrzBox.Min.Y-30)
		if gm := meanRGB(g.UV, probe); meanRGB(f.UV, probe) < 3*gm {
			t.Errorf("copy paper not UV-bright")
		}
		if _, ok := f.Truth.Region("uv.overprint"); ok {
			t.Error("a copy has no overprint")
		}
		// The labels, printed in IR-transparent ink, show in the copy's IR.
		lab := region(t, g, "field.surname").Rect()
		lab = image.Rect(lab.Min.X, lab.Min.Y-int(2.6*testPPI/25.4), lab.Max.X, lab.Min.Y-2)
		if gm, fm := meanGray(g.IR, lab), meanGray(f.IR, lab); fm > gm-5 {
			t.Errorf("IR over the surname label %.1f -> %.1f: the copy's toner should show", gm, fm)
		}
	})
}

func TestDegradationsMoveRegions(t *testing.T) {
	for _, tc := range []struct {
		degrade string
	}{{"rotate:180"}, {"rotate:33"}, {"perspective:0.8"}, {"resolution:150"}, {"occlusion:1,light:0.8"}, {"defocus:0.1,noise:10,jpeg:40"}} {
		c := render(t, "uto-passport", 8, "none", tc.degrade)
		mr := region(t, c, "mrz")
		if f := darkFraction(c.IR, mr); f < 0.03 {
			t.Errorf("%s: IR MRZ region only %.3f dark", tc.degrade, f)
		}
		if len(c.Truth.Degradations) == 0 {
			t.Errorf("%s: truth lists no degradation", tc.degrade)
		}
		if occ, ok := c.Truth.Region("occlusion"); ok && occ.Rect().Overlaps(mr.Rect()) {
			t.Errorf("%s: the occlusion covers the MRZ", tc.degrade)
		}
	}
	c := render(t, "uto-passport", 8, "none", "resolution:150")
	if c.PPI != 150 || c.Truth.PPI != 150 {
		t.Errorf("resolution: ppi %g, truth %g", c.PPI, c.Truth.PPI)
	}
	g := render(t, "uto-passport", 8, "none", "none")
	if w := c.White.Rect.Dx(); math.Abs(float64(w)-float64(g.White.Rect.Dx())*150/testPPI) > 1 {
		t.Errorf("resolution: width %d from %d", w, g.White.Rect.Dx())
	}
	// Upside down: the MRZ is at the top.
	u := render(t, "uto-passport", 8, "none", "rotate:180")
	if r := region(t, u, "mrz").Rect(); r.Max.Y > u.IR.Rect.Dy()/2 {
		t.Errorf("rotate:180: MRZ box %v not in the top half", r)
	}
}

func TestTD1CardHasItsMRZOnTheBack(t *testing.T) {
	c := render(t, "uto-id-card", 3, "none", "none")
	if c.Back == nil || c.Truth.MRZSide != "back" || region(t, c, "mrz").Side != "back" {
		t.Fatalf("back %v, mrz side %q", c.Back != nil, c.Truth.MRZSide)
	}
	if len(c.Truth.MRZ) != 3 || len(c.Truth.MRZ[0]) != 30 {
		t.Fatalf("TD1 MRZ %q", c.Truth.MRZ)
	}
}

func TestParseLists(t *testing.T) {
	fs, err := ParseForgeries("mrz-altered, uv-bright-paper:0.5")
	if err != nil {
		t.Fatal(err)
	}
	if Label(fs) != "uv-bright-paper,mrz-altered" || !fs[0].HasStrength || fs[0].Strength != 0.5 {
		t.Fatalf("%+v", fs)
	}
	for _, bad := range []string{"nope", "uv-bright-paper:5", "mrz-altered:1", "photocopy,photocopy", "uv-bright-paper:x"} {
		if _, err := ParseForgeries(bad); err == nil {
			t.Errorf("forgeries %q accepted", bad)
		}
	}
	for _, bad := range []string{"rotate:1000", "jpeg:0", "blur", "resolution:100"} {
		if _, err := ParseDegradations(bad); err == nil {
			t.Errorf("degradations %q accepted", bad)
		}
	}
	if _, err := simulator(t).Render(Spec{Model: "nope"}); err == nil {
		t.Error("unknown model accepted")
	}
	if _, err := simulator(t).Render(Spec{PPI: 5000}); err == nil {
		t.Error("5000 ppi accepted")
	}
}

// The CFF reader draws what x/image/sfnt draws where sfnt can, and draws
// the flex glyphs it cannot ('<' and '8' of OCR-B).
func TestCFFGlyphsMatchSfnt(t *testing.T) {
	s := simulator(t)
	ref := s.face(fontOCRB, 60)
	for _, r := range "AM0EX" {
		mine, _, adv, ok := s.fonts.ocrb.glyphMask(r, 60)
		theirs := ref.glyphViaSfnt(r)
		if !ok || theirs == nil || mine == nil {
			t.Fatalf("%q: no mask (ok %v)", r, ok)
		}
		if adv <= 0 {
			t.Fatalf("%q: advance %g", r, adv)
		}
		a, b := coverage(mine), coverage(theirs)
		if math.Abs(a-b) > 0.03*b {
			t.Errorf("%q: coverage %.0f here, %.0f by sfnt", r, a, b)
		}
	}
	for _, r := range "<8" {
		m, _, _, ok := s.fonts.ocrb.glyphMask(r, 60)
		if !ok || m == nil || coverage(m) < 200*255 {
			t.Errorf("%q not drawn", r)
		}
	}
}

func coverage(m *image.Alpha) float64 {
	sum := 0.0
	for _, v := range m.Pix {
		sum += float64(v)
	}
	return sum
}

func FuzzCFFFont(f *testing.F) {
	f.Add([]byte("OTTO\x00\x01\x00\x00\x00\x00\x00\x00"))
	if data, err := os.ReadFile(OCRBPath); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cf, err := parseCFFFont(data)
		if err != nil {
			return
		}
		for _, r := range "<8AZ" {
			cf.glyphMask(r, 40)
		}
	})
}

// FuzzCharstring runs arbitrary charstrings through the interpreter.
func FuzzCharstring(f *testing.F) {
	f.Add([]byte{139, 139, 21, 149, 139, 5, 14})
	f.Add([]byte{139, 139, 139, 139, 139, 139, 139, 139, 139, 139, 139, 12, 37, 14})
	f.Add([]byte{139, 10, 11})
	f.Fuzz(func(t *testing.T, cs []byte) {
		cf := &cffFont{charStrings: [][]byte{cs}, subrs: [][]byte{cs}, gsubrs: [][]byte{cs}, unitsPerEm: 1000}
		z := newTestRasterizer()
		cf.outline(0, 0.05, 10, 40, z)
	})
}

func BenchmarkRender(b *testing.B) {
	s := simulator(b)
	for _, m := range []string{"uto-passport", "uto-id-card"} {
		b.Run(m+"/300ppi", func(b *testing.B) {
			s.Render(Spec{Model: m, PPI: 300}) // warm the static layers
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := s.Render(Spec{Model: m, Seed: uint64(i), PPI: 300}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderAndEncode includes the PNG encoding of the three lights.
func BenchmarkRenderAndEncode(b *testing.B) {
	s := simulator(b)
	s.Render(Spec{PPI: 300})
	var buf bytes.Buffer
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c, err := s.Render(Spec{Seed: uint64(i), PPI: 300})
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range c.Lights() {
			buf.Reset()
			if err := devices.EncodePNG(&buf, c.Image(l), c.PPI); err != nil {
				b.Fatal(err)
			}
		}
	}
}
