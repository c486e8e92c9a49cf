package sim

import (
	"math/rand/v2"
)

// The portrait is a drawn face, never a photograph: head, hair, eyes,
// brows, nose, mouth and shoulders from a few random parameters. It is
// rendered on a small canvas (0.12 mm per pixel, a printed portrait's
// detail) and scaled into the portrait zone. Its IR plane holds the
// foreground coverage (255 on the person, 0 on the plain background).
const portraitMMPerPixel = 0.12

var (
	skinTones   = [][3]uint8{{241, 204, 178}, {224, 178, 146}, {198, 144, 108}, {160, 108, 74}, {112, 74, 52}, {232, 190, 160}}
	hairColours = [][3]uint8{{30, 24, 20}, {70, 46, 30}, {120, 84, 50}, {196, 160, 100}, {150, 150, 150}, {90, 40, 24}}
	clothes     = [][3]uint8{{40, 52, 90}, {80, 80, 86}, {120, 30, 40}, {30, 90, 70}, {200, 200, 205}, {60, 40, 30}}
	eyeColours  = [][3]uint8{{60, 40, 30}, {70, 110, 150}, {80, 110, 70}, {40, 30, 25}}
)

func face(c [3]uint8) ink { return ink{w: c, wa: 255, ir: 255, ia: 255} }

func shade3(c [3]uint8, f float64) [3]uint8 {
	return [3]uint8{uint8(float64(c[0]) * f), uint8(float64(c[1]) * f), uint8(float64(c[2]) * f)}
}

// drawPortrait renders a synthetic face into a w x h portrait canvas.
func drawPortrait(rng *rand.Rand, w, h int) *canvas {
	pc := newCanvas(w, h, 1/portraitMMPerPixel)
	W, H := float64(w), float64(h)
	// Plain light background with a soft vertical gradient (ICAO asks for a
	// plain, light background).
	bg := [3]uint8{uint8(200 + rng.IntN(30)), uint8(205 + rng.IntN(30)), uint8(215 + rng.IntN(30))}
	for y := 0; y < h; y++ {
		f := 1 - 0.08*float64(y)/H
		for x := 0; x < w; x++ {
			i := y*pc.white.Stride + 4*x
			pc.white.Pix[i], pc.white.Pix[i+1], pc.white.Pix[i+2], pc.white.Pix[i+3] = uint8(float64(bg[0])*f), uint8(float64(bg[1])*f), uint8(float64(bg[2])*f), 255
		}
	}
	skin := skinTones[rng.IntN(len(skinTones))]
	hair := hairColours[rng.IntN(len(hairColours))]
	cloth := clothes[rng.IntN(len(clothes))]
	eye := eyeColours[rng.IntN(len(eyeColours))]
	cx := W * (0.5 + (rng.Float64()-0.5)*0.04)
	cy := H * (0.42 + (rng.Float64()-0.5)*0.03)
	rx := W * (0.24 + rng.Float64()*0.04)
	ry := rx * (1.28 + rng.Float64()*0.12)
	style := rng.IntN(4) // 0 short, 1 long, 2 bald-ish, 3 bun/curly

	k := face(cloth)
	pc.ellipse(cx, H*1.06, W*0.48, H*0.26, 0, &k) // shoulders
	if style == 1 {
		k = face(shade3(hair, 0.9))
		pc.ellipse(cx, cy+ry*0.35, rx*1.35, ry*1.25, 0, &k) // long hair behind
	}
	k = face(shade3(skin, 0.86))
	pc.ellipse(cx, cy+ry*0.95, rx*0.42, ry*0.5, 0, &k) // neck
	k = face(shade3(skin, 0.95))
	pc.ellipse(cx-rx*0.98, cy+ry*0.05, rx*0.16, ry*0.2, 0, &k) // ears
	pc.ellipse(cx+rx*0.98, cy+ry*0.05, rx*0.16, ry*0.2, 0, &k)
	if style != 2 {
		k = face(hair)
		top := 1.08 + rng.Float64()*0.1
		pc.ellipse(cx, cy-ry*0.22, rx*top, ry*0.9, 0, &k) // hair mass above
		if style == 3 {
			pc.ellipse(cx, cy-ry*1.05, rx*0.5, ry*0.32, 0, &k)
		}
	}
	k = face(skin)
	pc.ellipse(cx, cy+ry*0.08, rx, ry*0.92, 0, &k) // face
	if style != 2 {
		k = face(hair)
		fringe := 0.55 + rng.Float64()*0.15
		pc.ellipse(cx+(rng.Float64()-0.5)*rx*0.5, cy-ry*fringe, rx*0.95, ry*0.3, (rng.Float64()-0.5)*0.3, &k)
	}
	// Cheek shading.
	k = ink{w: shade3(skin, 0.88), wa: 90, ir: 255, ia: 255}
	pc.ellipse(cx-rx*0.55, cy+ry*0.3, rx*0.25, ry*0.2, 0, &k)
	pc.ellipse(cx+rx*0.55, cy+ry*0.3, rx*0.25, ry*0.2, 0, &k)
	// Eyes.
	ey := cy - ry*0.02
	ex := rx * (0.38 + rng.Float64()*0.05)
	for _, sx := range []float64{-1, 1} {
		k = face([3]uint8{240, 240, 236})
		pc.ellipse(cx+sx*ex, ey, rx*0.17, ry*0.065, 0, &k)
		k = face(eye)
		pc.ellipse(cx+sx*ex, ey, rx*0.075, rx*0.075, 0, &k)
		k = face([3]uint8{15, 12, 12})
		pc.ellipse(cx+sx*ex, ey, rx*0.032, rx*0.032, 0, &k)
		k = face(shade3(hair, 0.8))
		bw := rx * 0.05
		pc.stroke(cx+sx*ex-rx*0.17, ey-ry*(0.13+0.02*sx), cx+sx*ex+rx*0.17, ey-ry*(0.13-0.02*sx), bw, &k) // brow
	}
	// Nose and mouth.
	k = ink{w: shade3(skin, 0.7), wa: 200, ir: 255, ia: 255}
	pc.stroke(cx+rx*0.03, ey+ry*0.08, cx-rx*0.04, cy+ry*0.33, rx*0.035, &k)
	pc.stroke(cx-rx*0.1, cy+ry*0.36, cx+rx*0.08, cy+ry*0.36, rx*0.035, &k)
	mouth := [3]uint8{uint8(min(255, int(skin[0])*7/10+40)), uint8(int(skin[1]) * 5 / 10), uint8(int(skin[2]) * 5 / 10)}
	k = face(mouth)
	pc.ellipse(cx, cy+ry*0.56, rx*(0.28+rng.Float64()*0.08), ry*0.05, 0, &k)
	return pc
}
