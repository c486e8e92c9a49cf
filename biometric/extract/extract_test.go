package extract

import (
	"errors"
	"image"
	"math/rand"
	"os"
	"testing"

	"checkpost/biometric"
	"checkpost/internal/shareddata"
)

// loadFVC reads an FVC2002 image from the shared data.
func loadFVC(tb testing.TB, rel string) *image.Gray {
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

func TestExtractRealPrint(t *testing.T) {
	img := loadFVC(t, "DB1_B/101_1.tif")
	x := NewExtractor()
	tp, err := x.Extract(img)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if tp.Width != b.Dx() || tp.Height != b.Dy() || tp.ResolutionPPI != 500 {
		t.Errorf("template frame %dx%d at %d ppi, want %dx%d at 500", tp.Width, tp.Height, tp.ResolutionPPI, b.Dx(), b.Dy())
	}
	// A good plain impression at 500 ppi holds a few dozen minutiae.
	if n := len(tp.Minutiae); n < 15 || n > 80 {
		t.Errorf("%d minutiae, want 15-80", n)
	}
	endings, forks := 0, 0
	for _, m := range tp.Minutiae {
		if m.X < 0 || m.Y < 0 || m.X >= tp.Width || m.Y >= tp.Height || m.Angle < 0 || m.Angle >= 6.2832 {
			t.Fatalf("minutia out of frame: %+v", m)
		}
		if m.Quality == 0 || m.Quality > 100 {
			t.Errorf("minutia quality %d outside 1-100", m.Quality)
		}
		switch m.Type {
		case biometric.MinutiaEnding:
			endings++
		case biometric.MinutiaBifurcation:
			forks++
		}
	}
	if endings == 0 || forks == 0 {
		t.Errorf("%d endings and %d bifurcations: both kinds expected", endings, forks)
	}
	q := x.Quality()
	if q.Score < RescanBelow || tp.Quality != q.Score {
		t.Errorf("quality %d (template %d) for a good print", q.Score, tp.Quality)
	}
	if len(x.Stages()) != 3 {
		t.Error("stages not rendered")
	}
}

func TestExtractIsDeterministic(t *testing.T) {
	img := loadFVC(t, "DB1_B/102_3.tif")
	a, err := Extract(img)
	if err != nil {
		t.Fatal(err)
	}
	// A reused extractor, after a different image, gives the same result.
	x := NewExtractor()
	if _, err := x.Extract(loadFVC(t, "DB1_B/101_1.tif")); err != nil {
		t.Fatal(err)
	}
	b, err := x.Extract(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Minutiae) != len(b.Minutiae) {
		t.Fatalf("%d then %d minutiae", len(a.Minutiae), len(b.Minutiae))
	}
	for i := range a.Minutiae {
		if a.Minutiae[i] != b.Minutiae[i] {
			t.Fatalf("minutia %d differs: %+v vs %+v", i, a.Minutiae[i], b.Minutiae[i])
		}
	}
}

func TestExtractRejectsNonPrints(t *testing.T) {
	flat := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range flat.Pix {
		flat.Pix[i] = 180
	}
	if _, err := Extract(flat); !errors.Is(err, ErrNoFingerprint) {
		t.Errorf("flat image: error %v, want ErrNoFingerprint", err)
	}
	// Pure noise has no ridge flow: no print, or next to no minutiae.
	noise := image.NewGray(image.Rect(0, 0, 300, 300))
	rng := rand.New(rand.NewSource(1))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.Intn(256))
	}
	if tp, err := Extract(noise); err == nil && len(tp.Minutiae) > 5 {
		t.Errorf("noise: %d minutiae", len(tp.Minutiae))
	}
	if _, err := Extract(image.NewGray(image.Rect(0, 0, 20, 400))); !errors.Is(err, ErrImageSize) {
		t.Errorf("20x400 image: error %v, want ErrImageSize", err)
	}
	// A sub-image (non-zero origin, stride wider than the width) works.
	img := loadFVC(t, "DB1_B/101_1.tif")
	sub := img.SubImage(image.Rect(40, 30, 340, 330)).(*image.Gray)
	if _, err := Extract(sub); err != nil {
		t.Errorf("sub-image: %v", err)
	}
}

func BenchmarkExtract(b *testing.B) {
	for _, name := range []string{"DB1_B/101_1.tif", "DB2_B/101_1.tif"} {
		img := loadFVC(b, name)
		b.Run(name[:5], func(b *testing.B) {
			x := NewExtractor()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := x.Extract(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
