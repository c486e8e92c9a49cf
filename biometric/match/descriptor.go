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

// descAgree[ca<<4|cb] is the agreement of two codes in 1/255 shifted
// left by 4, plus 1 in the low bits when both codes are points in the
// print (0 when either is not): summed over the eight points, the high
// bits are the agreement, the low four the points in both prints.
var descAgree [256]uint16

func init() {
	for ca := 1; ca < 16; ca++ {
		for cb := 1; cb < 16; cb++ {
			d := ca - cb
			if d < 0 {
				d = -d
			}
			d = min(d, 15-d)
			deg := float64(d) * 12
			g := math.Round(255 * math.Exp(-deg*deg/(2*descSigma*descSigma)))
			descAgree[ca<<4|cb] = uint16(g)<<4 | 1
		}
	}
}

// descWeight is what a pair of minutiae with descriptors da, db counts.
// Unrolled and without branches on the codes: it runs for every pair
// of every alignment a comparison tries.
func descWeight(da, db uint32) float32 {
	t := &descAgree
	s := t[da&15<<4|db&15] +
		t[da>>4&15<<4|db>>4&15] +
		t[da>>8&15<<4|db>>8&15] +
		t[da>>12&15<<4|db>>12&15] +
		t[da>>16&15<<4|db>>16&15] +
		t[da>>20&15<<4|db>>20&15] +
		t[da>>24&15<<4|db>>24&15] +
		t[da>>28<<4|db>>28]
	n := s & 15
	if n < descMinPts {
		return descUnknown
	}
	v := (float32(s>>4)*(1.0/255)/float32(n) - descLo) * (1 / (descHi - descLo))
	return min(max(v, 0), 1)
}
