package devices

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"checkpost/internal/shareddata"
)

func TestLoadRealScanFolder(t *testing.T) {
	dir := shareddata.Path(t, "scanner/de-specimen")
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Lights(); len(got) != 3 || got[0] != White || got[1] != IR || got[2] != UV {
		t.Fatalf("lights %v, want white ir uv", got)
	}
	if b := c.Bounds(); b.Dx() != 916 || b.Dy() != 642 {
		t.Fatalf("bounds %v, want 916x642", b)
	}
	// The BMP headers state 7342 pixels per metre.
	if c.PPI < 186 || c.PPI > 187 {
		t.Fatalf("PPI %g, want 186.5 from the BMP header", c.PPI)
	}
	if c.Source != SourceFile || c.Truth != nil || c.Back != nil {
		t.Fatalf("source %q truth %v back %v", c.Source, c.Truth, c.Back)
	}
	// The real IR image: the MRZ (bottom fifth) holds much darker pixels
	// than the vanishing background art above the printed data.
	dark := func(r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if c.IR.GrayAt(x, y).Y < 80 {
					n++
				}
			}
		}
		return n
	}
	if mrz, art := dark(image.Rect(40, 510, 870, 590)), dark(image.Rect(300, 450, 870, 500)); mrz < 20*art+500 {
		t.Fatalf("IR dark pixels: MRZ %d, art band %d", mrz, art)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	c := &Capture{PPI: 300, Source: SourceSimulator, Origin: "test"}
	c.White = image.NewRGBA(image.Rect(0, 0, 40, 30))
	c.IR = image.NewGray(image.Rect(0, 0, 40, 30))
	c.UV = image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range c.White.Pix {
		c.White.Pix[i] = uint8(i * 7)
		if i%4 == 3 {
			c.White.Pix[i] = 255
		}
	}
	c.IR.Pix[5] = 200
	for i := 3; i < len(c.UV.Pix); i += 4 {
		c.UV.Pix[i] = 255
	}
	c.UV.SetRGBA(3, 4, color.RGBA{10, 200, 30, 255})
	c.Back = &Side{White: image.NewRGBA(image.Rect(0, 0, 40, 30))}
	c.Truth = &Truth{Model: "m", Forgery: "none", PPI: 300, MRZ: []string{"P<UTO"},
		Regions: []Region{{Name: "mrz", Quad: [4]Point{{1, 1}, {9, 1}, {9, 5}, {1, 5}}, X: 1, Y: 1, W: 8, H: 4}}}
	dir := t.TempDir()
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.White.Pix, c.White.Pix) || !bytes.Equal(got.IR.Pix, c.IR.Pix) || !bytes.Equal(got.UV.Pix, c.UV.Pix) {
		t.Fatal("pixels changed in the round trip")
	}
	if got.Back == nil || got.Back.White == nil || got.Back.IR != nil {
		t.Fatalf("back side not restored: %+v", got.Back)
	}
	if got.PPI != 300 || got.Source != SourceSimulator || got.Truth.Model != "m" {
		t.Fatalf("ppi %g source %q truth %+v", got.PPI, got.Source, got.Truth)
	}
	if r, ok := got.Truth.Region("mrz"); !ok || r.Rect() != image.Rect(1, 1, 9, 5) {
		t.Fatalf("region mrz: %+v %v", r, ok)
	}
	// Without truth.json the resolution comes from the PNG's pHYs chunk.
	if err := os.Remove(filepath.Join(dir, TruthFile)); err != nil {
		t.Fatal(err)
	}
	got, err = Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.PPI != 300 || got.Source != SourceFile {
		t.Fatalf("without truth: ppi %g source %q", got.PPI, got.Source)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); !errors.Is(err, ErrNoImages) {
		t.Fatalf("empty folder: %v", err)
	}
	small := &Capture{Side: Side{White: image.NewRGBA(image.Rect(0, 0, 4, 4))}}
	if err := small.Save(dir); err != nil {
		t.Fatal(err)
	}
	// Unregistered lights.
	ir := &Capture{Side: Side{IR: image.NewGray(image.Rect(0, 0, 5, 4))}}
	dir2 := t.TempDir()
	if err := ir.Save(dir2); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir2, "ir.png"), filepath.Join(dir, "IR.png")); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil {
		t.Fatal("images of different sizes accepted")
	}
	// Two files for one light.
	dir3 := t.TempDir()
	if err := small.Save(dir3); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir3, "white.png"))
	os.WriteFile(filepath.Join(dir3, "WHITE.bmp"), data, 0o644)
	if _, err := Load(dir3); err == nil {
		t.Fatal("white.png and WHITE.bmp both accepted")
	}
	// A broken truth file.
	dir4 := t.TempDir()
	small.Save(dir4)
	os.WriteFile(filepath.Join(dir4, TruthFile), []byte(`{"model":"x"}`), 0o644)
	if _, err := Load(dir4); err == nil {
		t.Fatal("truth without a forgery label accepted")
	}
}

func TestLoadImageBMP(t *testing.T) {
	path := shareddata.Path(t, "scanner/de-specimen/WHITE.bmp")
	c, err := LoadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.White == nil || c.IR != nil || c.White.Bounds().Dx() != 916 {
		t.Fatalf("%+v", c.Side.Lights())
	}
}

func TestDecodeImageRejectsHugeHeader(t *testing.T) {
	// A PNG header claiming 100000 x 100000 pixels.
	var buf bytes.Buffer
	EncodePNG(&buf, image.NewGray(image.Rect(0, 0, 1, 1)), 0)
	data := buf.Bytes()
	copy(data[16:], []byte{0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0})
	if _, err := DecodeImage(data); err == nil {
		t.Fatal("huge image accepted")
	}
}

func FuzzDecodeTruth(f *testing.F) {
	f.Add([]byte(`{"model":"uto-passport","forgery":"none","mrz":["P<UTO"],"regions":[{"name":"mrz","w":3,"h":4}]}`))
	f.Add([]byte(`{"model":"m","forgery":"none","regions":[{"name":""}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := DecodeTruth(data)
		if err == nil && (tr.Model == "" || tr.Forgery == "") {
			t.Fatal("accepted truth without model or forgery")
		}
	})
}

func FuzzResolution(f *testing.F) {
	var buf bytes.Buffer
	EncodePNG(&buf, image.NewGray(image.Rect(0, 0, 2, 2)), 300)
	f.Add(buf.Bytes())
	f.Add([]byte("BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x04\x00\x00\x28\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\xae\x1c\x00\x00\xae\x1c\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x01\x2c\x01\x2c\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if v := Resolution(data); v != 0 && (v < 50 || v > MaxPPI) {
			t.Fatalf("implausible resolution %g", v)
		}
	})
}

func FuzzDecodeImage(f *testing.F) {
	var buf bytes.Buffer
	EncodePNG(&buf, image.NewRGBA(image.Rect(0, 0, 3, 2)), 300)
	f.Add(buf.Bytes())
	f.Add([]byte("BM"))
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := DecodeImage(data)
		if err != nil {
			return
		}
		b := im.Bounds()
		if int64(b.Dx())*int64(b.Dy()) > MaxPixels {
			t.Fatalf("decoded %v beyond the limit", b)
		}
		ToRGBA(im)
		ToGray(im)
	})
}

func TestResolutionFormats(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodePNG(&buf, image.NewGray(image.Rect(0, 0, 2, 2)), 600); err != nil {
		t.Fatal(err)
	}
	if got := Resolution(buf.Bytes()); got != 600 {
		t.Fatalf("PNG pHYs: %g, want 600", got)
	}
	if _, err := DecodeImage(buf.Bytes()); err != nil {
		t.Fatalf("PNG with pHYs does not decode: %v", err)
	}
	jfif := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x01\x2c\x01\x2c\x00\x00")
	if got := Resolution(jfif); got != 300 {
		t.Fatalf("JFIF: %g, want 300", got)
	}
	if got := Resolution([]byte("GIF89a")); got != 0 {
		t.Fatalf("GIF: %g", got)
	}
}

func TestRegionContains(t *testing.T) {
	r := Region{Quad: [4]Point{{10, 0}, {20, 10}, {10, 20}, {0, 10}}} // a diamond
	if !r.Contains(Point{10, 10}) || r.Contains(Point{1, 1}) || r.Contains(Point{19, 19}) {
		t.Fatal("diamond containment wrong")
	}
	r.BoxFromQuad(image.Rect(0, 0, 15, 100))
	if r.Rect() != image.Rect(0, 0, 15, 20) {
		t.Fatalf("box %v", r.Rect())
	}
}
