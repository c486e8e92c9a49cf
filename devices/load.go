package devices

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // captures arrive as JPEG from phones and some readers
	_ "image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	_ "golang.org/x/image/bmp" // document readers write BMP (WHITE.bmp, IR.bmp, UV.bmp)
)

// MaxPixels bounds the size of one image a loader accepts (width × height),
// so that a forged header cannot make it allocate gigabytes: a 600 ppi scan
// of a passport data page has 5.5 million pixels.
const MaxPixels = 64 << 20

// MaxFileSize bounds the bytes read from one image or truth file.
const MaxFileSize = 256 << 20

// TruthFile is the name of the ground truth file in a capture folder.
const TruthFile = "truth.json"

// ErrNoImages is returned by Load when a folder holds no capture image.
var ErrNoImages = errors.New("devices: no capture images (want white, ir, uv or coaxial .png, .bmp or .jpg)")

var imageExts = map[string]bool{".png": true, ".bmp": true, ".jpg": true, ".jpeg": true}

// Load reads a capture folder: white, ir, uv and coaxial images of the
// front (white.png, IR.bmp, ...: names are case-insensitive; PNG, BMP or
// JPEG), back_white, back_ir, ... for the back, and truth.json when the
// capture is synthetic. The resolution comes from truth.json, else from the
// images' headers (PNG pHYs, BMP pixels per metre, JFIF density), else it
// is 0 (unknown).
func Load(dir string) (*Capture, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	c := &Capture{Source: SourceFile, Origin: dir}
	found := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		if !imageExts[ext] {
			continue
		}
		key := strings.ToLower(strings.TrimSuffix(name, filepath.Ext(name)))
		side, light := &c.Side, key
		if rest, ok := strings.CutPrefix(key, "back_"); ok {
			if c.Back == nil {
				c.Back = &Side{}
			}
			side, light = c.Back, rest
		}
		l, err := ParseLight(light)
		if err != nil {
			continue // other files (thumbnails, evidence) may share the folder
		}
		if prev, dup := found[key]; dup {
			return nil, fmt.Errorf("devices: %s: both %s and %s hold the %s image", dir, prev, name, key)
		}
		found[key] = name
		path := filepath.Join(dir, name)
		data, err := readLimited(path)
		if err != nil {
			return nil, err
		}
		if err := side.set(l, data); err != nil {
			return nil, fmt.Errorf("devices: %s: %w", path, err)
		}
		if c.PPI == 0 {
			c.PPI = Resolution(data)
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoImages, dir)
	}
	if c.Back != nil && len(c.Back.Lights()) == 0 {
		c.Back = nil
	}
	truthPath := filepath.Join(dir, TruthFile)
	data, err := readLimited(truthPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		t, err := DecodeTruth(data)
		if err != nil {
			return nil, fmt.Errorf("devices: %s: %w", truthPath, err)
		}
		c.Truth = t
		c.Source = SourceSimulator
		if t.PPI > 0 {
			c.PPI = t.PPI
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, dir)
	}
	return c, nil
}

// LoadImage reads one plain image (PNG, BMP or JPEG) as the white-light
// front of a capture: a photo of a data page, a scan without other lights.
func LoadImage(path string) (*Capture, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	c := &Capture{Source: SourceFile, Origin: path, PPI: Resolution(data)}
	if err := c.Side.set(White, data); err != nil {
		return nil, fmt.Errorf("devices: %s: %w", path, err)
	}
	return c, nil
}

// DecodeTruth parses truth.json and checks what downstream code relies on:
// a model, a forgery label, MRZ lines and well-formed regions.
func DecodeTruth(data []byte) (*Truth, error) {
	var t Truth
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("truth: %w", err)
	}
	if t.Model == "" {
		return nil, fmt.Errorf("truth: no model")
	}
	if t.Forgery == "" {
		return nil, fmt.Errorf("truth: no forgery label (want \"none\" for a genuine document)")
	}
	if t.PPI < 0 || t.PPI > MaxPPI {
		return nil, fmt.Errorf("truth: resolution %g ppi outside 0..%d", t.PPI, MaxPPI)
	}
	for i, r := range t.Regions {
		if r.Name == "" {
			return nil, fmt.Errorf("truth: region %d has no name", i)
		}
		if r.W < 0 || r.H < 0 {
			return nil, fmt.Errorf("truth: region %q has a negative size", r.Name)
		}
	}
	return &t, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("devices: %s: %d bytes is larger than the limit of %d", path, st.Size(), MaxFileSize)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("devices: %s: %w", path, err)
	}
	return data, nil
}

// set decodes data and stores it as the image under light l.
func (s *Side) set(l Light, data []byte) error {
	im, err := DecodeImage(data)
	if err != nil {
		return err
	}
	switch l {
	case White:
		s.White = ToRGBA(im)
	case IR:
		s.IR = ToGray(im)
	case UV:
		s.UV = ToRGBA(im)
	case Coaxial:
		s.Coaxial = ToRGBA(im)
	}
	return nil
}

// DecodeImage decodes a PNG, BMP or JPEG image after checking from its
// header that it is no larger than MaxPixels.
func DecodeImage(data []byte) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("decode: %s image of %dx%d pixels (limit %d pixels)", format, cfg.Width, cfg.Height, MaxPixels)
	}
	im, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", format, err)
	}
	return im, nil
}

// ToRGBA returns im as an *image.RGBA with its origin at (0, 0) and every
// pixel opaque (transparent pixels are composed over white, as paper).
func ToRGBA(im image.Image) *image.RGBA {
	b := im.Bounds()
	if m, ok := im.(*image.RGBA); ok && b.Min == (image.Point{}) {
		return m
	}
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch m := im.(type) {
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			src := m.Pix[y*m.Stride : y*m.Stride+b.Dx()]
			dst := out.Pix[y*out.Stride : y*out.Stride+4*b.Dx()]
			for x, v := range src {
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = v, v, v, 255
			}
		}
		return out
	}
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), im, b.Min, draw.Over)
	return out
}

// ToGray returns im as an *image.Gray with its origin at (0, 0): colour
// images are reduced to their luma (an IR image saved in colour has equal
// channels, so nothing is lost).
func ToGray(im image.Image) *image.Gray {
	b := im.Bounds()
	if m, ok := im.(*image.Gray); ok && b.Min == (image.Point{}) {
		return m
	}
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch m := im.(type) {
	case *image.RGBA:
		for y := 0; y < b.Dy(); y++ {
			src := m.Pix[(y)*m.Stride:]
			dst := out.Pix[y*out.Stride : y*out.Stride+b.Dx()]
			for x := range dst {
				p := src[4*x : 4*x+3]
				dst[x] = uint8((299*uint32(p[0]) + 587*uint32(p[1]) + 114*uint32(p[2]) + 500) / 1000)
			}
		}
		return out
	}
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), im, b.Min, draw.Over)
	return out
}

// Resolution reads the resolution in pixels per inch stored in an image
// file's header: the pHYs chunk of a PNG, the pixels per metre of a BMP,
// the density of a JPEG's JFIF segment. It returns 0 when the file states
// none, states an aspect ratio only, or is not one of these formats.
func Resolution(data []byte) float64 {
	const inchPerMetre = 0.0254
	switch {
	case bytes.HasPrefix(data, pngSignature):
		// Walk the chunks before the image data; pHYs must precede IDAT.
		p := data[len(pngSignature):]
		for len(p) >= 12 {
			n := binary.BigEndian.Uint32(p)
			typ := string(p[4:8])
			if uint64(n) > uint64(len(p)-12) || typ == "IDAT" {
				return 0
			}
			if typ == "pHYs" && n == 9 {
				x := binary.BigEndian.Uint32(p[8:])
				if p[16] != 1 || x == 0 { // unit 1 is the metre; 0 means aspect only
					return 0
				}
				return plausiblePPI(float64(x) * inchPerMetre)
			}
			p = p[12+n:]
		}
	case len(data) >= 46 && data[0] == 'B' && data[1] == 'M':
		if hdr := binary.LittleEndian.Uint32(data[14:]); hdr >= 40 {
			x := int32(binary.LittleEndian.Uint32(data[38:]))
			if x > 0 {
				return plausiblePPI(float64(x) * inchPerMetre)
			}
		}
	case len(data) >= 18 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF && data[3] == 0xE0 &&
		string(data[6:11]) == "JFIF\x00":
		x := float64(binary.BigEndian.Uint16(data[14:]))
		switch data[13] {
		case 1:
			return plausiblePPI(x)
		case 2:
			return plausiblePPI(x * 2.54)
		}
	}
	return 0
}

// plausiblePPI rounds v to 0.1 ppi (pixels per metre lose precision) and
// rejects values no scanner produces (72 and 96 are screen defaults that
// say nothing about the document).
func plausiblePPI(v float64) float64 {
	v = float64(int(v*10+0.5)) / 10
	if v < 50 || v > MaxPPI || v == 72 || v == 96 {
		return 0
	}
	return v
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")
