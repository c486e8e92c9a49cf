package match

import (
	"fmt"
	"math"
	"math/big"
	"testing"
	"unsafe"

	"checkpost/biometric"
)

// The comparison's inner loops are written for speed (assembly for the
// cylinder similarities, pairs of pairs filtered in passes without
// branches, a grid for the pairing under an alignment). The reference
// versions below are the plain forms they replaced; the tests require the
// fast forms to give the same bits, pair for pair and in the same order
// (Compare's score depends on the order: it breaks ties and orders sums).
// Floats are compared by their shortest decimal form, which tells every
// two float32 apart.

// refLocalPairs is localPairs as first written: b's minutiae by
// direction with their flags tested in the loop, a heap with swaps.
func refLocalPairs(a, b *Template, k int, out []pair) int {
	np := 0
	nb := int(b.n)
	siftDown := func(h []pair, i int) {
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
	for i := 0; i < int(a.n); i++ {
		ma := &a.m[i]
		if ma.flags&flagCylinder == 0 {
			continue
		}
		ca := (*[cylStride]uint64)(a.cyl[i*cylStride:])
		lo := ma.a - maxAngle
		start, hi := 0, nb
		for start < hi {
			mid := (start + hi) / 2
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
			cb := (*[cylStride]uint64)(b.cyl[j*cylStride:])
			common, ok := comparable(ca, cb)
			if !ok {
				continue
			}
			var ca1, cb1, nd int
			for w := 0; w < cylWords; w++ {
				x, y := ca[w]&common, cb[w]&common
				ca1 += popcount([]uint64{x})
				cb1 += popcount([]uint64{y})
				nd += popcount([]uint64{x ^ y})
			}
			if ca1+cb1 == 0 {
				continue
			}
			s := 1 - sqrtTab[nd]/(sqrtTab[ca1]+sqrtTab[cb1])
			if s <= 0 {
				continue
			}
			p := pair{sim: s, a: uint8(i), b: uint8(j)}
			switch {
			case np < k:
				out[np] = p
				for c := np; c > 0; {
					parent := (c - 1) / 2
					if out[parent].sim <= out[c].sim {
						break
					}
					out[parent], out[c] = out[c], out[parent]
					c = parent
				}
				np++
			case s > out[0].sim:
				out[0] = p
				siftDown(out[:k], 0)
			}
		}
	}
	return np
}

// refCountUnder is countUnder as first written: b's minutiae sorted by
// x, those within overlapDist in x scanned in order of index.
func refCountUnder(a, b *Template, al alignment) (v float64, pa, pb []uint8) {
	na, nb := int(a.n), int(b.n)
	var used, overB [MaxMinutiae]bool
	var overA float32
	var w float32
	for i := 0; i < na; i++ {
		m := &a.m[i]
		tx := al.c*float32(m.x) - al.s*float32(m.y) + al.tx
		ty := al.s*float32(m.x) + al.c*float32(m.y) + al.ty
		ta := m.a + al.rot
		xmin, xmax := tx-float32(overlapDist), tx+float32(overlapDist)
		lo := 0
		for lo < nb && float32(b.m[lo].x) < xmin {
			lo++
		}
		bestJ, bestD := -1, float32(pairRadius*pairRadius)
		inA := false
		for j := lo; j < nb && float32(b.m[j].x) <= xmax; j++ {
			dx, dy := tx-float32(b.m[j].x), ty-float32(b.m[j].y)
			d := dx*dx + dy*dy
			if d > overlapDist*overlapDist {
				continue
			}
			inA, overB[j] = true, true
			if d < bestD && !used[j] && absAngle(int16(ta-b.m[j].a)) <= pairAngle>>6 {
				bestJ, bestD = j, d
			}
		}
		if inA {
			overA += reliability[m.flags>>relShift]
		}
		if bestJ >= 0 {
			used[bestJ] = true
			pa, pb = append(pa, uint8(i)), append(pb, uint8(bestJ))
			w += typeAgreement(m.flags, b.m[bestJ].flags) * descWeight(a.descriptor(i), b.descriptor(bestJ))
		}
	}
	var overBn float32
	for j, o := range overB[:nb] {
		if o {
			overBn += reliability[b.m[j].flags>>relShift]
		}
	}
	if len(pa) == 0 {
		return 0, nil, nil
	}
	wf := float64(w)
	mo := overlapFloor(na, nb)
	return wf * wf / (max(float64(overA), mo) * max(float64(overBn), mo)), pa, pb
}

// synthTemplates makes n random templates: 3 to 60 minutiae in prints of
// 150 to 600 pixels (now and then spread over thousands, or piled on few
// positions and directions), random types and descriptors.
func synthTemplates(tb testing.TB, n int, seed uint32) []*Template {
	tb.Helper()
	s := seed | 1
	next := func() uint32 {
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		return s
	}
	var out []*Template
	for len(out) < n {
		src := biometric.Template{ResolutionPPI: 500}
		nm := 3 + int(next()%58)
		size := 150 + int(next()%450)
		if next()%10 == 0 {
			size = 8000
		}
		piled := next()%10 == 0
		for range nm {
			x, y := int(next()%uint32(size)), int(next()%uint32(size))
			ang := float64(next()%6283) / 1000
			if piled {
				x, y, ang = x%40, y%40, float64(next()%3)
			}
			src.Minutiae = append(src.Minutiae, biometric.Minutia{X: x, Y: y, Angle: ang,
				Type: biometric.MinutiaType(next() % 3), Quality: uint8(next() % 100), Orientation: next()})
		}
		t, err := Prepare(&src)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, t)
	}
	return out
}

func fastTestTemplates(t *testing.T) []*Template {
	ts := synthTemplates(t, 40, 7)
	for f := 101; f <= 103; f++ {
		for i := 1; i <= 6; i++ {
			ts = append(ts, prepareFVC(t, fmt.Sprintf("DB1_B/%d_%d.tif", f, i)))
		}
	}
	return ts
}

func TestLocalPairsMatchesReference(t *testing.T) {
	ts := fastTestTemplates(t)
	var m Matcher
	for x, a := range ts {
		for y, b := range ts {
			k := min(int(a.n), int(b.n), maxRelax)
			var want [maxRelax]pair
			nw := refLocalPairs(a, b, k, want[:])
			n := m.localPairs(a, b, k)
			if n != nw || fmt.Sprint(m.pairs[:n]) != fmt.Sprint(want[:nw]) {
				t.Fatalf("templates %d, %d: %d pairs %v, want %d %v", x, y, n, m.pairs[:n], nw, want[:nw])
			}
		}
	}
}

func TestCompatListsMatchReference(t *testing.T) {
	ts := fastTestTemplates(t)
	var m Matcher
	for x, a := range ts {
		for y, b := range ts {
			nR := m.localPairs(a, b, min(int(a.n), int(b.n), maxRelax))
			top := m.pairs[:nR]
			m.compatLists(a, b, top)
			for p := range top {
				var want []string
				for q := range top {
					if q == p {
						continue
					}
					// compat's arguments in the order Compare used: the
					// earlier pair's minutiae first.
					p1, q1 := min(p, q), max(p, q)
					r := compat(&a.m[top[p1].a], &a.m[top[q1].a], &b.m[top[p1].b], &b.m[top[q1].b])
					if r != 0 {
						want = append(want, fmt.Sprintf("%d:%08x", q, math.Float32bits(r)))
					}
				}
				var got []string
				for k := range int(m.nnz[p]) {
					got = append(got, fmt.Sprintf("%d:%08x", m.rhoQ[p*maxRelax+k], math.Float32bits(m.rho[p*maxRelax+k])))
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("templates %d, %d, pair %d: %v, want %v", x, y, p, got, want)
				}
			}
		}
	}
}

func TestCountUnderMatchesReference(t *testing.T) {
	ts := fastTestTemplates(t)
	var m Matcher
	s := uint32(99)
	for x, a := range ts {
		for y, b := range ts {
			m.loadB(b)
			// Alignments from the local pairs, as the consolidation
			// seeds them, and random ones.
			nR := m.localPairs(a, b, min(int(a.n), int(b.n), maxRelax))
			var als []alignment
			for _, p := range m.pairs[:min(nR, 4)] {
				sa, sb := &a.m[p.a], &b.m[p.b]
				rot := float64(int16(sb.a-sa.a)) * (2 * math.Pi / 65536)
				c, sn := math.Cos(rot), math.Sin(rot)
				als = append(als, makeAlignment(rot, float64(sb.x)-(c*float64(sa.x)-sn*float64(sa.y)), float64(sb.y)-(sn*float64(sa.x)+c*float64(sa.y))))
			}
			for range 3 {
				s ^= s << 13
				s ^= s >> 17
				s ^= s << 5
				als = append(als, makeAlignment(float64(s%6283)/1000, float64(int(s>>8)%600-300)+0.37, float64(int(s>>18)%600-300)-0.61))
			}
			for _, al := range als {
				v, n := m.countUnder(a, b, al)
				wv, wa, wb := refCountUnder(a, b, al)
				if math.Float64bits(v) != math.Float64bits(wv) || n != len(wa) ||
					fmt.Sprint(m.pairA[:n], m.pairB[:n]) != fmt.Sprint(wa, wb) {
					t.Fatalf("templates %d, %d, %+v: %v %v %v, want %v %v %v", x, y, al, v, m.pairA[:n], m.pairB[:n], wv, wa, wb)
				}
			}
		}
	}
}

// The assembly and the portable similarities agree bit for bit, on
// random cylinders of every kind of validity and on every floor.
//
// The AVX-512 form likewise, reading the cylinders word by word from any
// place in Matcher.bWords, with other words past the window.
func TestWindowSimsAsmMatchesGo(t *testing.T) {
	if !useAsmSims {
		t.Skip("no assembly on this platform")
	}
	var words [cylStride][bWordsLen]uint64
	var got512 [MaxMinutiae + simsLanes]hit
	s := uint64(88172645463325252)
	next := func() uint64 {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		return s
	}
	cyl := func() [cylStride]uint64 {
		var c [cylStride]uint64
		valid := uint64(next())
		switch next() % 4 {
		case 0:
			valid = 0xffffffff
		case 1:
			valid &= next() | next() // fewer cells
		}
		valid &= 0xffffffff
		for w := range cylWords {
			c[w] = next() & next() & (valid | valid<<32)
			if next()%8 == 0 {
				c[w] = next() // bits outside the valid cells
			}
		}
		if next()%16 == 0 {
			c[0], c[1], c[2] = 0, 0, 0
		}
		c[cylWords] = valid | next()<<32 // descriptor bits above
		return c
	}
	var bc [MaxMinutiae][cylStride]uint64
	var got, want [MaxMinutiae]hit
	for round := range 20000 {
		ca := cyl()
		n := int(next() % (MaxMinutiae + 1))
		for k := range n {
			bc[k] = cyl()
			if next()%8 == 0 {
				bc[k] = ca
			}
		}
		floor := float32(0)
		if round%2 == 1 {
			floor = float32(next()%1000) / 1000
		}
		if n == 0 {
			continue
		}
		ng := windowSimsAsm(&ca, &bc[0], n, &sqrtTab, minCommonCells, floor, &got[0])
		nw := windowSimsGo(&ca, bc[:n], floor, want[:n])
		if ng != nw || fmt.Sprint(got[:ng]) != fmt.Sprint(want[:nw]) {
			t.Fatalf("round %d: %v, want %v", round, got[:ng], want[:nw])
		}
		if !useAVX512 {
			continue
		}
		start := int(next() % uint64(bWordsLen-n-simsLanes+1))
		for w := range words {
			for k := range words[w] {
				words[w][k] = next()
			}
			for k := range n {
				words[w][start+k] = bc[k][w]
			}
		}
		ng = windowSimsAVX512(&ca, &words[0][start], n, minCommonCells, floor, &got512[0])
		if ng != nw || fmt.Sprint(got512[:ng]) != fmt.Sprint(want[:nw]) {
			t.Fatalf("round %d, AVX-512: %v, want %v", round, got512[:ng], want[:nw])
		}
	}
}

// windowSimsAVX512 takes the square roots of bit counts with VSQRTPS,
// the float32 nearest the root; sqrtTab holds float32(math.Sqrt), which
// rounds twice (to float64, then to float32). They agree when each entry
// lies within half a float32 step of the root: (t - h)² < n < (t + h)²
// with h half the step on either side, in exact arithmetic.
func TestSqrtTabIsNearestFloat32(t *testing.T) {
	exact := func(x float64) *big.Float { return new(big.Float).SetPrec(200).SetFloat64(x) }
	for n := 1; n < len(sqrtTab); n++ {
		r := sqrtTab[n]
		lo := exact(float64(r))
		lo.Add(lo, exact(float64(math.Nextafter32(r, 0)))).Quo(lo, exact(2))
		hi := exact(float64(r))
		hi.Add(hi, exact(float64(math.Nextafter32(r, 256)))).Quo(hi, exact(2))
		v := exact(float64(n))
		if new(big.Float).Mul(lo, lo).Cmp(v) >= 0 || new(big.Float).Mul(hi, hi).Cmp(v) <= 0 {
			t.Errorf("sqrtTab[%d] = %v is not the float32 nearest its root", n, r)
		}
	}
	if sqrtTab[0] != 0 {
		t.Errorf("sqrtTab[0] = %v", sqrtTab[0])
	}
}

// The assembly reads Matcher.bWords as rows of 800 bytes.
func TestBWordsLayout(t *testing.T) {
	var m Matcher
	if d := uintptr(unsafe.Pointer(&m.bWords[1][0])) - uintptr(unsafe.Pointer(&m.bWords[0][0])); d != 800 {
		t.Fatalf("bWords rows %d bytes apart, the assembly reads 800", d)
	}
}

// The assembly reads pairGeom and compatScratch at fixed offsets.
func TestPairGeomLayout(t *testing.T) {
	var g pairGeom
	var c compatScratch
	got := []uintptr{unsafe.Offsetof(g.aa), unsafe.Offsetof(g.ba), unsafe.Offsetof(g.ax), unsafe.Offsetof(g.ay),
		unsafe.Offsetof(g.bx), unsafe.Offsetof(g.by), unsafe.Offsetof(c.i1), unsafe.Offsetof(c.d3)}
	if fmt.Sprint(got) != fmt.Sprint([]uintptr{48, 96, 144, 240, 336, 432, 128, 256}) {
		t.Fatalf("pairGeom or compatScratch layout changed (%v): update sims_amd64.s", got)
	}
}
