package eval

import (
	"math"
	"sort"
)

// Rates are the error rates of a set of genuine and impostor scores, a
// comparison being accepted when its score is at least the threshold.
type Rates struct {
	genuine, impostor []float64 // sorted ascending
}

// NewRates sorts copies of the scores.
func NewRates(genuine, impostor []float64) *Rates {
	r := &Rates{genuine: append([]float64(nil), genuine...), impostor: append([]float64(nil), impostor...)}
	sort.Float64s(r.genuine)
	sort.Float64s(r.impostor)
	return r
}

// FMR is the share of impostor scores at or above t.
func (r *Rates) FMR(t float64) float64 {
	if len(r.impostor) == 0 {
		return 0
	}
	i := sort.SearchFloat64s(r.impostor, t)
	return float64(len(r.impostor)-i) / float64(len(r.impostor))
}

// FNMR is the share of genuine scores below t.
func (r *Rates) FNMR(t float64) float64 {
	if len(r.genuine) == 0 {
		return 0
	}
	i := sort.SearchFloat64s(r.genuine, t)
	return float64(i) / float64(len(r.genuine))
}

// thresholds are the distinct scores, plus one above them all: every
// operating point of the system.
func (r *Rates) thresholds() []float64 {
	ts := make([]float64, 0, len(r.genuine)+len(r.impostor)+1)
	ts = append(ts, r.genuine...)
	ts = append(ts, r.impostor...)
	sort.Float64s(ts)
	k := 0
	for i, t := range ts {
		if i == 0 || t != ts[k-1] {
			ts[k] = t
			k++
		}
	}
	ts = ts[:k]
	top := 1.0
	if k > 0 {
		top = ts[k-1] + 1
	}
	return append(ts, top)
}

// EER is the equal error rate as FVC defines it (Maio et al., FVC2000):
// t1 is the highest threshold where FNMR <= FMR, t2 the lowest where
// FNMR >= FMR; the EER is the middle of the interval they span.
func (r *Rates) EER() float64 {
	ts := r.thresholds()
	t1, t2 := math.Inf(-1), math.Inf(1)
	for _, t := range ts {
		if r.FNMR(t) <= r.FMR(t) {
			t1 = t
		}
	}
	for i := len(ts) - 1; i >= 0; i-- {
		if r.FNMR(ts[i]) >= r.FMR(ts[i]) {
			t2 = ts[i]
		}
	}
	if math.IsInf(t1, 0) || math.IsInf(t2, 0) {
		return 0
	}
	fmr1, fnmr1 := r.FMR(t1), r.FNMR(t1)
	fmr2, fnmr2 := r.FMR(t2), r.FNMR(t2)
	var lo, hi float64
	if fnmr1+fmr1 <= fmr2+fnmr2 {
		lo, hi = fnmr1, fmr1
	} else {
		lo, hi = fmr2, fnmr2
	}
	return (lo + hi) / 2
}

// ThresholdAtFMR is the lowest threshold whose FMR is at most fmr.
func (r *Rates) ThresholdAtFMR(fmr float64) float64 {
	ts := r.thresholds()
	i := sort.Search(len(ts), func(i int) bool { return r.FMR(ts[i]) <= fmr })
	return ts[i]
}

// FNMRAtFMR is the FNMR at the lowest threshold whose FMR is at most fmr.
func (r *Rates) FNMRAtFMR(fmr float64) float64 {
	return r.FNMR(r.ThresholdAtFMR(fmr))
}

// DET returns the curve's points (FMR, FNMR), one per threshold, FMR
// decreasing.
func (r *Rates) DET() (fmr, fnmr []float64) {
	for _, t := range r.thresholds() {
		fmr = append(fmr, r.FMR(t))
		fnmr = append(fnmr, r.FNMR(t))
	}
	return fmr, fnmr
}
