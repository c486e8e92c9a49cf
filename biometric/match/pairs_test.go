package match

import (
	"math"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/extract"
)

// A template moved rigidly pairs each minutia with its own moved copy.
func TestPairSourcesMovedCopy(t *testing.T) {
	img := loadImage(t, "DB1_B/103_1.tif")
	tp, err := extract.Extract(img)
	if err != nil {
		t.Fatal(err)
	}
	moved := tp
	moved.Minutiae = nil
	const turn = 0.35
	c, s := math.Cos(turn), math.Sin(turn)
	for _, mn := range tp.Minutiae {
		x, y := float64(mn.X), float64(mn.Y)
		mn.X = int(math.Round(x*c + y*s + 40))
		mn.Y = int(math.Round(-x*s + y*c + 120))
		mn.Angle = math.Mod(mn.Angle+turn, 2*math.Pi)
		moved.Minutiae = append(moved.Minutiae, mn)
	}
	score, pairs, err := PairSources(&tp, &moved)
	if err != nil {
		t.Fatal(err)
	}
	kept := min(len(tp.Minutiae), MaxMinutiae)
	same := 0
	seenA, seenB := map[int]bool{}, map[int]bool{}
	for _, p := range pairs {
		if seenA[p.A] || seenB[p.B] {
			t.Fatalf("minutia paired twice: %+v in %v", p, pairs)
		}
		seenA[p.A], seenB[p.B] = true, true
		if p.A == p.B {
			same++
		}
	}
	if score <= 0 || same < kept*9/10 {
		t.Errorf("score %.4f, %d of %d kept minutiae paired with their own copy (%d pairs)", score, same, kept, len(pairs))
	}
}

// Two impressions of one finger pair many more minutiae than impressions
// of different fingers; the pairs are one to one, their positions agree
// under one rigid motion, and the score is Compare's.
func TestPairsGenuineAndImpostor(t *testing.T) {
	fingers := []string{"101", "104", "106"}
	var m Matcher
	for i, f := range fingers {
		a := prepareFVC(t, "DB1_B/"+f+"_1.tif")
		b := prepareFVC(t, "DB1_B/"+f+"_2.tif")
		other := prepareFVC(t, "DB1_B/"+fingers[(i+1)%len(fingers)]+"_2.tif")
		gScore, genuine := m.Pairs(a, b)
		_, impostor := m.Pairs(a, other)
		if want := m.Compare(a, b); gScore != want {
			t.Errorf("%s: Pairs score %v, Compare %v", f, gScore, want)
		}
		t.Logf("%s: %d pairs with its second impression (score %.4f), %d with another finger", f, len(genuine), gScore, len(impostor))
		if len(genuine) < 8 || len(genuine) < 2*len(impostor) {
			t.Errorf("%s: %d pairs with its own second impression, %d with another finger", f, len(genuine), len(impostor))
		}
		// Rigid: the distance between any two paired minutiae is kept
		// (within twice the pairing radius).
		bad := 0
		for p := range genuine {
			for q := p + 1; q < len(genuine); q++ {
				pa, qa := a.Minutia(genuine[p].A), a.Minutia(genuine[q].A)
				pb, qb := b.Minutia(genuine[p].B), b.Minutia(genuine[q].B)
				da := math.Hypot(float64(pa.X-qa.X), float64(pa.Y-qa.Y))
				db := math.Hypot(float64(pb.X-qb.X), float64(pb.Y-qb.Y))
				if math.Abs(da-db) > 2*pairRadius {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d pairs of pairs do not keep their distance", f, bad)
		}
	}
}

func TestPairsNothingInCommon(t *testing.T) {
	var m Matcher
	var zero Template
	a := prepareFVC(t, "DB1_B/101_1.tif")
	if s, p := m.Pairs(a, &zero); s != 0 || p != nil {
		t.Errorf("against an empty template: %v, %v", s, p)
	}
	if _, _, err := PairSources(&biometric.Template{}, &biometric.Template{}); err == nil {
		t.Error("PairSources of empty templates: no error")
	}
}

// Minutia gives the source position back for a 500-ppi template.
func TestPreparedMinutiaFrame(t *testing.T) {
	src := biometric.Template{ResolutionPPI: 500, Minutiae: []biometric.Minutia{
		{X: 10, Y: 20, Angle: 1, Type: biometric.MinutiaEnding},
		{X: 200, Y: 50, Angle: 3, Type: biometric.MinutiaBifurcation},
		{X: 90, Y: 300, Angle: 5},
	}}
	p, err := Prepare(&src)
	if err != nil {
		t.Fatal(err)
	}
	idx := sourceIndexes(p, &src)
	for i := range p.Len() {
		got, want := p.Minutia(i), src.Minutiae[idx[i]]
		if got.X != want.X || got.Y != want.Y || got.Type != want.Type || math.Abs(got.Angle-want.Angle) > 1e-3 {
			t.Errorf("prepared minutia %d: %+v, source %+v", i, got, want)
		}
	}
}

// BenchmarkPairs is one candidate's matched minutiae as the report makes
// them, next to Compare of the same two prints (the extra cost of showing
// pairs).
func BenchmarkPairs(b *testing.B) {
	a := prepareFVC(b, "DB1_B/101_1.tif")
	c := prepareFVC(b, "DB1_B/101_2.tif")
	var m Matcher
	b.Run("compare", func(b *testing.B) {
		for b.Loop() {
			m.Compare(a, c)
		}
	})
	b.Run("pairs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Pairs(a, c)
		}
	})
}
