// Package wsq reads and writes WSQ (Wavelet Scalar Quantization) grey-scale
// fingerprint images as specified by the FBI in "WSQ Gray-scale Fingerprint
// Image Compression Specification", IAFIS-IC-0110 (V3), 1997.
//
// A WSQ file is a sequence of marker segments, much like JPEG: tables
// (transform filters, quantisation, Huffman codes), a frame header, and
// three entropy-coded blocks that hold the quantised coefficients of 60 of
// the 64 subbands of a wavelet packet decomposition of the image.
//
// Importing the package registers the format with the image package, so
// that image.Decode reads WSQ files.
package wsq

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"strconv"
	"strings"
)

// Markers (IAFIS-IC-0110 Table 2).
const (
	markerSOI = 0xFFA0 // start of image
	markerEOI = 0xFFA1 // end of image
	markerSOF = 0xFFA2 // start of frame
	markerSOB = 0xFFA3 // start of block
	markerDTT = 0xFFA4 // define transform table
	markerDQT = 0xFFA5 // define quantisation table
	markerDHT = 0xFFA6 // define Huffman table(s)
	markerDRT = 0xFFA7 // define restart interval
	markerCOM = 0xFFA8 // comment
	markerRST = 0xFFB0 // restart markers 0xFFB0..0xFFB7
)

// Limits against hostile headers.
const (
	// MaxPixels bounds width × height.
	MaxPixels = 48 << 20
	// maxFilterTaps bounds the transform filters' lengths.
	maxFilterTaps = 64
)

const numSubbands = 64

// FormatError reports a malformed WSQ file.
type FormatError string

func (e FormatError) Error() string { return "wsq: invalid format: " + string(e) }

// UnsupportedError reports a valid WSQ feature this package lacks.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "wsq: unsupported feature: " + string(e) }

func init() {
	image.RegisterFormat("wsq", "\xff\xa0", Decode, DecodeConfig)
}

// frame is the frame header (SOF).
type frame struct {
	black, white  uint8
	width, height int
	shift, scale  float64 // pixel = coefficient·scale + shift
	encoder       uint8
	software      uint16
}

// quantTable is the DQT segment: per subband bin width Q and zero bin Z;
// Q = 0 marks a subband that is not coded.
type quantTable struct {
	binCenter float64
	q, z      [numSubbands]float64
	defined   bool
}

// huffTable is one Huffman table of a DHT segment (JPEG-style: the count of
// codes per length 1..16 and the symbols in code order).
type huffTable struct {
	counts  [16]uint8
	symbols []uint8
	defined bool
}

// reader walks the marker segments of a WSQ file held in memory.
type reader struct {
	data []byte
	pos  int

	frame     frame
	haveFrame bool
	lowpass   []float64 // analysis filters, full (symmetric) length
	highpass  []float64
	quant     quantTable
	huff      [8]huffTable
	restart   int
	comments  []string
}

func (r *reader) errorf(format string, args ...any) error {
	return FormatError(fmt.Sprintf("at byte %d: ", r.pos) + fmt.Sprintf(format, args...))
}

func (r *reader) marker() (int, error) {
	if r.pos+2 > len(r.data) {
		return 0, r.errorf("unexpected end of file, want a marker")
	}
	m := int(binary.BigEndian.Uint16(r.data[r.pos:]))
	if m>>8 != 0xFF {
		return 0, r.errorf("want a marker, got 0x%04X", m)
	}
	r.pos += 2
	return m, nil
}

// segment returns the payload of the segment that starts at r.pos (after
// its marker), without the 2-byte length, and moves past it.
func (r *reader) segment(name string) ([]byte, error) {
	if r.pos+2 > len(r.data) {
		return nil, r.errorf("%s: truncated length", name)
	}
	n := int(binary.BigEndian.Uint16(r.data[r.pos:]))
	if n < 2 || r.pos+n > len(r.data) {
		return nil, r.errorf("%s: length %d exceeds the %d bytes left", name, n, len(r.data)-r.pos)
	}
	p := r.data[r.pos+2 : r.pos+n]
	r.pos += n
	return p, nil
}

// scaled reads the spec's "scaled integer": an exponent byte e and an
// unsigned value v standing for v / 10^e.
func scaled(e uint8, v uint32) float64 {
	if e == 0 {
		return float64(v)
	}
	return float64(v) / math.Pow(10, float64(e))
}

// table parses one table or comment segment whose marker was just read.
// It reports false for a marker that is not a table.
func (r *reader) table(m int) (bool, error) {
	switch m {
	case markerDTT:
		p, err := r.segment("DTT")
		if err != nil {
			return true, err
		}
		return true, r.parseDTT(p)
	case markerDQT:
		p, err := r.segment("DQT")
		if err != nil {
			return true, err
		}
		return true, r.parseDQT(p)
	case markerDHT:
		p, err := r.segment("DHT")
		if err != nil {
			return true, err
		}
		return true, r.parseDHT(p)
	case markerDRT:
		p, err := r.segment("DRT")
		if err != nil {
			return true, err
		}
		if len(p) != 2 {
			return true, r.errorf("DRT: length %d, want 2", len(p))
		}
		r.restart = int(binary.BigEndian.Uint16(p))
		return true, nil
	case markerCOM:
		p, err := r.segment("COM")
		if err != nil {
			return true, err
		}
		r.comments = append(r.comments, string(p))
		return true, nil
	}
	return false, nil
}

func (r *reader) parseDTT(p []byte) error {
	if len(p) < 2 {
		return r.errorf("DTT: too short")
	}
	lo, hi := int(p[0]), int(p[1])
	if lo < 1 || hi < 1 || lo > maxFilterTaps || hi > maxFilterTaps {
		return r.errorf("DTT: filter lengths %d and %d (want 1..%d)", lo, hi, maxFilterTaps)
	}
	if lo%2 == 0 || hi%2 == 0 {
		// Even-length (half-sample symmetric) filters are allowed by
		// the specification but used by no encoder we know of.
		return UnsupportedError(fmt.Sprintf("even-length transform filters (%d/%d)", lo, hi))
	}
	p = p[2:]
	read := func(n int) ([]float64, error) {
		half := (n + 1) / 2 // the centre and one side of a symmetric filter
		if len(p) < 6*half {
			return nil, r.errorf("DTT: truncated filter coefficients")
		}
		side := make([]float64, half)
		for i := range side {
			v := scaled(p[1], binary.BigEndian.Uint32(p[2:]))
			if p[0] != 0 {
				v = -v
			}
			side[i] = v
			p = p[6:]
		}
		full := make([]float64, n)
		c := n / 2
		for i, v := range side {
			full[c-i], full[c+i] = v, v
		}
		return full, nil
	}
	var err error
	if r.lowpass, err = read(lo); err != nil {
		return err
	}
	if r.highpass, err = read(hi); err != nil {
		return err
	}
	return nil
}

func (r *reader) parseDQT(p []byte) error {
	if len(p) != 3+numSubbands*6 {
		return r.errorf("DQT: length %d, want %d", len(p)+2, 5+numSubbands*6)
	}
	q := &r.quant
	q.binCenter = scaled(p[0], uint32(binary.BigEndian.Uint16(p[1:])))
	p = p[3:]
	for k := 0; k < numSubbands; k++ {
		q.q[k] = scaled(p[0], uint32(binary.BigEndian.Uint16(p[1:])))
		q.z[k] = scaled(p[3], uint32(binary.BigEndian.Uint16(p[4:])))
		p = p[6:]
	}
	q.defined = true
	return nil
}

func (r *reader) parseDHT(p []byte) error {
	for len(p) > 0 {
		if len(p) < 17 {
			return r.errorf("DHT: truncated table header")
		}
		id := int(p[0])
		if id >= len(r.huff) {
			return r.errorf("DHT: table id %d (want 0..%d)", id, len(r.huff)-1)
		}
		t := &r.huff[id]
		copy(t.counts[:], p[1:17])
		n := 0
		for _, c := range t.counts {
			n += int(c)
		}
		if n == 0 || n > 256 || len(p) < 17+n {
			return r.errorf("DHT: table %d holds %d symbols (%d bytes left)", id, n, len(p)-17)
		}
		t.symbols = append(t.symbols[:0], p[17:17+n]...)
		t.defined = true
		p = p[17+n:]
	}
	return nil
}

func (r *reader) parseSOF(p []byte) error {
	if len(p) != 15 {
		return r.errorf("SOF: length %d, want 17", len(p)+2)
	}
	f := &r.frame
	f.black, f.white = p[0], p[1]
	f.height = int(binary.BigEndian.Uint16(p[2:]))
	f.width = int(binary.BigEndian.Uint16(p[4:]))
	f.shift = scaled(p[6], uint32(binary.BigEndian.Uint16(p[7:])))
	f.scale = scaled(p[9], uint32(binary.BigEndian.Uint16(p[10:])))
	f.encoder = p[12]
	f.software = binary.BigEndian.Uint16(p[13:])
	if f.width == 0 || f.height == 0 {
		return r.errorf("SOF: empty image %dx%d", f.width, f.height)
	}
	if f.width*f.height > MaxPixels {
		return r.errorf("SOF: image %dx%d exceeds the limit of %d pixels", f.width, f.height, MaxPixels)
	}
	if f.scale == 0 {
		return r.errorf("SOF: scale factor 0")
	}
	r.haveFrame = true
	return nil
}

// header reads from SOI up to and including the frame header.
func (r *reader) header() error {
	m, err := r.marker()
	if err != nil {
		return err
	}
	if m != markerSOI {
		return FormatError(fmt.Sprintf("missing SOI marker (got 0x%04X): not a WSQ file", m))
	}
	for !r.haveFrame {
		m, err := r.marker()
		if err != nil {
			return err
		}
		ok, err := r.table(m)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if m != markerSOF {
			return r.errorf("unexpected marker 0x%04X before the frame header", m)
		}
		p, err := r.segment("SOF")
		if err != nil {
			return err
		}
		if err := r.parseSOF(p); err != nil {
			return err
		}
	}
	return nil
}

// DecodeConfig returns the size of a WSQ image (8-bit grey) without
// decoding it.
func DecodeConfig(rd io.Reader) (image.Config, error) {
	data, err := readAll(rd)
	if err != nil {
		return image.Config{}, err
	}
	r := &reader{data: data}
	if err := r.header(); err != nil {
		return image.Config{}, err
	}
	return image.Config{ColorModel: grayModel, Width: r.frame.width, Height: r.frame.height}, nil
}

// maxFileSize bounds the bytes read from one WSQ stream: a WSQ of the
// largest image allowed cannot reasonably be larger.
const maxFileSize = 256 << 20

func readAll(rd io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("wsq: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, FormatError(fmt.Sprintf("file larger than %d bytes", maxFileSize))
	}
	return data, nil
}

// Comments returns the text of the comment (COM) segments before the
// frame header, among them the NIST-COM attribute list.
func Comments(data []byte) ([]string, error) {
	r := &reader{data: data}
	if err := r.header(); err != nil {
		return nil, err
	}
	return r.comments, nil
}

// ResolutionOf returns the resolution in pixels per inch stated by the
// "PPI" attribute of a NIST-COM comment of the WSQ file, or an error when
// the file states none (some encoders write no NIST-COM, or "PPI -1", or
// that -1 wrapped to 255).
func ResolutionOf(data []byte) (int, error) {
	comments, err := Comments(data)
	if err != nil {
		return 0, err
	}
	for _, c := range comments {
		if !strings.HasPrefix(c, "NIST_COM") {
			continue
		}
		for _, line := range strings.Split(c, "\n") {
			name, value, ok := strings.Cut(strings.TrimSpace(line), " ")
			if !ok || name != "PPI" {
				continue
			}
			ppi, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || ppi <= 0 {
				return 0, errors.New("wsq: NIST-COM states no resolution (PPI " + value + ")")
			}
			if ppi == 255 {
				// Writers that keep the resolution in a byte turn the
				// NIST-COM "unknown" (-1) into 255, which no fingerprint
				// scanner uses (NIST's sample tenprint slaps say 255 for
				// 500 ppi images).
				return 0, errors.New("wsq: NIST-COM PPI 255 (an unknown resolution stored in a byte)")
			}
			return ppi, nil
		}
	}
	return 0, errors.New("wsq: no NIST-COM comment with a PPI attribute")
}
