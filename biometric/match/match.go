package match

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"

	"checkpost/biometric"
)

// MaxMinutiae is the most minutiae a prepared template keeps (those of
// highest quality): it bounds the prepared form's size and the comparison's
// time. Good 500 ppi plain impressions have 30-60.
const MaxMinutiae = 48

// ErrTooFewMinutiae is returned by Prepare for a template with fewer than
// MinMinutiae minutiae: such a print cannot be compared meaningfully.
var ErrTooFewMinutiae = errors.New("match: too few minutiae")

// MinMinutiae is the fewest minutiae a template needs to be prepared.
const MinMinutiae = 3

// Minutia flags: the cylinder is usable; the type when the source states
// it (none for "other").
const (
	flagCylinder    = 1
	flagEnding      = 2
	flagBifurcation = 4
	flagTypes       = flagEnding | flagBifurcation
)

// minutia is a minutia in the matcher's frame: 500 ppi pixels, y up (so
// angles are counter-clockwise as in biometric.Minutia), angle in 1/65536
// of a turn.
type minutia struct {
	x, y  int16
	a     uint16
	flags uint8
	_     uint8
}

func (m *minutia) angle() float64 { return float64(m.a) * (2 * math.Pi / 65536) }

// Template is a fingerprint template prepared for comparison: at most
// MaxMinutiae minutiae with their local structures, in one fixed-size
// value of about 2 KB with no pointers, so that a 1:N gallery is one flat
// slice. Make it with Prepare; the zero value matches nothing.
type Template struct {
	n uint8
	// byAngle lists the minutiae in order of direction, so that a
	// comparison visits only the pairs turned less than maxAngle apart.
	byAngle [MaxMinutiae]uint8
	m       [MaxMinutiae]minutia
	cyl     [MaxMinutiae * cylStride]uint64
}

// Len returns the number of minutiae kept.
func (t *Template) Len() int { return int(t.n) }

// Prepare converts a template into the matcher's form. Coordinates are
// rescaled to 500 ppi when the template states another resolution; when
// the template has more than MaxMinutiae minutiae, those of highest quality
// are kept.
func Prepare(src *biometric.Template) (*Template, error) {
	t := new(Template)
	if err := t.Prepare(src); err != nil {
		return nil, err
	}
	return t, nil
}

// Prepare fills t from src (see the package function Prepare) without
// allocating a new Template.
func (t *Template) Prepare(src *biometric.Template) error {
	*t = Template{}
	if len(src.Minutiae) < MinMinutiae {
		return fmt.Errorf("%w: %d (need %d)", ErrTooFewMinutiae, len(src.Minutiae), MinMinutiae)
	}
	scale := 1.0
	if src.ResolutionPPI > 0 && src.ResolutionPPI != 500 {
		scale = 500 / float64(src.ResolutionPPI)
	}
	ms := make([]biometric.Minutia, len(src.Minutiae))
	copy(ms, src.Minutiae)
	if len(ms) > MaxMinutiae {
		// Highest quality first; among equals, a fixed order of the
		// minutiae themselves, so the kept set does not depend on the
		// order the source listed them in.
		sort.Slice(ms, func(i, j int) bool {
			if ms[i].Quality != ms[j].Quality {
				return ms[i].Quality > ms[j].Quality
			}
			return minutiaLess(&ms[i], &ms[j])
		})
		ms = ms[:MaxMinutiae]
	}
	var descs [MaxMinutiae]uint32
	for i, m := range ms {
		x, y := math.Round(float64(m.X)*scale), math.Round(float64(m.Y)*scale)
		if x < -16000 || x > 16000 || y < -16000 || y > 16000 || math.IsNaN(m.Angle) || math.IsInf(m.Angle, 0) {
			return fmt.Errorf("match: minutia %d: position (%d, %d) or angle %v out of range", i, m.X, m.Y, m.Angle)
		}
		a := math.Mod(m.Angle, 2*math.Pi)
		if a < 0 {
			a += 2 * math.Pi
		}
		t.m[i] = minutia{x: int16(x), y: int16(-y), a: uint16(int(math.Round(a*65536/(2*math.Pi))) & 0xffff)}
		descs[i] = m.Orientation
		switch m.Type {
		case biometric.MinutiaEnding:
			t.m[i].flags |= flagEnding
		case biometric.MinutiaBifurcation:
			t.m[i].flags |= flagBifurcation
		}
	}
	t.n = uint8(len(ms))
	// Sorted by x, so that pairing can scan a window of the other print;
	// ties broken by y, direction and flags so that the order (which
	// Compare's tie-breaks follow) depends on the minutiae only, not on
	// the source's order or the sort algorithm.
	sort.Sort(byPosition{t.m[:t.n], descs[:t.n]})
	// The order by direction, equal directions by index: the same
	// stable order UnmarshalBinary and Unpack rebuild, so a template
	// compares the same however it was loaded.
	sortByAngle(t)
	t.buildCylinders(descs[:t.n])
	return nil
}

// byPosition sorts minutiae with their descriptors by x, then y,
// direction, flags and descriptor.
type byPosition struct {
	m []minutia
	d []uint32
}

func (s byPosition) Len() int { return len(s.m) }
func (s byPosition) Swap(i, j int) {
	s.m[i], s.m[j] = s.m[j], s.m[i]
	s.d[i], s.d[j] = s.d[j], s.d[i]
}
func (s byPosition) Less(i, j int) bool {
	p, q := &s.m[i], &s.m[j]
	switch {
	case p.x != q.x:
		return p.x < q.x
	case p.y != q.y:
		return p.y < q.y
	case p.a != q.a:
		return p.a < q.a
	case p.flags != q.flags:
		return p.flags < q.flags
	}
	return s.d[i] < s.d[j]
}

// minutiaLess is a total order of source minutiae (position, direction,
// type, quality) for tie-breaks.
func minutiaLess(p, q *biometric.Minutia) bool {
	switch {
	case p.Y != q.Y:
		return p.Y < q.Y
	case p.X != q.X:
		return p.X < q.X
	case p.Angle != q.Angle:
		return p.Angle < q.Angle
	case p.Type != q.Type:
		return p.Type < q.Type
	case p.Quality != q.Quality:
		return p.Quality < q.Quality
	}
	return p.Orientation < q.Orientation
}

// Matcher holds the scratch space of comparisons. It is not safe for
// concurrent use: give each goroutine its own. The zero value is ready.
type Matcher struct {
	pairs  [maxRelax]pair
	rho    [maxRelax * maxRelax]float32 // per pair, its non-zero compatibilities
	rhoQ   [maxRelax * maxRelax]int8    // and the pairs they are with
	nnz    [maxRelax]uint8
	lambda [2][maxRelax]float32
	eff    [maxRelax]float32
	order  [maxRelax]int8
	tx, ty [MaxMinutiae]float32
	ta     [MaxMinutiae]uint16
	usedB  [MaxMinutiae]bool
	pairA  [MaxMinutiae]uint8
	pairB  [MaxMinutiae]uint8
}

type pair struct {
	sim  float32
	a, b uint8
}

// Consolidation parameters (MCC's LSS-R: relaxation over the best local
// pairs, then the mean of the most efficient ones).
const (
	maxRelax = 24
	minNP    = 4
	maxNP    = 12
	muNP     = 20
	tauNP    = 0.4
	relaxW   = 0.5
	relaxN   = 5
	maxAngle = 16384 // π/2: local pairs turned further apart do not match
)

// Compare returns the similarity of a and b, 0 (nothing in common) to 1.
// It allocates nothing.
func (m *Matcher) Compare(a, b *Template) float64 {
	nR := m.localPairs(a, b, min(int(a.n), int(b.n), maxRelax))
	if nR == 0 {
		return 0
	}
	top := m.pairs[:nR]
	// Compatibility of every two selected pairs, kept as lists of the
	// non-zero ones per pair (most are zero: the relaxation then visits
	// only the few that count).
	for p := 0; p < nR; p++ {
		m.nnz[p] = 0
	}
	for p := 0; p < nR; p++ {
		pa, pb := &a.m[top[p].a], &b.m[top[p].b]
		for q := p + 1; q < nR; q++ {
			qa, qb := &a.m[top[q].a], &b.m[top[q].b]
			r := compat(pa, qa, pb, qb)
			if r == 0 {
				continue
			}
			k := p*maxRelax + int(m.nnz[p])
			m.rho[k], m.rhoQ[k] = r, int8(q)
			m.nnz[p]++
			k = q*maxRelax + int(m.nnz[q])
			m.rho[k], m.rhoQ[k] = r, int8(p)
			m.nnz[q]++
		}
	}
	cur, nxt := &m.lambda[0], &m.lambda[1]
	for p := 0; p < nR; p++ {
		cur[p] = top[p].sim
	}
	inv := float32(1) / float32(max(nR-1, 1))
	for it := 0; it < relaxN; it++ {
		for p := 0; p < nR; p++ {
			row := m.rho[p*maxRelax : p*maxRelax+int(m.nnz[p])]
			qs := m.rhoQ[p*maxRelax : p*maxRelax+len(row)]
			var s float32
			for k, r := range row {
				s += r * cur[qs[k]]
			}
			nxt[p] = relaxW*cur[p] + (1-relaxW)*s*inv
		}
		cur, nxt = nxt, cur
	}
	for p := 0; p < nR; p++ {
		m.eff[p] = cur[p] / top[p].sim
		m.order[p] = int8(p)
	}
	nP := minNP + int(math.Round(sigmoid(float64(min(int(a.n), int(b.n))), muNP, tauNP)*(maxNP-minNP)))
	nP = min(nP, nR)
	// Partial selection sort: nP is at most 12.
	var sum float32
	for k := 0; k < nP; k++ {
		best := k
		for j := k + 1; j < nR; j++ {
			if m.eff[m.order[j]] > m.eff[m.order[best]] {
				best = j
			}
		}
		m.order[k], m.order[best] = m.order[best], m.order[k]
		sum += cur[m.order[k]]
	}
	lss := float64(sum) / float64(nP)
	return m.consolidate(a, b, top, cur[:nR]) * lss
}

// localPairs fills m.pairs with the k pairs of minutiae whose cylinders
// are most similar (fewer when fewer are comparable) and returns their
// number.
func (m *Matcher) localPairs(a, b *Template, k int) int {
	np := 0
	nb := int(b.n)
	for i := 0; i < int(a.n); i++ {
		ma := &a.m[i]
		if ma.flags&flagCylinder == 0 {
			continue
		}
		ca := a.cyl[i*cylStride : i*cylStride+cylStride : i*cylStride+cylStride]
		// b's minutiae turned at most maxAngle from ma: a circular run
		// of byAngle from the first at or above ma.a - maxAngle.
		lo := ma.a - maxAngle
		start, hi := 0, nb
		for start < hi {
			mid := int(uint(start+hi) >> 1)
			if b.m[b.byAngle[mid]].a < lo {
				start = mid + 1
			} else {
				hi = mid
			}
		}
		for step := 0; step < nb; step++ {
			j := int(b.byAngle[(start+step)%nb])
			mb := &b.m[j]
			if uint16(mb.a-lo) > 2*maxAngle {
				break
			}
			if mb.flags&flagCylinder == 0 {
				continue
			}
			cb := b.cyl[j*cylStride : j*cylStride+cylStride : j*cylStride+cylStride]
			common, ok := comparable((*[cylStride]uint64)(ca), (*[cylStride]uint64)(cb))
			if !ok {
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
			if s <= 0 {
				continue
			}
			p := pair{sim: s, a: uint8(i), b: uint8(j)}
			// m.pairs[:np] is a min-heap on similarity: the root is the
			// pair to replace by a better one.
			switch {
			case np < k:
				m.pairs[np] = p
				siftUp(m.pairs[:np+1], np)
				np++
			case s > m.pairs[0].sim:
				m.pairs[0] = p
				siftDown(m.pairs[:k], 0)
			}
		}
	}
	return np
}

func siftUp(h []pair, i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].sim <= h[i].sim {
			return
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
}

func siftDown(h []pair, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		c := l
		if r := l + 1; r < len(h) && h[r].sim < h[l].sim {
			c = r
		}
		if h[i].sim <= h[c].sim {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// minCommonBits is cylMinCommon of the cells, counted in the doubled
// validity word.
// (set in init, after the cells exist).
var minCommonBits int

var sqrtTab [cylWords*64 + 1]float32

func init() {
	minCommonBits = int(math.Ceil(cylMinCommon*float64(len(cellU)))) * lanesPerW
	for i := range sqrtTab {
		sqrtTab[i] = float32(math.Sqrt(float64(i)))
	}
}

func sigmoid(v, mu, tau float64) float64 { return 1 / (1 + math.Exp(-tau*(v-mu))) }

// Relaxation compatibility: how well two pairs (a1,b1), (a2,b2) agree in
// the distance between their minutiae, the difference of their directions,
// and the direction of the line joining them.
var (
	zDist  [256]float32 // by distance difference in quarter pixels
	zAngle [513]float32 // by angle difference in 1/1024 turn
)

func init() {
	for i := range zDist {
		zDist[i] = float32(sigmoid(float64(i)/4, 5, -1.6))
	}
	for i := range zAngle {
		zAngle[i] = float32(sigmoid(float64(i)*2*math.Pi/1024, math.Pi/12, -30))
	}
}

// Beyond these the compatibility terms are below 0.001: stop early.
const (
	compatMaxDist  = 4 * 10 // 10 pixels, in quarter pixels
	compatMaxAngle = 1024 * 30 / 360
)

func compat(a1, a2, b1, b2 *minutia) float32 {
	// The direction difference first: it needs no square root and
	// rules out most pairs of an impostor comparison.
	d2 := absAngle(int16((a1.a - a2.a) - (b1.a - b2.a)))
	if d2 >= compatMaxAngle {
		return 0
	}
	dxa, dya := float32(a2.x)-float32(a1.x), float32(a2.y)-float32(a1.y)
	dxb, dyb := float32(b2.x)-float32(b1.x), float32(b2.y)-float32(b1.y)
	la := float32(math.Sqrt(float64(dxa*dxa + dya*dya)))
	lb := float32(math.Sqrt(float64(dxb*dxb + dyb*dyb)))
	d1 := la - lb
	if d1 < 0 {
		d1 = -d1
	}
	i1 := int(d1 * 4)
	if i1 >= compatMaxDist {
		return 0
	}
	z := zDist[i1] * zAngle[d2]
	// Direction of the joining line relative to the first minutia.
	ra := atan16(dya, dxa) - a1.a
	rb := atan16(dyb, dxb) - b1.a
	d3 := absAngle(int16(ra - rb))
	if d3 >= compatMaxAngle {
		return 0
	}
	return z * zAngle[d3]
}

// absAngle maps a signed angle in 1/65536 turn to a zAngle index.
func absAngle(d int16) int {
	v := int(d)
	if v < 0 {
		v = -v
	}
	return v >> 6
}

// atan16 is atan2(y, x) in 1/65536 turn, to about 0.3°.
func atan16(y, x float32) uint16 {
	ax, ay := x, y
	if ax < 0 {
		ax = -ax
	}
	if ay < 0 {
		ay = -ay
	}
	if ax == 0 && ay == 0 {
		return 0
	}
	var a float32 // in turns, first octant folded
	if ax >= ay {
		r := ay / ax
		a = r * (0.125 + 0.04345*(1-r))
	} else {
		r := ax / ay
		a = 0.25 - r*(0.125+0.04345*(1-r))
	}
	if x < 0 {
		a = 0.5 - a
	}
	if y < 0 {
		a = -a
	}
	return uint16(int32(a * 65536))
}
