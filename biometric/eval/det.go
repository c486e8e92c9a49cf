package eval

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// DET axes: normal-deviate (probit) scales, as in Martin et al. 1997, from
// detMin to detMax on both axes.
const (
	detMin = 1e-4
	detMax = 0.5
)

var detTicks = []float64{1e-4, 1e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5}

// probit is the normal deviate of p, clamped to the plot's range.
func probit(p float64) float64 {
	p = math.Min(math.Max(p, detMin), detMax)
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// WriteDET draws the DET curve (FNMR against FMR) of one or more score
// sets as an SVG image: normal-deviate axes, the equal-error diagonal, and
// each curve's EER marked. names label the curves.
func WriteDET(w io.Writer, title string, names []string, rates []*Rates) error {
	const (
		W, H     = 560.0, 520.0
		left     = 70.0
		right    = 20.0
		top      = 40.0
		bottom   = 60.0
		plotW    = W - left - right
		plotH    = H - top - bottom
		fontAttr = `font-family="sans-serif" font-size="12"`
	)
	lo, hi := probit(detMin), probit(detMax)
	px := func(p float64) float64 { return left + (probit(p)-lo)/(hi-lo)*plotW }
	py := func(p float64) float64 { return top + plotH - (probit(p)-lo)/(hi-lo)*plotH }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`+"\n", W, H, W, H)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="24" %s font-size="15" text-anchor="middle">%s</text>`+"\n", W/2, fontAttr, xmlEscape(title))
	for _, t := range detTicks {
		x, y := px(t), py(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x, top, x, top+plotH)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, y, left+plotW, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" %s text-anchor="middle">%s</text>`+"\n", x, top+plotH+16, fontAttr, pct(t))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" %s text-anchor="end">%s</text>`+"\n", left-6, y+4, fontAttr, pct(t))
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="black"/>`+"\n", left, top, plotW, plotH)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4 4"/>`+"\n", px(detMin), py(detMin), px(detMax), py(detMax))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" %s text-anchor="middle">false match rate (FMR)</text>`+"\n", left+plotW/2, H-18, fontAttr)
	fmt.Fprintf(&b, `<text x="18" y="%.1f" %s text-anchor="middle" transform="rotate(-90 18 %.1f)">false non-match rate (FNMR)</text>`+"\n", top+plotH/2, fontAttr, top+plotH/2)
	colours := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}
	for k, r := range rates {
		col := colours[k%len(colours)]
		fmr, fnmr := r.DET()
		var pts []string
		for i := range fmr {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(fmr[i]), py(fnmr[i])))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", col, strings.Join(pts, " "))
		eer := r.EER()
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>`+"\n", px(eer), py(eer), col)
		name := ""
		if k < len(names) {
			name = names[k]
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" %s fill="%s">%s  EER %.2f%%</text>`+"\n", left+plotW-180, top+20+16*float64(k), fontAttr, col, xmlEscape(name), 100*eer)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func pct(p float64) string {
	s := fmt.Sprintf("%g%%", 100*p)
	return s
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}
