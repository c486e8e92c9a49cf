package match

import "math"

// Score thresholds for fixed false-match rates: accept a comparison when
// Compare's score is at least the threshold.
//
// They were measured with
//
//	checkpost eval fingerprints --thresholds --no-within .../sd29-pgm \
//	    .../fvc2002/DB1_B .../fvc2002/DB2_B .../nist/sd29-pgm
//
// on impostor comparisons of tuning images only, pooled: every pair of
// impressions of different fingers within FVC2002 DB1_B and within DB2_B
// (2 x 2,880; both at their native resolution read as 500 ppi), every
// pair across DB1_B and DB2_B (6,400), and every pair of an FVC image with
// one of the 9 usable NIST SD29 images in shared/data (1,440; none within
// SD29, whose file names do not tell its fingers apart: a001_04p and
// b001_04p are one finger). 13,600 impostor comparisons in all; FVC2002
// DB3_B and DB4_B were not used.
//
// ThresholdFMR1e2 and ThresholdFMR1e3 are empirical quantiles (at most 136
// and 13 impostor scores lie at or above them, rounded to 5 decimals). An
// FMR of 0.01% is beyond what 13,600 comparisons can show (1.4 scores):
// ThresholdFMR1e4 is the larger of the empirical quantile (0.00657) and the
// quantile of an exponential fitted to the top 1% of the impostor scores
// (0.00554): an estimate. Measured again when pairs of minutiae began to
// count by the agreement of their orientation descriptors (the same 13,600
// pairs; before: 0.00317, 0.00503, 0.00665), and again when the
// extractor's rules against dots, spurs and bridges became relative to the
// ridge period (the same pairs; before: 0.00220, 0.00371, 0.00581), and
// when the Gabor filter across the ridges came to reach one ridge period
// each side (before: 0.00213, 0.00374, 0.00581), and when dark specks
// came to count as the local mean grey (before: 0.00221, 0.00405,
// 0.00739), and when dots and spurs went to 1.0 ridge period (before:
// 0.00219, 0.00381, 0.00751), and when scores came to be scaled by the
// agreement of the prints' flow (orient.go; before: 0.00218, 0.00418,
// 0.00819), and when the extractor's orientation field came to be taken
// with dark specks set to the local mean (before: 0.00119, 0.00274,
// 0.00576), and when the extractor's mask came to be smoothed by five
// majority passes (before: 0.00121, 0.00297, 0.00526), and when the
// least count of minutiae in the common area came to be a third of the
// smaller template's (global.go's overlapFloor; before: 0.00124,
// 0.00278, 0.00566), and when alignments turned more than 50° came to
// count less (global.go's rotPrior; before: 0.00131, 0.00302, 0.00566),
// and when the extractor came to join the gaps of broken ridges
// (extract's bridgeGaps; before: 0.00118, 0.00282, 0.00566), and when
// the common area came to count minutiae by their reliability
// (global.go's reliability; before: 0.00119, 0.00282, 0.00566), and
// when the extractor came to keep forks up to 5 pixels from the image's
// edge (extract's edgeForkPixels; before: 0.00156, 0.00359, 0.00734),
// and when it came to keep endings whose ridge runs towards the image's
// edge up to 4 pixels from it (extract's edgeCannotCut; before: 0.00152,
// 0.00346, 0.00542), and when templates with ridge maps came to be
// scaled by their ridges' agreement instead of their flows' and every
// score squashed to s/(1+s) (ridge.go; before: 0.00151, 0.00346, 0.00540;
// templates without ridge maps score as before but for the squash, a few
// tenths of a percent lower at these values), and again, unchanged, when
// small prints came to be rescued by their ridges alone (rescue.go), and
// when the minutiae came to be counted under the rescue's alignment too
// (rescue.go's recount; before: 0.00171, 0.00331, 0.00516; the exponential
// tail fit 0.00479 -> 0.00486), and when the rescue came to read two
// alignments and screen the consolidation's seeds, with a least count of
// 3 minutiae in a small common area (before: 0.00172, 0.00337, 0.00516;
// the tail fit 0.00486 -> 0.00485), and when the mean of the best local
// pairs (lss) came to take fewer of them for templates of fewer than
// about 28 minutiae (match.go's muNP 20 -> 28; before: 0.00174, 0.00337,
// 0.00516; the tail fit 0.00485 -> 0.00554, under the empirical
// 0.00657, which is kept as the rule above says), and when the extractor
// came to find cores and the matcher to screen the cores' alignment and
// count a fifth more where aligned cores meet (rescue.go; before:
// 0.00180, 0.00371, 0.00657; the tail fit 0.00554 -> 0.00569, under the
// empirical 0.00657, kept: impostor pairs whose cores meet by chance
// score higher).
// They hold for templates made by biometric/extract;
// templates without ridge maps (native versions 1 and 2) or descriptors
// (ISO, ANSI, native version 1) are put on about the same scale by
// ridgeCentre, descUnknown and orientUnknown.
const (
	ThresholdFMR1e2 = 0.00190
	ThresholdFMR1e3 = 0.00372
	ThresholdFMR1e4 = 0.00657
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
