package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"checkpost/internal/shareddata"
	"checkpost/server/store"
)

// chromiumPath finds Debian's chromium (scripts/setup.sh installs it). The
// end-to-end test skips without it, except in CI, where it must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHECKPOST_CHROMIUM"), "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: the review page's end-to-end test cannot run (scripts/setup.sh installs it)")
	}
	t.Skip("chromium is not installed (scripts/setup.sh installs it); skipping the review page's end-to-end test")
	return ""
}

// artefactDir is where the screenshots go: testdata/out/review at the
// repository root (ignored by git).
func artefactDir(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "out", "review"))
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		dir = t.TempDir()
	}
	return dir
}

// contrastJS returns the text elements whose contrast with their
// background is below WCAG AA (4.5:1; 3:1 for large text).
const contrastJS = `(() => {
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const bad = [];
  document.querySelectorAll('body *').forEach((el) => {
    if (el.closest('svg') || el.closest('.skip') || el.offsetParent === null) return;
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join('');
    if (!text) return;
    const cs = getComputedStyle(el);
    const fg = parse(cs.color), bg = bgOf(el);
    const l1 = lum(fg), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const large = parseFloat(cs.fontSize) >= 24 || (parseFloat(cs.fontSize) >= 18.66 && Number(cs.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(el.tagName.toLowerCase() + '.' + el.className + ' "' + text.slice(0, 30) + '" ' + ratio.toFixed(2));
  });
  return bad;
})()`

// TestReviewPageEndToEnd drives the review page in headless Chromium: a
// referred case submitted through the API is found in the queue, a second
// one appears there live, the case is opened (images, outlined regions,
// the marked MRZ), zoomed and decided by keyboard; then the stored
// movement and the audit log are checked. Screenshots of the queue and the
// case page are kept in testdata/out/review.
func TestReviewPageEndToEnd(t *testing.T) {
	chromium := chromiumPath(t)
	start := time.Now()
	e := newEnv(t)
	// The fingerprint search is real: FVC2002 impressions, the traveller's
	// finger a hit on realSubject. Without the shared data (a user's
	// clone; never in CI) the made-up report's one pair is checked instead.
	_, haveData := shareddata.Locate()
	realSearch := haveData || os.Getenv("CI") == "true"
	if realSearch {
		e.useRealFingerprints(t)
	} else {
		t.Log("no shared data: the fingerprint candidate is the made-up one")
	}
	id := e.submit(e.counter, "C7", "REFER LH123", "exit")

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // the tests run as root
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.IgnoreCertErrors, // the test server's certificate is its own
		chromedp.WindowSize(1366, 768),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("lang", "en-GB"),
	)
	// The whole browser session is bounded: a browser that hangs fails the
	// test instead of holding make test until its time limit.
	whole, cancelWhole := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelWhole()
	actx, cancelAlloc := chromedp.NewExecAllocator(whole, opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancel()
	// Start the browser on this context: the per-step time limits below
	// derive from it, and a browser started on one of them would die with it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	out := artefactDir(t)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			// Show where the browser stood.
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 600) : ''`))
			if buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
				os.WriteFile(filepath.Join(out, "failure.png"), buf, 0o644)
			}
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, text)
		}
	}
	shot := func(name string, full bool) {
		t.Helper()
		a := chromedp.CaptureScreenshot()
		if full {
			a = chromedp.FullScreenshot(100) // 100: PNG
		}
		buf, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(out, name)
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
	checkPage := func(what string) {
		t.Helper()
		low := eval[[]string](t, ctx, contrastJS)
		if len(low) > 0 {
			t.Errorf("%s: text below WCAG AA contrast: %v", what, low)
		}
		if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 1366 {
			t.Errorf("%s: %d px wide at 1366x768: it scrolls sideways", what, w)
		}
	}
	row := fmt.Sprintf(`tr[data-id="%s"]`, id)

	// Sign in: the queue sends an unsigned browser to the sign-in page.
	do("open the queue", chromedp.Navigate(e.srv.URL+"/ui/queue"), chromedp.WaitVisible(chromedp.CSS(`#name`)))
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.Contains(loc, "/ui/login?next=") {
		t.Errorf("the queue did not send an unsigned browser to sign in: %s %v", loc, err)
	}
	checkPage("sign-in")
	shot("login.png", false)
	do("sign in and find the case in the queue",
		chromedp.SendKeys(chromedp.CSS(`#name`), "sup"),
		chromedp.SendKeys(chromedp.CSS(`#password`), testPassword+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(row)),
	)

	// A new case arrives while the queue is open: the server pushes it
	// (Server-Sent Events), well before the fallback poll would run (3 s).
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('queue').dataset.live === 'stream'`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("the queue did not open its event stream: %v", err)
	}
	submitted := time.Now()
	id2 := e.submit(e.counter2, "C9", "ALERT EK600", "entry")
	do("live update of the queue", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-id="%s"].fresh`, id2))))
	if d := time.Since(submitted); d > 2500*time.Millisecond {
		t.Errorf("the new case took %s to appear in the open queue, want it pushed within 2.5 s", d.Round(time.Millisecond))
	} else {
		t.Logf("new case pushed to the open queue %s after submission", d.Round(time.Millisecond))
	}
	if live := eval[string](t, ctx, `document.getElementById('live').textContent`); !strings.Contains(live, "1 new case") {
		t.Errorf("the live region says %q, want it to announce the new case", live)
	}
	checkPage("queue")
	shot("queue.png", false)
	// Keyboard: the first Tab reaches the skip link.
	do("tab", chromedp.KeyEvent(kb.Tab))
	if f := eval[string](t, ctx, `document.activeElement.textContent`); f != "Skip to content" {
		t.Errorf("first Tab focuses %q, want the skip link", f)
	}
	do("j and k", chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("k"))
	if f := eval[string](t, ctx, `document.activeElement.textContent`); f != id {
		t.Errorf("j, j, k focuses %q, want the first case %s", f, id)
	}

	// Open the case (Enter on the focused link): images of each light,
	// failing regions outlined, the MRZ error marked; zoom by keyboard.
	do("open the case", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`form#decide`)))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.images].length > 0 && [...document.images].every((i) => i.complete && i.naturalWidth > 0)`,
		chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("the case's images did not load: %v", err)
	}
	images := eval[int](t, ctx, `document.querySelectorAll('.lights img').length`)
	failRegions := eval[int](t, ctx, `document.querySelectorAll('.overlay rect.region.fail').length`)
	undetermined := eval[int](t, ctx, `document.querySelectorAll('.overlay rect.region.undetermined').length`)
	marks := eval[int](t, ctx, `document.querySelectorAll('.mrz mark').length`)
	rings := eval[int](t, ctx, `document.querySelectorAll('article.candidate:first-of-type .probe circle.pair-ring').length`)
	outcomes := eval[int](t, ctx, `document.querySelectorAll('form#decide input[name="outcome"]').length`)
	if images != 3 || failRegions != 2 || undetermined != 1 || marks != 1 {
		t.Errorf("case page: %d images, %d failing and %d undetermined regions outlined, %d MRZ marks; want 3, 2, 1, 1",
			images, failRegions, undetermined, marks)
	}
	// The matched minutiae of the real hit: ringed on the probe image and,
	// as many and numbered alike, on the drawing of the enrolled template.
	first := eval[string](t, ctx, `document.querySelector('article.candidate h4 .mono').textContent`)
	enrolledRings := eval[int](t, ctx, `(() => { const img = document.querySelector('article.candidate img[src*="/enrolled/"]');
	  const x = new XMLHttpRequest(); x.open('GET', img.src, false); x.send();
	  return (x.responseText.match(/class="pair-ring"/g) || []).length; })()`)
	probeNumbers := eval[int](t, ctx, `document.querySelectorAll('article.candidate:first-of-type .probe text.pair-no').length`)
	wantFirst, minRings := realSubject, 8
	if !realSearch {
		wantFirst, minRings = testSubject, 1
	}
	if first != wantFirst || rings < minRings || enrolledRings != rings || probeNumbers != rings {
		t.Errorf("first candidate %q: %d matched minutiae ringed on the probe (%d numbered), %d on the enrolled template; want %s, at least %d, as many",
			first, rings, probeNumbers, enrolledRings, wantFirst, minRings)
	}
	t.Logf("first candidate %s: %d matched minutiae ringed", first, rings)
	if buf, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(`article.candidate`))); err != nil {
		t.Errorf("screenshot of the fingerprint candidate: %v", err)
	} else if err := os.WriteFile(filepath.Join(out, "case-fingerprint.png"), buf, 0o644); err != nil {
		t.Error(err)
	}
	if outcomes != 3 {
		t.Errorf("%d outcomes offered on an exit case, want allow, refuse, off-load", outcomes)
	}
	checkPage("case page")
	shot("case.png", false)
	shot("case-full.png", true)
	do("zoom by keyboard", chromedp.Focus(chromedp.CSS(`.zoom`)), chromedp.KeyEvent("+"), chromedp.KeyEvent("+"))
	if scale := eval[string](t, ctx, `document.querySelector('.zoom').dataset.scale || ''`); scale == "" || scale == "1.00" {
		t.Errorf("+ on the focused image did not zoom (scale %q)", scale)
	}
	shot("case-zoomed.png", false)

	// Decide: off-load and hand over to the anti-trafficking unit.
	const comment = "Travelling on a recruiter's job offer; interviewed, handed to the unit."
	// By keyboard alone: arrows pick the outcome, Tab and Space tick the
	// action, the comment is typed, Enter on the button records it.
	do("decide by keyboard",
		chromedp.Focus(chromedp.CSS(`input[name="outcome"][value="allowed"]`)),
		chromedp.KeyEvent(kb.ArrowDown), // refused
		chromedp.KeyEvent(kb.ArrowDown), // offloaded
		chromedp.KeyEvent(kb.Tab),       // seize the document
		chromedp.KeyEvent(kb.Tab),       // hand over to the anti-trafficking unit
		chromedp.KeyEvent(" "),
		chromedp.KeyEvent(kb.Tab), // the comment
		chromedp.KeyEvent(comment),
	)
	if got := eval[string](t, ctx, `[...document.querySelectorAll('form#decide input:checked')].map((i) => i.value).join(',')`); got != "offloaded,handed_to_anti_trafficking" {
		t.Fatalf("keyboard left the form with %q checked", got)
	}
	do("record the decision",
		chromedp.KeyEvent(kb.Tab), // the button
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
		chromedp.WaitNotPresent(chromedp.CSS(row)),
	)
	if flash := eval[string](t, ctx, `document.querySelector('.flash').textContent`); !strings.Contains(flash, "decided: offloaded") {
		t.Errorf("after the decision the page says %q", flash)
	}
	do("statistics", chromedp.Navigate(e.srv.URL+"/ui/stats"), chromedp.WaitVisible(chromedp.CSS(`svg.chart`)))
	checkPage("statistics")
	shot("stats.png", true)

	// The counter terminal, signed in by its token in a browser of its own
	// (no cookies shared), sees its submission with the decision.
	cctx, cancelCounter := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelCounter()
	if err := chromedp.Do(cctx, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(e.srv.URL+"/ui/login"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), e.counter+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`table.queue`)),
	); err != nil {
		t.Fatalf("counter sign-in: %v", err)
	}
	mine, err := chromedp.Run(cctx, chromedp.Text(chromedp.CSS(`table.queue`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mine, id) || !strings.Contains(mine, "offloaded") || strings.Contains(mine, id2) {
		t.Errorf("the counter's own submissions: %q", mine)
	}
	if buf, err := chromedp.Run(cctx, chromedp.CaptureScreenshot()); err == nil {
		os.WriteFile(filepath.Join(out, "counter.png"), buf, 0o644)
	}

	// A page whose event stream drops for good (a proxy that closes it)
	// falls back to polling, and its first poll at once catches up on what
	// changed meanwhile.
	pctx, cancelPoll := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelPoll()
	const droppingStream = `window.EventSource = class {
	  constructor() { this.readyState = 0; this.errs = []; window.dropStream = () => { this.readyState = 2; this.errs.forEach((f) => f(new Event('error'))); }; }
	  addEventListener(name, f) { if (name === 'error') this.errs.push(f); }
	  close() {}
	}; window.EventSource.CLOSED = 2;`
	if err := chromedp.Do(pctx, chromedp.EmulateViewport(1366, 768),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: droppingStream})
			return err
		}),
		chromedp.Navigate(e.srv.URL+"/ui/login?next=/ui/queue"), chromedp.WaitVisible(chromedp.CSS(`#name`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), "sup2"),
		chromedp.SendKeys(chromedp.CSS(`#password`), testPassword+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#queue`)),
	); err != nil {
		t.Fatalf("second supervisor's queue: %v", err)
	}
	id3 := e.submit(e.counter, "C7", "REFER PX7", "exit")
	if _, err := chromedp.Run(pctx, chromedp.Evaluate[bool](`window.dropStream(), true`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(pctx, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById('queue').dataset.live === 'poll' && !!document.querySelector('tr[data-id="%s"].fresh')`, id3),
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("after its stream dropped, the queue did not poll and show the new case: %v", err)
	}
	cancelPoll()

	// What was stored: the movement's decision and its audit entry.
	bg := context.Background()
	v, err := e.vault.GetVerification(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Movement.Decision != store.DecisionOffloaded || v.Movement.DecidedBy != "sup" ||
		!slices.Equal(v.Movement.DecisionActions, []string{"handed_to_anti_trafficking"}) {
		t.Fatalf("stored movement %+v", v.Movement)
	}
	rv, err := e.vault.ReviewOf(bg, id)
	if err != nil || rv.DecisionComment != comment {
		t.Fatalf("stored comment %q, %v", rv.DecisionComment, err)
	}
	entries, err := e.db.AuditOf(bg, "verification", id, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range entries {
		if a.Action == "movement.decide" {
			found = true
			if a.Actor.Kind != "account" || a.Actor.ID != itoa(e.sup.ID) || a.Details["decision"] != "offloaded" ||
				a.Details["actions"] != `["handed_to_anti_trafficking"]` || a.RequestID == "" {
				t.Errorf("decision audit entry %+v", a)
			}
			if strings.Contains(fmt.Sprint(a.Details), "recruiter") {
				t.Error("the comment is in the audit log in clear")
			}
		}
	}
	if !found {
		t.Fatalf("no movement.decide audit entry: %v", e.auditActions(id))
	}
	if rep, err := e.db.VerifyAudit(bg, nil, nil); err != nil || !rep.Intact() {
		t.Fatalf("audit chain after the browser session: %+v, %v", rep, err)
	}
	t.Logf("end to end in %s; screenshots in %s", time.Since(start).Round(time.Millisecond), out)
}

// eval runs JavaScript in the page and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %.60s: %v", js, err)
	}
	return v
}
