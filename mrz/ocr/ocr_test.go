package ocr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"checkpost/devices"
	"checkpost/devices/sim"
	"checkpost/mrz/ocr/ocrb"
)

// testCacheDir is shared with the other packages' tests (engine/pipeline)
// so that the classifier is trained once per machine, not once per
// package or run.
func testCacheDir() string { return filepath.Join(os.TempDir(), "checkpost-test-cache", "ocrb") }

var (
	setupOnce sync.Once
	testSim   *sim.Simulator
	testR     *Reader
	setupErr  error
)

func setup(t testing.TB) (*Reader, *sim.Simulator) {
	t.Helper()
	setupOnce.Do(func() {
		t0 := time.Now()
		testR = New(Options{CacheDir: testCacheDir()})
		if setupErr = testR.Wait(context.Background()); setupErr != nil {
			return
		}
		if _, trained := testR.Model(); trained {
			t.Logf("trained the OCR-B classifier in %v (cached in %s)", time.Since(t0).Round(time.Second), testCacheDir())
		}
		testSim, setupErr = sim.New()
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	return testR, testSim
}

func renderCap(t testing.TB, s *sim.Simulator, model string, seed uint64, degrade string, ppi float64) *devices.Capture {
	t.Helper()
	ds, err := sim.ParseDegradations(degrade)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Render(sim.Spec{Model: model, Seed: seed, PPI: ppi, Degradations: ds})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sameLines(got, want []string) bool {
	return strings.Join(got, "\n") == strings.Join(want, "\n")
}

// Seeds 9000.. are the tests' own: the accuracy evaluation tunes on
// seeds 1..999 and reports on 100000.. (see eval_test.go).
func TestReadCaptureGenuine(t *testing.T) {
	r, s := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		model, degrade string
		seed           uint64
	}{
		{"uto-passport", "none", 9001},
		{"uto-passport", "none", 9002},
		{"uto-id-card", "none", 9003},
		{"uto-visa", "none", 9004},
		{"uto-passport", "rotate:180", 9005},
		{"uto-passport", "rotate:90", 9006},
		{"uto-id-card", "rotate:-90", 9007},
		{"uto-passport", "rotate:23", 9008},
		{"uto-passport", "perspective:0.5", 9009},
		{"uto-visa", "rotate:200,noise:8", 9010},
	} {
		c := renderCap(t, s, tc.model, tc.seed, tc.degrade, 300)
		res, err := r.ReadCapture(ctx, c)
		if err != nil {
			t.Fatalf("%s %d %s: %v", tc.model, tc.seed, tc.degrade, err)
		}
		if !res.Found || !sameLines(res.Lines, c.Truth.MRZ) {
			t.Errorf("%s seed %d %s: found %v (%s), read\n%s\nwant\n%s", tc.model, tc.seed, tc.degrade, res.Found, res.Reason,
				strings.Join(res.Lines, "\n"), strings.Join(c.Truth.MRZ, "\n"))
			continue
		}
		if !res.Valid || res.MRZ == nil {
			t.Errorf("%s seed %d: genuine MRZ read exactly but not valid", tc.model, tc.seed)
		}
		if tc.model == "uto-id-card" && res.Side != "back" {
			t.Errorf("TD1 card read on side %q, want back", res.Side)
		}
		if res.Light != devices.IR && tc.degrade == "none" {
			t.Errorf("%s seed %d %s: read under %s, want IR first", tc.model, tc.seed, tc.degrade, res.Light)
		}
		// The quad lies on the truth's MRZ region.
		if reg, ok := c.Truth.Region("mrz"); ok {
			rect := reg.Rect().Inset(-30)
			for _, p := range res.Quad {
				if !(image.Pt(int(p.X), int(p.Y)).In(rect)) {
					t.Errorf("%s seed %d %s: quad corner %v outside the MRZ region %v", tc.model, tc.seed, tc.degrade, p, reg.Rect())
					break
				}
			}
		}
		if len(res.Chars) != len(res.Lines) || res.MinConfidence <= 0 || res.MinConfidence > 1 {
			t.Errorf("chars %d lines, min confidence %v", len(res.Chars), res.MinConfidence)
		}
	}
}

func TestNoMRZ(t *testing.T) {
	r, s := setup(t)
	ctx := context.Background()
	// A blank page, a page of noise-free art without text, and the front
	// of a TD1 card (which has no MRZ) read as "no MRZ found".
	blank := image.NewGray(image.Rect(0, 0, 800, 600))
	for i := range blank.Pix {
		blank.Pix[i] = 235
	}
	res, err := r.ReadImage(ctx, blank)
	if err != nil {
		t.Fatal(err)
	}
	if res.Found || !strings.HasPrefix(res.Reason, "no MRZ found") || len(res.Lines) != 0 {
		t.Errorf("blank page: found %v %q %q", res.Found, res.Reason, res.Lines)
	}
	c := renderCap(t, s, "uto-id-card", 9020, "none", 300)
	for _, l := range []devices.Light{devices.White, devices.IR} {
		res, err = r.ReadImage(ctx, c.Side.Image(l))
		if err != nil {
			t.Fatal(err)
		}
		if res.Found {
			t.Errorf("front of a TD1 card under %s: found an MRZ %q", l, res.Lines)
		}
	}
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadBytesErrors(t *testing.T) {
	r, _ := setup(t)
	ctx := context.Background()
	small := New(Options{Model: mustModel(t, r), MaxPixels: 1000})
	defer small.Close()
	for _, tc := range []struct {
		name string
		r    *Reader
		data []byte
		want error
	}{
		{"empty", r, nil, ErrEmptyInput},
		{"text", r, []byte("P<UTOERIKSSON<<ANNA<MARIA\n"), ErrUnsupported},
		{"truncated png", r, encodePNG(t, image.NewGray(image.Rect(0, 0, 50, 50)))[:60], ErrBadImage},
		{"too many pixels", small, encodePNG(t, image.NewGray(image.Rect(0, 0, 100, 100))), ErrTooLarge},
		{"huge header", r, pngHeader(100000, 100000), ErrTooLarge},
		{"pdf without pages", r, []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"), ErrPDFNoPages},
		{"damaged pdf", r, []byte("%PDF-1.4\n\x00\x01garbage"), nil},
	} {
		_, err := tc.r.ReadBytes(ctx, tc.data)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func mustModel(t testing.TB, r *Reader) *ocrb.Model {
	m, _ := r.Model()
	if m == nil {
		t.Fatal("no model")
	}
	return m
}

// pngHeader is the start of a PNG that claims w x h pixels.
func pngHeader(w, h int) []byte {
	var b bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	_ = png.Encode(&b, img)
	d := b.Bytes()
	// IHDR width and height at bytes 16..24 (the CRC is not checked by
	// DecodeConfig).
	put := func(o, v int) { d[o], d[o+1], d[o+2], d[o+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
	put(16, w)
	put(20, h)
	put(29, int(crc32.ChecksumIEEE(d[12:29])))
	return d
}

// TestReadBytesOrientation writes the capture as JPEGs carrying every EXIF
// orientation, the pixels stored so that the orientation turns them
// upright: each must read exactly.
func TestReadBytesOrientation(t *testing.T) {
	r, s := setup(t)
	ctx := context.Background()
	c := renderCap(t, s, "uto-passport", 9030, "none", 300)
	up := devices.ToGray(c.IR)
	for o := 1; o <= 8; o++ {
		stored := unorient(up, o)
		var b bytes.Buffer
		if err := jpeg.Encode(&b, stored, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		data := withEXIFOrientation(b.Bytes(), o)
		if got := exifOrientation(data); got != o && o != 1 {
			t.Fatalf("orientation %d: parsed %d", o, got)
		}
		res, err := r.ReadBytes(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].Found || !sameLines(res[0].Lines, c.Truth.MRZ) {
			t.Errorf("EXIF orientation %d: read %q (%s)", o, res[0].Lines, res[0].Reason)
		}
	}
}

// unorient stores g so that orientation o displays it upright (the inverse
// of orient).
func unorient(g *image.Gray, o int) *image.Gray {
	inv := map[int]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}[o]
	return orient(g, inv)
}

// withEXIFOrientation inserts an APP1 Exif segment with the orientation
// tag after the JPEG's SOI marker.
func withEXIFOrientation(j []byte, o int) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, 0, 0, 0, 0}
	seg := append([]byte("Exif\x00\x00"), tiff...)
	n := len(seg) + 2
	app := append([]byte{0xFF, 0xE1, byte(n >> 8), byte(n)}, seg...)
	out := append([]byte{}, j[:2]...)
	out = append(out, app...)
	return append(out, j[2:]...)
}

func TestOrientRoundTrip(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	for i := range g.Pix {
		g.Pix[i] = uint8(i + 1)
	}
	for o := 1; o <= 8; o++ {
		back := orient(unorient(g, o), o)
		if !bytes.Equal(back.Pix, g.Pix) || back.Rect != g.Rect {
			t.Errorf("orientation %d: round trip %v, want %v", o, back.Pix, g.Pix)
		}
	}
}

func TestReadPDF(t *testing.T) {
	r, s := setup(t)
	c := renderCap(t, s, "uto-passport", 9040, "none", 300)
	pdf := onePagePDF(t, devices.ToGray(c.White), 300)
	res, err := r.ReadBytes(context.Background(), pdf)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Page != 1 || !sameLines(res[0].Lines, c.Truth.MRZ) {
		t.Fatalf("PDF: %d results, %+v", len(res), res)
	}
}

// onePagePDF writes a PDF with g as its only page's image, at ppi.
func onePagePDF(t testing.TB, g *image.Gray, ppi float64) []byte {
	t.Helper()
	w, h := g.Rect.Dx(), g.Rect.Dy()
	pw, ph := float64(w)*72/ppi, float64(h)*72/ppi
	var img bytes.Buffer
	if err := jpeg.Encode(&img, g, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	var offs []int
	obj := func(s string, stream []byte) {
		offs = append(offs, b.Len())
		b.WriteString(s)
		if stream != nil {
			b.WriteString("stream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.4\n")
	content := []byte(fmtf("q %.3f 0 0 %.3f 0 0 cm /Im Do Q", pw, ph))
	obj("1 0 obj <</Type/Catalog/Pages 2 0 R>>", nil)
	obj("2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>>", nil)
	obj(fmtf("3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 %.3f %.3f]/Resources<</XObject<</Im 4 0 R>>>>/Contents 5 0 R>>", pw, ph), nil)
	obj(fmtf("4 0 obj <</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceGray/BitsPerComponent 8/Filter/DCTDecode/Length %d>>\n", w, h, img.Len()), img.Bytes())
	obj(fmtf("5 0 obj <</Length %d>>\n", len(content)), content)
	x := b.Len()
	b.WriteString(fmtf("xref\n0 %d\n0000000000 65535 f \n", len(offs)+1))
	for _, o := range offs {
		b.WriteString(fmtf("%010d 00000 n \n", o))
	}
	b.WriteString(fmtf("trailer <</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, x))
	return b.Bytes()
}

func FuzzReadBytes(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("%PDF-1.4\n"))
	f.Add(encodePNG(f, image.NewGray(image.Rect(0, 0, 40, 30))))
	var j bytes.Buffer
	_ = jpeg.Encode(&j, image.NewGray(image.Rect(0, 0, 40, 30)), nil)
	f.Add(withEXIFOrientation(j.Bytes(), 6))
	f.Add(pngHeader(70000, 3))
	r, _ := setup(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := r.ReadBytes(ctx, data)
		if err != nil {
			return
		}
		for _, x := range res {
			if x.Found && len(x.Lines) == 0 {
				t.Fatalf("found without lines")
			}
		}
	})
}

func fmtf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// benchPage renders the white image of a 300-ppi passport data page
// (1476 x 1039 pixels) and TD1 card back.
func benchPages(b *testing.B) []*devices.Capture {
	r, s := setup(b)
	_ = r
	var caps []*devices.Capture
	for i := uint64(0); i < 6; i++ {
		caps = append(caps, renderCap(b, s, evalModels[i%3], 9100+i, "none", 300))
	}
	return caps
}

func reportMedian(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkReadPage300 is the end-to-end reading (locate, rectify,
// classify, repair) of one 300-ppi page's white image. Run on one core:
//
//	OMP_NUM_THREADS=1 go test ./mrz/ocr -run '^$' -bench Page300 -cpu 1
func BenchmarkReadPage300(b *testing.B) {
	caps := benchPages(b)
	r := testR
	ctx := context.Background()
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := caps[i%len(caps)]
		img := c.Side.White
		if c.Back != nil {
			img = c.Back.White
		}
		t0 := time.Now()
		res, err := r.ReadImage(ctx, img)
		ds = append(ds, time.Since(t0))
		if err != nil || !res.Found {
			b.Fatalf("%s: not read: %v %s", c.Origin, err, res.Reason)
		}
	}
	reportMedian(b, ds)
}

// BenchmarkTesseractPage300 is the baseline: Tesseract eng on the same
// pages (whole page, automatic segmentation, MRZ characters only).
func BenchmarkTesseractPage300(b *testing.B) {
	caps := benchPages(b)
	r := testR
	if err := r.tess.available(); err != nil {
		b.Skip(err)
	}
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := caps[i%len(caps)]
		img := c.Side.White
		if c.Back != nil {
			img = c.Back.White
		}
		t0 := time.Now()
		if _, err := r.tessBaseline(img, len(c.Truth.MRZ)); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	reportMedian(b, ds)
}
