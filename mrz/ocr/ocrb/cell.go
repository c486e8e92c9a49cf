package ocrb

import (
	"image"
	"math"
)

// The geometry of a cell. A line is rectified so that its pitch (one
// character's advance, 2.54 mm at 10 characters per inch) is Pitch
// pixels; a cell is the CellW x CellH window centred on the character's
// advance box horizontally and on the capitals' middle vertically.
const (
	Pitch     = 16
	CellW     = 16
	CellH     = 22
	CellSize  = CellW * CellH
	minSpread = 24 // grey levels below which a cell is read as flat
)

// Cell is a normalised cell: ink 1, paper 0, row by row.
type Cell [CellSize]float32

// CellStats describes the cell's raw contrast, for a caller that wants to
// know whether there was anything to read.
type CellStats struct {
	// Ink and Paper are the grey levels taken as ink and paper (the 3rd
	// and 90th percentiles of the window).
	Ink, Paper float32
}

// ExtractCell samples the window centred at (cx, cy) of g, a line
// rectified to Pitch pixels per character (pixel centres at +0.5), into
// c, and normalises it so that the cell's ink is 1 and its paper 0.
// Samples outside g repeat its border. It allocates nothing.
func ExtractCell(g *image.Gray, cx, cy float64, c *Cell) CellStats {
	return ExtractCellScaled(g, cx, cy, 1, c)
}

// CapHeight is the height of the capitals in a cell, in cell pixels, as
// the training renders them on average (the font's cap height at a size
// of one pitch).
const CapHeight = 15.2

// ExtractCellScaled is ExtractCell for a line whose characters are sy
// times as tall as they are wide apart (a zone seen in perspective is
// foreshortened more along one axis than the other): the window is
// sampled sy rectified pixels per cell row, so that the capitals fill
// the cell as CapHeight rows, as in training.
func ExtractCellScaled(g *image.Gray, cx, cy, sy float64, c *Cell) CellStats {
	var raw [CellSize]float32
	var hist [256]uint16
	b := g.Bounds()
	x0 := cx - CellW/2
	y0 := cy - CellH/2*sy
	for j := 0; j < CellH; j++ {
		// The window's pixel centre x0+i+0.5 is x0+i in pixel-index terms.
		y := y0 + float64(j)*sy - float64(b.Min.Y)
		for i := 0; i < CellW; i++ {
			x := x0 + float64(i) - float64(b.Min.X)
			v := bilinear(g, x, y)
			raw[j*CellW+i] = v
			hist[uint8(v+0.5)]++
		}
	}
	ink := percentile(&hist, CellSize*3/100)
	paper := percentile(&hist, CellSize*90/100)
	spread := paper - ink
	if spread < minSpread {
		spread = minSpread
	}
	inv := 1 / spread
	for k, v := range raw {
		x := (paper - v) * inv
		if x < 0 {
			x = 0
		} else if x > 1 {
			x = 1
		}
		c[k] = x
	}
	return CellStats{Ink: ink, Paper: paper}
}

func percentile(h *[256]uint16, rank int) float32 {
	n := 0
	for v, k := range h {
		n += int(k)
		if n > rank {
			return float32(v)
		}
	}
	return 255
}

// bilinear samples g at (x, y) in pixel-index coordinates relative to
// g's origin (the centre of pixel (i, j) is (i, j)), clamping at the border.
func bilinear(g *image.Gray, x, y float64) float32 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w == 0 || h == 0 {
		return 255
	}
	x = math.Max(0, math.Min(x, float64(w-1)))
	y = math.Max(0, math.Min(y, float64(h-1)))
	ix, iy := int(x), int(y)
	fx, fy := float32(x-float64(ix)), float32(y-float64(iy))
	ix1, iy1 := min(ix+1, w-1), min(iy+1, h-1)
	p := g.Pix
	s := g.Stride
	a := float32(p[iy*s+ix])*(1-fx) + float32(p[iy*s+ix1])*fx
	bb := float32(p[iy1*s+ix])*(1-fx) + float32(p[iy1*s+ix1])*fx
	return a*(1-fy) + bb*fy
}
