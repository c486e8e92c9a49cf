package watchlist

import (
	"context"
	"fmt"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/match"
	"checkpost/biometric/watchlist/synth"
)

// benchGallery is n single-finger subjects over 512 distinct generated
// templates (preparing a million would take minutes; the memory each
// search streams through is the same).
func benchGallery(b *testing.B, n int) (*Gallery, *match.Template) {
	return benchGalleryFingers(b, n, 1)
}

// benchGalleryFingers enrols n templates as subjects of the given number
// of fingers each, at positions 1, 2, ... (unknown for one finger).
func benchGalleryFingers(b *testing.B, n, fingers int) (*Gallery, *match.Template) {
	gen := synth.New(77)
	pool := make([]*match.Template, 512)
	for i := range pool {
		pool[i] = prepare(b, gen.Template())
	}
	g := NewGallery()
	batch := make([]Enrollment, 0, 8192)
	for i := 0; i < n/fingers; i++ {
		e := Enrollment{Subject: fmt.Sprintf("B%07d", i)}
		for k := 0; k < fingers; k++ {
			pos := biometric.PositionUnknown
			if fingers > 1 {
				pos = biometric.Position(1 + k%10)
			}
			e.Fingers = append(e.Fingers, Finger{Position: pos, Template: pool[(i*fingers+k)%len(pool)]})
		}
		batch = append(batch, e)
		if len(batch) == cap(batch) || i == n/fingers-1 {
			if err := g.EnrollBatch(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return g, prepare(b, gen.Template())
}

func benchSearch(b *testing.B, n int, mode Mode) {
	benchSearchFingers(b, n, 1, mode)
}

// benchSearchFingers searches one probe finger; with several fingers per
// subject the probe is a right index and only the templates of that
// position (a tenth with ten fingers) are compared.
func benchSearchFingers(b *testing.B, n, fingers int, mode Mode) {
	g, probe := benchGalleryFingers(b, n, fingers)
	pos := biometric.PositionUnknown
	if fingers > 1 {
		pos = biometric.RightIndex
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.Search(context.Background(), []Probe{{Position: pos, Template: probe}}, SearchOptions{Mode: mode}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "templates/s")
}

func BenchmarkSearchTwoStage100k(b *testing.B)   { benchSearch(b, 100_000, TwoStage) }
func BenchmarkSearchExhaustive100k(b *testing.B) { benchSearch(b, 100_000, Exhaustive) }

// The speed target: one probe finger against a million enrolled fingers.
// Position unknown: every template is screened. A tenprint gallery
// (100,000 subjects of ten fingers) searched with a right index: the
// 100,000 right indexes are.
func BenchmarkSearchTwoStage1M(b *testing.B)         { benchSearch(b, 1_000_000, TwoStage) }
func BenchmarkSearchTwoStage1MTenprint(b *testing.B) { benchSearchFingers(b, 1_000_000, 10, TwoStage) }

func BenchmarkScreen(b *testing.B) {
	gen := synth.New(78)
	ts := make([]*match.Template, 64)
	for i := range ts {
		ts[i] = prepare(b, gen.Template())
	}
	var m match.Matcher
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Screen(ts[i%64], ts[(i/64+i)%64])
	}
}

// BenchmarkScreenProbe is the first stage's score per template with the
// default number of probe cylinders (compare with BenchmarkScreen, which
// reads all of them, in the same run).
func BenchmarkScreenProbe(b *testing.B) {
	gen := synth.New(78)
	ts := make([]*match.Template, 64)
	ps := make([]*match.ScreenProbe, 64)
	ms := make([]uint64, 64)
	for i := range ts {
		ts[i] = prepare(b, gen.Template())
		ps[i] = match.NewScreenProbe(ts[i], DefaultScreenCylinders)
		ms[i] = match.ScreenMask(ts[i], ScreenGalleryCylinders)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ps[i%64].Score(ts[(i/64+i)%64], ms[(i/64+i)%64])
	}
}

func BenchmarkCompare(b *testing.B) {
	gen := synth.New(78)
	ts := make([]*match.Template, 64)
	for i := range ts {
		ts[i] = prepare(b, gen.Template())
	}
	var m match.Matcher
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Compare(ts[i%64], ts[(i/64+i)%64])
	}
}

// BenchmarkScreenPacked is the first stage's score per template as a
// search computes it: the default probe cylinders against a template in
// the gallery's packed form (compare with BenchmarkScreenProbe, the same
// pairs unpacked, in the same run).
func BenchmarkScreenPacked(b *testing.B) {
	gen := synth.New(78)
	ps := make([]*match.ScreenProbe, 64)
	packed := make([]match.Packed, 64)
	for i := range ps {
		t := prepare(b, gen.Template())
		ps[i] = match.NewScreenProbe(t, DefaultScreenCylinders)
		packed[i].Pack(t, ScreenGalleryCylinders)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ps[i%64].ScorePacked(&packed[(i/64+i)%64])
	}
}
