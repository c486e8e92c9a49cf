package sim

import (
	"image"
	"math"
)

// ink is how a printed material looks under each light: its colour under
// white light, its grey level under IR and its appearance under UV (its
// fluorescence, or how dark it leaves the dull paper), each with an
// opacity. An opacity of 0 makes the ink invisible under that light:
// IR-transparent inks (most colours) vanish in IR, fluorescent inks
// printed for UV only are invisible under white light.
type ink struct {
	w  [3]uint8
	wa uint8
	ir uint8
	ia uint8
	uv [3]uint8
	ua uint8
}

// canvas is one side of a document under white, IR and UV light, drawn
// together so that every feature lands on the same pixels in all three.
type canvas struct {
	w, h  int
	white *image.RGBA
	ir    *image.Gray
	uv    *image.RGBA
	px    float64 // pixels per millimetre
}

func newCanvas(w, h int, pxPerMM float64) *canvas {
	r := image.Rect(0, 0, w, h)
	return &canvas{w: w, h: h, white: image.NewRGBA(r), ir: image.NewGray(r), uv: image.NewRGBA(r), px: pxPerMM}
}

// clone copies the canvas (the per-model static layers are cloned for each
// capture).
func (c *canvas) clone() *canvas {
	n := &canvas{w: c.w, h: c.h, px: c.px}
	n.white = &image.RGBA{Pix: append([]uint8(nil), c.white.Pix...), Stride: c.white.Stride, Rect: c.white.Rect}
	n.ir = &image.Gray{Pix: append([]uint8(nil), c.ir.Pix...), Stride: c.ir.Stride, Rect: c.ir.Rect}
	n.uv = &image.RGBA{Pix: append([]uint8(nil), c.uv.Pix...), Stride: c.uv.Stride, Rect: c.uv.Rect}
	return n
}

// copyFrom overwrites c with src's pixels (same size), reusing c's memory.
func (c *canvas) copyFrom(src *canvas) {
	copy(c.white.Pix, src.white.Pix)
	copy(c.ir.Pix, src.ir.Pix)
	copy(c.uv.Pix, src.uv.Pix)
}

// fill paints the whole canvas with ink (opacities ignored).
func (c *canvas) fill(k ink) {
	for i := 0; i < len(c.white.Pix); i += 4 {
		c.white.Pix[i], c.white.Pix[i+1], c.white.Pix[i+2], c.white.Pix[i+3] = k.w[0], k.w[1], k.w[2], 255
		c.uv.Pix[i], c.uv.Pix[i+1], c.uv.Pix[i+2], c.uv.Pix[i+3] = k.uv[0], k.uv[1], k.uv[2], 255
	}
	for i := range c.ir.Pix {
		c.ir.Pix[i] = k.ir
	}
}

func blend(dst, src uint8, a uint32) uint8 {
	// a is 0..65025 (coverage × opacity).
	return uint8((uint32(dst)*(65025-a) + uint32(src)*a + 32512) / 65025)
}

// plot blends ink into pixel (x, y) with coverage cov (0..255).
func (c *canvas) plot(x, y int, cov uint8, k *ink) {
	if x < 0 || y < 0 || x >= c.w || y >= c.h || cov == 0 {
		return
	}
	cv := uint32(cov)
	if k.wa != 0 {
		a := cv * uint32(k.wa)
		i := y*c.white.Stride + 4*x
		p := c.white.Pix[i : i+3 : i+3]
		p[0], p[1], p[2] = blend(p[0], k.w[0], a), blend(p[1], k.w[1], a), blend(p[2], k.w[2], a)
	}
	if k.ia != 0 {
		i := y*c.ir.Stride + x
		c.ir.Pix[i] = blend(c.ir.Pix[i], k.ir, cv*uint32(k.ia))
	}
	if k.ua != 0 {
		a := cv * uint32(k.ua)
		i := y*c.uv.Stride + 4*x
		p := c.uv.Pix[i : i+3 : i+3]
		p[0], p[1], p[2] = blend(p[0], k.uv[0], a), blend(p[1], k.uv[1], a), blend(p[2], k.uv[2], a)
	}
}

// mask blends ink through the coverage mask m placed with its top-left
// at (x, y).
func (c *canvas) mask(m *image.Alpha, x, y int, k *ink) {
	b := m.Bounds()
	for my := 0; my < b.Dy(); my++ {
		row := m.Pix[my*m.Stride : my*m.Stride+b.Dx()]
		for mx, a := range row {
			if a != 0 {
				c.plot(x+mx, y+my, a, k)
			}
		}
	}
}

// rect fills the rectangle (in pixels) with ink.
func (c *canvas) rect(r image.Rectangle, k *ink) {
	r = r.Intersect(image.Rect(0, 0, c.w, c.h))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c.plot(x, y, 255, k)
		}
	}
}

// shade fills every pixel of the box (in pixels) whose coverage function
// returns more than 0 (0..1).
func (c *canvas) shade(r image.Rectangle, k *ink, cov func(x, y float64) float64) {
	r = r.Intersect(image.Rect(0, 0, c.w, c.h))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if v := cov(float64(x)+0.5, float64(y)+0.5); v > 0 {
				if v > 1 {
					v = 1
				}
				c.plot(x, y, uint8(v*255+0.5), k)
			}
		}
	}
}

// stroke draws a round-capped line of width wd pixels from (x0, y0) to
// (x1, y1), anti-aliased by the distance to the segment.
func (c *canvas) stroke(x0, y0, x1, y1, wd float64, k *ink) {
	r := wd/2 + 1
	box := image.Rect(int(math.Floor(min(x0, x1)-r)), int(math.Floor(min(y0, y1)-r)),
		int(math.Ceil(max(x0, x1)+r)), int(math.Ceil(max(y0, y1)+r)))
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	c.shade(box, k, func(x, y float64) float64 {
		t := 0.0
		if l2 > 0 {
			t = ((x-x0)*dx + (y-y0)*dy) / l2
			t = max(0, min(1, t))
		}
		ex, ey := x-(x0+t*dx), y-(y0+t*dy)
		return wd/2 + 0.5 - math.Sqrt(ex*ex+ey*ey)
	})
}

// ellipse fills an ellipse centred at (cx, cy) with radii rx, ry (pixels),
// rotated by angle radians, with an anti-aliased edge.
func (c *canvas) ellipse(cx, cy, rx, ry, angle float64, k *ink) {
	rr := max(rx, ry) + 1
	box := image.Rect(int(cx-rr), int(cy-rr), int(cx+rr)+1, int(cy+rr)+1)
	cs, sn := math.Cos(angle), math.Sin(angle)
	c.shade(box, k, func(x, y float64) float64 {
		u := ((x-cx)*cs + (y-cy)*sn) / rx
		v := (-(x-cx)*sn + (y-cy)*cs) / ry
		d := math.Sqrt(u*u + v*v)
		// Distance to the edge in pixels, roughly.
		return (1-d)*min(rx, ry) + 0.5
	})
}

// text draws s with typeface tf, pen starting at (x, y) on the baseline,
// and returns the drawn box.
func (c *canvas) text(tf *typeface, s string, x, y float64, k *ink) image.Rectangle {
	var box image.Rectangle
	pen := x
	for _, r := range s {
		g := tf.glyph(r)
		if g.mask != nil {
			gx, gy := int(math.Round(pen))+g.off.X, int(math.Round(y))+g.off.Y
			c.mask(g.mask, gx, gy, k)
			box = box.Union(g.mask.Bounds().Add(image.Pt(gx, gy)))
		}
		pen += g.advance
	}
	return box
}

// monospace draws s with one character every pitch pixels (the MRZ's
// fixed 10 characters per inch, whatever the font's own advance).
func (c *canvas) monospace(tf *typeface, s string, x, y, pitch float64, k *ink) {
	for _, r := range s {
		g := tf.glyph(r)
		if g.mask != nil {
			gx, gy := int(math.Round(x))+g.off.X, int(math.Round(y))+g.off.Y
			c.mask(g.mask, gx, gy, k)
		}
		x += pitch
	}
}
