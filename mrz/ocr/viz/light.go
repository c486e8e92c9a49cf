package viz

import (
	"image"
	"sort"
)

// evenLight undoes uneven light across a field image: a glare that
// lightens the print towards white (the paper and the ink alike: v ->
// v + (255-v)*g) and shading that darkens it (v -> v*f). The paper's
// level is taken per column (the 90th percentile of the column, smoothed
// over half the image's height either side: a glare spot on a page is 5
// mm wide or more, a field's crop 5 mm high); the paper's true level is that
// of the columns neither lit nor shaded (the median column). A column
// whose paper is lighter is taken as under glare and a column whose paper
// is darker as shaded, and its levels are mapped back, the glare's gain
// bounded by maxGlareGain. Nothing is done when the paper is even (within
// evenWithin grey levels). The global stretch that follows had left the
// print under a glare as white as the paper ("07 FEB 1956" read "07 F").
func evenLight(g *image.Gray) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w < 2*h || h < 6 {
		return
	}
	// The 90th percentile of each column, counted down from white.
	var count [256]int
	paper := make([]float64, w)
	top := h - 1 - h*9/10 // pixels lighter than the percentile
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			count[g.Pix[y*g.Stride+x]]++
		}
		n, v := 0, 255
		for ; v > 0; v-- {
			if n += count[v]; n > top {
				break
			}
		}
		paper[x] = float64(v)
		for y := 0; y < h; y++ {
			count[g.Pix[y*g.Stride+x]] = 0
		}
	}
	// Smoothed by a running mean over half the image's height either
	// side.
	r := max(1, h/2)
	smooth := make([]float64, w)
	sum, n := 0.0, 0
	for x := 0; x < min(r, w); x++ {
		sum += paper[x]
		n++
	}
	for x := 0; x < w; x++ {
		if x+r < w {
			sum += paper[x+r]
			n++
		}
		if x-r-1 >= 0 {
			sum -= paper[x-r-1]
			n--
		}
		smooth[x] = sum / float64(n)
	}
	sorted := append([]float64(nil), smooth...)
	sort.Float64s(sorted)
	ref := sorted[len(sorted)/2]
	if sorted[len(sorted)-1]-sorted[0] < evenWithin || ref < 32 {
		return
	}
	for x := 0; x < w; x++ {
		p := smooth[x]
		var gain, off float64 // v' = (v - off) * gain
		switch {
		case p > ref:
			// v2 = 255 g + (1-g) v: the glare's g from the paper.
			gl := min((p-ref)/(255-ref), 1-1/maxGlareGain)
			gain, off = 1/(1-gl), 255*gl
		default:
			gain, off = ref/max(p, 1), 0
		}
		for y := 0; y < h; y++ {
			i := y*g.Stride + x
			v := (float64(g.Pix[i]) - off) * gain
			g.Pix[i] = uint8(min(255, max(0, v+0.5)))
		}
	}
}

// Light evening: a paper level varying by less than evenWithin grey
// levels across a field is left as it is; a glare is undone by at most
// maxGlareGain times the contrast.
const (
	evenWithin   = 16
	maxGlareGain = 6
)
