package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveUntilReady runs "checkpost serve" in-process until it prints its
// URL, then stops it; it returns the exit code and the log.
func serveOnce(t *testing.T, args ...string) (int, string) {
	t.Helper()
	pr, pw := io.Pipe()
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, &cliEnv{Stdin: strings.NewReader(""), Stdout: pw, Stderr: &logs},
			append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "serving on") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	cancel()
	select {
	case code := <-done:
		return code, logs.String()
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	return -1, ""
}

// TestServeGeneratesKeyFileOnce: the first start makes a 0600 key file
// beside the database and says so; later starts use it; a database whose
// key file is lost refuses to start instead of making a new key.
func TestServeGeneratesKeyFileOnce(t *testing.T) {
	t.Setenv("CHECKPOST_DATA_KEY", "")
	dir := t.TempDir()
	db := filepath.Join(dir, "var", "checkpost.db")
	code, logs := serveOnce(t, "--db", db)
	if code != 0 || !strings.Contains(logs, "generated a new key file") {
		t.Fatalf("first start: exit %d\n%s", code, logs)
	}
	keyFile := filepath.Join(dir, "var", "checkpost.keys")
	st, err := os.Stat(keyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	first, _ := os.ReadFile(keyFile)
	code, logs = serveOnce(t, "--db", db)
	second, _ := os.ReadFile(keyFile)
	if code != 0 || strings.Contains(logs, "generated") || !bytes.Equal(first, second) {
		t.Fatalf("second start: exit %d, key file changed %v\n%s", code, !bytes.Equal(first, second), logs)
	}
	os.Rename(keyFile, keyFile+".lost")
	code, logs = serveOnce(t, "--db", db)
	if code != 1 || !strings.Contains(logs, "restore the key file") {
		t.Fatalf("start without its keys: exit %d\n%s", code, logs)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("a new key file was generated for a database that has data")
	}
	if code, logs := serveOnce(t, "--db", db, "--retention", "soon"); code != 2 || !strings.Contains(logs, "--retention") {
		t.Fatalf("bad retention: exit %d\n%s", code, logs)
	}
}
