package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"checkpost/server/store"
)

func newTestServer(t *testing.T) (*Server, *store.DB) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(Config{}, db, nil), db
}

func TestHealthAndReady(t *testing.T) {
	s, _ := newTestServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
		}
		if rec.Header().Get("X-Request-Id") == "" {
			t.Fatal("no request id")
		}
	}
	s.AddReadyCheck("ocr", func(context.Context) error { return io.ErrUnexpectedEOF })
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "unexpected EOF") {
		t.Fatalf("readyz with a failing check: %d %s", rec.Code, rec.Body)
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	s, _ := newTestServer(t)
	s.Router().Get("/boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != 500 || p.RequestID == "" {
		t.Fatalf("problem %+v (%v)", p, err)
	}
	if strings.Contains(rec.Body.String(), "kaboom") {
		t.Fatal("panic value leaked to the client")
	}
}

func TestNotFoundIsProblem(t *testing.T) {
	s, _ := newTestServer(t)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/nope", nil))
	if rec.Code != 404 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestTokenAuth(t *testing.T) {
	s, db := newTestServer(t)
	secret, _, err := db.CreateToken(context.Background(), store.RoleCounter, "c1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		header string
		want   int
	}{
		{"", 401},
		{"Bearer ", 401},
		{"Basic " + secret, 401},
		{"Bearer cpt_wrong", 401},
		{"Bearer " + secret, 200},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/api/v1/whoami", nil)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("Authorization %q: status %d, want %d", c.header, rec.Code, c.want)
		}
	}
}

// TestGracefulShutdownFinishesInFlight starts a slow request, cancels the
// server's context while it runs, and checks that the request still
// completes and that new connections are refused afterwards.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	s, _ := newTestServer(t)
	started := make(chan struct{})
	s.Router().Get("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx, ln) }()

	url := "http://" + ln.Addr().String()
	type result struct {
		body string
		err  error
	}
	resc := make(chan result, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		resc <- result{string(b), err}
	}()
	<-started
	cancel()
	res := <-resc
	if res.err != nil || res.body != "done" {
		t.Fatalf("in-flight request: %q, %v", res.body, res.err)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Fatal("server still accepts requests after shutdown")
	}
}
