package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"checkpost/server/store"
)

func init() {
	registerGroupOnce("bench", "measure speed and accuracy on generated data",
		"Benchmarks print figures with the data set they were measured on (generator and seed).")
	var url, token, captures, fingers, levels, db string
	var requests, serverPID int
	var timeout time.Duration
	var asJSON bool
	register(&command{
		Path:    "bench api",
		Summary: "load-test POST /api/v1/verifications with concurrent counters: latency percentiles and throughput",
		Usage:   "bench api --captures DIR [--fingers DIR] [--url URL --token TOKEN | --db PATH] [--concurrency 1,4,16] [--requests N] [--json]",
		Help: `Sends verification requests made of real captures (the white, ir and uv images of
each folder under --captures, e.g. the output of "checkpost simulate") and, with
--fingers, two finger images each, from 1, 4 and 16 concurrent counters, and
prints for each level the latency percentiles (p50, p95, p99, max), the
throughput and the errors. Each level sends --requests requests after one
warm-up request per counter; every loop is bounded in count and time.

It also prints the p50/p95 of each pipeline stage as the answers report it
(mrz, document, fingerprints.extract, fingerprints.search, ...), of the
whole pipeline ("pipeline", the report's ms) and of what the latency adds
to it ("outside": upload, image decoding, storage, the answer), so a slow
level shows where its time went.

The machine's load average (1 minute) is printed before and after each
level, and the server's CPU time per request (user and system, from
/proc, the warm-up left out) for the server it started, or for the one
of --server-pid on this machine: on a shared, busy machine the latency
follows the others' load, the CPU time per request much less.

Without --url it starts "checkpost serve" itself (this binary, a child
process on 127.0.0.1) on --db (default: a new database in a temporary folder,
so empty watchlists; pass a copy of an enrolled database to measure against
real list sizes), creates a counter token, and stops the server at the end.

Examples:
  checkpost simulate --count 20 --seed 1 --out var/sim/bench
  checkpost bench api --captures var/sim/bench --concurrency 1,4,16 --requests 100
  checkpost bench api --url http://127.0.0.1:8080 --token cpt_... --captures var/sim/bench --server-pid 4242`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&url, "url", "", "a running server (default: start one)")
			fs.StringVar(&token, "token", "", "a counter or station token for --url")
			fs.StringVar(&db, "db", "", "database for the server this command starts (default: a new one in a temporary folder)")
			fs.StringVar(&captures, "captures", "", "folder of captures (white.png, ir.png, uv.png), or of folders of them")
			fs.StringVar(&fingers, "fingers", "", "folder of finger images; two go with each request")
			fs.StringVar(&levels, "concurrency", "1,4,16", "comma-separated numbers of concurrent counters")
			fs.IntVar(&requests, "requests", 50, "requests per level (after the warm-up)")
			fs.DurationVar(&timeout, "timeout", 10*time.Minute, "stop a level after this long")
			fs.BoolVar(&asJSON, "json", false, "print the results as JSON")
			fs.IntVar(&serverPID, "server-pid", 0, "process id of the --url server, to report its CPU time per request (Linux)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			if captures == "" {
				return usageError("--captures DIR is required (make some with \"checkpost simulate\")")
			}
			if (url == "") != (token == "") {
				return usageError("--url and --token go together")
			}
			if url != "" && db != "" {
				return usageError("--db is for the server this command starts; it does not go with --url")
			}
			if serverPID != 0 && url == "" {
				return usageError("--server-pid goes with --url (the server this command starts is measured anyway)")
			}
			var conc []int
			for _, f := range strings.Split(levels, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || n < 1 || n > 256 {
					return usageError("--concurrency: %q is not a number from 1 to 256", f)
				}
				conc = append(conc, n)
			}
			if requests < 1 {
				return usageError("--requests must be at least 1")
			}
			bodies, err := loadBenchBodies(captures, fingers)
			if err != nil {
				return err
			}
			fmt.Fprintf(cli.Stderr, "bench api: %d distinct requests from %s (%.1f MB each on average)\n", len(bodies), captures, avgSize(bodies)/1e6)
			if url == "" {
				stop, u, tok, pid, err := startBenchServer(ctx, cli, db)
				if err != nil {
					return err
				}
				defer stop()
				url, token, serverPID = u, tok, pid
			}
			var results []benchResult
			for _, c := range conc {
				r := runBenchLevel(ctx, cli, url, token, bodies, c, requests, timeout, serverPID)
				results = append(results, r)
				if ctx.Err() != nil {
					break
				}
			}
			if asJSON {
				enc := json.NewEncoder(cli.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(results)
			}
			fmt.Fprintf(cli.Stdout, "%-12s %8s %7s %9s %9s %9s %9s %10s %12s %11s\n", "counters", "requests", "errors", "p50", "p95", "p99", "max", "req/s", "cpu/request", "load")
			for _, r := range results {
				cpu := "-"
				if r.ServerCPUMS > 0 {
					cpu = fmt.Sprintf("%.0fms", r.ServerCPUMS)
				}
				fmt.Fprintf(cli.Stdout, "%-12d %8d %7d %9s %9s %9s %9s %10.2f %12s %11s\n", r.Concurrency, r.Requests, r.Errors,
					ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max), r.Throughput, cpu, r.LoadBefore+"-"+r.LoadAfter)
			}
			for _, r := range results {
				if len(r.Stages) == 0 {
					continue
				}
				fmt.Fprintf(cli.Stdout, "%d counters, stage times from the answers (p50/p95 ms):", r.Concurrency)
				for _, s := range r.Stages {
					fmt.Fprintf(cli.Stdout, " %s %.1f/%.1f", s.Name, s.P50MS, s.P95MS)
				}
				fmt.Fprintln(cli.Stdout)
			}
			for _, r := range results {
				if r.FirstError != "" {
					fmt.Fprintf(cli.Stdout, "%d counters: first error: %s\n", r.Concurrency, r.FirstError)
				}
			}
			return nil
		},
	})
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }

type benchBody struct {
	data  []byte
	ctype string
}

func avgSize(b []benchBody) float64 {
	var n int
	for _, x := range b {
		n += len(x.data)
	}
	return float64(n) / float64(len(b))
}

// loadBenchBodies makes one multipart request per capture folder found
// under dir (dir itself when it holds white.png).
func loadBenchBodies(dir, fingerDir string) ([]benchBody, error) {
	var folders []string
	if _, err := os.Stat(filepath.Join(dir, "white.png")); err == nil {
		folders = []string{dir}
	} else {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("--captures: %w", err)
		}
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "white.png")); e.IsDir() && err == nil {
				folders = append(folders, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(folders) == 0 {
		return nil, fmt.Errorf("--captures: no folder with white.png in %s", dir)
	}
	var fingerFiles []string
	if fingerDir != "" {
		entries, err := os.ReadDir(fingerDir)
		if err != nil {
			return nil, fmt.Errorf("--fingers: %w", err)
		}
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && strings.Contains(" .png .bmp .pgm .pnm .wsq .jpg .jpeg .tif .tiff .fmr .iso .ansi .ist ", " "+ext+" ") {
				fingerFiles = append(fingerFiles, filepath.Join(fingerDir, e.Name()))
			}
		}
		if len(fingerFiles) == 0 {
			return nil, fmt.Errorf("--fingers: no finger images or templates (.png, .bmp, .pgm, .wsq, .fmr, ...) in %s", fingerDir)
		}
	}
	var out []benchBody
	for i, f := range folders {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("counter", fmt.Sprintf("bench-%d", i%16+1))
		mw.WriteField("direction", []string{"entry", "exit"}[i%2])
		mw.WriteField("route", fmt.Sprintf("BN%03d", i))
		for _, light := range []string{"white", "ir", "uv"} {
			data, err := os.ReadFile(filepath.Join(f, light+".png"))
			if errors.Is(err, os.ErrNotExist) && light != "white" {
				continue
			}
			if err != nil {
				return nil, err
			}
			w, _ := mw.CreateFormFile(light, light+".png")
			w.Write(data)
		}
		for k, pos := range []string{"right-index", "left-index"} {
			if len(fingerFiles) == 0 {
				break
			}
			path := fingerFiles[(2*i+k)%len(fingerFiles)]
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			mw.WriteField("finger_position", pos)
			w, _ := mw.CreateFormFile("finger", filepath.Base(path))
			w.Write(data)
		}
		mw.Close()
		out = append(out, benchBody{b.Bytes(), mw.FormDataContentType()})
	}
	return out, nil
}

// benchResult is one concurrency level's figures.
type benchResult struct {
	Concurrency int           `json:"concurrency"`
	Requests    int           `json:"requests"`
	Errors      int           `json:"errors"`
	P50         time.Duration `json:"p50_ns"`
	P95         time.Duration `json:"p95_ns"`
	P99         time.Duration `json:"p99_ns"`
	Max         time.Duration `json:"max_ns"`
	Throughput  float64       `json:"requests_per_second"`
	FirstError  string        `json:"first_error,omitempty"`
	// Stages are the median and p95 of each pipeline stage's time as the
	// answers report it (stages that ran), plus "pipeline" (the report's
	// ms: the whole pipeline) and "outside" (the latency less the
	// pipeline: upload, image decoding, storage, the answer's JSON).
	Stages []benchStage `json:"stages,omitempty"`
	// ServerCPUMS is the server's CPU time (user and system) per request
	// of the level, warm-up excluded (0 when the server is not known).
	ServerCPUMS float64 `json:"server_cpu_ms_per_request,omitempty"`
	// LoadBefore and LoadAfter are the machine's 1-minute load average
	// as the level starts (after its warm-up) and ends.
	LoadBefore string `json:"load_before,omitempty"`
	LoadAfter  string `json:"load_after,omitempty"`
}

// procCPU is the CPU time (user and system) a process used so far, from
// /proc/PID/stat (clock ticks of 1/100 s, as Linux gives them to user
// space); false when it cannot be read.
func procCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}

// loadAverage is the 1-minute load average ("" when unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// benchStage is one stage's times over a level's answers.
type benchStage struct {
	Name  string  `json:"name"`
	Count int     `json:"count"`
	P50MS float64 `json:"p50_ms"`
	P95MS float64 `json:"p95_ms"`
}

// answerTimes reads the stage times out of an answer; nil when it has none.
func answerTimes(body []byte, latency time.Duration) map[string]time.Duration {
	var rep struct {
		MS     *float64 `json:"ms"`
		Stages []struct {
			Name   string  `json:"name"`
			Status string  `json:"status"`
			MS     float64 `json:"ms"`
		} `json:"stages"`
	}
	if json.Unmarshal(body, &rep) != nil || rep.MS == nil {
		return nil
	}
	msDur := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	out := map[string]time.Duration{"pipeline": msDur(*rep.MS), "outside": latency - msDur(*rep.MS)}
	for _, st := range rep.Stages {
		if st.Status == "done" {
			out[st.Name] = msDur(st.MS)
		}
	}
	return out
}

// stageFigures summarises the stage times of a level, stages in the order
// first seen, "pipeline" and "outside" last.
func stageFigures(times []map[string]time.Duration) []benchStage {
	var names []string
	by := map[string][]time.Duration{}
	for _, t := range times {
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, ok := by[k]; !ok && k != "pipeline" && k != "outside" {
				names = append(names, k)
			}
			by[k] = append(by[k], t[k])
		}
	}
	var out []benchStage
	for _, n := range append(names, "pipeline", "outside") {
		d := by[n]
		if len(d) == 0 {
			continue
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		out = append(out, benchStage{Name: n, Count: len(d), P50MS: float64(percentile(d, 0.5).Microseconds()) / 1000,
			P95MS: float64(percentile(d, 0.95).Microseconds()) / 1000})
	}
	return out
}

// percentile returns the p-quantile (0..1) of sorted durations by the
// nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

func runBenchLevel(ctx context.Context, cli *cliEnv, url, token string, bodies []benchBody, conc, requests int, timeout time.Duration, serverPID int) benchResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	send := func(b benchBody) (time.Duration, map[string]time.Duration, error) {
		req, err := http.NewRequestWithContext(ctx, "POST", url+"/api/v1/verifications", bytes.NewReader(b.data))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", b.ctype)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if err != nil {
			return d, nil, err
		}
		if resp.StatusCode != http.StatusCreated {
			return d, nil, fmt.Errorf("%d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
		}
		return d, answerTimes(body, d), nil
	}
	res := benchResult{Concurrency: conc}
	// Warm-up: one request per counter, not counted.
	var wg sync.WaitGroup
	for i := range conc {
		wg.Add(1)
		go func() { defer wg.Done(); send(bodies[i%len(bodies)]) }()
	}
	wg.Wait()

	var mu sync.Mutex
	var lat []time.Duration
	var times []map[string]time.Duration
	next := 0
	res.LoadBefore = loadAverage()
	cpu0, cpuOK := procCPU(serverPID)
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				if next >= requests {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				d, st, err := send(bodies[i%len(bodies)])
				mu.Lock()
				res.Requests++
				if err != nil {
					res.Errors++
					if res.FirstError == "" {
						res.FirstError = err.Error()
					}
				} else {
					lat = append(lat, d)
					if st != nil {
						times = append(times, st)
					}
				}
				if res.Requests%max(1, requests/10) == 0 {
					fmt.Fprintf(cli.Stderr, "bench api: %d counters: %d/%d requests\n", conc, res.Requests, requests)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if cpu1, ok := procCPU(serverPID); ok && cpuOK && res.Requests > 0 {
		res.ServerCPUMS = float64(cpu1-cpu0) / float64(time.Millisecond) / float64(res.Requests)
	}
	res.LoadAfter = loadAverage()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.P50, res.P95, res.P99 = percentile(lat, 0.50), percentile(lat, 0.95), percentile(lat, 0.99)
	if len(lat) > 0 {
		res.Max = lat[len(lat)-1]
	}
	res.Throughput = float64(len(lat)) / elapsed.Seconds()
	res.Stages = stageFigures(times)
	return res
}

// startBenchServer runs this binary's "serve" as a child process on a free
// loopback port and returns how to reach it and how to stop it.
func startBenchServer(ctx context.Context, cli *cliEnv, db string) (stop func(), url, token string, pid int, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", "", 0, err
	}
	var tmp string
	if db == "" {
		if tmp, err = os.MkdirTemp("", "checkpost-bench-"); err != nil {
			return nil, "", "", 0, err
		}
		db = filepath.Join(tmp, "checkpost.db")
	}
	cleanup := func() {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}
	d, err := store.Open(ctx, db)
	if err != nil {
		cleanup()
		return nil, "", "", 0, err
	}
	token, _, err = d.CreateToken(ctx, store.RoleCounter, "bench api")
	d.Close()
	if err != nil {
		cleanup()
		return nil, "", "", 0, err
	}
	cmd := exec.Command(exe, "serve", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "warn")
	cmd.Stderr = cli.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		cleanup()
		return nil, "", "", 0, err
	}
	if err := cmd.Start(); err != nil {
		cleanup()
		return nil, "", "", 0, err
	}
	stop = func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		cleanup()
	}
	urlRe := regexp.MustCompile(`serving on (http://\S+)`)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := urlRe.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
			break
		}
	}
	go io.Copy(io.Discard, out)
	if url == "" {
		stop()
		return nil, "", "", 0, errors.New("bench api: the server did not start (see its log above)")
	}
	fmt.Fprintf(cli.Stderr, "bench api: started checkpost serve on %s (database %s)\n", url, db)
	return stop, url, token, cmd.Process.Pid, nil
}
