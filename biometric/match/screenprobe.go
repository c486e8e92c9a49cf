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
	n   int
	a   [MaxMinutiae]uint16
	cyl [MaxMinutiae][cylStride]uint64
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
		cs = append(cs, cand{i, bits.OnesCount64(t.cyl[i*cylStride+cylWords])})
	}
	sort.SliceStable(cs, func(x, y int) bool { return cs[x].valid > cs[y].valid })
	if k > 0 && len(cs) > k {
		cs = cs[:k]
	}
	p := &ScreenProbe{n: len(cs)}
	for j, c := range cs {
		p.a[j] = t.m[c.i].a
		copy(p.cyl[j][:], t.cyl[c.i*cylStride:(c.i+1)*cylStride])
	}
	return p
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
			valid[i] = uint8(bits.OnesCount64(t.cyl[i*cylStride+cylWords]))
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
		for i := 0; i < p.n; i++ {
			if uint16(mb.a-p.a[i]+screenAngle) > 2*screenAngle {
				continue
			}
			ca := &p.cyl[i]
			common := ca[cylWords] & cb[cylWords]
			if bits.OnesCount64(common) < minCommonBits {
				continue
			}
			var ca1, cb1, nd int
			for w := 0; w < cylWords; w++ {
				x := ca[w] & common
				y := cb[w] & common
				ca1 += bits.OnesCount64(x)
				cb1 += bits.OnesCount64(y)
				nd += bits.OnesCount64(x ^ y)
			}
			if ca1+cb1 == 0 {
				continue
			}
			s := 1 - sqrtTab[nd]/(sqrtTab[ca1]+sqrtTab[cb1])
			if s <= top[screenK-1] {
				continue
			}
			q := screenK - 1
			for q > 0 && top[q-1] < s {
				top[q] = top[q-1]
				q--
			}
			top[q] = s
		}
	}
	return (top[0] + top[1] + top[2] + top[3]) / screenK
}
