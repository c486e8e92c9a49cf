package web_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"checkpost/biometric"
	fpwatch "checkpost/biometric/watchlist"
	"checkpost/engine/pipeline"
	"checkpost/engine/watchlist"
	"checkpost/internal/shareddata"
	"checkpost/server"
	"checkpost/server/crypt"
	"checkpost/server/store"
)

// referVerifier stands in for the engine: the route picks the
// recommendation ("REFER...", "ALERT...", else CLEAR), and the report has
// what a referred case shows: failing checks with regions on the images,
// an MRZ with a check-digit error, printed fields, a fingerprint candidate
// with matched minutiae, and a person hit.
//
// With a fingerprint pipeline set (env.useRealFingerprints), the
// fingerprint search is the real one: the submitted fingers are searched
// against the enrolled watchlist and its report replaces the made-up one.
type referVerifier struct {
	fingerprints atomic.Pointer[pipeline.Pipeline]
}

const testSubject = "TR-0042"

func (rv *referVerifier) Verify(ctx context.Context, sub *server.Submission) (*server.Verdict, error) {
	rec := "CLEAR"
	if strings.HasPrefix(sub.Route, "REFER") || strings.HasPrefix(sub.Route, "ALERT") {
		rec = sub.Route[:5]
	}
	// The shape of engine/pipeline.Report's JSON.
	parsed := map[string]any{
		"format": "TD3", "valid": false,
		"lines": []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"},
		"fields": map[string]any{
			"document_number": map[string]any{"value": "L898902C3", "raw": "L898902C3", "valid": false,
				"span": map[string]int{"line": 1, "start": 0, "end": 9}, "code": "check_digit",
				"message": "check digit 6 does not match the number (3)", "error_span": map[string]int{"line": 1, "start": 9, "end": 10}},
			"surname":     map[string]any{"value": "ERIKSSON", "valid": true},
			"given_names": map[string]any{"value": "ANNA MARIA", "valid": true},
			"birth_date":  map[string]any{"value": "740812", "date": "1974-08-12", "valid": true},
		},
		"errors": []any{map[string]any{"field": "document_number", "code": "check_digit",
			"message": "check digit 6 does not match the number (3)", "span": map[string]int{"line": 1, "start": 9, "end": 10}}},
		"warnings": []any{},
	}
	report := map[string]any{
		"recommendation": rec,
		"reasons": []any{
			map[string]any{"check": "watchlist.fingerprint", "recommendation": "REFER", "text": "fingerprint candidate " + testSubject + " at a false-match rate of 1e-6"},
			map[string]any{"check": "uv.paper.dullness", "recommendation": "REFER", "text": "the paper fluoresces under UV"},
		},
		"checks": []any{
			map[string]any{"name": "mrz.check_digits", "status": "FAIL", "value": 1, "threshold": "= 0 wrong digits",
				"reason": "the document number's check digit does not match", "regions": []any{
					map[string]any{"light": "white", "x": 30, "y": 318, "w": 560, "h": 64}}},
			map[string]any{"name": "uv.paper.dullness", "status": "FAIL", "value": 0.41, "threshold": "<= 0.25",
				"reason": "the paper fluoresces: optical brighteners", "regions": []any{
					map[string]any{"light": "uv", "x": 240, "y": 60, "w": 300, "h": 180}},
				"evidence": []string{"uv.paper.dullness.front.uv.paper"}},
			map[string]any{"name": "ir.mrz.absorption", "status": "PASS", "value": 0.93, "threshold": ">= 0.6",
				"reason": "the MRZ ink absorbs infrared", "regions": []any{
					map[string]any{"light": "ir", "x": 30, "y": 318, "w": 560, "h": 64}}},
			map[string]any{"name": "ir.photo.absorption", "status": "UNDETERMINED", "value": nil, "threshold": ">= 0.5",
				"reason": "glare over the photo", "regions": []any{
					map[string]any{"light": "ir", "x": 40, "y": 60, "w": 150, "h": 190}}},
			map[string]any{"name": "viz.mrz.consistency", "status": "FAIL", "value": 1, "threshold": "0 fields differing",
				"reason": `printed fields differ from the MRZ: birth_date printed "1974-08-21", MRZ "1974-08-12"`},
		},
		"mrz": map[string]any{"found": true, "format": "TD3", "valid": false,
			"lines": parsed["lines"], "read": []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO74O8122F1204159ZE184226B<<<<<10"},
			"corrections":    []any{map[string]any{"Line": 1, "Column": 15, "From": 'O', "To": '0', "Field": 7, "Reason": "character_class"}},
			"min_confidence": 0.41, "mean_confidence": 0.97, "light": "white", "parsed": parsed},
		"document": map[string]any{"model": "uto-passport", "revision": 2, "identified": "by the MRZ"},
		"watchlist": map[string]any{
			"fingerprints": map[string]any{
				"fingers":   []any{map[string]any{"position": "right-index", "source": "image", "minutiae": 41, "quality": 63}},
				"templates": 1, "mode": "two-stage", "hit_rule": "FMR <= 1e-4",
				"candidates": []any{map[string]any{"subject": testSubject, "score": 61.5, "fmr": 1e-6, "expected_false_matches": 1e-6, "hit": true,
					"fingers": []any{map[string]any{"probe": 0, "position": 2, "score": 61.5,
						"pairs": []any{map[string]any{"probe": map[string]int{"x": 100, "y": 120}, "candidate": map[string]int{"x": 104, "y": 118}}}}}}}},
			"documents": []any{},
			"persons": []any{map[string]any{"ref": testSubject, "list": "trafficker", "name": "ERIKSON, ANNA", "score": 0.91, "name_score": 0.88,
				"reason": "name ERIKSON is close to ERIKSSON; birth year equal", "listed": "recruits domestic workers with forged job offers"}},
		},
		"stages": []any{
			map[string]any{"name": "mrz", "status": "done", "ms": 41.2},
			map[string]any{"name": "fingerprints.search", "status": "done", "ms": 12.5},
			map[string]any{"name": "watchlist.persons", "status": "timeout", "ms": 250, "error": "time limit of 250ms reached"},
		},
		"versions": map[string]any{"policy": "default", "profiles": []any{map[string]any{"id": "uto-passport", "revision": 2}},
			"watchlists": []any{map[string]any{"list": "fingerprints", "entries": 1, "version": "3"}}},
		"elapsed_ms": 212.4,
	}
	if p := rv.fingerprints.Load(); p != nil && len(sub.Fingers) > 0 {
		var fs []pipeline.Finger
		for _, f := range sub.Fingers {
			fs = append(fs, pipeline.Finger{Position: f.Position, Data: f.Data})
		}
		rep, err := p.Verify(ctx, pipeline.Request{Fingers: fs})
		if err != nil {
			return nil, err
		}
		report["watchlist"].(map[string]any)["fingerprints"] = rep.Watchlist.Fingerprints
	}
	b, err := json.Marshal(report)
	if err != nil {
		return nil, err
	}
	return &server.Verdict{Report: b, Recommendation: rec, Reasons: []string{"watchlist.fingerprint", "uv.paper.dullness"},
		Traveller: &store.Traveller{DocumentType: "P", IssuingState: "UTO", DocumentNumber: "L898902C3", Surname: "ERIKSSON",
			GivenNames: "ANNA MARIA", Nationality: "UTO", BirthDate: "740812", Sex: "F"}}, nil
}

type env struct {
	t        *testing.T
	srv      *httptest.Server
	db       *store.DB
	vault    *store.Vault
	verifier *referVerifier
	// finger is what submit sends as the finger (nil: a drawn one).
	finger   []byte
	counter  string // a counter terminal's API token
	counter2 string
	station  string
	sup      store.Account
	sup2     store.Account
	chief    store.Account
}

const testPassword = "correct horse battery"

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "ui.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := crypt.Generate()
	if err != nil {
		t.Fatal(err)
	}
	v, err := store.NewVault(ctx, db, keys)
	if err != nil {
		t.Fatal(err)
	}
	v.SetRetention(24 * time.Hour)
	rv := &referVerifier{}
	s := server.New(server.Config{Vault: v, Verifier: rv}, db, nil)
	srv := httptest.NewTLSServer(s.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, db: db, vault: v, verifier: rv}
	e.counter, _, _ = db.CreateToken(ctx, store.RoleCounter, "counter 7")
	e.counter2, _, _ = db.CreateToken(ctx, store.RoleCounter, "counter 9")
	e.station, _, _ = db.CreateToken(ctx, store.RoleStation, "station 1")
	for _, a := range []struct {
		dst  *store.Account
		name string
		role store.Role
	}{{&e.sup, "sup", store.RoleSupervisor}, {&e.sup2, "sup2", store.RoleSupervisor}, {&e.chief, "chief", store.RoleChief}} {
		if *a.dst, err = db.CreateAccount(ctx, a.name, a.role, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	// The candidate's enrolled finger and watchlist record.
	tpl := biometric.Template{Width: 320, Height: 400, ResolutionPPI: 500, Position: biometric.RightIndex}
	for i := range 30 {
		a := float64(i) * 0.7
		tpl.Minutiae = append(tpl.Minutiae, biometric.Minutia{X: 160 + int(120*math.Cos(a)*float64(i%5+1)/5),
			Y: 200 + int(150*math.Sin(a)*float64(i%4+1)/4), Angle: math.Mod(a*1.3, 2*math.Pi), Type: biometric.MinutiaType(1 + i%2)})
	}
	if _, err := v.EnrollFingerprints(ctx, store.SystemActor, []store.FingerprintEnrollment{{Subject: testSubject,
		Fingers: []store.EnrolledFinger{{Position: biometric.RightIndex, Template: tpl}}}}); err != nil {
		t.Fatal(err)
	}
	c, err := watchlist.NewPersonCSV(strings.NewReader("list,ref,surname,given_names,birth_date,nationality,reason\n" +
		"trafficker," + testSubject + ",ERIKSON,ANNA,1974,UTO,recruits domestic workers with forged job offers\n" +
		"wanted," + realSubject + ",MORAN,PETRA,1981,UTO,wanted for document fraud\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportPersons(ctx, "test", c); err != nil {
		t.Fatal(err)
	}
	return e
}

// testImage draws a recognisable fake data page under one light.
func testImage(w, h int, light string) []byte {
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := map[string]color.RGBA{"white": {236, 230, 214, 255}, "ir": {150, 150, 150, 255}, "uv": {30, 20, 90, 255}}[light]
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := bg
			switch {
			case x > 40 && x < 190 && y > 60 && y < 250: // the photo
				c = color.RGBA{90, 80, 70, 255}
			case y > 330 && y < 370 && x > 35 && x < 585 && (x/9)%2 == 0: // the MRZ
				c = color.RGBA{20, 20, 20, 255}
			case light == "uv" && (x+y)%37 < 3:
				c = color.RGBA{120, 200, 255, 255}
			}
			im.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, im)
	return b.Bytes()
}

func fingerImage() []byte {
	im := image.NewGray(image.Rect(0, 0, 320, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 320; x++ {
			d := math.Hypot(float64(x-160), float64(y-200)*0.8)
			im.Pix[y*320+x] = uint8(128 + 110*math.Sin(d/4))
		}
	}
	var b bytes.Buffer
	png.Encode(&b, im)
	return b.Bytes()
}

// submit posts a verification through the counter API and returns its id.
func (e *env) submit(token, counter, route, direction string) string {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("counter", counter)
	mw.WriteField("direction", direction)
	mw.WriteField("route", route)
	for _, l := range []string{"white", "ir", "uv"} {
		fw, _ := mw.CreateFormFile(l, l+".png")
		fw.Write(testImage(620, 400, l))
	}
	mw.WriteField("finger_position", "right-index")
	fw, _ := mw.CreateFormFile("finger", "f.png")
	if e.finger != nil {
		fw.Write(e.finger)
	} else {
		fw.Write(fingerImage())
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/verifications", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		e.t.Fatalf("submit: %d %s", res.StatusCode, body)
	}
	var out struct{ ID string }
	json.Unmarshal(body, &out)
	return out.ID
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	Code     int
	Body     string
	Location string
	Header   http.Header
}

func (b *browser) do(method, path string, form url.Values, hdr map[string]string) response {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.e.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.e.srv.URL)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return response{Code: res.StatusCode, Body: string(data), Location: res.Header.Get("Location"), Header: res.Header}
}

func (b *browser) get(path string) response { return b.do("GET", path, nil, nil) }

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(html string) string {
	m := csrfRe.FindStringSubmatch(html)
	if m == nil {
		return ""
	}
	return m[1]
}

// signIn signs in with a name and password (or, name empty, a token) and
// returns the session's CSRF token.
func (b *browser) signIn(name, password, token string) string {
	b.e.t.Helper()
	login := b.get("/ui/login")
	form := url.Values{"csrf": {csrfOf(login.Body)}}
	if token != "" {
		form.Set("token", token)
	} else {
		form.Set("name", name)
		form.Set("password", password)
	}
	res := b.do("POST", "/ui/login", form, nil)
	if res.Code != http.StatusSeeOther {
		b.e.t.Fatalf("sign in %s: %d %s", name, res.Code, res.Body)
	}
	home := b.get(res.Location)
	if home.Code != 200 {
		b.e.t.Fatalf("after sign-in %s: %d", res.Location, home.Code)
	}
	return csrfOf(home.Body)
}

func (e *env) auditActions(id string) []string {
	e.t.Helper()
	entries, err := e.db.AuditOf(context.Background(), "verification", id, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, a := range entries {
		out = append(out, fmt.Sprintf("%s by %s:%s", a.Action, a.Actor.Kind, a.Actor.Name))
	}
	return out
}

// realSubject is the watchlist subject enrolled with a real fingerprint
// (FVC2002 DB1_B finger 103, impression 1) by useRealFingerprints.
const realSubject = "TR-0103"

// useRealFingerprints enrols impression 1 of FVC2002 DB1_B fingers 101 to
// 108 (finger 103 as realSubject, the others as distractors), makes the
// verifier search the submitted fingers for real against them (loaded
// from the store as serve loads them), and makes submit send impression 2
// of finger 103 as it came from the scanner (TIFF).
func (e *env) useRealFingerprints(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	dir := shareddata.Path(t, "fingerprints/fvc2002/DB1_B")
	var batch []store.FingerprintEnrollment
	for f := 101; f <= 108; f++ {
		data, err := os.ReadFile(fmt.Sprintf("%s/%d_1.tif", dir, f))
		if err != nil {
			t.Fatal(err)
		}
		ts, _, _, err := pipeline.FingerTemplates(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		subject := fmt.Sprintf("FVC-%d", f)
		if f == 103 {
			subject = realSubject
		}
		batch = append(batch, store.FingerprintEnrollment{Subject: subject,
			Fingers: []store.EnrolledFinger{{Position: biometric.RightIndex, Template: ts[0]}}})
	}
	if _, err := e.vault.EnrollFingerprints(ctx, store.SystemActor, batch); err != nil {
		t.Fatal(err)
	}
	g := fpwatch.NewGallery()
	if _, err := e.vault.LoadFingerprints(ctx, g, nil); err != nil {
		t.Fatal(err)
	}
	e.verifier.fingerprints.Store(pipeline.New(pipeline.Config{Watchlists: pipeline.Watchlists{Fingerprints: g}}))
	probe, err := os.ReadFile(dir + "/103_2.tif")
	if err != nil {
		t.Fatal(err)
	}
	e.finger = probe
}
