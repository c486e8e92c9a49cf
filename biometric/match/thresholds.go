package match

import "math"

// Score thresholds for fixed false-match rates: accept a comparison when
// Compare's score is at least the threshold.
//
// They were measured with `checkpost eval fingerprints --thresholds` on the
// impostor comparisons of the tuning images only: FVC2002 DB1_B and DB2_B
// (DB2_B resampled from 569 to 500 ppi) and the 10 NIST SD29 images in
// shared/data (sd29-pgm), pooled: every pair of impressions of different
// fingers within DB1_B and within DB2_B (2 x 2,880), every pair across
// DB1_B, DB2_B and SD29 (12,800 + 1,600), and none within SD29 (its card
// names do not tell the fingers apart safely), 20,160 impostor
// comparisons in all. FVC2002 DB3_B and DB4_B were not used.
//
// ThresholdFMR1e2 and ThresholdFMR1e3 are empirical quantiles (about 202
// and 20 impostor scores lie at or above them). ThresholdFMR1e4 lies
// beyond what 20,160 comparisons can show (2 scores); it is the quantile
// of an exponential fitted to the top 1% of impostor scores (its tail
// decays like an exponential on these data), so treat it as an estimate.
const (
	ThresholdFMR1e2 = 0.00458
	ThresholdFMR1e3 = 0.00698
	ThresholdFMR1e4 = 0.01105
)

// FMRAt estimates the false-match rate of accepting at score s, from the
// thresholds above: log-linear between them, 1 for scores of 0, and
// ThresholdFMR1e4's tail model beyond it.
func FMRAt(s float64) float64 {
	switch {
	case s <= 0:
		return 1
	case s < ThresholdFMR1e2:
		return math.Min(1, 1e-2*math.Pow(1e2, (ThresholdFMR1e2-s)/ThresholdFMR1e2))
	}
	pts := [...]struct{ t, fmr float64 }{{ThresholdFMR1e2, 1e-2}, {ThresholdFMR1e3, 1e-3}, {ThresholdFMR1e4, 1e-4}}
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		if s < b.t {
			f := (s - a.t) / (b.t - a.t)
			return math.Pow(10, math.Log10(a.fmr)+f*(math.Log10(b.fmr)-math.Log10(a.fmr)))
		}
	}
	// Beyond the last point: the same log-linear slope as the last
	// interval, which the exponential tail model makes straight.
	a, b := pts[1], pts[2]
	slope := (math.Log10(b.fmr) - math.Log10(a.fmr)) / (b.t - a.t)
	return math.Pow(10, math.Log10(b.fmr)+slope*(s-b.t))
}
