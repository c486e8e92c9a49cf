package biometric

import (
	"image"
	"math"
)

// ResizeGray resamples src to w × h pixels with a separable Lanczos-3
// filter. When shrinking, the filter is widened by the scale factor so
// that it also low-passes (no aliasing of fine ridges); edges are extended
// by repeating the border pixels.
func ResizeGray(src *image.Gray, w, h int) *image.Gray {
	b := src.Bounds()
	return resample(src, w, h, float64(b.Dx())/float64(max(w, 1)), float64(b.Dy())/float64(max(h, 1)))
}

// resample maps output pixel centre (x+0.5, y+0.5) to input position
// ((x+0.5)·sx, (y+0.5)·sy): scaling by an exact factor keeps coordinates
// exact (a point at p in the input is at p/sx in the output) whatever the
// rounding of the output size.
func resample(src *image.Gray, w, h int, sx, sy float64) *image.Gray {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, max(w, 0), max(h, 0)))
	if sw == 0 || sh == 0 || w <= 0 || h <= 0 {
		return out
	}
	cols := lanczosTaps(sw, w, sx)
	rows := lanczosTaps(sh, h, sy)

	// Horizontal pass into a float buffer of sh × w, then vertical.
	tmp := make([]float32, sh*w)
	for y := 0; y < sh; y++ {
		line := src.Pix[y*src.Stride : y*src.Stride+sw]
		dst := tmp[y*w : (y+1)*w]
		for x := range dst {
			var s float32
			for k, i := range cols.index[cols.start[x]:cols.start[x+1]] {
				s += cols.weight[cols.start[x]+k] * float32(line[i])
			}
			dst[x] = s
		}
	}
	acc := make([]float32, w)
	for y := 0; y < h; y++ {
		clear(acc)
		for k, i := range rows.index[rows.start[y]:rows.start[y+1]] {
			wt := rows.weight[rows.start[y]+k]
			line := tmp[int(i)*w : (int(i)+1)*w]
			for x, v := range line {
				acc[x] += wt * v
			}
		}
		dst := out.Pix[y*out.Stride : y*out.Stride+w]
		for x, v := range acc {
			dst[x] = clampByte(v)
		}
	}
	return out
}

func clampByte(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// taps holds, for every output sample, the input indices and normalised
// weights of the filter: those of output o are at [start[o], start[o+1]).
type taps struct {
	start  []int
	index  []int32
	weight []float32
}

func lanczosTaps(in, out int, scale float64) taps {
	const a = 3 // lobes
	stretch := math.Max(scale, 1)
	support := a * stretch
	t := taps{start: make([]int, out+1)}
	for o := 0; o < out; o++ {
		center := (float64(o)+0.5)*scale - 0.5
		lo, hi := int(math.Ceil(center-support)), int(math.Floor(center+support))
		first := len(t.weight)
		var sum float64
		for i := lo; i <= hi; i++ {
			wt := lanczos((float64(i)-center)/stretch, a)
			if wt == 0 {
				continue
			}
			t.index = append(t.index, int32(min(max(i, 0), in-1)))
			t.weight = append(t.weight, float32(wt))
			sum += wt
		}
		if sum != 0 {
			for k := first; k < len(t.weight); k++ {
				t.weight[k] = float32(float64(t.weight[k]) / sum)
			}
		}
		t.start[o+1] = len(t.weight)
	}
	return t
}

func lanczos(x float64, a float64) float64 {
	if x == 0 {
		return 1
	}
	if x <= -a || x >= a {
		return 0
	}
	px := math.Pi * x
	return a * math.Sin(px) * math.Sin(px/a) / (px * px)
}
