package match

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"sort"
	"testing"
	"unsafe"

	"checkpost/biometric"
	"checkpost/biometric/extract"
	"checkpost/internal/shareddata"
)

func loadImage(tb testing.TB, rel string) *image.Gray {
	tb.Helper()
	f, err := os.Open(shareddata.Path(tb, "fingerprints/fvc2002/"+rel))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	fi, err := biometric.DecodeImage(f)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.To500PPI()
}

func prepareImage(tb testing.TB, img *image.Gray) *Template {
	tb.Helper()
	t, err := extract.Extract(img)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Prepare(&t)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func prepareFVC(tb testing.TB, rel string) *Template {
	tb.Helper()
	return prepareImage(tb, loadImage(tb, rel))
}

// On four fingers of FVC2002 DB1_B, each finger's impressions 1 and 2
// score higher together than impression 1 does with any other finger's
// impression 2.
func TestSameFingerScoresHigher(t *testing.T) {
	fingers := []string{"101", "102", "104", "105"}
	first := make([]*Template, len(fingers))
	second := make([]*Template, len(fingers))
	for i, f := range fingers {
		first[i] = prepareFVC(t, "DB1_B/"+f+"_1.tif")
		second[i] = prepareFVC(t, "DB1_B/"+f+"_2.tif")
	}
	var m Matcher
	for i := range fingers {
		genuine := m.Compare(first[i], second[i])
		if genuine < ThresholdFMR1e3 {
			t.Errorf("finger %s: genuine score %.4f under the FMR 0.1%% threshold %.4f", fingers[i], genuine, ThresholdFMR1e3)
		}
		for j := range fingers {
			if j == i {
				continue
			}
			if imp := m.Compare(first[i], second[j]); imp >= genuine {
				t.Errorf("finger %s vs %s: impostor %.4f >= genuine %.4f", fingers[i], fingers[j], imp, genuine)
			}
		}
	}
}

// rotateGray turns img by angle (radians, counter-clockwise as seen)
// about its centre and shifts it by (dx, dy) on a larger white canvas,
// with bilinear interpolation.
func rotateGray(img *image.Gray, angle float64, dx, dy int) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	W, H := w+120, h+120
	out := image.NewGray(image.Rect(0, 0, W, H))
	c, s := math.Cos(angle), math.Sin(angle)
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			// Output (x, y) comes from the input point turned back.
			u := float64(x-60-dx) - cx
			v := float64(y-60-dy) - cy
			sx := c*u - s*v + cx
			sy := s*u + c*v + cy
			val := 255.0
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			if x0 >= 0 && y0 >= 0 && x0+1 < w && y0+1 < h {
				fx, fy := sx-float64(x0), sy-float64(y0)
				p := func(xx, yy int) float64 { return float64(img.GrayAt(b.Min.X+xx, b.Min.Y+yy).Y) }
				val = (1-fx)*(1-fy)*p(x0, y0) + fx*(1-fy)*p(x0+1, y0) + (1-fx)*fy*p(x0, y0+1) + fx*fy*p(x0+1, y0+1)
			}
			out.Pix[y*out.Stride+x] = uint8(val + 0.5)
		}
	}
	return out
}

// A copy of an image turned by 30° and moved still matches the original
// well above the FMR 0.01% threshold, and much higher than another finger.
func TestRotatedTranslatedCopyMatches(t *testing.T) {
	img := loadImage(t, "DB1_B/103_1.tif")
	orig := prepareImage(t, img)
	var m Matcher
	other := prepareFVC(t, "DB1_B/106_1.tif")
	imp := m.Compare(orig, other)
	for _, deg := range []float64{-30, 12, 30} {
		moved := prepareImage(t, rotateGray(img, deg*math.Pi/180, 25, -15))
		s := m.Compare(orig, moved)
		if s < ThresholdFMR1e4 || s < 3*imp {
			t.Errorf("turned %.0f°: score %.4f (FMR 0.01%% threshold %.4f, another finger %.4f)", deg, s, ThresholdFMR1e4, imp)
		}
	}
}

// The matcher is invariant to a rigid motion of the template itself.
func TestTemplateMotionInvariance(t *testing.T) {
	img := loadImage(t, "DB1_B/102_1.tif")
	tp, err := extract.Extract(img)
	if err != nil {
		t.Fatal(err)
	}
	// The minutiae only: a ridge map cannot be turned with them.
	tp.Ridges = nil
	a, _ := Prepare(&tp)
	moved := movedTemplate(tp, 0.5, 100, 300)
	b, err := Prepare(&moved)
	if err != nil {
		t.Fatal(err)
	}
	var m Matcher
	self, turned := m.Compare(a, a), m.Compare(a, b)
	if turned < 0.8*self {
		t.Errorf("moved template scores %.4f, itself %.4f", turned, self)
	}
	if sym := m.Compare(b, a); math.Abs(sym-turned) > 0.2*turned {
		t.Errorf("asymmetric: %.4f vs %.4f", turned, sym)
	}
}

// A copy of a template turned by 20° or 40° matches as well as the
// template itself, one turned by 75° much less (the rotation prior,
// global.go), though its minutiae pair as well.
func TestRotationPrior(t *testing.T) {
	tp, err := extract.Extract(loadImage(t, "DB1_B/102_1.tif"))
	if err != nil {
		t.Fatal(err)
	}
	tp.Ridges = nil // the minutiae only: a ridge map cannot be turned
	a, err := Prepare(&tp)
	if err != nil {
		t.Fatal(err)
	}
	var m Matcher
	self := m.Compare(a, a)
	score := func(deg float64) float64 {
		moved := movedTemplate(tp, deg*math.Pi/180, 100, 300)
		b, err := Prepare(&moved)
		if err != nil {
			t.Fatal(err)
		}
		s := m.Compare(a, b)
		if n := len(pairUnder(m.bestAl, a, b)); n < int(a.n)*8/10 {
			t.Errorf("turned %.0f°: %d of %d minutiae paired", deg, n, a.n)
		}
		return s
	}
	for _, deg := range []float64{20, -40} {
		if s := score(deg); s < 0.8*self {
			t.Errorf("turned %.0f°: score %.4f, itself %.4f", deg, s, self)
		}
	}
	if s := score(75); s > 0.4*self {
		t.Errorf("turned 75°: score %.4f, itself %.4f (want at most 0.4 of it)", s, self)
	}
}

// Minutiae of one print that the other lacks hold the score down less
// when the extractor found them unreliable (global.go's reliability): a
// print against the same print with a quarter more minutiae in the
// common area scores higher when those are of low quality than when they
// are of full quality; of unstated quality (0) they count fully.
func TestUnreliableMinutiaeCountLess(t *testing.T) {
	tp, err := extract.Extract(loadImage(t, "DB1_B/103_1.tif"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tp.Minutiae) < 24 {
		t.Fatalf("%d minutiae, want at least 24", len(tp.Minutiae))
	}
	// The minutiae alone: the ridge maps, the same in every pair here,
	// would lift these scores of nearly identical prints to where
	// Compare's squash leaves little between them.
	tp.Ridges = nil
	// The minutiae nearest the print's centre of mass (at most 40), so
	// that every fourth, left out of a, lies among those a keeps.
	var cx, cy float64
	for _, mn := range tp.Minutiae {
		cx += float64(mn.X)
		cy += float64(mn.Y)
	}
	cx, cy = cx/float64(len(tp.Minutiae)), cy/float64(len(tp.Minutiae))
	ms := append([]biometric.Minutia(nil), tp.Minutiae...)
	d := func(mn biometric.Minutia) float64 { return math.Hypot(float64(mn.X)-cx, float64(mn.Y)-cy) }
	sort.Slice(ms, func(i, j int) bool { return d(ms[i]) < d(ms[j]) })
	ms = ms[:min(len(ms), 40)]
	with := func(extraQ uint8) *Template {
		src := tp
		src.Minutiae = nil
		for i, mn := range ms {
			mn.Quality = 100
			if i%4 == 3 {
				mn.Quality = extraQ
			}
			src.Minutiae = append(src.Minutiae, mn)
		}
		p, err := Prepare(&src)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	srcA := tp
	srcA.Minutiae = nil
	for i, mn := range ms {
		if i%4 != 3 {
			mn.Quality = 100
			srcA.Minutiae = append(srcA.Minutiae, mn)
		}
	}
	a, err := Prepare(&srcA)
	if err != nil {
		t.Fatal(err)
	}
	var m Matcher
	full, low, unstated := m.Compare(a, with(100)), m.Compare(a, with(5)), m.Compare(a, with(0))
	t.Logf("%d minutiae against %d more of quality 100: %.4f, 5: %.4f, not stated: %.4f", a.n, len(ms)-int(a.n), full, low, unstated)
	if !(low > 1.05*full) {
		t.Errorf("the minutiae a lacks of quality 5 score %.4f, of quality 100 %.4f: want the low ones to cost less", low, full)
	}
	if unstated != full {
		t.Errorf("the minutiae a lacks of unstated quality score %.4f, want %.4f as at full quality", unstated, full)
	}
}

// movedTemplate returns src with its picture turned counter-clockwise by
// turn radians about the origin and moved by (dx, dy) pixels. Template
// angles are counter-clockwise with y down: the turn maps (x, y) to
// (x c + y s, -x s + y c).
func movedTemplate(src biometric.Template, turn, dx, dy float64) biometric.Template {
	moved := src
	moved.Minutiae = nil
	moved.Ridges = nil // not turned with the minutiae
	c, s := math.Cos(turn), math.Sin(turn)
	for _, mn := range src.Minutiae {
		x, y := float64(mn.X), float64(mn.Y)
		mn.X = int(math.Round(x*c + y*s + dx))
		mn.Y = int(math.Round(-x*s + y*c + dy))
		mn.Angle = math.Mod(mn.Angle+turn, 2*math.Pi)
		moved.Minutiae = append(moved.Minutiae, mn)
	}
	return moved
}

func TestPrepare(t *testing.T) {
	if _, err := Prepare(&biometric.Template{Minutiae: make([]biometric.Minutia, 2)}); !errors.Is(err, ErrTooFewMinutiae) {
		t.Errorf("2 minutiae: error %v", err)
	}
	bad := biometric.Template{Minutiae: []biometric.Minutia{{X: 1}, {X: 2}, {X: 3, Angle: math.NaN()}}}
	if _, err := Prepare(&bad); err == nil {
		t.Error("NaN angle accepted")
	}
	// A 1000 ppi template is scaled to 500 ppi.
	tp := biometric.Template{ResolutionPPI: 1000}
	for i := 0; i < 10; i++ {
		tp.Minutiae = append(tp.Minutiae, biometric.Minutia{X: 100 * i, Y: 50 * i, Quality: uint8(i)})
	}
	p, err := Prepare(&tp)
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 10 || p.m[9].x != 450 || p.m[9].y != -225 {
		t.Errorf("scaled minutia: %+v", p.m[9])
	}
	// More than MaxMinutiae: the best are kept.
	tp = biometric.Template{}
	for i := 0; i < MaxMinutiae+10; i++ {
		tp.Minutiae = append(tp.Minutiae, biometric.Minutia{X: i * 7 % 300, Y: i * 13 % 300, Quality: uint8(i)})
	}
	p, _ = Prepare(&tp)
	if p.Len() != MaxMinutiae {
		t.Fatalf("kept %d", p.Len())
	}
	for i := 0; i < p.Len(); i++ {
		if p.m[i].x == 0 && p.m[i].y == 0 {
			t.Error("the lowest-quality minutia (0, 0) was kept")
		}
	}
	var empty Template
	var m Matcher
	if s := m.Compare(&empty, p); s != 0 {
		t.Errorf("empty template scores %v", s)
	}
}

func TestPreparedSize(t *testing.T) {
	// About 2 KB of minutiae and cylinders, 0.5 KB of ridge map.
	if sz := unsafe.Sizeof(Template{}); sz > 2560 {
		t.Errorf("prepared template is %d bytes, want at most 2560", sz)
	}
}

func TestFMRAt(t *testing.T) {
	if ThresholdFMR1e2 <= 0 || ThresholdFMR1e2 >= ThresholdFMR1e3 || ThresholdFMR1e3 >= ThresholdFMR1e4 {
		t.Fatalf("thresholds not increasing: %v %v %v", ThresholdFMR1e2, ThresholdFMR1e3, ThresholdFMR1e4)
	}
	for _, c := range []struct{ s, want float64 }{{ThresholdFMR1e2, 1e-2}, {ThresholdFMR1e3, 1e-3}, {ThresholdFMR1e4, 1e-4}} {
		if got := FMRAt(c.s); math.Abs(got-c.want) > c.want*1e-9 {
			t.Errorf("FMRAt(%v) = %v, want %v", c.s, got, c.want)
		}
	}
	prev := 2.0
	for s := 0.0; s < 3*ThresholdFMR1e4; s += ThresholdFMR1e4 / 50 {
		f := FMRAt(s)
		if f > prev || f < 0 || f > 1 {
			t.Fatalf("FMRAt(%v) = %v after %v", s, f, prev)
		}
		prev = f
	}
}

func BenchmarkCompare(b *testing.B) {
	var ts []*Template
	for f := 101; f <= 104; f++ {
		for i := 1; i <= 4; i++ {
			ts = append(ts, prepareFVC(b, fmt.Sprintf("DB1_B/%d_%d.tif", f, i)))
		}
	}
	var m Matcher
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Compare(ts[i%len(ts)], ts[(i/len(ts)+1+i)%len(ts)])
	}
}

// BenchmarkCompareFVC compares every pair of templates of each FVC2002
// set B database in turn (the pairs eval fingerprints times), one
// sub-benchmark per database: mostly impostor pairs, whose cost sets a
// search's speed.
func BenchmarkCompareFVC(b *testing.B) {
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		var ts []*Template
		for f := 101; f <= 110; f++ {
			for i := 1; i <= 8; i++ {
				ts = append(ts, prepareFVC(b, fmt.Sprintf("%s/%d_%d.tif", db, f, i)))
			}
		}
		var pa, pb []*Template
		for i := range ts {
			for j := i + 1; j < len(ts); j++ {
				pa, pb = append(pa, ts[i]), append(pb, ts[j])
			}
		}
		b.Run(db, func(b *testing.B) {
			var m Matcher
			b.ReportAllocs()
			k := 0
			for b.Loop() {
				m.Compare(pa[k], pb[k])
				if k++; k == len(pa) {
					k = 0
				}
			}
		})
	}
}

func BenchmarkPrepare(b *testing.B) {
	tp, err := extract.Extract(loadImage(b, "DB1_B/101_1.tif"))
	if err != nil {
		b.Fatal(err)
	}
	var p Template
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := p.Prepare(&tp); err != nil {
			b.Fatal(err)
		}
	}
}

// atan16 follows atan2 to about 0.3° in every octant (on the integer
// differences of minutia positions it is called with) and is exact on the
// axes and diagonals, -0 and the origin included.
func TestAtan16(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	for _, c := range []struct {
		y, x float32
		want uint16
	}{
		{0, 0, 0}, {negZero, negZero, 0}, {0, 5, 0}, {negZero, 5, 0}, {5, 0, 16384}, {5, negZero, 16384},
		{0, -5, 32768}, {-5, 0, 49152}, {3, 3, 8192}, {3, -3, 24576}, {-3, -3, 40960}, {-3, 3, 57344},
	} {
		if got := atan16(c.y, c.x); got != c.want {
			t.Errorf("atan16(%v, %v) = %d, want %d", c.y, c.x, got, c.want)
		}
	}
	worst := 0.0
	for y := -60; y <= 60; y++ {
		for x := -60; x <= 60; x++ {
			if x == 0 && y == 0 {
				continue
			}
			want := math.Atan2(float64(y), float64(x)) * 65536 / (2 * math.Pi)
			d := math.Mod(float64(atan16(float32(y), float32(x)))-want+65536*1.5, 65536) - 32768
			worst = max(worst, math.Abs(d)*360/65536)
		}
	}
	if worst > 0.3 {
		t.Errorf("atan16 is up to %.3f° off atan2, want at most 0.3°", worst)
	}
}
