package devices

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
)

// Captures are written by the thousand (a 10,000-capture evaluation set)
// and image/png spends most of its time choosing a filter per row and
// searching for matches: for scans of printed paper, the Up filter with
// Huffman-only compression writes files about as small, several times
// faster; the rows are filtered straight into huffZlib's blocks (own
// literal-only deflate encoder, see huffdeflate.go). fastPNG handles the opaque RGBA and Gray images of captures;
// anything else goes through image/png.

// chunkWriter cuts the zlib stream into IDAT chunks.
type chunkWriter struct {
	w   io.Writer
	err error
}

func writeChunk(w io.Writer, typ string, data []byte) error {
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(data)))
	copy(hdr[4:], typ)
	crc := crc32.NewIEEE()
	crc.Write(hdr[4:8])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, b := range [][]byte{hdr[:], data, tail[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.err = writeChunk(c.w, "IDAT", p)
	return len(p), c.err
}

// fastPNG writes im when it is an opaque *image.RGBA (as RGB) or an
// *image.Gray, and reports false for other images without writing.
func fastPNG(w io.Writer, im image.Image, ppi float64) (bool, error) {
	var (
		pix      []uint8
		stride   int
		colour   byte
		channels int
	)
	b := im.Bounds()
	switch m := im.(type) {
	case *image.RGBA:
		if !m.Opaque() {
			return false, nil
		}
		pix, stride, colour, channels = m.Pix, m.Stride, 2, 3
	case *image.Gray:
		pix, stride, colour, channels = m.Pix, m.Stride, 0, 1
	default:
		return false, nil
	}
	width, height := b.Dx(), b.Dy()
	if width == 0 || height == 0 {
		return false, nil
	}
	if _, err := w.Write(pngSignature); err != nil {
		return true, err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, colour
	if err := writeChunk(w, "IHDR", ihdr[:]); err != nil {
		return true, err
	}
	if ppi > 0 {
		var phys [9]byte
		perMetre := uint32(ppi/0.0254 + 0.5)
		binary.BigEndian.PutUint32(phys[0:], perMetre)
		binary.BigEndian.PutUint32(phys[4:], perMetre)
		phys[8] = 1
		if err := writeChunk(w, "pHYs", phys[:]); err != nil {
			return true, err
		}
	}
	cw := &chunkWriter{w: w}
	zw := newHuffZlib(cw)
	defer zw.release()
	n := width * channels
	var zero []byte
	for y := 0; y < height; y++ {
		line := pix[y*stride:]
		var above []byte
		if y > 0 {
			above = pix[(y-1)*stride:]
		} else {
			if zero == nil {
				zero = make([]byte, len(line))
			}
			above = zero
		}
		row := zw.next(n + 1)
		row[0] = 2 // filter type Up: each byte minus the byte above
		f := row[1:]
		if channels == 3 {
			line, above = line[:4*width], above[:4*width]
			for x, j := 0, 0; x < width; x, j = x+1, j+4 {
				f[3*x] = line[j] - above[j]
				f[3*x+1] = line[j+1] - above[j+1]
				f[3*x+2] = line[j+2] - above[j+2]
			}
		} else {
			line, above = line[:width], above[:width]
			for x := range f {
				f[x] = line[x] - above[x]
			}
		}
		if zw.err != nil {
			return true, zw.err
		}
	}
	if err := zw.Close(); err != nil {
		return true, err
	}
	if cw.err != nil {
		return true, cw.err
	}
	return true, writeChunk(w, "IEND", nil)
}
