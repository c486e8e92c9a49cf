package biometric

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"checkpost/biometric/pnm"
	"checkpost/biometric/wsq"
)

// Limits that protect DecodeImage from hostile files.
const (
	// MaxImageBytes bounds the bytes read from one image file.
	MaxImageBytes = 128 << 20
	// MaxImagePixels bounds width × height: a 1000 ppi four-finger slap
	// has about 10 million pixels.
	MaxImagePixels = 48 << 20
)

// maxPixelsPerByte bounds the compression a file may claim: deflate (PNG,
// TIFF) packs at most about 1032 bytes into one, 8 pixels a byte at 1 bit
// per pixel; a blank JPEG needs at least 2 bits per 8×8 block.
const maxPixelsPerByte = 8 * 1032

// StandardPPI is the resolution every extractor in checkpost works at.
const StandardPPI = 500

// FingerImage is a decoded grey-scale finger image and its resolution.
type FingerImage struct {
	// Gray holds the pixels; its bounds start at (0, 0).
	Gray *image.Gray
	// PPI is the resolution in pixels per inch: the one the file states,
	// the one the caller stated (ImageOptions), or StandardPPI when
	// neither is known.
	PPI float64
	// PPIKnown reports whether PPI came from the file or the caller
	// rather than being assumed.
	PPIKnown bool
	// Format names the file format: "png", "bmp", "tiff", "jpeg", "pgm"
	// (any Netpbm), or "wsq".
	Format string
}

// ImageOptions changes how DecodeImageWith reads an image.
type ImageOptions struct {
	// PPI, when positive, is the resolution to use when the file states
	// none (FVC2002 TIFFs, PGM files).
	PPI float64
	// OverridePPI makes PPI win over the resolution the file states
	// (for files whose header is known to be wrong).
	OverridePPI bool
}

// ErrImageFormat is returned (wrapped) when a file is none of the image
// formats DecodeImage reads.
var ErrImageFormat = errors.New("biometric: unknown image format (want PNG, BMP, TIFF, JPEG, PGM/PNM or WSQ)")

// DecodeImage reads a PNG, BMP, TIFF, JPEG, Netpbm (PGM) or WSQ image and
// converts it to grey. The resolution comes from the file where the format
// carries one (PNG pHYs, BMP pixels per metre, TIFF XResolution and
// ResolutionUnit, JFIF density, the PPI of a WSQ NIST-COM comment);
// otherwise PPIKnown is false and PPI is StandardPPI. Values outside
// 100..5000 ppi, and the 72 and 96 ppi that image editors write by
// default, count as unstated.
func DecodeImage(r io.Reader) (FingerImage, error) {
	return DecodeImageWith(r, ImageOptions{})
}

// DecodeImageWith is DecodeImage with a caller-stated resolution.
func DecodeImageWith(r io.Reader, opt ImageOptions) (FingerImage, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImageBytes+1))
	if err != nil {
		return FingerImage{}, fmt.Errorf("biometric: reading image: %w", err)
	}
	if len(data) > MaxImageBytes {
		return FingerImage{}, fmt.Errorf("biometric: image file larger than %d bytes", MaxImageBytes)
	}
	return DecodeImageBytes(data, opt)
}

type imageCodec struct {
	name       string
	decode     func(io.Reader) (image.Image, error)
	config     func(io.Reader) (image.Config, error)
	resolution func([]byte) float64
}

var imageCodecs = map[string]imageCodec{
	"png":  {"png", png.Decode, png.DecodeConfig, pngResolution},
	"bmp":  {"bmp", bmp.Decode, bmp.DecodeConfig, bmpResolution},
	"tiff": {"tiff", tiff.Decode, tiff.DecodeConfig, tiffResolution},
	"jpeg": {"jpeg", jpeg.Decode, jpeg.DecodeConfig, jfifResolution},
	"pgm":  {"pgm", pnm.Decode, pnm.DecodeConfig, func([]byte) float64 { return 0 }},
	"wsq":  {"wsq", wsq.Decode, wsq.DecodeConfig, wsqResolution},
}

// sniffImage names the format of data from its first bytes.
func sniffImage(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte("BM")):
		return "bmp"
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "tiff"
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8}):
		return "jpeg"
	case bytes.HasPrefix(data, []byte{0xFF, 0xA0}):
		return "wsq"
	case len(data) >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6':
		return "pgm"
	}
	return ""
}

// DecodeImageBytes is DecodeImageWith on a file already in memory.
func DecodeImageBytes(data []byte, opt ImageOptions) (FingerImage, error) {
	format := sniffImage(data)
	c, ok := imageCodecs[format]
	if !ok {
		return FingerImage{}, ErrImageFormat
	}
	cfg, err := c.config(bytes.NewReader(data))
	if err != nil {
		return FingerImage{}, fmt.Errorf("biometric: %s header: %w", format, err)
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 || pixels > MaxImagePixels {
		return FingerImage{}, fmt.Errorf("biometric: %s image of %dx%d pixels (limit %d pixels)", format, cfg.Width, cfg.Height, MaxImagePixels)
	}
	if pixels > maxPixelsPerByte*int64(len(data)) {
		// Decoders allocate the whole image before reading its data: a
		// forged header must not buy hundreds of megabytes with a few
		// bytes.
		return FingerImage{}, fmt.Errorf("biometric: a %dx%d %s image cannot be coded in %d bytes", cfg.Width, cfg.Height, format, len(data))
	}
	im, err := c.decode(bytes.NewReader(data))
	if err != nil {
		return FingerImage{}, fmt.Errorf("biometric: decoding %s: %w", format, err)
	}
	f := FingerImage{Gray: toGray(im), PPI: StandardPPI, Format: format}
	if ppi := plausiblePPI(c.resolution(data)); ppi > 0 {
		f.PPI, f.PPIKnown = ppi, true
	}
	if opt.PPI > 0 && (opt.OverridePPI || !f.PPIKnown) {
		f.PPI, f.PPIKnown = opt.PPI, true
	}
	return f, nil
}

// WithPPI returns f with its resolution stated by the caller.
func (f FingerImage) WithPPI(ppi float64) FingerImage {
	f.PPI, f.PPIKnown = ppi, true
	return f
}

// To500PPI returns the image resampled to StandardPPI (500 ppi), by
// exactly StandardPPI/PPI along both axes (a point at (x, y) moves to
// (x, y)·500/PPI, in pixel-centre coordinates), with a
// Lanczos-3 filter (widened when shrinking, so that ridges above the new
// Nyquist frequency do not alias). An image already within 0.5 ppi of 500
// is returned as it is (not copied). An image whose resolution is unknown
// is taken to be 500 ppi: state it with WithPPI or ImageOptions first.
func (f FingerImage) To500PPI() *image.Gray {
	if f.Gray == nil || f.PPI <= 0 || math.Abs(f.PPI-StandardPPI) < 0.5 {
		return f.Gray
	}
	scale := StandardPPI / f.PPI
	b := f.Gray.Bounds()
	w := max(1, int(math.Round(float64(b.Dx())*scale)))
	h := max(1, int(math.Round(float64(b.Dy())*scale)))
	return resample(f.Gray, w, h, 1/scale, 1/scale)
}

// toGray converts any image to 8-bit grey (ITU-R BT.601 luma for colour),
// with bounds starting at (0, 0). An *image.Gray already at the origin is
// returned as it is.
func toGray(im image.Image) *image.Gray {
	b := im.Bounds()
	if g, ok := im.(*image.Gray); ok && b.Min == (image.Point{}) {
		return g
	}
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		row := out.Pix[y*out.Stride : y*out.Stride+b.Dx()]
		for x := range row {
			row[x] = color.GrayModel.Convert(im.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return out
}

// plausiblePPI rejects resolutions no fingerprint scanner produces and the
// 72 and 96 ppi that editors write by default.
func plausiblePPI(v float64) float64 {
	v = math.Round(v*10) / 10 // pixels per metre or per cm lose precision
	if !(v >= 100 && v <= 5000) || v == 72 || v == 96 {
		return 0
	}
	return v
}

const inchPerMetre = 0.0254

// pngResolution reads the pHYs chunk (pixels per metre; unit 1).
func pngResolution(data []byte) float64 {
	p := data[8:]
	for len(p) >= 12 {
		n := binary.BigEndian.Uint32(p)
		typ := string(p[4:8])
		if uint64(n) > uint64(len(p)-12) || typ == "IDAT" {
			return 0 // pHYs must come before the image data
		}
		if typ == "pHYs" && n == 9 {
			if p[16] != 1 {
				return 0 // unit 0: aspect ratio only
			}
			return float64(binary.BigEndian.Uint32(p[8:])) * inchPerMetre
		}
		p = p[12+n:]
	}
	return 0
}

// bmpResolution reads biXPelsPerMeter of a BITMAPINFOHEADER or later.
func bmpResolution(data []byte) float64 {
	if len(data) < 46 || binary.LittleEndian.Uint32(data[14:]) < 40 {
		return 0
	}
	return float64(int32(binary.LittleEndian.Uint32(data[38:]))) * inchPerMetre
}

// jfifResolution reads the density of the JFIF APP0 segment (units 1: per
// inch, 2: per cm) among the segments before the scan.
func jfifResolution(data []byte) float64 {
	p := data[2:]
	for len(p) >= 4 && p[0] == 0xFF {
		marker := p[1]
		if marker == 0xDA || marker == 0xD9 {
			return 0
		}
		n := int(binary.BigEndian.Uint16(p[2:]))
		if n < 2 || n+2 > len(p) {
			return 0
		}
		seg := p[4 : 2+n]
		if marker == 0xE0 && len(seg) >= 12 && string(seg[:5]) == "JFIF\x00" {
			x := float64(binary.BigEndian.Uint16(seg[8:]))
			switch seg[7] {
			case 1:
				return x
			case 2:
				return x * 2.54
			}
			return 0
		}
		p = p[2+n:]
	}
	return 0
}

// tiffResolution reads XResolution and ResolutionUnit (2 inch, the
// default; 3 centimetre) of the first image file directory.
func tiffResolution(data []byte) float64 {
	if len(data) < 8 {
		return 0
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if data[0] == 'M' {
		bo = binary.BigEndian
	}
	off := uint64(bo.Uint32(data[4:]))
	if off+2 > uint64(len(data)) {
		return 0
	}
	n := uint64(bo.Uint16(data[off:]))
	if off+2+12*n > uint64(len(data)) {
		return 0
	}
	var res float64
	unit := uint16(2)
	for i := uint64(0); i < n; i++ {
		e := data[off+2+12*i:]
		tag, typ := bo.Uint16(e), bo.Uint16(e[2:])
		switch {
		case tag == 282 && typ == 5: // XResolution, RATIONAL
			at := uint64(bo.Uint32(e[8:]))
			if at+8 > uint64(len(data)) {
				return 0
			}
			num, den := bo.Uint32(data[at:]), bo.Uint32(data[at+4:])
			if den == 0 {
				return 0
			}
			res = float64(num) / float64(den)
		case tag == 296 && typ == 3: // ResolutionUnit, SHORT
			unit = bo.Uint16(e[8:])
		}
	}
	switch unit {
	case 2:
		return res
	case 3:
		return res * 2.54
	}
	return 0 // 1: no absolute unit
}

// wsqResolution reads the PPI the NIST-COM comment of a WSQ file states.
func wsqResolution(data []byte) float64 {
	ppi, _ := wsq.ResolutionOf(data)
	return float64(ppi)
}
