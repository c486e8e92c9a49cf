package viz

import (
	"image"
	"image/color"
)

// prepare turns a field image into what Tesseract reads best: grey,
// stretched so that the paper is white and the ink black (background art
// and a dim capture fade), at least minHeight pixels high, with a white
// border.
func prepare(im image.Image) (*image.Gray, error) {
	b := im.Bounds()
	if b.Dx() < 8 || b.Dy() < 6 {
		return nil, errTooSmall
	}
	if b.Dx()*b.Dy() > maxPixels/4 {
		return nil, errTooSmall // not a field: ReadPage is for pages
	}
	g := toGray(im)
	stretch(g)
	scale := 1
	for b.Dy()*scale < minHeight {
		scale++
	}
	out := image.NewGray(image.Rect(0, 0, b.Dx()*scale+2*border, b.Dy()*scale+2*border))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	for y := 0; y < b.Dy()*scale; y++ {
		src := g.Pix[(y/scale)*g.Stride:]
		dst := out.Pix[(y+border)*out.Stride+border:]
		for x := 0; x < b.Dx()*scale; x++ {
			dst[x] = src[x/scale]
		}
	}
	return out, nil
}

// border is the white margin added around a field image.
const border = 12

// minHeight is the least height of a field image handed to Tesseract
// (smaller ones are enlarged by pixel repetition).
const minHeight = 28

// toGray copies an image to grey, origin at 0,0.
func toGray(im image.Image) *image.Gray {
	b := im.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch m := im.(type) {
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.RGBA:
		for y := 0; y < b.Dy(); y++ {
			s := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			d := g.Pix[y*g.Stride:]
			for x := 0; x < b.Dx(); x++ {
				r, gg, bb := uint32(s[4*x]), uint32(s[4*x+1]), uint32(s[4*x+2])
				d[x] = uint8((299*r + 587*gg + 114*bb + 500) / 1000)
			}
		}
	default:
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				g.Pix[y*g.Stride+x] = color.GrayModel.Convert(im.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	return g
}

// stretch maps the ink level (2nd percentile) to black and the paper
// level (90th percentile) to white.
func stretch(g *image.Gray) {
	var hist [256]int
	for _, v := range g.Pix {
		hist[v]++
	}
	n := len(g.Pix)
	at := func(q float64) int {
		k, c := int(q*float64(n-1)), 0
		for v, h := range hist {
			c += h
			if c > k {
				return v
			}
		}
		return 255
	}
	lo, hi := at(0.02), at(0.90)
	if hi-lo < 24 { // no contrast: a blank field
		return
	}
	var lut [256]uint8
	for v := range lut {
		x := (v - lo) * 255 / (hi - lo)
		lut[v] = uint8(min(255, max(0, x)))
	}
	for i, v := range g.Pix {
		g.Pix[i] = lut[v]
	}
}
