package extract

import (
	"math"
	"sort"
)

// blockSize is the side of the blocks of the orientation field and the
// mask, in pixels at 500 ppi (a little less than one ridge period).
const blockSize = 8

// pad is the margin around the image in the working canvases, so that the
// oriented filters and the 3x3 neighbourhoods never index out of range.
const pad = 20

// loadCanvas copies the grey pixels into the float canvas, replicating the
// edge pixels into the margin.
func (e *Extractor) loadCanvas(pix []uint8, stride int) {
	w, h, W := e.w, e.h, e.W
	for y := -pad; y < h+pad; y++ {
		sy := min(max(y, 0), h-1)
		row := pix[sy*stride : sy*stride+w]
		dst := e.img[(y+pad)*W : (y+pad+1)*W]
		for x := 0; x < pad; x++ {
			dst[x] = float32(row[0])
			dst[pad+w+x] = float32(row[w-1])
		}
		for x, v := range row {
			dst[pad+x] = float32(v)
		}
	}
}

// gradSpeckDepth: for the gradient moments, a pixel more than this many
// contrasts (sd + 4 of its block's 24x24 window) below the window's mean
// is a dark speck and counts as the mean grey. A little deeper than the
// enhancement's speckDepth: chosen on FVC2002 DB1_B and DB2_B, whole and
// cropped (1.6-2.5 tried; 2.0 lost pairs on DB1_B, 2.2 gained on both).
const gradSpeckDepth = 2.2

// blockMoments fills the per-block sums of the grey levels and of the
// Sobel gradient moments. The gradients are taken on the image with its
// dark specks set to their neighbourhood's mean grey (see gradSpeckDepth):
// a speck's steep edges point every way and drowned the ridges' flow in
// its block, bending the orientation field and lowering the coherence
// that segmentation relies on.
func (e *Extractor) blockMoments() {
	w, h, W, bw := e.w, e.h, e.W, e.bw
	clear(e.bxx)
	clear(e.bxy)
	clear(e.bmag)
	clear(e.bsum)
	clear(e.bsum2)
	for y := 0; y < h; y++ {
		by := y / blockSize
		row := e.img[(y+pad)*W+pad : (y+pad)*W+pad+w]
		for x, v := range row {
			b := by*bw + x/blockSize
			e.bsum[b] += v
			e.bsum2[b] += v * v
		}
	}
	e.blockGrey()
	img := e.despeck()
	for y := 0; y < h; y++ {
		by := y / blockSize
		i := (y+pad)*W + pad
		up, dn := i-W, i+W
		for x := 0; x < w; x, i, up, dn = x+1, i+1, up+1, dn+1 {
			gx := (img[up+1] + 2*img[i+1] + img[dn+1]) - (img[up-1] + 2*img[i-1] + img[dn-1])
			gy := (img[dn-1] + 2*img[dn] + img[dn+1]) - (img[up-1] + 2*img[up] + img[up+1])
			b := by*bw + x/blockSize
			gxx, gyy := gx*gx, gy*gy
			e.bxx[b] += gxx - gyy
			e.bxy[b] += 2 * gx * gy
			e.bmag[b] += gxx + gyy
		}
	}
	// The filter passes need tmp's margins zero.
	clear(e.tmp)
}

// blockGrey derives each block's grey mean and contrast (standard
// deviation) over 3x3 blocks (a 24x24 window).
func (e *Extractor) blockGrey() {
	bw, bh := e.bw, e.bh
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			var s, s2, n float32
			for yy := max(by-1, 0); yy <= min(by+1, bh-1); yy++ {
				for xx := max(bx-1, 0); xx <= min(bx+1, bw-1); xx++ {
					j := yy*bw + xx
					s += e.bsum[j]
					s2 += e.bsum2[j]
					n += float32(e.blockPixels(xx, yy))
				}
			}
			b := by*bw + bx
			mean := s / n
			e.mean[b] = mean
			e.std[b] = float32(math.Sqrt(float64(max(s2/n-mean*mean, 0))))
		}
	}
}

// despeck writes the canvas with every dark speck (a pixel more than
// gradSpeckDepth contrasts below its block's mean) set to that mean into
// tmp, margins included, and returns it.
func (e *Extractor) despeck() []float32 {
	W, bw := e.W, e.bw
	for y := -pad; y < e.h+pad; y++ {
		by := min(max(y, 0), e.h-1) / blockSize
		base := (y + pad) * W
		for x := -pad; x < e.w+pad; x++ {
			b := by*bw + min(max(x, 0), e.w-1)/blockSize
			v := e.img[base+x+pad]
			if (v-e.mean[b])/(e.std[b]+4) < -gradSpeckDepth {
				v = e.mean[b]
			}
			e.tmp[base+x+pad] = v
		}
	}
	return e.tmp
}

// blockFeatures sums the gradient moments over 3x3 blocks (a 24x24
// window) and derives each block's gradient energy and coherence.
func (e *Extractor) blockFeatures() {
	bw, bh := e.bw, e.bh
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			var sxx, sxy, smag, n float32
			for yy := max(by-1, 0); yy <= min(by+1, bh-1); yy++ {
				for xx := max(bx-1, 0); xx <= min(bx+1, bw-1); xx++ {
					j := yy*bw + xx
					sxx += e.bxx[j]
					sxy += e.bxy[j]
					smag += e.bmag[j]
					n += float32(e.blockPixels(xx, yy))
				}
			}
			b := by*bw + bx
			e.vx[b], e.vy[b] = sxx, sxy
			if smag > 0 {
				e.coh[b] = float32(math.Hypot(float64(sxx), float64(sxy))) / smag
			} else {
				e.coh[b] = 0
			}
			e.energy[b] = smag / n
		}
	}
}

// blockPixels is the number of image pixels in block (bx, by): blocks on
// the right and bottom edges may be partial.
func (e *Extractor) blockPixels(bx, by int) int {
	return (min((bx+1)*blockSize, e.w) - bx*blockSize) * (min((by+1)*blockSize, e.h) - by*blockSize)
}

// Segmentation parameters. Gradient energy is relative to the image's own
// strong ridges (a high percentile), so that contrast differences between
// sensors do not matter; coherence rejects textured background and smudges.
// Blocks passing the strict criteria seed the print, which then grows into
// neighbouring blocks passing them relaxed by segLowFactor (hysteresis:
// faint or dry parts of a print join its clear parts, while isolated
// background texture stays out).
const (
	segEnergyPercentile = 0.95
	segEnergyFraction   = 0.06
	segMinCoherence     = 0.28
	segMinContrast      = 6.0
	segLowFactor        = 0.7
	// segSmoothPasses: passes of a 3x3 majority vote over the mask. Two
	// left notches and one-block peninsulas along ragged edges of faint or
	// dry prints, and every such edge cut ridges into false endings and
	// pushed the border rule over real minutiae beside it; five passes
	// round them off. Chosen on FVC2002 DB1_B and DB2_B, whole and
	// cropped to 260x300 and 220x260 (2-8 passes tried: 3-6 within a pair
	// or two of each other and none worse than 2 on any set, 5 the best,
	// 8 worse; a 5x5 vote and a vote over the in-image neighbours only
	// were worse).
	segSmoothPasses = 5
)

// segment builds the foreground block mask.
func (e *Extractor) segment() {
	n := e.bw * e.bh
	tmp := e.scratchF[:0]
	for b := 0; b < n; b++ {
		tmp = append(tmp, e.energy[b])
	}
	sort.Slice(tmp, func(i, j int) bool { return tmp[i] < tmp[j] })
	ref := tmp[int(float32(len(tmp)-1)*segEnergyPercentile)]
	thr := ref * segEnergyFraction
	// Hysteresis: blocks that pass the strict criteria seed the print,
	// which then grows into neighbouring blocks that pass looser ones
	// (faint or dry parts of a print joined to its clear parts).
	thrLow := ref * segEnergyFraction * segLowFactor
	stack := e.stack[:0]
	for b := 0; b < n; b++ {
		e.mask[b] = e.energy[b] > thr && e.coh[b] > segMinCoherence && e.std[b] > segMinContrast
		if e.mask[b] {
			stack = append(stack, int32(b))
		}
	}
	for len(stack) > 0 {
		b := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		x, y := b%e.bw, b/e.bw
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				xx, yy := x+dx, y+dy
				if xx < 0 || yy < 0 || xx >= e.bw || yy >= e.bh {
					continue
				}
				q := yy*e.bw + xx
				if !e.mask[q] && e.energy[q] > thrLow && e.coh[q] > segMinCoherence*segLowFactor && e.std[q] > segMinContrast*segLowFactor {
					e.mask[q] = true
					stack = append(stack, int32(q))
				}
			}
		}
	}
	e.stack = stack
	// Majority smoothing removes isolated blocks, fills pinholes and
	// rounds off ragged edges.
	for pass := 0; pass < segSmoothPasses; pass++ {
		copy(e.mask2, e.mask)
		for by := 0; by < e.bh; by++ {
			for bx := 0; bx < e.bw; bx++ {
				cnt, tot := 0, 0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						xx, yy := bx+dx, by+dy
						tot++
						if xx >= 0 && yy >= 0 && xx < e.bw && yy < e.bh && e.mask2[yy*e.bw+xx] {
							cnt++
						}
					}
				}
				e.mask[by*e.bw+bx] = cnt*2 > tot
			}
		}
	}
	e.keepLargestComponent()
	e.fillHoles()
	e.borderDistance()
}

// keepLargestComponent drops every foreground component but the largest
// (4-connected over blocks): a finger is one region; specks and smudges are
// the rest.
func (e *Extractor) keepLargestComponent() {
	bw, bh := e.bw, e.bh
	lab := e.label
	for i := range lab {
		lab[i] = 0
	}
	next, best, bestSize := int32(0), int32(0), 0
	stack := e.stack[:0]
	for s := range lab {
		if !e.mask[s] || lab[s] != 0 {
			continue
		}
		next++
		size := 0
		stack = append(stack[:0], int32(s))
		lab[s] = next
		for len(stack) > 0 {
			p := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			size++
			x, y := p%bw, p/bw
			for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				qx, qy := x+d[0], y+d[1]
				if qx < 0 || qy < 0 || qx >= bw || qy >= bh {
					continue
				}
				q := qy*bw + qx
				if e.mask[q] && lab[q] == 0 {
					lab[q] = next
					stack = append(stack, int32(q))
				}
			}
		}
		if size > bestSize {
			best, bestSize = next, size
		}
	}
	e.stack = stack
	for i := range lab {
		e.mask[i] = lab[i] == best && best != 0
	}
}

// fillHoles sets every background block that is not connected to the
// image border (4-connected) to foreground.
func (e *Extractor) fillHoles() {
	bw, bh := e.bw, e.bh
	reach := e.mask2
	for i := range reach {
		reach[i] = false
	}
	stack := e.stack[:0]
	push := func(p int) {
		if !e.mask[p] && !reach[p] {
			reach[p] = true
			stack = append(stack, int32(p))
		}
	}
	for x := 0; x < bw; x++ {
		push(x)
		push((bh-1)*bw + x)
	}
	for y := 0; y < bh; y++ {
		push(y * bw)
		push(y*bw + bw - 1)
	}
	for len(stack) > 0 {
		p := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		x, y := p%bw, p/bw
		if x > 0 {
			push(p - 1)
		}
		if x < bw-1 {
			push(p + 1)
		}
		if y > 0 {
			push(p - bw)
		}
		if y < bh-1 {
			push(p + bw)
		}
	}
	e.stack = stack
	for i := range e.mask {
		if !e.mask[i] && !reach[i] {
			e.mask[i] = true
		}
	}
}

// borderDistance stores, per block, the chessboard distance in blocks to
// the nearest background block (or the image edge): 0 for background.
func (e *Extractor) borderDistance() {
	bw, bh := e.bw, e.bh
	const inf = 255
	d := e.dist
	for i := range d {
		if e.mask[i] {
			d[i] = inf
		} else {
			d[i] = 0
		}
	}
	get := func(x, y int) uint8 {
		if x < 0 || y < 0 || x >= bw || y >= bh {
			return 0
		}
		return d[y*bw+x]
	}
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			i := y*bw + x
			if d[i] == 0 {
				continue
			}
			m := min(get(x-1, y), get(x, y-1), get(x-1, y-1), get(x+1, y-1))
			d[i] = min(d[i], m+1)
		}
	}
	for y := bh - 1; y >= 0; y-- {
		for x := bw - 1; x >= 0; x-- {
			i := y*bw + x
			if d[i] == 0 {
				continue
			}
			m := min(get(x+1, y), get(x, y+1), get(x+1, y+1), get(x-1, y+1))
			d[i] = min(d[i], m+1)
		}
	}
}

// Orientation smoothing: a Gaussian over blocks of this deviation.
const orientSigmaBlocks = 1.5

// orientation smooths the doubled-angle vectors (normalised by the window's
// gradient energy, so their length is the coherence) over the foreground
// and derives each block's ridge direction in [0, π).
func (e *Extractor) orientation() {
	bw, bh := e.bw, e.bh
	const r = 3
	var k [2*r + 1]float32
	for i := -r; i <= r; i++ {
		k[i+r] = float32(math.Exp(-float64(i*i) / (2 * orientSigmaBlocks * orientSigmaBlocks)))
	}
	// Unit-energy vectors, zero outside the mask dilated by one block.
	for b := range e.vx {
		x, y := b%bw, b/bw
		if e.nearMask(x, y) {
			var en float32
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx >= 0 && yy >= 0 && xx < bw && yy < bh {
						en += e.bmag[yy*bw+xx]
					}
				}
			}
			if en > 0 {
				e.tx[b], e.ty[b] = e.vx[b]/en, e.vy[b]/en
				continue
			}
		}
		e.tx[b], e.ty[b] = 0, 0
	}
	// Separable Gaussian: rows into ux/uy, then columns back into tx/ty.
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			var sx, sy float32
			for i := -r; i <= r; i++ {
				xx := x + i
				if xx < 0 || xx >= bw {
					continue
				}
				sx += k[i+r] * e.tx[y*bw+xx]
				sy += k[i+r] * e.ty[y*bw+xx]
			}
			e.ux[y*bw+x], e.uy[y*bw+x] = sx, sy
		}
	}
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			var sx, sy float32
			for i := -r; i <= r; i++ {
				yy := y + i
				if yy < 0 || yy >= bh {
					continue
				}
				sx += k[i+r] * e.ux[yy*bw+x]
				sy += k[i+r] * e.uy[yy*bw+x]
			}
			b := y*bw + x
			e.tx[b], e.ty[b] = sx, sy
			th := 0.5*math.Atan2(float64(sy), float64(sx)) + math.Pi/2
			if th >= math.Pi {
				th -= math.Pi
			}
			e.theta[b] = float32(th)
		}
	}
}

// nearMask reports whether block (x, y) or one of its 8 neighbours is
// foreground.
func (e *Extractor) nearMask(x, y int) bool {
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			xx, yy := x+dx, y+dy
			if xx >= 0 && yy >= 0 && xx < e.bw && yy < e.bh && e.mask[yy*e.bw+xx] {
				return true
			}
		}
	}
	return false
}

// Ridge period search range in pixels at 500 ppi, and the default where
// no estimate is possible.
const (
	minPeriod     = 5.0
	maxPeriod     = 15.0
	defaultPeriod = 9.0
	periodStep    = 0.5
)

// ridgePeriod estimates each foreground block's ridge period from the grey
// profile across the ridges (a 32-pixel signature, each sample the mean of
// 9 pixels along the ridge), as the strongest of a set of candidate periods
// in the signature's spectrum; then fills gaps and smooths.
func (e *Extractor) ridgePeriod() {
	bw, bh, W := e.bw, e.bh, e.W
	fb := e.bank
	var sig [2 * sigHalf]float32
	for b := range e.period {
		e.period[b] = 0
		x, y := b%bw, b/bw
		if !e.mask[b] || e.coh[b] < 0.3 {
			continue
		}
		ob := int(float64(e.theta[b])*orientBins/math.Pi+0.5) % orientBins
		c := (y*blockSize+blockSize/2+pad)*W + x*blockSize + blockSize/2 + pad
		offs := &fb.sig[ob]
		var meanS float32
		for k := range sig {
			var s float32
			for _, o := range offs[k] {
				s += e.img[c+int(o)]
			}
			sig[k] = s
			meanS += s
		}
		meanS /= 2 * sigHalf
		for k := range sig {
			sig[k] -= meanS
		}
		var best float32
		bestP := -1
		for p := 0; p < periodBins; p++ {
			var re, im float32
			wc, ws := &fb.sigCos[p], &fb.sigSin[p]
			for k, v := range sig {
				re += v * wc[k]
				im += v * ws[k]
			}
			if pw := re*re + im*im; pw > best {
				best, bestP = pw, p
			}
		}
		if bestP >= 0 {
			e.period[b] = float32(minPeriod + float64(bestP)*periodStep)
		}
	}
	// Fill blocks without an estimate from their neighbours (growing
	// outwards), then smooth with a 5x5 mean over estimated blocks.
	for iter := 0; iter < 8; iter++ {
		missing := false
		copy(e.ux, e.period)
		for b := range e.period {
			if !e.mask[b] && !e.nearMask(b%bw, b/bw) || e.ux[b] != 0 {
				continue
			}
			x, y := b%bw, b/bw
			var s, n float32
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx >= 0 && yy >= 0 && xx < bw && yy < bh && e.ux[yy*bw+xx] != 0 {
						s += e.ux[yy*bw+xx]
						n++
					}
				}
			}
			if n > 0 {
				e.period[b] = s / n
			} else {
				missing = true
			}
		}
		if !missing {
			break
		}
	}
	copy(e.ux, e.period)
	for b := range e.period {
		x, y := b%bw, b/bw
		var s, n float32
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				xx, yy := x+dx, y+dy
				if xx >= 0 && yy >= 0 && xx < bw && yy < bh && e.ux[yy*bw+xx] != 0 {
					s += e.ux[yy*bw+xx]
					n++
				}
			}
		}
		if n > 0 {
			e.period[b] = s / n
		} else {
			e.period[b] = defaultPeriod
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
