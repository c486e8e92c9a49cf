package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"mime/multipart"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"checkpost/server/crypt"
	"checkpost/server/store"
)

// fakeVerifier stands in for the engine in the server's own tests: the
// server's work (parsing, limits, storage, audit, answers) is what is
// tested here; the engine is tested in its package and end to end in
// cmd/checkpost. The route field picks the recommendation.
type fakeVerifier struct {
	delay time.Duration
}

func (f fakeVerifier) Verify(ctx context.Context, sub *Submission) (*Verdict, error) {
	if f.delay > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(f.delay):
		}
	}
	rec := "CLEAR"
	if strings.HasPrefix(sub.Route, "REFER") || strings.HasPrefix(sub.Route, "ALERT") {
		rec = sub.Route[:5]
	}
	var lights, fingers []string
	for _, im := range sub.Images {
		lights = append(lights, fmt.Sprintf("%s:%s:%dx%d", im.Light, im.Format, im.Width, im.Height))
	}
	for _, fg := range sub.Fingers {
		fingers = append(fingers, fmt.Sprintf("%s:%s:%s", fg.Position, fg.Kind, fg.Format))
	}
	report, _ := json.Marshal(map[string]any{
		"recommendation": rec,
		"checks":         []map[string]any{{"name": "mrz.check_digits", "status": "PASS"}},
		"mrz":            map[string]any{"surname": "ERIKSSON", "document_number": "L898902C3"},
		"watchlist":      map[string]any{"fingerprints": []any{}},
		"seen":           map[string]any{"images": lights, "fingers": fingers, "pdf": len(sub.PDF)},
	})
	return &Verdict{
		Report: report, Recommendation: rec, Reasons: []string{"test." + strings.ToLower(rec)},
		Traveller: &store.Traveller{DocumentType: "P", IssuingState: "UTO", DocumentNumber: "L898902C3",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "UTO", BirthDate: "740812", Sex: "F"},
		Evidence: []store.EvidenceInput{{Name: "mrz.crop", Kind: store.KindEvidence, ContentType: "image/png", Data: pngBytes(20, 10)}},
		Stages:   map[string]time.Duration{"mrz": 3 * time.Millisecond, "watchlist": 1 * time.Millisecond},
	}, nil
}

type fixture struct {
	t       *testing.T
	s       *Server
	db      *store.DB
	vault   *store.Vault
	keyFile string
	tokens  map[store.Role]string
	tokIDs  map[store.Role]int64
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keyFile := filepath.Join(dir, "keys.json")
	keys, err := crypt.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteFile(keyFile); err != nil {
		t.Fatal(err)
	}
	v, err := store.NewVault(ctx, db, keys)
	if err != nil {
		t.Fatal(err)
	}
	v.SetRetention(24 * time.Hour)
	cfg.Vault = v
	if cfg.Verifier == nil {
		cfg.Verifier = fakeVerifier{}
	}
	cfg.Keys = KeySource{File: keyFile}
	f := &fixture{t: t, s: New(cfg, db, nil), db: db, vault: v, keyFile: keyFile,
		tokens: map[store.Role]string{}, tokIDs: map[store.Role]int64{}}
	for _, r := range store.Roles {
		secret, tok, err := db.CreateToken(ctx, r, string(r)+" 1")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[r], f.tokIDs[r] = secret, tok.ID
	}
	return f
}

// do sends a request through the whole router.
func (f *fixture) do(method, path, token, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, req)
	return rec
}

// storedCase stores a verification as if submitted by role's token.
func (f *fixture) storedCase(role store.Role, rec string) string {
	f.t.Helper()
	by := role
	if role != store.RoleCounter && role != store.RoleStation {
		by = store.RoleCounter
	}
	id, err := f.vault.CreateVerification(context.Background(), store.NewVerification{
		Actor:   store.Actor{Kind: "token", ID: fmt.Sprint(f.tokIDs[by]), Name: string(by) + " 1"},
		Counter: "C1", Direction: "entry", Recommendation: rec, Report: []byte(`{"recommendation":"` + rec + `"}`),
		Evidence: []store.EvidenceInput{{Name: "white", Kind: store.KindDocumentImage, ContentType: "image/png", Data: pngBytes(8, 8)}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func pngBytes(w, h int) []byte {
	im := image.NewGray(image.Rect(0, 0, w, h))
	for i := range im.Pix {
		im.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	png.Encode(&b, im)
	return b.Bytes()
}

// pngBomb is a valid PNG header claiming w x h pixels, with no pixels.
func pngBomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grey
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// multipartBody builds a verification request: parts in order, each a
// (name, filename or "" for a field, content).
type part struct {
	name, filename string
	data           []byte
}

func multipartBody(parts ...part) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		if p.filename == "" {
			mw.WriteField(p.name, string(p.data))
			continue
		}
		w, _ := mw.CreateFormFile(p.name, p.filename)
		w.Write(p.data)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func validSubmission(route string) ([]byte, string) {
	return multipartBody(
		part{"counter", "", []byte("C7")},
		part{"direction", "", []byte("entry")},
		part{"route", "", []byte(route)},
		part{"white", "white.png", pngBytes(60, 40)},
		part{"ir", "ir.png", pngBytes(60, 40)},
		part{"finger_position", "", []byte("right-index")},
		part{"finger", "f2.png", pngBytes(30, 30)},
		part{"finger_position", "", []byte("7")},
		part{"finger", "f7.iso", append([]byte("FMR\x00 20\x00"), make([]byte, 20)...)},
	)
}

func isProblem(rec *httptest.ResponseRecorder) bool {
	if rec.Header().Get("Content-Type") != "application/problem+json" {
		return false
	}
	var p Problem
	return json.Unmarshal(rec.Body.Bytes(), &p) == nil && p.Status == rec.Code && p.Title != ""
}
