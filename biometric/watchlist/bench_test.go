package watchlist

import (
	"context"
	"fmt"
	"testing"

	"checkpost/biometric/match"
	"checkpost/biometric/watchlist/synth"
)

// benchGallery is n single-finger subjects over 512 distinct generated
// templates (preparing a million would take minutes; the memory each
// search streams through is the same).
func benchGallery(b *testing.B, n int) (*Gallery, *match.Template) {
	gen := synth.New(77)
	pool := make([]*match.Template, 512)
	for i := range pool {
		pool[i] = prepare(b, gen.Template())
	}
	g := NewGallery()
	batch := make([]Enrollment, 0, 8192)
	for i := 0; i < n; i++ {
		batch = append(batch, Enrollment{Subject: fmt.Sprintf("B%07d", i), Fingers: []Finger{{Template: pool[i%len(pool)]}}})
		if len(batch) == cap(batch) || i == n-1 {
			if err := g.EnrollBatch(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return g, prepare(b, gen.Template())
}

func benchSearch(b *testing.B, n int, mode Mode) {
	g, probe := benchGallery(b, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.Search(context.Background(), []Probe{{Template: probe}}, SearchOptions{Mode: mode}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "templates/s")
}

func BenchmarkSearchTwoStage100k(b *testing.B)   { benchSearch(b, 100_000, TwoStage) }
func BenchmarkSearchExhaustive100k(b *testing.B) { benchSearch(b, 100_000, Exhaustive) }

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
