package server

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Metrics is a small registry of counters, gauges and histograms with
// labels, written in the Prometheus text exposition format (version
// 0.0.4). It is safe for concurrent use; recording a sample takes one map
// lookup under a read lock and atomic adds.
type Metrics struct {
	mu       sync.RWMutex
	families map[string]*family
}

// NewMetrics makes an empty registry.
func NewMetrics() *Metrics { return &Metrics{families: map[string]*family{}} }

type metricKind string

const (
	kindCounter   metricKind = "counter"
	kindGauge     metricKind = "gauge"
	kindHistogram metricKind = "histogram"
)

type family struct {
	name    string
	help    string
	kind    metricKind
	labels  []string
	buckets []float64

	mu     sync.RWMutex
	series map[string]*series // by joined label values
}

type series struct {
	values []string
	bits   atomic.Uint64 // counter or gauge value, as float64 bits
	counts []atomic.Uint64
	sum    atomic.Uint64 // float64 bits
	count  atomic.Uint64
}

// DefaultBuckets are latency buckets in seconds, from 5 ms to 10 s.
var DefaultBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func (m *Metrics) family(name, help string, kind metricKind, labels []string, buckets []float64) *family {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.families[name]; ok {
		if f.kind != kind || !slices.Equal(f.labels, labels) {
			panic(fmt.Sprintf("metrics: %s registered as %s%v and again as %s%v", name, f.kind, f.labels, kind, labels))
		}
		return f
	}
	if !validName(name) {
		panic("metrics: invalid metric name " + strconv.Quote(name))
	}
	for _, l := range labels {
		if !validName(l) || strings.HasPrefix(l, "__") || l == "le" {
			panic("metrics: invalid label name " + strconv.Quote(l))
		}
	}
	f := &family{name: name, help: help, kind: kind, labels: labels, buckets: buckets, series: map[string]*series{}}
	m.families[name] = f
	return f
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (f *family) with(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s takes labels %v, got %d values", f.name, f.labels, len(values)))
	}
	key := strings.Join(values, "\xff")
	f.mu.RLock()
	s := f.series[key]
	f.mu.RUnlock()
	if s != nil {
		return s
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s = f.series[key]; s == nil {
		s = &series{values: slices.Clone(values)}
		if f.kind == kindHistogram {
			s.counts = make([]atomic.Uint64, len(f.buckets))
		}
		f.series[key] = s
	}
	return s
}

func addFloat(a *atomic.Uint64, d float64) {
	for {
		old := a.Load()
		if a.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// CounterVec is a family of counters.
type CounterVec struct{ f *family }

// Counter registers (or finds) a counter family.
func (m *Metrics) Counter(name, help string, labels ...string) CounterVec {
	return CounterVec{m.family(name, help, kindCounter, labels, nil)}
}

// Add adds d (>= 0) to the counter with the label values.
func (c CounterVec) Add(d float64, values ...string) {
	if d < 0 {
		panic("metrics: counter " + c.f.name + " decreased")
	}
	addFloat(&c.f.with(values).bits, d)
}

// Inc adds one.
func (c CounterVec) Inc(values ...string) { c.Add(1, values...) }

// GaugeVec is a family of gauges.
type GaugeVec struct{ f *family }

// Gauge registers (or finds) a gauge family. Owners of a number (a
// watchlist's size) set it whenever it changes.
func (m *Metrics) Gauge(name, help string, labels ...string) GaugeVec {
	return GaugeVec{m.family(name, help, kindGauge, labels, nil)}
}

// Set sets the gauge with the label values.
func (g GaugeVec) Set(v float64, values ...string) { g.f.with(values).bits.Store(math.Float64bits(v)) }

// Add adds d (may be negative).
func (g GaugeVec) Add(d float64, values ...string) { addFloat(&g.f.with(values).bits, d) }

// HistogramVec is a family of histograms.
type HistogramVec struct{ f *family }

// Histogram registers (or finds) a histogram family with upper bucket
// bounds (sorted; +Inf is implied).
func (m *Metrics) Histogram(name, help string, buckets []float64, labels ...string) HistogramVec {
	b := slices.Clone(buckets)
	sort.Float64s(b)
	return HistogramVec{m.family(name, help, kindHistogram, labels, b)}
}

// Observe records one value.
func (h HistogramVec) Observe(v float64, values ...string) {
	s := h.f.with(values)
	if i := sort.SearchFloat64s(h.f.buckets, v); i < len(s.counts) {
		s.counts[i].Add(1)
	}
	addFloat(&s.sum, v)
	s.count.Add(1)
}

// WriteText writes every metric in the Prometheus text format, families
// and series sorted so that the output is stable.
func (m *Metrics) WriteText(w io.Writer) error {
	m.mu.RLock()
	fams := make([]*family, 0, len(m.families))
	for _, f := range m.families {
		fams = append(fams, f)
	}
	m.mu.RUnlock()
	sort.Slice(fams, func(i, j int) bool { return fams[i].name < fams[j].name })
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
		f.mu.RLock()
		ss := make([]*series, 0, len(f.series))
		for _, s := range f.series {
			ss = append(ss, s)
		}
		f.mu.RUnlock()
		sort.Slice(ss, func(i, j int) bool { return slices.Compare(ss[i].values, ss[j].values) < 0 })
		for _, s := range ss {
			switch f.kind {
			case kindCounter, kindGauge:
				fmt.Fprintf(bw, "%s%s %s\n", f.name, labelText(f.labels, s.values, "", ""), formatFloat(math.Float64frombits(s.bits.Load())))
			case kindHistogram:
				// Read the count first: buckets observed later only make the
				// cumulative counts larger, never smaller than _count's
				// reading by more than the samples in flight.
				var cum uint64
				for i, b := range f.buckets {
					cum += s.counts[i].Load()
					fmt.Fprintf(bw, "%s_bucket%s %d\n", f.name, labelText(f.labels, s.values, "le", formatFloat(b)), cum)
				}
				count := s.count.Load()
				if count < cum {
					count = cum
				}
				fmt.Fprintf(bw, "%s_bucket%s %d\n", f.name, labelText(f.labels, s.values, "le", "+Inf"), count)
				fmt.Fprintf(bw, "%s_sum%s %s\n", f.name, labelText(f.labels, s.values, "", ""), formatFloat(math.Float64frombits(s.sum.Load())))
				fmt.Fprintf(bw, "%s_count%s %d\n", f.name, labelText(f.labels, s.values, "", ""), count)
			}
		}
	}
	return bw.Flush()
}

func labelText(names, values []string, extraName, extraValue string) string {
	if len(names) == 0 && extraName == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=\"%s\"", n, escapeLabel(values[i]))
	}
	if extraName != "" {
		if len(names) > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=\"%s\"", extraName, extraValue)
	}
	b.WriteByte('}')
	return b.String()
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// serverMetrics are the metrics the server itself records.
type serverMetrics struct {
	requests HistogramVec // latency by route and method
	statuses CounterVec   // requests by route, method and status
	stages   HistogramVec // pipeline stage latency
	recs     CounterVec   // verifications by recommendation
}

func newServerMetrics(m *Metrics) serverMetrics {
	return serverMetrics{
		requests: m.Histogram("checkpost_http_request_duration_seconds", "Time from a request's arrival to its answer, by route.", DefaultBuckets, "method", "route"),
		statuses: m.Counter("checkpost_http_requests_total", "HTTP requests answered, by route and status.", "method", "route", "status"),
		stages:   m.Histogram("checkpost_pipeline_stage_duration_seconds", "Time spent in each stage of the verification pipeline.", DefaultBuckets, "stage"),
		recs:     m.Counter("checkpost_verifications_total", "Verifications stored, by recommendation.", "recommendation"),
	}
}

// instrument records every request's status and latency under its route
// pattern (not its path: ids would make a series per request).
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		s.sm.requests.Observe(time.Since(start).Seconds(), r.Method, route)
		s.sm.statuses.Inc(r.Method, route, strconv.Itoa(status))
	})
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_ = s.metrics.WriteText(w)
}

// Metrics returns the server's registry, for the owners of numbers the
// server does not know (watchlist sizes: set a gauge when a list changes).
func (s *Server) Metrics() *Metrics { return s.metrics }
