package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"checkpost/server/crypt"
	"checkpost/server/store"
)

// KeySource says where the server's keyring lives.
type KeySource struct {
	// File is the key file; empty when the keys came from the environment
	// (then they cannot be rotated through the API: change the variable).
	File string
}

type keyInfo struct {
	ID     string `json:"id"`
	Active bool   `json:"active"`
	Blobs  int64  `json:"blobs"`
	Bytes  int64  `json:"bytes"`
}

func (s *Server) keyStatus(r *http.Request) (map[string]any, error) {
	keys := s.vault.Keys()
	usage, err := s.vault.KeyUsage(r.Context())
	if err != nil {
		return nil, err
	}
	byID := map[string]store.KeyUse{}
	for _, u := range usage {
		byID[u.KeyID] = u
	}
	var list []keyInfo
	for _, id := range keys.IDs() {
		u := byID[id]
		list = append(list, keyInfo{ID: id, Active: id == keys.ActiveID(), Blobs: u.Blobs, Bytes: u.Bytes})
	}
	source := "environment (" + crypt.EnvVar + ")"
	if s.keys.File != "" {
		source = "file"
	}
	return map[string]any{"active": keys.ActiveID(), "keys": list, "source": source,
		"reencryption": s.jobs.status(), "retention_seconds": int64(s.vault.Retention().Seconds())}, nil
}

func (s *Server) handleKeyStatus(w http.ResponseWriter, r *http.Request) {
	if !s.needVault(w, r) {
		return
	}
	st, err := s.keyStatus(r)
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "could not read key usage", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// handleKeyRotate adds a new data key to the key file, makes it active for
// new data, and starts re-encrypting the old data in the background. The
// key file is rewritten atomically before the new key is used, so a crash at
// any point leaves every stored blob readable: re-encryption resumes at the
// next start.
func (s *Server) handleKeyRotate(w http.ResponseWriter, r *http.Request) {
	if !s.needVault(w, r) {
		return
	}
	if s.keys.File == "" {
		writeProblem(w, r, http.StatusConflict, "keys come from the environment",
			"the keys were given in "+crypt.EnvVar+"; rotate by running \"checkpost key rotate --key-file FILE\" and restarting with --key-file")
		return
	}
	s.jobs.rotateMu.Lock()
	defer s.jobs.rotateMu.Unlock()
	// Start from the file as it is now (a rotation by the command line may
	// have added keys since the server started).
	current, err := crypt.LoadFile(s.keys.File)
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "could not read the key file", err.Error())
		return
	}
	next, err := current.Rotate()
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "could not make a key", err.Error())
		return
	}
	if current.HashKeyCheck() != s.vault.Keys().HashKeyCheck() {
		writeProblem(w, r, http.StatusConflict, "the key file does not match this database",
			"the key file's hashing key is not the one the server runs with; it was replaced since the server started")
		return
	}
	// The file first: data sealed with the new key must never exist
	// without the key on disk.
	if err := next.WriteFile(s.keys.File); err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "could not write the key file", err.Error())
		return
	}
	if err := s.vault.SetKeys(r.Context(), next); err != nil {
		writeProblem(w, r, http.StatusConflict, "the key file does not match this database", err.Error())
		return
	}
	if _, err := s.vault.Audit(r.Context(), store.AuditEntry{Actor: actor(r), Action: "key.rotate", ObjectType: "key",
		ObjectID: next.ActiveID(), RequestID: where(r).RequestID, Remote: r.RemoteAddr,
		Details: map[string]string{"previous": current.ActiveID(), "keys": strconv.Itoa(len(next.IDs()))}}); err != nil {
		s.log.Error("audit key rotation", "err", err)
	}
	s.log.Info("key rotated; re-encrypting in the background", "active", next.ActiveID(), "previous", current.ActiveID())
	s.jobs.kick()
	st, err := s.keyStatus(r)
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "could not read key usage", err.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, st)
}

// keysReady fails when stored data is sealed with a key the keyring lacks
// (a key file edited or replaced under a running server).
func (s *Server) keysReady(ctx context.Context) error {
	usage, err := s.vault.KeyUsage(ctx)
	if err != nil {
		return err
	}
	keys := s.vault.Keys()
	for _, u := range usage {
		if !keys.Has(u.KeyID) {
			return fmt.Errorf("%d stored blobs are sealed with key %s, which the keyring lacks", u.Blobs, u.KeyID)
		}
	}
	return nil
}
