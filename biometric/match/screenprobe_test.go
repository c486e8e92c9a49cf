package match

import (
	"math"
	"math/bits"
	"testing"

	"checkpost/biometric"
)

func screenTestTemplate(seed int) *Template {
	var src biometric.Template
	src.ResolutionPPI = 500
	x := uint32(seed*7919 + 1)
	rnd := func(n int) int { x = x*1103515245 + 12345; return int(x>>8) % n }
	for i := 0; i < 40; i++ {
		src.Minutiae = append(src.Minutiae, biometric.Minutia{X: 40 + rnd(220), Y: 40 + rnd(300), Angle: float64(rnd(628)) / 100, Type: biometric.MinutiaEnding, Quality: 50})
	}
	t, err := Prepare(&src)
	if err != nil {
		panic(err)
	}
	return t
}

// With every cylinder of the probe and every usable one of the other
// template, the probe's score is Screen's.
func TestScreenProbeAllCylindersIsScreen(t *testing.T) {
	var m Matcher
	for i := 0; i < 20; i++ {
		a, b := screenTestTemplate(i), screenTestTemplate(i/2+100)
		if i%3 == 0 {
			b = a
		}
		p := NewScreenProbe(a, 0)
		got := float64(p.Score(b, ScreenMask(b, 0)))
		want := m.Screen(a, b)
		if math.Abs(got-want) > 1e-6 {
			t.Fatalf("pair %d: ScreenProbe %v, Screen %v", i, got, want)
		}
	}
}

// ScreenMask keeps the k most complete usable cylinders.
func TestScreenMask(t *testing.T) {
	for i := 0; i < 20; i++ {
		tm := screenTestTemplate(i)
		all := ScreenMask(tm, 0)
		for j := 0; j < int(tm.n); j++ {
			if (all>>j&1 != 0) != (tm.m[j].flags&flagCylinder != 0) {
				t.Fatalf("template %d minutia %d: in mask %v, usable %v", i, j, all>>j&1 != 0, tm.m[j].flags&flagCylinder != 0)
			}
		}
		for _, k := range []int{1, 8, 16, 24} {
			m := ScreenMask(tm, k)
			if want := min(k, bits.OnesCount64(all)); bits.OnesCount64(m) != want {
				t.Fatalf("template %d k %d: %d kept, want %d", i, k, bits.OnesCount64(m), want)
			}
			if m&^all != 0 {
				t.Fatalf("template %d k %d: unusable cylinder kept", i, k)
			}
			// No cylinder left out is more complete than one kept.
			minIn, maxOut := 65, -1
			for j := 0; j < int(tm.n); j++ {
				c := bits.OnesCount64(tm.cyl[j*cylStride+cylWords])
				if m>>j&1 != 0 {
					minIn = min(minIn, c)
				} else if all>>j&1 != 0 {
					maxOut = max(maxOut, c)
				}
			}
			if maxOut > minIn {
				t.Fatalf("template %d k %d: left out a cylinder of %d cells, kept one of %d", i, k, maxOut, minIn)
			}
		}
	}
}
