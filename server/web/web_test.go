package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"checkpost/server"
	"checkpost/server/store"
)

func TestSignInSessionCookieAndSignOut(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	res := b.get("/ui/queue")
	if res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/ui/login?next=") {
		t.Fatalf("queue without a session: %d to %q", res.Code, res.Location)
	}
	login := b.get("/ui/login")
	if csp := login.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	form := url.Values{"csrf": {csrfOf(login.Body)}, "name": {"sup"}, "password": {"wrong password here"}}
	if res := b.do("POST", "/ui/login", form, nil); res.Code != http.StatusUnauthorized || !strings.Contains(res.Body, "Wrong name or password") {
		t.Fatalf("wrong password: %d", res.Code)
	}
	// Without the login form's CSRF cookie value: refused.
	if res := b.do("POST", "/ui/login", url.Values{"csrf": {"forged"}, "name": {"sup"}, "password": {testPassword}}, nil); res.Code != http.StatusForbidden {
		t.Fatalf("sign-in with a forged CSRF token: %d", res.Code)
	}
	form.Set("password", testPassword)
	form.Set("next", "/ui/stats")
	res = b.do("POST", "/ui/login", form, nil)
	if res.Code != http.StatusSeeOther || res.Location != "/ui/stats" {
		t.Fatalf("sign-in: %d to %q: %s", res.Code, res.Location, res.Body)
	}
	var cookie string
	for _, c := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "__Host-checkpost-session=") {
			cookie = c
		}
	}
	for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	// An open redirect is not followed.
	b2 := e.browser()
	l2 := b2.get("/ui/login")
	res = b2.do("POST", "/ui/login", url.Values{"csrf": {csrfOf(l2.Body)}, "name": {"sup"}, "password": {testPassword}, "next": {"//evil.example/"}}, nil)
	if res.Location != "/ui/queue" {
		t.Fatalf("next=//evil.example/ redirected to %q", res.Location)
	}
	q := b.get("/ui/queue")
	if q.Code != 200 || !strings.Contains(q.Body, "Referral queue") {
		t.Fatalf("queue: %d", q.Code)
	}
	csrf := csrfOf(q.Body)
	if res := b.do("POST", "/ui/logout", url.Values{"csrf": {"nope"}}, nil); res.Code != http.StatusForbidden {
		t.Fatalf("logout without the CSRF token: %d", res.Code)
	}
	if res := b.do("POST", "/ui/logout", url.Values{"csrf": {csrf}}, nil); res.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.Code)
	}
	if res := b.get("/ui/queue"); res.Code != http.StatusSeeOther {
		t.Fatalf("queue after sign-out: %d", res.Code)
	}
}

// TestEveryUIRouteEverySession is the review page's half of the access
// table test: each UI route as no session, each session role, and (for
// POSTs) a request without the CSRF token or from another origin.
func TestEveryUIRouteEverySession(t *testing.T) {
	e := newEnv(t)
	id := e.submit(e.counter, "C7", "REFER LH123", "exit")
	sessions := map[store.Role]*browser{}
	csrf := map[store.Role]string{}
	for role, who := range map[store.Role][2]string{store.RoleSupervisor: {"sup", ""}, store.RoleChief: {"chief", ""},
		store.RoleCounter: {"", e.counter}, store.RoleStation: {"", e.station}} {
		b := e.browser()
		csrf[role] = b.signIn(who[0], testPassword, who[1])
		sessions[role] = b
	}
	checked := 0
	eps := server.Endpoints()
	// Signing out ends the sessions the other routes need: last.
	slices.SortStableFunc(eps, func(a, b server.Endpoint) int {
		return strings.Compare(strconv.FormatBool(a.Pattern == "/ui/logout"), strconv.FormatBool(b.Pattern == "/ui/logout"))
	})
	for _, ep := range eps {
		if !ep.UI {
			continue
		}
		path := strings.NewReplacer("{id}", id, "{name}", "white", "{file}", "app.css", "{subject}", testSubject).Replace(ep.Pattern)
		send := func(b *browser, form url.Values, hdr map[string]string) response {
			if ep.Method == "POST" {
				if form == nil {
					form = url.Values{}
				}
				return b.do("POST", path, form, hdr)
			}
			return b.get(path)
		}
		what := ep.Method + " " + ep.Pattern
		res := send(e.browser(), nil, nil)
		switch {
		case ep.Public:
			if res.Code >= 400 && !(ep.Method == "POST" && res.Code == http.StatusForbidden) {
				t.Errorf("%s without a session: %d", what, res.Code)
			}
		case ep.Method == "GET" && res.Code != http.StatusSeeOther, ep.Method == "POST" && res.Code != http.StatusUnauthorized:
			t.Errorf("%s without a session: %d", what, res.Code)
		}
		if ep.Public {
			continue
		}
		for role, b := range sessions {
			form := url.Values{"csrf": {csrf[role]}}
			if ep.Pattern == "/ui/cases/{id}/assign" {
				form.Set("to", "")
			}
			admitted := slices.Contains(ep.Roles, role)
			if admitted && ep.Method == "POST" {
				if r := send(b, url.Values{"csrf": {"forged"}}, nil); r.Code != http.StatusForbidden {
					t.Errorf("%s as %s with a forged CSRF token: %d", what, role, r.Code)
				}
				if r := send(b, form, map[string]string{"Origin": "https://evil.example"}); r.Code != http.StatusForbidden {
					t.Errorf("%s as %s from another origin: %d", what, role, r.Code)
				}
			}
			res := send(b, form, nil)
			switch {
			case !admitted && res.Code != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403", what, role, res.Code)
			case admitted && (res.Code == 401 || res.Code == 403 || res.Code >= 500):
				t.Errorf("%s as %s: %d, want it admitted: %.300s", what, role, res.Code, res.Body)
			}
			checked++
		}
	}
	if checked < 40 {
		t.Fatalf("checked only %d combinations", checked)
	}
}

func TestCaseDecisionRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.submit(e.counter, "C7", "REFER LH123", "exit")
	clear := e.submit(e.counter, "C7", "LH999", "entry")
	sup, sup2, chief := e.browser(), e.browser(), e.browser()
	csrf := sup.signIn("sup", testPassword, "")
	csrf2 := sup2.signIn("sup2", testPassword, "")
	csrfC := chief.signIn("chief", testPassword, "")

	page := sup.get("/ui/cases/" + id)
	for _, want := range []string{
		`class="region fail"`, `<mark title="Document number: check digit 6 does not match the number (3)">6</mark>`,
		"recruits domestic workers with forged job offers", "1974-08-21", `/ui/cases/` + id + `/enrolled/` + testSubject,
		`<span class="st fail">invalid</span>`, `<circle cx="100" cy="120" r="9" class="pair-ring"`,
		`<span class="badge alert">HIT</span>`, "uto-passport revision 2 (by the MRZ)", "timeout: time limit of 250ms reached",
		`<span class="fixed" title="corrected: line 2, position 16: &#34;0&#34; read as &#34;O&#34; (character class)">0</span>`,
		"right-index</dt><dd>image, 41 minutiae, quality 63", "Why it matched:</strong> name ERIKSON is close", "Off-load", "Seize the document", "Hand over to the anti-trafficking unit", `name="comment"`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if strings.Count(page.Body, `<rect x="240" y="60" width="300" height="180" class="region fail"`) != 1 {
		t.Error("the UV region is not outlined once on the UV image")
	}
	if strings.Contains(page.Body, `<rect x="30" y="318" width="560" height="64" class="region pass"`) {
		t.Error("a passing check's region is outlined")
	}
	if !strings.Contains(sup.get("/ui/cases/"+clear).Body, "decided at the counter") {
		t.Error("a CLEAR case offers a supervisor's decision")
	}
	svg := sup.get("/ui/cases/" + id + "/enrolled/" + testSubject)
	if svg.Code != 200 || !strings.Contains(svg.Body, "<svg") || strings.Count(svg.Body, "<circle") != 31 {
		t.Fatalf("enrolled minutiae: %d, %d circles", svg.Code, strings.Count(svg.Body, "<circle"))
	}
	if res := sup.get("/ui/cases/" + id + "/enrolled/SOMEONE-ELSE"); res.Code != http.StatusNotFound {
		t.Fatalf("a subject that is not a candidate: %d", res.Code)
	}
	if img := sup.get("/ui/cases/" + id + "/evidence/uv"); img.Code != 200 || img.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("evidence: %d %s", img.Code, img.Header.Get("Content-Type"))
	}

	// sup takes the case: sup2 may not decide it, and needs a comment anyway.
	if res := sup.do("POST", "/ui/cases/"+id+"/assign", url.Values{"csrf": {csrf}, "to": {"me"}}, nil); res.Code != http.StatusSeeOther {
		t.Fatalf("take: %d", res.Code)
	}
	dec := url.Values{"csrf": {csrf2}, "outcome": {"refused"}, "comment": {"forged visa"}}
	if res := sup2.do("POST", "/ui/cases/"+id+"/decision", dec, nil); res.Code != http.StatusForbidden {
		t.Fatalf("another supervisor's case decided: %d", res.Code)
	}
	dec.Set("csrf", csrf)
	dec.Set("comment", "   ")
	if res := sup.do("POST", "/ui/cases/"+id+"/decision", dec, nil); res.Code != http.StatusBadRequest {
		t.Fatalf("decision without a comment: %d", res.Code)
	}
	if res := sup.do("POST", "/ui/cases/"+id+"/escalate", url.Values{"csrf": {csrf}, "chief": {itoa(e.sup2.ID)}, "note": {"x"}}, nil); res.Code != http.StatusBadRequest {
		t.Fatalf("escalation to a supervisor: %d", res.Code)
	}
	if res := sup.do("POST", "/ui/cases/"+id+"/escalate", url.Values{"csrf": {csrf}, "chief": {itoa(e.chief.ID)}, "note": {"  "}}, nil); res.Code != http.StatusBadRequest {
		t.Fatalf("escalation without a note: %d", res.Code)
	}
	// Escalated: the supervisor may no longer decide, the chief may.
	if res := sup.do("POST", "/ui/cases/"+id+"/escalate", url.Values{"csrf": {csrf}, "chief": {itoa(e.chief.ID)}, "note": {"fingerprint and name hit together"}}, nil); res.Code != http.StatusSeeOther {
		t.Fatalf("escalate: %d %s", res.Code, res.Body)
	}
	dec.Set("comment", "seen it")
	if res := sup.do("POST", "/ui/cases/"+id+"/decision", dec, nil); res.Code != http.StatusForbidden {
		t.Fatalf("supervisor decided an escalated case: %d", res.Code)
	}
	dec = url.Values{"csrf": {csrfC}, "outcome": {"offloaded"}, "action": {"handed_to_anti_trafficking", "document_seized"},
		"comment": {"travelling on a recruiter's job offer; passenger interviewed"}}
	if res := chief.do("POST", "/ui/cases/"+id+"/decision", dec, nil); res.Code != http.StatusSeeOther {
		t.Fatalf("chief's decision: %d %s", res.Code, res.Body)
	}
	if res := chief.do("POST", "/ui/cases/"+id+"/decision", dec, nil); res.Code != http.StatusConflict && res.Code != http.StatusForbidden {
		t.Fatalf("second decision: %d", res.Code)
	}
	v, err := e.vault.GetVerification(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Movement.Decision != store.DecisionOffloaded || v.Movement.DecidedBy != "chief" ||
		!slices.Equal(v.Movement.DecisionActions, []string{"handed_to_anti_trafficking", "document_seized"}) {
		t.Fatalf("movement %+v", v.Movement)
	}
	actions := e.auditActions(id)
	for _, want := range []string{"verification.create by token:counter 7", "verification.read by account:sup", "review.assign by account:sup",
		"review.escalate by account:sup", "movement.decide by account:chief", "fingerprint.read by account:sup", "evidence.read by account:sup"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit lacks %q: %v", want, actions)
		}
	}
	page = chief.get("/ui/cases/" + id)
	for _, want := range []string{"travelling on a recruiter", "fingerprint and name hit together", "Decided", "Escalated"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("decided case page lacks %q", want)
		}
	}
	// Off-loading is for departures: an entry case does not offer it.
	entry := e.submit(e.counter, "C7", "ALERT XY1", "entry")
	if strings.Contains(sup.get("/ui/cases/"+entry).Body, `value="offloaded"`) {
		t.Error("an entry case offers off-loading")
	}
	dec = url.Values{"csrf": {csrf}, "outcome": {"offloaded"}, "comment": {"x"}}
	if res := sup.do("POST", "/ui/cases/"+entry+"/decision", dec, nil); res.Code != http.StatusBadRequest {
		t.Fatalf("off-load on entry: %d", res.Code)
	}
	if rep, err := e.db.VerifyAudit(ctx, nil, nil); err != nil || !rep.Intact() {
		t.Fatalf("audit chain: %+v %v", rep, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestQueueFiltersAndLiveRows(t *testing.T) {
	e := newEnv(t)
	a := e.submit(e.counter, "C7", "REFER LH123", "exit")
	b := e.submit(e.counter2, "C9", "ALERT EK600", "entry")
	c := e.submit(e.counter, "C7", "LH100", "entry") // CLEAR
	sup := e.browser()
	sup.signIn("sup", testPassword, "")
	q := sup.get("/ui/queue")
	ia, ib := strings.Index(q.Body, `data-id="`+a+`"`), strings.Index(q.Body, `data-id="`+b+`"`)
	if ia < 0 || ib < 0 || ia > ib || strings.Contains(q.Body, `data-id="`+c+`"`) {
		t.Fatalf("queue: REFER and ALERT oldest first, no CLEAR (a %d, b %d)", ia, ib)
	}
	if f := sup.get("/ui/queue?counter=C9"); strings.Contains(f.Body, `data-id="`+a+`"`) || !strings.Contains(f.Body, `data-id="`+b+`"`) {
		t.Error("counter filter")
	}
	if f := sup.get("/ui/queue?rec=ALERT&reason=watchlist&within=1h"); strings.Contains(f.Body, `data-id="`+a+`"`) || !strings.Contains(f.Body, `data-id="`+b+`"`) {
		t.Error("recommendation, alert type and age filters")
	}
	if f := sup.get("/ui/queue?older=1h"); strings.Contains(f.Body, `data-id=`) {
		t.Error("waiting longer than 1 h matched fresh cases")
	}
	if f := sup.get("/ui/queue?status=bogus"); f.Code != http.StatusBadRequest {
		t.Errorf("bad status: %d", f.Code)
	}
	rows := sup.do("GET", "/ui/queue/rows", nil, map[string]string{"X-Requested-With": "fetch"})
	v := rows.Header.Get("X-Queue-Version")
	if rows.Code != 200 || v == "" || !strings.Contains(rows.Body, `data-id="`+a+`"`) {
		t.Fatalf("rows: %d version %q", rows.Code, v)
	}
	if r := sup.do("GET", "/ui/queue/rows?v="+v, nil, map[string]string{"X-Requested-With": "fetch"}); r.Code != http.StatusNoContent {
		t.Fatalf("unchanged queue: %d", r.Code)
	}
	d := e.submit(e.counter, "C7", "REFER QR1", "exit")
	r := sup.do("GET", "/ui/queue/rows?v="+v, nil, map[string]string{"X-Requested-With": "fetch"})
	if r.Code != 200 || !strings.Contains(r.Body, `data-id="`+d+`"`) || r.Header.Get("X-Queue-Version") == v {
		t.Fatalf("after a new case: %d", r.Code)
	}
	// Counters see their own submissions only, CLEAR ones too.
	ctr := e.browser()
	ctr.signIn("", "", e.counter)
	mine := ctr.get("/ui/mine")
	if !strings.Contains(mine.Body, a) || !strings.Contains(mine.Body, c) || strings.Contains(mine.Body, b) {
		t.Fatal("a counter's own submissions")
	}
	if res := ctr.get("/ui/cases/" + b); res.Code != http.StatusNotFound {
		t.Fatalf("another counter's case: %d", res.Code)
	}
	own := ctr.get("/ui/cases/" + a)
	if own.Code != 200 || strings.Contains(own.Body, "recruits domestic workers") || !strings.Contains(own.Body, "a supervisor reviews them") {
		t.Fatalf("a counter's own case shows the watchlist record (tipping-off) or fails: %d", own.Code)
	}
	st := sup.get("/ui/stats?days=7")
	if st.Code != 200 || strings.Count(st.Body, "<svg") < 5 || !strings.Contains(st.Body, "4 verifications") {
		t.Fatalf("stats: %d, %d charts", st.Code, strings.Count(st.Body, "<svg"))
	}
}

// TestPlainHTTPWarning: over plain HTTP from another machine the Secure
// session cookie would be dropped by the browser; the sign-in page says so
// instead of failing silently. Loopback (make run) and TLS are fine.
func TestPlainHTTPWarning(t *testing.T) {
	e := newEnv(t)
	plain := httptest.NewServer(e.srv.Config.Handler)
	defer plain.Close()
	get := func(host string, hdr map[string]string) string {
		req, _ := http.NewRequest("GET", plain.URL+"/ui/login", nil)
		req.Host = host
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	const warning = "This page came over plain HTTP"
	if !strings.Contains(get("checkpost.example:8080", nil), warning) {
		t.Error("no warning over plain HTTP to another host")
	}
	for _, host := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080"} {
		if strings.Contains(get(host, nil), warning) {
			t.Errorf("warning on loopback %s", host)
		}
	}
	if strings.Contains(get("checkpost.example", map[string]string{"X-Forwarded-Proto": "https"}), warning) {
		t.Error("warning behind a TLS proxy")
	}
	if strings.Contains(e.browser().get("/ui/login").Body, warning) {
		t.Error("warning over TLS")
	}
}
