package docauth

import (
	"math"
	"testing"
)

// The page is found within 1 mm at every corner, whatever the degradation
// (the worst seen while tuning: 0.7 mm).
func TestFindPageOnDegradedCaptures(t *testing.T) {
	degs := []string{"none", "rotate", "perspective:0.9,light:0.9", "occlusion:0.9", "occlusion:0.9,rotate",
		"light:0.9,noise:14,jpeg:5", "resolution:150,defocus:0.27", "occlusion:0.9,light:0.9,perspective:0.9,rotate"}
	for _, model := range []string{"uto-passport", "uto-id-card", "uto-visa"} {
		for i, d := range degs {
			for _, forgery := range []string{"none", "portrait-substituted"} {
				c := render(t, model, uint64(3000+i), forgery, d)
				ppmm := c.PPI / 25.4
				for _, side := range []string{"front", "back"} {
					sd := sideOf(c, side)
					if sd == nil {
						continue
					}
					var truth [4]pt
					for _, r := range c.Truth.Regions {
						if r.Name == "page" && r.Side == side {
							for k, q := range r.Quad {
								truth[k] = pt{q.X, q.Y}
							}
						}
					}
					pq, ok := findPage(sd)
					if !ok {
						t.Errorf("%s %s %s [%s]: no page found", model, side, forgery, d)
						continue
					}
					best := math.Inf(1)
					for rot := 0; rot < 4; rot++ {
						m := 0.0
						for k := 0; k < 4; k++ {
							q := pq.corners[(k+rot)%4]
							m = math.Max(m, math.Hypot(q.X-truth[k].X, q.Y-truth[k].Y))
						}
						best = math.Min(best, m)
					}
					if best/ppmm > 1 {
						t.Errorf("%s %s %s [%s]: a corner %.2f mm off", model, side, forgery, d, best/ppmm)
					}
				}
			}
		}
	}
}
