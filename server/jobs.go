package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"checkpost/server/store"
)

// jobs are the server's background work: purging evidence past its
// retention, and re-encrypting data under the active key after a rotation.
// Both work in small batches, each its own short transaction, so requests
// are never blocked for long, and both resume from the data after a crash.
type jobs struct {
	s          *Server
	purgeEvery time.Duration
	wake       chan struct{} // asks the re-encryption loop to look now

	rotateMu sync.Mutex // one rotation at a time

	mu    sync.Mutex
	state ReencryptState
}

// ReencryptState says how re-encryption stands.
type ReencryptState struct {
	Running   bool      `json:"running"`
	Done      int64     `json:"done"`
	Remaining int64     `json:"remaining"`
	LastError string    `json:"last_error,omitempty"`
	Finished  time.Time `json:"finished,omitzero"`
}

func newJobs(s *Server) *jobs {
	every := s.cfg.PurgeEvery
	if every <= 0 {
		every = time.Minute
	}
	return &jobs{s: s, purgeEvery: every, wake: make(chan struct{}, 1)}
}

func (j *jobs) status() ReencryptState {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}

// kick asks the re-encryption loop to run.
func (j *jobs) kick() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// start runs the jobs until ctx ends or stop is called; stop waits for them.
func (j *jobs) start(ctx context.Context) (stop func()) {
	if j.s.vault == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); j.purgeLoop(ctx) }()
	go func() { defer wg.Done(); j.reencryptLoop(ctx) }()
	j.kick() // finish a re-encryption a crash or restart interrupted
	return func() { cancel(); wg.Wait() }
}

func (j *jobs) purgeLoop(ctx context.Context) {
	t := time.NewTicker(j.purgeEvery)
	defer t.Stop()
	for {
		j.purgeOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// purgeOnce purges every expired blob, 200 at a time.
func (j *jobs) purgeOnce(ctx context.Context) int {
	total := 0
	for ctx.Err() == nil {
		n, err := j.s.vault.PurgeExpired(ctx, time.Now(), 200)
		if err != nil {
			if ctx.Err() == nil {
				j.s.log.Error("retention: purge failed", "err", err)
			}
			break
		}
		total += n
		if n == 0 {
			break
		}
	}
	if total > 0 {
		j.s.log.Info("retention: purged expired evidence", "blobs", total)
	}
	return total
}

func (j *jobs) reencryptLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-j.wake:
		}
		j.reencrypt(ctx)
	}
}

// reencrypt re-seals every blob under an old key, one batch at a time with a
// pause between batches, so that the work never crowds out requests.
func (j *jobs) reencrypt(ctx context.Context) {
	v := j.s.vault
	var done int64
	j.set(func(st *ReencryptState) { st.Running, st.LastError = true, "" })
	for ctx.Err() == nil {
		n, remaining, err := v.ReencryptBatch(ctx, 32, 16<<20)
		done += int64(n)
		if err != nil {
			if ctx.Err() == nil {
				j.s.log.Error("re-encryption failed; it resumes on the next start or rotation", "err", err)
				j.set(func(st *ReencryptState) { st.Running, st.LastError = false, err.Error() })
			}
			break
		}
		j.set(func(st *ReencryptState) { st.Done, st.Remaining = done, remaining })
		if remaining == 0 {
			if done > 0 {
				j.s.log.Info("re-encryption finished", "blobs", done, "key", v.Keys().ActiveID())
				if _, err := v.Audit(ctx, store.AuditEntry{Actor: store.SystemActor, Action: "key.reencrypt", ObjectType: "key",
					ObjectID: v.Keys().ActiveID(), Details: map[string]string{"blobs": fmt.Sprint(done)}}); err != nil {
					j.s.log.Error("audit re-encryption", "err", err)
				}
			}
			j.set(func(st *ReencryptState) { st.Running, st.Finished = false, time.Now().UTC() })
			return
		}
		if n > 0 {
			j.s.log.Debug("re-encryption", "done", done, "remaining", remaining)
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	j.set(func(st *ReencryptState) { st.Running = false })
}

func (j *jobs) set(f func(*ReencryptState)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(&j.state)
}
