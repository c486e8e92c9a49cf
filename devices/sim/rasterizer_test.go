package sim

import "golang.org/x/image/vector"

func newTestRasterizer() *vector.Rasterizer { return vector.NewRasterizer(64, 64) }
