package viz

import (
	"image"

	rl "checkpost/internal/deblur"
)

// blurSigma is internal/deblur's (docauth deblurs too, before it cuts a
// value into glyphs).
func blurSigma(g *image.Gray) float64 { return rl.Sigma(g) }
