package extract

import (
	"math"
	"testing"
)

// skeletonExtractor returns an Extractor over a w x h all-foreground frame
// with horizontal ridges of the given period, whose skeleton is drawn by
// the caller with set.
func skeletonExtractor(w, h int, period float32) (*Extractor, func(x0, y0, x1, y1 int)) {
	e := NewExtractor()
	e.alloc(w, h)
	for b := range e.mask {
		e.mask[b] = true
		e.period[b] = period
		e.theta[b] = 0
		e.dist[b] = 10
	}
	set := func(x0, y0, x1, y1 int) {
		for _, p := range e.gapLine(x0, y0, x1, y1) {
			e.bin[p] = 1
		}
		e.bin[(y0+pad)*e.W+x0+pad] = 1
		e.bin[(y1+pad)*e.W+x1+pad] = 1
	}
	return e, set
}

// kept returns the kept minutiae of kind k within r pixels of (x, y).
func kept(e *Extractor, k nodeKind, x, y, r float32) int {
	n := 0
	for i := range e.nodes {
		m := &e.nodes[i]
		if !m.removed && m.kind == k && math.Hypot(float64(m.x-x), float64(m.y-y)) <= float64(r) {
			n++
		}
	}
	return n
}

// A fork whose new branch breaks less than a period after it (a dry print)
// is still a fork: the gap is bridged before the graph's rules run, so the
// piece between the fork and the gap is no spur, and no ending is left at
// either side of the gap.
func TestBrokenBranchKeepsFork(t *testing.T) {
	e, set := skeletonExtractor(140, 100, 9)
	set(10, 30, 130, 30) // plain ridges above and below
	set(10, 50, 130, 50)
	set(10, 80, 130, 80)
	set(51, 50, 59, 56)  // a branch leaves the fork at (51, 50)
	set(59, 56, 59, 56)  // ...and breaks 8 pixels after it
	set(72, 58, 130, 58) // then goes on after a gap of 13 pixels
	e.thin()
	e.findMinutiae()
	if n := kept(e, nodeJunction, 51, 50, 3); n != 1 {
		t.Errorf("%d forks kept near (51, 50), want 1", n)
	}
	if n := kept(e, nodeEnding, 64, 58, 10); n != 0 {
		t.Errorf("%d endings kept beside the gap around (64, 58), want 0", n)
	}
}

// Endings that face each other across a gap but belong to different
// ridges (the line between them crosses the flow) stay apart.
func TestGapAcrossFlowNotBridged(t *testing.T) {
	e, set := skeletonExtractor(140, 100, 9)
	set(10, 40, 60, 40)  // ends at (60, 40)
	set(70, 49, 130, 49) // starts at (70, 49), a ridge below
	set(10, 70, 130, 70)
	e.thin()
	e.buildGraph()
	if e.bridgeGaps() {
		t.Error("a gap across the ridge flow was bridged")
	}
}

// A fork 6 pixels from the image's edge is kept (the edge cuts clear
// ridges: a small sensor), while one 6 pixels from background blocks
// inside the image is dropped (the skin fades there).
func TestForkNearImageEdgeKept(t *testing.T) {
	fork := func(e *Extractor, set func(x0, y0, x1, y1 int), y int) {
		set(10, y, 130, y)       // a ridge along the edge
		set(60, y, 68, y+8)      // a branch leaves the fork at (60, y)
		set(68, y+8, 130, y+8)   // and runs on beside it
		set(10, y+30, 130, y+30) // a plain ridge further in
		e.thin()
		e.findMinutiae()
	}
	e, set := skeletonExtractor(140, 100, 9)
	fork(e, set, 6)
	if n := kept(e, nodeJunction, 60, 6, 3); n != 1 {
		t.Errorf("%d forks kept 6 pixels from the image's edge, want 1", n)
	}
	e, set = skeletonExtractor(140, 100, 9)
	for bx := 0; bx < e.bw; bx++ {
		e.mask[bx] = false // blocks above y = 16 are background
		e.mask[e.bw+bx] = false
	}
	fork(e, set, 22)
	if n := kept(e, nodeJunction, 60, 22, 3); n != 0 {
		t.Errorf("%d forks kept 6 pixels from background blocks, want 0", n)
	}
}

// Near the image's edge an ending whose ridge runs into the image is the
// edge's cut and goes, while one whose ridge runs from it towards the
// edge is the ridge's inner end and stays (a small sensor's overlap lies
// along its edge).
func TestEndingNearImageEdge(t *testing.T) {
	for _, c := range []struct {
		name   string
		y1     int // the ridge runs from (20, 8) to (130, y1)
		wantIn int // endings kept near (20, 8)
	}{
		{"towards the edge", 2, 1},
		{"into the image", 14, 0},
	} {
		e, set := skeletonExtractor(140, 100, 9)
		set(20, 8, 130, c.y1)
		set(5, 40, 135, 40)
		set(5, 70, 135, 70)
		e.thin()
		e.findMinutiae()
		if n := kept(e, nodeEnding, 20, 8, 3); n != c.wantIn {
			t.Errorf("%s: %d endings kept near (20, 8), 8 pixels from the image's edge, want %d", c.name, n, c.wantIn)
		}
	}
}
