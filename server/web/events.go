package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The queue page is pushed its changes as Server-Sent Events on the route
// it polls (/ui/queue/rows with Accept: text/event-stream): one watcher
// per server reads the queue's version a few times a second while any
// page listens (two indexed MAX queries, not a scan), and each stream
// sends its page's rows, under its own filter, when the version moves.
// The stream ends with the request's time limit and the browser
// reconnects by itself (the session is checked again then); the page
// falls back to polling when the stream cannot be had.

// queueWatchPeriod is how often the watcher reads the queue's version.
const queueWatchPeriod = 400 * time.Millisecond

// streamHeartbeat keeps an idle stream from being closed by a proxy.
const streamHeartbeat = 15 * time.Second

// queueWatch tells listeners when the queue's version changes.
type queueWatch struct {
	read func(context.Context) (string, error)

	mu      sync.Mutex
	version string
	changed chan struct{} // closed and replaced at each change
	subs    int
	poke    chan struct{}
}

func newQueueWatch(read func(context.Context) (string, error)) *queueWatch {
	return &queueWatch{read: read, changed: make(chan struct{}), poke: make(chan struct{}, 1)}
}

// subscribe registers a listener and returns the channel closed at the
// next change; release must be called when the listener leaves.
func (q *queueWatch) subscribe() (next func() <-chan struct{}, release func()) {
	q.mu.Lock()
	q.subs++
	if q.subs == 1 {
		go q.run()
	}
	q.mu.Unlock()
	next = func() <-chan struct{} {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.changed
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			q.mu.Lock()
			q.subs--
			q.mu.Unlock()
		})
	}
	return next, release
}

// nudge makes the watcher look now (after a change made through the page).
func (q *queueWatch) nudge() {
	select {
	case q.poke <- struct{}{}:
	default:
	}
}

// run reads the version until nobody listens.
func (q *queueWatch) run() {
	t := time.NewTicker(queueWatchPeriod)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-q.poke:
		}
		q.mu.Lock()
		if q.subs == 0 {
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, err := q.read(ctx)
		cancel()
		if err != nil {
			continue
		}
		q.mu.Lock()
		if v != q.version {
			q.version = v
			close(q.changed)
			q.changed = make(chan struct{})
		}
		q.mu.Unlock()
	}
}

// wantsStream says whether a request asks for an event stream.
func wantsStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// queueEvent is the data of a "rows" event.
type queueEvent struct {
	Version string `json:"version"`
	Count   int    `json:"count"`
	HTML    string `json:"html"`
}

// streamQueue pushes the page's rows whenever the queue changes. The
// version the page has comes as Last-Event-ID (a reconnection) or v.
func (u *UI) streamQueue(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	have := r.Header.Get("Last-Event-ID")
	if have == "" {
		have = r.URL.Query().Get("v")
	}
	if _, bad, err := u.queueData(r); err != nil || bad != "" {
		http.Error(w, "bad queue filter", http.StatusBadRequest)
		return
	}
	next, release := u.queueWatch.subscribe()
	defer release()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The browser waits this long before reconnecting.
	fmt.Fprint(w, "retry: 1500\n\n")
	if err := rc.Flush(); err != nil {
		// No streaming through this writer: the page falls back to polling.
		return
	}
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	for {
		changed := next()
		v, err := u.db.QueueVersion(r.Context())
		if err != nil {
			return
		}
		if v != have {
			d, _, err := u.queueData(r)
			if err != nil {
				return
			}
			var b bytes.Buffer
			if err := u.pages["queue"].ExecuteTemplate(&b, "queue-rows", d); err != nil {
				u.log.Error("render queue rows", "err", err)
				return
			}
			data, _ := json.Marshal(queueEvent{Version: d.Version, Count: len(d.Items), HTML: b.String()})
			// One data line: JSON escapes the newlines.
			if _, err := fmt.Fprintf(w, "event: rows\nid: %s\ndata: %s\n\n", d.Version, data); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			have = d.Version
		}
		select {
		case <-r.Context().Done():
			return
		case <-u.streamsDone:
			return
		case <-changed:
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": still here\n\n"); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

// StopStreams ends the open event streams (the server calls it when it
// shuts down, so that open queue pages do not hold the shutdown until
// their streams' time limit). The pages reconnect to the next server.
func (u *UI) StopStreams() { u.stopStreams.Do(func() { close(u.streamsDone) }) }
