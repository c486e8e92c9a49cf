package ocrb

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"

	"checkpost/devices/sim"
	"checkpost/internal/deblur"
)

// sampler renders augmented training cells. Each sample's randomness
// comes from its own generator seeded by (seed, index), so that samples
// can be made in any order or in parallel and still be identical.
type sampler struct {
	font *sim.OCRB
	seed uint64
}

// scratch holds one goroutine's buffers.
type scratch struct {
	alpha *image.Alpha
	f     []float32
	tmp   []float32
	grey  *image.Gray
	rect  *image.Gray
	jbuf  bytes.Buffer
}

// rectSize is the side of the rectified window rendered around a cell.
const rectSize = 40

// sample renders cell index i of class cls into c.
func (s *sampler) sample(i uint64, cls int, sc *scratch, c *Cell) {
	r := rand.New(rand.NewPCG(s.seed, i*0x9E3779B97F4A7C15+uint64(cls)))
	// The native resolution: 7 to 40 pixels per character (a 150 ppi
	// scan has 15, a low-resolution web image 8, a 600 ppi scan 60,
	// which the reader reduces to about Pitch before rectifying).
	p := math.Exp(math.Log(7) + r.Float64()*(math.Log(40)-math.Log(7)))
	// Font size relative to the pitch (issuers' printers differ) and
	// aspect.
	// The wider ranges also cover what a rectification of a zone seen in
	// perspective leaves (the cells' height is measured to within a few
	// per cent).
	size := p * (0.88 + 0.24*r.Float64())
	aspect := 0.9 + 0.2*r.Float64()
	capH := s.font.CapHeight(size)
	// Canvas: three characters on the line, and part of the lines above
	// and below.
	lineGap := p * (1.65 + 0.7*r.Float64())
	// The rectified window sees 2.5 pitches; blur needs a margin.
	w := int(math.Ceil(3.4*p)) + 2
	h := w
	if sc.alpha == nil || sc.alpha.Rect.Dx() < w || sc.alpha.Rect.Dy() < h {
		sc.alpha = image.NewAlpha(image.Rect(0, 0, w+8, h+8))
		sc.grey = image.NewGray(sc.alpha.Rect)
	}
	a := sc.alpha.SubImage(image.Rect(0, 0, w, h)).(*image.Alpha)
	clear(sc.alpha.Pix)
	cx := float64(w)/2 + (r.Float64() - 0.5)
	cy := float64(h)/2 + (r.Float64() - 0.5)
	base := cy + capH/2
	randChar := func() rune {
		if r.IntN(3) == 0 {
			return '<'
		}
		return rune(Charset[r.IntN(NumClasses)])
	}
	draw := func(ch rune, col int, baseline float64) {
		// Printers' OCR-B differ a little glyph by glyph ('<' and the
		// digits most).
		gs := size * (0.94 + 0.12*r.Float64())
		jit := (r.Float64() - 0.5) * 0.06 * p
		pen := cx + float64(col)*p - gs/2 + jit
		s.font.Draw(a, ch, gs, pen, baseline+(r.Float64()-0.5)*0.04*p)
	}
	draw(rune(Charset[cls]), 0, base)
	for _, col := range []int{-2, -1, 1, 2} {
		if (col == -1 || col == 1) && r.IntN(12) == 0 {
			continue // the first or last character of a line
		}
		draw(randChar(), col, base)
	}
	if r.IntN(3) == 0 {
		for col := -2; col <= 2; col++ {
			draw(randChar(), col, base-lineGap)
		}
	}
	if r.IntN(3) == 0 {
		for col := -2; col <= 2; col++ {
			draw(randChar(), col, base+lineGap)
		}
	}
	n := w * h
	if len(sc.f) < n {
		sc.f = make([]float32, n)
		sc.tmp = make([]float32, n)
	}
	f := sc.f[:n]
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			f[y*w+x] = float32(a.Pix[y*a.Stride+x]) / 255
		}
	}
	// Stroke weight: blur the coverage and cut it at a level below or
	// above one half (bolder or thinner strokes, ink spread, worn print).
	if r.IntN(4) != 0 {
		gaussBlur(f, sc.tmp[:n], w, h, (0.02+0.05*r.Float64())*p)
		tau := float32(0.2 + 0.55*r.Float64())
		for k, v := range f {
			f[k] = clamp01((v-tau)/0.25 + 0.5)
		}
	}
	// Print defects: voids in the ink and specks on the paper.
	for d := r.IntN(4); d > 0; d-- {
		x, y := r.Float64()*float64(w), r.Float64()*float64(h)
		rad := (0.03 + 0.07*r.Float64()) * p
		val := float32(r.IntN(2))
		disc(f, w, h, x, y, rad, val)
	}
	// Compose: paper with texture, ink over it, perhaps a translucent
	// stamp over both.
	paper := 150 + 105*r.Float64()
	contrast := 45 + (paper-45)*r.Float64()
	if r.IntN(5) != 0 {
		contrast = math.Max(contrast, 0.6*paper)
	}
	ink := paper - contrast
	tex := textures(r, p, contrast)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			bg := paper + tex.at(float64(x), float64(y))
			v := f[y*w+x]
			f[y*w+x] = float32(bg*(1-float64(v)) + ink*float64(v))
		}
	}
	// The card's edge (or a photo's corner, a fold's shadow) near the
	// cell: beyond a line a little past the character, another grey.
	if r.IntN(8) == 0 {
		edge(f, w, h, r, cx, cy, p, capH, paper)
	}
	// Optics and sensor: blur, noise, 8-bit quantisation, sometimes JPEG.
	if sig := r.Float64() * 0.11 * p; sig > 0.3 {
		gaussBlur(f, sc.tmp[:n], w, h, sig)
	}
	noise := r.Float64() * r.Float64() * 14
	g := sc.grey.SubImage(image.Rect(0, 0, w, h)).(*image.Gray)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := float64(f[y*w+x]) + r.NormFloat64()*noise
			g.Pix[y*g.Stride+x] = uint8(math.Max(0, math.Min(255, math.Round(v))))
		}
	}
	if r.IntN(6) == 0 {
		sc.jbuf.Reset()
		if jpeg.Encode(&sc.jbuf, g, &jpeg.Options{Quality: 25 + r.IntN(70)}) == nil {
			if im, err := jpeg.Decode(&sc.jbuf); err == nil {
				if jg, ok := im.(*image.Gray); ok {
					g = jg
				}
			}
		}
	}
	// Rectify to Pitch pixels per character around the cell, with the
	// small rotation, shear and scale errors a real rectification leaves.
	if sc.rect == nil {
		sc.rect = image.NewGray(image.Rect(0, 0, rectSize, rectSize))
	}
	k := p / Pitch * (0.97 + 0.06*r.Float64()) // native pixels per rectified pixel
	ang := (r.Float64() - 0.5) * 2 * 1.5 * math.Pi / 180
	shear := (r.Float64() - 0.5) * 0.2
	resampleAffine(sc.rect, g, k, k*aspect, ang, shear, cx, cy)
	// The reader's cell centre is off by a fraction of a pixel or two.
	dx := (r.Float64() - 0.5) * 0.22 * Pitch
	dy := (r.Float64() - 0.5) * 0.18 * Pitch
	ExtractCell(sc.rect, rectSize/2+dx, rectSize/2+dy, c)
}

// edge replaces what lies beyond a line near one side of the cell centred
// at (cx, cy) with a flat or graded grey: the surroundings of a card whose
// zone runs to its edge, on the left or right of a line's end character,
// above the first line or below the last.
func edge(f []float32, w, h int, r *rand.Rand, cx, cy, p, capH, paper float64) {
	side := r.IntN(4)
	var d float64
	if side < 2 {
		d = p * (0.5 + 0.7*r.Float64())
	} else {
		d = capH/2 + p*(0.15+0.7*r.Float64())
	}
	tilt := (r.Float64() - 0.5) * 0.16
	outside := 255 * r.Float64()
	if r.IntN(2) == 0 {
		outside = paper * 0.5 * r.Float64() // a dark table or scanner lid
	}
	grad := (r.Float64() - 0.5) * 40 / p
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u, v := float64(x)-cx, float64(y)-cy
			var beyond float64
			switch side {
			case 0:
				beyond = -u - d - tilt*v
			case 1:
				beyond = u - d - tilt*v
			case 2:
				beyond = -v - d - tilt*u
			default:
				beyond = v - d - tilt*u
			}
			if beyond > 0 {
				f[y*w+x] = float32(math.Max(0, math.Min(255, outside+grad*beyond)))
			}
		}
	}
}

func clamp01(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

func disc(f []float32, w, h int, cx, cy, rad float64, val float32) {
	for y := max(0, int(cy-rad)); y <= min(h-1, int(cy+rad)); y++ {
		for x := max(0, int(cx-rad)); x <= min(w-1, int(cx+rad)); x++ {
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy <= rad*rad {
				f[y*w+x] = val
			}
		}
	}
}

// texture is a background: a gradient plus line patterns (guilloche,
// security print) plus blobs.
type texture struct {
	gx, gy  float64
	waves   [3]struct{ kx, ky, ph, amp float64 }
	nwaves  int
	blobAmp float64
	bx, by  float64
	brad    float64
}

func textures(r *rand.Rand, p, contrast float64) *texture {
	t := &texture{}
	t.gx = (r.Float64() - 0.5) * 0.04 * contrast / p
	t.gy = (r.Float64() - 0.5) * 0.04 * contrast / p
	if r.IntN(2) == 0 {
		t.nwaves = 1 + r.IntN(3)
		for i := 0; i < t.nwaves; i++ {
			per := p * (0.25 + 2*r.Float64())
			th := r.Float64() * math.Pi
			t.waves[i].kx = 2 * math.Pi / per * math.Cos(th)
			t.waves[i].ky = 2 * math.Pi / per * math.Sin(th)
			t.waves[i].ph = r.Float64() * 2 * math.Pi
			t.waves[i].amp = contrast * 0.18 * r.Float64()
		}
	}
	if r.IntN(6) == 0 {
		t.blobAmp = -contrast * 0.5 * r.Float64()
		t.bx, t.by = r.Float64()*5*p, r.Float64()*5*p
		t.brad = p * (0.5 + 2*r.Float64())
	}
	return t
}

func (t *texture) at(x, y float64) float64 {
	v := t.gx*x + t.gy*y
	for i := 0; i < t.nwaves; i++ {
		w := &t.waves[i]
		v += w.amp * math.Sin(w.kx*x+w.ky*y+w.ph)
	}
	if t.blobAmp != 0 {
		dx, dy := (x-t.bx)/t.brad, (y-t.by)/t.brad
		if d := dx*dx + dy*dy; d < 1 {
			v += t.blobAmp * (1 - d)
		}
	}
	return v
}

// gaussBlur blurs f (w x h) in place with a Gaussian of sigma pixels.
func gaussBlur(f, tmp []float32, w, h int, sigma float64) {
	if sigma < 0.2 {
		return
	}
	k := deblur.GaussianKernel(sigma, 31)
	rad := len(k) / 2
	for y := 0; y < h; y++ {
		row := f[y*w : (y+1)*w]
		out := tmp[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			var s float32
			for i, kv := range k {
				xx := min(max(x+i-rad, 0), w-1)
				s += kv * row[xx]
			}
			out[x] = s
		}
	}
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			var s float32
			for i, kv := range k {
				yy := min(max(y+i-rad, 0), h-1)
				s += kv * tmp[yy*w+x]
			}
			f[y*w+x] = s
		}
	}
}

// resampleAffine fills dst (the rectified window, centre at its middle)
// from src: a rectified pixel is kx by ky source pixels, rotated by ang and
// sheared, centred at (cx, cy) of src. Each pixel averages a grid of
// bilinear taps over its footprint, as an area-preserving reduction does.
func resampleAffine(dst, src *image.Gray, kx, ky, ang, shear, cx, cy float64) {
	cs, sn := math.Cos(ang), math.Sin(ang)
	taps := max(1, int(math.Ceil(max(kx, ky))))
	inv := 1 / float32(taps*taps)
	half := float64(rectSize) / 2
	for j := 0; j < rectSize; j++ {
		for i := 0; i < rectSize; i++ {
			var s float32
			for tj := 0; tj < taps; tj++ {
				for ti := 0; ti < taps; ti++ {
					u := float64(i) + (float64(ti)+0.5)/float64(taps) - half
					v := float64(j) + (float64(tj)+0.5)/float64(taps) - half
					u += shear * v
					u, v = kx*u, ky*v
					x := cx + cs*u - sn*v - 0.5
					y := cy + sn*u + cs*v - 0.5
					s += bilinear(src, x, y)
				}
			}
			dst.Pix[j*dst.Stride+i] = uint8(s*inv + 0.5)
		}
	}
}
