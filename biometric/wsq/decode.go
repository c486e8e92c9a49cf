package wsq

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
)

var grayModel = color.GrayModel

// maxPixelsPerByte bounds the compression ratio a file may claim: the
// FBI's 0.75 bits per pixel is about 11 pixels per byte, and a blank
// 1000×1000 image coded by this package takes about 1500 pixels per byte.
const maxPixelsPerByte = 4000

// Decode reads a WSQ image into an *image.Gray.
func Decode(rd io.Reader) (image.Image, error) {
	data, err := readAll(rd)
	if err != nil {
		return nil, err
	}
	return DecodeBytes(data)
}

// DecodeBytes decodes a WSQ file held in memory.
func DecodeBytes(data []byte) (*image.Gray, error) {
	r := &reader{data: data}
	if err := r.header(); err != nil {
		return nil, err
	}
	f := r.frame
	// Even an all-grey image needs some entropy-coded data per pixel;
	// refusing absurd ratios keeps a forged header from making a tiny
	// file allocate hundreds of megabytes.
	if f.width*f.height > maxPixelsPerByte*len(data) {
		return nil, FormatError(fmt.Sprintf("a %dx%d image cannot be coded in %d bytes", f.width, f.height, len(data)))
	}
	l := newLayout(f.width, f.height)
	plane := make([]float64, f.width*f.height)
	if err := r.blocks(l, plane); err != nil {
		return nil, err
	}
	if len(r.lowpass) == 0 {
		return nil, FormatError("no transform table (DTT)")
	}
	lo, hi := synthesisFilters(r.lowpass, r.highpass)
	s := newSynthesizer(max(f.width, f.height), lo, hi)
	for _, n := range l.splits {
		s.join(plane, f.width, n)
	}
	im := image.NewGray(image.Rect(0, 0, f.width, f.height))
	for i, v := range plane {
		im.Pix[i] = clampPixel(v*f.scale + f.shift)
	}
	return im, nil
}

func clampPixel(v float64) uint8 {
	v = math.Round(v)
	switch {
	case v < 0 || v != v:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}

// blocks reads the three coded blocks (each possibly preceded by tables)
// and puts the dequantised coefficients of every subband into plane.
func (r *reader) blocks(l *layout, plane []float64) error {
	width := r.frame.width
	for b := 0; b < 3; b++ {
		m, err := r.nextBlockMarker()
		if err != nil {
			return fmt.Errorf("wsq: block %d: %w", b+1, err)
		}
		if m != markerSOB {
			return fmt.Errorf("wsq: block %d: %w", b+1, r.errorf("want a start of block, got marker 0x%04X", m))
		}
		p, err := r.segment("SOB")
		if err != nil {
			return err
		}
		if len(p) != 1 {
			return r.errorf("SOB: length %d, want 3", len(p)+2)
		}
		if !r.quant.defined {
			return r.errorf("block %d before the quantisation table (DQT)", b+1)
		}
		t := &r.huff[p[0]&7]
		if int(p[0]) >= len(r.huff) || !t.defined {
			return r.errorf("block %d uses undefined Huffman table %d", b+1, p[0])
		}
		dec, err := newHuffDecoder(t)
		if err != nil {
			return r.errorf("Huffman table %d: %v", p[0], err)
		}
		// The block's coefficients run through its coded subbands in
		// order, each in raster order.
		var bands []rect
		var qs []int
		total := 0
		for k := blockStarts[b]; k < blockStarts[b+1]; k++ {
			if r.quant.q[k] == 0 {
				continue
			}
			bands = append(bands, l.subbands[k])
			qs = append(qs, k)
			total += l.subbands[k].w * l.subbands[k].h
		}
		br := bitReader{data: r.data, pos: r.pos}
		vals := make([]int32, total)
		if err := decodeCoefficients(&br, dec, vals); err != nil {
			return fmt.Errorf("wsq: block %d: %w", b+1, err)
		}
		r.pos = br.end()
		i := 0
		for j, sb := range bands {
			k := qs[j]
			q, z, c := r.quant.q[k], r.quant.z[k]/2, r.quant.binCenter
			for y := sb.y; y < sb.y+sb.h; y++ {
				row := plane[y*width+sb.x : y*width+sb.x+sb.w]
				for x := range row {
					v := vals[i]
					i++
					switch {
					case v > 0:
						row[x] = (float64(v)-c)*q + z
					case v < 0:
						row[x] = (float64(v)+c)*q - z
					}
				}
			}
		}
	}
	return nil
}

// nextBlockMarker reads markers, parsing tables, until one that is not a
// table.
func (r *reader) nextBlockMarker() (int, error) {
	for {
		m, err := r.marker()
		if err != nil {
			return 0, err
		}
		ok, err := r.table(m)
		if err != nil {
			return 0, err
		}
		if !ok {
			return m, nil
		}
	}
}

// decodeCoefficients fills vals with the quantised coefficients of one
// block. Symbols (IAFIS-IC-0110 Table 5): 1-100 a run of that many zeros;
// 101/102 a positive/negative value in the next 8 bits; 103/104 the same
// in 16 bits; 105/106 a run of zeros whose length is in the next 8/16
// bits; 107-254 the value symbol-180 (-73..74).
func decodeCoefficients(br *bitReader, dec *huffDecoder, vals []int32) error {
	i := 0
	for i < len(vals) {
		sym, err := dec.decode(br)
		if err != nil {
			return fmt.Errorf("coefficient %d of %d: %w", i, len(vals), err)
		}
		run := 0
		switch {
		case sym >= 1 && sym <= 100:
			run = sym
		case sym == 101 || sym == 102:
			v, err := br.bits(8)
			if err != nil {
				return err
			}
			vals[i] = int32(v)
			if sym == 102 {
				vals[i] = -vals[i]
			}
			i++
		case sym == 103 || sym == 104:
			v, err := br.bits(16)
			if err != nil {
				return err
			}
			vals[i] = int32(v)
			if sym == 104 {
				vals[i] = -vals[i]
			}
			i++
		case sym == 105:
			v, err := br.bits(8)
			if err != nil {
				return err
			}
			run = int(v)
		case sym == 106:
			v, err := br.bits(16)
			if err != nil {
				return err
			}
			run = int(v)
		case sym >= 107 && sym <= 254 && sym != 180:
			vals[i] = int32(sym - 180)
			i++
		default:
			return FormatError(fmt.Sprintf("invalid coefficient symbol %d", sym))
		}
		if run > len(vals)-i {
			return FormatError(fmt.Sprintf("run of %d zeros at coefficient %d overflows the block of %d", run, i, len(vals)))
		}
		i += run // vals is zero already
	}
	return nil
}

// bitReader reads the entropy-coded data MSB first, removing the 0x00
// stuffed after every 0xFF data byte and skipping restart markers.
type bitReader struct {
	data  []byte
	pos   int
	acc   uint32
	nbits uint
}

var errEndOfData = FormatError("entropy-coded data ends early")

// fill adds one byte to the accumulator.
func (b *bitReader) fill() error {
	for {
		if b.pos >= len(b.data) {
			return errEndOfData
		}
		c := b.data[b.pos]
		if c != 0xFF {
			b.pos++
			b.acc = b.acc<<8 | uint32(c)
			b.nbits += 8
			return nil
		}
		if b.pos+1 >= len(b.data) {
			return errEndOfData
		}
		next := b.data[b.pos+1]
		switch {
		case next == 0x00:
			b.pos += 2
			b.acc = b.acc<<8 | 0xFF
			b.nbits += 8
			return nil
		case next >= 0xB0 && next <= 0xB7:
			// A restart: the encoder padded the previous byte, and
			// coding starts afresh after the marker.
			b.pos += 2
			b.acc, b.nbits = 0, 0
		default:
			return errEndOfData // a marker: the block's data ended
		}
	}
}

func (b *bitReader) bits(n uint) (uint32, error) {
	for b.nbits < n {
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	b.nbits -= n
	return (b.acc >> b.nbits) & (1<<n - 1), nil
}

// end returns the position of the marker after the block's data: the
// rest of a partly read byte is padding.
func (b *bitReader) end() int {
	p := b.pos
	for p+1 < len(b.data) {
		if b.data[p] == 0xFF && b.data[p+1] != 0x00 && (b.data[p+1] < 0xB0 || b.data[p+1] > 0xB7) {
			return p
		}
		p++
	}
	return len(b.data)
}

// huffDecoder decodes canonical Huffman codes (generated as in JPEG,
// ISO/IEC 10918-1 Annex C) bit by bit with per-length limits.
type huffDecoder struct {
	maxCode [17]int32 // largest code of each length, -1 when none
	valPtr  [17]int32 // index in symbols of the first code of each length
	minCode [17]int32
	symbols []uint8
}

func newHuffDecoder(t *huffTable) (*huffDecoder, error) {
	d := &huffDecoder{symbols: t.symbols}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(t.counts[l-1])
		d.valPtr[l] = k
		d.minCode[l] = code
		code += n
		k += n
		d.maxCode[l] = code - 1
		if n == 0 {
			d.maxCode[l] = -1
		}
		if code > 1<<l {
			return nil, fmt.Errorf("more codes of length %d than fit", l)
		}
		code <<= 1
	}
	return d, nil
}

func (d *huffDecoder) decode(b *bitReader) (int, error) {
	code := int32(0)
	for l := 1; l <= 16; l++ {
		bit, err := b.bits(1)
		if err != nil {
			return 0, err
		}
		code = code<<1 | int32(bit)
		if code <= d.maxCode[l] {
			return int(d.symbols[d.valPtr[l]+code-d.minCode[l]]), nil
		}
	}
	return 0, FormatError("invalid Huffman code")
}
