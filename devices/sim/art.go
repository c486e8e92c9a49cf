package sim

import (
	"image"
	"math"
	"math/rand/v2"
)

// Inks of the paper and of the printing. UV appearances are what the
// camera sees under 365 nm: genuine security paper has no optical
// brighteners and stays dull; fluorescent inks glow in their colour.
var (
	scannerBackground = ink{w: [3]uint8{36, 37, 40}, ir: 26, uv: [3]uint8{6, 6, 12}}
	paperGenuine      = ink{w: [3]uint8{244, 241, 231}, ir: 224, uv: [3]uint8{30, 28, 44}}
	paperBright       = ink{w: [3]uint8{244, 241, 231}, ir: 224, uv: [3]uint8{150, 162, 236}}
	labelInk          = ink{w: [3]uint8{70, 82, 118}, wa: 255, ir: 120, ia: 40, uv: [3]uint8{12, 12, 20}, ua: 150}
	titleInk          = ink{w: [3]uint8{38, 58, 118}, wa: 255, ir: 150, ia: 60, uv: [3]uint8{10, 10, 18}, ua: 170}
	titleIRInk        = ink{w: [3]uint8{25, 28, 40}, wa: 255, ir: 50, ia: 255, uv: [3]uint8{8, 8, 14}, ua: 200}
	valueInkB900      = ink{w: [3]uint8{24, 24, 30}, wa: 255, ir: 38, ia: 255, uv: [3]uint8{8, 8, 12}, ua: 210}
	valueInkVisible   = ink{w: [3]uint8{24, 24, 30}, wa: 255, ir: 150, ia: 50, uv: [3]uint8{8, 8, 12}, ua: 210}
	mrzInk            = ink{w: [3]uint8{20, 20, 24}, wa: 255, ir: 22, ia: 255, uv: [3]uint8{6, 6, 10}, ua: 220}
	mrzInkIRClear     = ink{w: [3]uint8{20, 20, 24}, wa: 255, ia: 0, uv: [3]uint8{6, 6, 10}, ua: 220}
	signatureInk      = ink{w: [3]uint8{22, 34, 96}, wa: 240, ir: 60, ia: 220, uv: [3]uint8{8, 8, 16}, ua: 190}
	codeInk           = ink{w: [3]uint8{40, 86, 110}, wa: 255, ir: 45, ia: 255, uv: [3]uint8{20, 26, 40}, ua: 160}
	microInk          = ink{w: [3]uint8{110, 120, 150}, wa: 200, ia: 0, uv: [3]uint8{14, 14, 24}, ua: 90}
)

// fibreColours are the UV colours of the security fibres.
var fibreColours = [][3]uint8{{255, 70, 70}, {90, 255, 130}, {100, 150, 255}, {255, 235, 90}}

// guilloche draws the side's background art over the page box (pixels):
// two families of wavy fine lines and a rosette, in inks that vanish in IR
// and leave faint dark lines on the dull UV paper.
func (c *canvas) guilloche(page image.Rectangle, m *Model, lay *layout) {
	px := c.px
	lw := 0.09 * px // line width
	col := func(rgb [3]uint8, a uint8) ink {
		return ink{w: rgb, wa: a, ia: 0, uv: [3]uint8{12, 12, 22}, ua: a / 3}
	}
	k1, k2 := col(m.art[0], 150), col(m.art[1], 130)
	ox, oy := float64(page.Min.X), float64(page.Min.Y)
	line := func(phase, spacing float64) float64 {
		f := phase - math.Floor(phase)
		d := math.Min(f, 1-f) * spacing
		return lw/2 + 0.5 - d
	}
	s1, s2 := 1.1*px, 1.6*px
	c.shade(page, &k1, func(x, y float64) float64 {
		u, v := (x-ox)/px, (y-oy)/px
		ph := (v + 2.2*math.Sin(u/7.0+1.4*math.Sin(v/11.0)) + 0.8*math.Sin(u/2.3)) * px / s1
		return line(ph, s1)
	})
	c.shade(page, &k2, func(x, y float64) float64 {
		u, v := (x-ox)/px, (y-oy)/px
		ph := (0.8*u - 0.6*v + 3.0*math.Sin(v/6.0+0.9*math.Sin(u/13.0))) * px / s2
		return line(ph, s2)
	})
	// The rosette: a closed curve family around a centre.
	cx, cy, R := ox+lay.rosette[0]*px, oy+lay.rosette[1]*px, lay.rosette[2]*px
	k3 := col(m.art[1], 170)
	s3 := 0.9 * px
	box := image.Rect(int(cx-R), int(cy-R), int(cx+R)+1, int(cy+R)+1).Intersect(page)
	c.shade(box, &k3, func(x, y float64) float64 {
		dx, dy := x-cx, y-cy
		r := math.Hypot(dx, dy)
		if r > R {
			return 0
		}
		th := math.Atan2(dy, dx)
		ph := (r + 0.06*R*math.Sin(18*th) + 0.03*R*math.Sin(7*th+r/px)) / s3
		fade := math.Min(1, (R-r)/(0.15*R))
		return line(ph, s3) * fade
	})
}

// microprint writes a line of tiny repeated text (the issuer's name),
// fine enough that a photocopy smears it.
func (c *canvas) microprint(tf *typeface, text string, x0, x1, y float64) {
	w := tf.width(text + " ")
	for x := x0; x+w < x1; x += w {
		c.text(tf, text, x, y, &microInk)
	}
}

// emblem draws a sunburst seal (title ink, faint in IR).
func (c *canvas) emblem(cx, cy, r float64, k *ink) {
	lw := 0.25 * c.px
	for i := 0; i < 24; i++ {
		a := float64(i) * math.Pi / 12
		c.stroke(cx+0.45*r*math.Cos(a), cy+0.45*r*math.Sin(a), cx+0.8*r*math.Cos(a), cy+0.8*r*math.Sin(a), lw, k)
	}
	ring := func(rr float64) {
		box := image.Rect(int(cx-rr-2), int(cy-rr-2), int(cx+rr+3), int(cy+rr+3))
		c.shade(box, k, func(x, y float64) float64 {
			return lw/2 + 0.5 - math.Abs(math.Hypot(x-cx, y-cy)-rr)
		})
	}
	ring(r)
	ring(0.9 * r)
	ring(0.35 * r)
}

// overprintMask renders the UV overprint (a sunburst and rings with the
// issuer's name) as two coverage masks of the box's size.
func overprintMask(w, h int, px float64, tf *typeface, name string) [2]*image.Alpha {
	var out [2]*image.Alpha
	for i := range out {
		out[i] = image.NewAlpha(image.Rect(0, 0, w, h))
	}
	cx, cy := float64(w)/2, float64(h)*0.42
	r := math.Min(float64(w), float64(h)) * 0.4
	lw := 0.35 * px
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			d := math.Hypot(dx, dy)
			th := math.Atan2(dy, dx)
			var v float64
			if d < r {
				// Rays and concentric waves.
				ray := math.Abs(math.Sin(th*12)) * (d / r)
				wave := 0.5 + 0.5*math.Cos(d/(0.9*px)*math.Pi+2*math.Sin(6*th))
				v = math.Max(ray*ray*ray, wave*0.8) * math.Min(1, (r-d)/(0.08*r))
			}
			if e := lw/2 + 0.5 - math.Abs(d-r*1.05); e > v {
				v = e
			}
			out[0].Pix[y*out[0].Stride+x] = uint8(math.Max(0, math.Min(1, v)) * 255)
		}
	}
	// The name under the emblem.
	tw := tf.width(name)
	pen := (float64(w) - tw) / 2
	base := float64(h) - 0.06*float64(h)
	for _, ch := range name {
		g := tf.glyph(ch)
		if g.mask != nil {
			gx, gy := int(pen)+g.off.X, int(base)+g.off.Y
			b := g.mask.Bounds()
			for y := 0; y < b.Dy(); y++ {
				for x := 0; x < b.Dx(); x++ {
					X, Y := gx+x, gy+y
					if X >= 0 && Y >= 0 && X < w && Y < h {
						out[1].Pix[Y*out[1].Stride+X] = max(out[1].Pix[Y*out[1].Stride+X], g.mask.Pix[y*g.mask.Stride+x])
					}
				}
			}
		}
		pen += g.advance
	}
	return out
}

// fibres scatters security fibres over the page box: short curved threads
// that glow under UV and are nearly invisible in white light.
func (c *canvas) fibres(rng *rand.Rand, page image.Rectangle) {
	px := c.px
	areaCM2 := float64(page.Dx()*page.Dy()) / (px * px * 100)
	n := int(areaCM2 * 0.9)
	for i := 0; i < n; i++ {
		col := fibreColours[rng.IntN(len(fibreColours))]
		k := ink{w: [3]uint8{col[0]/2 + 110, col[1]/2 + 110, col[2]/2 + 110}, wa: 30, ia: 0, uv: col, ua: 230}
		x := float64(page.Min.X) + rng.Float64()*float64(page.Dx())
		y := float64(page.Min.Y) + rng.Float64()*float64(page.Dy())
		a := rng.Float64() * 2 * math.Pi
		seg := (0.5 + rng.Float64()*0.7) * px
		bend := (rng.Float64() - 0.5) * 0.9
		for s := 0; s < 3; s++ {
			nx, ny := x+seg*math.Cos(a), y+seg*math.Sin(a)
			if !image.Pt(int(nx), int(ny)).In(page) {
				break // fibres lie within the paper
			}
			c.stroke(x, y, nx, ny, 0.1*px, &k)
			x, y, a = nx, ny, a+bend
		}
	}
}

// signature draws a scribbled signature in the box: a few looping strokes.
func (c *canvas) signature(rng *rand.Rand, box image.Rectangle) {
	x := float64(box.Min.X) + 0.05*float64(box.Dx())
	midY := float64(box.Min.Y) + 0.6*float64(box.Dy())
	h := float64(box.Dy())
	lw := 0.22 * c.px
	steps := 60
	dx := 0.9 * float64(box.Dx()) / float64(steps)
	freq := 0.5 + rng.Float64()*0.5
	amp := 0.25 + rng.Float64()*0.15
	py := midY
	phase := rng.Float64() * 6
	for i := 0; i < steps; i++ {
		t := float64(i)
		nx := x + dx
		ny := midY - h*amp*math.Sin(t*freq+phase)*(1-0.5*math.Sin(t*0.13)) - h*0.15*math.Sin(t*0.37+phase)
		if i > 0 {
			c.stroke(x, py, nx, ny, lw, &signatureInk)
		}
		x, py = nx, ny
	}
	// A flourish under the name.
	y0 := midY + 0.25*h
	c.stroke(float64(box.Min.X)+0.1*float64(box.Dx()), y0, float64(box.Max.X)-0.05*float64(box.Dx()), y0-0.1*h, lw*0.8, &signatureInk)
}
