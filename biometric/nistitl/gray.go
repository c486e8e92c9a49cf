package nistitl

import "image"

// image8 wraps 8-bit grey pixels (copied) in an image.
func image8(w, h int, pix []byte) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, pix)
	return g
}
