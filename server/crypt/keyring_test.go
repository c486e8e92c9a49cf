package crypt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenRoundTripAndBinding(t *testing.T) {
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("finger image bytes")
	ct, err := k.Seal(msg, []byte("blob:b1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, msg) {
		t.Fatal("plaintext visible in ciphertext")
	}
	if id, err := KeyID(ct); err != nil || id != k.ActiveID() {
		t.Fatalf("KeyID = %q, %v; want %q", id, err, k.ActiveID())
	}
	pt, err := k.Open(ct, []byte("blob:b1"))
	if err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if _, err := k.Open(ct, []byte("blob:b2")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ciphertext opened under another record's aad: %v", err)
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x40
		if _, err := k.Open(bad, []byte("blob:b1")); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	if _, err := k.Open(ct[:len(ct)-1], []byte("blob:b1")); err == nil {
		t.Fatal("truncated ciphertext opened")
	}
	ct2, _ := k.Seal(msg, []byte("blob:b1"))
	if bytes.Equal(ct, ct2) {
		t.Fatal("two seals of one message are equal: nonce reused")
	}
}

func TestRotateKeepsOldKeysAndHashes(t *testing.T) {
	k1, _ := Generate()
	old, _ := k1.Seal([]byte("old"), nil)
	k2, err := k1.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if k2.ActiveID() == k1.ActiveID() || len(k2.IDs()) != 2 {
		t.Fatalf("rotate: active %s ids %v", k2.ActiveID(), k2.IDs())
	}
	if pt, err := k2.Open(old, nil); err != nil || string(pt) != "old" {
		t.Fatalf("old ciphertext unreadable after rotation: %v", err)
	}
	if k1.Hash("document", "X1234") != k2.Hash("document", "X1234") {
		t.Fatal("rotation changed the hashing key")
	}
	if _, err := k1.Open(must(k2.Seal([]byte("new"), nil)), nil); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old ring opened a new key's ciphertext: %v", err)
	}
	if _, err := k2.Retire(k2.ActiveID()); err == nil {
		t.Fatal("retired the active key")
	}
	k3, err := k2.Retire(k1.ActiveID())
	if err != nil || k3.Has(k1.ActiveID()) {
		t.Fatalf("retire: %v", err)
	}
	if _, err := k3.Open(old, nil); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("retired key still opens: %v", err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestHashIsKeyedAndDomainSeparated(t *testing.T) {
	a, _ := Generate()
	b, _ := Generate()
	if a.Hash("document", "L898902C3") == b.Hash("document", "L898902C3") {
		t.Fatal("hash does not depend on the key")
	}
	if a.Hash("document", "X") == a.Hash("traveller", "X") {
		t.Fatal("domains are not separated")
	}
	if a.Hash("doc", "ument\x00X") == a.Hash("document", "X") {
		t.Fatal("domain and value run together")
	}
	if a.HashKeyCheck() == b.HashKeyCheck() || strings.Contains(string(a.Marshal()), a.HashKeyCheck()) {
		t.Fatal("hash key check is not a key-dependent value")
	}
}

func TestFileRoundTripAndPermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	k, _ := Generate()
	k, _ = k.Rotate()
	if err := k.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	k2, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ActiveID() != k.ActiveID() || len(k2.IDs()) != 2 || k2.Hash("d", "v") != k.Hash("d", "v") {
		t.Fatal("key file round trip changed the keyring")
	}
	os.Chmod(path, 0o644)
	if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file accepted: %v", err)
	}
}

func TestParseRejectsBadKeyrings(t *testing.T) {
	k, _ := Generate()
	good := string(k.Marshal())
	cases := map[string]string{
		"empty":         "",
		"short key":     base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"not base64":    "!!!!",
		"edited key":    strings.Replace(good, `"key": "`, `"key": "A`, 1),
		"unknown field": strings.Replace(good, `"version"`, `"extra": 1, "version"`, 1),
		"no active":     strings.Replace(good, `"active": "k`, `"active": "x`, 1),
	}
	for name, in := range cases {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	single := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	s1, err := Parse([]byte(single + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	// A single key turned into a file by rotation keeps its hashes.
	rot, _ := s1.Rotate()
	back, err := Parse(rot.Marshal())
	if err != nil || back.Hash("d", "v") != s1.Hash("d", "v") {
		t.Fatalf("single key → file changed the hash key: %v", err)
	}
}

func TestResolveGeneratesOnce(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(dir, "var", "checkpost.keys")
	if _, _, err := Resolve("", "", def, false); err == nil {
		t.Fatal("no keys and no generation: no error")
	}
	k, src, err := Resolve("", "", def, true)
	if err != nil || !src.Generated || src.Path != def {
		t.Fatalf("first resolve: %+v, %v", src, err)
	}
	k2, src2, err := Resolve("", "", def, true)
	if err != nil || src2.Generated || k2.ActiveID() != k.ActiveID() {
		t.Fatalf("second resolve generated again: %+v, %v", src2, err)
	}
	env := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k3, src3, err := Resolve("", env, def, true)
	if err != nil || src3.Writable() || k3.ActiveID() == k.ActiveID() {
		t.Fatalf("environment key not preferred over the default file: %+v, %v", src3, err)
	}
	if _, _, err := Resolve(filepath.Join(dir, "missing"), env, def, true); err == nil {
		t.Fatal("a named key file that is missing was not an error")
	}
}

// FuzzParse: any bytes give a keyring or an error, never a panic.
func FuzzParse(f *testing.F) {
	k, _ := Generate()
	f.Add(k.Marshal())
	f.Add([]byte(base64.StdEncoding.EncodeToString(make([]byte, 32))))
	f.Add([]byte(`{"version":1,"keys":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := Parse(b); err == nil {
			if _, err := Parse(k.Marshal()); err != nil {
				t.Fatalf("a parsed keyring does not parse again: %v", err)
			}
		}
	})
}

// FuzzOpen: any bytes as a ciphertext give an error, never a panic.
func FuzzOpen(f *testing.F) {
	k, _ := Generate()
	f.Add(must(k.Seal([]byte("hello"), nil)))
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 255, 'k'})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Only the seed is a genuine ciphertext; anything else that opens
		// would be a forgery.
		if pt, err := k.Open(b, nil); err == nil && string(pt) != "hello" {
			t.Fatalf("forged ciphertext opened to %q", pt)
		}
	})
}
