package pnm

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"checkpost/internal/shareddata"
)

func TestNISTPGM(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(shareddata.Path(t, "fingerprints/nist/sd29-pgm"), "*.pgm"))
	if err != nil || len(files) == 0 {
		t.Fatal("no SD29 PGM files")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		im, name, err := image.Decode(bytes.NewReader(data))
		if err != nil || name != "pgm" {
			t.Fatalf("%s: %v (%s)", f, err, name)
		}
		g, ok := im.(*image.Gray)
		if !ok {
			t.Fatalf("%s: %T", f, im)
		}
		// Raw 8-bit PGM: the pixels are the file's last w·h bytes.
		n := len(g.Pix)
		if !bytes.Equal(g.Pix, data[len(data)-n:]) {
			t.Errorf("%s: pixels differ from the file's data", filepath.Base(f))
		}
	}
}

func TestVariants(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want image.Image
	}{
		{"plain PGM with comments", "P2\n# a comment\n3 1 # another\n15\n0 15 5\n", gray(3, 1, 0, 255, 85)},
		{"raw PGM", "P5 2 1 255\n\x10\x20", gray(2, 1, 0x10, 0x20)},
		{"plain PBM", "P1\n3 1\n1 0 1\n", gray(3, 1, 0, 255, 0)},
		{"raw PBM", "P4 10 1\n\x80\x40", gray(10, 1, 0, 255, 255, 255, 255, 255, 255, 255, 255, 0)},
		{"16-bit PGM", "P5 1 1 65535\n\x12\x34", func() image.Image {
			g := image.NewGray16(image.Rect(0, 0, 1, 1))
			g.SetGray16(0, 0, color.Gray16{0x1234})
			return g
		}()},
		{"raw PPM", "P6 1 1 255\n\x01\x02\x03", func() image.Image {
			m := image.NewRGBA(image.Rect(0, 0, 1, 1))
			m.SetRGBA(0, 0, color.RGBA{1, 2, 3, 255})
			return m
		}()},
	}
	for _, c := range cases {
		im, err := Decode(bytes.NewReader([]byte(c.in)))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		b := c.want.Bounds()
		if im.Bounds() != b {
			t.Errorf("%s: bounds %v", c.name, im.Bounds())
			continue
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if im.At(x, y) != c.want.At(x, y) {
					t.Errorf("%s: pixel (%d,%d) %v, want %v", c.name, x, y, im.At(x, y), c.want.At(x, y))
				}
			}
		}
	}
}

func gray(w, h int, pix ...byte) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, pix)
	return g
}

func TestRejects(t *testing.T) {
	for _, bad := range []string{"", "P7 1 1 255\n\x00", "P5 0 1 255\n", "P5 2 2 255\n\x00", "P2 2 1 9\n3 10",
		"P5 99999 99999 255\n\x00", "P1 2 1\n0 2", "P5 1 1 0\n\x00", "P5 1 1 255\x00"} {
		if _, err := Decode(bytes.NewReader([]byte(bad))); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("P2\n# c\n3 1\n15\n0 15 5\n"))
	f.Add([]byte("P5 2 1 255\n\x10\x20"))
	f.Add([]byte("P4 10 1\n\x80\x40"))
	f.Add([]byte("P6 1 1 65535\n\x00\x01\x00\x02\x00\x03"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := DecodeConfig(bytes.NewReader(data))
		im, err2 := Decode(bytes.NewReader(data))
		if err2 != nil {
			return
		}
		if err != nil || im.Bounds().Dx() != cfg.Width || im.Bounds().Dy() != cfg.Height {
			t.Fatalf("config %v (%v) disagrees with image %v", cfg, err, im.Bounds())
		}
	})
}
