// Package crypt seals checkpost's sensitive data at rest: fingerprint
// templates, finger images, document images and reports are encrypted with
// AES-256-GCM under keys that live in a key file or an environment variable,
// never in the database; personal identifiers that must stay searchable
// (document numbers, traveller identities) are kept only as keyed hashes.
//
// A Keyring holds every data key still needed to read old ciphertexts, one
// of them active for new ones, and a separate hashing key. Each ciphertext
// names the key that sealed it, so keys can be rotated while old data stays
// readable until it has been re-encrypted.
package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// KeySize is the size of every key: AES-256 and HMAC-SHA256.
const KeySize = 32

// EnvVar is the environment variable that may hold the keyring (the JSON of
// a key file, or one base64 key).
const EnvVar = "CHECKPOST_DATA_KEY"

// formatVersion is the first byte of every ciphertext.
const formatVersion = 1

// ErrUnknownKey is returned when a ciphertext was sealed with a key the
// keyring does not hold.
var ErrUnknownKey = errors.New("crypt: ciphertext sealed with a key this keyring does not hold")

// ErrCorrupt is returned when a ciphertext is malformed or fails
// authentication (edited, truncated, or moved to another record).
var ErrCorrupt = errors.New("crypt: ciphertext is corrupt or was tampered with")

type dataKey struct {
	id      string
	secret  []byte
	created time.Time
	aead    cipher.AEAD
}

// Keyring is a set of data keys, one active, and a hashing key. It is safe
// for concurrent use; it is never modified after it is made.
type Keyring struct {
	keys    []*dataKey // in the order they were added; the last is usually active
	active  *dataKey
	hashKey []byte
}

// keyID names a key by a fingerprint of its bytes, so that a key file with a
// mistyped key is caught and ids never collide by accident.
func keyID(secret []byte) string {
	h := sha256.Sum256(append([]byte("checkpost key id\x00"), secret...))
	return "k" + hex.EncodeToString(h[:6])
}

func newDataKey(secret []byte, created time.Time) (*dataKey, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("crypt: a data key has %d bytes, want %d", len(secret), KeySize)
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	return &dataKey{id: keyID(secret), secret: slices.Clone(secret), created: created, aead: aead}, nil
}

func randomKey() ([]byte, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("crypt: random key: %w", err)
	}
	return b, nil
}

// Generate makes a keyring with one new random data key and a new random
// hashing key.
func Generate() (*Keyring, error) {
	secret, err := randomKey()
	if err != nil {
		return nil, err
	}
	hk, err := randomKey()
	if err != nil {
		return nil, err
	}
	k, err := newDataKey(secret, time.Now().UTC().Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	return &Keyring{keys: []*dataKey{k}, active: k, hashKey: hk}, nil
}

// Rotate returns a new keyring that holds every key of k plus a new random
// data key, which becomes the active one. The hashing key is kept: keyed
// hashes already stored must still match.
func (k *Keyring) Rotate() (*Keyring, error) {
	secret, err := randomKey()
	if err != nil {
		return nil, err
	}
	nk, err := newDataKey(secret, time.Now().UTC().Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	keys := append(slices.Clone(k.keys), nk)
	return &Keyring{keys: keys, active: nk, hashKey: k.hashKey}, nil
}

// Retire returns a keyring without the key id. The active key cannot be
// retired.
func (k *Keyring) Retire(id string) (*Keyring, error) {
	if k.active.id == id {
		return nil, fmt.Errorf("crypt: key %s is the active key; rotate first", id)
	}
	i := slices.IndexFunc(k.keys, func(d *dataKey) bool { return d.id == id })
	if i < 0 {
		return nil, fmt.Errorf("crypt: no key %s in the keyring", id)
	}
	keys := slices.Delete(slices.Clone(k.keys), i, i+1)
	return &Keyring{keys: keys, active: k.active, hashKey: k.hashKey}, nil
}

// ActiveID returns the id of the key that seals new data.
func (k *Keyring) ActiveID() string { return k.active.id }

// IDs returns the ids of every key, oldest first.
func (k *Keyring) IDs() []string {
	ids := make([]string, len(k.keys))
	for i, d := range k.keys {
		ids[i] = d.id
	}
	return ids
}

// Has reports whether the keyring holds the key id.
func (k *Keyring) Has(id string) bool { return k.key(id) != nil }

func (k *Keyring) key(id string) *dataKey {
	for _, d := range k.keys {
		if d.id == id {
			return d
		}
	}
	return nil
}

// Seal encrypts plaintext with the active key. aad is authenticated but not
// stored: pass what the ciphertext belongs to (e.g. "blob:ID"), so that a
// ciphertext copied onto another record fails to open.
//
// The result is: version (1 byte), key id length (1 byte), key id, nonce
// (12 bytes), then the GCM ciphertext and tag.
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	d := k.active
	hdr := header(d.id)
	out := make([]byte, len(hdr), len(hdr)+d.aead.NonceSize()+len(plaintext)+d.aead.Overhead())
	copy(out, hdr)
	nonce := out[len(hdr) : len(hdr)+d.aead.NonceSize()]
	out = out[:len(hdr)+d.aead.NonceSize()]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("crypt: nonce: %w", err)
	}
	return d.aead.Seal(out, nonce, plaintext, additional(hdr, aad)), nil
}

func header(id string) []byte {
	return append([]byte{formatVersion, byte(len(id))}, id...)
}

func additional(hdr, aad []byte) []byte {
	return append(slices.Clone(hdr), aad...)
}

// KeyID returns the id of the key that sealed ciphertext.
func KeyID(ciphertext []byte) (string, error) {
	if len(ciphertext) < 2 || ciphertext[0] != formatVersion {
		return "", fmt.Errorf("%w: unknown format", ErrCorrupt)
	}
	n := int(ciphertext[1])
	if n == 0 || len(ciphertext) < 2+n {
		return "", fmt.Errorf("%w: truncated key id", ErrCorrupt)
	}
	return string(ciphertext[2 : 2+n]), nil
}

// Open decrypts a ciphertext made by Seal with the same aad, with whichever
// key of the ring sealed it.
func (k *Keyring) Open(ciphertext, aad []byte) ([]byte, error) {
	id, err := KeyID(ciphertext)
	if err != nil {
		return nil, err
	}
	d := k.key(id)
	if d == nil {
		return nil, fmt.Errorf("%w (key %s)", ErrUnknownKey, id)
	}
	hdr := ciphertext[:2+len(id)]
	rest := ciphertext[len(hdr):]
	if len(rest) < d.aead.NonceSize()+d.aead.Overhead() {
		return nil, fmt.Errorf("%w: truncated", ErrCorrupt)
	}
	nonce, sealed := rest[:d.aead.NonceSize()], rest[d.aead.NonceSize():]
	pt, err := d.aead.Open(nil, nonce, sealed, additional(hdr, aad))
	if err != nil {
		return nil, fmt.Errorf("%w (key %s)", ErrCorrupt, id)
	}
	return pt, nil
}

// Hash returns a keyed hash (HMAC-SHA256, hex) of value in a domain
// ("document", "traveller", ...). Equal values give equal hashes, so records
// can be found by them, but without the hashing key a hash cannot be tested
// against guesses (document numbers and birth dates are easy to enumerate).
func (k *Keyring) Hash(domain, value string) string {
	m := hmac.New(sha256.New, k.hashKey)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// HashKeyCheck returns a value that identifies the hashing key without
// revealing it; stored in the database, it catches a server started with
// another key file, whose hashes would silently match nothing.
func (k *Keyring) HashKeyCheck() string {
	return k.Hash("checkpost hash key check", "")[:16]
}

// fileFormat is the JSON of a key file.
type fileFormat struct {
	Comment string    `json:"comment,omitempty"`
	Version int       `json:"version"`
	Active  string    `json:"active"`
	HashKey string    `json:"hash_key"`
	Keys    []fileKey `json:"keys"`
}

type fileKey struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	Created string `json:"created,omitempty"`
}

const fileComment = "checkpost data keys: keep secret (mode 0600) and back up; without them every encrypted image, template and report is lost"

// Marshal returns the keyring as the JSON of a key file.
func (k *Keyring) Marshal() []byte {
	f := fileFormat{Comment: fileComment, Version: 1, Active: k.active.id,
		HashKey: base64.StdEncoding.EncodeToString(k.hashKey)}
	for _, d := range k.keys {
		fk := fileKey{ID: d.id, Key: base64.StdEncoding.EncodeToString(d.secret)}
		if !d.created.IsZero() {
			fk.Created = d.created.Format(time.RFC3339)
		}
		f.Keys = append(f.Keys, fk)
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	return append(b, '\n')
}

// maxKeyringSize bounds what Parse reads: a keyring of a thousand keys is
// far under it.
const maxKeyringSize = 1 << 20

// Parse reads a keyring: the JSON written by Marshal, or a single base64
// key of 32 bytes (then the hashing key is derived from it with HKDF, so a
// keyring given as one environment variable still hashes the same way after
// it is turned into a key file by a rotation).
func Parse(b []byte) (*Keyring, error) {
	if len(b) > maxKeyringSize {
		return nil, fmt.Errorf("crypt: keyring of %d bytes is larger than %d", len(b), maxKeyringSize)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, errors.New("crypt: empty keyring")
	}
	if !strings.HasPrefix(s, "{") {
		secret, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("crypt: a single key must be base64 (e.g. from \"head -c32 /dev/urandom | base64\"): %w", err)
		}
		d, err := newDataKey(secret, time.Time{})
		if err != nil {
			return nil, err
		}
		hk, err := hkdf.Key(sha256.New, secret, nil, "checkpost hash key", KeySize)
		if err != nil {
			return nil, fmt.Errorf("crypt: derive hash key: %w", err)
		}
		return &Keyring{keys: []*dataKey{d}, active: d, hashKey: hk}, nil
	}
	var f fileFormat
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("crypt: keyring JSON: %w", err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("crypt: keyring version %d, want 1", f.Version)
	}
	hk, err := base64.StdEncoding.DecodeString(f.HashKey)
	if err != nil || len(hk) != KeySize {
		return nil, fmt.Errorf("crypt: hash_key must be %d bytes of base64", KeySize)
	}
	if len(f.Keys) == 0 {
		return nil, errors.New("crypt: keyring has no keys")
	}
	k := &Keyring{hashKey: hk}
	for i, fk := range f.Keys {
		secret, err := base64.StdEncoding.DecodeString(fk.Key)
		if err != nil {
			return nil, fmt.Errorf("crypt: key %d (%s): not base64: %w", i+1, fk.ID, err)
		}
		var created time.Time
		if fk.Created != "" {
			if created, err = time.Parse(time.RFC3339, fk.Created); err != nil {
				return nil, fmt.Errorf("crypt: key %d (%s): created: %w", i+1, fk.ID, err)
			}
		}
		d, err := newDataKey(secret, created)
		if err != nil {
			return nil, fmt.Errorf("crypt: key %d (%s): %w", i+1, fk.ID, err)
		}
		if fk.ID != d.id {
			return nil, fmt.Errorf("crypt: key %d: id %q does not match its bytes (%s): the key was mistyped or edited", i+1, fk.ID, d.id)
		}
		if k.key(d.id) != nil {
			return nil, fmt.Errorf("crypt: key %s listed twice", d.id)
		}
		k.keys = append(k.keys, d)
	}
	if k.active = k.key(f.Active); k.active == nil {
		return nil, fmt.Errorf("crypt: active key %q is not among the keys", f.Active)
	}
	return k, nil
}

// LoadFile reads a key file. It refuses a file that others than its owner
// may read: the keys are worth as much as all the data they protect.
func LoadFile(path string) (*Keyring, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("crypt: key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("crypt: key file %s has mode %04o: others may read it; run \"chmod 600 %s\"", path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("crypt: key file: %w", err)
	}
	k, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// WriteFile writes the keyring to path with mode 0600, atomically: a
// crash leaves either the old file or the new one, never half of one.
func (k *Keyring) WriteFile(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("crypt: write key file: %w", err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keys-*")
	if err != nil {
		return fmt.Errorf("crypt: write key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("crypt: write key file: %w", err)
	}
	if _, err := tmp.Write(k.Marshal()); err != nil {
		tmp.Close()
		return fmt.Errorf("crypt: write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("crypt: write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("crypt: write key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("crypt: write key file: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Source says where a keyring came from.
type Source struct {
	// Path is the key file, empty when the keys came from the environment.
	Path string
	// Generated is true when no key was configured and a new key file was
	// made at Path.
	Generated bool
}

// Writable reports whether the keyring can be rotated in place (it lives in
// a file, not in the environment).
func (s Source) Writable() bool { return s.Path != "" }

// Resolve finds the keyring: the key file when one is named, else the
// environment variable, else the default file when it exists. When nothing
// is configured and mayGenerate is true, it generates a keyring and writes
// it to defaultPath (mode 0600); the caller should say so loudly.
func Resolve(keyFile, env, defaultPath string, mayGenerate bool) (*Keyring, Source, error) {
	if keyFile != "" {
		k, err := LoadFile(keyFile)
		return k, Source{Path: keyFile}, err
	}
	if strings.TrimSpace(env) != "" {
		k, err := Parse([]byte(env))
		if err != nil {
			return nil, Source{}, fmt.Errorf("%s: %w", EnvVar, err)
		}
		return k, Source{}, nil
	}
	if _, err := os.Stat(defaultPath); err == nil {
		k, err := LoadFile(defaultPath)
		return k, Source{Path: defaultPath}, err
	}
	if !mayGenerate {
		return nil, Source{}, fmt.Errorf("crypt: no keys: pass --key-file, set %s, or create %s", EnvVar, defaultPath)
	}
	k, err := Generate()
	if err != nil {
		return nil, Source{}, err
	}
	if err := k.WriteFile(defaultPath); err != nil {
		return nil, Source{}, err
	}
	return k, Source{Path: defaultPath, Generated: true}, nil
}
