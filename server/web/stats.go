package web

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"checkpost/server/store"
)

type chartView struct {
	Title string
	SVG   template.HTML
	Rows  []store.Count // the same numbers as a table
	Empty bool
}

type statsData struct {
	Days    int
	Choices []option
	S       *store.Stats
	PerDay  template.HTML
	Charts  []chartView
}

var statDays = []int{7, 14, 30, 90}

func (u *UI) handleStats(w http.ResponseWriter, r *http.Request) {
	if !u.needVault(w, r) {
		return
	}
	days := 14
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 366 {
			u.fail(w, r, http.StatusBadRequest, "days must be 1 to 366.")
			return
		}
		days = n
	}
	now := u.now().UTC()
	until := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	since := until.Add(-time.Duration(days) * 24 * time.Hour)
	st, err := u.vault.Stats(r.Context(), since, until)
	if err != nil {
		u.log.Error("stats", "err", err)
		u.fail(w, r, http.StatusInternalServerError, "The statistics could not be computed; it has been logged.")
		return
	}
	d := &statsData{Days: days, S: st, PerDay: perDayChart(st.PerDay)}
	for _, n := range statDays {
		d.Choices = append(d.Choices, option{Value: strconv.Itoa(n), Label: strconv.Itoa(n) + " days", Selected: n == days})
	}
	for _, c := range []struct {
		title string
		rows  []store.Count
	}{
		{"Referrals and alerts by reason", st.ByReason},
		{"Referrals and alerts by counter", st.ByCounter},
		{"Referrals and alerts by route or flight", st.ByRoute},
		{"Final decisions", append(st.Decisions, store.Count{Key: "(awaiting decision)", N: st.Undecided})},
		{"Actions taken with decisions", st.Actions},
	} {
		d.Charts = append(d.Charts, chartView{Title: c.title, SVG: barChart(c.title, c.rows), Rows: c.rows, Empty: total(c.rows) == 0})
	}
	u.render(w, r, http.StatusOK, "stats", page{Title: "Statistics", Nav: "stats", Data: d})
}

func total(rows []store.Count) int {
	n := 0
	for _, r := range rows {
		n += r.N
	}
	return n
}

// niceMax rounds a chart's top up to 1, 2 or 5 times a power of ten.
func niceMax(n int) int {
	if n <= 5 {
		return 5
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(n))))
	for _, m := range []float64{1, 2, 5, 10} {
		if float64(n) <= m*p {
			return int(m * p)
		}
	}
	return n
}

// Chart colours: dark enough on white for text contrast (WCAG AA 4.5:1)
// and told apart by more than hue (ALERT is hatched).
const (
	colClear = "#2f6f3e"
	colRefer = "#9a5b00"
	colAlert = "#b0202a"
	colBar   = "#1f4e8c"
)

// perDayChart draws the verifications per day as stacked columns.
func perDayChart(days []store.DayCount) template.HTML {
	const W, H, left, bottom, top = 900, 260, 48, 40, 16
	peak := 0
	for _, d := range days {
		peak = max(peak, d.Clear+d.Refer+d.Alert)
	}
	ymax := niceMax(peak)
	plotW, plotH := float64(W-left-10), float64(H-bottom-top)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="perday-t"><title id="perday-t">Verifications per day, CLEAR, REFER and ALERT stacked; highest day %d</title>`, W, H, peak)
	b.WriteString(`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="` + colAlert + `"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>`)
	// niceMax is 1, 2 or 5 times a power of ten, at least 5: five steps
	// fall on whole numbers.
	for i := 0; i <= 5; i++ {
		v := ymax * i / 5
		y := float64(top) + plotH - plotH*float64(v)/float64(ymax)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/><text x="%d" y="%.1f" class="tick" text-anchor="end">%d</text>`,
			left, W-10, y, y, left-6, y+4, v)
	}
	n := max(len(days), 1)
	slot := plotW / float64(n)
	bw := math.Max(slot*0.7, 1)
	every := max(1, int(math.Ceil(float64(n)/15)))
	for i, d := range days {
		x := float64(left) + slot*float64(i) + (slot-bw)/2
		y := float64(top) + plotH
		for _, part := range []struct {
			n    int
			fill string
			name string
		}{{d.Clear, colClear, "CLEAR"}, {d.Refer, colRefer, "REFER"}, {d.Alert, "url(#hatch)", "ALERT"}} {
			if part.n == 0 {
				continue
			}
			h := plotH * float64(part.n) / float64(ymax)
			y -= h
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d %s</title></rect>`,
				x, y, bw, h, part.fill, d.Day.Format("2 Jan"), part.n, part.name)
		}
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="tick" text-anchor="middle">%s</text>`, x+bw/2, H-bottom+16, d.Day.Format("2 Jan"))
		}
	}
	lx := left
	for _, l := range []struct{ fill, name string }{{colClear, "CLEAR"}, {colRefer, "REFER"}, {"url(#hatch)", "ALERT"}} {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" class="tick">%s</text>`, lx, H-14, l.fill, lx+16, H-4, l.name)
		lx += 90
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// barChart draws counts as horizontal bars, largest first (as given).
func barChart(title string, rows []store.Count) template.HTML {
	if len(rows) > 15 {
		rest := 0
		for _, r := range rows[14:] {
			rest += r.N
		}
		rows = append(append([]store.Count{}, rows[:14]...), store.Count{Key: "(others)", N: rest})
	}
	const W, label, row = 600, 220, 26
	H := max(len(rows), 1)*row + 10
	peak := 0
	for _, r := range rows {
		peak = max(peak, r.N)
	}
	ymax := niceMax(peak)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title>`, W, H, template.HTMLEscapeString(title), template.HTMLEscapeString(title))
	for i, r := range rows {
		y := 5 + i*row
		w := float64(W-label-60) * float64(r.N) / float64(ymax)
		name := r.Key
		if len(name) > 30 {
			name = name[:29] + "…"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick" text-anchor="end">%s</text>`, label-8, y+17, template.HTMLEscapeString(name))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %d</title></rect>`, label, y+4, w, row-8, colBar,
			template.HTMLEscapeString(r.Key), r.N)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="tick">%d</text>`, float64(label)+w+6, y+17, r.N)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
