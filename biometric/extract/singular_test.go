package extract

import (
	"math"
	"testing"

	"checkpost/biometric"
)

// fieldExtractor is an Extractor whose orientation stage left the ridge
// orientation ridge(x, y) (radians, image frame, y down) at each block
// centre of a w x h image, every block in the print and coherent: what
// singularPoints reads.
func fieldExtractor(w, h int, ridge func(x, y float64) float64) *Extractor {
	e := NewExtractor()
	e.alloc(w, h)
	for b := range e.mask {
		x, y := float64(b%e.bw*blockSize+blockSize/2), float64(b/e.bw*blockSize+blockSize/2)
		// orientation()'s vectors are the gradient's doubled angle:
		// the ridges' turned by π.
		a := 2*ridge(x, y) + math.Pi
		e.tx[b], e.ty[b] = float32(math.Cos(a)), float32(math.Sin(a))
		e.mask[b] = true
		e.coh[b] = 0.8
	}
	return e
}

// TestSingularPointsSynthetic: on model orientation fields (image frame),
// a loop (the field of a core above a delta: twice the ridge angle is the
// angle seen from the core less the angle seen from the delta) has one
// core and one delta where they were put, a plain arch none, and a lone
// core's direction is the side its ridges run away on.
func TestSingularPointsSynthetic(t *testing.T) {
	const cx, cy, dx, dy = 100.0, 90.0, 140.0, 200.0
	loop := fieldExtractor(240, 280, func(x, y float64) float64 {
		return 0.5 * (math.Atan2(y-cy, x-cx) - math.Atan2(y-dy, x-dx))
	})
	pts := loop.singularPoints()
	var cores, deltas []biometric.SingularPoint
	for _, p := range pts {
		switch p.Type {
		case biometric.SingularCore:
			cores = append(cores, p)
		case biometric.SingularDelta:
			deltas = append(deltas, p)
		}
	}
	if len(cores) != 1 || len(deltas) != 1 {
		t.Fatalf("loop: %v, want one core and one delta", pts)
	}
	near := func(p biometric.SingularPoint, x, y float64) bool {
		return math.Hypot(float64(p.X)-x, float64(p.Y)-y) <= 1.5*blockSize
	}
	if !near(cores[0], cx, cy) || !near(deltas[0], dx, dy) {
		t.Errorf("loop: core at (%d, %d), delta at (%d, %d); put at (%v, %v) and (%v, %v)",
			cores[0].X, cores[0].Y, deltas[0].X, deltas[0].Y, cx, cy, dx, dy)
	}
	if cores[0].Confidence != 80 || deltas[0].Confidence != 80 {
		t.Errorf("confidences %d and %d, want the rings' coherence 0.8 as 80", cores[0].Confidence, deltas[0].Confidence)
	}

	// A plain arch: ridges across the finger, bowed in the middle.
	arch := fieldExtractor(240, 280, func(x, y float64) float64 {
		return 0.6 * math.Sin((x-120)/60) * math.Exp(-(y-140)*(y-140)/8000)
	})
	if pts := arch.singularPoints(); len(pts) != 0 {
		t.Errorf("arch: %v, want no singular point", pts)
	}

	// A lone core whose ridges run away downwards in the image (ridge
	// angle φ/2 + π/4 at angle φ seen from it: radial at φ = π/2, y
	// down): the template's direction, counter-clockwise with y up, is
	// 270°.
	core := fieldExtractor(200, 200, func(x, y float64) float64 {
		return 0.5*math.Atan2(y-100, x-100) + math.Pi/4
	})
	pts = core.singularPoints()
	if len(pts) != 1 || pts[0].Type != biometric.SingularCore {
		t.Fatalf("lone core: %v", pts)
	}
	if d := math.Abs(pts[0].Angle - 3*math.Pi/2); d > 0.1 {
		t.Errorf("lone core's direction %.2f rad, want %.2f", pts[0].Angle, 3*math.Pi/2)
	}
}

// TestSingularPointsRealPrint: FVC2002 DB2_B 103_1 is a loop opening
// downwards, its core at about (152, 328) and its delta at about (192,
// 432) (as seen on the image); both are found there, the core's
// direction straight down within 30°.
func TestSingularPointsRealPrint(t *testing.T) {
	tp, err := NewExtractor().Extract(loadFVC(t, "DB2_B/103_1.tif"))
	if err != nil {
		t.Fatal(err)
	}
	var core, delta *biometric.SingularPoint
	for i := range tp.Singular {
		p := &tp.Singular[i]
		switch {
		case p.Type == biometric.SingularCore && math.Hypot(float64(p.X-152), float64(p.Y-328)) <= 16:
			core = p
		case p.Type == biometric.SingularDelta && math.Hypot(float64(p.X-192), float64(p.Y-432)) <= 16:
			delta = p
		}
	}
	if core == nil || delta == nil {
		t.Fatalf("singular points %v: want a core near (152, 328) and a delta near (192, 432)", tp.Singular)
	}
	if d := math.Abs(core.Angle - 3*math.Pi/2); d > math.Pi/6 {
		t.Errorf("core's direction %.2f rad, want about %.2f (down)", core.Angle, 3*math.Pi/2)
	}
	if core.Confidence < 40 {
		t.Errorf("core's confidence %d", core.Confidence)
	}
}
