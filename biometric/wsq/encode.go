package wsq

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"sort"
	"strconv"
)

// DefaultBitRate is the FBI's bit rate for 500 ppi fingerprints (about
// 15:1 compression of 8-bit images), in bits per pixel.
const DefaultBitRate = 0.75

// Options controls Encode.
type Options struct {
	// BitRate is the target size of the entropy-coded data (the file
	// without its tables and headers, about 1 KB) in bits per pixel,
	// DefaultBitRate when 0. The encoder searches the quantiser scale that
	// comes within 1% below it, or as close below as it can.
	BitRate float64
	// PPI is the resolution written in the NIST-COM comment (-1 when 0:
	// unknown).
	PPI int
	// Comment, when not empty, is written as an extra COM segment.
	Comment string
}

// The 9/7 analysis filters of IAFIS-IC-0110 Part 3 (FBI encoder one), the
// centre tap and one side, as the DTT segment transmits them.
var (
	lowpassSide  = []float64{0.852698679009, 0.377402855613, -0.110624404418, -0.023849465020, 0.037828455507}
	highpassSide = []float64{0.788485616406, -0.418092273222, -0.040689417609, 0.064538882629}
)

// Encode writes im (converted to 8-bit grey) as WSQ.
func Encode(w io.Writer, im image.Image, opt *Options) error {
	o := Options{}
	if opt != nil {
		o = *opt
	}
	if o.BitRate == 0 {
		o.BitRate = DefaultBitRate
	}
	if !(o.BitRate > 0 && o.BitRate <= 8) {
		return fmt.Errorf("wsq: bit rate %v outside (0, 8] bits per pixel", o.BitRate)
	}
	g := toGray(im)
	width, height := g.Bounds().Dx(), g.Bounds().Dy()
	if width < 1 || height < 1 || width > 0xFFFF || height > 0xFFFF || width*height > MaxPixels {
		return fmt.Errorf("wsq: cannot encode a %dx%d image (1 to 65535 pixels a side, at most %d pixels)", width, height, MaxPixels)
	}
	e := &encoder{width: width, height: height, opt: o}
	e.prepare(g)
	data, err := e.search()
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func toGray(im image.Image) *image.Gray {
	if g, ok := im.(*image.Gray); ok {
		return g
	}
	b := im.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			g.Pix[y*g.Stride+x] = color.GrayModel.Convert(im.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return g
}

type encoder struct {
	width, height int
	opt           Options
	layout        *layout
	shift, scale  scaledValue
	plane         []float64 // wavelet coefficients
	variance      [numSubbands]float64
	h0, h1        []float64
}

// scaledValue is a number as WSQ stores it: v / 10^e with v in 16 or 32
// bits.
type scaledValue struct {
	e uint8
	v uint32
}

func (s scaledValue) float() float64 { return scaled(s.e, s.v) }

// toScaled finds the representation of x (≥ 0) with the most significant
// digits that fits in limit.
func toScaled(x float64, limit uint32) scaledValue {
	if x <= 0 {
		return scaledValue{}
	}
	best := scaledValue{}
	for e := 0; e <= 12; e++ {
		v := math.Round(x * math.Pow(10, float64(e)))
		if v > float64(limit) {
			break
		}
		best = scaledValue{uint8(e), uint32(v)}
	}
	if best.v == 0 && x > 0 {
		// Too large for any exponent: saturate (callers keep x small).
		best = scaledValue{0, limit}
	}
	return best
}

// roundTripFilters returns the analysis filters as a decoder reads them
// back from the DTT segment the encoder writes.
func roundTripFilters() (h0, h1 []float64) {
	round := func(side []float64) []float64 {
		out := make([]float64, len(side))
		for i, c := range side {
			out[i] = math.Copysign(toScaled(math.Abs(c), math.MaxUint32).float(), c)
		}
		return fullFilter(out)
	}
	return round(lowpassSide), round(highpassSide)
}

func fullFilter(side []float64) []float64 {
	n := 2*len(side) - 1
	f := make([]float64, n)
	c := len(side) - 1
	for i, v := range side {
		f[c-i], f[c+i] = v, v
	}
	return f
}

// prepare normalises the pixels, transforms them and measures the
// subbands' variances.
func (e *encoder) prepare(g *image.Gray) {
	e.layout = newLayout(e.width, e.height)
	// The filters as the file will carry them (rounded), so the decoder
	// inverts exactly what the encoder applied.
	e.h0, e.h1 = roundTripFilters()
	var sum float64
	lo, hi := 255.0, 0.0
	for y := 0; y < e.height; y++ {
		for _, p := range g.Pix[y*g.Stride : y*g.Stride+e.width] {
			v := float64(p)
			sum += v
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	mean := sum / float64(e.width*e.height)
	e.shift = toScaled(mean, 0xFFFF)
	r := math.Max(hi-e.shift.float(), e.shift.float()-lo) / 128
	if r < 1.0/128 {
		r = 1.0 / 128 // a flat image
	}
	e.scale = toScaled(r, 0xFFFF)
	m, rs := e.shift.float(), e.scale.float()
	e.plane = make([]float64, e.width*e.height)
	for y := 0; y < e.height; y++ {
		for x, p := range g.Pix[y*g.Stride : y*g.Stride+e.width] {
			e.plane[y*e.width+x] = (float64(p) - m) / rs
		}
	}
	n := max(e.width, e.height)
	x, low, high := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := len(e.layout.splits) - 1; i >= 0; i-- {
		e.split(e.layout.splits[i], x, low, high)
	}
	for k := 0; k < 60; k++ {
		e.variance[k] = e.subbandVariance(e.layout.subbands[k])
	}
}

// split applies one analysis step to node n: rows, then columns.
func (e *encoder) split(n node, x, low, high []float64) {
	if n.w == 0 || n.h == 0 {
		return
	}
	place := func(size int, inverted bool, lo, hi []float64, set func(i int, v float64)) {
		nl := (size + 1) / 2
		lowAt, highAt := 0, nl
		if inverted {
			lowAt, highAt = size/2, 0
		}
		for k := 0; k < nl; k++ {
			set(lowAt+k, lo[k])
		}
		for k := 0; k < size/2; k++ {
			set(highAt+k, hi[k])
		}
	}
	for y := n.y; y < n.y+n.h; y++ {
		row := e.plane[y*e.width+n.x : y*e.width+n.x+n.w]
		copy(x, row)
		analysis(x[:n.w], e.h0, e.h1, low[:(n.w+1)/2], high[:n.w/2])
		place(n.w, n.invX, low, high, func(i int, v float64) { row[i] = v })
	}
	for c := n.x; c < n.x+n.w; c++ {
		for i := 0; i < n.h; i++ {
			x[i] = e.plane[(n.y+i)*e.width+c]
		}
		analysis(x[:n.h], e.h0, e.h1, low[:(n.h+1)/2], high[:n.h/2])
		place(n.h, n.invY, low, high, func(i int, v float64) { e.plane[(n.y+i)*e.width+c] = v })
	}
}

// subbandVariance measures a subband's variance over its central region
// (the FBI encoder's window: the middle 3/4 across, 7/16 down), which
// keeps the print's blank margins from lowering it.
func (e *encoder) subbandVariance(sb rect) float64 {
	if sb.w*sb.h == 0 {
		return 0
	}
	x0, y0 := sb.w/8, 9*sb.h/32
	w, h := sb.w-2*x0, 7*sb.h/16
	if w < 1 || h < 1 {
		x0, y0, w, h = 0, 0, sb.w, sb.h
	}
	if w*h < 2 {
		// One coefficient: its energy is all there is to go by.
		v := e.plane[(sb.y+y0)*e.width+sb.x+x0]
		return v * v
	}
	var s, s2 float64
	for y := sb.y + y0; y < sb.y+y0+h; y++ {
		for _, v := range e.plane[y*e.width+sb.x+x0 : y*e.width+sb.x+x0+w] {
			s += v
			s2 += v * v
		}
	}
	n := float64(w * h)
	return (s2 - s*s/n) / (n - 1)
}

// weights of the highest coded subbands (FBI encoder one).
func subbandWeight(k int) float64 {
	switch k {
	case 52, 56:
		return 1.32
	case 53, 58, 55, 59:
		return 1.08
	case 54, 57:
		return 1.42
	}
	return 1
}

// quantTableFor derives bin widths from the quantiser scale q: the four
// lowest subbands get 1/q, the others 10/(A·q·ln σ²), and those of
// variance below 1.01 are dropped. Zero bins are 1.2 bins wide. Values are
// rounded to what the DQT segment can carry.
func (e *encoder) quantTableFor(q float64) (qt quantTable, qs, zs [numSubbands]scaledValue) {
	qt.binCenter = 0.44
	for k := 0; k < 60; k++ {
		sb := e.layout.subbands[k]
		if sb.w*sb.h == 0 || (k >= 4 && e.variance[k] < 1.01) {
			continue
		}
		bin := 1 / q
		if k >= 4 {
			bin = 10 / (subbandWeight(k) * q * math.Log(e.variance[k]))
		}
		qs[k] = toScaled(bin, 0xFFFF)
		zs[k] = toScaled(1.2*qs[k].float(), 0xFFFF)
		qt.q[k], qt.z[k] = qs[k].float(), zs[k].float()
	}
	qt.defined = true
	return qt, qs, zs
}

// search encodes at quantiser scales found by bisection until the size
// comes within 1% of the target bit rate, or the best found is returned.
func (e *encoder) search() ([]byte, error) {
	target := e.opt.BitRate * float64(e.width*e.height) / 8
	lo, hi := 1e-4, 1e4 // quantiser scale: larger q, finer bins, more bytes
	var best []byte
	var smallest []byte
	bestSize, smallestSize := -1, -1
	for i := 0; i < 60; i++ {
		q := math.Sqrt(lo * hi)
		data, coded, err := e.encode(q)
		if err != nil {
			return nil, err
		}
		if smallestSize < 0 || coded < smallestSize {
			smallest, smallestSize = data, coded
		}
		if float64(coded) <= target && coded > bestSize {
			best, bestSize = data, coded
		}
		if float64(coded) <= target && float64(coded) >= 0.99*target {
			return data, nil
		}
		if float64(coded) > target {
			hi = q
		} else {
			lo = q
		}
		if hi/lo < 1.000001 {
			break
		}
	}
	if best == nil {
		// Even the coarsest quantiser exceeds the rate (a tiny image).
		return smallest, nil
	}
	return best, nil
}

// encode writes the whole file for quantiser scale q; coded is the size
// of its entropy-coded data.
func (e *encoder) encode(q float64) (file []byte, coded int, err error) {
	qt, qs, zs := e.quantTableFor(q)
	// Quantise each block and collect its symbols.
	var blocks [3][]symbol
	for b := 0; b < 3; b++ {
		var vals []int32
		for k := blockStarts[b]; k < blockStarts[b+1]; k++ {
			if qt.q[k] == 0 {
				continue
			}
			sb := e.layout.subbands[k]
			Q, Z := qt.q[k], qt.z[k]/2
			for y := sb.y; y < sb.y+sb.h; y++ {
				for _, a := range e.plane[y*e.width+sb.x : y*e.width+sb.x+sb.w] {
					vals = append(vals, quantise(a, Q, Z))
				}
			}
		}
		blocks[b] = symbolize(vals)
	}
	// Block 1 has its own table; blocks 2 and 3 share one.
	t0 := buildHuffman(blocks[0])
	t1 := buildHuffman(append(append([]symbol{}, blocks[1]...), blocks[2]...))

	var out bytes.Buffer
	put16 := func(v int) { out.WriteByte(byte(v >> 8)); out.WriteByte(byte(v)) }
	put16(markerSOI)
	e.writeComment(&out)
	if e.opt.Comment != "" {
		if len(e.opt.Comment) > 0xFFFF-2 {
			return nil, 0, errors.New("wsq: comment longer than 65533 bytes")
		}
		put16(markerCOM)
		put16(len(e.opt.Comment) + 2)
		out.WriteString(e.opt.Comment)
	}
	// DTT
	put16(markerDTT)
	put16(2 + 2 + 6*(len(lowpassSide)+len(highpassSide)))
	out.WriteByte(byte(2*len(lowpassSide) - 1))
	out.WriteByte(byte(2*len(highpassSide) - 1))
	for _, side := range [][]float64{lowpassSide, highpassSide} {
		for _, c := range side {
			s := toScaled(math.Abs(c), math.MaxUint32)
			sign := byte(0)
			if c < 0 {
				sign = 1
			}
			out.WriteByte(sign)
			out.WriteByte(s.e)
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], s.v)
			out.Write(b[:])
		}
	}
	// DQT
	put16(markerDQT)
	put16(5 + 6*numSubbands)
	bc := toScaled(qt.binCenter, 0xFFFF)
	out.WriteByte(bc.e)
	put16(int(bc.v))
	for k := 0; k < numSubbands; k++ {
		out.WriteByte(qs[k].e)
		put16(int(qs[k].v))
		out.WriteByte(zs[k].e)
		put16(int(zs[k].v))
	}
	writeDHT(&out, 0, t0)
	// SOF
	put16(markerSOF)
	put16(17)
	out.WriteByte(0)   // black
	out.WriteByte(255) // white
	put16(e.height)
	put16(e.width)
	out.WriteByte(e.shift.e)
	put16(int(e.shift.v))
	out.WriteByte(e.scale.e)
	put16(int(e.scale.v))
	out.WriteByte(2) // encoder number (FBI parameters, encoder one)
	put16(0)         // software implementation number
	for b := 0; b < 3; b++ {
		t, id := t1, 1
		if b == 0 {
			t, id = t0, 0
		}
		if b == 1 {
			writeDHT(&out, 1, t1)
		}
		put16(markerSOB)
		put16(3)
		out.WriteByte(byte(id))
		start := out.Len()
		writeSymbols(&out, blocks[b], t)
		coded += out.Len() - start
	}
	put16(markerEOI)
	return out.Bytes(), coded, nil
}

func (e *encoder) writeComment(out *bytes.Buffer) {
	ppi := e.opt.PPI
	if ppi <= 0 {
		ppi = -1
	}
	text := "NIST_COM 9\nPIX_WIDTH " + strconv.Itoa(e.width) +
		"\nPIX_HEIGHT " + strconv.Itoa(e.height) +
		"\nPIX_DEPTH 8\nPPI " + strconv.Itoa(ppi) +
		"\nLOSSY 1\nCOLORSPACE GRAY\nCOMPRESSION WSQ\nWSQ_BITRATE " + strconv.FormatFloat(e.opt.BitRate, 'f', 6, 64) + "\n"
	out.Write([]byte{0xFF, 0xA8, byte((len(text) + 2) >> 8), byte(len(text) + 2)})
	out.WriteString(text)
}

// quantise maps a coefficient to its bin (IAFIS-IC-0110 §"quantization").
func quantise(a, q, halfZ float64) int32 {
	var p float64
	switch {
	case a > halfZ:
		p = math.Floor((a-halfZ)/q) + 1
	case a < -halfZ:
		p = math.Ceil((a+halfZ)/q) - 1
	default:
		return 0
	}
	return int32(math.Max(-0xFFFF, math.Min(0xFFFF, p)))
}

// symbol is one Huffman symbol with its extra bits.
type symbol struct {
	code  uint8
	extra uint16
	nbits uint8
}

// symbolize turns quantised coefficients into the symbols of Table 5.
func symbolize(vals []int32) []symbol {
	var out []symbol
	run := 0
	flush := func() {
		for run > 0 {
			n := min(run, 0xFFFF)
			switch {
			case n <= 100:
				out = append(out, symbol{code: uint8(n)})
			case n <= 0xFF:
				out = append(out, symbol{code: 105, extra: uint16(n), nbits: 8})
			default:
				out = append(out, symbol{code: 106, extra: uint16(n), nbits: 16})
			}
			run -= n
		}
	}
	for _, v := range vals {
		if v == 0 {
			run++
			continue
		}
		flush()
		switch {
		case v >= -73 && v <= 74:
			out = append(out, symbol{code: uint8(v + 180)})
		case v > 0 && v <= 0xFF:
			out = append(out, symbol{code: 101, extra: uint16(v), nbits: 8})
		case v < 0 && v >= -0xFF:
			out = append(out, symbol{code: 102, extra: uint16(-v), nbits: 8})
		case v > 0:
			out = append(out, symbol{code: 103, extra: uint16(v), nbits: 16})
		default:
			out = append(out, symbol{code: 104, extra: uint16(-v), nbits: 16})
		}
	}
	flush()
	return out
}

// huffCode is the code of each symbol (length 0: unused).
type huffCode struct {
	length [256]uint8
	code   [256]uint16
	table  huffTable
}

// buildHuffman makes a canonical Huffman code of at most 16 bits for the
// symbols' frequencies, with no code of all ones (so that padding bits
// never read as a symbol), as JPEG's Annex K does.
func buildHuffman(syms []symbol) *huffCode {
	var freq [257]int
	for _, s := range syms {
		freq[s.code]++
	}
	freq[256] = 1 // the reserved all-ones code point
	if len(syms) == 0 {
		freq[0] = 1 // a table needs at least one real symbol
	}
	// Code lengths by repeatedly merging the two rarest trees.
	type item struct {
		weight  int
		symbols []int
	}
	var items []item
	for s, f := range freq {
		if f > 0 {
			items = append(items, item{f, []int{s}})
		}
	}
	var length [257]int
	for len(items) > 1 {
		sort.Slice(items, func(i, j int) bool { return items[i].weight < items[j].weight })
		a, b := items[0], items[1]
		for _, s := range a.symbols {
			length[s]++
		}
		for _, s := range b.symbols {
			length[s]++
		}
		merged := item{a.weight + b.weight, append(append([]int{}, a.symbols...), b.symbols...)}
		items = append([]item{merged}, items[2:]...)
	}
	// Count codes per length, then limit lengths to 16 (Annex K.3).
	var bits [258]int // a code is at most 256 bits long before limiting
	for _, l := range length {
		if l > 0 {
			bits[l]++
		}
	}
	for i := len(bits) - 1; i > 16; i-- {
		for bits[i] > 0 {
			j := i - 2
			for bits[j] == 0 {
				j--
			}
			bits[i] -= 2
			bits[i-1]++
			bits[j+1] += 2
			bits[j]--
		}
	}
	// Remove the reserved code point from the longest length.
	for i := 16; i > 0; i-- {
		if bits[i] > 0 {
			bits[i]--
			break
		}
	}
	// Symbols in order of increasing length (then value).
	var order []int
	for s := 0; s < 256; s++ {
		if freq[s] > 0 {
			order = append(order, s)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return length[order[i]] < length[order[j]] })
	h := &huffCode{}
	for i := 1; i <= 16; i++ {
		h.table.counts[i-1] = uint8(bits[i])
	}
	h.table.symbols = make([]uint8, len(order))
	for i, s := range order {
		h.table.symbols[i] = uint8(s)
	}
	h.table.defined = true
	// Assign canonical codes.
	code, k := 0, 0
	for l := 1; l <= 16; l++ {
		for n := 0; n < bits[l]; n++ {
			s := h.table.symbols[k]
			h.length[s], h.code[s] = uint8(l), uint16(code)
			code++
			k++
		}
		code <<= 1
	}
	return h
}

func writeDHT(out *bytes.Buffer, id int, h *huffCode) {
	n := len(h.table.symbols)
	out.Write([]byte{0xFF, 0xA6, byte((3 + 16 + n) >> 8), byte(3 + 16 + n), byte(id)})
	out.Write(h.table.counts[:])
	out.Write(h.table.symbols)
}

// writeSymbols writes the entropy-coded data: MSB first, 0x00 stuffed
// after every 0xFF, the last byte padded with ones.
func writeSymbols(out *bytes.Buffer, syms []symbol, h *huffCode) {
	var acc uint64
	var n uint
	emit := func(v uint64, bits uint) {
		acc = acc<<bits | v&(1<<bits-1)
		n += bits
		for n >= 8 {
			c := byte(acc >> (n - 8))
			out.WriteByte(c)
			if c == 0xFF {
				out.WriteByte(0)
			}
			n -= 8
		}
	}
	for _, s := range syms {
		emit(uint64(h.code[s.code]), uint(h.length[s.code]))
		if s.nbits > 0 {
			emit(uint64(s.extra), uint(s.nbits))
		}
	}
	if n > 0 {
		emit(1<<(8-n)-1, 8-n)
	}
}
