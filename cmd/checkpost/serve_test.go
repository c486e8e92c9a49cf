package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeFirstStart runs "checkpost serve" on a free port with a new
// database: it must print the URL and an admin token, answer /healthz and
// /readyz, accept the token, and stop cleanly when its context ends.
func TestServeFirstStart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "var", "checkpost.db")
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, &cliEnv{Stdin: strings.NewReader(""), Stdout: pw, Stderr: io.Discard},
			[]string{"serve", "--addr", "127.0.0.1:0", "--db", db})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url, token string
	urlRe := regexp.MustCompile(`serving on (http://\S+)`)
	for token == "" && sc.Scan() {
		line := sc.Text()
		if m := urlRe.FindStringSubmatch(line); m != nil {
			url = m[1]
		}
		if strings.HasPrefix(line, "cpt_") {
			token = line
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" || token == "" {
		t.Fatalf("serve printed no URL (%q) or token (%q)", url, token)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := client.Get(url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", url+"/api/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the first admin token is refused: %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited with %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
}
