package match

import (
	"math"
	"math/bits"
	"sort"
)

// Local structures: a variant of the Minutia Cylinder-Code (Cappelli, Maio,
// Maltoni, IEEE TPAMI 2010) with bit cells. Around each minutia a disc of
// radius cylRadius, turned to the minutia's direction, is cut into square
// cells of cylCellSide pixels; each cell holds cylDirBins bits, one per range
// of the neighbours' directions relative to the minutia's. A bit is set when
// neighbours near the cell's centre with a direction in that range add up
// to more than cylThreshold (Gaussian weights in space and direction).
// Cells outside the print (the minutiae's convex hull grown by hullMargin)
// are invalid, and the comparison of two cylinders uses only the cells
// valid in both.
const (
	cylGrid      = 6    // cells across the disc's bounding square
	cylRadius    = 70.0 // pixels at 500 ppi
	cylCellSide  = 2 * cylRadius / cylGrid
	cylDirBins   = 6
	cylSigmaS    = 11.0 // spatial Gaussian, pixels
	cylSigmaD    = 2 * math.Pi / 9
	cylThreshold = 0.005
	hullMargin   = 50.0
	// A cylinder needs this many neighbours in reach and this share of
	// valid cells to describe anything.
	cylMinNeighbours = 2
	cylMinValid      = 0.60
	// Two cylinders are comparable when this share of cells is valid in both.
	cylMinCommon = 0.60
)

// cellLane is the bit width given to one direction bin: the cells of one
// bin fill at most 32 bits, so two bins share each 64-bit word and the
// 32-bit validity mask, repeated twice, masks a whole word at once.
const (
	cellLane    = 32
	lanesPerW   = 64 / cellLane
	cylWords    = (cylDirBins + lanesPerW - 1) / lanesPerW
	cylStride   = cylWords + 1 // the cylinder's words, then its validity
	maxCellBits = cellLane
)

// cellCentres are the centres of the cells inside the disc, in the
// minutia's frame (u along its direction, v to its left).
var cellU, cellV []float64

func init() {
	for i := 0; i < cylGrid; i++ {
		for j := 0; j < cylGrid; j++ {
			u := (float64(i) - (cylGrid-1)/2.0) * cylCellSide
			v := (float64(j) - (cylGrid-1)/2.0) * cylCellSide
			if math.Hypot(u, v) <= cylRadius {
				cellU = append(cellU, u)
				cellV = append(cellV, v)
			}
		}
	}
	if len(cellU) > maxCellBits {
		panic("match: cylinder has more cells than a lane holds")
	}
}

// dirBinCentre is the centre of direction bin d, a relative angle in
// (-π, π].
func dirBinCentre(d int) float64 {
	return -math.Pi + (float64(d)+0.5)*2*math.Pi/cylDirBins
}

// angleDiff returns a-b wrapped into (-π, π].
func angleDiff(a, b float64) float64 {
	d := math.Mod(a-b, 2*math.Pi)
	if d <= -math.Pi {
		d += 2 * math.Pi
	} else if d > math.Pi {
		d -= 2 * math.Pi
	}
	return d
}

// buildCylinders computes the cylinders of t's minutiae (their positions
// and angles already in t.m) into t.cyl, and marks the minutiae whose
// cylinder is unusable.
//
// The validity word holds the valid cells in its low lane and the
// minutia's orientation descriptor (biometric.Minutia.Orientation, given
// in descs) in its high lane; comparable doubles the common cells into
// both lanes.
func (t *Template) buildCylinders(descs []uint32) {
	n := int(t.n)
	xs := make([]float64, n)
	ys := make([]float64, n)
	as := make([]float64, n)
	for i := 0; i < n; i++ {
		xs[i], ys[i], as[i] = float64(t.m[i].x), float64(t.m[i].y), t.m[i].angle()
	}
	hull := convexHull(xs, ys)
	reach := cylRadius + 3*cylSigmaS
	norm := 1 / (cylSigmaS * math.Sqrt(2*math.Pi))
	nCells := len(cellU)
	for i := 0; i < n; i++ {
		var words [cylWords]uint64
		var valid uint64
		c, s := math.Cos(as[i]), math.Sin(as[i])
		validCount := 0
		for k := 0; k < nCells; k++ {
			px := xs[i] + cellU[k]*c - cellV[k]*s
			py := ys[i] + cellU[k]*s + cellV[k]*c
			if insideHull(hull, px, py, hullMargin) {
				valid |= 1 << k
				validCount++
			}
		}
		neighbours := 0
		for j := 0; j < n; j++ {
			if j != i && math.Hypot(xs[j]-xs[i], ys[j]-ys[i]) <= reach {
				neighbours++
			}
		}
		usable := neighbours >= cylMinNeighbours && float64(validCount) >= cylMinValid*float64(nCells)
		if usable {
			for k := 0; k < nCells; k++ {
				if valid>>k&1 == 0 {
					continue
				}
				px := xs[i] + cellU[k]*c - cellV[k]*s
				py := ys[i] + cellU[k]*s + cellV[k]*c
				var sum [cylDirBins]float64
				for j := 0; j < n; j++ {
					if j == i {
						continue
					}
					d := math.Hypot(xs[j]-px, ys[j]-py)
					if d > 3*cylSigmaS {
						continue
					}
					gs := norm * math.Exp(-d*d/(2*cylSigmaS*cylSigmaS))
					rel := angleDiff(as[j], as[i])
					for b := 0; b < cylDirBins; b++ {
						sum[b] += gs * dirContribution(angleDiff(rel, dirBinCentre(b)))
					}
				}
				for b := 0; b < cylDirBins; b++ {
					if sum[b] > cylThreshold {
						words[b/lanesPerW] |= 1 << (uint(b%lanesPerW)*cellLane + uint(k))
					}
				}
			}
		}
		row := t.cyl[i*cylStride : (i+1)*cylStride]
		copy(row, words[:])
		row[cylWords] = valid | uint64(descs[i])<<cellLane
		if usable {
			t.m[i].flags |= flagCylinder
		}
	}
}

// dirContribution is the weight of a neighbour whose relative direction is
// off a bin's centre by a: the Gaussian's area over the bin's width.
func dirContribution(a float64) float64 {
	half := math.Pi / cylDirBins
	k := 1 / (cylSigmaD * math.Sqrt2)
	return 0.5 * (math.Erf((a+half)*k) - math.Erf((a-half)*k))
}

func popcount(w []uint64) int {
	n := 0
	for _, v := range w {
		n += bits.OnesCount64(v)
	}
	return n
}

// convexHull returns the hull of the points, counter-clockwise, as x, y
// pairs (Andrew's monotone chain).
func convexHull(xs, ys []float64) [][2]float64 {
	pts := make([][2]float64, len(xs))
	for i := range xs {
		pts[i] = [2]float64{xs[i], ys[i]}
	}
	sort.Slice(pts, func(i, j int) bool {
		if pts[i][0] != pts[j][0] {
			return pts[i][0] < pts[j][0]
		}
		return pts[i][1] < pts[j][1]
	})
	if len(pts) < 3 {
		return pts
	}
	cross := func(o, a, b [2]float64) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	hull := make([][2]float64, 0, 2*len(pts))
	for _, p := range pts {
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	lower := len(hull) + 1
	for i := len(pts) - 2; i >= 0; i-- {
		p := pts[i]
		for len(hull) >= lower && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	return hull[:len(hull)-1]
}

// insideHull reports whether (px, py) lies in the hull or within margin of
// it.
func insideHull(hull [][2]float64, px, py, margin float64) bool {
	if len(hull) == 0 {
		return false
	}
	inside := len(hull) >= 3
	best := math.Inf(1)
	for i := range hull {
		a, b := hull[i], hull[(i+1)%len(hull)]
		if (b[0]-a[0])*(py-a[1])-(b[1]-a[1])*(px-a[0]) < 0 {
			inside = false
		}
		best = math.Min(best, segmentDistance(px, py, a, b))
	}
	return inside || best <= margin
}

func segmentDistance(px, py float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((px-a[0])*dx+(py-a[1])*dy)/l2))
	}
	return math.Hypot(px-a[0]-t*dx, py-a[1]-t*dy)
}

// validCells is the number of cells of minutia i's cylinder inside the
// print.
func validCells(t *Template, i int) int {
	return bits.OnesCount32(uint32(t.cyl[i*cylStride+cylWords]))
}

// descriptor is minutia i's orientation descriptor (0: none).
func (t *Template) descriptor(i int) uint32 {
	return uint32(t.cyl[i*cylStride+cylWords] >> cellLane)
}
