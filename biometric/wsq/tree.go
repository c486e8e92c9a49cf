package wsq

// The WSQ decomposition (IAFIS-IC-0110 Part 1, the 64-subband wavelet
// packet): the image is split in four; its low-low quarter is split in
// four again; the high-pass quarters of that split and the high-pass
// quarters of the image are split once or twice more, and the low-low
// corner twice more. 60 subbands are coded; the 4 highest-frequency
// ones (the image's high-high quarter) are always zero.
//
// A split of a region along one axis gives a low-pass half of ceil(n/2)
// samples and a high-pass half of floor(n/2). A region reached through an
// odd number of high-pass filterings along an axis holds a mirrored
// spectrum, so its split along that axis is inverted: the high-pass half
// comes first, keeping subbands in frequency order across the plane.

// rect is a region of the coefficient plane.
type rect struct{ x, y, w, h int }

// node is one split of the decomposition.
type node struct {
	rect
	invX, invY bool // high-pass half first along x, y
}

// split returns the four children of n in raster order: top-left,
// top-right, bottom-left, bottom-right.
func (n node) split() [4]rect {
	lowW, highW := (n.w+1)/2, n.w/2
	lowH, highH := (n.h+1)/2, n.h/2
	leftW, topH := lowW, lowH
	if n.invX {
		leftW = highW
	}
	if n.invY {
		topH = highH
	}
	rightW, bottomH := n.w-leftW, n.h-topH
	return [4]rect{
		{n.x, n.y, leftW, topH},
		{n.x + leftW, n.y, rightW, topH},
		{n.x, n.y + topH, leftW, bottomH},
		{n.x + leftW, n.y + topH, rightW, bottomH},
	}
}

// child returns the node for quadrant q of n (raster order), with the
// inversion its content's spectrum calls for.
func (n node) child(q int) node {
	r := n.split()[q]
	right, bottom := q&1 == 1, q&2 == 2
	// Along x, the right half is high-pass unless the split is inverted;
	// a high-pass child's spectrum is mirrored once more.
	highX := right != n.invX
	highY := bottom != n.invY
	return node{rect: r, invX: n.invX != highX, invY: n.invY != highY}
}

// layout is the decomposition of one image size: the splits in the order
// synthesis must undo them (deepest first) and the 64 subbands in coding
// order.
type layout struct {
	splits   []node // synthesis order; analysis runs it backwards
	subbands [numSubbands]rect
}

// blockOf gives the first subband of each of the three coded blocks and
// the end of the last.
var blockStarts = [4]int{0, 19, 52, 60}

func newLayout(width, height int) *layout {
	l := &layout{}
	var analysis []node // in the order the encoder applies them
	next := 0
	add := func(r rect) {
		l.subbands[next] = r
		next++
	}
	// leaves4 adds the four children of n as subbands.
	leaves4 := func(n node) {
		analysis = append(analysis, n)
		for q := 0; q < 4; q++ {
			add(n.child(q).rect)
		}
	}
	// leaves16 splits n and each of its children: 16 subbands.
	leaves16 := func(n node) {
		analysis = append(analysis, n)
		for q := 0; q < 4; q++ {
			leaves4(n.child(q))
		}
	}

	image := node{rect: rect{0, 0, width, height}}
	analysis = append(analysis, image)
	quarter := image.child(0)
	analysis = append(analysis, quarter)
	low := quarter.child(0) // split into 16, its first again into 4
	analysis = append(analysis, low)
	corner := low.child(0)
	analysis = append(analysis, corner)
	leaves4(corner.child(0)) // subbands 0-3
	for q := 1; q < 4; q++ {
		add(corner.child(q).rect) // 4-6
	}
	for q := 1; q < 4; q++ {
		leaves4(low.child(q)) // 7-18
	}
	leaves16(quarter.child(1)) // 19-34
	leaves16(quarter.child(2)) // 35-50
	add(quarter.child(3).rect) // 51
	leaves4(image.child(1))    // 52-55
	leaves4(image.child(2))    // 56-59
	leaves4(image.child(3))    // 60-63, never coded
	if next != numSubbands {
		panic("wsq: decomposition has the wrong number of subbands")
	}
	// Synthesis undoes the splits in reverse order of analysis: a split
	// is always analysed before its children.
	for i := len(analysis) - 1; i >= 0; i-- {
		l.splits = append(l.splits, analysis[i])
	}
	return l
}
