package sim

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"strconv"

	"checkpost/devices"
)

// degrader applies the degradations of one capture, to each side in turn,
// moving the truth regions with the pixels.
type degrader struct {
	rng  *rand.Rand
	list []Applied
	ppi  float64 // resolution after the degradations
}

func newDegrader(seed uint64, list []Applied, ppi float64) *degrader {
	return &degrader{rng: rand.New(rand.NewPCG(seed, 0x5eed0005)), list: list, ppi: ppi}
}

// strength returns a's strength, drawing it when the caller left it open.
func (d *degrader) strength(a Applied) float64 {
	if a.HasStrength {
		return a.Strength
	}
	k := lookupKind(degradationKinds, a.Name)
	switch a.Name {
	case "rotate":
		return math.Round(d.rng.Float64()*3600) / 10
	case "resolution":
		return float64(150 + 10*d.rng.IntN(46))
	}
	return k.Default
}

func (d *degrader) apply(c *canvas, regions []devices.Region, mrzBox image.Rectangle, side int) (devices.Side, []devices.Region, []string) {
	var applied []string
	ppi := c.px * 25.4
	for _, a := range d.list {
		s := d.strength(a)
		applied = append(applied, a.Name+":"+strconv.FormatFloat(s, 'g', 5, 64))
		switch a.Name {
		case "occlusion":
			if r, ok := d.occlude(c, s, mrzBox, regions); ok {
				regions = append(regions, r)
			}
		case "light":
			if r, ok := d.light(c, s, regions); ok {
				regions = append(regions, r)
			}
		case "perspective":
			c, regions = d.perspective(c, s, regions)
		case "rotate":
			c, regions = rotate(c, s, regions)
		case "defocus":
			blurCanvas(c, s*c.px)
		case "resolution":
			c, regions = resample(c, s/ppi, regions)
			ppi = s
			d.ppi = s
		case "noise":
			d.noise(c, s)
		case "jpeg":
			jpegCanvas(c, int(s))
		}
	}
	bounds := image.Rect(0, 0, c.w, c.h)
	for i := range regions {
		regions[i].BoxFromQuad(bounds)
	}
	return devices.Side{White: c.white, IR: c.ir, UV: c.uv}, regions, applied
}

func regionOf(regions []devices.Region, name string) (devices.Region, bool) {
	for _, r := range regions {
		if r.Name == name {
			return r, true
		}
	}
	return devices.Region{}, false
}

// boxRegion makes a region from an axis-aligned box.
func boxRegion(name, side string, b image.Rectangle) devices.Region {
	return devices.Region{Name: name, Side: side, Quad: [4]devices.Point{
		{X: float64(b.Min.X), Y: float64(b.Min.Y)}, {X: float64(b.Max.X), Y: float64(b.Min.Y)},
		{X: float64(b.Max.X), Y: float64(b.Max.Y)}, {X: float64(b.Min.X), Y: float64(b.Max.Y)}},
		X: b.Min.X, Y: b.Min.Y, W: b.Dx(), H: b.Dy()}
}

func sideOf(regions []devices.Region) string {
	if len(regions) > 0 {
		return regions[0].Side
	}
	return "front"
}

// occlude puts a thumb over the page, entering from an edge, anywhere but
// on the MRZ (which must stay readable for the capture to be usable).
func (d *degrader) occlude(c *canvas, s float64, mrz image.Rectangle, regions []devices.Region) (devices.Region, bool) {
	page, ok := regionOf(regions, "page")
	if !ok {
		return devices.Region{}, false
	}
	pb := page.Rect()
	rx := (6 + 8*s) * c.px
	ry := rx * 1.5
	keep := mrz.Inset(-int(2 * c.px))
	for try := 0; try < 40; try++ {
		var cx, cy float64
		switch d.rng.IntN(3) {
		case 0: // from the left edge
			cx, cy = float64(pb.Min.X)+rx*0.3, float64(pb.Min.Y)+d.rng.Float64()*float64(pb.Dy())
		case 1: // from the right edge
			cx, cy = float64(pb.Max.X)-rx*0.3, float64(pb.Min.Y)+d.rng.Float64()*float64(pb.Dy())
		default: // from the top edge
			cx, cy = float64(pb.Min.X)+d.rng.Float64()*float64(pb.Dx()), float64(pb.Min.Y)+ry*0.3
		}
		box := image.Rect(int(cx-rx), int(cy-ry), int(cx+rx)+1, int(cy+ry)+1)
		if !mrz.Empty() && box.Overlaps(keep) {
			continue
		}
		thumb := ink{w: [3]uint8{214, 164, 136}, wa: 255, ir: 188, ia: 255, uv: [3]uint8{16, 11, 16}, ua: 255}
		c.ellipse(cx, cy, rx, ry, (d.rng.Float64()-0.5)*0.6, &thumb)
		nail := ink{w: [3]uint8{236, 200, 190}, wa: 255, ir: 205, ia: 255, uv: [3]uint8{30, 26, 40}, ua: 255}
		c.ellipse(cx, cy+ry*0.45, rx*0.5, ry*0.3, 0, &nail)
		return boxRegion("occlusion", sideOf(regions), box.Intersect(image.Rect(0, 0, c.w, c.h))), true
	}
	return devices.Region{}, false
}

// light darkens the image with a ramp and a vignette (an unevenly lit
// page) and adds a specular glare spot.
func (d *degrader) light(c *canvas, s float64, regions []devices.Region) (devices.Region, bool) {
	W, H := float64(c.w), float64(c.h)
	a := d.rng.Float64() * 2 * math.Pi
	ca, sa := math.Cos(a), math.Sin(a)
	gx, gy := (0.2+0.6*d.rng.Float64())*W, (0.2+0.6*d.rng.Float64())*H
	sigma := (0.04 + 0.08*d.rng.Float64()) * W
	peak := 0.5 + 0.5*s
	// The ramp's factor per row and column would be cheaper, but the
	// direction is arbitrary; one multiply per pixel is fine here.
	for y := 0; y < c.h; y++ {
		fy := float64(y)/H - 0.5
		for x := 0; x < c.w; x++ {
			fx := float64(x)/W - 0.5
			t := fx*ca + fy*sa + 0.5 // 0..1 along the light's direction
			f := 1 - s*(0.35*t+0.6*(fx*fx+fy*fy))
			dx, dy := float64(x)-gx, float64(y)-gy
			g := peak * math.Exp(-(dx*dx+dy*dy)/(2*sigma*sigma))
			i := y*c.white.Stride + 4*x
			for ch := 0; ch < 3; ch++ {
				v := float64(c.white.Pix[i+ch]) * f
				c.white.Pix[i+ch] = uint8(v + (255-v)*g + 0.5)
				u := float64(c.uv.Pix[i+ch]) * f
				c.uv.Pix[i+ch] = uint8(u + (255-u)*g*0.15 + 0.5)
			}
			j := y*c.ir.Stride + x
			v := float64(c.ir.Pix[j]) * f
			c.ir.Pix[j] = uint8(v + (255-v)*g*0.7 + 0.5)
		}
	}
	r := 2 * sigma
	return boxRegion("glare", sideOf(regions), image.Rect(int(gx-r), int(gy-r), int(gx+r)+1, int(gy+r)+1).Intersect(image.Rect(0, 0, c.w, c.h))), true
}

// warp resamples c through inverse (output pixel centre -> source
// position) onto a w x h canvas; outside the source, or outside keep when
// not empty, it paints bg.
func warp(c *canvas, w, h int, inverse func(x, y float64) (float64, float64), keep image.Rectangle, bg func(x, y int) ink) *canvas {
	out := newCanvas(w, h, c.px)
	src := image.Rect(0, 0, c.w, c.h)
	if keep.Empty() {
		keep = src
	}
	kx0, ky0, kx1, ky1 := float64(keep.Min.X), float64(keep.Min.Y), float64(keep.Max.X), float64(keep.Max.Y)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := inverse(float64(x)+0.5, float64(y)+0.5)
			i := y*out.white.Stride + 4*x
			j := y*out.ir.Stride + x
			if sx < kx0 || sy < ky0 || sx >= kx1 || sy >= ky1 {
				k := bg(x, y)
				out.white.Pix[i], out.white.Pix[i+1], out.white.Pix[i+2], out.white.Pix[i+3] = k.w[0], k.w[1], k.w[2], 255
				out.uv.Pix[i], out.uv.Pix[i+1], out.uv.Pix[i+2], out.uv.Pix[i+3] = k.uv[0], k.uv[1], k.uv[2], 255
				out.ir.Pix[j] = k.ir
				continue
			}
			fx, fy := sx-0.5, sy-0.5
			x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
			tx, ty := fx-float64(x0), fy-float64(y0)
			x0c, x1c := clampInt(x0, keep.Min.X, keep.Max.X-1), clampInt(x0+1, keep.Min.X, keep.Max.X-1)
			y0c, y1c := clampInt(y0, keep.Min.Y, keep.Max.Y-1), clampInt(y0+1, keep.Min.Y, keep.Max.Y-1)
			w00, w10, w01, w11 := (1-tx)*(1-ty), tx*(1-ty), (1-tx)*ty, tx*ty
			a, b := y0c*c.white.Stride+4*x0c, y0c*c.white.Stride+4*x1c
			cc, dd := y1c*c.white.Stride+4*x0c, y1c*c.white.Stride+4*x1c
			for ch := 0; ch < 3; ch++ {
				out.white.Pix[i+ch] = uint8(float64(c.white.Pix[a+ch])*w00 + float64(c.white.Pix[b+ch])*w10 + float64(c.white.Pix[cc+ch])*w01 + float64(c.white.Pix[dd+ch])*w11 + 0.5)
				out.uv.Pix[i+ch] = uint8(float64(c.uv.Pix[a+ch])*w00 + float64(c.uv.Pix[b+ch])*w10 + float64(c.uv.Pix[cc+ch])*w01 + float64(c.uv.Pix[dd+ch])*w11 + 0.5)
			}
			out.white.Pix[i+3], out.uv.Pix[i+3] = 255, 255
			out.ir.Pix[j] = uint8(float64(c.ir.Pix[y0c*c.ir.Stride+x0c])*w00 + float64(c.ir.Pix[y0c*c.ir.Stride+x1c])*w10 +
				float64(c.ir.Pix[y1c*c.ir.Stride+x0c])*w01 + float64(c.ir.Pix[y1c*c.ir.Stride+x1c])*w11 + 0.5)
		}
	}
	return out
}

func mapRegions(regions []devices.Region, forward func(x, y float64) (float64, float64)) []devices.Region {
	for i := range regions {
		for k, p := range regions[i].Quad {
			x, y := forward(p.X, p.Y)
			regions[i].Quad[k] = devices.Point{X: x, Y: y}
		}
	}
	return regions
}

// rotate turns the whole capture by deg degrees counter-clockwise on a
// canvas grown to hold it (the rest is the scanner's dark background).
func rotate(c *canvas, deg float64, regions []devices.Region) (*canvas, []devices.Region) {
	th := deg * math.Pi / 180
	cs, sn := math.Cos(th), math.Sin(th)
	// Snap values within float noise of 0 and ±1, so that 90° turns keep
	// exact sizes.
	for _, v := range []*float64{&cs, &sn} {
		if math.Abs(*v) < 1e-12 {
			*v = 0
		}
		if math.Abs(math.Abs(*v)-1) < 1e-12 {
			*v = math.Copysign(1, *v)
		}
	}
	W, H := float64(c.w), float64(c.h)
	w := int(math.Round(math.Abs(W*cs) + math.Abs(H*sn)))
	h := int(math.Round(math.Abs(W*sn) + math.Abs(H*cs)))
	cx, cy := W/2, H/2
	ncx, ncy := float64(w)/2, float64(h)/2
	forward := func(x, y float64) (float64, float64) {
		dx, dy := x-cx, y-cy
		return ncx + dx*cs + dy*sn, ncy - dx*sn + dy*cs
	}
	inverse := func(x, y float64) (float64, float64) {
		dx, dy := x-ncx, y-ncy
		return cx + dx*cs - dy*sn, cy + dx*sn + dy*cs
	}
	bg := func(int, int) ink { return scannerBackground }
	return warp(c, w, h, inverse, image.Rectangle{}, bg), mapRegions(regions, forward)
}

// perspective photographs the page lying on a desk: the page's corners go
// to a tilted quadrilateral, the rest of the frame shows the desk.
func (d *degrader) perspective(c *canvas, s float64, regions []devices.Region) (*canvas, []devices.Region) {
	page, ok := regionOf(regions, "page")
	if !ok {
		return c, regions
	}
	pb := page.Rect()
	W, H := float64(pb.Dx()), float64(pb.Dy())
	w, h := int(W*1.3), int(H*1.4)
	ox, oy := W*0.15, H*0.2
	j := func() float64 { return (d.rng.Float64() - 0.5) * 0.1 * s }
	tilt := s * (0.1 + 0.1*d.rng.Float64()) * W
	dst := [4][2]float64{
		{ox + tilt + j()*W, oy + j()*H}, {ox + W - tilt + j()*W, oy + j()*H},
		{ox + W + j()*W, oy + H + j()*H}, {ox + j()*W, oy + H + j()*H},
	}
	src := [4][2]float64{
		{float64(pb.Min.X), float64(pb.Min.Y)}, {float64(pb.Max.X), float64(pb.Min.Y)},
		{float64(pb.Max.X), float64(pb.Max.Y)}, {float64(pb.Min.X), float64(pb.Max.Y)},
	}
	inv := homography(dst, src)
	fwd := homography(src, dst)
	grain := d.rng.Float64() * 10
	desk := func(x, y int) ink {
		// A wooden desk: warm stripes along x.
		v := 0.5 + 0.5*math.Sin(float64(y)/9+3*math.Sin(float64(x)/150+grain))
		return ink{w: [3]uint8{uint8(120 + 40*v), uint8(84 + 30*v), uint8(56 + 20*v)}, ir: uint8(110 + 30*v), uv: [3]uint8{10, 8, 12}}
	}
	out := warp(c, w, h, inv.apply, pb, desk)
	return out, mapRegions(regions, fwd.apply)
}

// hmat is a 3x3 homography, row-major, h[8] = 1.
type hmat [9]float64

func (m hmat) apply(x, y float64) (float64, float64) {
	w := m[6]*x + m[7]*y + m[8]
	return (m[0]*x + m[1]*y + m[2]) / w, (m[3]*x + m[4]*y + m[5]) / w
}

// homography solves for the map taking the four points from to the four
// points to (Gaussian elimination with partial pivoting on the 8x8
// system).
func homography(from, to [4][2]float64) hmat {
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		x, y, u, v := from[i][0], from[i][1], to[i][0], to[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for col := 0; col < 8; col++ {
		p := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p] = a[p], a[col]
		for r := 0; r < 8; r++ {
			if r == col || a[col][col] == 0 {
				continue
			}
			f := a[r][col] / a[col][col]
			for k := col; k < 9; k++ {
				a[r][k] -= f * a[col][k]
			}
		}
	}
	var m hmat
	for i := 0; i < 8; i++ {
		m[i] = a[i][8] / a[i][i]
	}
	m[8] = 1
	return m
}

// resample scales the capture by f (a new resolution): a blur against
// aliasing when shrinking, then bilinear sampling.
func resample(c *canvas, f float64, regions []devices.Region) (*canvas, []devices.Region) {
	if f == 1 {
		return c, regions
	}
	if f < 1 {
		blurCanvas(c, 0.5/f)
	}
	w, h := int(math.Round(float64(c.w)*f)), int(math.Round(float64(c.h)*f))
	fx, fy := float64(w)/float64(c.w), float64(h)/float64(c.h)
	out := warp(c, w, h, func(x, y float64) (float64, float64) { return x / fx, y / fy }, image.Rectangle{},
		func(int, int) ink { return scannerBackground })
	out.px = c.px * f
	return out, mapRegions(regions, func(x, y float64) (float64, float64) { return x * fx, y * fy })
}

// blurCanvas applies a Gaussian blur of standard deviation sigma pixels,
// approximated by three box blurs per direction.
func blurCanvas(c *canvas, sigma float64) {
	if sigma < 0.3 {
		return
	}
	// Box width for three passes (Kovesi's formula for matching variance).
	r := int(math.Round((math.Sqrt(12*sigma*sigma/3+1) - 1) / 2))
	if r < 1 {
		r = 1
	}
	buf := make([]uint8, max(c.w, c.h))
	for pass := 0; pass < 3; pass++ {
		for ch := 0; ch < 3; ch++ {
			boxBlur(c.white.Pix[ch:], c.w, c.h, 4, c.white.Stride, r, buf)
			boxBlur(c.uv.Pix[ch:], c.w, c.h, 4, c.uv.Stride, r, buf)
		}
		boxBlur(c.ir.Pix, c.w, c.h, 1, c.ir.Stride, r, buf)
	}
}

// boxBlur blurs one channel (pixels step bytes apart, rows stride apart)
// horizontally then vertically with a box of radius r, edges clamped.
func boxBlur(p []uint8, w, h, step, stride, r int, buf []uint8) {
	line := func(off, n, inc int) {
		for i := 0; i < n; i++ {
			buf[i] = p[off+i*inc]
		}
		sum := 0
		for k := -r; k <= r; k++ {
			sum += int(buf[clampInt(k, 0, n-1)])
		}
		div := 2*r + 1
		for i := 0; i < n; i++ {
			p[off+i*inc] = uint8((sum + div/2) / div)
			sum += int(buf[clampInt(i+r+1, 0, n-1)]) - int(buf[clampInt(i-r, 0, n-1)])
		}
	}
	for y := 0; y < h; y++ {
		line(y*stride, w, step)
	}
	for x := 0; x < w; x++ {
		line(x*step, h, stride)
	}
}

// noise adds Gaussian sensor noise of standard deviation sd grey levels.
func (d *degrader) noise(c *canvas, sd float64) {
	// A table of normal deviates indexed by a fast generator keeps this
	// pass cheap; the table itself comes from the seeded stream.
	var table [4096]int16
	for i := range table {
		table[i] = int16(math.Round(d.rng.NormFloat64() * sd))
	}
	state := d.rng.Uint64() | 1
	next := func() int {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		return int(table[state&4095])
	}
	for i := 0; i < len(c.white.Pix); i += 4 {
		for ch := 0; ch < 3; ch++ {
			c.white.Pix[i+ch] = clampU8(int(c.white.Pix[i+ch]) + next())
			c.uv.Pix[i+ch] = clampU8(int(c.uv.Pix[i+ch]) + next())
		}
	}
	for i := range c.ir.Pix {
		c.ir.Pix[i] = clampU8(int(c.ir.Pix[i]) + next())
	}
}

// jpegCanvas passes every image through JPEG compression at quality q.
func jpegCanvas(c *canvas, q int) {
	round := func(im image.Image) image.Image {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, im, &jpeg.Options{Quality: q}); err != nil {
			panic(fmt.Sprintf("sim: jpeg encode: %v", err)) // in-memory encoding of a valid image
		}
		out, err := jpeg.Decode(&buf)
		if err != nil {
			panic(fmt.Sprintf("sim: jpeg decode of our own output: %v", err))
		}
		return out
	}
	c.white = devices.ToRGBA(round(c.white))
	c.uv = devices.ToRGBA(round(c.uv))
	c.ir = devices.ToGray(round(c.ir))
}
