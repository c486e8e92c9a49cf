package watchlist

import (
	"math"

	"checkpost/biometric/match"
)

// fmrAt is the single-comparison false-match rate of a score.
func fmrAt(s float64) float64 { return match.FMRAt(s) }

// FuseFMR combines the false-match rates of several fingers of one person
// into the false-match rate of the combination: the chance that unrelated
// persons' fingers give a product of rates this small, when the fingers
// are independent (Fisher's method: for k fingers whose rates multiply to
// t, it is t times the sum over j < k of (-ln t)^j / j!). For one finger it
// is that finger's rate. A finger compared with nothing counts as rate 1:
// it adds no evidence, and the k it adds makes the fused rate larger.
func FuseFMR(fmrs []float64) float64 {
	return math.Pow(10, fuseLog10(fmrs))
}

// fuseLog10 is log10 of FuseFMR, computed in logarithms so that many
// strong fingers do not underflow.
func fuseLog10(fmrs []float64) float64 {
	if len(fmrs) == 0 {
		return 0
	}
	lnT := 0.0
	for _, f := range fmrs {
		f = math.Min(1, f)
		if f <= 0 {
			f = math.SmallestNonzeroFloat64
		}
		lnT += math.Log(f)
	}
	sum, term := 0.0, 1.0
	for j := 0; j < len(fmrs); j++ {
		if j > 0 {
			term *= -lnT / float64(j)
		}
		sum += term
	}
	return math.Min(0, (lnT+math.Log(sum))/math.Ln10)
}

// ScoreAtFMR returns the single-comparison score whose false-match rate
// (match.FMRAt) is fmr: the fused FMR of several fingers expressed on the
// matcher's scale.
func ScoreAtFMR(fmr float64) float64 {
	if fmr >= 1 {
		return 0
	}
	lo, hi := 0.0, 1.0
	for match.FMRAt(hi) > fmr && hi < 64 {
		hi *= 2
	}
	for i := 0; i < 60; i++ {
		mid := (lo + hi) / 2
		if match.FMRAt(mid) > fmr {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
