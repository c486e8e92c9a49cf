package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.95: 95 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := percentile(d, p); got != want {
			t.Errorf("p%.0f = %v, want %v", p*100, got, want)
		}
	}
	if percentile(nil, 0.5) != 0 || percentile(d[:1], 0.95) != time.Millisecond {
		t.Error("edge cases")
	}
}

// TestBenchAPIDrivesConcurrentCounters runs the load generator against a
// stand-in server that records what it receives: the right number of
// requests per level, at the asked concurrency, with the capture's parts.
func TestBenchAPIDrivesConcurrentCounters(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := run(t, "simulate", "--count", "2", "--seed", "5", "--ppi", "100", "--out", dir); code != 0 {
		t.Fatalf("simulate: %s", errOut)
	}
	var inFlight, peak, total atomic.Int64
	var mu sync.Mutex
	parts := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no", 401)
			return
		}
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		for k := range r.MultipartForm.File {
			parts[k] = true
		}
		mu.Unlock()
		total.Add(1)
		// Long beside the multipart parsing, so that the throughput
		// scales with the counters even under the race detector on a
		// busy machine (at 20 ms it did not).
		time.Sleep(80 * time.Millisecond)
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(map[string]any{"id": "v_x", "ms": 15.0, "stages": []map[string]any{
			{"name": "mrz", "status": "done", "ms": 10.0}, {"name": "fingerprints.search", "status": "skipped", "ms": 0.0}}})
	}))
	defer srv.Close()
	code, out, errOut := run(t, "bench", "api", "--url", srv.URL, "--token", "tok", "--captures", dir,
		"--fingers", filepath.Join(dir, firstSub(t, dir)), "--concurrency", "1,4", "--requests", "12", "--json",
		"--server-pid", strconv.Itoa(os.Getpid()))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res []benchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(res) != 2 || res[0].Requests != 12 || res[1].Requests != 12 || res[0].Errors+res[1].Errors != 0 {
		t.Fatalf("results: %+v", res)
	}
	if res[0].P50 < 80*time.Millisecond || res[1].Throughput < 1.5*res[0].Throughput {
		t.Fatalf("latency or scaling implausible: %+v", res)
	}
	// The stage times come from the answers: mrz ran, the search did not;
	// the pipeline took 15 ms of a latency of at least 80.
	for _, r := range res {
		got := map[string]benchStage{}
		for _, s := range r.Stages {
			got[s.Name] = s
		}
		if len(r.Stages) != 3 || got["mrz"].P50MS != 10 || got["mrz"].Count != 12 || got["pipeline"].P95MS != 15 || got["outside"].P50MS < 5 {
			t.Fatalf("stage figures: %+v", r.Stages)
		}
	}
	for _, r := range res {
		if r.LoadBefore == "" || r.LoadAfter == "" || r.ServerCPUMS < 0 {
			t.Errorf("load %q-%q, server CPU %g ms per request", r.LoadBefore, r.LoadAfter, r.ServerCPUMS)
		}
	}
	// 12 + 12 counted, 1 + 4 warm-up.
	if total.Load() != 29 || peak.Load() != 4 {
		t.Fatalf("server saw %d requests, peak concurrency %d", total.Load(), peak.Load())
	}
	for _, p := range []string{"white", "ir", "uv", "finger"} {
		if !parts[p] {
			t.Errorf("no %s part sent", p)
		}
	}
	code, _, errOut = run(t, "bench", "api", "--url", srv.URL, "--captures", dir)
	if code != 2 || !strings.Contains(errOut, "--token") {
		t.Fatalf("--url without --token: exit %d %s", code, errOut)
	}
	code, _, errOut = run(t, "bench", "api", "--server-pid", "1", "--captures", dir)
	if code != 2 || !strings.Contains(errOut, "--server-pid") {
		t.Fatalf("--server-pid without --url: exit %d %s", code, errOut)
	}
}

// procCPU counts a process's CPU time: this one's grows by about what a
// busy loop spends.
func TestProcCPUCountsCPUTime(t *testing.T) {
	before, ok := procCPU(os.Getpid())
	if !ok {
		t.Skip("no /proc here")
	}
	// Busy until getrusage says 200 ms of CPU more were spent (not 200 ms
	// of wall time: on a busy machine the loop may get a sliver of a core).
	var ru0, ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	used := func() time.Duration {
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	}
	x := 1.0
	for start := time.Now(); used() < 200*time.Millisecond && time.Since(start) < time.Minute; {
		for i := 0; i < 1000; i++ {
			x = x*1.0000001 + 1e-9
		}
	}
	after, _ := procCPU(os.Getpid())
	if d, u := after-before, used(); d < u/2 || d > u+time.Second {
		t.Errorf("CPU time from /proc grew by %s, getrusage by %s (%g)", d, u, x)
	}
	if _, ok := procCPU(0); ok {
		t.Error("pid 0 read")
	}
}

func firstSub(t *testing.T, dir string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(m) == 0 {
		t.Fatal("no capture")
	}
	return filepath.Base(m[0])
}
