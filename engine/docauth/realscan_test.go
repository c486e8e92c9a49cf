package docauth

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"testing"

	"checkpost/devices"
	"checkpost/devices/sim"
	"checkpost/engine"
	"checkpost/engine/docauth/profile"
	"checkpost/internal/shareddata"
	"checkpost/mrz"
)

// The German specimen passport's data page as a document reader captured
// it (../shared/data/scanner/de-specimen), its MRZ and printed fields as
// printed on it; its regions (portrait, two IR-dark fields, in page
// fractions measured on the image) are in testdata/de-specimen-regions.json,
// the file "checkpost profile learn --regions" takes.
var (
	deMRZ = []string{
		"POD<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<",
		"C01YPTNHM1D<<6408125F2702283<<<<<<<<<<<<<<<8",
	}
	deVIZ = []Reading{
		{Field: "type", Text: "PO"}, {Field: "code", Text: "D"}, {Field: "document_number", Text: "C01YPTNHM"},
		{Field: "surname", Text: "MUSTERMANN"}, {Field: "given_names", Text: "ERIKA"},
		{Field: "birth_date", Text: "12.08.1964"}, {Field: "sex", Text: "F"},
		{Field: "nationality", Text: "DEUTSCH"}, {Field: "expiry_date", Text: "28.02.2027"},
	}
)

func loadSpecimen(t *testing.T) *devices.Capture {
	t.Helper()
	c, err := devices.Load(shareddata.Path(t, "scanner/de-specimen"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func specimenRegions(t *testing.T) map[string][]profile.Region {
	t.Helper()
	data, err := os.ReadFile("testdata/de-specimen-regions.json")
	if err != nil {
		t.Fatal(err)
	}
	var regs map[string][]profile.Region
	if err := json.Unmarshal(data, &regs); err != nil {
		t.Fatal(err)
	}
	return regs
}

// dePortrait is the specimen's portrait region.
func dePortrait(t *testing.T) profile.Region {
	t.Helper()
	for _, r := range specimenRegions(t)["front"] {
		if r.Kind == profile.KindPortrait {
			return r
		}
	}
	t.Fatal("no portrait in testdata/de-specimen-regions.json")
	return profile.Region{}
}

func learnSpecimen(t *testing.T, c *devices.Capture) *Checker {
	t.Helper()
	p, err := Learn(context.Background(), []*devices.Capture{c}, LearnOptions{
		ID: "d-passport-2017", Issuer: "D", DocumentCodes: []string{"P", "PO"}, MRZFormat: "TD3",
		Regions: specimenRegions(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p.Page.WidthMM-124.8) > 1 || math.Abs(p.Page.HeightMM-87.4) > 1 {
		t.Errorf("page %gx%g mm, want about 124.8x87.4 (916x642 px at 186.5 ppi)", p.Page.WidthMM, p.Page.HeightMM)
	}
	front := p.Side("front")
	var uvFeatures int
	for _, r := range front.Regions {
		if r.Kind == profile.KindUVFeature {
			uvFeatures++
		}
	}
	if uvFeatures == 0 {
		t.Error("no UV feature found in the specimen's UV image (it has an overprint)")
	}
	// The profile survives its encoding.
	data, err := profile.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	p, err = profile.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := NewChecker([]*profile.Profile{p})
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

func statuses(res *Result) map[string]engine.Check {
	m := map[string]engine.Check{}
	for _, c := range res.Checks {
		m[c.Name] = c
	}
	return m
}

func specimenMRZ(t *testing.T) *mrz.Result {
	t.Helper()
	r, err := mrz.ParseLines(deMRZ)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRealScanPassesEveryCheck(t *testing.T) {
	c := loadSpecimen(t)
	ck := learnSpecimen(t, c)
	r := specimenMRZ(t)
	for _, tc := range []struct {
		name string
		c    *devices.Capture
	}{{"as scanned", c}, {"upside down", rotate180(c)}} {
		res, err := ck.Check(context.Background(), Input{Capture: tc.c, MRZ: r, VIZ: deVIZ, Evidence: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Model != "d-passport-2017" {
			t.Fatalf("%s: model %q (%s)", tc.name, res.Model, res.Identified)
		}
		for _, ch := range res.Checks {
			if ch.Status != engine.Pass {
				t.Errorf("%s: %s %s: %s", tc.name, ch.Name, ch.Status, ch.Reason)
			}
		}
	}
}

func TestRealScanForgeriesFailTheRightCheck(t *testing.T) {
	c := loadSpecimen(t)
	ck := learnSpecimen(t, c)
	r := specimenMRZ(t)
	cases := []struct {
		name  string
		forge func(*devices.Capture) *devices.Capture
		want  string
	}{
		{"UV-bright paper", brightenUVPaper, CheckUVPaper},
		{"MRZ erased from IR", eraseMRZInIR, CheckIRMRZ},
		{"portrait pasted", pastePortrait(t, true), CheckPortrait},
		{"portrait replaced in white light only", pastePortrait(t, false), CheckPortrait},
	}
	for _, tc := range cases {
		res, err := ck.Check(context.Background(), Input{Capture: tc.forge(c), MRZ: r, VIZ: deVIZ})
		if err != nil {
			t.Fatal(err)
		}
		got := statuses(res)
		if got[tc.want].Status != engine.Fail {
			t.Errorf("%s: %s is %s (%s), want FAIL", tc.name, tc.want, got[tc.want].Status, got[tc.want].Reason)
		}
		for _, ch := range res.Checks {
			if ch.Status == engine.Fail {
				t.Logf("%s: %s FAIL: %s", tc.name, ch.Name, ch.Reason)
			}
		}
	}
}

func cloneCapture(c *devices.Capture) *devices.Capture {
	n := *c
	n.White = &image.RGBA{Pix: append([]uint8(nil), c.White.Pix...), Stride: c.White.Stride, Rect: c.White.Rect}
	n.IR = &image.Gray{Pix: append([]uint8(nil), c.IR.Pix...), Stride: c.IR.Stride, Rect: c.IR.Rect}
	n.UV = &image.RGBA{Pix: append([]uint8(nil), c.UV.Pix...), Stride: c.UV.Stride, Rect: c.UV.Rect}
	return &n
}

func rotate180(c *devices.Capture) *devices.Capture {
	n := cloneCapture(c)
	flip := func(p []uint8, step int) {
		for i, j := 0, len(p)-step; i < j; i, j = i+step, j-step {
			for k := 0; k < step; k++ {
				p[i+k], p[j+k] = p[j+k], p[i+k]
			}
		}
	}
	flip(n.White.Pix, 4)
	flip(n.IR.Pix, 1)
	flip(n.UV.Pix, 4)
	return n
}

// brightenUVPaper makes the paper glow blue-white under UV as paper with
// optical brighteners does: the brighter a point under white light (the
// more paper shows), the stronger the glow.
func brightenUVPaper(c *devices.Capture) *devices.Capture {
	n := cloneCapture(c)
	glow := [3]float64{110, 125, 200}
	for i := 0; i < len(n.UV.Pix); i += 4 {
		w := n.White.Pix[i : i+3]
		f := (0.299*float64(w[0]) + 0.587*float64(w[1]) + 0.114*float64(w[2])) / 255
		for ch := 0; ch < 3; ch++ {
			n.UV.Pix[i+ch] = uint8(math.Min(255, float64(n.UV.Pix[i+ch])+f*glow[ch]))
		}
	}
	return n
}

// eraseMRZInIR reprints the MRZ with an ink that does not absorb IR: in
// the IR image the zone shows bare paper.
func eraseMRZInIR(c *devices.Capture) *devices.Capture {
	n := cloneCapture(c)
	b := n.IR.Bounds()
	// The MRZ's band: 6.5 to 18 mm above the bottom of an 88 mm page.
	y0, y1 := int(float64(b.Dy())*(88-18)/88), int(float64(b.Dy())*(88-6.5)/88)
	var hist [256]int
	for y := y0; y < y1; y++ {
		for x := 0; x < b.Dx(); x++ {
			hist[n.IR.Pix[y*n.IR.Stride+x]]++
		}
	}
	// Paper level: the 80th percentile of the band.
	total, acc, paper := (y1-y0)*b.Dx(), 0, 0
	for v, h := range hist {
		acc += h
		if acc >= total*8/10 {
			paper = v
			break
		}
	}
	for y := y0; y < y1; y++ {
		for x := b.Dx() / 20; x < b.Dx()*19/20; x++ {
			if p := &n.IR.Pix[y*n.IR.Stride+x]; int(*p) < paper {
				*p = uint8(paper)
			}
		}
	}
	return n
}

// pastePortrait glues another face (a simulator portrait) over the
// specimen's portrait. physical: as a real photo does, also under IR (a
// dye print on photo paper: bright and flat) and UV (photo paper with
// brighteners glows); otherwise the white image alone is changed.
func pastePortrait(t *testing.T, physical bool) func(*devices.Capture) *devices.Capture {
	s, err := sim.New()
	if err != nil {
		t.Fatal(err)
	}
	donor, err := s.Render(sim.Spec{Model: "uto-visa", Seed: 77, PPI: 300})
	if err != nil {
		t.Fatal(err)
	}
	face, _ := donor.Truth.Region("portrait")
	portrait := dePortrait(t)
	return func(c *devices.Capture) *devices.Capture {
		n := cloneCapture(c)
		b := n.White.Bounds()
		box := image.Rect(int(portrait.Box[0]*float64(b.Dx()))-4, int(portrait.Box[1]*float64(b.Dy()))-4,
			int(portrait.Box[2]*float64(b.Dx()))+4, int(portrait.Box[3]*float64(b.Dy()))+4)
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				sx := face.X + (x-box.Min.X)*face.W/box.Dx()
				sy := face.Y + (y-box.Min.Y)*face.H/box.Dy()
				src := donor.White.RGBAAt(sx, sy)
				n.White.SetRGBA(x, y, src)
				if physical {
					l := (0.299*float64(src.R) + 0.587*float64(src.G) + 0.114*float64(src.B)) / 255
					n.IR.Pix[y*n.IR.Stride+x] = 215
					n.UV.SetRGBA(x, y, color.RGBA{uint8(130 * (0.5 + 0.5*l)), uint8(140 * (0.5 + 0.5*l)), uint8(215 * (0.5 + 0.5*l)), 255})
				}
			}
		}
		return n
	}
}
