package eval

import (
	"context"
	"math"
	"sort"

	"checkpost/biometric/match"
)

// Thresholds are score thresholds for fixed false-match rates measured on
// a pool of impostor comparisons.
type Thresholds struct {
	ImpostorPairs int     `json:"impostor_pairs"`
	FMR1e2        float64 `json:"threshold_fmr_1e-2"`
	FMR1e3        float64 `json:"threshold_fmr_1e-3"`
	// FMR1e4 is empirical (meaningful only with well over 10,000 pairs);
	// FMR1e4Tail extrapolates an exponential fitted to the top 1% of the
	// impostor scores.
	FMR1e4     float64 `json:"threshold_fmr_1e-4"`
	FMR1e4Tail float64 `json:"threshold_fmr_1e-4_tail_fit"`
	TailMean   float64 `json:"tail_mean_excess"`
}

// PooledImpostors returns the impostor scores of the reports (pairs of
// different fingers within a folder) plus every pair of samples with a
// template from two different folders. Folders listed in noWithin contribute no pairs
// within themselves (for sets whose names do not identify fingers safely).
func PooledImpostors(ctx context.Context, reps []*Report, noWithin map[string]bool) []float64 {
	var m match.Matcher
	var out []float64
	for i, r := range reps {
		if !noWithin[r.Dir] {
			out = append(out, r.Impostor...)
		}
		for _, r2 := range reps[i+1:] {
			for _, a := range r.Samples {
				if ctx.Err() != nil {
					return out
				}
				for _, b := range r2.Samples {
					// Samples without a template (blank images) would
					// only add zeros that say nothing about the tail.
					if a.Prepared != nil && b.Prepared != nil {
						out = append(out, m.Compare(a.Prepared, b.Prepared))
					}
				}
			}
		}
	}
	return out
}

// MeasureThresholds computes the thresholds of a pool of impostor scores.
func MeasureThresholds(impostor []float64) Thresholds {
	r := NewRates(nil, impostor)
	t := Thresholds{
		ImpostorPairs: len(impostor),
		FMR1e2:        r.ThresholdAtFMR(1e-2),
		FMR1e3:        r.ThresholdAtFMR(1e-3),
		FMR1e4:        r.ThresholdAtFMR(1e-4),
	}
	s := append([]float64(nil), impostor...)
	sort.Float64s(s)
	k := len(s) / 100
	if k >= 10 {
		u := s[len(s)-k-1]
		var sum float64
		for _, v := range s[len(s)-k:] {
			sum += v - u
		}
		t.TailMean = sum / float64(k)
		// FMR(x) = 1% * exp(-(x-u)/mean) beyond u.
		t.FMR1e4Tail = u + t.TailMean*math.Log(100)
	}
	return t
}
