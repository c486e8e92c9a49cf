package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"checkpost/server"
)

// sseEvent is one event read from a stream.
type sseEvent struct{ name, id, data string }

// readEvents parses a text/event-stream body onto a channel until it ends.
func readEvents(body *bufio.Reader, out chan<- sseEvent) {
	defer close(out)
	var ev sseEvent
	for {
		line, err := body.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if ev.data != "" {
				out <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "id: "):
			ev.id = line[len("id: "):]
		case strings.HasPrefix(line, "data: "):
			ev.data += line[len("data: "):]
		}
	}
}

// The queue's event stream: rows at once when the page's version is old,
// nothing while the queue stays as it is, a new case pushed within a
// second or two, under the page's filter; a stream asked without a
// session gets 401, not the sign-in page.
func TestQueueEventStream(t *testing.T) {
	e := newEnv(t)
	a := e.submit(e.counter, "C7", "REFER LH123", "exit")
	sup := e.browser()
	sup.signIn("sup", testPassword, "")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	open := func(c *http.Client, query, lastID string) (*http.Response, chan sseEvent) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/ui/queue/rows?"+query, nil)
		req.Header.Set("Accept", "text/event-stream")
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		events := make(chan sseEvent, 8)
		if res.StatusCode == 200 {
			go readEvents(bufio.NewReader(res.Body), events)
		}
		return res, events
	}
	next := func(events chan sseEvent, within time.Duration) (queueEv struct {
		Version, HTML string
		Count         int
	}, ok bool) {
		t.Helper()
		select {
		case ev, open := <-events:
			if !open {
				t.Fatal("the stream ended")
			}
			if ev.name != "rows" {
				t.Fatalf("event %q", ev.name)
			}
			if err := json.Unmarshal([]byte(ev.data), &queueEv); err != nil || ev.id != queueEv.Version {
				t.Fatalf("event data %q id %q: %v", ev.data, ev.id, err)
			}
			return queueEv, true
		case <-time.After(within):
			return queueEv, false
		}
	}

	res, events := open(sup.c, "v=0", "")
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("stream: %d %q", res.StatusCode, ct)
	}
	first, ok := next(events, 3*time.Second)
	if !ok || !strings.Contains(first.HTML, `data-id="`+a+`"`) || first.Count != 1 {
		t.Fatalf("first event: %+v %v", first, ok)
	}
	// Filtered to counter C9: a's row is not in it.
	_, c9 := open(sup.c, "counter=C9&v=0", "")
	if f, ok := next(c9, 3*time.Second); !ok || strings.Contains(f.HTML, `data-id="`+a+`"`) || f.Count != 0 {
		t.Fatalf("filtered stream's first event: %+v %v", f, ok)
	}
	// A reconnection that has the current version gets nothing.
	_, same := open(sup.c, "v=0", first.Version)
	if ev, ok := next(same, 1200*time.Millisecond); ok {
		t.Fatalf("a stream already up to date was sent %+v", ev)
	}

	start := time.Now()
	b := e.submit(e.counter2, "C9", "ALERT EK600", "entry")
	got, ok := next(events, 3*time.Second)
	if !ok || !strings.Contains(got.HTML, `data-id="`+b+`"`) || got.Count != 2 || got.Version == first.Version {
		t.Fatalf("after a new case: %+v %v", got, ok)
	}
	t.Logf("new case pushed after %s", time.Since(start).Round(time.Millisecond))
	if f, ok := next(c9, 3*time.Second); !ok || !strings.Contains(f.HTML, `data-id="`+b+`"`) || f.Count != 1 {
		t.Fatalf("filtered stream after the new case: %+v %v", f, ok)
	}
	if _, ok := next(same, 3*time.Second); !ok {
		t.Fatal("the up-to-date stream was not sent the new case")
	}

	// Without a session: 401 (EventSource then gives up and the page
	// polls, which tells the user to sign in again).
	anon := e.browser()
	if res, _ := open(anon.c, "v=0", ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stream without a session: %d", res.StatusCode)
	}
	t.Run("shutdown", func(t *testing.T) { shutdownEndsQueueStreams(t, e) })
}

// An open queue page does not hold the server's shutdown: its stream ends
// at once (the server's wait for requests in flight is up to 30 s).
func shutdownEndsQueueStreams(t *testing.T, e *env) {
	s := server.New(server.Config{Vault: e.vault, Verifier: e.verifier}, e.db, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	// The session is signed in on e's server; both share the database.
	sup := e.browser()
	sup.signIn("sup", testPassword, "")
	u, _ := url.Parse(e.srv.URL)
	cookies := sup.c.Jar.Cookies(u)
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/ui/queue/rows?v=0", nil)
	req.Header.Set("Accept", "text/event-stream")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	start := time.Now()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server still waits for the open event stream 5 s after the shutdown began")
	}
	t.Logf("shut down in %s with a queue stream open", time.Since(start).Round(time.Millisecond))
}
