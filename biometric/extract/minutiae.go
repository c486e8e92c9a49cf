package extract

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// False-minutia removal, in pixels at 500 ppi (about 9 pixels a ridge
// period).
const (
	maxTrace         = 40  // how far a branch is followed along the skeleton
	dirDistance      = 10  // the traced point that gives a minutia's sense
	lakeLength       = 30  // a loop this short is a hole in a ridge
	gapDistance      = 16  // endings this close that face each other are a break
	gapAngle         = 0.7 // cosine: "facing" means within about 45°
	closeDist        = 5   // minutiae this close are noise
	borderBlocks     = 1   // for minutia quality: blocks from the mask edge
	borderPixels     = 10  // endings closer than this to the background are dropped
	borderForkPixels = 8   // forks closer than this to the background are dropped
	// Forks closer than this to the image's edge are dropped (see
	// filterMinutiae).
	edgeForkPixels = 5
	// Endings whose ridge runs from them towards the image's edge, not
	// into the image, are dropped only this close to it (see
	// edgeCannotCut).
	edgeEndPixels = 4
)

// The skeleton graph's short edges, in local ridge periods (the block's
// estimate where the edge starts): a ridge shorter than dotPeriods between
// two endings is a dot, an ending closer than spurPeriods along the ridge
// to a fork is a spur, two forks closer than bridgePeriods are a bridge
// between ridges. In periods rather than pixels, so that the rules mean
// the same on fine and coarse ridges and at other sensor resolutions read
// as 500 ppi (FVC2002 DB1_B's ridges are about 9.3 pixels apart, DB2_B's,
// 569 ppi read as 500, about 10.5). Chosen on DB1_B and DB2_B, whole and
// cropped; the fixed 14 pixels they replace removed real minutiae on fine
// ridges (about 1.5 periods there). Dots and spurs went from 1.1 to 1.0
// periods once the Gabor filter spanned a period each side and specks no
// longer rang (fewer short fragments left to remove).
const (
	dotPeriods    = 1.0
	spurPeriods   = 1.0
	bridgePeriods = 1.3
)

// Broken ridges are joined before the graph's rules run (see bridgeGaps):
// two endings at most gapJoinPeriods local periods apart are joined when
// each one's ridge runs away from the other within gapJoinCos (cosine,
// about 45°), the joining line follows the orientation field at its middle
// within gapJoinFieldCos (about 32°), and the line passes no other ridge.
// Chosen on FVC2002 DB1_B and DB2_B, whole and cropped to 260x300 and
// 220x260 (1.5-2.5 periods, cosines 0.5-0.85 and 0.7-0.95 tried: every
// variant gained a little over no joining, 2.5 periods less than 1.5-2).
const (
	gapJoinPeriods  = 2.0
	gapJoinCos      = 0.7
	gapJoinFieldCos = 0.85
)

type nodeKind uint8

const (
	nodeEnding nodeKind = iota + 1
	nodeJunction
)

// node is an ending (one skeleton pixel) or a junction (a cluster of
// adjacent skeleton pixels with three or more neighbours).
type node struct {
	kind     nodeKind
	x, y     float32 // position (image pixels)
	nBranch  int
	branch   [4]branch
	removed  bool
	joined   bool    // bridgeGaps joined it to another ending
	dx, dy   float32 // direction (unit vector, image coordinates)
	quality  uint8
	pixStart int32 // first of the node's pixels in Extractor.nodePix
	pixCount int32
}

// branch is the skeleton followed from a node.
type branch struct {
	length int32 // pixels walked, up to maxTrace
	end    int32 // the node reached, or -1
	px, py float32
}

// findMinutiae builds the skeleton graph, joins broken ridges, and keeps
// the plausible minutiae.
func (e *Extractor) findMinutiae() {
	e.buildGraph()
	if e.bridgeGaps() {
		e.buildGraph()
	}
	e.filterMinutiae()
}

// gapJoin is a candidate pair of endings for bridgeGaps.
type gapJoin struct {
	a, b int32
	d2   float32
}

// bridgeGaps draws the skeleton across the short gaps of broken ridges (see
// gapJoinPeriods) and reports whether it drew any; the graph must then be
// built again. Dry or faint prints break ridges into pieces, and the
// graph's rules then judge the pieces instead of the ridge: a piece
// between a fork and a gap is a spur, removed with the real fork; a piece
// between two gaps is a dot, and the endings facing it across the gaps
// stay. The endings facing each other across a gap were removed anyway
// (see filterMinutiae); joining them also keeps what lies beyond.
// Candidates are joined nearest first, each ending at most once.
func (e *Extractor) bridgeGaps() bool {
	nodes := e.nodes
	W := e.W
	cands := e.joins[:0]
	for i := range nodes {
		a := &nodes[i]
		if a.kind != nodeEnding || a.nBranch != 1 {
			continue
		}
		adx, ady := unit(a.branch[0].px-a.x, a.branch[0].py-a.y)
		maxD := gapJoinPeriods * e.period[(int(a.y)/blockSize)*e.bw+int(a.x)/blockSize]
		for j := i + 1; j < len(nodes); j++ {
			b := &nodes[j]
			if b.kind != nodeEnding || b.nBranch != 1 || a.branch[0].end == int32(j) {
				continue
			}
			dx, dy := b.x-a.x, b.y-a.y
			d2 := dx*dx + dy*dy
			if d2 > maxD*maxD || d2 < 4 {
				continue
			}
			d := float32(math.Sqrt(float64(d2)))
			ux, uy := dx/d, dy/d
			// a's ridge runs away from b, b's from a.
			bdx, bdy := unit(b.branch[0].px-b.x, b.branch[0].py-b.y)
			if -(adx*ux+ady*uy) < gapJoinCos || bdx*ux+bdy*uy < gapJoinCos {
				continue
			}
			th := float64(e.theta[(int((a.y+b.y)/2)/blockSize)*e.bw+int((a.x+b.x)/2)/blockSize])
			if c := float32(math.Abs(math.Cos(th)*float64(ux) + math.Sin(th)*float64(uy))); c < gapJoinFieldCos {
				continue
			}
			cands = append(cands, gapJoin{int32(i), int32(j), d2})
		}
	}
	e.joins = cands
	if len(cands) == 0 {
		return false
	}
	slices.SortFunc(cands, func(p, q gapJoin) int {
		switch {
		case p.d2 < q.d2:
			return -1
		case p.d2 > q.d2:
			return 1
		}
		return cmp.Compare(p.a, q.a)*2 + cmp.Compare(p.b, q.b)
	})
	drew := false
	for _, c := range cands {
		a, b := &nodes[c.a], &nodes[c.b]
		if a.joined || b.joined {
			continue
		}
		x0, y0, x1, y1 := int(a.x), int(a.y), int(b.x), int(b.y)
		line := e.gapLine(x0, y0, x1, y1)
		// The line must not touch another ridge: no pixel of it, and
		// none beside it further than two steps from its ends.
		ia, ib := (y0+pad)*W+x0+pad, (y1+pad)*W+x1+pad
		ok := true
	check:
		for k, p := range line {
			if e.bin[p] != 0 {
				ok = false
				break
			}
			if k < 2 || k >= len(line)-2 {
				continue
			}
			for d := 0; d < 8; d++ {
				if q := int(p) + ndy[d]*W + ndx[d]; e.bin[q] != 0 && q != ia && q != ib {
					ok = false
					break check
				}
			}
		}
		if !ok {
			continue
		}
		for _, p := range line {
			e.bin[p] = 1
		}
		e.pixList = append(e.pixList, line...)
		a.joined, b.joined = true, true
		drew = true
	}
	if !drew {
		return false
	}
	// A line joins its endings as a thinned ridge would, but where it
	// leaves an ending at a slant the ending may become a corner with
	// a neighbour on each side: thin those as thin's last pass does.
	removed := false
	for _, c := range cands {
		for _, ni := range [2]int32{c.a, c.b} {
			n := &nodes[ni]
			if !n.joined {
				continue
			}
			i := int(e.nodePix[n.pixStart])
			if cd := code(e.bin, i, W); bits.OnesCount8(cd) >= 2 && simple8[cd] {
				e.bin[i] = 0
				removed = true
			}
		}
	}
	if removed {
		k := 0
		for _, i := range e.pixList {
			if e.bin[i] != 0 {
				e.pixList[k] = i
				k++
			}
		}
		e.pixList = e.pixList[:k]
	}
	return true
}

// gapLine returns the canvas pixels of the 8-connected digital line from
// (x0, y0) to (x1, y1), both ends excluded, in e.line.
func (e *Extractor) gapLine(x0, y0, x1, y1 int) []int32 {
	line := e.line[:0]
	if x0 == x1 && y0 == y1 {
		return line
	}
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	er := dx + dy
	x, y := x0, y0
	for {
		e2 := 2 * er
		if e2 >= dy {
			er += dy
			x += sx
		}
		if e2 <= dx {
			er += dx
			y += sy
		}
		if x == x1 && y == y1 {
			break
		}
		line = append(line, int32((y+pad)*e.W+x+pad))
	}
	e.line = line
	return line
}

// buildGraph finds the skeleton's endings and junctions and traces their
// branches.
func (e *Extractor) buildGraph() {
	W := e.W
	e.nodes = e.nodes[:0]
	e.nodePix = e.nodePix[:0]
	for i := range e.nodeOf {
		e.nodeOf[i] = 0
	}
	// Endings and junction clusters.
	for _, i := range e.pixList {
		c := code(e.bin, int(i), W)
		n := bits.OnesCount8(c)
		if n == 1 {
			x, y := e.xy(int(i))
			e.nodePix = append(e.nodePix, i)
			e.nodes = append(e.nodes, node{kind: nodeEnding, x: float32(x), y: float32(y),
				pixStart: int32(len(e.nodePix) - 1), pixCount: 1})
			e.nodeOf[i] = int32(len(e.nodes))
		}
	}
	for _, i := range e.pixList {
		if e.nodeOf[i] != 0 || bits.OnesCount8(code(e.bin, int(i), W)) < 3 {
			continue
		}
		id := int32(len(e.nodes) + 1)
		start := len(e.nodePix)
		e.nodePix = append(e.nodePix, i)
		e.nodeOf[i] = id
		for k := start; k < len(e.nodePix); k++ {
			p := int(e.nodePix[k])
			for d := 0; d < 8; d++ {
				q := p + ndy[d]*W + ndx[d]
				if e.bin[q] != 0 && e.nodeOf[q] == 0 && bits.OnesCount8(code(e.bin, q, W)) >= 3 {
					e.nodeOf[q] = id
					e.nodePix = append(e.nodePix, int32(q))
				}
			}
		}
		var sx, sy float32
		for _, p := range e.nodePix[start:] {
			x, y := e.xy(int(p))
			sx += float32(x)
			sy += float32(y)
		}
		cnt := float32(len(e.nodePix) - start)
		e.nodes = append(e.nodes, node{kind: nodeJunction, x: sx / cnt, y: sy / cnt,
			pixStart: int32(start), pixCount: int32(len(e.nodePix) - start)})
	}
	// Branches.
	for ni := range e.nodes {
		n := &e.nodes[ni]
		var starts [8]int32
		var prevs [8]int32
		ns := 0
		for _, p := range e.nodePix[n.pixStart : n.pixStart+n.pixCount] {
			for d := 0; d < 8; d++ {
				q := int32(int(p) + ndy[d]*W + ndx[d])
				if e.bin[q] == 0 || e.nodeOf[q] == int32(ni+1) {
					continue
				}
				dup := false
				for k := 0; k < ns; k++ {
					if starts[k] == q || e.adjacent(int(starts[k]), int(q)) {
						dup = true
						break
					}
				}
				if !dup && ns < len(starts) {
					starts[ns], prevs[ns] = q, p
					ns++
				}
			}
		}
		if ns > len(n.branch) {
			n.removed = true // a knot of ridges: no reliable minutia
			ns = len(n.branch)
		}
		n.nBranch = ns
		for k := 0; k < ns; k++ {
			n.branch[k] = e.trace(int(prevs[k]), int(starts[k]), int32(ni+1))
		}
	}
}

// xy converts a canvas index to image coordinates.
func (e *Extractor) xy(i int) (int, int) {
	return i%e.W - pad, i/e.W - pad
}

func (e *Extractor) adjacent(a, b int) bool {
	ax, ay := a%e.W, a/e.W
	bx, by := b%e.W, b/e.W
	return abs(ax-bx) <= 1 && abs(ay-by) <= 1
}

// trace follows the skeleton from cur (entered from prev, a pixel of node
// self) until it reaches a node or maxTrace pixels.
func (e *Extractor) trace(prev, cur int, self int32) branch {
	W := e.W
	br := branch{end: -1}
	x0, y0 := e.xy(cur)
	br.px, br.py = float32(x0), float32(y0)
	for steps := int32(1); ; steps++ {
		br.length = steps
		if steps <= dirDistance {
			x, y := e.xy(cur)
			br.px, br.py = float32(x), float32(y)
		}
		if id := e.nodeOf[cur]; id != 0 {
			br.end = id - 1
			return br
		}
		if steps >= maxTrace {
			return br
		}
		next := -1
		for d := 0; d < 8; d++ {
			q := cur + ndy[d]*W + ndx[d]
			if e.bin[q] == 0 || q == prev || e.adjacent(q, prev) {
				continue
			}
			if steps == 1 && e.nodeOf[q] == self {
				continue
			}
			if next < 0 || e.nodeOf[q] != 0 || d%2 == 0 && e.nodeOf[next] == 0 {
				next = q
			}
		}
		if next < 0 {
			return br // cannot happen on a clean skeleton: a dead end without an ending
		}
		prev, cur = cur, next
	}
}

// filterMinutiae removes the false minutiae the skeleton graph reveals,
// then broken ridges, border and crowded minutiae, and sets directions.
func (e *Extractor) filterMinutiae() {
	nodes := e.nodes
	for ni := range nodes {
		n := &nodes[ni]
		if n.kind == nodeJunction && n.nBranch != 3 {
			n.removed = true
		}
		for k := 0; k < n.nBranch; k++ {
			br := &n.branch[k]
			if br.end < 0 {
				continue
			}
			m := &nodes[br.end]
			per := e.period[(int(n.y)/blockSize)*e.bw+int(n.x)/blockSize]
			dotLength := int32(dotPeriods*per + 0.5)
			spurLength := int32(spurPeriods*per + 0.5)
			bridgeLength := int32(bridgePeriods*per + 0.5)
			switch {
			case int(br.end) == ni:
				if br.length < lakeLength {
					n.removed = true
				}
			case n.kind == nodeEnding && m.kind == nodeEnding:
				if br.length < dotLength {
					n.removed, m.removed = true, true
				}
			case n.kind != m.kind:
				if br.length < spurLength {
					n.removed, m.removed = true, true
				}
			default:
				if br.length < bridgeLength {
					n.removed, m.removed = true, true
				}
			}
		}
	}
	// Directions: the sense from the traced branches.
	for ni := range nodes {
		n := &nodes[ni]
		switch n.kind {
		case nodeEnding:
			n.dx, n.dy = unit(n.branch[0].px-n.x, n.branch[0].py-n.y)
		case nodeJunction:
			if n.nBranch != 3 {
				continue
			}
			var ux, uy [3]float32
			for k := 0; k < 3; k++ {
				ux[k], uy[k] = unit(n.branch[k].px-n.x, n.branch[k].py-n.y)
			}
			// The two branches closest in direction embrace the valley
			// that ends at the fork.
			best, bi, bj := float32(-2), 0, 1
			for i := 0; i < 3; i++ {
				for j := i + 1; j < 3; j++ {
					if c := ux[i]*ux[j] + uy[i]*uy[j]; c > best {
						best, bi, bj = c, i, j
					}
				}
			}
			n.dx, n.dy = unit(ux[bi]+ux[bj], uy[bi]+uy[bj])
		}
	}
	// Broken ridges: endings facing each other across a short gap.
	for i := range nodes {
		a := &nodes[i]
		if a.kind != nodeEnding {
			continue
		}
		for j := i + 1; j < len(nodes); j++ {
			b := &nodes[j]
			if b.kind != nodeEnding {
				continue
			}
			dx, dy := b.x-a.x, b.y-a.y
			d2 := dx*dx + dy*dy
			if d2 > gapDistance*gapDistance {
				continue
			}
			if d2 < closeDist*closeDist {
				a.removed, b.removed = true, true
				continue
			}
			d := float32(math.Sqrt(float64(d2)))
			dx, dy = dx/d, dy/d
			// a's ridge runs away from b, b's from a: the gap lies
			// opposite both directions.
			if -(a.dx*dx+a.dy*dy) > gapAngle && (b.dx*dx+b.dy*dy) > gapAngle {
				a.removed, b.removed = true, true
			}
		}
	}
	// Border minutiae.
	for ni := range nodes {
		n := &nodes[ni]
		// The mask's edge and the image's cut ridges into false endings;
		// forks near them are mostly real. Where the skin fades into the
		// background the skeleton frays before the mask ends, so forks
		// keep borderForkPixels from it; the image's edge cuts clear
		// ridges (a small sensor, or a finger wider than the sensor), so
		// forks there come up to edgeForkPixels from it: a small print
		// has proportionally much edge. Of the minutiae a whole image's
		// extraction finds within 10 pixels of a 200x200 crop's edge
		// (cut around the minutiae's centroid), the crop's extraction
		// found 7% (DB1_B, 20 of 273) and 6% (DB2_B) with 8 pixels for
		// both edges. Chosen on FVC2002 DB1_B and DB2_B whole and
		// cropped to 200x200 and 240x240 around each print's minutiae
		// centroid (EER + FNMR@1% + FNMR@0.1% summed over the two whole
		// sets / over all six): 8 pixels 6.41 / 115.32; 6, 5, 4: 6.41 /
		// 112.11, 112.47, 111.78, every crop no worse; 3 and 1: 6.84
		// and 7.50 / 111.85 and 111.43 (DB2_B whole loses one and two
		// genuine pairs at FMR 1%). Endings keep borderPixels from both
		// edges (7 and 4 pixels from the image's: 7.14 / 112.84 and
		// 117.52).
		limit := float32(borderPixels)
		elimit := float32(borderPixels)
		if n.kind == nodeJunction {
			limit, elimit = borderForkPixels, edgeForkPixels
		} else if e.edgeCannotCut(n) {
			elimit = edgeEndPixels
		}
		if e.edgeDistance(n.x, n.y) < elimit || e.backgroundDistance(n.x, n.y, limit) < limit {
			n.removed = true
		}
	}
	// Snap directions to the orientation field where the trace agrees
	// with it: the field is averaged over many pixels, the trace over one
	// short ridge.
	for ni := range nodes {
		n := &nodes[ni]
		if n.removed {
			continue
		}
		b := (int(n.y)/blockSize)*e.bw + int(n.x)/blockSize
		th := float64(e.theta[b])
		fx, fy := float32(math.Cos(th)), float32(math.Sin(th))
		c := fx*n.dx + fy*n.dy
		if c < 0 {
			fx, fy, c = -fx, -fy, -c
		}
		if c > 0.8 {
			n.dx, n.dy = fx, fy
		}
	}
}

func unit(x, y float32) (float32, float32) {
	d := float32(math.Sqrt(float64(x*x + y*y)))
	if d == 0 {
		return 1, 0
	}
	return x / d, y / d
}

// edgeCannotCut reports whether ending n's ridge runs from it towards the
// image's nearest edge or along it (its direction, which points into its
// ridge, makes a right angle or more with that edge's inward normal): the
// edge cuts a ridge that runs into the image from it, leaving a false
// ending where the ridge fades, but this ending is the inner end of its
// ridge, so the edge did not make it. Such endings are kept up to
// edgeEndPixels from the image's edge instead of borderPixels (from the
// background they keep borderPixels as before): on a small sensor the
// overlap of two impressions often lies along the edge of one of them.
//
// Why: on FVC2002 DB1_B and DB2_B cropped to 200x200 around each print's
// minutiae centroid, the genuine pairs missed at FMR 1% whose whole
// images match confidently have a mean of 3.5 (DB1_B) and 2.3 (DB2_B)
// of the whole images' paired minutiae inside both crops, of which the
// crops' extraction found 1.2 and 1.0 on both sides (the crops overlap
// by 28% and 21% of their area under the whole images' alignment,
// against 70% and 72% for the pairs that pass); of those minutiae within
// 10 pixels of a crop's edge, the crop's extraction found 12% (DB1_B)
// and 14% (DB2_B); with this rule 20% and 23%.
//
// Chosen on FVC2002 DB1_B and DB2_B whole and cropped to 200x200 and
// 240x240 around each print's minutiae centroid (EER + FNMR@1% +
// FNMR@0.1% summed over the two whole sets / over all six; 6.41 /
// 112.47 before): 4 pixels, cosine below 0 6.41 / 110.68; a plateau
// around it with the whole sets unchanged: 2, 4, 6, 8 pixels at cosine 0
// 110.68-111.05, cosine -0.3 to 0.35 at 2-6 pixels 109.59-110.70; cosine
// 0.5 (the ridge running up to 60° from the inward normal) 110.69 and
// 108.89 at 6 and 4 pixels, but DB2_B whole loses a genuine pair (EER
// 1.06 -> 1.43).
func (e *Extractor) edgeCannotCut(n *node) bool {
	l, t := n.x+0.5, n.y+0.5
	r, b := float32(e.w)-n.x-0.5, float32(e.h)-n.y-0.5
	var in float32 // the direction's share along the inward normal
	switch min(l, t, r, b) {
	case l:
		in = n.dx
	case r:
		in = -n.dx
	case t:
		in = n.dy
	default:
		in = -n.dy
	}
	return in < 0
}

// edgeDistance is the distance from (x, y) to the image's edge.
func (e *Extractor) edgeDistance(x, y float32) float32 {
	return min(x+0.5, y+0.5, float32(e.w)-x-0.5, float32(e.h)-y-0.5)
}

// backgroundDistance is the distance from (x, y) to the nearest pixel of a
// background block, or limit when none is nearer.
func (e *Extractor) backgroundDistance(x, y float32, limit float32) float32 {
	best := limit
	r := int(limit)/blockSize + 1
	bx0, by0 := int(x)/blockSize, int(y)/blockSize
	for by := by0 - r; by <= by0+r; by++ {
		for bx := bx0 - r; bx <= bx0+r; bx++ {
			if bx < 0 || by < 0 || bx >= e.bw || by >= e.bh || e.mask[by*e.bw+bx] {
				continue
			}
			// Distance to the block's rectangle.
			x0, y0 := float32(bx*blockSize), float32(by*blockSize)
			dx := max(x0-x, 0, x-(x0+blockSize))
			dy := max(y0-y, 0, y-(y0+blockSize))
			if d := float32(math.Sqrt(float64(dx*dx + dy*dy))); d < best {
				best = d
			}
		}
	}
	return best
}
