package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"checkpost/server/store"
)

// ageChoices are the queue's age filters: "submitted within" (max) and
// "waiting longer than" (min).
var ageChoices = []struct{ Value, Label string }{
	{"15m", "15 minutes"}, {"1h", "1 hour"}, {"4h", "4 hours"}, {"24h", "24 hours"}, {"168h", "7 days"},
}

// queueLimit bounds the queue page; past it the page says so (filter, or
// decide the oldest).
const queueLimit = 200

type option struct {
	Value, Label string
	Selected     bool
}

type queueData struct {
	Items       []queueRow
	Query       string // the filter's query string, for the live update
	Version     string
	Counters    []option
	Statuses    []option
	Reasons     []option
	Recs        []option
	MaxAge      []option
	MinAge      []option
	Mine        bool
	Filtered    bool
	CSRF        string
	CanAssign   bool
	Title       string
	CounterView bool // a counter's own submissions
	Limit       int  // the list's length limit, shown when reached
	Full        bool
}

type queueRow struct {
	store.QueueItem
	Waiting string
	Mine    bool
}

func options(values []string, selected string, label func(string) string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		l := v
		if label != nil {
			l = label(v)
		}
		out[i] = option{Value: v, Label: l, Selected: v == selected}
	}
	return out
}

// queueFilter reads the queue's filter from the query; bad values are
// reported, not ignored.
func (u *UI) queueFilter(q url.Values, s store.Session) (store.QueueFilter, string) {
	f := store.QueueFilter{Counter: q.Get("counter"), Status: q.Get("status"), Reason: q.Get("reason"), Recommendation: q.Get("rec")}
	if f.Status != "" && !slices.Contains(store.ReviewStatuses, f.Status) {
		return f, "Unknown status " + strconv.Quote(f.Status) + "."
	}
	if f.Recommendation != "" && f.Recommendation != "REFER" && f.Recommendation != "ALERT" {
		return f, "Unknown recommendation " + strconv.Quote(f.Recommendation) + "."
	}
	now := u.now()
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"within", &f.Since}, {"older", &f.Before}} {
		if v := q.Get(p.name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 || d > 366*24*time.Hour {
				return f, "Bad age " + strconv.Quote(v) + "."
			}
			*p.dst = now.Add(-d)
		}
	}
	if q.Get("mine") == "1" && s.AccountID != 0 {
		f.AssignedTo = s.AccountID
	}
	return f, ""
}

func (u *UI) queueData(r *http.Request) (*queueData, string, error) {
	s, _ := SessionFrom(r.Context())
	q := r.URL.Query()
	f, bad := u.queueFilter(q, s)
	d := &queueData{Query: q.Encode(), CSRF: s.CSRF, CanAssign: true, Mine: f.AssignedTo != 0}
	for _, k := range []string{"counter", "status", "reason", "rec", "within", "older", "mine"} {
		if q.Get(k) != "" {
			d.Filtered = true
		}
	}
	if bad != "" {
		return d, bad, nil
	}
	ctx := r.Context()
	var err error
	if d.Version, err = u.db.QueueVersion(ctx); err != nil {
		return nil, "", err
	}
	f.Limit = queueLimit
	items, err := u.vault.Queue(ctx, f)
	if err != nil {
		return nil, "", err
	}
	d.Limit, d.Full = queueLimit, len(items) == queueLimit
	now := u.now()
	for _, it := range items {
		d.Items = append(d.Items, queueRow{QueueItem: it, Waiting: ageText(now.Sub(it.CreatedAt)),
			Mine: it.AssignedTo != "" && it.AssignedTo == s.Name})
	}
	counters, err := u.db.Counters(ctx)
	if err != nil {
		return nil, "", err
	}
	reasons, err := u.reasonCodes(ctx)
	if err != nil {
		return nil, "", err
	}
	d.Counters = options(counters, f.Counter, nil)
	d.Statuses = options(store.ReviewStatuses, f.Status, nil)
	d.Reasons = options(reasons, f.Reason, nil)
	d.Recs = options([]string{"REFER", "ALERT"}, f.Recommendation, nil)
	for _, a := range ageChoices {
		d.MaxAge = append(d.MaxAge, option{a.Value, a.Label, q.Get("within") == a.Value})
		d.MinAge = append(d.MinAge, option{a.Value, a.Label, q.Get("older") == a.Value})
	}
	return d, "", nil
}

func (u *UI) handleQueue(w http.ResponseWriter, r *http.Request) {
	if !u.needVault(w, r) {
		return
	}
	d, bad, err := u.queueData(r)
	if err != nil {
		u.log.Error("queue", "err", err)
		u.fail(w, r, http.StatusInternalServerError, "The queue could not be read; it has been logged.")
		return
	}
	status := http.StatusOK
	if bad != "" {
		status = http.StatusBadRequest
	}
	nav := "queue"
	if d.Mine {
		nav = "mycases"
	}
	u.render(w, r, status, "queue", page{Title: "Referral queue", Nav: nav, Error: bad, Data: d})
}

// handleQueueRows answers the queue page's poll: 204 while the queue is as
// the page last saw it (the version it sends), else the table's rows; or,
// asked for an event stream, pushes the rows at each change (events.go).
func (u *UI) handleQueueRows(w http.ResponseWriter, r *http.Request) {
	if !u.needVault(w, r) {
		return
	}
	if wantsStream(r) {
		u.streamQueue(w, r)
		return
	}
	v, err := u.db.QueueVersion(r.Context())
	if err != nil {
		u.log.Error("queue version", "err", err)
		http.Error(w, "the queue could not be read", http.StatusInternalServerError)
		return
	}
	if r.URL.Query().Get("v") == v {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	d, bad, err := u.queueData(r)
	if err != nil || bad != "" {
		http.Error(w, "bad queue filter", http.StatusBadRequest)
		return
	}
	w.Header().Set("X-Queue-Version", d.Version)
	w.Header().Set("X-Queue-Count", strconv.Itoa(len(d.Items)))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := u.pages["queue"].ExecuteTemplate(w, "queue-rows", d); err != nil {
		u.log.Error("render queue rows", "err", err)
	}
}

// handleMine lists a counter terminal's own submissions, newest first.
func (u *UI) handleMine(w http.ResponseWriter, r *http.Request) {
	if !u.needVault(w, r) {
		return
	}
	s, _ := SessionFrom(r.Context())
	actor := s.Actor()
	items, err := u.vault.Queue(r.Context(), store.QueueFilter{SubmittedBy: &actor, Newest: true, Limit: 300})
	if err != nil {
		u.log.Error("own submissions", "err", err)
		u.fail(w, r, http.StatusInternalServerError, "Your submissions could not be read; it has been logged.")
		return
	}
	d := &queueData{CounterView: true, Title: "Submissions of " + s.Name}
	now := u.now()
	for _, it := range items {
		d.Items = append(d.Items, queueRow{QueueItem: it, Waiting: ageText(now.Sub(it.CreatedAt))})
	}
	u.render(w, r, http.StatusOK, "mine", page{Title: d.Title, Nav: "mine", Data: d})
}

// reasonCodes are the alert-type filter's choices. Listing them reads the
// reasons of every referred case (150-350 ms at 60,000 referred cases), so
// the list is kept for a minute: a new code shows in the filter a little
// late, never wrong in the queue itself.
func (u *UI) reasonCodes(ctx context.Context) ([]string, error) {
	u.reasonsMu.Lock()
	defer u.reasonsMu.Unlock()
	if u.now().Before(u.reasonsUntil) {
		return u.reasons, nil
	}
	codes, err := u.db.ReasonCodes(ctx)
	if err != nil {
		return nil, err
	}
	u.reasons, u.reasonsUntil = codes, u.now().Add(time.Minute)
	return codes, nil
}

// ageText says how long ago, in the largest sensible unit.
func ageText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h " + strconv.Itoa(int(d.Minutes())%60) + " min"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days"
}
