package extract

import (
	"math"

	"checkpost/biometric"
)

// The ridge map (biometric.RidgeMap): in each cell of ridgeCell pixels
// whose centre lies in the print, a plane wave at the local ridge
// direction and period is fitted to the enhanced image over the
// (2*ridgeHalf+1)² pixels around the centre that lie in the print; its
// phase, with the normal's direction, is the cell's sample, kept when the
// fit's correlation with the enhanced image is at least ridgeFitMin. The
// map is cut to the cells holding samples and, when it has more than
// RidgeMaxCells of them or more than RidgeMaxSide a side, to a window of
// that size around the minutiae's centroid: the matcher reads it over the
// common area of two prints, which a window of 384 cells (about 310 x 310
// pixels) mostly holds.
//
// Chosen on FVC2002 DB1_B and DB2_B whole and cropped (see
// biometric/match's ridge.go): cells of 12, 16 and 20 pixels and windows
// of 13-25 pixels alike within noise, 15 directions and 16 phases as good
// as unquantised values (8 and 8 lost a little), one period per template
// instead of one per block of 2 x 2 cells worse.
const (
	ridgeCell   = 16
	ridgeHalf   = 8
	ridgeFitMin = 0.3
	// RidgeMaxCells and RidgeMaxSide bound a map's cells (and so the
	// prepared template's size).
	RidgeMaxCells = 384
	RidgeMaxSide  = 32
	// RidgeMaxBlocks bounds its period blocks.
	RidgeMaxBlocks = 112
)

// ridgeMap samples the print's ridges (see above); nil when no cell holds
// a sample.
func (e *Extractor) ridgeMap(ms []biometric.Minutia) *biometric.RidgeMap {
	cols, rows := (e.w+ridgeCell-1)/ridgeCell, (e.h+ridgeCell-1)/ridgeCell
	if cap(e.ridgeCodes) < cols*rows {
		e.ridgeCodes = make([]uint8, cols*rows)
	}
	codes := e.ridgeCodes[:cols*rows]
	c0, c1, r0, r1 := cols, -1, rows, -1
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			code, ok := e.ridgeSample(c*ridgeCell+ridgeCell/2, r*ridgeCell+ridgeCell/2)
			if !ok {
				codes[r*cols+c] = biometric.RidgeAbsent << 4
				continue
			}
			codes[r*cols+c] = code
			c0, c1, r0, r1 = min(c0, c), max(c1, c), min(r0, r), max(r1, r)
		}
	}
	if c1 < 0 {
		return nil
	}
	// Too large a map: a window around the minutiae's centroid (the
	// map's centre when there are none), the longer side cut first.
	cx, cy := float64(c0+c1+1)/2, float64(r0+r1+1)/2
	if len(ms) > 0 {
		var sx, sy float64
		for _, m := range ms {
			sx += float64(m.X)
			sy += float64(m.Y)
		}
		cx, cy = sx/float64(len(ms))/ridgeCell, sy/float64(len(ms))/ridgeCell
	}
	w, h := c1-c0+1, r1-r0+1
	fits := func(w, h int) bool {
		return w*h <= RidgeMaxCells && w <= RidgeMaxSide && h <= RidgeMaxSide && (w+1)/2*((h+1)/2) <= RidgeMaxBlocks
	}
	for !fits(w, h) {
		if w >= h {
			w--
		} else {
			h--
		}
	}
	window := func(lo, hi, n int, centre float64) int {
		s := int(math.Round(centre - float64(n)/2))
		return min(max(s, lo), hi-n+1)
	}
	c0, r0 = window(c0, c1, w, cx), window(r0, r1, h, cy)
	rm := &biometric.RidgeMap{Cell: ridgeCell, X0: c0 * ridgeCell, Y0: r0 * ridgeCell, Cols: w, Rows: h,
		Cells: make([]uint8, w*h)}
	for r := 0; r < h; r++ {
		copy(rm.Cells[r*w:(r+1)*w], codes[(r0+r)*cols+c0:])
	}
	pc, pr := rm.PeriodCols(), rm.PeriodRows()
	rm.Periods = make([]uint8, pc*pr)
	for r := 0; r < pr; r++ {
		for c := 0; c < pc; c++ {
			// The period at the block's centre (clamped into the image).
			x := min(rm.X0+c*2*ridgeCell+ridgeCell, e.w-1)
			y := min(rm.Y0+r*2*ridgeCell+ridgeCell, e.h-1)
			t := e.period[(y/blockSize)*e.bw+x/blockSize]
			rm.Periods[r*pc+c] = uint8(min(max(math.Round(float64(t)*16), 1), 255))
		}
	}
	return rm
}

// ridgeSample fits the plane wave at image point (x, y) and returns its
// code (biometric.RidgeMap's Cells).
func (e *Extractor) ridgeSample(x, y int) (uint8, bool) {
	if x >= e.w || y >= e.h || !e.mask[(y/blockSize)*e.bw+x/blockSize] {
		return 0, false
	}
	o, ok := e.orientationAt(float64(x), float64(y))
	if !ok {
		return 0, false
	}
	// The normal, counter-clockwise with y up, and as an image vector.
	nu := o + math.Pi/2
	nx, ny := math.Cos(nu), -math.Sin(nu)
	t := float64(e.period[(y/blockSize)*e.bw+x/blockSize])
	k := 2 * math.Pi / t
	// exp(i k n·d) over the window by steps: along x it turns by
	// exp(i k nx) a pixel.
	stepC, stepS := math.Cos(k*nx), math.Sin(k*nx)
	var re, im, ww float64
	n := 0
	for dy := -ridgeHalf; dy <= ridgeHalf; dy++ {
		yy := y + dy
		if yy < 0 || yy >= e.h {
			continue
		}
		a := k * (nx*-ridgeHalf + ny*float64(dy))
		zc, zs := math.Cos(a), math.Sin(a)
		base := (yy+pad)*e.W + pad
		brow := (yy / blockSize) * e.bw
		for dx := -ridgeHalf; dx <= ridgeHalf; dx, zc, zs = dx+1, zc*stepC-zs*stepS, zs*stepC+zc*stepS {
			xx := x + dx
			if xx < 0 || xx >= e.w || !e.mask[brow+xx/blockSize] {
				continue
			}
			// Ridges are dark: the enhanced image is negative on them.
			v := -float64(e.enh[base+xx])
			re += v * zc
			im += v * zs
			ww += v * v
			n++
		}
	}
	if n < (2*ridgeHalf+1)*(2*ridgeHalf+1)/2 || ww == 0 {
		return 0, false
	}
	// The correlation of the profile with the best wave (whose squared
	// norm over the window is about n/2).
	if math.Sqrt(re*re+im*im)/math.Sqrt(ww*float64(n)/2) < ridgeFitMin {
		return 0, false
	}
	phi := math.Atan2(im, re)
	// Normal within [0°, 180°): the other sense negates the phase.
	if nu = math.Mod(nu, 2*math.Pi); nu < 0 {
		nu += 2 * math.Pi
	}
	if nu >= math.Pi {
		nu -= math.Pi
		phi = -phi
	}
	q := int(math.Round(nu / (math.Pi / 15)))
	if q == 15 {
		q, phi = 0, -phi
	}
	p := int(math.Round(phi/(math.Pi/8))) & 15
	return uint8(q<<4 | p), true
}
