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
				c := validCells(tm, j)
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

// storedForm is t as a load from a store gives it (minutiae of equal
// direction in index order).
func storedForm(t *testing.T, a *Template) *Template {
	b, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var c Template
	if err := c.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return &c
}

// A packed template unpacks to the template it was packed from in its
// stored form (Prepare may order minutiae of equal direction otherwise),
// and screens as the template does with the same mask.
func TestPackedRoundTripAndScore(t *testing.T) {
	src := galleryRef()
	ref, err := Prepare(&src)
	if err != nil {
		t.Fatal(err)
	}
	var m Matcher
	for i := 0; i < 30; i++ {
		b := screenTestTemplate(i)
		if i == 29 {
			b = ref
		}
		for _, k := range []int{0, 8, 24} {
			var p Packed
			p.Pack(b, k)
			if p.Len() != b.Len() {
				t.Fatalf("template %d: packed %d minutiae, want %d", i, p.Len(), b.Len())
			}
			var u Template
			p.Unpack(&u)
			sb := withoutRidges(storedForm(t, b))
			if u != *sb {
				t.Fatalf("template %d k %d: unpacked template differs", i, k)
			}
			a := screenTestTemplate(i/2 + 200)
			if m.Compare(a, &u) != m.Compare(a, sb) {
				t.Fatalf("template %d: unpacked compares differently", i)
			}
			for _, nc := range []int{0, 16} {
				sp := NewScreenProbe(a, nc)
				if got, want := sp.ScorePacked(&p), sp.Score(b, ScreenMask(b, k)); got != want {
					t.Fatalf("template %d k %d probe cylinders %d: ScorePacked %v, Score %v", i, k, nc, got, want)
				}
			}
		}
	}
	// A template packed over a longer one leaves nothing of it behind.
	var p Packed
	p.Pack(screenTestTemplate(1), 24)
	p.Pack(ref, 24)
	var u Template
	p.Unpack(&u)
	if u != *withoutRidges(storedForm(t, ref)) {
		t.Fatal("packing over a used Packed left old minutiae")
	}
}
