package match

import (
	"encoding/binary"
	"fmt"
	"math"

	"checkpost/biometric"
)

// Ridge consolidation: under the alignment the consolidation chose, how
// well the two prints' ridges coincide where they overlap, read from their
// ridge maps (biometric.RidgeMap: in cells of 16 pixels, the direction of
// the ridges' normal and the phase of the local ridge wave). Each cell of
// a whose centre, carried into b's frame, falls on a cell of b with a
// sample counts in the overlap (n cells); where the two ridge directions
// agree within ridgeMaxTurn it scores the cosine of the difference of the
// two waves' phases at that point (b's wave extended from its own cell's
// centre), else 0. An alignment made from minutiae is seldom right to
// the pixel and a ridge period is about 9 pixels, so the scores are
// summed under shifts of a of up to ridgeShift pixels each way (a grid of
// ridgeStep pixels, then the 3 x 3 pixels around the best) and the best
// sum taken: R is it over n, shrunk for small overlaps, R' = R n / (n +
// ridgeN0). When both templates have ridge maps Compare's score is
// multiplied by exp(ridgeK (max(R', 0) - ridgeCentre)), 0.42 to 62,
// instead of by the flow's factor (orient.go), and then squashed: the
// ridges' positions say all the flow says and more. Templates without ridge maps (ISO/IEC
// 19794-2, ANSI INCITS 378, native versions 1 and 2, a pair with one
// map) compare as before, by their flow.
//
// Why: two impressions of one finger whose minutiae line up also lay
// their ridges on each other, where chance alignments of two fingers, even
// with a similar flow, lay ridges on valleys as often as on ridges. FVC2002
// DB1_B and DB2_B cropped to 200x200 pixels around each print's minutiae
// (a small sensor's view), under the consolidation's alignment (the
// experiment's unquantised waves, cells of 16 pixels): R median 0.48 and
// 0.45 for the genuine pairs that pass FMR 1%, 0.11 and 0.10 for
// impostor pairs (0.20 and 0.19 for the impostors above FMR 1%); the
// genuine pairs that fail are mostly misaligned (R 0.10 and 0.11), and
// under the whole prints' alignment carried into the crops half of them
// reach R 0.47 or more, so what the ridges cannot mend is the alignment.
//
// ridgeCentre puts the scores on the flow's scale, so that one set of
// thresholds serves templates with and without ridge maps: the 99th and
// 99.9th percentiles of the 12,160 impostor pairs within and across
// DB1_B and DB2_B by the flow are 0.00159 and 0.00346; with ridge maps and
// exp(ridgeK (R' - 1)) they were 0.018 and 0.016 of that, with
// ridgeCentre 0.17 1.17 and 0.99 times it, with 0.18 1.00 and 0.87
// times; 0.175 lies between. The shipped thresholds, measured again with
// ridge maps, moved from 0.00151, 0.00346 and 0.00540 to 0.00171, 0.00331
// and 0.00516 (thresholds.go).
//
// A score below ridgeFloor before the factor gets the least factor
// (ridgeMinFactor, R' = 0) without R computed: every such pair then
// scores below every pair above the floor, and below every shipped
// threshold; most impostor pairs skip the step. 0.0004, 0.0008 and
// 0.0015 gave the same tuning figures.
//
// Chosen on FVC2002 DB1_B and DB2_B, whole and cropped to 200x200 and
// 240x240 pixels around each print's minutiae centroid (EER + FNMR@1% +
// FNMR@0.1%, summed over DB1_B and DB2_B whole / over all six sets; 6.41
// / 110.68 with the flow's factor): ridgeK 5, ridgeN0 40, ridgeMaxTurn
// 30°, shifts up to 3 pixels on a grid of 3: 5.74 / 102.86;
// a plateau around it (ridgeK 4-8, ridgeN0 20-80, ridgeMaxTurn 20-45°,
// shifts up to 3, 4 and 6 pixels on grids of 2 and 3: 5.36-5.83 /
// 100.75-104.73); cells of 12 and 20 pixels and windows of 13-25 pixels
// alike (biometric/extract); the ridge factor on top of the flow's rather
// than instead of it: 6.43-6.88 / 102.5-106.5 (the whole sets no better);
// the best of 2-24 alignments each judged with its R: no better (the
// failing pairs' right alignment is seldom among them); a shift of its
// own for each region of 48-96 pixels: no better; at most 48-128 cells of
// the overlap read: worse (DB1_B whole loses pairs).
const (
	ridgeK       = 5.0
	ridgeN0      = 40.0
	ridgeCentre  = 0.175
	ridgeShift   = 3
	ridgeStep    = 3
	ridgeMaxTurn = 5461 // 30°, in 1/65536 turn
	ridgeFloor   = 0.0008
)

// ridgeMinFactor is the ridge factor at R' = 0.
var ridgeMinFactor = math.Exp(-ridgeK * ridgeCentre)

// Ridge maps in a prepared template: at most ridgeMaxCells cells (and
// ridgeMaxSide a side, ridgeMaxBlocks blocks of periods) of ridgeCell
// pixels, the bounds biometric/extract keeps; other maps are not kept
// (the comparison then reads the flow instead).
const (
	ridgeCell      = 16
	ridgeMaxCells  = 384
	ridgeMaxSide   = 32
	ridgeMaxBlocks = 112
	ridgeTurn      = 65536 / 30 // a direction code's step, 12°
)

// ridges is a prepared template's ridge map, in image pixels (y down) as
// biometric.RidgeMap; cols is 0 when there is none.
type ridges struct {
	cols, rows uint8
	cells      uint16 // those with a sample (ridgeRescue's gate)
	x0, y0     int16
	code       [ridgeMaxCells]uint8
	period     [ridgeMaxBlocks]uint8
}

// prepareRidges copies src's ridge map into t when it is one the matcher
// reads (see above); a malformed map is an error.
func (t *Template) prepareRidges(src *biometric.Template, scale float64) error {
	r := src.Ridges
	if r == nil {
		return nil
	}
	pc, pr := (r.Cols+1)/2, (r.Rows+1)/2
	if r.Cols <= 0 || r.Rows <= 0 || len(r.Cells) != r.Cols*r.Rows || len(r.Periods) != pc*pr {
		return fmt.Errorf("match: ridge map of %dx%d cells with %d codes and %d periods", r.Cols, r.Rows, len(r.Cells), len(r.Periods))
	}
	if scale != 1 || r.Cell != ridgeCell || r.Cols > ridgeMaxSide || r.Rows > ridgeMaxSide || r.Cols*r.Rows > ridgeMaxCells ||
		pc*pr > ridgeMaxBlocks || r.X0 < -16000 || r.X0 > 16000 || r.Y0 < -16000 || r.Y0 > 16000 {
		return nil
	}
	g := &t.ridge
	g.cols, g.rows, g.x0, g.y0 = uint8(r.Cols), uint8(r.Rows), int16(r.X0), int16(r.Y0)
	copy(g.code[:], r.Cells)
	copy(g.period[:], r.Periods)
	for i := range pc * pr {
		g.period[i] = max(g.period[i], ridgeMinPeriod)
	}
	g.countCells()
	return nil
}

// storedSize is the size of the map's stored form (MarshalBinary).
func (g *ridges) storedSize() int {
	if g.cols == 0 {
		return 1
	}
	c, r := int(g.cols), int(g.rows)
	return 6 + c*r + (c+1)/2*((r+1)/2)
}

// appendStored appends the map's stored form to b.
func (g *ridges) appendStored(b []byte) []byte {
	if g.cols == 0 {
		return append(b, 0)
	}
	c, r := int(g.cols), int(g.rows)
	b = append(b, g.cols, g.rows)
	b = binary.LittleEndian.AppendUint16(b, uint16(g.x0))
	b = binary.LittleEndian.AppendUint16(b, uint16(g.y0))
	b = append(b, g.code[:c*r]...)
	return append(b, g.period[:(c+1)/2*((r+1)/2)]...)
}

// readStored fills g from its stored form, which must be all of p.
func (g *ridges) readStored(p []byte) error {
	*g = ridges{}
	if len(p) == 1 && p[0] == 0 {
		return nil
	}
	if len(p) < 6 {
		return fmt.Errorf("%w: ridge map of %d bytes", ErrFormat, len(p))
	}
	c, r := int(p[0]), int(p[1])
	nb := (c + 1) / 2 * ((r + 1) / 2)
	if c == 0 || r == 0 || c > ridgeMaxSide || r > ridgeMaxSide || c*r > ridgeMaxCells || nb > ridgeMaxBlocks {
		return fmt.Errorf("%w: ridge map of %dx%d cells", ErrFormat, c, r)
	}
	if len(p) != 6+c*r+nb {
		return fmt.Errorf("%w: ridge map of %dx%d cells in %d bytes (want %d)", ErrFormat, c, r, len(p), 6+c*r+nb)
	}
	x0, y0 := int16(binary.LittleEndian.Uint16(p[2:])), int16(binary.LittleEndian.Uint16(p[4:]))
	if x0 < -16000 || x0 > 16000 || y0 < -16000 || y0 > 16000 {
		return fmt.Errorf("%w: ridge map at (%d, %d)", ErrFormat, x0, y0)
	}
	for _, v := range p[6+c*r:] {
		if v < ridgeMinPeriod {
			return fmt.Errorf("%w: ridge period %d/16 pixel", ErrFormat, v)
		}
	}
	g.cols, g.rows, g.x0, g.y0 = uint8(c), uint8(r), x0, y0
	copy(g.code[:], p[6:6+c*r])
	copy(g.period[:], p[6+c*r:])
	g.countCells()
	return nil
}

// ridgeMinPeriod is the least period read (1/16 pixel): 4 pixels.
const ridgeMinPeriod = 64

// waveNumber[p] is 2π/T for a period T of p/16 pixels.
var waveNumber [256]float32

func init() {
	for p := 1; p < 256; p++ {
		waveNumber[p] = float32(2 * math.Pi * 16 / float64(p))
	}
}

// ridgeItems are the cells of the overlap whose directions agree, item
// k of each array for cell k: the two waves' phase difference at a's
// cell centre (as a unit vector, zr + i zi) and b's wave vector (kx, ky).
// An array each, so that shiftSums3 loads four items' terms at once.
type ridgeItems struct {
	zr, zi, kx, ky [ridgeMaxCells]float32
}

// ridgeSites are a ridge map's cells with a sample as the overlap reads
// them: cell k's centre (x[k], y[k]) in the matcher frame (y up) and its
// code. An array each, so that ridgeOverlapAVX512 loads eight cells'
// terms at once.
type ridgeSites struct {
	x, y [ridgeMaxCells]float32
	code [ridgeMaxCells]uint8
}

// sites writes the map's cells with a sample to dst, row by row (with
// sparse those of even row and column only), and returns their number.
// They depend on the map alone: ridgeRescue lists them once for all the
// alignments it reads.
func (g *ridges) sites(dst *ridgeSites, sparse bool) int {
	cols, rows := int(g.cols), int(g.rows)
	step := 1
	if sparse {
		step = 2
	}
	const half = ridgeCell / 2
	n := 0
	for r := 0; r < rows; r += step {
		y := -(float32(g.y0) + float32(r*ridgeCell+half))
		for c := 0; c < cols; c += step {
			// Written in any case and kept when it has a sample: no
			// branch on the print's outline.
			code := g.code[r*cols+c]
			dst.x[n], dst.y[n], dst.code[n] = float32(g.x0)+float32(c*ridgeCell+half), y, code
			n += int(b2u(code>>4 != biometric.RidgeAbsent))
		}
	}
	return n
}

// ridgeAgreement returns R (see above) of a carried into b's frame by al
// and the overlap's cell count n; n is 0 when either has no ridge map.
func (m *Matcher) ridgeAgreement(a, b *Template, al alignment) (float64, int) {
	if a.ridge.cols == 0 || b.ridge.cols == 0 {
		return 0, 0
	}
	n, ni := m.ridgeOverlap(&m.rsites, a.ridge.sites(&m.rsites, false), b, al)
	if n == 0 {
		return 0, 0
	}
	return float64(ridgeBestSum(&m.ritems, ni, false)) / float64(n), n
}

// ridgeOverlap carries a's first ns sites into b's frame by al and
// returns the overlap's cell count n (see above) and the number ni of its
// cells whose directions agree, whose items it writes to m.ritems.
//
// With AVX-512 it runs in assembly (ridgeOverlapAVX512), eight sites at
// a time, with the same float32 operations in the same order: the same
// n, ni and items to the bit.
func (m *Matcher) ridgeOverlap(as *ridgeSites, ns int, b *Template, al alignment) (n, ni int) {
	gb := &b.ridge
	if gb.cols == 0 {
		return 0, 0
	}
	if useAVX512 {
		if ns == 0 {
			return 0, 0
		}
		bcols := int32(gb.cols)
		p := overlapArgs{
			sites: as, ns: ns, code: &gb.code, period: &gb.period, its: &m.ritems,
			bcols: bcols, pcols: (bcols + 1) >> 1,
			c: al.c, s: al.s, tx: al.tx, ty: al.ty,
			bx0: float32(gb.x0), by0: float32(gb.y0), fbc: float32(gb.cols), fbr: float32(gb.rows),
			rot: int32(al.rot), pi8: math.Pi / 8, toIdx: 1024 / (2 * math.Pi),
		}
		return ridgeOverlapAVX512(&p)
	}
	return m.ridgeOverlapGo(as, ns, b, al)
}

// overlapArgs are ridgeOverlapAVX512's: a's sites, b's map and the
// alignment (TestOverlapArgsLayout).
type overlapArgs struct {
	sites        *ridgeSites
	ns           int
	code         *[ridgeMaxCells]uint8
	period       *[ridgeMaxBlocks]uint8
	its          *ridgeItems
	bcols, pcols int32
	c, s, tx, ty float32
	bx0, by0     float32
	fbc, fbr     float32
	rot          int32
	// The constants the Go code multiplies by, as float32.
	pi8, toIdx float32
}

// ridgeOverlapGo is ridgeOverlap in Go.
func (m *Matcher) ridgeOverlapGo(as *ridgeSites, ns int, b *Template, al alignment) (n, ni int) {
	gb := &b.ridge
	bcols, brows := int(gb.cols), int(gb.rows)
	fbc, fbr := float32(bcols), float32(brows)
	bx0, by0 := float32(gb.x0), float32(gb.y0)
	const inv = 1.0 / ridgeCell
	const half = ridgeCell / 2
	its := &m.ritems
	for k := range ns {
		code, cx, cy := as.code[k], as.x[k], as.y[k]
		px := al.c*cx - al.s*cy + al.tx
		py := al.s*cx + al.c*cy + al.ty
		fx, fy := (px-bx0)*inv, (-py-by0)*inv
		if !(fx >= 0 && fy >= 0 && fx < fbc && fy < fbr) {
			continue
		}
		bc, br := int(fx), int(fy)
		codeB := gb.code[br*bcols+bc]
		// Without a branch on b's cell or on the directions, which
		// follow the prints and were mispredicted often: the item is
		// written in any case and kept (ni moves on) when b's cell has
		// a sample and the directions agree. The bounds above stay a
		// branch: cells outside b come in runs, and computing them too
		// made the rescue slower.
		present := b2u(codeB>>4 != biometric.RidgeAbsent)
		n += int(present)
		nb := uint16(codeB>>4) * ridgeTurn
		d := int16(uint16(code>>4)*ridgeTurn + al.rot - nb)
		ad := int(d)
		ad = (ad ^ ad>>63) - ad>>63
		same := b2u(ad <= ridgeMaxTurn)
		// psiA is -phA (directions the same) or phA (opposite).
		phA := float32(code&15) * (math.Pi / 8)
		psiA := math.Float32frombits(math.Float32bits(phA) ^ uint32(same)<<31)
		kb := waveNumber[gb.period[(br>>1)*((bcols+1)>>1)+(bc>>1)]]
		nbx, nby := cosTab[nb>>6], sinTab[nb>>6]
		cbx := bx0 + float32(bc*ridgeCell+half)
		cby := -(by0 + float32(br*ridgeCell+half))
		psiB := kb*(nbx*(px-cbx)+nby*(py-cby)) - float32(codeB&15)*(math.Pi/8)
		t := int32((psiA-psiB)*(1024/(2*math.Pi))) & 1023
		its.zr[ni], its.zi[ni], its.kx[ni], its.ky[ni] = cosTab[t], sinTab[t], kb*nbx, kb*nby
		ni += int(present & (same | b2u(ad >= 32768-ridgeMaxTurn)))
	}
	return n, ni
}

// ridgeBestSum returns the best sum of the items' scores under the
// shifts of a grid of ridgeStep pixels and, unless coarse, of the 3 x 3
// pixels around the best of them: coarse is a cheaper, rougher look for
// ridgeRescue's candidates.
func ridgeBestSum(its *ridgeItems, n int, coarse bool) float32 {
	const nc = 2*ridgeShift/ridgeStep + 1
	var grid [nc * nc]float32
	shiftSums3(its, n, -ridgeShift, -ridgeShift, ridgeStep, &grid)
	best, bi := grid[0], 0
	for i, s := range grid[:nc*nc] {
		if s > best {
			best, bi = s, i
		}
	}
	if coarse {
		return best
	}
	bx, by := -ridgeShift+bi%nc*ridgeStep, -ridgeShift+bi/nc*ridgeStep
	var fine [9]float32
	shiftSums3(its, n, bx-1, by-1, 1, &fine)
	for _, s := range fine {
		best = max(best, s)
	}
	return best
}

// shiftSums3 adds to out[j*3+i] the scores of the first n items under
// the shift (x0 + i*step, y0 + j*step) pixels, i and j from 0 to 2: the
// real part of each item's phase difference turned by minus its wave
// vector times the shift, by complex products (a table look-up for each
// of the three turns, then steps). Written out for ridgeAgreement's
// grids of 3 x 3 with the sums kept in registers: it gave the same sums
// to the bit as the loop over n x n shifts it replaced on 5,172 grids of
// the tuning sets' pairs, with fewer loads and stores. On amd64 the
// items are taken four at a time (shiftSums3x4) and the rest here; the
// sums are the same to the bit either way.
func shiftSums3(its *ridgeItems, n, x0, y0, step int, out *[9]float32) {
	const toIdx = 1024 / (2 * math.Pi)
	k := 0
	if useAsmShiftSums && n >= 4 {
		k = n &^ 3
		shiftSums3x4(its, k, float32(x0), float32(y0), float32(step), toIdx, out)
	}
	shiftSums3Go(its, k, n, x0, y0, step, out)
}

// shiftSums3Go is shiftSums3 for items k0 to n.
func shiftSums3Go(its *ridgeItems, k0, n, x0, y0, step int, out *[9]float32) {
	const toIdx = 1024 / (2 * math.Pi)
	o0, o1, o2, o3, o4, o5, o6, o7, o8 := out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7], out[8]
	zr, zi, kx, ky := its.zr[k0:n], its.zi[k0:n], its.kx[k0:n], its.ky[k0:n]
	for k := range zr {
		// z e^{-i k·(x0, y0)}
		t := int32(-(kx[k]*float32(x0)+ky[k]*float32(y0))*toIdx) & 1023
		c, s := cosTab[t], sinTab[t]
		p0r, p0i := zr[k]*c-zi[k]*s, zr[k]*s+zi[k]*c
		t = int32(-kx[k]*float32(step)*toIdx) & 1023
		ur, ui := cosTab[t], sinTab[t]
		p1r, p1i := p0r*ur-p0i*ui, p0r*ui+p0i*ur
		p2r, p2i := p1r*ur-p1i*ui, p1r*ui+p1i*ur
		t = int32(-ky[k]*float32(step)*toIdx) & 1023
		vr, vi := cosTab[t], sinTab[t]
		wr, wi := float32(1), float32(0)
		o0 += p0r*wr - p0i*wi
		o1 += p1r*wr - p1i*wi
		o2 += p2r*wr - p2i*wi
		wr, wi = wr*vr-wi*vi, wr*vi+wi*vr
		o3 += p0r*wr - p0i*wi
		o4 += p1r*wr - p1i*wi
		o5 += p2r*wr - p2i*wi
		wr, wi = wr*vr-wi*vi, wr*vi+wi*vr
		o6 += p0r*wr - p0i*wi
		o7 += p1r*wr - p1i*wi
		o8 += p2r*wr - p2i*wi
	}
	*out = [9]float32{o0, o1, o2, o3, o4, o5, o6, o7, o8}
}

// countCells sets g.cells from its codes.
func (g *ridges) countCells() {
	n := 0
	for _, code := range g.code[:int(g.cols)*int(g.rows)] {
		if code>>4 != biometric.RidgeAbsent {
			n++
		}
	}
	g.cells = uint16(n)
}
