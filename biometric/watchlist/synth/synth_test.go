package synth

import (
	"reflect"
	"sort"
	"testing"

	"checkpost/biometric/match"
)

func TestSameSeedSameTemplates(t *testing.T) {
	a, b := New(11), New(11)
	for i := 0; i < 20; i++ {
		if x, y := a.Template(), b.Template(); !reflect.DeepEqual(x, y) {
			t.Fatalf("template %d differs for one seed", i)
		}
	}
	if reflect.DeepEqual(New(1).Template(), New(2).Template()) {
		t.Error("two seeds gave the same template")
	}
}

func TestTemplatesLookLikePlainImpressions(t *testing.T) {
	g := New(3)
	var counts []int
	classes := map[Class]int{}
	for i := 0; i < 500; i++ {
		f := g.NewFinger()
		classes[f.Class]++
		tm := g.Impression(&f)
		counts = append(counts, len(tm.Minutiae))
		for _, m := range tm.Minutiae {
			if m.X < 0 || m.Y < 0 || m.X >= tm.Width || m.Y >= tm.Height || m.Angle < 0 || m.Angle >= 6.2832 {
				t.Fatalf("minutia %+v outside the %dx%d window or angle out of range", m, tm.Width, tm.Height)
			}
		}
		if _, err := match.Prepare(&tm); err != nil {
			t.Fatalf("template %d: %v", i, err)
		}
	}
	sort.Ints(counts)
	// Our extractor on FVC2002 DB1_B/DB2_B: 20-56 minutiae (10th-90th
	// percentile).
	if p10, p90 := counts[50], counts[450]; p10 < 18 || p90 > 60 {
		t.Errorf("minutiae count p10 %d, p90 %d", p10, p90)
	}
	if classes[LeftLoop]+classes[RightLoop] < 250 || classes[Whorl] < 100 || classes[Arch]+classes[TentedArch] == 0 {
		t.Errorf("classes %v far from their shares", classes)
	}
}

func TestDistortMakesMates(t *testing.T) {
	g := New(4)
	var m match.Matcher
	strong := 0
	for i := 0; i < 40; i++ {
		src := g.Template()
		a, _ := match.Prepare(&src)
		d := g.Distort(src)
		b, err := match.Prepare(&d)
		if err != nil {
			t.Fatal(err)
		}
		other := g.Template()
		c, _ := match.Prepare(&other)
		if m.Compare(b, a) >= match.ThresholdFMR1e4 {
			strong++
		}
		if m.Compare(c, a) >= match.ThresholdFMR1e2*3 {
			t.Errorf("two generated fingers score %v", m.Compare(c, a))
		}
	}
	if strong < 38 {
		t.Errorf("%d of 40 distorted copies matched their source at FMR 1e-4", strong)
	}
}
