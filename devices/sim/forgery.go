package sim

import (
	"image"
	"math"
	"math/rand/v2"

	"checkpost/mrz"
)

// alterField changes a printed field so that it no longer agrees with the
// MRZ (the data the document was issued with), and returns its name.
func alterField(rng *rand.Rand, printed map[string]string, p *person) string {
	if rng.IntN(2) == 0 {
		// A younger or older holder: the classic alteration of a birth date.
		shift := (1 + rng.IntN(12)) * (1 - 2*rng.IntN(2))
		printed["birth_date"] = printedDate(p.birth.AddDate(shift, rng.IntN(11)-5, rng.IntN(20)-10))
		return "birth_date"
	}
	for {
		s := surnames[rng.IntN(len(surnames))]
		if s != p.surname {
			printed["surname"] = latinName(s)
			return "surname"
		}
	}
}

// alterMRZ changes the data the MRZ encodes (the printed fields keep the
// issued data); Generate then recomputes the check digits, so the MRZ is
// valid but disagrees with the visual zone. It returns the field changed.
func alterMRZ(rng *rand.Rand, d *mrz.Document) string {
	switch rng.IntN(3) {
	case 0:
		d.BirthDate = d.BirthDate.AddDate((1+rng.IntN(10))*(1-2*rng.IntN(2)), 0, rng.IntN(30))
		return "birth_date"
	case 1:
		d.ExpiryDate = d.ExpiryDate.AddDate(2+rng.IntN(8), 0, 0) // extended validity
		return "expiry_date"
	default:
		b := []byte(d.DocumentNumber)
		i := 1 + rng.IntN(len(b)-1)
		old := b[i]
		for b[i] == old {
			b[i] = numberAlphabet[rng.IntN(len(numberAlphabet))]
		}
		d.DocumentNumber = string(b)
		return "document_number"
	}
}

// checkDigitPositions lists (line, column) of the check digits of a
// format (Doc 9303 Parts 4, 5 and 7).
func checkDigitPositions(f mrz.Format) [][2]int {
	switch f {
	case mrz.TD1:
		return [][2]int{{0, 14}, {1, 6}, {1, 14}, {1, 29}}
	case mrz.MRVA:
		return [][2]int{{1, 9}, {1, 19}, {1, 27}}
	default: // TD3
		return [][2]int{{1, 9}, {1, 19}, {1, 27}, {1, 43}}
	}
}

// breakCheckDigits replaces one or two check digits with wrong digits.
func breakCheckDigits(rng *rand.Rand, f mrz.Format, lines []string) {
	pos := checkDigitPositions(f)
	n := 1 + rng.IntN(2)
	for _, k := range rng.Perm(len(pos))[:n] {
		l, col := pos[k][0], pos[k][1]
		b := []byte(lines[l])
		old := b[col]
		for b[col] == old {
			b[col] = byte('0' + rng.IntN(10))
		}
		lines[l] = string(b)
	}
}

// pastePortrait glues a foreign photo over the portrait zone: another
// face, photo-paper texture, a cut edge with its shadow, optical
// brighteners that glow under UV, and the opposite IR response of the
// model's genuine portrait.
func (r *renderer) pastePortrait(c *canvas, zone image.Rectangle, side string) {
	px := r.sd.px
	rng := r.rngForgery
	grow := int(0.6 * px)
	d := image.Pt(int((rng.Float64()-0.5)*0.8*px), int((rng.Float64()-0.5)*0.8*px))
	photo := zone.Inset(-grow).Add(d).Intersect(image.Rect(0, 0, c.w, c.h))
	photoPaper := ink{ir: 212, ia: 255, uv: [3]uint8{140, 150, 225}, ua: 255}
	c.rect(photo, &photoPaper)
	lay := r.m.Front.portrait
	faceRng := rand.New(rand.NewPCG(rng.Uint64(), 77))
	pc := drawPortrait(faceRng, int(lay.w/portraitMMPerPixel), int(lay.h/portraitMMPerPixel))
	c.portrait(pc, photo, !r.m.PortraitIR, true)
	// Photographic grain and a warm cast.
	for y := photo.Min.Y; y < photo.Max.Y; y++ {
		for x := photo.Min.X; x < photo.Max.X; x++ {
			i := y*c.white.Stride + 4*x
			n := int(rng.NormFloat64() * 7)
			c.white.Pix[i] = clampU8(int(c.white.Pix[i]) + n + 6)
			c.white.Pix[i+1] = clampU8(int(c.white.Pix[i+1]) + n)
			c.white.Pix[i+2] = clampU8(int(c.white.Pix[i+2]) + n - 6)
		}
	}
	// The cut edge: a light rim and a shadow line, seen in every light.
	shadow := ink{w: [3]uint8{60, 60, 60}, wa: 200, ir: 70, ia: 200, uv: [3]uint8{4, 4, 8}, ua: 220}
	x0, y0, x1, y1 := float64(photo.Min.X), float64(photo.Min.Y), float64(photo.Max.X), float64(photo.Max.Y)
	lw := 0.12 * px
	c.stroke(x0, y1, x1, y1, lw, &shadow)
	c.stroke(x1, y0, x1, y1, lw, &shadow)
	rim := ink{w: [3]uint8{250, 250, 250}, wa: 220, ir: 235, ia: 160, uv: [3]uint8{170, 180, 240}, ua: 200}
	c.stroke(x0, y0, x1, y0, lw, &rim)
	c.stroke(x0, y0, x0, y1, lw, &rim)
	r.addRegion("forged.portrait", side, photo.Inset(-int(lw+1)).Intersect(image.Rect(0, 0, c.w, c.h)))
}

func clampU8(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// photocopy replaces the side by a colour copy of its white image: CMYK
// halftone screens on office paper (optical brighteners: bright under UV,
// no overprint, no fibres); in IR only the black (carbon) toner absorbs,
// so everything dark shows, including what the genuine inks hide.
func (r *renderer) photocopy(c *canvas, page image.Rectangle) {
	period := 2.2 * r.sd.px / 11.8 // about 120 lines per inch
	if period < 2 {
		period = 2
	}
	type screen struct{ cs, sn float64 }
	angles := [4]float64{15, 75, 0, 45} // C, M, Y, K screen angles
	var scr [4]screen
	for i, a := range angles {
		scr[i] = screen{math.Cos(a * math.Pi / 180), math.Sin(a * math.Pi / 180)}
	}
	threshold := func(s screen, x, y float64) float64 {
		u := (x*s.cs + y*s.sn) / period
		v := (-x*s.sn + y*s.cs) / period
		return 0.5 + 0.25*(math.Cos(2*math.Pi*u)+math.Cos(2*math.Pi*v))
	}
	for y := page.Min.Y; y < page.Max.Y; y++ {
		for x := page.Min.X; x < page.Max.X; x++ {
			i := y*c.white.Stride + 4*x
			R, G, B := float64(c.white.Pix[i])/255, float64(c.white.Pix[i+1])/255, float64(c.white.Pix[i+2])/255
			// Copiers lift the paper tone to white first.
			R, G, B = math.Min(1, R*1.06), math.Min(1, G*1.06), math.Min(1, B*1.08)
			k := 1 - math.Max(R, math.Max(G, B))
			var cmy [3]float64
			if k < 1 {
				cmy = [3]float64{(1 - R - k) / (1 - k), (1 - G - k) / (1 - k), (1 - B - k) / (1 - k)}
			}
			fx, fy := float64(x), float64(y)
			var on [4]float64
			for ch := 0; ch < 3; ch++ {
				if cmy[ch] > threshold(scr[ch], fx, fy) {
					on[ch] = 1
				}
			}
			if k > threshold(scr[3], fx, fy) {
				on[3] = 1
			}
			toner := math.Max(on[3], (on[0]+on[1]+on[2])/3)
			for ch := 0; ch < 3; ch++ {
				v := (1 - on[ch]*0.85) * (1 - on[3]*0.9)
				c.white.Pix[i+ch] = uint8(250*v + 0.5)
			}
			c.ir.Pix[y*c.ir.Stride+x] = uint8(228 - 190*k + 0.5)
			uvf := 1 - 0.85*toner
			c.uv.Pix[i], c.uv.Pix[i+1], c.uv.Pix[i+2] = uint8(150*uvf), uint8(162*uvf), uint8(236*uvf)
		}
	}
}
