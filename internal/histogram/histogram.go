// Package histogram holds small helpers over grey-level histograms that
// several image stages share.
package histogram

// Quantile returns the grey level below which a share q of the n pixels
// counted in hist lie (hist[v] is the number of pixels of level v).
func Quantile(hist []int, n int, q float64) int {
	k, c := int(q*float64(n-1)), 0
	for v, h := range hist {
		c += h
		if c > k {
			return v
		}
	}
	return len(hist) - 1
}
