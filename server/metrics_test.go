package server

import (
	"bufio"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"checkpost/server/store"
)

// sampleRe is one sample line of the text exposition format.
var sampleRe = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*")*)\})? (\S+)$`)

// parseExposition checks every line of the text format and returns the
// samples by "name{labels}".
func parseExposition(t *testing.T, text string) map[string]float64 {
	t.Helper()
	samples := map[string]float64{}
	typed := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HELP "):
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(line)
			if len(f) != 4 || !strings.Contains("counter gauge histogram", f[3]) {
				t.Fatalf("bad TYPE line %q", line)
			}
			typed[f[2]] = f[3]
		default:
			m := sampleRe.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("bad sample line %q", line)
			}
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m[1], "_bucket"), "_sum"), "_count")
			if typed[m[1]] == "" && typed[base] != "histogram" {
				t.Fatalf("sample %q before its TYPE", line)
			}
			v, err := strconv.ParseFloat(m[4], 64)
			if err != nil && m[4] != "+Inf" {
				t.Fatalf("bad value in %q", line)
			}
			samples[m[1]+"{"+m[3]+"}"] = v
		}
	}
	return samples
}

func TestMetricsRegistryFormat(t *testing.T) {
	m := NewMetrics()
	c := m.Counter("test_total", "A counter\nwith a newline and a \\.", "route", "status")
	c.Inc("/a", "200")
	c.Add(2, "/a", "200")
	c.Inc(`/b"quoted"\`, "500")
	g := m.Gauge("test_watchlist_entries", "Entries per watchlist.", "list")
	g.Set(100000, "fingerprints")
	g.Set(1e6, "documents")
	h := m.Histogram("test_seconds", "Latency.", []float64{0.1, 1}, "stage")
	for _, v := range []float64{0.05, 0.1, 0.5, 3} {
		h.Observe(v, "mrz")
	}
	var b strings.Builder
	if err := m.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	s := parseExposition(t, b.String())
	want := map[string]float64{
		`test_total{route="/a",status="200"}`:             3,
		`test_total{route="/b\"quoted\"\\",status="500"}`: 1,
		`test_watchlist_entries{list="fingerprints"}`:     100000,
		`test_watchlist_entries{list="documents"}`:        1e6,
		`test_seconds_bucket{stage="mrz",le="0.1"}`:       2,
		`test_seconds_bucket{stage="mrz",le="1"}`:         3,
		`test_seconds_bucket{stage="mrz",le="+Inf"}`:      4,
		`test_seconds_count{stage="mrz"}`:                 4,
		`test_seconds_sum{stage="mrz"}`:                   3.65,
	}
	for k, v := range want {
		if got, ok := s[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v\n%s", k, got, ok, v, b.String())
		}
	}
	if !strings.Contains(b.String(), `# HELP test_total A counter\nwith a newline and a \\.`) {
		t.Errorf("HELP not escaped:\n%s", b.String())
	}
	// Registering again returns the same family; a clash panics.
	m.Counter("test_total", "again", "route", "status").Inc("/a", "200")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a gauge registered under a counter's name did not panic")
			}
		}()
		m.Gauge("test_total", "clash", "route", "status")
	}()
}

func TestMetricsConcurrent(t *testing.T) {
	m := NewMetrics()
	h := m.Histogram("c_seconds", "x", DefaultBuckets, "route")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				h.Observe(float64(i%10)/100, strconv.Itoa(g%2))
			}
		}()
	}
	wg.Wait()
	var b strings.Builder
	m.WriteText(&b)
	s := parseExposition(t, b.String())
	if s[`c_seconds_count{route="0"}`]+s[`c_seconds_count{route="1"}`] != 8000 {
		t.Fatalf("lost observations:\n%s", b.String())
	}
}

// TestMetricsEndpointCountsRequests: /metrics reports requests by route
// pattern (not by path) and status, and pipeline stages.
func TestMetricsEndpointCountsRequests(t *testing.T) {
	f := newFixture(t, Config{})
	body, ctype := validSubmission("UA1")
	rec := f.do("POST", "/api/v1/verifications", f.tokens[store.RoleCounter], ctype, body)
	var got struct{ ID string }
	json.Unmarshal(rec.Body.Bytes(), &got)
	f.do("GET", "/api/v1/verifications/"+got.ID, f.tokens[store.RoleCounter], "", nil)
	f.do("GET", "/api/v1/verifications/v_unknown", f.tokens[store.RoleCounter], "", nil)
	f.do("GET", "/nowhere", "", "", nil)
	f.s.Metrics().Gauge("checkpost_watchlist_entries", "Entries in each watchlist.", "list").Set(42, "persons")
	rec = f.do("GET", "/metrics", f.tokens[store.RoleAdmin], "", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	s := parseExposition(t, rec.Body.String())
	for k, v := range map[string]float64{
		`checkpost_http_requests_total{method="POST",route="/api/v1/verifications",status="201"}`:     1,
		`checkpost_http_requests_total{method="GET",route="/api/v1/verifications/{id}",status="200"}`: 1,
		`checkpost_http_requests_total{method="GET",route="/api/v1/verifications/{id}",status="404"}`: 1,
		`checkpost_http_requests_total{method="GET",route="unmatched",status="404"}`:                  1,
		`checkpost_http_request_duration_seconds_count{method="POST",route="/api/v1/verifications"}`:  1,
		`checkpost_pipeline_stage_duration_seconds_count{stage="mrz"}`:                                1,
		`checkpost_verifications_total{recommendation="CLEAR"}`:                                       1,
		`checkpost_watchlist_entries{list="persons"}`:                                                 42,
	} {
		if s[k] != v {
			t.Errorf("%s = %v, want %v", k, s[k], v)
		}
	}
}
