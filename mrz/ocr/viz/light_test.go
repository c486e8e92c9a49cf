package viz

import (
	"image"
	"math"
	"testing"
)

// glaredField draws a field of "letters" (ink 30 on paper 215) under a
// glare centred on its right part, as the simulator's light does: v ->
// v + (255-v)*g, g up to peak.
func glaredField(peak float64) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 480, 60))
	for i := range g.Pix {
		g.Pix[i] = 215
	}
	for y := 18; y < 42; y++ {
		for x := 20; x < 400; x += 8 {
			g.Pix[y*g.Stride+x], g.Pix[y*g.Stride+x+1], g.Pix[y*g.Stride+x+2] = 30, 30, 30
		}
	}
	for y := 0; y < 60; y++ {
		for x := 0; x < 480; x++ {
			d := float64(x - 330)
			gl := peak * math.Exp(-d*d/(2*60*60))
			v := float64(g.Pix[y*g.Stride+x])
			g.Pix[y*g.Stride+x] = uint8(v + (255-v)*gl + 0.5)
		}
	}
	return g
}

// TestEvenLight: the letters under a glare are black after prepare, as
// those outside it; without the evening they were as white as the paper.
func TestEvenLight(t *testing.T) {
	inkAt := func(out *image.Gray, x int) uint8 { return out.Pix[(30+border)*out.Stride+x+border] }
	for _, even := range []bool{false, true} {
		g := glaredField(0.85)
		if even {
			evenLight(g)
		}
		stretch(g)
		// prepare's stretch alone: the letters at the glare's peak fade.
		if got := g.Pix[30*g.Stride+332]; even && got > 100 || !even && got < 200 {
			t.Errorf("evened %v: letter under the glare at %d", even, got)
		}
		if got := g.Pix[30*g.Stride+20]; got > 10 {
			t.Errorf("evened %v: letter outside the glare at %d", even, got)
		}
		if got := g.Pix[30*g.Stride+335]; got < 250 {
			t.Errorf("evened %v: paper under the glare at %d", even, got)
		}
	}
	out, err := prepare(glaredField(0.85))
	if err != nil {
		t.Fatal(err)
	}
	if inkAt(out, 332) > 100 || inkAt(out, 20) > 10 {
		t.Errorf("prepared: letters at %d under the glare, %d outside it", inkAt(out, 332), inkAt(out, 20))
	}
	// An evenly lit field is left as it is.
	g := glaredField(0)
	before := append([]uint8(nil), g.Pix...)
	evenLight(g)
	for i := range before {
		if g.Pix[i] != before[i] {
			t.Fatalf("an evenly lit field changed at %d: %d -> %d", i, before[i], g.Pix[i])
		}
	}
}
