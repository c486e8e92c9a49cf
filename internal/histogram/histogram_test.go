package histogram

import "testing"

func TestQuantile(t *testing.T) {
	// Ten pixels: four of level 2, five of level 7, one of level 200.
	hist := make([]int, 256)
	hist[2], hist[7], hist[200] = 4, 5, 1
	for _, c := range []struct {
		q    float64
		want int
	}{{0, 2}, {0.3, 2}, {0.45, 7}, {0.9, 7}, {1, 200}} {
		if got := Quantile(hist, 10, c.q); got != c.want {
			t.Errorf("Quantile(%v) = %d, want %d", c.q, got, c.want)
		}
	}
	// A histogram that holds fewer pixels than n answers its top level.
	if got := Quantile(make([]int, 256), 10, 0.5); got != 255 {
		t.Errorf("empty histogram: %d, want 255", got)
	}
}
