// Package deblur measures and undoes the Gaussian-like blur of printed
// text images (defocus, a low resolution enlarged): Sigma estimates it
// from the steepest edges, Deblur undoes it by Richardson-Lucy iterations.
// mrz/ocr/viz deblurs field crops before Tesseract reads them;
// engine/docauth before it cuts a blurred value into glyphs.
package deblur

import (
	"image"
	"math"

	"checkpost/internal/histogram"
)

// Sigma estimates the standard deviation, in pixels, of the Gaussian
// blur of a field image's print (defocus, a low resolution enlarged):
// across a step edge from paper to ink blurred by sigma, the steepest
// slope is the contrast over sigma*sqrt(2*pi). The contrast is the paper
// (90th percentile) less the ink (2nd percentile); the slope that of the
// steepest edges (the 99th percentile of the gradient's magnitude, over
// the pixels where there is a gradient at all). It returns 0 for an image
// without contrast. A sharp print measures about 0.6 to 1 pixel.
func Sigma(g *image.Gray) float64 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w < 5 || h < 5 {
		return 0
	}
	var hist [256]int
	for y := 0; y < h; y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			hist[v]++
		}
	}
	lo, hi := histogram.Quantile(hist[:], w*h, 0.02), histogram.Quantile(hist[:], w*h, 0.90)
	c := float64(hi - lo)
	if c < 24 {
		return 0
	}
	// Magnitudes in half grey levels per pixel (twice the central
	// difference), counted: at most 255*sqrt(2)*2.
	var mags [724]int
	n, floor := 0, int(c/8)
	for y := 1; y < h-1; y++ {
		row := g.Pix[y*g.Stride:]
		up, down := g.Pix[(y-1)*g.Stride:], g.Pix[(y+1)*g.Stride:]
		for x := 1; x < w-1; x++ {
			gx := int(row[x+1]) - int(row[x-1])
			gy := int(down[x]) - int(up[x])
			m := int(math.Sqrt(float64(gx*gx + gy*gy)))
			if m > floor {
				mags[m]++
				n++
			}
		}
	}
	if n < 20 {
		return 0
	}
	top := float64(histogram.Quantile(mags[:], n, 0.99)) / 2
	return c / (top * math.Sqrt(2*math.Pi))
}

// Deblur undoes a blur of standard deviation sigma pixels by iters
// Richardson-Lucy iterations (the estimate is corrected, pixel by pixel,
// by the blurred ratio of the image to the estimate blurred), the blur
// taken as three box filters of about that variance (as a Gaussian, and
// at a cost that does not grow with sigma), on the image extended by its
// edge pixels so that the print near the edges is not darkened by a
// border.
func Deblur(g *image.Gray, sigma float64, iters int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	radii := boxRadii(sigma)
	pad := radii[0] + radii[1] + radii[2]
	W, H := w+2*pad, h+2*pad
	obs := make([]float32, W*H)
	for y := 0; y < H; y++ {
		sy := min(max(y-pad, 0), h-1)
		for x := 0; x < W; x++ {
			sx := min(max(x-pad, 0), w-1)
			// Levels from 1: the ratio never divides by 0.
			obs[y*W+x] = float32(g.Pix[sy*g.Stride+sx]) + 1
		}
	}
	est := append([]float32(nil), obs...)
	ratio := make([]float32, W*H)
	tmp := make([]float32, W*H)
	line := make([]float32, max(W, H)+W)
	for it := 0; it < iters; it++ {
		boxBlur3(est, ratio, tmp, line, W, H, radii)
		for i := range ratio {
			ratio[i] = obs[i] / max(ratio[i], 1e-3)
		}
		boxBlur3(ratio, ratio, tmp, line, W, H, radii)
		for i := range est {
			est[i] *= ratio[i]
		}
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := est[(y+pad)*W+x+pad] - 1
			out.Pix[y*out.Stride+x] = uint8(min(255, max(0, v+0.5)))
		}
	}
	return out
}

// Deblurring a printed field (Blurred): a print measured blurrier than
// Above pixels is deblurred by Iters iterations for a blur of Scale times
// the measured sigma less that of a sharp print (SharpSigma, in
// quadrature); mrz/ocr/viz then steepens it. Sigma measures less
// than the blur (0.25 mm of defocus at 11.8 px/mm, a sigma of 3 pixels,
// measures 2 to 2.6: thin strokes blurred lose contrast), hence the
// scale. Chosen on the blurred field crops of eval docauth's tuning
// seeds 11000000-11003999 (classes none and field-altered, random
// degradations): the altered field differed from the MRZ on 196 of 203
// crops (176 undeblurred), no genuine field did of 966 (none
// undeblurred); 10 iterations, or the sigma as measured, or a Gaussian
// blur without steepen, made one or two genuine fields differ.
const (
	Above      = 1.4
	Scale      = 1.3
	SharpSigma = 0.8
	Iters      = 5
)

// Blurred returns a printed field's image deblurred, or nil when it
// measures no blurrier than Above.
func Blurred(g *image.Gray) *image.Gray {
	s := Sigma(g)
	if s <= Above {
		return nil
	}
	return Deblur(g, math.Sqrt(Scale*Scale*s*s-SharpSigma*SharpSigma), Iters)
}

// boxRadii returns the radii of three box filters whose successive
// application has about the variance of a Gaussian of standard deviation
// sigma (a box of radius r has variance r(r+1)/3).
func boxRadii(sigma float64) [3]int {
	best, bestErr := [3]int{1, 1, 1}, math.Inf(1)
	v := sigma * sigma
	for a := 0; a <= 12; a++ {
		for b := a; b <= 12; b++ {
			for c := b; c <= a+1; c++ {
				e := math.Abs(float64(a*(a+1)+b*(b+1)+c*(c+1))/3 - v)
				if e < bestErr {
					best, bestErr = [3]int{a, b, c}, e
				}
			}
		}
	}
	return best
}

// boxBlur3 blurs src (w x h) into dst (which may be src) by three box
// filters of the given radii along both axes, through tmp (w*h) and line
// (max(w, h), and w more); the edges repeat their pixels.
func boxBlur3(src, dst, tmp, line []float32, w, h int, radii [3]int) {
	copy(dst, src)
	buf, sum := line[:max(w, h)], line[max(w, h):max(w, h)+w]
	for _, r := range radii {
		if r == 0 {
			continue
		}
		inv := 1 / float32(2*r+1)
		for y := 0; y < h; y++ {
			boxLine(dst[y*w:y*w+w], r, inv, buf)
		}
		// Down the columns, all at once: a running sum per column over
		// the window of rows.
		copy(tmp, dst)
		row := func(y int) []float32 { y = min(max(y, 0), h-1); return tmp[y*w : y*w+w] }
		clear(sum)
		for k := -r; k <= r; k++ {
			for x, v := range row(k) {
				sum[x] += v
			}
		}
		for y := 0; y < h; y++ {
			out := dst[y*w : y*w+w]
			for x, v := range sum {
				out[x] = v * inv
			}
			add, sub := row(y+r+1), row(y-r)
			for x := range sum {
				sum[x] += add[x] - sub[x]
			}
		}
	}
}

// boxLine replaces the values of p by their means over a window of
// radius r (inv is 1/(2r+1)), through buf.
func boxLine(p []float32, r int, inv float32, buf []float32) {
	n := len(p)
	copy(buf, p)
	var sum float32
	for k := -r; k <= r; k++ {
		sum += buf[min(max(k, 0), n-1)]
	}
	for i := 0; i < n; i++ {
		p[i] = sum * inv
		sum += buf[min(i+r+1, n-1)] - buf[max(i-r, 0)]
	}
}

// GaussianKernel returns the weights, summing to 1, of a Gaussian of
// sigma samples out to 3 sigma either side, at most maxRadius.
func GaussianKernel(sigma float64, maxRadius int) []float32 {
	r := min(int(math.Ceil(3*sigma)), maxRadius)
	k := make([]float32, 2*r+1)
	var sum float32
	for i := range k {
		d := float64(i - r)
		k[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}
