// Package pnm decodes the Netpbm image formats (PBM, PGM and PPM, in their
// plain ASCII and raw binary forms, P1 to P6) into Go images. NIST
// distributes fingerprint images such as SD29 as raw PGM (P5).
//
// Importing the package registers the formats with the image package, so
// that image.Decode reads them.
package pnm

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// MaxPixels bounds width × height, so that a hostile header cannot make
// the decoder allocate without limit.
const MaxPixels = 64 << 20

// FormatError reports a malformed Netpbm file.
type FormatError string

func (e FormatError) Error() string { return "pnm: invalid format: " + string(e) }

func init() {
	for _, magic := range []string{"P1", "P2", "P3", "P4", "P5", "P6"} {
		image.RegisterFormat(formatName(magic[1]), magic, Decode, DecodeConfig)
	}
}

func formatName(kind byte) string {
	switch kind {
	case '1', '4':
		return "pbm"
	case '2', '5':
		return "pgm"
	}
	return "ppm"
}

type header struct {
	kind          byte // '1'..'6'
	width, height int
	maxval        int
}

// DecodeConfig returns the colour model and size of a Netpbm image
// without decoding its pixels.
func DecodeConfig(r io.Reader) (image.Config, error) {
	h, err := readHeader(bufio.NewReader(r))
	if err != nil {
		return image.Config{}, err
	}
	var m color.Model = color.GrayModel
	switch {
	case (h.kind == '3' || h.kind == '6') && h.maxval > 255:
		m = color.RGBA64Model
	case h.kind == '3' || h.kind == '6':
		m = color.RGBAModel
	case h.maxval > 255:
		m = color.Gray16Model
	}
	return image.Config{ColorModel: m, Width: h.width, Height: h.height}, nil
}

// Decode reads a Netpbm image. PBM and PGM give an *image.Gray (or
// *image.Gray16 when the maximum value exceeds 255), PPM an *image.RGBA
// (or *image.RGBA64). Samples are rescaled from the file's maximum value
// to the full range; PBM's 1 (black) becomes 0.
func Decode(r io.Reader) (image.Image, error) {
	br := bufio.NewReader(r)
	h, err := readHeader(br)
	if err != nil {
		return nil, err
	}
	channels := 1
	if h.kind == '3' || h.kind == '6' {
		channels = 3
	}
	n := h.width * h.height * channels
	samples := make([]uint16, 0, min(n, 1<<20)) // grows with the data actually present
	switch h.kind {
	case '1':
		for len(samples) < n {
			c, err := skipSpace(br)
			if err != nil {
				return nil, truncated(err)
			}
			switch c {
			case '0':
				samples = append(samples, 1)
			case '1':
				samples = append(samples, 0)
			default:
				return nil, FormatError(fmt.Sprintf("PBM pixel %d: want 0 or 1, got %q", len(samples), c))
			}
		}
	case '4':
		row := make([]byte, (h.width+7)/8)
		for y := 0; y < h.height; y++ {
			if _, err := io.ReadFull(br, row); err != nil {
				return nil, truncated(err)
			}
			for x := 0; x < h.width; x++ {
				samples = append(samples, uint16(1-(row[x/8]>>(7-x%8))&1))
			}
		}
	case '2', '3':
		for len(samples) < n {
			v, err := readInt(br, h.maxval)
			if err != nil {
				return nil, fmt.Errorf("pnm: sample %d: %w", len(samples), err)
			}
			samples = append(samples, uint16(v))
		}
	case '5', '6':
		size := 1
		if h.maxval > 255 {
			size = 2
		}
		buf := make([]byte, 64<<10)
		for len(samples) < n {
			want := min(len(buf), (n-len(samples))*size)
			if _, err := io.ReadFull(br, buf[:want]); err != nil {
				return nil, truncated(err)
			}
			for i := 0; i < want; i += size {
				v := uint16(buf[i])
				if size == 2 {
					v = v<<8 | uint16(buf[i+1])
				}
				if int(v) > h.maxval {
					return nil, FormatError(fmt.Sprintf("sample %d is %d, above the maximum value %d", len(samples), v, h.maxval))
				}
				samples = append(samples, v)
			}
		}
	}
	return toImage(h, samples), nil
}

func toImage(h header, s []uint16) image.Image {
	r := image.Rect(0, 0, h.width, h.height)
	maxval := uint32(h.maxval)
	if h.kind == '1' || h.kind == '4' {
		maxval = 1
	}
	scale8 := func(v uint16) uint8 { return uint8((uint32(v)*255 + maxval/2) / maxval) }
	scale16 := func(v uint16) uint16 { return uint16((uint32(v)*65535 + maxval/2) / maxval) }
	switch {
	case h.kind == '3' || h.kind == '6':
		if h.maxval > 255 {
			m := image.NewRGBA64(r)
			for i := 0; i < len(s)/3; i++ {
				m.SetRGBA64(i%h.width, i/h.width, color.RGBA64{scale16(s[3*i]), scale16(s[3*i+1]), scale16(s[3*i+2]), 0xffff})
			}
			return m
		}
		m := image.NewRGBA(r)
		for i := 0; i < len(s)/3; i++ {
			m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = scale8(s[3*i]), scale8(s[3*i+1]), scale8(s[3*i+2]), 0xff
		}
		return m
	case h.maxval > 255:
		m := image.NewGray16(r)
		for i, v := range s {
			w := scale16(v)
			m.Pix[2*i], m.Pix[2*i+1] = uint8(w>>8), uint8(w)
		}
		return m
	}
	m := image.NewGray(r)
	for i, v := range s {
		m.Pix[i] = scale8(v)
	}
	return m
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return FormatError("pixel data truncated")
	}
	return fmt.Errorf("pnm: %w", err)
}

func readHeader(br *bufio.Reader) (header, error) {
	var h header
	magic := make([]byte, 2)
	if _, err := io.ReadFull(br, magic); err != nil {
		return h, FormatError("missing magic number")
	}
	if magic[0] != 'P' || magic[1] < '1' || magic[1] > '6' {
		return h, FormatError(fmt.Sprintf("magic number %q is not P1 to P6", magic))
	}
	h.kind = magic[1]
	var err error
	if h.width, err = readInt(br, 1<<24); err != nil {
		return h, fmt.Errorf("pnm: width: %w", err)
	}
	if h.height, err = readInt(br, 1<<24); err != nil {
		return h, fmt.Errorf("pnm: height: %w", err)
	}
	if h.width == 0 || h.height == 0 {
		return h, FormatError(fmt.Sprintf("empty image %dx%d", h.width, h.height))
	}
	if h.width*h.height > MaxPixels {
		return h, FormatError(fmt.Sprintf("image %dx%d exceeds the limit of %d pixels", h.width, h.height, MaxPixels))
	}
	h.maxval = 1
	if h.kind != '1' && h.kind != '4' {
		if h.maxval, err = readInt(br, 65535); err != nil {
			return h, fmt.Errorf("pnm: maximum value: %w", err)
		}
		if h.maxval == 0 {
			return h, FormatError("maximum value 0")
		}
	}
	if h.kind >= '4' {
		// Exactly one whitespace byte separates the header from raw data.
		c, err := br.ReadByte()
		if err != nil || !isSpace(c) {
			return h, FormatError("no whitespace after the header")
		}
	}
	return h, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// skipSpace returns the next byte that is neither whitespace nor part of a
// comment (from '#' to the end of the line).
func skipSpace(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if c == '#' {
			for {
				_, err := br.ReadSlice('\n')
				if err == nil {
					break
				}
				if !errors.Is(err, bufio.ErrBufferFull) {
					return 0, err
				}
			}
			continue
		}
		if !isSpace(c) {
			return c, nil
		}
	}
}

// readInt reads a decimal number no larger than limit.
func readInt(br *bufio.Reader, limit int) (int, error) {
	c, err := skipSpace(br)
	if err != nil {
		return 0, FormatError("unexpected end of file")
	}
	if c < '0' || c > '9' {
		return 0, FormatError(fmt.Sprintf("want a decimal number, got %q", c))
	}
	v := 0
	for {
		v = v*10 + int(c-'0')
		if v > limit {
			return 0, FormatError(fmt.Sprintf("number above %d", limit))
		}
		c, err = br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return v, nil
			}
			return 0, err
		}
		if c < '0' || c > '9' {
			if !isSpace(c) && c != '#' {
				return 0, FormatError(fmt.Sprintf("unexpected %q after a number", c))
			}
			// Leave the separator: raw formats need the single whitespace
			// byte after the maximum value to find the pixel data.
			_ = br.UnreadByte()
			return v, nil
		}
	}
}
