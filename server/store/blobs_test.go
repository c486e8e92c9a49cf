package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"checkpost/server/crypt"
)

func TestBlobsAreEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "b.db")
	v, _ := openVault(t, path)
	img := bytes.Repeat([]byte("PASSPORT-L898902C3-"), 100)
	id, err := v.PutBlob(ctx, BlobInput{Kind: KindDocumentImage, ContentType: "image/png", Data: img})
	if err != nil {
		t.Fatal(err)
	}
	info, got, err := v.GetBlob(ctx, id)
	if err != nil || !bytes.Equal(got, img) || info.Size != int64(len(img)) || info.KeyID != v.Keys().ActiveID() {
		t.Fatalf("GetBlob: %+v, %v", info, err)
	}
	var raw []byte
	if err := v.DB().QueryRow(`SELECT data FROM blobs WHERE id = ?`, id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("L898902C3")) {
		t.Fatal("image stored in clear")
	}
	// A ciphertext moved to another row does not open.
	id2, _ := v.PutBlob(ctx, BlobInput{Kind: KindDocumentImage, ContentType: "image/png", Data: []byte("other")})
	if _, err := v.DB().Exec(`UPDATE blobs SET data = ? WHERE id = ?`, raw, id2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.GetBlob(ctx, id2); !errors.Is(err, crypt.ErrCorrupt) {
		t.Fatalf("swapped ciphertext: %v", err)
	}
	if _, _, err := v.GetBlob(ctx, "b_nope"); !errors.Is(err, ErrBlobNotFound) {
		t.Fatalf("unknown blob: %v", err)
	}
}

func TestRetentionPurgesImagesOnly(t *testing.T) {
	ctx := context.Background()
	v, _ := openVault(t, filepath.Join(t.TempDir(), "b.db"))
	now := time.Now()
	old, _ := v.PutBlob(ctx, BlobInput{Kind: KindFingerImage, ContentType: "image/png", Data: []byte("old"), Expires: now.Add(-time.Hour)})
	fresh, _ := v.PutBlob(ctx, BlobInput{Kind: KindFingerImage, ContentType: "image/png", Data: []byte("new"), Expires: now.Add(time.Hour)})
	report, _ := v.PutBlob(ctx, BlobInput{Kind: KindReport, ContentType: "application/json", Data: []byte("{}")})
	n, err := v.PurgeExpired(ctx, now, 100)
	if err != nil || n != 1 {
		t.Fatalf("PurgeExpired = %d, %v; want 1", n, err)
	}
	if _, _, err := v.GetBlob(ctx, old); !errors.Is(err, ErrBlobPurged) {
		t.Fatalf("expired blob: %v", err)
	}
	info, err := v.BlobInfo(ctx, old)
	if !errors.Is(err, ErrBlobPurged) || info.PurgedAt.IsZero() || info.Kind != KindFingerImage {
		t.Fatalf("purged blob info: %+v, %v", info, err)
	}
	for _, id := range []string{fresh, report} {
		if _, _, err := v.GetBlob(ctx, id); err != nil {
			t.Fatalf("blob %s lost: %v", id, err)
		}
	}
	if n, _ := v.PurgeExpired(ctx, now, 100); n != 0 {
		t.Fatalf("second purge purged %d", n)
	}
	rep, err := v.DB().VerifyAudit(ctx, nil, nil)
	if err != nil || !rep.Intact() || rep.Entries != 1 {
		t.Fatalf("purge not audited: %+v, %v", rep, err)
	}
}

// TestRotationReencryptsInResumableBatches rotates the key, re-encrypts
// part of the data, "crashes" (drops the vault), reopens with the new key
// file and finishes; then the old key can be retired.
func TestRotationReencryptsInResumableBatches(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "b.db")
	v, k1 := openVault(t, path)
	var ids []string
	for i := range 25 {
		id, err := v.PutBlob(ctx, BlobInput{Kind: KindFingerTemplate, ContentType: "application/octet-stream", Data: fmt.Appendf(nil, "template %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	k2, err := k1.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.SetKeys(ctx, must(k2.Retire(k1.ActiveID()))); err == nil {
		t.Fatal("accepted a keyring without the key in use")
	}
	if err := v.SetKeys(ctx, k2); err != nil {
		t.Fatal(err)
	}
	done, remaining, err := v.ReencryptBatch(ctx, 10, 1<<30)
	if err != nil || done != 10 || remaining != 15 {
		t.Fatalf("first batch: %d done, %d remaining, %v", done, remaining, err)
	}
	// New data goes under the new key meanwhile.
	newID, _ := v.PutBlob(ctx, BlobInput{Kind: KindFingerImage, ContentType: "image/png", Data: []byte("x")})
	if info, _ := v.BlobInfo(ctx, newID); info.KeyID != k2.ActiveID() {
		t.Fatalf("new blob sealed with %s", info.KeyID)
	}
	v.DB().Close()

	// Restart: a keyring without the old key is refused while data needs it.
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := NewVault(ctx, db, must(k2.Retire(k1.ActiveID()))); !errors.Is(err, ErrWrongKeys) {
		t.Fatalf("keyring lacking a used key: %v", err)
	}
	other, _ := crypt.Generate()
	if _, err := NewVault(ctx, db, other); !errors.Is(err, ErrWrongKeys) {
		t.Fatalf("foreign keyring: %v", err)
	}
	v, err = NewVault(ctx, db, k2)
	if err != nil {
		t.Fatal(err)
	}
	var last int64 = -1
	total, err := v.ReencryptAll(ctx, func(done, remaining int64) { last = remaining })
	if err != nil || total != 15 || last != 0 {
		t.Fatalf("ReencryptAll: %d, remaining %d, %v", total, last, err)
	}
	usage, _ := v.KeyUsage(ctx)
	if len(usage) != 1 || usage[0].KeyID != k2.ActiveID() || usage[0].Blobs != 26 {
		t.Fatalf("key usage after rotation: %+v", usage)
	}
	k3 := must(k2.Retire(k1.ActiveID()))
	if err := v.SetKeys(ctx, k3); err != nil {
		t.Fatalf("retiring the old key: %v", err)
	}
	for i, id := range ids {
		_, data, err := v.GetBlob(ctx, id)
		if err != nil || string(data) != fmt.Sprintf("template %d", i) {
			t.Fatalf("blob %d after rotation: %q, %v", i, data, err)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
