package biometric

import (
	"bytes"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"checkpost/internal/shareddata"
)

func decodeFile(t *testing.T, rel string, opt ImageOptions) FingerImage {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	f, err := DecodeImageBytes(data, opt)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return f
}

func TestDecodeImageSharedData(t *testing.T) {
	cases := []struct {
		rel    string
		format string
		w, h   int
		ppi    float64
		known  bool
	}{
		{"fingerprints/fvc2002/DB1_B/101_1.tif", "tiff", 388, 374, StandardPPI, false},
		{"fingerprints/fvc2002/DB2_B/101_1.tif", "tiff", 296, 560, StandardPPI, false},
		{"fingerprints/nist/sd29-pgm/a001_03p.pgm", "pgm", 364, 536, StandardPPI, false},
		{"fingerprints/wsq/nist-fp-1.wsq", "wsq", 804, 752, 500, true},
		{"fingerprints/wsq/libbiomeval-img.wsq", "wsq", 256, 256, 500, true},
	}
	for _, c := range cases {
		f := decodeFile(t, c.rel, ImageOptions{})
		if f.Format != c.format || f.Gray.Bounds() != image.Rect(0, 0, c.w, c.h) || f.PPI != c.ppi || f.PPIKnown != c.known {
			t.Errorf("%s: got %s %v ppi %v known %v, want %s %dx%d ppi %v known %v",
				c.rel, f.Format, f.Gray.Bounds(), f.PPI, f.PPIKnown, c.format, c.w, c.h, c.ppi, c.known)
		}
	}
	// FVC2002 DB2 is 569 ppi but its TIFFs do not say so: the caller does.
	f := decodeFile(t, "fingerprints/fvc2002/DB2_B/101_1.tif", ImageOptions{PPI: 569})
	if !f.PPIKnown || f.PPI != 569 {
		t.Fatalf("stated PPI not used: %v %v", f.PPI, f.PPIKnown)
	}
	g := f.To500PPI()
	if want := image.Rect(0, 0, 260, 492); g.Bounds() != want {
		t.Errorf("DB2 at 500 ppi: %v, want %v", g.Bounds(), want)
	}
}

// testPattern is a smooth image whose resampling can be checked
// against the function it samples.
// Pixel (x, y) samples the pattern at ((x+off)·500/ppi, (y+off)·500/ppi).
func testPattern(w, h int, ppi, off float64) *image.Gray {
	im := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// a ridge-like wave of 9 pixels per period at 500 ppi
			fx, fy := (float64(x)+off)*500/ppi, (float64(y)+off)*500/ppi
			im.Pix[y*im.Stride+x] = uint8(128 + 100*math.Sin(2*math.Pi*(fx+0.5*fy)/9))
		}
	}
	return im
}

func TestFormatsAndResolution(t *testing.T) {
	src := testPattern(64, 48, 500, 0)
	encode := map[string]func(*bytes.Buffer) error{
		"png":  func(b *bytes.Buffer) error { return png.Encode(b, src) },
		"bmp":  func(b *bytes.Buffer) error { return bmp.Encode(b, src) },
		"tiff": func(b *bytes.Buffer) error { return tiff.Encode(b, src, nil) },
		"jpeg": func(b *bytes.Buffer) error { return jpeg.Encode(b, src, &jpeg.Options{Quality: 100}) },
	}
	for name, enc := range encode {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			t.Fatal(err)
		}
		f, err := DecodeImageBytes(b.Bytes(), ImageOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.Format != name || f.Gray.Bounds() != src.Bounds() {
			t.Errorf("%s: format %q bounds %v", name, f.Format, f.Gray.Bounds())
		}
		tol := 0
		if name == "jpeg" {
			tol = 3
		}
		for i := range src.Pix {
			if d := int(src.Pix[i]) - int(f.Gray.Pix[i]); d > tol || d < -tol {
				t.Fatalf("%s: pixel %d is %d, want %d", name, i, f.Gray.Pix[i], src.Pix[i])
			}
		}
	}

	// Resolution written into each format's header is read back.
	var b bytes.Buffer
	if err := png.Encode(&b, src); err != nil {
		t.Fatal(err)
	}
	withPHYs := insertPNGChunk(b.Bytes(), "pHYs", []byte{0, 0, 0x4d, 0x8c, 0, 0, 0x4d, 0x8c, 1}) // 19852 px/m
	if f, err := DecodeImageBytes(withPHYs, ImageOptions{}); err != nil || !f.PPIKnown || math.Abs(f.PPI-504.2) > 0.05 {
		t.Errorf("PNG pHYs: %v %v %v", f.PPI, f.PPIKnown, err)
	}
	b.Reset()
	if err := bmp.Encode(&b, src); err != nil {
		t.Fatal(err)
	}
	bm := b.Bytes()
	putLE32(bm[38:], 39370) // 1000 ppi
	putLE32(bm[42:], 39370)
	if f, err := DecodeImageBytes(bm, ImageOptions{}); err != nil || !f.PPIKnown || math.Abs(f.PPI-1000) > 0.05 {
		t.Errorf("BMP: %v %v %v", f.PPI, f.PPIKnown, err)
	}
	// A caller's PPI fills in, and overrides only when asked.
	if f, _ := DecodeImageBytes(bm, ImageOptions{PPI: 500}); f.PPI != 1000 {
		t.Errorf("stated PPI replaced the file's: %v", f.PPI)
	}
	if f, _ := DecodeImageBytes(bm, ImageOptions{PPI: 500, OverridePPI: true}); f.PPI != 500 {
		t.Errorf("override ignored: %v", f.PPI)
	}
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// insertPNGChunk puts a chunk right after IHDR (8-byte signature, 25-byte
// IHDR chunk).
func insertPNGChunk(p []byte, typ string, body []byte) []byte {
	var c bytes.Buffer
	n := len(body)
	c.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	c.WriteString(typ)
	c.Write(body)
	crc := crc32IEEE(append([]byte(typ), body...))
	c.Write([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	out := append([]byte{}, p[:33]...)
	out = append(out, c.Bytes()...)
	return append(out, p[33:]...)
}

func TestTo500PPI(t *testing.T) {
	// A pattern drawn at 569 ppi, resampled to 500, must match the same
	// pattern drawn at 500 ppi away from the borders.
	src := FingerImage{Gray: testPattern(569, 300, 569, 0), PPI: 569, PPIKnown: true}
	got := src.To500PPI()
	// Pixel centres map onto each other: output pixel i is centred on
	// input position (i+0.5)·569/500 - 0.5.
	want := testPattern(500, 264, 500, 0.5-0.5*500/569)
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	var sum, n float64
	for y := 10; y < 254; y++ {
		for x := 10; x < 490; x++ {
			d := float64(got.GrayAt(x, y).Y) - float64(want.GrayAt(x, y).Y)
			sum += d * d
			n++
		}
	}
	if rms := math.Sqrt(sum / n); rms > 1 {
		t.Errorf("RMS difference %.2f grey levels after resampling", rms)
	}
	// Already 500 ppi: the same image, not a copy.
	same := FingerImage{Gray: want, PPI: 500}
	if same.To500PPI() != want {
		t.Error("a 500 ppi image was copied")
	}
}

func TestDecodeImageRejects(t *testing.T) {
	if _, err := DecodeImageBytes([]byte("hello"), ImageOptions{}); err == nil {
		t.Error("text accepted as an image")
	}
	// A PGM header claiming a huge image must be refused before any
	// allocation of its size.
	if _, err := DecodeImageBytes([]byte("P5 100000 100000 255\n\x00"), ImageOptions{}); err == nil {
		t.Error("huge PGM accepted")
	}
	im := image.NewGray(image.Rect(0, 0, 1, 1))
	im.Set(0, 0, color.Gray{7})
	var b bytes.Buffer
	_ = png.Encode(&b, im)
	if _, err := DecodeImageBytes(b.Bytes()[:b.Len()-20], ImageOptions{}); err == nil {
		t.Error("truncated PNG accepted")
	}
}

func FuzzDecodeImage(f *testing.F) {
	f.Add([]byte("P5 2 2 255\n\x00\x01\x02\x03"))
	f.Add([]byte("P2 2 1 15 # c\n1 15"))
	f.Add([]byte("II*\x00\x08\x00\x00\x00"))
	f.Add([]byte("BM"))
	f.Add([]byte{0xFF, 0xA0, 0xFF, 0xA2})
	f.Fuzz(func(t *testing.T, data []byte) {
		fi, err := DecodeImageBytes(data, ImageOptions{})
		if err == nil && (fi.Gray == nil || len(fi.Gray.Pix) != fi.Gray.Bounds().Dx()*fi.Gray.Bounds().Dy()) {
			t.Fatal("decoded image with inconsistent pixels")
		}
	})
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
