package match

import "math/bits"

// hit is a cylinder of b whose similarity with one of a passed the floor
// of windowSims: the similarity and the cylinder's place in the run.
type hit struct {
	sim float32
	t   uint32
}

// windowSims compares cylinder ca with each of bc and writes to out, in
// bc's order, those whose similarity exceeds floor (at least 0), with
// their index in bc; it returns their number. The similarity is, over the
// cells valid in both, 1 - |a xor b| / (|a| + |b|) with the norms as
// square roots of bit counts (float32, sqrtTab); 0 when the two have
// fewer than minCommonCells valid cells in common or no bit set in them.
//
// It is the comparison's inner loop: on amd64 with POPCNT it runs in
// assembly (windowSimsAsm, without a branch on the similarity),
// elsewhere windowSimsGo; both give the same bits. out must be at least
// as long as bc.
func windowSims(ca *[cylStride]uint64, bc [][cylStride]uint64, floor float32, out []hit) int {
	if len(bc) == 0 {
		return 0
	}
	out = out[:len(bc)]
	if useAsmSims {
		return windowSimsAsm(ca, &bc[0], len(bc), &sqrtTab, minCommonCells, floor, &out[0])
	}
	return windowSimsGo(ca, bc, floor, out)
}

func windowSimsGo(ca *[cylStride]uint64, bc [][cylStride]uint64, floor float32, out []hit) int {
	n := 0
	for k := range bc {
		if s := cylSim(ca, &bc[k]); s > floor {
			out[n] = hit{sim: s, t: uint32(k)}
			n++
		}
	}
	return n
}

// cylSim is the similarity of two cylinders as windowSims computes it.
func cylSim(ca, cb *[cylStride]uint64) float32 {
	c := uint32(ca[cylWords]) & uint32(cb[cylWords])
	if bits.OnesCount32(c) < minCommonCells {
		return 0
	}
	common := uint64(c) * (1 | 1<<cellLane)
	x0, y0 := ca[0]&common, cb[0]&common
	x1, y1 := ca[1]&common, cb[1]&common
	x2, y2 := ca[2]&common, cb[2]&common
	ca1 := uint8(bits.OnesCount64(x0) + bits.OnesCount64(x1) + bits.OnesCount64(x2))
	cb1 := uint8(bits.OnesCount64(y0) + bits.OnesCount64(y1) + bits.OnesCount64(y2))
	nd := uint8(bits.OnesCount64(x0^y0) + bits.OnesCount64(x1^y1) + bits.OnesCount64(x2^y2))
	if ca1|cb1 == 0 {
		return 0
	}
	return 1 - sqrtTab[nd]/(sqrtTab[ca1]+sqrtTab[cb1])
}

// The code above and the assembly read a cylinder as three words of bits
// and the validity word.
const (
	_ = uint(cylWords - 3)
	_ = uint(3 - cylWords)
	_ = uint(cylStride - 4)
	_ = uint(4 - cylStride)
)

// windowSimsAVX512 reads b's cylinders word by word (Matcher.bWords),
// simsLanes at a time; it reads up to simsLanes-1 words past the window
// and writes up to simsLanes hits past the last.
const (
	simsLanes = 4
	bWordsLen = 2*MaxMinutiae + simsLanes
)
