// Package synth generates realistic minutiae templates of made-up fingers:
// the distractors of 1:N accuracy and speed measurements, where a gallery of
// a million real prints is not to be had.
//
// A finger is drawn as a print would be captured: a pattern class (arch,
// tented arch, left or right loop, whorl, with their population shares),
// singular points placed as in real prints of that class, a ridge
// orientation field from the zero-pole model (Sherlock and Monro 1993:
// half the sum of the angles to the cores minus half the sum of the angles
// to the deltas), an elliptic print area of plain-impression size cut by the
// sensor window, and a global rotation and offset. Minutiae are spread over
// the print with a minimum spacing (dart throwing) at a density drawn per
// finger; each runs along the local ridge orientation in one of its two
// senses with a few degrees of noise, half endings, half bifurcations.
//
// What this does not model: ridge frequency, minutiae that sit on
// neighbouring ridges of one another, and the extractor's own errors near
// creases and scars. Whether the result is realistic enough is measured,
// not assumed: the distribution of scores of real prints against these
// templates is compared with the distribution of scores of real prints
// against other real prints (checkpost bench watchlist prints both).
//
// The parameters (print size, density, spacing) were set from templates
// our extractor made from FVC2002 DB1_B and DB2_B: minutiae count 20-56
// (10th-90th percentile), convex hull 28,000-74,000 px², 7-8.5 minutiae per
// 10,000 px², nearest-neighbour distance median 22 px.
package synth

import (
	"math"
	"math/rand/v2"

	"checkpost/biometric"
)

// Class is a fingerprint pattern class.
type Class int

// The pattern classes, with their shares in the population (Wilson,
// Candela and Watson, NIST, on large tenprint files: about 3.7% arch, 2.9%
// tented arch, 33.8% left loop, 31.7% right loop, 27.9% whorl).
const (
	Arch Class = iota
	TentedArch
	LeftLoop
	RightLoop
	Whorl
)

var classShares = [...]float64{0.037, 0.029, 0.338, 0.317, 0.279}

func (c Class) String() string {
	return [...]string{"arch", "tented arch", "left loop", "right loop", "whorl"}[c]
}

// Generator makes templates from a seed: the same seed gives the same
// sequence.
type Generator struct {
	rng *rand.Rand
}

// New returns a generator for a seed.
func New(seed uint64) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// Finger is a made-up finger: its class, singular points and orientation
// field. Impressions of it share those.
type Finger struct {
	Class         Class
	cores, deltas [][2]float64
	archAmp       float64
	sense         [6][3]float64 // bumps of the sense field: x, y, weight
	cx, cy        float64
}

type point = [2]float64

// NewFinger draws a finger centred on the origin.
func (g *Generator) NewFinger() Finger {
	r := g.rng
	u := r.Float64()
	c := Whorl
	for i, s := range classShares {
		if u < s {
			c = Class(i)
			break
		}
		u -= s
	}
	f := Finger{Class: c}
	for i := range f.sense {
		f.sense[i] = [3]float64{(2*r.Float64() - 1) * 150, (2*r.Float64() - 1) * 180, r.NormFloat64() * senseStrength}
	}
	core := point{r.NormFloat64() * 20, r.NormFloat64()*25 - 20}
	switch c {
	case Arch:
		f.archAmp = 0.6 + 0.8*r.Float64()
	case TentedArch:
		f.cores = []point{core}
		f.deltas = []point{{core[0] + r.NormFloat64()*8, core[1] + 45 + 30*r.Float64()}}
	case LeftLoop, RightLoop:
		side := 1.0
		if c == RightLoop {
			side = -1
		}
		f.cores = []point{core}
		f.deltas = []point{{core[0] + side*(80+70*r.Float64()), core[1] + 90 + 70*r.Float64()}}
	case Whorl:
		sep := 10 + 25*r.Float64()
		tilt := r.NormFloat64() * 0.4
		f.cores = []point{{core[0] - sep*math.Sin(tilt), core[1] - sep*math.Cos(tilt)}, {core[0] + sep*math.Sin(tilt), core[1] + sep*math.Cos(tilt)}}
		f.deltas = []point{
			{core[0] - 90 - 60*r.Float64(), core[1] + 80 + 70*r.Float64()},
			{core[0] + 90 + 60*r.Float64(), core[1] + 80 + 70*r.Float64()},
		}
	}
	return f
}

// Orientation is the ridge orientation at (x, y) of the finger's frame, in
// radians modulo π (y down, counter-clockwise as seen on the image).
func (f *Finger) Orientation(x, y float64) float64 {
	if f.Class == Arch {
		// Ridges bow upward over the middle: y = -A·h·exp(-x²/2s²).
		s := 90.0
		h := 60 * f.archAmp * math.Exp(-y*y/(2*150*150))
		slope := h * x / (s * s) * math.Exp(-x*x/(2*s*s))
		return math.Atan(slope)
	}
	// Zero-pole model in image coordinates with y up, so that angles come
	// out counter-clockwise.
	a := 0.0
	for _, c := range f.cores {
		a += math.Atan2(-(y - c[1]), x-c[0])
	}
	for _, d := range f.deltas {
		a -= math.Atan2(-(y - d[1]), x-d[0])
	}
	return a / 2
}

// Impression is a capture of a finger: the sensor window, where the print
// lies in it, its rotation and its minutiae.
func (g *Generator) Impression(f *Finger) biometric.Template {
	r := g.rng
	w := 300 + r.IntN(120)
	h := 300 + r.IntN(160)
	// Print ellipse, centred near the window's centre.
	ax := 95 + 55*r.Float64()
	ay := 120 + 60*r.Float64()
	ox := float64(w)/2 + r.NormFloat64()*20
	oy := float64(h)/2 + r.NormFloat64()*20
	rot := r.NormFloat64() * 0.2
	cosR, sinR := math.Cos(rot), math.Sin(rot)
	density := (5.5 + 2.5*r.Float64()) / 10000
	const margin = 10.0
	// Area of the ellipse inside the window (sampled), for the count.
	inside := func(x, y float64) bool {
		dx, dy := (x-ox)/ax, (y-oy)/ay
		return dx*dx+dy*dy <= 1 && x >= margin && y >= margin && x < float64(w)-margin && y < float64(h)-margin
	}
	area := 0.0
	for i := 0; i < 400; i++ {
		x := ox + (2*r.Float64()-1)*ax
		y := oy + (2*r.Float64()-1)*ay
		if inside(x, y) {
			area++
		}
	}
	area = area / 400 * 4 * ax * ay
	n := int(math.Round(area * density))
	n = max(8, min(n, 90))
	const minDist = 14.0
	t := biometric.Template{Width: w, Height: h, ResolutionPPI: 500, Quality: 40 + r.IntN(50)}
	pts := make([]point, 0, n)
	free := func(x, y, d float64) bool {
		for _, p := range pts {
			if dx, dy := p[0]-x, p[1]-y; dx*dx+dy*dy < d*d {
				return false
			}
		}
		return true
	}
	add := func(x, y, a float64) {
		pts = append(pts, point{x, y})
		a = math.Mod(a, 2*math.Pi)
		if a < 0 {
			a += 2 * math.Pi
		}
		t.Minutiae = append(t.Minutiae, biometric.Minutia{X: int(math.Round(x)), Y: int(math.Round(y)), Angle: a,
			Type: biometric.MinutiaType(1 + r.IntN(2)), Quality: uint8(30 + r.IntN(70))})
	}
	// Density varies over a print: a smooth field of a few bumps thins
	// some areas and crowds others (dart throwing keeps a point with the
	// field's probability).
	var bumps [4][3]float64
	for i := range bumps {
		bumps[i] = [3]float64{ox + (2*r.Float64()-1)*ax, oy + (2*r.Float64()-1)*ay, r.NormFloat64() * 0.6}
	}
	keep := func(x, y float64) float64 {
		v := 0.0
		for _, b := range bumps {
			dx, dy := x-b[0], y-b[1]
			v += b[2] * math.Exp(-(dx*dx+dy*dy)/(2*60*60))
		}
		return 1 / (1 + math.Exp(-2*v))
	}
	// Creases and scars: a few prints carry a tight run of false minutiae
	// across the ridges.
	if r.Float64() < creaseShare {
		cxs, cys := ox+(2*r.Float64()-1)*ax*0.6, oy+(2*r.Float64()-1)*ay*0.6
		dir := r.Float64() * math.Pi
		for k, m := 0, 3+r.IntN(4); k < m; k++ {
			x, y := cxs+float64(k)*9*math.Cos(dir), cys-float64(k)*9*math.Sin(dir)
			if inside(x, y) && free(x, y, 6) {
				a := dir + math.Pi/2
				if k%2 == 1 {
					a += math.Pi
				}
				add(x, y, a+r.NormFloat64()*0.3)
			}
		}
	}
	for tries := 0; len(pts) < n && tries < 100*n; tries++ {
		x := ox + (2*r.Float64()-1)*ax
		y := oy + (2*r.Float64()-1)*ay
		if !inside(x, y) || r.Float64() > keep(x, y) {
			continue
		}
		if !free(x, y, minDist) {
			continue
		}
		a := g.direction(f, x, y, ox, oy, cosR, sinR, rot)
		add(x, y, a)
		// Minutiae come in pairs as often as alone: a short ridge or an
		// island ends twice along the flow, a bridge forks twice across
		// it. The companion runs the other way.
		if r.Float64() < pairShare && len(pts) < n {
			d := 9 + 15*r.Float64()
			along := a
			if r.IntN(3) == 0 { // across the flow
				along += math.Pi / 2
				d = 8 + 6*r.Float64()
			}
			px, py := x+d*math.Cos(along), y-d*math.Sin(along)
			if inside(px, py) && free(px, py, 8) {
				add(px, py, g.direction(f, px, py, ox, oy, cosR, sinR, rot)+math.Pi)
			}
		}
	}
	return t
}

// pairShare is the share of minutiae that get a companion.
const pairShare = 0.15

// senseStrength scales the sense field (0: senses independent, 50/50).
const senseStrength = 8.0

// creaseShare is the share of prints with a crease or scar.
const creaseShare = 0.3

// direction is a minutia's direction at (x, y) of the window: the ridge
// orientation in one of its two senses, with the extractor's few degrees
// of noise.
func (g *Generator) direction(f *Finger, x, y, ox, oy, cosR, sinR, rot float64) float64 {
	r := g.rng
	// The finger's frame: undo the capture's rotation about the print
	// centre.
	fx := (x-ox)*cosR + (y-oy)*sinR
	fy := -(x-ox)*sinR + (y-oy)*cosR
	a := f.Orientation(fx, fy) + rot
	// Where ridges diverge new ones start, where they converge ridges end:
	// the sense of the minutiae in an area agrees more often than not.
	// A smooth field over the finger sets the odds.
	if r.Float64() > f.senseOdds(fx, fy) {
		a += math.Pi
	}
	return a + r.NormFloat64()*0.12
}

// senseOdds is the chance that a minutia at (x, y) of the finger's frame
// runs in the orientation's first sense.
func (f *Finger) senseOdds(x, y float64) float64 {
	v := 0.0
	for _, b := range f.sense {
		dx, dy := x-b[0], y-b[1]
		v += b[2] * math.Exp(-(dx*dx+dy*dy)/(2*70*70))
	}
	return 1 / (1 + math.Exp(-v))
}

// Template makes one impression of a new finger.
func (g *Generator) Template() biometric.Template {
	f := g.NewFinger()
	return g.Impression(&f)
}

// Distort returns another impression of the same finger made from t: the
// print turned by up to about ±15° and moved, every minutia jittered by a
// few pixels and degrees, about a sixth of them lost and a few spurious
// ones added. It makes mates for tests of generated fingers (real mates
// come from real impressions).
func (g *Generator) Distort(t biometric.Template) biometric.Template {
	r := g.rng
	rot := r.NormFloat64() * 0.12
	dx, dy := r.NormFloat64()*15, r.NormFloat64()*15
	cx, cy := float64(t.Width)/2, float64(t.Height)/2
	c, s := math.Cos(rot), math.Sin(rot)
	out := t
	out.Minutiae = nil
	for _, m := range t.Minutiae {
		if r.Float64() < 1.0/6 {
			continue
		}
		x, y := float64(m.X)-cx, float64(m.Y)-cy
		// y is down: a counter-clockwise turn on the image.
		nx := cx + x*c + y*s + dx + r.NormFloat64()*2
		ny := cy - x*s + y*c + dy + r.NormFloat64()*2
		a := math.Mod(m.Angle+rot+r.NormFloat64()*0.08+2*math.Pi, 2*math.Pi)
		out.Minutiae = append(out.Minutiae, biometric.Minutia{X: int(math.Round(nx)), Y: int(math.Round(ny)), Angle: a, Type: m.Type, Quality: m.Quality})
	}
	for k := 0; k < 3; k++ {
		out.Minutiae = append(out.Minutiae, biometric.Minutia{X: r.IntN(max(1, t.Width)), Y: r.IntN(max(1, t.Height)),
			Angle: r.Float64() * 2 * math.Pi, Type: biometric.MinutiaEnding, Quality: 30})
	}
	return out
}
