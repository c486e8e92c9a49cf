package deblur

import (
	"image"
	"math"
	"testing"
)

// bars draws dark vertical bars 4 px wide every 10 px on light paper,
// blurred by three box passes of radius r (r 0: sharp).
func bars(r int) *image.Gray {
	w, h := 120, 40
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(230)
			if x%10 < 4 && x > 10 && x < 110 && y > 8 && y < 32 {
				v = 30
			}
			g.Pix[y*g.Stride+x] = v
		}
	}
	for pass := 0; pass < 3 && r > 0; pass++ {
		out := image.NewGray(g.Rect)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				s, n := 0, 0
				for yy := max(0, y-r); yy <= min(h-1, y+r); yy++ {
					for xx := max(0, x-r); xx <= min(w-1, x+r); xx++ {
						s += int(g.Pix[yy*g.Stride+xx])
						n++
					}
				}
				out.Pix[y*out.Stride+x] = uint8(s / n)
			}
		}
		g = out
	}
	return g
}

// TestSigmaAndDeblur: the measured blur grows with the blur; a sharp
// print is left alone by Blurred; a blurred one comes back sharper.
func TestSigmaAndDeblur(t *testing.T) {
	sharp, some, much := Sigma(bars(0)), Sigma(bars(1)), Sigma(bars(2))
	if !(sharp < some && some < much) {
		t.Fatalf("sigma %.2f, %.2f, %.2f: want growing with the blur", sharp, some, much)
	}
	if Blurred(bars(0)) != nil {
		t.Errorf("a sharp print (sigma %.2f) deblurred", sharp)
	}
	d := Blurred(bars(2))
	if d == nil {
		t.Fatalf("a blurred print (sigma %.2f) not deblurred", much)
	}
	if s := Sigma(d); s >= much {
		t.Errorf("deblurred sigma %.2f, blurred %.2f", s, much)
	}
	if Sigma(image.NewGray(image.Rect(0, 0, 50, 20))) != 0 {
		t.Error("a blank image has a blur")
	}
}

// TestGaussianKernel: weights summing to 1, symmetric, 3 sigma either
// side, a Gaussian's ratios, and the radius capped.
func TestGaussianKernel(t *testing.T) {
	k := GaussianKernel(1, 10)
	if len(k) != 7 {
		t.Fatalf("sigma 1: %d weights, want 7", len(k))
	}
	var sum float32
	for i, v := range k {
		sum += v
		if v != k[len(k)-1-i] {
			t.Errorf("weight %d %.4f, its mirror %.4f", i, v, k[len(k)-1-i])
		}
	}
	if math.Abs(float64(sum)-1) > 1e-6 {
		t.Errorf("weights sum to %.6f", sum)
	}
	if r := float64(k[4] / k[3]); math.Abs(r-math.Exp(-0.5)) > 1e-5 {
		t.Errorf("neighbour %.5f of the centre, want %.5f", r, math.Exp(-0.5))
	}
	if k := GaussianKernel(20, 5); len(k) != 11 {
		t.Errorf("radius capped at 5: %d weights", len(k))
	}
}
