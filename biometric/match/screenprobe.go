package match

import (
	"math/bits"
	"sort"
)

// A probe prepared for the first stage of a 1:N search: the screening
// score of Screen computed from the probe's most complete cylinders only
// (those with the most cells inside the print: the minutiae away from its
// edge, whose cylinders are also the most alike between impressions), so
// that screening a gallery template costs a fraction of Screen.

// ScreenProbe is a probe template reduced for fast screening. Make it with
// NewScreenProbe; it is read-only afterwards, so one is shared by every
// goroutine of a search.
type ScreenProbe struct {
	n int
	// The kept cylinders in order of direction, and for each 256th of a
	// turn the first of them at or after its start (n when none; entry
	// 256 is n), so that the cylinders close in direction to a minutia
	// are one run, read without a search.
	a     [MaxMinutiae]uint16
	cyl   [MaxMinutiae][cylStride]uint64
	first [257]uint8
}

// NewScreenProbe keeps the k most complete usable cylinders of t (every
// usable one when k <= 0 or t has fewer).
func NewScreenProbe(t *Template, k int) *ScreenProbe {
	type cand struct {
		i, valid int
	}
	var cs []cand
	for i := 0; i < int(t.n); i++ {
		if t.m[i].flags&flagCylinder == 0 {
			continue
		}
		cs = append(cs, cand{i, validCells(t, i)})
	}
	sort.SliceStable(cs, func(x, y int) bool { return cs[x].valid > cs[y].valid })
	if k > 0 && len(cs) > k {
		cs = cs[:k]
	}
	sort.SliceStable(cs, func(x, y int) bool { return t.m[cs[x].i].a < t.m[cs[y].i].a })
	p := &ScreenProbe{n: len(cs)}
	for j, c := range cs {
		p.a[j] = t.m[c.i].a
		copy(p.cyl[j][:], t.cyl[c.i*cylStride:(c.i+1)*cylStride])
	}
	j := 0
	for b := range 256 {
		for j < p.n && p.a[j] < uint16(b<<8) {
			j++
		}
		p.first[b] = uint8(j)
	}
	p.first[256] = uint8(p.n)
	return p
}

// comparable returns the cells valid in both cylinders, ok when there are
// enough of them for a similarity.
func comparable(ca, cb *[cylStride]uint64) (common uint64, ok bool) {
	c := uint32(ca[cylWords]) & uint32(cb[cylWords])
	common = uint64(c) * (1 | 1<<cellLane)
	return common, bits.OnesCount64(common) >= minCommonBits
}

// cylinderSimilarity is the similarity of two cylinders over the cells
// common to both (see comparable): 1 - |a xor b| / (|a| + |b|), norms as
// square roots of bit counts; NaN when none of those cells is set
// (keepTop ignores it). It is the first stage's inner loop, small enough
// to inline.
func cylinderSimilarity(ca, cb *[cylStride]uint64, common uint64) float32 {
	var ca1, cb1, nd int
	for w := range cylWords {
		ca1 += bits.OnesCount64(ca[w] & common)
		cb1 += bits.OnesCount64(cb[w] & common)
		nd += bits.OnesCount64((ca[w] ^ cb[w]) & common)
	}
	return 1 - sqrtTab[nd]/(sqrtTab[ca1]+sqrtTab[cb1])
}

// keepTop puts s into the descending top list when it beats the last
// (never a NaN).
func keepTop(top *[screenK]float32, s float32) {
	if !(s > top[screenK-1]) {
		return
	}
	q := screenK - 1
	for q > 0 && top[q-1] < s {
		top[q] = top[q-1]
		q--
	}
	top[q] = s
}

// run returns the kept cylinders that may lie at most screenAngle from
// direction a: count of them from start on (circularly), those of the
// 256ths of a turn the window touches; lo is where the window starts.
func (p *ScreenProbe) run(a uint16) (lo uint16, start, count int) {
	lo = a - screenAngle
	bl, bh := int(lo>>8), int((a+screenAngle)>>8)
	start = int(p.first[bl])
	count = int(p.first[bh+1]) - start
	if bl > bh { // the window wraps past direction 0
		count += p.n
	}
	return lo, start, count
}

// ScorePacked is Score for a template in a gallery's packed form: it
// reads the packed template's screening cylinders (its first ones, those
// of ScreenMask) and gives the same score as Score with that mask.
func (p *ScreenProbe) ScorePacked(b *Packed) float32 {
	var top [screenK]float32
	for j := 0; j < int(b.k); j++ {
		cb := &b.cyl[j]
		lo, i, count := p.run(b.a[j])
		for ; count > 0; count-- {
			if i == p.n {
				i = 0
			}
			if uint16(p.a[i]-lo) <= 2*screenAngle {
				if common, ok := comparable(&p.cyl[i], cb); ok {
					keepTop(&top, cylinderSimilarity(&p.cyl[i], cb, common))
				}
			}
			i++
		}
	}
	return (top[0] + top[1] + top[2] + top[3]) / screenK
}

// ScreenMask returns the minutiae of t whose cylinders are usable, as bits
// (bit i for minutia i), keeping only the k most complete ones when k > 0
// and t has more: what a gallery keeps next to each template so that
// screening reads only those (ScreenProbe.Score).
func ScreenMask(t *Template, k int) uint64 {
	// Cells inside the print per usable cylinder (at most 64), counted
	// once; the k most complete are those at or above the count where the
	// running total from the top reaches k (ties at that count by index).
	var valid [MaxMinutiae]uint8
	var hist [65]int
	var all uint64
	n := 0
	for i := 0; i < int(t.n); i++ {
		if t.m[i].flags&flagCylinder != 0 {
			valid[i] = uint8(validCells(t, i))
			hist[valid[i]]++
			all |= 1 << i
			n++
		}
	}
	if k <= 0 || n <= k {
		return all
	}
	cut, above := 64, 0
	for ; cut > 0 && above+hist[cut] < k; cut-- {
		above += hist[cut]
	}
	var m uint64
	ties := k - above
	for i := 0; i < int(t.n); i++ {
		if all>>i&1 == 0 {
			continue
		}
		switch {
		case int(valid[i]) > cut:
			m |= 1 << i
		case int(valid[i]) == cut && ties > 0:
			m |= 1 << i
			ties--
		}
	}
	return m
}

// Score returns the screening score of b against the probe: on Screen's
// scale (the mean of the screenK best cylinder similarities among pairs
// turned at most screenAngle apart), from the probe's kept cylinders and
// b's minutiae in mask (ScreenMask) only. It visits each masked minutia of
// b once and compares it with every kept probe cylinder close enough in
// direction (no search in b's order by direction: the probe's few
// cylinders stay in cache). It allocates nothing.
func (p *ScreenProbe) Score(b *Template, mask uint64) float32 {
	var top [screenK]float32
	mask &= 1<<b.n - 1
	for mask != 0 {
		j := bits.TrailingZeros64(mask)
		mask &= mask - 1
		mb := &b.m[j]
		if mb.flags&flagCylinder == 0 {
			continue
		}
		cb := (*[cylStride]uint64)(b.cyl[j*cylStride : j*cylStride+cylStride])
		lo, i, count := p.run(mb.a)
		for ; count > 0; count-- {
			if i == p.n {
				i = 0
			}
			if uint16(p.a[i]-lo) <= 2*screenAngle {
				if common, ok := comparable(&p.cyl[i], cb); ok {
					keepTop(&top, cylinderSimilarity(&p.cyl[i], cb, common))
				}
			}
			i++
		}
	}
	return (top[0] + top[1] + top[2] + top[3]) / screenK
}
