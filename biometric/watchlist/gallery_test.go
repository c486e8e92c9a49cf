package watchlist

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/match"
	"checkpost/biometric/watchlist/synth"
)

func prepare(t testing.TB, src biometric.Template) *match.Template {
	t.Helper()
	p, err := match.Prepare(&src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// population enrols n generated subjects ("S0".."Sn-1") with one finger
// each (position right index) and returns, for each, a distorted mate.
func population(t testing.TB, g *Gallery, n int, seed uint64) []*match.Template {
	t.Helper()
	gen := synth.New(seed)
	mates := make([]*match.Template, n)
	var batch []Enrollment
	for i := 0; i < n; i++ {
		src := gen.Template()
		batch = append(batch, Enrollment{Subject: fmt.Sprintf("S%d", i), Fingers: []Finger{{Position: biometric.RightIndex, Template: prepare(t, src)}}})
		mates[i] = prepare(t, gen.Distort(src))
	}
	if err := g.EnrollBatch(batch); err != nil {
		t.Fatal(err)
	}
	return mates
}

func TestSearchFindsMateInBothModes(t *testing.T) {
	g := NewGallery()
	mates := population(t, g, 300, 1)
	for _, mode := range []Mode{TwoStage, Exhaustive} {
		found := 0
		for i := 0; i < 30; i++ {
			res, err := g.Search(context.Background(), []Probe{{Position: biometric.RightIndex, Template: mates[i]}}, SearchOptions{Mode: mode, Candidates: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Candidates) == 0 {
				t.Fatalf("%s: no candidates", mode)
			}
			for k := 1; k < len(res.Candidates); k++ {
				if res.Candidates[k].Score > res.Candidates[k-1].Score {
					t.Fatalf("%s: candidates not best first: %+v", mode, res.Candidates)
				}
			}
			c := res.Candidates[0]
			if c.Subject == fmt.Sprintf("S%d", i) {
				found++
				if c.FMR >= 1e-3 || math.Abs(c.FMR-match.FMRAt(c.Score)) > 1e-9*math.Max(1, c.FMR) {
					t.Errorf("%s: mate S%d: score %v with FMR %v (FMRAt gives %v)", mode, i, c.Score, c.FMR, match.FMRAt(c.Score))
				}
			}
			if mode == Exhaustive && res.Compared != 300 {
				t.Errorf("exhaustive compared %d templates, want 300", res.Compared)
			}
			if mode == TwoStage && (res.Screened != 300 || res.Compared != MinShortlist) {
				t.Errorf("two-stage screened %d and compared %d, want 300 and %d", res.Screened, res.Compared, MinShortlist)
			}
		}
		if found < 28 {
			t.Errorf("%s: %d of 30 distorted mates ranked first", mode, found)
		}
	}
}

func TestPositionsLimitTheSearch(t *testing.T) {
	g := NewGallery()
	gen := synth.New(2)
	src := gen.Template()
	other := gen.Template()
	if err := g.Enroll("A", Finger{Position: biometric.LeftThumb, Template: prepare(t, src)}, Finger{Position: biometric.RightIndex, Template: prepare(t, other)}); err != nil {
		t.Fatal(err)
	}
	probe := prepare(t, gen.Distort(src))
	res, err := g.Search(context.Background(), []Probe{{Position: biometric.RightIndex, Template: probe}}, SearchOptions{Mode: Exhaustive})
	if err != nil {
		t.Fatal(err)
	}
	if res.Compared != 1 || len(res.Candidates) != 1 || res.Candidates[0].Score > match.ThresholdFMR1e2 {
		t.Errorf("right-index probe against a left-thumb mate: compared %d, candidates %+v (want 1 comparison, a low score)", res.Compared, res.Candidates)
	}
	res, err = g.Search(context.Background(), []Probe{{Position: biometric.RightIndex, Template: probe}}, SearchOptions{Mode: Exhaustive, AnyPosition: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Compared != 2 || res.Candidates[0].Score < match.ThresholdFMR1e4 {
		t.Errorf("any position: compared %d, candidates %+v (want 2 comparisons and the mate)", res.Compared, res.Candidates)
	}
	fs, _ := g.Fingers("A")
	if len(fs) != 2 || fs[0] != biometric.LeftThumb || fs[1] != biometric.RightIndex {
		t.Errorf("fingers of A: %v", fs)
	}
}

func TestSeveralFingersFuse(t *testing.T) {
	g := NewGallery()
	mates := population(t, g, 50, 3)
	gen := synth.New(4)
	// Subject "TWO" has two fingers; probing with both gives a smaller
	// false-match rate than either alone.
	a, b := gen.Template(), gen.Template()
	if err := g.Enroll("TWO", Finger{Position: biometric.RightThumb, Template: prepare(t, a)}, Finger{Position: biometric.RightIndex, Template: prepare(t, b)}); err != nil {
		t.Fatal(err)
	}
	pa, pb := prepare(t, gen.Distort(a)), prepare(t, gen.Distort(b))
	_ = mates
	one, err := g.Search(context.Background(), []Probe{{Position: biometric.RightThumb, Template: pa}}, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	both, err := g.Search(context.Background(), []Probe{{Position: biometric.RightThumb, Template: pa}, {Position: biometric.RightIndex, Template: pb}}, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if one.Candidates[0].Subject != "TWO" || both.Candidates[0].Subject != "TWO" {
		t.Fatalf("mate not first: %+v / %+v", one.Candidates[0], both.Candidates[0])
	}
	c := both.Candidates[0]
	if len(c.Fingers) != 2 || c.FMR >= one.Candidates[0].FMR || c.Score <= one.Candidates[0].Score {
		t.Errorf("two fingers %+v not stronger than one %+v", c, one.Candidates[0])
	}
	want := FuseFMR([]float64{match.FMRAt(c.Fingers[0].Score), match.FMRAt(c.Fingers[1].Score)})
	if math.Abs(math.Log10(c.FMR)-math.Log10(want)) > 0.01*math.Abs(math.Log10(want)) { // finger scores are rounded
		t.Errorf("fused FMR %v, want %v", c.FMR, want)
	}
}

func TestFuseFMR(t *testing.T) {
	if got := FuseFMR([]float64{1e-3}); math.Abs(got-1e-3) > 1e-12 {
		t.Errorf("one finger: %v", got)
	}
	// Two fingers at 1e-3: t = 1e-6, F = t(1 - ln t) = 1e-6 * 14.8155.
	if got := FuseFMR([]float64{1e-3, 1e-3}); math.Abs(got/1e-6-(1+6*math.Ln10)) > 1e-6 {
		t.Errorf("two fingers: %v", got)
	}
	if got := FuseFMR([]float64{1e-3, 1}); got <= 1e-3 {
		t.Errorf("a finger without evidence must not strengthen the other: %v", got)
	}
	if got := FuseFMR([]float64{1e-300, 1e-300, 1e-300}); got != 0 && got > 1e-290 {
		t.Errorf("strong fingers: %v", got)
	}
	for _, f := range []float64{0.5, 1e-2, 1e-4, 1e-9} {
		if s := ScoreAtFMR(f); math.Abs(math.Log10(match.FMRAt(s))-math.Log10(f)) > 1e-6 {
			t.Errorf("ScoreAtFMR(%v) = %v, whose FMR is %v", f, s, match.FMRAt(s))
		}
	}
}

func TestRemoveAndCompact(t *testing.T) {
	g := NewGallery()
	n := slabSize + 500
	gen := synth.New(5)
	// Few distinct templates, many subjects: preparing is the slow part.
	var pool []*match.Template
	var srcs []biometric.Template
	for i := 0; i < 20; i++ {
		s := gen.Template()
		srcs = append(srcs, s)
		pool = append(pool, prepare(t, s))
	}
	var batch []Enrollment
	for i := 0; i < n; i++ {
		batch = append(batch, Enrollment{Subject: fmt.Sprintf("S%d", i), Fingers: []Finger{{Template: pool[i%20]}}})
	}
	if err := g.EnrollBatch(batch); err != nil {
		t.Fatal(err)
	}
	if st := g.Stats(); st.Templates != n || st.Subjects != n {
		t.Fatalf("stats %+v", st)
	}
	// Remove most of the first slab: it is compacted away.
	for i := 0; i < slabSize*3/4; i++ {
		if err := g.Remove(fmt.Sprintf("S%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Remove("S0"); !errors.Is(err, ErrNoSubject) {
		t.Errorf("removing twice: %v", err)
	}
	st := g.Stats()
	live := n - slabSize*3/4
	if st.Templates != live || st.Subjects != live || st.Slots >= n {
		t.Errorf("after removal: %+v (want %d live, fewer than %d slots)", st, live, n)
	}
	// S4000 (template 0 of the pool) is still found; removed subjects never.
	probe := prepare(t, gen.Distort(srcs[0]))
	res, err := g.Search(context.Background(), []Probe{{Template: probe}}, SearchOptions{Mode: Exhaustive, Candidates: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Compared != live {
		t.Errorf("compared %d, want %d", res.Compared, live)
	}
	var sawMate bool
	for _, c := range res.Candidates {
		var k int
		fmt.Sscanf(c.Subject, "S%d", &k)
		if k < slabSize*3/4 {
			t.Fatalf("removed subject %s returned", c.Subject)
		}
		if k == 3080 { // 3080 % 20 == 0
			sawMate = true
		}
	}
	if !sawMate {
		t.Errorf("S3080 (same template as the probe's source) not among %d candidates", len(res.Candidates))
	}
	// Enrolling more fingers to a subject moved by compaction keeps both.
	if err := g.Enroll("S3080", Finger{Template: pool[1]}); err != nil {
		t.Fatal(err)
	}
	if fs, _ := g.Fingers("S3080"); len(fs) != 2 {
		t.Errorf("S3080 has %d fingers, want 2", len(fs))
	}
}

func TestEnrollRejectsBadInput(t *testing.T) {
	g := NewGallery()
	tmpl := prepare(t, synth.New(6).Template())
	for _, c := range []struct {
		name string
		e    Enrollment
	}{
		{"empty id", Enrollment{Subject: "", Fingers: []Finger{{Template: tmpl}}}},
		{"control char", Enrollment{Subject: "a\nb", Fingers: []Finger{{Template: tmpl}}}},
		{"no fingers", Enrollment{Subject: "x"}},
		{"nil template", Enrollment{Subject: "x", Fingers: []Finger{{}}}},
		{"bad position", Enrollment{Subject: "x", Fingers: []Finger{{Position: 11, Template: tmpl}}}},
	} {
		if err := g.EnrollBatch([]Enrollment{{Subject: "ok", Fingers: []Finger{{Template: tmpl}}}, c.e}); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if g.Len() != 0 {
		t.Errorf("a rejected batch enrolled %d subjects", g.Len())
	}
	many := make([]Finger, MaxFingersPerSubject+1)
	for i := range many {
		many[i] = Finger{Template: tmpl}
	}
	if err := g.Enroll("big", many...); !errors.Is(err, ErrTooMany) {
		t.Errorf("too many fingers: %v", err)
	}
	if _, err := g.Search(context.Background(), nil, SearchOptions{}); !errors.Is(err, ErrNoProbe) {
		t.Errorf("no probe: %v", err)
	}
}

func TestMemoryPerTemplate(t *testing.T) {
	tmpl := prepare(t, synth.New(7).Template())
	// At most 2 KB per template, for a tenprint watchlist (ten fingers
	// per subject) and for one finger per subject (the bench's
	// distractors), where each template pays a subject's entry alone.
	for _, c := range []struct {
		fingers int
		limit   float64
	}{{10, 2048}, {1, 2048}} {
		g := NewGallery()
		var batch []Enrollment
		for i := 0; i < 4*slabSize/c.fingers; i++ {
			e := Enrollment{Subject: fmt.Sprintf("SUBJ-%07d", i)}
			for k := 0; k < c.fingers; k++ {
				e.Fingers = append(e.Fingers, Finger{Position: biometric.Position(1 + k%10), Template: tmpl})
			}
			batch = append(batch, e)
		}
		if err := g.EnrollBatch(batch); err != nil {
			t.Fatal(err)
		}
		b := g.Stats().BytesPerTemplate()
		t.Logf("%d fingers per subject: %.0f bytes per template", c.fingers, b)
		if b > c.limit {
			t.Errorf("%d fingers per subject: %.0f bytes per template (limit %.0f)", c.fingers, b, c.limit)
		}
	}
}

// TestConcurrentEnrolRemoveSearch runs searches while subjects are
// enrolled and removed; run it with -race. A subject enrolled before the
// searches start and never removed is found first by every search.
func TestConcurrentEnrolRemoveSearch(t *testing.T) {
	g := NewGallery()
	gen := synth.New(8)
	var pool []*match.Template
	for i := 0; i < 16; i++ {
		pool = append(pool, prepare(t, gen.Template()))
	}
	src := gen.Template()
	if err := g.Enroll("FIXED", Finger{Template: prepare(t, src)}); err != nil {
		t.Fatal(err)
	}
	probe := prepare(t, gen.Distort(src))
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("W%d-%d", w, i)
				if err := g.Enroll(id, Finger{Template: pool[i%16]}, Finger{Template: pool[(i+1)%16]}); err != nil {
					t.Error(err)
					return
				}
				if i%3 != 0 {
					if err := g.Remove(id); err != nil {
						t.Error(err)
						return
					}
				}
				writes.Add(1)
			}
		}(w)
	}
	var searches sync.WaitGroup
	for s := 0; s < 2; s++ {
		searches.Add(1)
		go func() {
			defer searches.Done()
			for i := 0; i < 6; i++ {
				mode := Mode(i % 2)
				res, err := g.Search(context.Background(), []Probe{{Template: probe}}, SearchOptions{Mode: mode, Workers: 2})
				if err != nil {
					t.Error(err)
					return
				}
				if len(res.Candidates) == 0 || res.Candidates[0].Subject != "FIXED" {
					t.Errorf("search %d (%s): first candidate %+v, want FIXED", i, mode, res.Candidates)
				}
			}
		}()
	}
	searches.Wait()
	stop.Store(true)
	wg.Wait()
	if writes.Load() == 0 {
		t.Error("no enrolment or removal ran during the searches")
	}
	if !g.Has("FIXED") {
		t.Error("FIXED lost")
	}
}

// The id index agrees with a map through enrolments and removals that
// grow it and shift its runs.
func TestIDIndexAgreesWithMap(t *testing.T) {
	tmpl := prepare(t, synth.New(9).Template())
	g := NewGallery()
	model := map[string]bool{}
	x := uint32(12345)
	rnd := func(n int) int { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return int(x % uint32(n)) }
	for step := 0; step < 6000; step++ {
		id := fmt.Sprintf("S%d", rnd(3000))
		if model[id] && rnd(3) == 0 {
			if err := g.Remove(id); err != nil {
				t.Fatal(err)
			}
			delete(model, id)
		} else {
			if err := g.Enroll(id, Finger{Template: tmpl}); err != nil && !errors.Is(err, ErrTooMany) {
				t.Fatal(err)
			}
			model[id] = true
		}
		if step%500 == 0 || step == 5999 {
			for k := 0; k < 3000; k++ {
				id := fmt.Sprintf("S%d", k)
				if g.Has(id) != model[id] {
					t.Fatalf("step %d: Has(%q) = %v, want %v", step, id, g.Has(id), model[id])
				}
			}
			if g.Len() != len(model) {
				t.Fatalf("step %d: %d subjects, want %d", step, g.Len(), len(model))
			}
		}
	}
}
