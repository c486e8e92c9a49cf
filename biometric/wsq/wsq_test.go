package wsq

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"checkpost/internal/shareddata"
)

// references pairs each WSQ file of the shared data with the PNG another
// decoder made of it.
func references(t testing.TB) map[string]string {
	dir := shareddata.Path(t, "fingerprints/wsq")
	files, err := filepath.Glob(filepath.Join(dir, "*.wsq"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no WSQ files in %s", dir)
	}
	refs := map[string]string{}
	for _, f := range files {
		png := strings.TrimSuffix(f, ".wsq") + ".png"
		if strings.HasSuffix(f, "sd14-original.wsq") {
			png = filepath.Join(dir, "sd14-converted.png")
		}
		if _, err := os.Stat(png); err == nil {
			refs[f] = png
		} else {
			refs[f] = ""
		}
	}
	return refs
}

// TestDecodeMatchesReferences compares every pixel of every reference
// decode: the FBI's compliance test allows the reconstruction to differ
// from the reference one by at most one grey level.
func TestDecodeMatchesReferences(t *testing.T) {
	compared := 0
	for wsqPath, pngPath := range references(t) {
		name := filepath.Base(wsqPath)
		data, err := os.ReadFile(wsqPath)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBytes(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if pngPath == "" {
			continue
		}
		f, err := os.Open(pngPath)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", pngPath, err)
		}
		if ref.Bounds() != got.Bounds() {
			t.Errorf("%s: decoded %v, reference %v", name, got.Bounds(), ref.Bounds())
			continue
		}
		maxDiff, sum, off := 0, 0, 0
		b := ref.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, _, _, _ := ref.At(x, y).RGBA()
				d := int(got.GrayAt(x, y).Y) - int(r>>8)
				if d < 0 {
					d = -d
				}
				if d > 0 {
					off++
				}
				maxDiff = max(maxDiff, d)
				sum += d
			}
		}
		n := b.Dx() * b.Dy()
		t.Logf("%-18s %4dx%-4d max %d mean %.5f, %d of %d pixels differ", name, b.Dx(), b.Dy(), maxDiff, float64(sum)/float64(n), off, n)
		if maxDiff > 1 {
			t.Errorf("%s: a pixel differs by %d grey levels from the reference decode", name, maxDiff)
		}
		compared++
	}
	if compared == 0 {
		t.Fatal("no reference decodes found")
	}
}

func TestResolutionAndConfig(t *testing.T) {
	for wsqPath := range references(t) {
		data, err := os.ReadFile(wsqPath)
		if err != nil {
			t.Fatal(err)
		}
		ppi, err := ResolutionOf(data)
		comments, _ := Comments(data)
		switch {
		case strings.Contains(strings.Join(comments, ""), "PPI 500\n"):
			if err != nil || ppi != 500 {
				t.Errorf("%s: PPI %d, %v; want 500", filepath.Base(wsqPath), ppi, err)
			}
		case err == nil:
			t.Errorf("%s: PPI %d from comments %q", filepath.Base(wsqPath), ppi, comments)
		}
		cfg, err := DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		im, _, err := image.Decode(bytes.NewReader(data)) // through the registry
		if err != nil {
			t.Fatalf("image.Decode: %v", err)
		}
		if im.Bounds().Dx() != cfg.Width || im.Bounds().Dy() != cfg.Height {
			t.Errorf("%s: config %dx%d, image %v", filepath.Base(wsqPath), cfg.Width, cfg.Height, im.Bounds())
		}
	}
}

// TestPerfectReconstruction checks that synthesis inverts analysis for
// every signal length, the odd ones included.
func TestPerfectReconstruction(t *testing.T) {
	h0, h1 := roundTripFilters()
	g0, g1 := synthesisFilters(h0, h1)
	rng := rand.New(rand.NewSource(1))
	for n := 1; n <= 40; n++ {
		for _, inverted := range []bool{false, true} {
			x := make([]float64, n)
			for i := range x {
				x[i] = rng.Float64()*200 - 100
			}
			low, high := make([]float64, (n+1)/2), make([]float64, n/2)
			analysis(x, h0, h1, low, high)
			stored := append([]float64{}, low...)
			stored = append(stored, high...)
			if inverted {
				stored = append(append([]float64{}, high...), low...)
			}
			s := newSynthesizer(n, g0, g1)
			s.interleave(stored, inverted)
			s.join1(n)
			for i := range x {
				if math.Abs(s.out[i]-x[i]) > 1e-6 {
					t.Fatalf("n=%d inverted=%v: sample %d is %g, want %g", n, inverted, i, s.out[i], x[i])
				}
			}
		}
	}
}

func TestLayoutCoversThePlane(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {2, 3}, {31, 17}, {388, 374}, {545, 622}, {804, 752}, {1000, 1000}} {
		l := newLayout(size[0], size[1])
		seen := make([]int, size[0]*size[1])
		for _, sb := range l.subbands {
			for y := sb.y; y < sb.y+sb.h; y++ {
				for x := sb.x; x < sb.x+sb.w; x++ {
					seen[y*size[0]+x]++
				}
			}
		}
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("%dx%d: pixel %d covered by %d subbands", size[0], size[1], i, n)
			}
		}
	}
}

// fingerLike draws a synthetic print: curved ridges of 9 pixels per period
// inside an ellipse, light background, with a little noise (σ noise grey
// levels).
func fingerLike(w, h int, seed int64) *image.Gray { return noisyFinger(w, h, seed, 2) }

func noisyFinger(w, h int, seed int64, noise float64) *image.Gray {
	rng := rand.New(rand.NewSource(seed))
	im := image.NewGray(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)*0.45
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := (float64(x)-cx)/(0.4*float64(w)), (float64(y)-cy)/(0.45*float64(h))
			v := 225.0
			if dx*dx+dy*dy < 1 {
				r := math.Hypot(float64(x)-cx, 1.3*(float64(y)-cy))
				v = 130 + 90*math.Sin(2*math.Pi*r/9)
			}
			v += rng.NormFloat64() * noise
			im.Pix[y*im.Stride+x] = uint8(math.Max(0, math.Min(255, v)))
		}
	}
	return im
}

func meanGray(im *image.Gray) float64 {
	var s float64
	for _, p := range im.Pix {
		s += float64(p)
	}
	return s / float64(len(im.Pix))
}

func psnr(a, b *image.Gray) float64 {
	var se float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(len(a.Pix))/se)
}

func encodeDecode(t *testing.T, im *image.Gray, opt *Options) (*image.Gray, int) {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, im, opt); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBytes(b.Bytes())
	if err != nil {
		t.Fatalf("decoding our own output: %v", err)
	}
	if got.Bounds() != im.Bounds() {
		t.Fatalf("decoded %v, encoded %v", got.Bounds(), im.Bounds())
	}
	return got, b.Len()
}

func TestEncodeBitRateAndQuality(t *testing.T) {
	im := fingerLike(400, 420, 1)
	got, size := encodeDecode(t, im, &Options{PPI: 500})
	n := float64(400 * 420)
	p := psnr(im, got)
	coded := codedBits(t, im, nil) / n
	t.Logf("synthetic 400x420: %d bytes (%.3f bpp), coded data %.3f bpp, PSNR %.2f dB", size, float64(8*size)/n, coded, p)
	if coded > DefaultBitRate || coded < 0.99*DefaultBitRate {
		t.Errorf("coded data at %.4f bpp, want within 1%% below %.2f", coded, DefaultBitRate)
	}
	// Quality must grow with the bit rate (on a print without noise, which
	// would cap the PSNR of any rate that drops it). The gain is modest:
	// the FBI quantiser drops low-variance subbands at every rate.
	clean := noisyFinger(400, 420, 1, 0)
	got1, _ := encodeDecode(t, clean, nil)
	p = psnr(clean, got1)
	got2, size2 := encodeDecode(t, clean, &Options{BitRate: 3})
	p2 := psnr(clean, got2)
	t.Logf("noise-free print: PSNR %.2f dB at 0.75 bpp, %.2f dB at 3 bpp (%d bytes)", p, p2, size2)
	if p2 <= p+1 {
		t.Errorf("PSNR %.2f dB at 3 bpp, %.2f dB at 0.75: want a clear gain", p2, p)
	}
	if p < 30 {
		t.Errorf("PSNR %.2f dB at 0.75 bpp", p)
	}
}

func TestEncodeFVCImage(t *testing.T) {
	path := shareddata.Path(t, "fingerprints/fvc2002/DB1_B/101_1.tif")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		t.Skipf("no TIFF decoder registered in this test binary: %v", err)
	}
	im := toGray(src)
	got, size := encodeDecode(t, im, nil)
	n := float64(len(im.Pix))
	coded := codedBits(t, im, nil) / n
	p := psnr(im, got)
	t.Logf("FVC2002 DB1_B 101_1: %d bytes (%.3f bpp), coded data %.3f bpp, PSNR %.2f dB", size, float64(8*size)/n, coded, p)
	if coded > DefaultBitRate || p < 30 {
		t.Errorf("%.3f bpp, PSNR %.2f dB", coded, p)
	}
}

// codedBits encodes im and counts the bits of its entropy-coded data (the
// bytes between each SOB segment and the next marker).
func codedBits(t *testing.T, im *image.Gray, opt *Options) float64 {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, im, opt); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	total := 0
	for i := 0; i+5 < len(data); i++ {
		if data[i] == 0xFF && data[i+1] == 0xA3 {
			j := i + 5
			for j+1 < len(data) && !(data[j] == 0xFF && data[j+1] != 0) {
				j++
			}
			total += j - (i + 5)
			i = j - 1
		}
	}
	return float64(8 * total)
}

func TestEncodeOddSizes(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {3, 5}, {17, 2}, {33, 65}, {129, 100}} {
		im := fingerLike(size[0], size[1], 2)
		got, _ := encodeDecode(t, im, &Options{BitRate: 8})
		// The lowest subbands are always coded, so the mean survives
		// even where the headers leave no room for detail.
		if a, b := meanGray(im), meanGray(got); math.Abs(a-b) > 3 {
			t.Errorf("%dx%d: mean grey %.1f decoded as %.1f", size[0], size[1], a, b)
		}
	}
	blank := image.NewGray(image.Rect(0, 0, 1000, 1000))
	for i := range blank.Pix {
		blank.Pix[i] = 200
	}
	got, size := encodeDecode(t, blank, nil)
	t.Logf("blank 1000x1000: %d bytes (%d pixels per byte)", size, 1000*1000/size)
	if size*maxPixelsPerByte < 1000*1000 {
		t.Errorf("a blank image compresses beyond the decoder's ratio limit")
	}
	if got.Pix[0] != 200 || got.Pix[len(got.Pix)-1] != 200 {
		t.Errorf("blank image decoded as %d..%d", got.Pix[0], got.Pix[len(got.Pix)-1])
	}
}

func TestDecodeRejectsBadInput(t *testing.T) {
	var b bytes.Buffer
	if err := Encode(&b, fingerLike(64, 48, 3), nil); err != nil {
		t.Fatal(err)
	}
	good := b.Bytes()
	for n := 0; n < len(good)-2; n += 7 {
		if _, err := DecodeBytes(good[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(good))
		}
	}
	// A header claiming a huge image in a small file.
	huge := bytes.Replace(good, []byte{0xFF, 0xA2, 0x00, 0x11, 0x00, 0xFF, 0x00, 48, 0x00, 64},
		[]byte{0xFF, 0xA2, 0x00, 0x11, 0x00, 0xFF, 0x1F, 0xFF, 0x1F, 0xFF}, 1)
	if bytes.Equal(huge, good) {
		t.Fatal("test did not find the frame header")
	}
	if _, err := DecodeBytes(huge); err == nil {
		t.Error("8191x8191 image in a small file accepted")
	}
}

func FuzzDecode(f *testing.F) {
	var b bytes.Buffer
	if err := Encode(&b, fingerLike(40, 36, 4), &Options{BitRate: 2, PPI: 500}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:len(b.Bytes())/2])
	f.Add([]byte{0xFF, 0xA0, 0xFF, 0xA2, 0x00, 0x11})
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := DecodeBytes(data)
		if err != nil {
			return
		}
		if len(im.Pix) != im.Bounds().Dx()*im.Bounds().Dy() {
			t.Fatal("inconsistent image")
		}
		_, _ = ResolutionOf(data)
	})
}

func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(shareddata.Path(b, "fingerprints/wsq/nist-fp-1.wsq"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBytes(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	im := fingerLike(400, 420, 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := Encode(&bytes.Buffer{}, im, nil); err != nil {
			b.Fatal(err)
		}
	}
}
