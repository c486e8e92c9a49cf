package watchlist

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"checkpost/biometric"
	"checkpost/biometric/match"
)

// Mode is how a search scores the gallery.
type Mode int

// The search modes.
const (
	// TwoStage screens every compatible template with the matcher's cheap
	// screening score computed from the probe's most complete cylinders
	// (match.ScreenProbe; see SearchOptions.ScreenCylinders), then compares
	// the shortlist (see SearchOptions.Shortlist) accurately with
	// match.Matcher.Compare.
	TwoStage Mode = iota
	// Exhaustive compares every compatible template accurately.
	Exhaustive
)

func (m Mode) String() string {
	if m == Exhaustive {
		return "exhaustive"
	}
	return "two-stage"
}

// ParseMode reads "two-stage" or "exhaustive".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "two-stage", "twostage", "":
		return TwoStage, nil
	case "exhaustive":
		return Exhaustive, nil
	}
	return 0, fmt.Errorf("watchlist: unknown search mode %q (want two-stage or exhaustive)", s)
}

// Probe is one finger of the person searched for.
type Probe struct {
	// Position, when known, limits the search to templates of the same
	// position (and those of unknown position), unless
	// SearchOptions.AnyPosition is set.
	Position biometric.Position
	Template *match.Template
}

// SearchOptions tunes a search; the zero value is the default.
type SearchOptions struct {
	Mode Mode
	// Candidates is how many subjects to return at most (default 10).
	Candidates int
	// MinScore drops candidates whose fused score is below it (default 0:
	// keep the best Candidates whatever their score).
	MinScore float64
	// Shortlist is how many templates per probe finger the first stage of
	// a two-stage search passes to accurate comparison (default:
	// DefaultShortlist of the templates screened, at least
	// MinShortlist). Every template of a shortlisted subject is compared.
	Shortlist int
	// ScreenCylinders is how many of each probe's cylinders the first
	// stage reads (default DefaultScreenCylinders; negative: all of them,
	// which scores as match.Matcher.Screen does). The first stage's cost
	// is about proportional to it.
	ScreenCylinders int
	// AnyPosition compares every template whatever the positions.
	AnyPosition bool
	// Workers is the number of goroutines (default GOMAXPROCS).
	Workers int
}

// First-stage defaults: the probe cylinders screened, and the shortlist, a
// share of the templates screened with a floor. Chosen on the tuning sets
// only (FVC2002 DB1_B and DB2_B, impression 1 enrolled among 10,000
// generated distractors, impressions 2-8 as probes, 140 searches): the
// share of mates whose screening score ranks within the top 0.5% / 2% /
// 10% is 97.1 / 98.6 / 98.6 with all of the probe's cylinders, 95.0 / 97.1
// / 97.1 with the 16 most complete, 93.6 / 96.4 / 97.1 with 12, 87.9 /
// 92.9 / 97.1 with 8; the first stage's time per template is about
// proportional to the cylinders read (a probe keeps up to 48). The
// shortlist, with the 16 and 24 cylinders of the defaults, on the same
// tuning sets with 20,000 generated distractors (synth seed 5): mates
// within the top 0.5% / 1% / 2% 95.0 / 96.4 / 96.4, rank-1 after Compare
// of that shortlist 94.3 / 95.0 / 95.0 (exhaustive 96.4); 1% halves the
// accurate comparisons of 2% (at 1,000,000 templates about a third of a
// search) and found no mate fewer.
const (
	DefaultScreenCylinders = 16
	// ScreenGalleryCylinders is how many of an enrolled template's
	// cylinders (the most complete) the first stage reads.
	ScreenGalleryCylinders = 24
	DefaultShortlist       = 0.01
	MinShortlist           = 200
)

// FingerScore is the best score of one probe finger against a candidate.
type FingerScore struct {
	Probe    int                `json:"probe"`
	Position biometric.Position `json:"position"`
	Score    float64            `json:"score"`
}

// Candidate is an enrolled subject ranked by a search.
type Candidate struct {
	Subject string `json:"subject"`
	// Score is the fused similarity on the matcher's scale: for one probe
	// finger the best Compare score among the subject's templates; for
	// several, the single-finger score whose false-match rate equals the
	// fused one.
	Score float64 `json:"score"`
	// FMR is the false-match rate that Score corresponds to: the chance
	// that one comparison of unrelated prints (unrelated persons, for
	// several fingers) scores this high (match.FMRAt, fused over fingers
	// assuming independence: FuseFMR).
	FMR     float64       `json:"fmr"`
	Fingers []FingerScore `json:"fingers,omitempty"`
}

// Result is a search's answer.
type Result struct {
	Candidates []Candidate
	Mode       Mode
	// Screened counts first-stage comparisons (two-stage only), Compared
	// accurate comparisons.
	Screened, Compared int
	// Templates is the number of live templates searched, Subjects of
	// subjects.
	Templates, Subjects int
	Elapsed             time.Duration
}

// ErrNoProbe is returned by Search without a usable probe.
var ErrNoProbe = errors.New("watchlist: no probe finger")

// Search ranks the enrolled subjects against the probe fingers of one
// person. It reads one snapshot of the gallery: enrolments and removals
// that happen meanwhile are seen by later searches.
func (g *Gallery) Search(ctx context.Context, probes []Probe, opt SearchOptions) (*Result, error) {
	start := time.Now()
	if len(probes) == 0 {
		return nil, ErrNoProbe
	}
	for i, p := range probes {
		if p.Template == nil || p.Template.Len() == 0 {
			return nil, fmt.Errorf("%w: probe %d has an empty template", ErrNoProbe, i+1)
		}
	}
	if opt.Candidates <= 0 {
		opt.Candidates = 10
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s := g.snap.Load()
	res := &Result{Mode: opt.Mode, Templates: s.templates, Subjects: s.live}
	if s.live == 0 {
		res.Elapsed = time.Since(start)
		return res, nil
	}
	sr := &search{s: s, probes: probes, opt: opt, workers: workers}
	var subjects []uint32
	var err error
	if opt.Mode == Exhaustive {
		subjects, err = sr.allSubjects()
	} else {
		subjects, err = sr.screen(ctx)
		res.Screened = int(sr.screened.Load())
	}
	if err != nil {
		return nil, err
	}
	res.Candidates, err = sr.rescore(ctx, subjects)
	res.Compared = int(sr.compared.Load())
	res.Elapsed = time.Since(start)
	return res, err
}

type search struct {
	s        *snapshot
	probes   []Probe
	opt      SearchOptions
	workers  int
	screened atomic.Int64
	compared atomic.Int64
}

func (sr *search) compatible(p biometric.Position, q biometric.Position) bool {
	return sr.opt.AnyPosition || p == biometric.PositionUnknown || q == biometric.PositionUnknown || p == q
}

func (sr *search) allSubjects() ([]uint32, error) {
	out := make([]uint32, 0, sr.s.live)
	for i := 0; i < sr.s.nSubjects; i++ {
		if sr.s.subject(uint32(i)) != nil {
			out = append(out, uint32(i))
		}
	}
	return out, nil
}

// slotScore is a template's first-stage score.
type slotScore struct {
	score float32
	slot  uint32
}

// slotHeap is a min-heap: the root is the weakest kept.
type slotHeap []slotScore

func (h slotHeap) Len() int           { return len(h) }
func (h slotHeap) Less(i, j int) bool { return h[i].score < h[j].score }
func (h slotHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *slotHeap) Push(x any)        { *h = append(*h, x.(slotScore)) }
func (h *slotHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// screen runs the first stage and returns the shortlisted subjects.
func (sr *search) screen(ctx context.Context) ([]uint32, error) {
	s := sr.s
	// The shortlist size: a share of the templates each probe is screened
	// against.
	short := make([]int, len(sr.probes))
	for p, pr := range sr.probes {
		n := 0
		for _, v := range s.slabs {
			if v.s == nil {
				continue
			}
			if sr.opt.AnyPosition || pr.Position == biometric.PositionUnknown {
				n += v.live
				continue
			}
			for i := 0; i < v.n; i++ {
				if !v.isDead(i) && sr.compatible(pr.Position, v.s.pos[i]) {
					n++
				}
			}
		}
		k := sr.opt.Shortlist
		if k <= 0 {
			k = max(MinShortlist, int(math.Ceil(DefaultShortlist*float64(n))))
		}
		short[p] = k
	}
	nc := sr.opt.ScreenCylinders
	if nc == 0 {
		nc = DefaultScreenCylinders
	}
	sps := make([]*match.ScreenProbe, len(sr.probes))
	for p, pr := range sr.probes {
		sps[p] = match.NewScreenProbe(pr.Template, nc)
	}
	var next atomic.Int64
	heaps := make([][]slotHeap, sr.workers)
	var wg sync.WaitGroup
	for w := 0; w < sr.workers; w++ {
		heaps[w] = make([]slotHeap, len(sr.probes))
		wg.Add(1)
		for p := range heaps[w] {
			heaps[w][p] = make(slotHeap, 0, short[p])
		}
		go func(hs []slotHeap) {
			defer wg.Done()
			n := int64(0)
			for {
				si := int(next.Add(1) - 1)
				if si >= len(s.slabs) || ctx.Err() != nil {
					break
				}
				v := &s.slabs[si]
				if v.s == nil {
					continue
				}
				for i := 0; i < v.n; i++ {
					if v.isDead(i) {
						continue
					}
					t := &v.s.tmpl[i]
					for p := range sr.probes {
						pr := &sr.probes[p]
						if !sr.compatible(pr.Position, v.s.pos[i]) {
							continue
						}
						sc := sps[p].ScorePacked(t)
						n++
						h := &hs[p]
						if len(*h) < short[p] {
							*h = append(*h, slotScore{sc, uint32(si*slabSize + i)})
							if len(*h) == short[p] {
								heap.Init(h)
							}
						} else if sc > (*h)[0].score {
							(*h)[0] = slotScore{sc, uint32(si*slabSize + i)}
							heap.Fix(h, 0)
						}
					}
				}
			}
			sr.screened.Add(n)
		}(heaps[w])
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	seen := map[uint32]bool{}
	var out []uint32
	for p := range sr.probes {
		var all []slotScore
		for w := range heaps {
			all = append(all, heaps[w][p]...)
		}
		sort.Slice(all, func(i, j int) bool { return all[i].score > all[j].score })
		if len(all) > short[p] {
			all = all[:short[p]]
		}
		for _, x := range all {
			v := &s.slabs[x.slot/slabSize]
			owner := v.s.owner[x.slot%slabSize]
			if !seen[owner] {
				seen[owner] = true
				out = append(out, owner)
			}
		}
	}
	return out, nil
}

// fused is a subject's fused evidence while ranking.
type fused struct {
	subject uint32
	logFMR  float64 // sum over probes of log10 FMR (0 for no evidence)
	best    [maxProbes]float32
}

// maxProbes bounds the fingers of one search (a tenprint plus spares).
const maxProbes = 16

// rescore compares the probes accurately with every compatible template of
// the given subjects and returns the best candidates.
func (sr *search) rescore(ctx context.Context, subjects []uint32) ([]Candidate, error) {
	if len(sr.probes) > maxProbes {
		return nil, fmt.Errorf("watchlist: %d probe fingers (at most %d)", len(sr.probes), maxProbes)
	}
	s := sr.s
	keep := sr.opt.Candidates
	var next atomic.Int64
	const batch = 64
	tops := make([][]fused, sr.workers)
	var wg sync.WaitGroup
	for w := 0; w < sr.workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var m match.Matcher
			var t match.Template // the template compared, unpacked
			var top fusedHeap
			n := int64(0)
			for {
				lo := int(next.Add(batch) - batch)
				if lo >= len(subjects) || ctx.Err() != nil {
					break
				}
				for _, idx := range subjects[lo:min(lo+batch, len(subjects))] {
					sub := s.subject(idx)
					if sub == nil {
						continue
					}
					f := fused{subject: idx}
					for _, r := range sub.refs {
						v := &s.slabs[r/slabSize]
						i := r % slabSize
						unpacked := false
						for p := range sr.probes {
							if !sr.compatible(sr.probes[p].Position, v.s.pos[i]) {
								continue
							}
							if !unpacked {
								v.s.tmpl[i].Unpack(&t)
								unpacked = true
							}
							sc := float32(m.Compare(sr.probes[p].Template, &t))
							n++
							if sc > f.best[p] {
								f.best[p] = sc
							}
						}
					}
					for p := range sr.probes {
						if f.best[p] > 0 {
							f.logFMR += math.Log10(fmrAt(float64(f.best[p])))
						}
					}
					if len(top) < keep {
						heap.Push(&top, f)
					} else if f.better(&top[0]) {
						top[0] = f
						heap.Fix(&top, 0)
					}
				}
			}
			sr.compared.Add(n)
			tops[w] = top
		}(w)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var all []fused
	for _, t := range tops {
		all = append(all, t...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].better(&all[j]) })
	if len(all) > keep {
		all = all[:keep]
	}
	out := make([]Candidate, 0, len(all))
	for _, f := range all {
		c := Candidate{Subject: s.subject(f.subject).id}
		fmrs := make([]float64, len(sr.probes))
		for p := range sr.probes {
			fmrs[p] = match.FMRAt(float64(f.best[p]))
			c.Fingers = append(c.Fingers, FingerScore{Probe: p, Position: sr.probes[p].Position, Score: round(float64(f.best[p]), 5)})
		}
		c.FMR = FuseFMR(fmrs)
		if len(sr.probes) == 1 {
			c.Score = float64(f.best[0])
		} else {
			c.Score = ScoreAtFMR(c.FMR)
		}
		c.Score = round(c.Score, 5)
		if c.Score < sr.opt.MinScore {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// better orders candidates: lower fused FMR first, then higher best score,
// then lower subject index (so that ties rank the same every time).
func (f *fused) better(o *fused) bool {
	if f.logFMR != o.logFMR {
		return f.logFMR < o.logFMR
	}
	fb, ob := f.maxBest(), o.maxBest()
	if fb != ob {
		return fb > ob
	}
	return f.subject < o.subject
}

func (f *fused) maxBest() float32 {
	var b float32
	for _, v := range f.best {
		b = max(b, v)
	}
	return b
}

// fusedHeap is a min-heap on rank: the root is the weakest kept.
type fusedHeap []fused

func (h fusedHeap) Len() int           { return len(h) }
func (h fusedHeap) Less(i, j int) bool { return h[j].better(&h[i]) }
func (h fusedHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *fusedHeap) Push(x any)        { *h = append(*h, x.(fused)) }
func (h *fusedHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
