package extract

import (
	"math"
	"testing"

	"checkpost/biometric"
)

// The ridge map says where the ridges are: the wave each cell's code
// describes (normal, phase, the block's period) is positive on the pixels
// the enhancement found ridge and negative on the valleys, over most of
// each sampled cell; and the map stays within its bounds.
func TestRidgeMapFollowsRidges(t *testing.T) {
	for _, rel := range []string{"DB1_B/101_1.tif", "DB2_B/103_2.tif"} {
		x := NewExtractor()
		tp, err := x.Extract(loadFVC(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		r := tp.Ridges
		if r == nil {
			t.Fatalf("%s: no ridge map", rel)
		}
		if r.Cell != ridgeCell || r.Cols*r.Rows > RidgeMaxCells || r.Cols > RidgeMaxSide || r.Rows > RidgeMaxSide ||
			r.PeriodCols()*r.PeriodRows() > RidgeMaxBlocks || len(r.Cells) != r.Cols*r.Rows || len(r.Periods) != r.PeriodCols()*r.PeriodRows() {
			t.Fatalf("%s: map of %dx%d cells of %d px, %d codes, %d periods", rel, r.Cols, r.Rows, r.Cell, len(r.Cells), len(r.Periods))
		}
		sampled, agree, total := 0, 0, 0
		for row := 0; row < r.Rows; row++ {
			for col := 0; col < r.Cols; col++ {
				code := r.Cells[row*r.Cols+col]
				if code>>4 == biometric.RidgeAbsent {
					continue
				}
				sampled++
				nu := float64(code>>4) * math.Pi / 15
				phi := float64(code&15) * math.Pi / 8
				per := float64(r.Periods[(row/2)*r.PeriodCols()+col/2]) / 16
				cx, cy := r.X0+col*r.Cell+r.Cell/2, r.Y0+row*r.Cell+r.Cell/2
				// The normal as an image vector (y down).
				nx, ny := math.Cos(nu), -math.Sin(nu)
				for dy := -r.Cell / 2; dy < r.Cell/2; dy++ {
					for dx := -r.Cell / 2; dx < r.Cell/2; dx++ {
						wave := math.Cos(2*math.Pi*(nx*float64(dx)+ny*float64(dy))/per - phi)
						if math.Abs(wave) < 0.5 {
							continue // near a ridge's edge
						}
						enh := x.enh[(cy+dy+pad)*x.W+cx+dx+pad]
						total++
						if (wave > 0) == (enh < 0) {
							agree++
						}
					}
				}
			}
		}
		share := float64(agree) / float64(total)
		t.Logf("%s: %dx%d cells, %d sampled; the waves' ridges and valleys agree with the enhanced image on %.1f%% of %d pixels",
			rel, r.Cols, r.Rows, sampled, 100*share, total)
		if sampled < r.Cols*r.Rows/2 || share < 0.85 {
			t.Errorf("%s: %d of %d cells sampled, %.1f%% agreement", rel, sampled, r.Cols*r.Rows, 100*share)
		}
	}
}
