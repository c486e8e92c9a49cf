package viz

import (
	"context"
	"image/png"
	"os"
	"testing"

	"checkpost/devices/sim"
)

// TestReadShortValueInWideBox: a short surname (KIM) out of focus in a
// profile's box made for long names (testdata/kim-defocused-ir.png: the
// IR view of eval docauth's capture 12000937, defocused by 0.21 mm, as
// docauth cuts it out) is read surely once cut to its value (readCut):
// prepared whole, its ink is too small a share of the image, Tesseract
// finds no line in it and reads it as a raw line "RM", unsurely. Values
// filling their boxes are not cut.
func TestReadShortValueInWideBox(t *testing.T) {
	r := newReader(t)
	f, err := os.Open("testdata/kim-defocused-ir.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	rds, err := r.ReadFields(context.Background(), []Field{{Name: "surname", Image: im}})
	if err != nil {
		t.Fatal(err)
	}
	sure := false
	for _, rd := range rds {
		t.Logf("read %q at %.2f", rd.Text, rd.Confidence)
		sure = sure || rd.Text == "KIM" && rd.Confidence >= AltBelow
	}
	if !sure {
		t.Errorf("readings %+v: want KIM at %.1f or more", rds, AltBelow)
	}
	s, err := sim.New()
	if err != nil {
		t.Fatal(err)
	}
	fs, want := simFields(t, s, "uto-passport", 16)
	for _, f := range fs {
		p, err := prepare(f.Image)
		if err != nil {
			t.Fatal(err)
		}
		if v := valueCut(f.Image, p); v != nil {
			t.Errorf("%s %q in a box of its own: cut to %v of %v, want no cut", f.Name, want[f.Name], v.Bounds(), f.Image.Bounds())
		}
	}
}
