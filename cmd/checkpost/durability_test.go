package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"checkpost/server/store"
)

// buildBinary builds the checkpost binary into a temporary folder: the
// durability test must kill a real process, not a goroutine.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "checkpost")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

type serverProc struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
}

// startServer starts "checkpost serve" on a free port and waits until it
// answers /readyz.
func startServer(t *testing.T, bin, db string) *serverProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "CHECKPOST_DATA_KEY=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, logs: logs}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urlRe := regexp.MustCompile(`serving on (http://\S+)`)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := urlRe.FindStringSubmatch(sc.Text()); m != nil {
			p.url = m[1]
			break
		}
	}
	go io.Copy(io.Discard, out)
	if p.url == "" {
		t.Fatalf("server printed no URL:\n%s", logs.String())
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// captureBody is a verification request made of a simulated capture.
func captureBody(t *testing.T, dir string, n int) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("counter", fmt.Sprintf("C%d", n%4+1))
	mw.WriteField("direction", []string{"entry", "exit"}[n%2])
	mw.WriteField("route", "UA"+fmt.Sprint(100+n))
	for _, light := range []string{"white", "ir", "uv"} {
		data, err := os.ReadFile(filepath.Join(dir, light+".png"))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := mw.CreateFormFile(light, light+".png")
		w.Write(data)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// TestDurabilityUnderSIGKILL runs the real binary, submits verifications
// from four counters at once, kills the server with SIGKILL in the middle,
// restarts it on the same database and checks that every verification that
// was acknowledged (201) is there with its evidence, and that the audit
// chain is intact.
func TestDurabilityUnderSIGKILL(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "var", "checkpost.db")
	capDir := filepath.Join(dir, "captures")
	if out, err := exec.Command(bin, "simulate", "--count", "2", "--seed", "11", "--ppi", "150", "--out", capDir).CombinedOutput(); err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	captures, _ := filepath.Glob(filepath.Join(capDir, "*"))
	if len(captures) != 2 {
		t.Fatalf("captures: %v", captures)
	}
	tokOut, err := exec.Command(bin, "token", "create", "--db", db, "--role", "counter", "--name", "load").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(tokOut)), "\n")
	token := lines[len(lines)-1]

	type prepared struct {
		body  []byte
		ctype string
	}
	var bodies []prepared
	for k := range 8 {
		b, ct := captureBody(t, captures[k%len(captures)], k)
		bodies = append(bodies, prepared{b, ct})
	}

	srv := startServer(t, bin, db)
	client := &http.Client{Timeout: 60 * time.Second}
	if pipelineMissing(t, client, srv.url, token, bodies[0].body, bodies[0].ctype) {
		t.Skip("checkpost serve has no verification pipeline wired yet (cmd/checkpost/pipeline.go): nothing to load")
	}
	var mu sync.Mutex
	var acked []string
	var refused []string
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 500; i++ {
				p := bodies[(c*2+i)%len(bodies)]
				req, _ := http.NewRequestWithContext(ctx, "POST", srv.url+"/api/v1/verifications", bytes.NewReader(p.body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", p.ctype)
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					mu.Lock()
					refused = append(refused, fmt.Sprintf("%d %s", resp.StatusCode, b))
					mu.Unlock()
					continue
				}
				var v struct{ ID string }
				if err := json.Unmarshal(b, &v); err != nil || v.ID == "" {
					// A 201 whose body did not arrive whole is not an
					// acknowledgement the counter could act on.
					continue
				}
				mu.Lock()
				acked = append(acked, v.ID)
				mu.Unlock()
			}
		}()
	}
	// Kill once enough verifications were acknowledged, while the four
	// counters are still sending.
	deadline := time.Now().Add(90 * time.Second)
	for {
		mu.Lock()
		n, r := len(acked), len(refused)
		mu.Unlock()
		if n >= 20 || time.Now().After(deadline) || r > 20 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	stop()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 20 {
		t.Fatalf("only %d verifications acknowledged before the kill; refused: %v\n%s", len(acked), first(refused, 3), srv.logs.String())
	}
	t.Logf("%d verifications acknowledged before SIGKILL (%d refused)", len(acked), len(refused))

	// The database and the chain are valid after the crash, before any
	// restart repairs anything.
	if out, err := exec.Command(bin, "audit", "verify", "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("audit verify after SIGKILL: %v\n%s", err, out)
	}
	checkIntegrity(t, db, len(acked))
	srv = startServer(t, bin, db)
	for _, id := range acked {
		for _, path := range []string{"/api/v1/verifications/" + id, "/api/v1/verifications/" + id + "/evidence/white"} {
			req, _ := http.NewRequest("GET", srv.url+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("acknowledged %s lost after SIGKILL: %s %d", id, path, resp.StatusCode)
			}
		}
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.cmd.Wait()
	out, err := exec.Command(bin, "audit", "verify", "--db", db).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit log intact") {
		t.Fatalf("audit verify after restart: %v\n%s", err, out)
	}
}

// pipelineMissing reports whether the server answers verifications with
// 503 "verification pipeline not loaded".
func pipelineMissing(t *testing.T, client *http.Client, url, token string, body []byte, ctype string) bool {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1/verifications", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ctype)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(b), "pipeline not loaded")
}

// checkIntegrity runs SQLite's own consistency check on the database file
// and counts the stored verifications.
func checkIntegrity(t *testing.T, db string, atLeast int) {
	t.Helper()
	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("open after SIGKILL: %v", err)
	}
	defer d.Close()
	var res string
	if err := d.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check after SIGKILL: %q %v", res, err)
	}
	var n int
	if err := d.QueryRow("SELECT COUNT(*) FROM verifications").Scan(&n); err != nil || n < atLeast {
		t.Fatalf("%d verifications stored, %d acknowledged (%v)", n, atLeast, err)
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
