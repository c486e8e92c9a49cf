package devices

import (
	"encoding/binary"
	"io"
	"sort"
	"sync"
)

// huffZlib writes a zlib stream (RFC 1950) of deflate blocks (RFC 1951)
// that hold literals only, each block with its own Huffman code built from
// the block's byte histogram. It is what zlib.HuffmanOnly produces, but
// the hot loop is a table lookup and a 64-bit bit buffer per byte, several
// times faster than compress/flate's general token path: the PNG rows of
// a capture are filtered scans whose gain comes from the byte statistics,
// not from matches.
type huffZlib struct {
	w       io.Writer
	adler   uint32
	buf     []byte // input of the current block (512 KiB)
	out     []byte // encoded bytes waiting to be written
	bits    uint64
	nbits   uint
	started bool
	err     error
}

// huffBlockSize is the input per block: large enough that the code
// tables cost nothing, small enough that the code follows the image
// (paper, then dense print).
const huffBlockSize = 1 << 19

var huffPool sync.Pool

// newHuffZlib returns an encoder writing to w; release gives its buffers
// back once it is closed.
func newHuffZlib(w io.Writer) *huffZlib {
	z, _ := huffPool.Get().(*huffZlib)
	if z == nil {
		z = &huffZlib{buf: make([]byte, 0, huffBlockSize), out: make([]byte, 0, 2*huffBlockSize+64)}
	}
	*z = huffZlib{w: w, adler: 1, buf: z.buf[:0], out: z.out[:0]}
	return z
}

func (z *huffZlib) release() {
	z.w = nil
	huffPool.Put(z)
}

func (z *huffZlib) Write(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), huffBlockSize-len(z.buf))
		z.buf = append(z.buf, p[:k]...)
		p = p[k:]
		if len(z.buf) == huffBlockSize {
			z.block(false)
		}
	}
	return n, z.err
}

// next returns the next n bytes of the stream for the caller to fill
// (n at most huffBlockSize), finishing a block first when they do not fit
// in the current one: rows are filtered straight into the block.
func (z *huffZlib) next(n int) []byte {
	if len(z.buf)+n > huffBlockSize {
		z.block(false)
	}
	k := len(z.buf)
	z.buf = z.buf[:k+n]
	return z.buf[k:]
}

// Close writes the last block and the Adler-32 checksum.
func (z *huffZlib) Close() error {
	if z.err != nil {
		return z.err
	}
	z.block(true)
	z.flushBits()
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], z.adler)
	z.out = append(z.out, sum[:]...)
	z.writeOut()
	return z.err
}

func (z *huffZlib) putBits(v uint64, n uint) {
	z.bits |= v << z.nbits
	z.nbits += n
	if z.nbits >= 32 {
		z.out = binary.LittleEndian.AppendUint32(z.out, uint32(z.bits))
		z.bits >>= 32
		z.nbits -= 32
	}
}

func (z *huffZlib) flushBits() {
	for z.nbits > 0 {
		z.out = append(z.out, byte(z.bits))
		z.bits >>= 8
		z.nbits = uint(max(int(z.nbits)-8, 0))
	}
	z.bits, z.nbits = 0, 0
}

func (z *huffZlib) writeOut() {
	if z.err == nil && len(z.out) > 0 {
		_, z.err = z.w.Write(z.out)
	}
	z.out = z.out[:0]
}

// codeLengthOrder is the order code-length code lengths are sent in.
var codeLengthOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

func (z *huffZlib) block(final bool) {
	if !z.started {
		z.out = append(z.out, 0x78, 0x01) // deflate, 32 KiB window, fastest
		z.started = true
	}
	// Four histograms: paper rows filter to long runs of one byte, and
	// one counter incremented back to back waits on its own store.
	z.adler = adler32Update(z.adler, z.buf)
	var h [4][256]int32
	src := z.buf
	for len(src) >= 4 {
		h[0][src[0]]++
		h[1][src[1]]++
		h[2][src[2]]++
		h[3][src[3]]++
		src = src[4:]
	}
	for _, b := range src {
		h[0][b]++
	}
	var freq [257]int
	for i := range 256 {
		freq[i] = int(h[0][i] + h[1][i] + h[2][i] + h[3][i])
	}
	freq[256] = 1 // end of block
	litLen := huffLengths(freq[:], 15)
	litCode := canonicalCodes(litLen)

	// The code lengths are sent as code-length symbols 0-15 (no runs:
	// 257 symbols once per 256 KiB) under their own code of at most 7 bits.
	var clFreq [19]int
	for _, l := range litLen {
		clFreq[l]++
	}
	clFreq[0]++ // the one distance code, of length 0: literals only
	clLen := huffLengths(clFreq[:], 7)
	clCode := canonicalCodes(clLen)

	fin := uint64(0)
	if final {
		fin = 1
	}
	z.putBits(fin, 1)
	z.putBits(2, 2)  // dynamic Huffman codes
	z.putBits(0, 5)  // HLIT: 257 literal/length codes
	z.putBits(0, 5)  // HDIST: 1 distance code
	z.putBits(15, 4) // HCLEN: all 19 code-length codes
	for _, s := range codeLengthOrder {
		z.putBits(uint64(clLen[s]), 3)
	}
	for _, l := range litLen {
		z.putBits(uint64(clCode[l]), uint(clLen[l]))
	}
	z.putBits(uint64(clCode[0]), uint(clLen[0]))

	// The hot loop: one table entry per byte (code in the low bits, length
	// in the top byte).
	var table [256]uint64
	for i := range table {
		table[i] = uint64(litCode[i]) | uint64(litLen[i])<<56
	}
	bits, nbits := z.bits, z.nbits
	out := z.out
	if need := len(out) + 2*len(z.buf) + 16; cap(out) < need {
		out = append(make([]byte, 0, need), out...)
	}
	n := len(out)
	out = out[:cap(out)]
	src = z.buf
	// Two codes of at most 15 bits on top of fewer than 8 pending bits
	// fit in 64; the whole bytes go out as one 8-byte store, without a
	// branch.
	for len(src) >= 2 {
		e0, e1 := table[src[0]], table[src[1]]
		src = src[2:]
		bits |= (e0 & (1<<56 - 1)) << nbits
		nbits += uint(e0 >> 56)
		bits |= (e1 & (1<<56 - 1)) << nbits
		nbits += uint(e1 >> 56)
		binary.LittleEndian.PutUint64(out[n:], bits)
		k := nbits >> 3
		n += int(k)
		bits >>= k * 8
		nbits &= 7
	}
	for _, b := range src {
		e := table[b]
		bits |= (e & (1<<56 - 1)) << nbits
		nbits += uint(e >> 56)
		binary.LittleEndian.PutUint64(out[n:], bits)
		k := nbits >> 3
		n += int(k)
		bits >>= k * 8
		nbits &= 7
	}
	out = out[:n]
	z.bits, z.nbits, z.out = bits, nbits, out
	z.putBits(uint64(litCode[256]), uint(litLen[256]))
	z.buf = z.buf[:0]
	if !final {
		z.writeOut()
	}
}

// huffLengths returns Huffman code lengths for freq, none longer than
// limit: symbols with frequency 0 get 0. When the optimal code is too
// deep, the frequencies are flattened (halved, kept non-zero) and the code
// rebuilt, which converges within a few rounds.
func huffLengths(freq []int, limit int) []uint8 {
	f := append([]int(nil), freq...)
	for {
		lens := huffmanDepths(f)
		deep := false
		for _, l := range lens {
			if int(l) > limit {
				deep = true
				break
			}
		}
		if !deep {
			return lens
		}
		for i := range f {
			if f[i] > 0 {
				f[i] = f[i]/2 + 1
			}
		}
	}
}

// huffmanDepths builds a Huffman tree over the non-zero frequencies and
// returns each symbol's depth. A lone symbol gets depth 1 (deflate needs a
// complete or single-code tree).
func huffmanDepths(freq []int) []uint8 {
	type node struct {
		w           int
		left, right int // children; -1 for leaves
		sym         int
	}
	var nodes []node
	var live []int
	for s, w := range freq {
		if w > 0 {
			nodes = append(nodes, node{w: w, left: -1, right: -1, sym: s})
			live = append(live, len(nodes)-1)
		}
	}
	lens := make([]uint8, len(freq))
	if len(live) == 1 {
		lens[nodes[live[0]].sym] = 1
		return lens
	}
	// Two queues (leaves sorted by weight, then merged nodes in creation
	// order, which are already sorted) give the tree in O(n log n).
	sort.SliceStable(live, func(i, j int) bool { return nodes[live[i]].w < nodes[live[j]].w })
	var merged []int
	pop := func() int {
		if len(merged) == 0 || (len(live) > 0 && nodes[live[0]].w <= nodes[merged[0]].w) {
			n := live[0]
			live = live[1:]
			return n
		}
		n := merged[0]
		merged = merged[1:]
		return n
	}
	for len(live)+len(merged) > 1 {
		a, b := pop(), pop()
		nodes = append(nodes, node{w: nodes[a].w + nodes[b].w, left: a, right: b, sym: -1})
		merged = append(merged, len(nodes)-1)
	}
	var walk func(n int, d uint8)
	walk = func(n int, d uint8) {
		if nodes[n].left < 0 {
			lens[nodes[n].sym] = d
			return
		}
		walk(nodes[n].left, d+1)
		walk(nodes[n].right, d+1)
	}
	walk(merged[0], 0)
	return lens
}

// canonicalCodes assigns deflate's canonical codes to the lengths and
// returns them bit-reversed, ready to be sent least significant bit first.
func canonicalCodes(lens []uint8) []uint16 {
	var count [16]int
	for _, l := range lens {
		if l > 0 {
			count[l]++
		}
	}
	var next [16]int
	code := 0
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		if l == 1 {
			code = 0
		}
		next[l] = code
	}
	out := make([]uint16, len(lens))
	for s, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		var r uint16
		for i := uint8(0); i < l; i++ {
			r = r<<1 | uint16(c>>i&1)
		}
		out[s] = r
	}
	return out
}

func adler32Update(a uint32, p []byte) uint32 {
	// hash/adler32's digest continues from a running checksum only through
	// its binary state, so keep the arithmetic here: the same as the
	// package's, 5552 bytes between reductions.
	const mod = 65521
	s1, s2 := a&0xffff, a>>16
	for len(p) > 0 {
		q := p
		if len(q) > 5552 {
			q = q[:5552]
		}
		p = p[len(q):]
		for _, x := range q {
			s1 += uint32(x)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
	}
	return s2<<16 | s1
}
