package viz

import (
	"image"
	"image/color"

	rl "checkpost/internal/deblur"
	"checkpost/internal/histogram"
)

// prepare turns a field image into what Tesseract reads best: grey,
// its light evened out (a glare, shading), deblurred when its print is
// blurred (defocus, a low resolution
// enlarged), stretched so that the paper is white and the ink black
// (background art and a dim capture fade), background art far to the
// right of the value whitened, at least minHeight pixels high, with a
// white border.
func prepare(im image.Image) (*image.Gray, error) {
	return prepareView(im, true)
}

// prepareView is prepare, deblurring a blurred print only when told
// (tests compare the two).
func prepareView(im image.Image, deblurBlurred bool) (*image.Gray, error) {
	b := im.Bounds()
	if b.Dx() < 8 || b.Dy() < 6 {
		return nil, errTooSmall
	}
	if b.Dx()*b.Dy() > maxPixels/4 {
		return nil, errTooSmall // not a field: ReadPage is for pages
	}
	g := toGray(im)
	evenLight(g)
	if deblurBlurred {
		if d := rl.Blurred(g); d != nil {
			g = d
			steepen(g)
		}
	}
	stretch(g)
	band := trimRows(g)
	trimLeft(g, band)
	trimRight(g, band)
	scale := 1
	// band is 0 when no line of text was found (a lone letter whose
	// middle row is blank on the left): only the image's height counts
	// then (this loop never ended on such a field).
	for b.Dy()*scale < minHeight || band > 0 && band*scale < minText {
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

// minText is the least height of the line of text (capitals) handed to
// Tesseract: its LSTM reads small print badly (a 186-ppi scan's values
// are about 16 pixels high).
const minText = 24

// steepen maps a deblurred print's grey levels (between the ink, 2nd
// percentile, and the paper, 90th) through a line three times as steep,
// centred half way between them: the edge of a blurred stroke lies at
// half its contrast, and stretch's curve, which whitens only the upper
// two fifths, left blurred strokes fat and touching.
func steepen(g *image.Gray) {
	var hist [256]int
	for _, v := range g.Pix {
		hist[v]++
	}
	lo, hi := histogram.Quantile(hist[:], len(g.Pix), 0.02), histogram.Quantile(hist[:], len(g.Pix), 0.90)
	if hi-lo < 24 {
		return
	}
	var lut [256]uint8
	for v := range lut {
		x := (float64(v-lo)/float64(hi-lo) - 0.5) * steepness
		lut[v] = uint8(min(255, max(0, (x+0.5)*float64(hi-lo)+float64(lo))))
	}
	for i, v := range g.Pix {
		g.Pix[i] = lut[v]
	}
}

// steepness is the slope of steepen's line.
const steepness = 3

// trimRows whitens the rows above and below the band of rows holding the
// middle row's ink when a blank row parts them from it: a caption's
// descenders above, the next caption's tops below.
func trimRows(g *image.Gray) (band int) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// Rows are judged on the left third, where the value starts and
	// background art is thinner than the print.
	inked := func(y int) bool {
		row := g.Pix[y*g.Stride : y*g.Stride+max(1, w/3)]
		n := 0
		for _, v := range row {
			if v < 128 {
				n++
			}
		}
		return n > 0
	}
	mid := h / 2
	if !inked(mid) {
		return 0
	}
	top, bot := mid, mid
	for top > 0 && inked(top-1) {
		top--
	}
	for bot < h-1 && inked(bot+1) {
		bot++
	}
	if bot-top+1 < h/4 {
		return 0 // a thin band: not a line of text
	}
	for y := 0; y < h; y++ {
		if y >= top && y <= bot {
			continue
		}
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		for x := range row {
			row[x] = 255
		}
	}
	return bot - top + 1
}

// trimLeft whitens a narrow run of ink near the image's left edge
// followed by a blank gap: the end of something printed before the field
// (a caption's last letter, a frame), never the value, which starts after
// the crop's margin.
func trimLeft(g *image.Gray, band int) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// Columns are judged on every row (those outside the value's band
	// are white by now), so that the strokes of one letter (U, H, M)
	// join.
	inked := func(x int) bool { return inkedColumn(g, x) }
	start := 0
	for start < w && start < h/3 && !inked(start) {
		start++
	}
	if start >= h/3 || w < 8 || band == 0 {
		return
	}
	end := start
	for end < w && inked(end) {
		end++
	}
	gap := 0
	for end+gap < w && !inked(end+gap) {
		gap++
	}
	// The gap must be wider than a space between letters ("I" of
	// "IONESCU" stays).
	if (end-start)*3 >= band || gap < max(2, band*3/10) || end+gap >= w {
		return
	}
	// With half the gap: the mark's grey rim goes too.
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride:]
		for x := 0; x < end+gap/2; x++ {
			row[x] = 255
		}
	}
}

// trimRight whitens what lies beyond a blank gap of more than
// rightGap times the line's height after the first ink: the value ends
// there (the words of a value are parted by about half a line's height),
// and background art left by the stretch far to its right made
// Tesseract answer nothing for the whole line ("KIM" with art residue
// 200 pixels to its right).
func trimRight(g *image.Gray, band int) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if band == 0 {
		return
	}
	inked := func(x int) bool { return inkedColumn(g, x) }
	x := 0
	for x < w && !inked(x) {
		x++
	}
	gap := 0
	for ; x < w; x++ {
		if inked(x) {
			gap = 0
			continue
		}
		gap++
		if gap > rightGap*band {
			break
		}
	}
	if x >= w {
		return
	}
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		for i := x; i < w; i++ {
			row[i] = 255
		}
	}
}

// rightGap is the blank gap, in line heights, after which trimRight
// takes the rest of a field image for background art.
const rightGap = 3

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

// whiteAbove is the stretched grey level above which a pixel is paper.
const whiteAbove = 150

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
	// Paper and the lighter half of the art become white: the values are
	// printed in dark ink, the background art in light tints.
	var lut [256]uint8
	for v := range lut {
		x := (v - lo) * 255 / (hi - lo)
		if x > whiteAbove {
			x = 255
		}
		lut[v] = uint8(min(255, max(0, x)))
	}
	for i, v := range g.Pix {
		g.Pix[i] = lut[v]
	}
}

// inkedColumn tells whether column x of g has a dark (ink) pixel on any
// row.
func inkedColumn(g *image.Gray, x int) bool {
	h := g.Rect.Dy()
	for y := 0; y < h; y++ {
		if g.Pix[y*g.Stride+x] < 128 {
			return true
		}
	}
	return false
}
