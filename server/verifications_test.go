package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"checkpost/server/crypt"
	"checkpost/server/store"
)

func TestSubmitMultipartStoresBeforeAnswer(t *testing.T) {
	f := newFixture(t, Config{})
	body, ctype := validSubmission("REFER-UA1")
	rec := f.do("POST", "/api/v1/verifications", f.tokens[store.RoleCounter], ctype, body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "recommendation", "checks", "mrz", "watchlist", "evidence_files"} {
		if _, ok := got[k]; !ok {
			t.Errorf("answer lacks %q: %s", k, rec.Body)
		}
	}
	id, _ := got["id"].(string)
	if got["recommendation"] != "REFER" || rec.Header().Get("Location") != "/api/v1/verifications/"+id {
		t.Fatalf("answer %v, location %q", got["recommendation"], rec.Header().Get("Location"))
	}
	seen := got["seen"].(map[string]any)
	if fmt.Sprint(seen["images"]) != "[white:png:60x40 ir:png:60x40]" || fmt.Sprint(seen["fingers"]) != "[right-index:image:png left-index:template:iso-ansi]" {
		t.Fatalf("the verifier saw %v", seen)
	}
	// The answer was sent, so the verification is on disk: read it
	// straight from the store.
	v, err := f.vault.GetVerification(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range v.Evidence {
		names = append(names, e.Name)
	}
	if v.Counter != "C7" || v.Direction != "entry" || v.Route != "REFER-UA1" || v.Recommendation != "REFER" ||
		strings.Join(names, ",") != "finger.1.right-index,finger.2.left-index,ir,mrz.crop,white" {
		t.Fatalf("stored %+v with evidence %v", v, names)
	}
	// Evidence comes back byte for byte, with its type.
	rec = f.do("GET", "/api/v1/verifications/"+id+"/evidence/white", f.tokens[store.RoleCounter], "", nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" || !bytes.Equal(rec.Body.Bytes(), pngBytes(60, 40)) {
		t.Fatalf("evidence: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	rec = f.do("GET", "/api/v1/verifications/"+id+"/evidence/nope", f.tokens[store.RoleCounter], "", nil)
	if rec.Code != 404 || !isProblem(rec) {
		t.Fatalf("missing evidence: %d", rec.Code)
	}
	rec = f.do("GET", "/api/v1/verifications/"+id, f.tokens[store.RoleSupervisor], "", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"submitted_by":"counter 1"`) {
		t.Fatalf("GET verification: %d %s", rec.Code, rec.Body)
	}
	// Every step is audited, and the chain holds.
	entries, _ := f.db.AuditEntries(context.Background(), 1, 100)
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "verification.create,evidence.read,verification.read" {
		t.Fatalf("audit actions: %v", actions)
	}
	if entries[0].RequestID == "" || entries[0].Actor.Name != "counter 1" {
		t.Fatalf("audit entry lacks who/where: %+v", entries[0])
	}
	rep, _ := f.db.VerifyAudit(context.Background(), nil, nil)
	if !rep.Intact() {
		t.Fatalf("audit: %v", rep.Problems)
	}
}

func TestSubmitJSONVariant(t *testing.T) {
	f := newFixture(t, Config{})
	body, _ := json.Marshal(map[string]any{
		"counter": "C2", "direction": "exit", "route": "UA9",
		"white":   base64.StdEncoding.EncodeToString(pngBytes(50, 30)),
		"fingers": []map[string]string{{"finger_position": "left-thumb", "data": base64.StdEncoding.EncodeToString(pngBytes(20, 20))}},
	})
	rec := f.do("POST", "/api/v1/verifications", f.tokens[store.RoleStation], "application/json", body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if !strings.Contains(rec.Body.String(), "left-thumb:image:png") || !strings.Contains(rec.Body.String(), "white:png:50x30") {
		t.Fatalf("the verifier did not get the JSON's files: %s", rec.Body)
	}
	bad, _ := json.Marshal(map[string]any{"counter": "C2", "direction": "exit", "extra": 1})
	if rec := f.do("POST", "/api/v1/verifications", f.tokens[store.RoleStation], "application/json", bad); rec.Code != 400 || !isProblem(rec) {
		t.Fatalf("unknown JSON field: %d", rec.Code)
	}
}

func TestSubmissionLimitsAndErrors(t *testing.T) {
	f := newFixture(t, Config{Limits: Limits{MaxUpload: 200 << 10, MaxFiles: 3, MaxImagePixels: 1_000_000}})
	tok := f.tokens[store.RoleCounter]
	base := []part{{"counter", "", []byte("C1")}, {"direction", "", []byte("entry")}}
	with := func(extra ...part) []part { return append(append([]part{}, base...), extra...) }
	cases := []struct {
		name  string
		parts []part
		ctype string
		raw   []byte
		want  int
	}{
		{name: "no counter", parts: []part{{"direction", "", []byte("entry")}, {"white", "w.png", pngBytes(10, 10)}}, want: 400},
		{name: "bad direction", parts: []part{{"counter", "", []byte("C1")}, {"direction", "", []byte("up")}, {"white", "w.png", pngBytes(10, 10)}}, want: 400},
		{name: "nothing to verify", parts: base, want: 400},
		{name: "unknown part", parts: with(part{"portrait", "p.png", pngBytes(10, 10)}), want: 400},
		{name: "white twice", parts: with(part{"white", "a.png", pngBytes(10, 10)}, part{"white", "b.png", pngBytes(10, 10)}), want: 400},
		{name: "finger without position", parts: with(part{"finger", "f.png", pngBytes(10, 10)}), want: 400},
		{name: "bad finger position", parts: with(part{"finger_position", "", []byte("right-toe")}, part{"finger", "f.png", pngBytes(10, 10)}), want: 400},
		{name: "too many files", parts: with(part{"white", "a.png", pngBytes(10, 10)}, part{"ir", "b.png", pngBytes(10, 10)},
			part{"uv", "c.png", pngBytes(10, 10)}, part{"pdf", "d.pdf", []byte("%PDF-1.4")}), want: 413},
		{name: "pixel bomb", parts: with(part{"white", "bomb.png", pngBomb(100000, 100000)}), want: 413},
		{name: "pixel bomb finger", parts: with(part{"finger_position", "", []byte("1")}, part{"finger", "bomb.png", pngBomb(2000, 2000)}), want: 413},
		{name: "body too large", parts: with(part{"white", "big.png", bytes.Repeat([]byte{0}, 300<<10)}), want: 413},
		{name: "not an image", parts: with(part{"white", "w.txt", []byte("hello, I am not a picture")}), want: 415},
		{name: "not a pdf", parts: with(part{"pdf", "d.pdf", []byte("GIF89a")}), want: 415},
		{name: "unknown finger data", parts: with(part{"finger_position", "", []byte("1")}, part{"finger", "f.bin", []byte("garbage bytes")}), want: 415},
		{name: "wrong content type", ctype: "text/plain", raw: []byte("hello"), want: 415},
		{name: "truncated multipart", ctype: "multipart/form-data; boundary=xyz", raw: []byte("--xyz\r\nContent-Disposition: form-data; name=\"white\"\r\n\r\nabc"), want: 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, ctype := c.raw, c.ctype
			if c.parts != nil {
				body, ctype = multipartBody(c.parts...)
			}
			rec := f.do("POST", "/api/v1/verifications", tok, ctype, body)
			if rec.Code != c.want || !isProblem(rec) {
				t.Fatalf("status %d (want %d), type %q: %s", rec.Code, c.want, rec.Header().Get("Content-Type"), rec.Body)
			}
		})
	}
	var n int
	f.db.QueryRow(`SELECT COUNT(*) FROM verifications`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d rejected submissions were stored", n)
	}
}

// TestSlowPipelineTimesOut: a verification that outlives its time limit is
// answered with 503 and nothing is stored.
func TestSlowPipelineTimesOut(t *testing.T) {
	f := newFixture(t, Config{Verifier: fakeVerifier{delay: 5 * time.Second}, Limits: Limits{VerifyTimeout: 100 * time.Millisecond}})
	body, ctype := validSubmission("UA1")
	start := time.Now()
	rec := f.do("POST", "/api/v1/verifications", f.tokens[store.RoleCounter], ctype, body)
	if rec.Code != 503 || !isProblem(rec) || time.Since(start) > 3*time.Second {
		t.Fatalf("status %d after %s: %s", rec.Code, time.Since(start), rec.Body)
	}
	var n int
	f.db.QueryRow(`SELECT COUNT(*) FROM verifications`).Scan(&n)
	if n != 0 {
		t.Fatal("a timed-out verification was stored")
	}
}

// TestRetentionJobPurgesEvidenceKeepsReport runs the server's background
// job against evidence whose retention has ended.
func TestRetentionJobPurgesEvidenceKeepsReport(t *testing.T) {
	f := newFixture(t, Config{PurgeEvery: 20 * time.Millisecond})
	f.vault.SetRetention(time.Millisecond)
	body, ctype := validSubmission("UA1")
	rec := f.do("POST", "/api/v1/verifications", f.tokens[store.RoleCounter], ctype, body)
	if rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var got struct{ ID string }
	json.Unmarshal(rec.Body.Bytes(), &got)
	ctx, cancel := context.WithCancel(context.Background())
	stop := f.s.jobs.start(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec = f.do("GET", "/api/v1/verifications/"+got.ID+"/evidence/white", f.tokens[store.RoleCounter], "", nil)
		if rec.Code == http.StatusGone || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	stop()
	if rec.Code != http.StatusGone || !isProblem(rec) {
		t.Fatalf("evidence past retention: %d %s", rec.Code, rec.Body)
	}
	rec = f.do("GET", "/api/v1/verifications/"+got.ID, f.tokens[store.RoleCounter], "", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"purged_at"`) || !strings.Contains(rec.Body.String(), `"mrz"`) {
		t.Fatalf("report after purge: %d %s", rec.Code, rec.Body)
	}
}

// TestKeyRotationThroughAPI rotates while counters keep submitting, and
// checks that the background job moves every blob to the new key, that the
// key file holds both keys, and that nothing became unreadable.
func TestKeyRotationThroughAPI(t *testing.T) {
	f := newFixture(t, Config{})
	tok := f.tokens[store.RoleCounter]
	var ids []string
	submit := func() {
		body, ctype := validSubmission("UA1")
		rec := f.do("POST", "/api/v1/verifications", tok, ctype, body)
		if rec.Code != 201 {
			t.Errorf("submit: %d %s", rec.Code, rec.Body)
			return
		}
		var got struct{ ID string }
		json.Unmarshal(rec.Body.Bytes(), &got)
		ids = append(ids, got.ID)
	}
	for range 10 {
		submit()
	}
	old := f.vault.Keys().ActiveID()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := f.s.jobs.start(ctx)
	defer stop()
	rec := f.do("POST", "/api/v1/admin/keys/rotate", f.tokens[store.RoleAdmin], "", nil)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); submit(); submit() }()
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		usage, err := f.vault.KeyUsage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(usage) == 1 && usage[0].KeyID != old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("re-encryption did not finish: %+v", usage)
		}
		time.Sleep(20 * time.Millisecond)
	}
	onDisk, err := crypt.LoadFile(f.keyFile)
	if err != nil || len(onDisk.IDs()) != 2 || onDisk.ActiveID() == old || !onDisk.Has(old) {
		t.Fatalf("key file after rotation: %v %v", onDisk.IDs(), err)
	}
	for _, id := range ids {
		if rec := f.do("GET", "/api/v1/verifications/"+id+"/evidence/white", tok, "", nil); rec.Code != 200 {
			t.Fatalf("%s unreadable after rotation: %d", id, rec.Code)
		}
	}
	rec = f.do("GET", "/api/v1/admin/keys", f.tokens[store.RoleAdmin], "", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"running":false`) {
		t.Fatalf("key status: %s", rec.Body)
	}
	entries, _ := f.db.AuditEntries(context.Background(), 1, 1000)
	var rotated, reencrypted bool
	for _, e := range entries {
		rotated = rotated || e.Action == "key.rotate" && e.Details["previous"] == old
		reencrypted = reencrypted || e.Action == "key.reencrypt"
	}
	if !rotated || !reencrypted {
		t.Fatalf("rotation not audited (rotate %v, reencrypt %v)", rotated, reencrypted)
	}
}

func TestRotationRefusedForEnvironmentKeys(t *testing.T) {
	f := newFixture(t, Config{})
	f.s.keys = KeySource{}
	rec := f.do("POST", "/api/v1/admin/keys/rotate", f.tokens[store.RoleAdmin], "", nil)
	if rec.Code != http.StatusConflict || !isProblem(rec) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestMovementsByDocumentAndDecision(t *testing.T) {
	f := newFixture(t, Config{})
	id := f.storedCase(store.RoleCounter, "CLEAR")
	body, ctype := validSubmission("UA1")
	rec := f.do("POST", "/api/v1/verifications", f.tokens[store.RoleCounter], ctype, body)
	var got struct{ ID string }
	json.Unmarshal(rec.Body.Bytes(), &got)
	rec = f.do("POST", "/api/v1/verifications/"+got.ID+"/decision", f.tokens[store.RoleCounter], "application/json",
		[]byte(`{"decision":"offloaded","actions":["handed_to_anti_trafficking"],"comment":"escorting a minor"}`))
	if rec.Code != 200 {
		t.Fatalf("decision: %d %s", rec.Code, rec.Body)
	}
	sup := f.tokens[store.RoleSupervisor]
	rec = f.do("GET", "/api/v1/movements?decision=offloaded", sup, "", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), got.ID) || strings.Contains(rec.Body.String(), id) {
		t.Fatalf("offloaded movements: %s", rec.Body)
	}
	rec = f.do("GET", "/api/v1/movements?document_number=L898902C3&issuing_state=UTO", sup, "", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), got.ID) || strings.Contains(rec.Body.String(), "L898902C3") {
		t.Fatalf("movements by document: %s", rec.Body)
	}
	for _, q := range []string{"decision=waved", "since=yesterday", "limit=0"} {
		if rec := f.do("GET", "/api/v1/movements?"+q, sup, "", nil); rec.Code != 400 || !isProblem(rec) {
			t.Errorf("%s: %d", q, rec.Code)
		}
	}
	for _, b := range []string{`{"decision":"refused"}`, `{"decision":"allowed","actions":["shrug"]}`, `{"decision":"allowed"`} {
		if rec := f.do("POST", "/api/v1/verifications/"+id+"/decision", sup, "application/json", []byte(b)); rec.Code != 400 || !isProblem(rec) {
			t.Errorf("decision %s: %d", b, rec.Code)
		}
	}
}

func TestAuditEndpoints(t *testing.T) {
	f := newFixture(t, Config{})
	f.storedCase(store.RoleCounter, "CLEAR")
	adm := f.tokens[store.RoleAdmin]
	rec := f.do("GET", "/api/v1/admin/audit/verify", adm, "", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"intact":true`) || !strings.Contains(rec.Body.String(), `"head_seal_checked":true`) {
		t.Fatalf("verify: %s", rec.Body)
	}
	rec = f.do("GET", "/api/v1/admin/audit?from=1&limit=5", adm, "", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"action":"verification.create"`) {
		t.Fatalf("list: %s", rec.Body)
	}
	if rec := f.do("GET", "/api/v1/admin/audit?from=0", adm, "", nil); rec.Code != 400 {
		t.Fatalf("from=0: %d", rec.Code)
	}
}

// TestBodyLimitsWithoutContentLength: a body of unannounced length is cut
// at the limit while it streams, for uploads and for small endpoints alike.
func TestBodyLimitsWithoutContentLength(t *testing.T) {
	f := newFixture(t, Config{Limits: Limits{MaxUpload: 100 << 10}})
	send := func(path, ctype string, body []byte) int {
		req := httptest.NewRequest("POST", path, io.MultiReader(bytes.NewReader(body)))
		if req.ContentLength != -1 {
			t.Fatalf("test request announces its length %d", req.ContentLength)
		}
		req.Header.Set("Authorization", "Bearer "+f.tokens[store.RoleSupervisor])
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		f.s.Handler().ServeHTTP(rec, req)
		if !isProblem(rec) {
			t.Errorf("%s: not problem+json: %s", path, rec.Body)
		}
		return rec.Code
	}
	id := f.storedCase(store.RoleCounter, "REFER")
	big := append([]byte(`{"decision":"refused","comment":"`), bytes.Repeat([]byte("x"), DefaultMaxBody+10)...)
	if code := send("/api/v1/verifications/"+id+"/decision", "application/json", append(big, `"}`...)); code != 413 {
		t.Errorf("2 MiB decision: %d", code)
	}
	f.s.verifier = fakeVerifier{}
	body, ctype := multipartBody(part{"counter", "", []byte("C1")}, part{"direction", "", []byte("entry")},
		part{"white", "w.png", append(pngBytes(10, 10), bytes.Repeat([]byte{0}, 200<<10)...)})
	req := httptest.NewRequest("POST", "/api/v1/verifications", io.MultiReader(bytes.NewReader(body)))
	req.Header.Set("Authorization", "Bearer "+f.tokens[store.RoleCounter])
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, req)
	if rec.Code != 413 || !isProblem(rec) {
		t.Errorf("streamed upload past the limit: %d %s", rec.Code, rec.Body)
	}
}
