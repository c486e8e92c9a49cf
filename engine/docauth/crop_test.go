package docauth

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	"math/rand/v2"
	"testing"

	"checkpost/devices"
	"checkpost/engine"
)

func TestCropCopiesTheBox(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ir := image.NewGray(image.Rect(0, 0, 97, 61))
	white := image.NewRGBA(image.Rect(0, 0, 97, 61))
	for i := range ir.Pix {
		ir.Pix[i] = uint8(rng.IntN(256))
	}
	for i := range white.Pix {
		white.Pix[i] = uint8(rng.IntN(256))
	}
	regs := map[string]*registered{"front": {img: &devices.Side{White: white, IR: ir}}}
	for _, box := range []image.Rectangle{
		image.Rect(0, 0, 97, 61),
		image.Rect(13, 7, 40, 50),
		image.Rect(90, 55, 120, 80), // partly outside: clipped
		image.Rect(-5, -3, 4, 2),
	} {
		for _, l := range []devices.Light{devices.IR, devices.White} {
			got := crop(regs, "front", l, box)
			src := regs["front"].img.Image(l)
			clip := box.Intersect(src.Bounds())
			want := image.NewRGBA(image.Rect(0, 0, clip.Dx(), clip.Dy()))
			draw.Draw(want, want.Bounds(), src, clip.Min, draw.Src)
			if got == nil || got.Bounds() != want.Bounds() {
				t.Fatalf("%s %v: crop %v, want bounds %v", l, box, got, want.Bounds())
			}
			have := image.NewRGBA(got.Bounds())
			draw.Draw(have, have.Bounds(), got, image.Point{}, draw.Src)
			if !bytes.Equal(have.Pix, want.Pix) {
				t.Errorf("%s %v: the crop's pixels differ from the image's", l, box)
			}
			if g, ok := got.(*image.Gray); l == devices.IR && !ok {
				t.Errorf("IR crop is %T, want *image.Gray", got)
			} else if ok && len(g.Pix) != clip.Dx()*clip.Dy() {
				t.Errorf("IR crop holds %d bytes for %v", len(g.Pix), clip)
			}
		}
	}
	if got := crop(regs, "front", devices.IR, image.Rect(200, 200, 210, 210)); got != nil {
		t.Errorf("a box outside the image gave %v", got.Bounds())
	}
	if got := crop(regs, "front", devices.UV, image.Rect(0, 0, 10, 10)); got != nil {
		t.Errorf("a light without an image gave %v", got.Bounds())
	}
}

// A counter keeps only the evidence of checks that did not pass: asking
// for just that crops the same images for those checks and none for the
// others.
func TestEvidenceNotPassedCropsOnlyWhatDidNotPass(t *testing.T) {
	ck, in := substitutedVisa(t)
	in.Evidence = true
	all, err := ck.Check(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	in.EvidenceNotPassed = true
	some, err := ck.Check(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]engine.Status{}
	for _, c := range some.Checks {
		status[c.Name] = c.Status
	}
	if status[CheckPortrait] != engine.Fail {
		t.Fatalf("portrait check %s, want FAIL", status[CheckPortrait])
	}
	want := map[string]Evidence{}
	passedWithRegions := 0
	for _, e := range all.Evidence {
		if status[e.Check] != engine.Pass {
			want[e.Name] = e
		}
	}
	for _, c := range all.Checks {
		if c.Status == engine.Pass && len(c.Evidence) > 0 {
			passedWithRegions++
		}
	}
	if passedWithRegions == 0 {
		t.Fatal("no passing check had evidence to leave out: the test shows nothing")
	}
	if len(some.Evidence) != len(want) {
		t.Errorf("%d crops, want the %d of checks that did not pass", len(some.Evidence), len(want))
	}
	for _, e := range some.Evidence {
		w, ok := want[e.Name]
		if !ok {
			t.Errorf("crop %s of check %s (%s)", e.Name, e.Check, status[e.Check])
			continue
		}
		if e.Region != w.Region || e.Image.Bounds() != w.Image.Bounds() {
			t.Errorf("crop %s: %v %v, with every crop %v %v", e.Name, e.Region, e.Image.Bounds(), w.Region, w.Image.Bounds())
		}
	}
	for _, c := range some.Checks {
		if c.Status == engine.Pass && len(c.Evidence) > 0 {
			t.Errorf("passing check %s names evidence %v", c.Name, c.Evidence)
		}
		if c.Status == engine.Pass && c.Name != CheckVIZ && c.Name != CheckMRZ && len(c.Regions) == 0 {
			for _, a := range all.Checks {
				if a.Name == c.Name && len(a.Regions) > 0 {
					t.Errorf("passing check %s lost its regions", c.Name)
				}
			}
		}
	}
}
