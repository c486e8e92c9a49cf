package extract

import (
	"image"
	"image/color"
	"math"
)

// Stages renders the intermediate products of the last Extract call, for
// the review page and for debugging: "mask" (foreground blocks over the
// image), "enhanced" (the Gabor response, ridges dark), "skeleton" (the
// thinned ridges in grey, kept minutiae in red for endings and blue for
// bifurcations with a tick in their direction, removed candidates in
// yellow). Nothing is kept or rendered unless asked.
func (e *Extractor) Stages() map[string]image.Image {
	if e.w == 0 {
		return nil
	}
	r := image.Rect(0, 0, e.w, e.h)
	mask := image.NewGray(r)
	enh := image.NewGray(r)
	sk := image.NewRGBA(r)
	for y := 0; y < e.h; y++ {
		for x := 0; x < e.w; x++ {
			i := (y+pad)*e.W + x + pad
			v := e.img[i]
			if !e.mask[(y/blockSize)*e.bw+x/blockSize] {
				v = v/3 + 170
			}
			mask.Pix[y*mask.Stride+x] = uint8(min(max(v, 0), 255))
			enh.Pix[y*enh.Stride+x] = uint8(min(max(128+e.enh[i]*60, 0), 255))
			c := color.RGBA{255, 255, 255, 255}
			if e.bin[i] != 0 {
				c = color.RGBA{90, 90, 90, 255}
			}
			sk.SetRGBA(x, y, c)
		}
	}
	for i := range e.nodes {
		n := &e.nodes[i]
		c := color.RGBA{230, 0, 0, 255}
		if n.kind == nodeJunction {
			c = color.RGBA{0, 0, 230, 255}
		}
		if n.removed {
			c = color.RGBA{230, 200, 0, 255}
		}
		x, y := int(n.x+0.5), int(n.y+0.5)
		for d := -2; d <= 2; d++ {
			sk.SetRGBA(x+d, y-2, c)
			sk.SetRGBA(x+d, y+2, c)
			sk.SetRGBA(x-2, y+d, c)
			sk.SetRGBA(x+2, y+d, c)
		}
		if !n.removed {
			for t := 3; t <= 9; t++ {
				sk.SetRGBA(x+int(math.Round(float64(n.dx)*float64(t))), y+int(math.Round(float64(n.dy)*float64(t))), c)
			}
		}
	}
	return map[string]image.Image{"mask": mask, "enhanced": enh, "skeleton": sk}
}
