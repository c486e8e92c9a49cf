package sim

import (
	"image"
	"image/draw"

	"golang.org/x/image/math/fixed"
)

// glyphViaSfnt rasterises r with x/image's own CFF reader (nil when it
// fails), for comparing with cffFont.
func (t *typeface) glyphViaSfnt(r rune) *image.Alpha {
	dr, mask, mp, _, ok := t.face.Glyph(fixed.Point26_6{}, r)
	if !ok || dr.Empty() {
		return nil
	}
	a := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
	draw.Draw(a, a.Bounds(), mask, mp, draw.Src)
	return a
}
