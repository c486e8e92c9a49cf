package match

import "math"

// Orientation descriptors (biometric.Minutia.Orientation, made by
// biometric/extract): eight 4-bit codes of the ridge orientation at fixed
// points around a minutia relative to its direction, 1..15 in 12° steps,
// 0 for a point outside the print. Two minutiae paired under an alignment
// count as much as their descriptors agree: a pair whose surrounding flow
// differs is more likely a chance pair of two fingers, and wet or dry
// skin that breaks the ridges leaves the flow alone.
//
// The agreement of one point is a Gaussian of the orientation difference
// (descSigma); a pair's is the mean over the points inside both prints,
// mapped from [descLo, descHi] onto [0, 1]. Chosen on FVC2002 DB1_B and
// DB2_B, whole and cropped (sigma 10-30°, ranges 0-0.4 to 0.7-0.95; the
// descriptors in the local pairs' similarity as well was worse).
const (
	descSigma  = 14.0 // degrees
	descMinPts = 3    // fewer points in both prints: unknown
	descLo     = 0.3
	descHi     = 0.8
)

// descUnknown is what a pair counts when its descriptors have fewer than
// descMinPts points in common: always for templates without descriptors
// (ISO/IEC 19794-2, ANSI INCITS 378, native version 1). It puts their
// scores on the scale of the shipped thresholds: with the descriptors
// removed from the tuning templates, the pooled impostor pairs of
// ThresholdFMR1e2 give thresholds 0.00229 (FMR 1%) and 0.00362 (0.1%),
// against 0.00220 and 0.00371 with them (0.75 gave 0.00178 and 0.00282).
const descUnknown = 0.85

// descAgree[ca<<4|cb] is the agreement of two codes (both non-zero).
var descAgree [256]float32

func init() {
	for ca := 1; ca < 16; ca++ {
		for cb := 1; cb < 16; cb++ {
			d := ca - cb
			if d < 0 {
				d = -d
			}
			d = min(d, 15-d)
			deg := float64(d) * 12
			descAgree[ca<<4|cb] = float32(math.Exp(-deg * deg / (2 * descSigma * descSigma)))
		}
	}
}

// descWeight is what a pair of minutiae with descriptors da, db counts.
func descWeight(da, db uint32) float32 {
	var sum float32
	n := 0
	for k := 0; k < 8; k++ {
		ca, cb := da>>(4*k)&15, db>>(4*k)&15
		if ca != 0 && cb != 0 {
			sum += descAgree[ca<<4|cb]
			n++
		}
	}
	if n < descMinPts {
		return descUnknown
	}
	v := (sum/float32(n) - descLo) / (descHi - descLo)
	return min(max(v, 0), 1)
}
