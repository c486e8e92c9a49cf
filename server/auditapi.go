package server

import (
	_ "embed"
	"net/http"
	"strconv"

	"checkpost/server/store"
)

func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) {
	if !s.needVault(w, r) {
		return
	}
	from, limit := int64(1), 100
	if v := r.URL.Query().Get("from"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			writeProblem(w, r, http.StatusBadRequest, "bad from", "from must be an entry number >= 1")
			return
		}
		from = n
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeProblem(w, r, http.StatusBadRequest, "bad limit", "limit must be 1 to 1000")
			return
		}
		limit = n
	}
	entries, err := s.db.AuditEntries(r.Context(), from, limit)
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "could not read the audit log", err.Error())
		return
	}
	out := make([]map[string]any, len(entries))
	for i, e := range entries {
		out[i] = map[string]any{"seq": e.Seq, "at": e.At, "actor": map[string]string{"kind": e.Actor.Kind, "id": e.Actor.ID, "name": e.Actor.Name},
			"action": e.Action, "object_type": e.ObjectType, "object_id": e.ObjectID, "request_id": e.RequestID,
			"remote": e.Remote, "details": e.Details, "prev_hash": store.HexHash(e.PrevHash), "hash": store.HexHash(e.Hash)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}

func (s *Server) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	if !s.needVault(w, r) {
		return
	}
	keys := s.vault.Keys()
	rep, err := s.db.VerifyAudit(r.Context(), func(seq int64, h []byte) []byte { return store.SealAuditHead(keys, seq, h) }, nil)
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "could not verify the audit log", err.Error())
		return
	}
	problems := make([]map[string]any, len(rep.Problems))
	for i, p := range rep.Problems {
		problems[i] = map[string]any{"seq": p.Seq, "kind": p.Kind, "detail": p.Detail}
	}
	writeJSON(w, http.StatusOK, map[string]any{"intact": rep.Intact(), "entries": rep.Entries,
		"last_verified_seq": rep.LastSeq, "last_verified_hash": store.HexHash(rep.LastHash),
		"head_seq": rep.HeadSeq, "head_seal_checked": rep.HeadSealChecked, "problems": problems})
}

//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(openAPIDocument)
}
