package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"checkpost/biometric"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the current parameters", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		if ok, err := CheckPassword(h, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	// Hashes made with other parameters still verify.
	parts := strings.Split(h, "$")
	for _, bad := range []string{"", "$argon2i$v=19$m=65536,t=3,p=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=9999999999,t=3,p=2$" + parts[4] + "$" + parts[5], "$argon2id$v=19$m=65536,t=3$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=65536,t=3,p=2$!!$" + parts[5], "$argon2id$v=19$m=65536,t=0,p=2$" + parts[4] + "$" + parts[5]} {
		if ok, err := CheckPassword(bad, "correct horse battery"); err == nil || ok {
			t.Errorf("CheckPassword on malformed %q: %v, %v; want an error", bad, ok, err)
		}
	}
}

func FuzzParsePasswordHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePasswordHash(s)
		if err != nil {
			return
		}
		if h.memory > maxArgonMemory || h.time > maxArgonTime || h.threads == 0 || len(h.key) < 16 {
			t.Fatalf("accepted out-of-range parameters %+v from %q", h, s)
		}
	})
}

func TestAccountsAndSignIn(t *testing.T) {
	ctx := context.Background()
	v, _ := openVault(t, filepath.Join(t.TempDir(), "a.db"))
	db := v.DB()
	if _, err := db.CreateAccount(ctx, "ana", RoleSupervisor, "short"); err == nil {
		t.Fatal("a short password was accepted")
	}
	if _, err := db.CreateAccount(ctx, "ana", RoleAdmin, "long enough password"); err == nil {
		t.Fatal("an admin account was made: accounts are supervisors or chiefs")
	}
	a, err := db.CreateAccount(ctx, "ana", RoleSupervisor, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAccount(ctx, "ana", RoleChief, "another long password"); !errors.Is(err, ErrAccountExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	var stored string
	db.QueryRowContext(ctx, `SELECT password_hash FROM accounts WHERE id = ?`, a.ID).Scan(&stored)
	if strings.Contains(stored, "long enough") || !strings.HasPrefix(stored, "$argon2id$") {
		t.Fatalf("stored password %q", stored)
	}
	got, err := db.Authenticate(ctx, " ana ", "long enough password")
	if err != nil || got.ID != a.ID || got.Role != RoleSupervisor {
		t.Fatalf("sign in: %+v, %v", got, err)
	}
	if _, err := db.Authenticate(ctx, "nobody", "long enough password"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown name: %v", err)
	}
	for i := range MaxFailedLogins {
		if _, err := db.Authenticate(ctx, "ana", "wrong password!!"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong password %d: %v", i, err)
		}
	}
	if _, err := db.Authenticate(ctx, "ana", "long enough password"); !errors.Is(err, ErrAccountLocked) {
		t.Fatalf("after %d wrong passwords the right one: %v, want locked", MaxFailedLogins, err)
	}
	if err := db.SetPassword(ctx, "ana", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, "ana", "a brand new password"); err != nil {
		t.Fatalf("after a new password: %v", err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	v, _ := openVault(t, filepath.Join(t.TempDir(), "s.db"))
	db := v.DB()
	a, err := db.CreateAccount(ctx, "ben", RoleChief, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	secret, s, err := db.CreateSession(ctx, a.ID, 0, a.Role, a.Name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.LookupSession(ctx, secret)
	if err != nil || got.AccountID != a.ID || got.Role != RoleChief || got.CSRF != s.CSRF || got.CSRF == "" {
		t.Fatalf("lookup: %+v, %v", got, err)
	}
	if got.Actor() != a.Actor() {
		t.Fatalf("actor %+v, want %+v", got.Actor(), a.Actor())
	}
	var n int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ui_sessions WHERE id_hash = ? OR CAST(id_hash AS TEXT) = ?`, []byte(secret), secret).Scan(&n)
	if n != 0 {
		t.Fatal("the session secret is stored in clear")
	}
	if _, err := db.LookupSession(ctx, secret+"x"); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("wrong secret: %v", err)
	}
	// Peeking does not keep a session alive; a lookup does.
	old := fmtTime(time.Now().Add(-10 * time.Minute))
	db.ExecContext(ctx, `UPDATE ui_sessions SET last_seen_at = ?`, old)
	if _, err := db.PeekSession(ctx, secret); err != nil {
		t.Fatal(err)
	}
	var seen string
	db.QueryRowContext(ctx, `SELECT last_seen_at FROM ui_sessions`).Scan(&seen)
	if seen != old {
		t.Fatal("PeekSession marked the session seen")
	}
	db.LookupSession(ctx, secret)
	db.QueryRowContext(ctx, `SELECT last_seen_at FROM ui_sessions`).Scan(&seen)
	if seen == old {
		t.Fatal("LookupSession did not mark the session seen")
	}
	// Idle too long: gone.
	db.ExecContext(ctx, `UPDATE ui_sessions SET last_seen_at = ?`, fmtTime(time.Now().Add(-SessionIdle-time.Minute)))
	if _, err := db.LookupSession(ctx, secret); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("idle session: %v", err)
	}
	secret, _, _ = db.CreateSession(ctx, a.ID, 0, a.Role, a.Name)
	if err := db.EndSession(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LookupSession(ctx, secret); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("ended session: %v", err)
	}
	// A token's session ends with the token.
	_, tok, _ := db.CreateToken(ctx, RoleCounter, "counter 4")
	secret, _, _ = db.CreateSession(ctx, 0, tok.ID, RoleCounter, tok.Name)
	if _, err := db.LookupSession(ctx, secret); err != nil {
		t.Fatal(err)
	}
	db.RevokeToken(ctx, tok.ID)
	if _, err := db.LookupSession(ctx, secret); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("session of a revoked token: %v", err)
	}
}

func TestReviewQueueAssignEscalateDecide(t *testing.T) {
	ctx := context.Background()
	v, _ := openVault(t, filepath.Join(t.TempDir(), "r.db"))
	db := v.DB()
	sup, _ := db.CreateAccount(ctx, "sup", RoleSupervisor, "long enough password")
	chief, _ := db.CreateAccount(ctx, "chief", RoleChief, "long enough password")
	mk := func(counter, rec string, reasons ...string) string {
		nv := sampleVerification()
		nv.Counter, nv.Recommendation, nv.Reasons = counter, rec, reasons
		id, err := v.CreateVerification(ctx, nv)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := mk("C1", "REFER", "watchlist.person")
	time.Sleep(2 * time.Millisecond)
	b := mk("C2", "ALERT", "watchlist.fingerprint", "ir.mrz.absorption")
	time.Sleep(2 * time.Millisecond)
	c := mk("C1", "CLEAR")
	time.Sleep(2 * time.Millisecond)
	d := mk("C2", "REFER", "uv.paper.dullness")

	ids := func(f QueueFilter) []string {
		t.Helper()
		items, err := v.Queue(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	if got := ids(QueueFilter{}); !slices.Equal(got, []string{a, b, d}) {
		t.Fatalf("queue %v, want oldest first without the CLEAR case %v", got, []string{a, b, d})
	}
	if got := ids(QueueFilter{Counter: "C2"}); !slices.Equal(got, []string{b, d}) {
		t.Fatalf("counter C2: %v", got)
	}
	if got := ids(QueueFilter{Reason: "watchlist"}); !slices.Equal(got, []string{a, b}) {
		t.Fatalf("reason watchlist: %v", got)
	}
	if got := ids(QueueFilter{Reason: "watchlist.person"}); !slices.Equal(got, []string{a}) {
		t.Fatalf("reason watchlist.person: %v", got)
	}
	if got := ids(QueueFilter{Reason: "watch%"}); len(got) != 0 {
		t.Fatalf("a LIKE pattern in the reason matched %v", got)
	}
	if got := ids(QueueFilter{Recommendation: "ALERT"}); !slices.Equal(got, []string{b}) {
		t.Fatalf("ALERT: %v", got)
	}
	if got := ids(QueueFilter{Since: time.Now().Add(time.Hour)}); len(got) != 0 {
		t.Fatalf("since the future: %v", got)
	}
	if codes, _ := db.ReasonCodes(ctx); !slices.Equal(codes, []string{"ir", "ir.mrz.absorption", "uv", "uv.paper.dullness", "watchlist", "watchlist.fingerprint", "watchlist.person"}) {
		t.Fatalf("reason codes %v", codes)
	}

	v1, _ := db.QueueVersion(ctx)
	if err := v.Assign(ctx, a, sup.ID, sup.Actor(), Where{RequestID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if v2, _ := db.QueueVersion(ctx); v2 == v1 {
		t.Fatal("queue version did not move on assignment")
	}
	if err := v.Assign(ctx, c, sup.ID, sup.Actor(), Where{}); !errors.Is(err, ErrNotReviewable) {
		t.Fatalf("assigning a CLEAR case: %v", err)
	}
	if got := ids(QueueFilter{Status: StatusAssigned}); !slices.Equal(got, []string{a}) {
		t.Fatalf("assigned: %v", got)
	}
	if got := ids(QueueFilter{Status: StatusOpen}); !slices.Equal(got, []string{b, d}) {
		t.Fatalf("open: %v", got)
	}
	if err := v.Escalate(ctx, b, sup.ID, "look at this", sup, Where{}); !errors.Is(err, ErrNotChief) {
		t.Fatalf("escalated to a supervisor: %v", err)
	}
	if err := v.Escalate(ctx, b, chief.ID, "", sup, Where{}); err == nil {
		t.Fatal("escalated without a note")
	}
	if err := v.Escalate(ctx, b, chief.ID, "same person as last week?", sup, Where{}); err != nil {
		t.Fatal(err)
	}
	r, err := v.ReviewOf(ctx, b)
	if err != nil || r.Status != StatusEscalated || r.EscalatedTo.Name != "chief" || r.EscalatedBy.Name != "sup" ||
		r.EscalationNote != "same person as last week?" || r.AssignedTo.Name != "chief" {
		t.Fatalf("review of escalated case: %+v, %v", r, err)
	}
	// The chief hands the case back to a supervisor and takes it again.
	if err := v.Assign(ctx, b, sup.ID, chief.Actor(), Where{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := v.ReviewOf(ctx, b); r.Status != StatusAssigned || r.EscalatedTo != nil || r.EscalationNote != "same person as last week?" {
		t.Fatalf("handed back: %+v", r)
	}
	if err := v.Escalate(ctx, b, chief.ID, "back to you after all", sup, Where{}); err != nil {
		t.Fatal(err)
	}
	if err := v.RecordDecision(ctx, b, Decision{Outcome: DecisionOffloaded, Actions: []string{"handed_to_anti_trafficking"},
		Comment: "travelling with a recruiter", Actor: chief.Actor()}); err != nil {
		t.Fatal(err)
	}
	r, _ = v.ReviewOf(ctx, b)
	if r.Status != StatusDecided || r.DecisionComment != "travelling with a recruiter" {
		t.Fatalf("decided: %+v", r)
	}
	if err := v.Assign(ctx, b, sup.ID, sup.Actor(), Where{}); !errors.Is(err, ErrNotReviewable) {
		t.Fatalf("assigning a decided case: %v", err)
	}
	if got := ids(QueueFilter{}); !slices.Equal(got, []string{a, d}) {
		t.Fatalf("undecided queue: %v", got)
	}
	if got := ids(QueueFilter{Status: StatusDecided}); !slices.Equal(got, []string{b}) {
		t.Fatalf("decided: %v", got)
	}
	mine := ids(QueueFilter{SubmittedBy: &Actor{Kind: "token", ID: "7"}, Newest: true})
	if !slices.Equal(mine, []string{d, c, b, a}) {
		t.Fatalf("a counter's own submissions, newest first, CLEAR included: %v", mine)
	}

	tl, err := db.AuditOf(ctx, "verification", b, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range tl {
		actions = append(actions, e.Action)
	}
	if !slices.Equal(actions, []string{"verification.create", "review.escalate", "review.assign", "review.escalate", "movement.decide"}) {
		t.Fatalf("timeline %v", actions)
	}
	if rep, err := db.VerifyAudit(ctx, nil, nil); err != nil || !rep.Intact() {
		t.Fatalf("audit chain: %+v, %v", rep, err)
	}

	st, err := v.Stats(ctx, time.Now().Add(-48*time.Hour), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	last := st.PerDay[len(st.PerDay)-1]
	if st.Total != 4 || len(st.PerDay) < 3 || last.Clear != 1 || last.Refer != 2 || last.Alert != 1 {
		t.Fatalf("stats: total %d, per day %+v", st.Total, st.PerDay)
	}
	if !slices.Equal(st.ByCounter, []Count{{"C2", 2}, {"C1", 1}}) || st.Undecided != 2 ||
		!slices.Equal(st.Decisions, []Count{{"offloaded", 1}}) || !slices.Equal(st.Actions, []Count{{"handed_to_anti_trafficking", 1}}) {
		t.Fatalf("stats: %+v", st)
	}
	if len(st.ByReason) != 4 || st.ByRoute[0] != (Count{"UA123", 3}) {
		t.Fatalf("stats by reason %v, by route %v", st.ByReason, st.ByRoute)
	}
}

func TestEnrolledFingersAndListedPerson(t *testing.T) {
	ctx := context.Background()
	v, _ := openVault(t, filepath.Join(t.TempDir(), "f.db"))
	tpl := biometric.Template{Width: 300, Height: 400, ResolutionPPI: 500, Position: biometric.RightIndex}
	for i := range 20 {
		tpl.Minutiae = append(tpl.Minutiae, biometric.Minutia{X: 20 + i*12, Y: 30 + (i*37)%300, Angle: float64(i) * 0.3, Type: biometric.MinutiaEnding})
	}
	if _, err := v.EnrollFingerprints(ctx, SystemActor, []FingerprintEnrollment{{Subject: "TR-0042",
		Fingers: []EnrolledFinger{{Position: biometric.RightIndex, Template: tpl}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := v.EnrolledFingers(ctx, "TR-0042")
	if err != nil || len(got) != 1 || len(got[0].Minutiae) != 20 || got[0].Width != 300 {
		t.Fatalf("enrolled fingers: %d, %v", len(got), err)
	}
	if none, err := v.EnrolledFingers(ctx, "nobody"); err != nil || none != nil {
		t.Fatalf("unknown subject: %v, %v", none, err)
	}
	if _, err := importPersonsCSV(t, v.DB(), "test", "list,ref,surname,given_names,birth_date,nationality,reason\n"+
		"trafficker,TR-0042,DOE,JOHN,1980-02-03,UTO,recruits for forced labour\n"); err != nil {
		t.Fatal(err)
	}
	p, err := v.DB().ListedPersonByRef(ctx, "TR-0042")
	if err != nil || p == nil || p.Reason != "recruits for forced labour" || p.List != "trafficker" || len(p.Names) != 1 || p.Names[0] != "DOE, JOHN" {
		t.Fatalf("listed person: %+v, %v", p, err)
	}
	if p2, err := v.DB().ListedPersonByID(ctx, p.ID); err != nil || p2.Ref != "TR-0042" {
		t.Fatalf("by id: %+v, %v", p2, err)
	}
	if p3, err := v.DB().ListedPersonByRef(ctx, "nobody"); err != nil || p3 != nil {
		t.Fatalf("unknown ref: %+v, %v", p3, err)
	}
}

// BenchmarkHashPassword is the cost of one sign-in (argon2id, 64 MiB, 3
// passes, 2 lanes): what an attacker pays per guess, too.
func BenchmarkHashPassword(b *testing.B) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := CheckPassword(h, "correct horse battery"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
