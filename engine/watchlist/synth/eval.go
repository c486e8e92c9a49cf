package synth

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"checkpost/engine/watchlist"
)

// Measurement is what screening every probe of a set returned: enough to
// compute the accuracy at any threshold above the one screened with.
type Measurement struct {
	Floor     float64 // the threshold the probes were screened with
	mates     []outcome
	impostors []outcome
	// Latencies of the screenings, in probe order (mates then impostors).
	Latencies []time.Duration
}

type outcome struct {
	kind   string
	want   int64
	scores []float64 // scores of the hits, best first
	ids    []int64
}

// Measure screens every probe of the set with the floor threshold.
func Measure(list watchlist.PersonList, set *Set, floor float64) *Measurement {
	m := &Measurement{Floor: floor}
	screen := func(p Probe) outcome {
		q := p.Query
		q.MinScore = floor
		q.Limit = 50
		start := time.Now()
		hits := list.Screen(q)
		m.Latencies = append(m.Latencies, time.Since(start))
		o := outcome{kind: p.Kind, want: p.Want}
		for _, h := range hits {
			o.scores = append(o.scores, h.Score)
			o.ids = append(o.ids, h.Person.ID)
		}
		return o
	}
	for _, p := range set.Mates {
		m.mates = append(m.mates, screen(p))
	}
	for _, p := range set.Impostors {
		m.impostors = append(m.impostors, screen(p))
	}
	return m
}

// Result is the accuracy at one threshold.
type Result struct {
	Threshold float64
	// Mates screened, mates whose person was among the hits, and mates
	// whose person was the best hit.
	Mates, MatesFound, MatesRank1 int
	// Impostors screened and impostors with at least one hit.
	Impostors, ImpostorAlarms int
	// Hits is every (probe, person) pair reported; CorrectHits those that
	// name the probe's person.
	Hits, CorrectHits int
	// Misses and false alarms by probe kind (mates' kinds, impostors'
	// kinds); a mate made in several ways counts under each.
	MissesByKind, MatesByKind, AlarmsByKind, ImpostorsByKind map[string]int
}

// At computes the accuracy at a threshold (at least the floor).
func (m *Measurement) At(threshold float64) *Result {
	r := &Result{Threshold: threshold, MissesByKind: map[string]int{}, MatesByKind: map[string]int{}, AlarmsByKind: map[string]int{}, ImpostorsByKind: map[string]int{}}
	for _, o := range m.mates {
		r.Mates++
		found := false
		for i, s := range o.scores {
			if s < threshold {
				break
			}
			r.Hits++
			if o.ids[i] == o.want {
				found = true
				r.CorrectHits++
				if i == 0 {
					r.MatesRank1++
				}
			}
		}
		if found {
			r.MatesFound++
		}
		for _, k := range strings.Split(o.kind, "+") {
			r.MatesByKind[k]++
			if !found {
				r.MissesByKind[k]++
			}
		}
	}
	for _, o := range m.impostors {
		r.Impostors++
		r.ImpostorsByKind[o.kind]++
		n := 0
		for _, s := range o.scores {
			if s >= threshold {
				n++
			}
		}
		r.Hits += n
		if n > 0 {
			r.ImpostorAlarms++
			r.AlarmsByKind[o.kind]++
		}
	}
	return r
}

// Evaluate screens every probe of the set against the list at the
// threshold.
func Evaluate(list watchlist.PersonList, set *Set, threshold float64) *Result {
	return Measure(list, set, threshold).At(threshold)
}

// Recall is the share of mates whose person was hit.
func (r *Result) Recall() float64 { return ratio(r.MatesFound, r.Mates) }

// Precision is the share of hits that name the right person.
func (r *Result) Precision() float64 { return ratio(r.CorrectHits, r.Hits) }

// ImpostorAlarmRate is the share of unlisted travellers who raised a hit.
func (r *Result) ImpostorAlarmRate() float64 { return ratio(r.ImpostorAlarms, r.Impostors) }

// Rank1 is the share of mates whose person was the best hit.
func (r *Result) Rank1() float64 { return ratio(r.MatesRank1, r.Mates) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Percentile returns the latency below which the share q of the screenings
// finished.
func Percentile(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}

// WriteBreakdown prints the misses and false alarms by kind of probe.
func (r *Result) WriteBreakdown(w io.Writer) {
	line := func(title string, bad, all map[string]int) {
		kinds := make([]string, 0, len(all))
		for k := range all {
			kinds = append(kinds, k)
		}
		sort.Slice(kinds, func(i, j int) bool {
			return all[kinds[i]] > all[kinds[j]] || all[kinds[i]] == all[kinds[j]] && kinds[i] < kinds[j]
		})
		var parts []string
		for _, k := range kinds {
			parts = append(parts, fmt.Sprintf("%s %d/%d", k, bad[k], all[k]))
		}
		fmt.Fprintf(w, "  %s: %s\n", title, strings.Join(parts, ", "))
	}
	line("missed mates by kind", r.MissesByKind, r.MatesByKind)
	line("impostors with a hit by kind", r.AlarmsByKind, r.ImpostorsByKind)
}
