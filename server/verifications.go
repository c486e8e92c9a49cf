package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"checkpost/server/store"
)

// Verifier runs the verification pipeline on one submission. The server
// defines it and the engine's adapter implements it, so that the HTTP side
// can be built and tested on its own.
type Verifier interface {
	Verify(ctx context.Context, sub *Submission) (*Verdict, error)
}

// ErrUnusableSubmission is wrapped by a Verifier's error when the
// submission itself cannot be verified (images of one side that are not
// registered, a PDF without pages): the client gets 422 with the error's
// text, and nothing is stored.
var ErrUnusableSubmission = errors.New("the submission cannot be verified")

// Verdict is what the server needs from a finished verification.
type Verdict struct {
	// Report is the full report as a JSON object; the answer to the
	// counter is this object with the verification's id added.
	Report json.RawMessage
	// Recommendation is CLEAR, REFER or ALERT.
	Recommendation string
	// Reasons are the reason codes (check names) behind the recommendation.
	Reasons []string
	// Traveller is what the MRZ says, nil when it could not be read.
	Traveller *store.Traveller
	// Evidence are images the pipeline made (crops, overlays), stored
	// under the retention setting and served by name. Their names must not
	// be those of submitted files (white, ir, uv, pdf, finger.*): use the
	// check's name, e.g. "ir.mrz.absorption".
	Evidence []store.EvidenceInput
	// Stages are the durations of the pipeline's stages, for /metrics.
	Stages map[string]time.Duration
}

// where returns the request's id and peer for the audit log.
func where(r *http.Request) store.Where {
	return store.Where{RequestID: middleware.GetReqID(r.Context()), Remote: r.RemoteAddr}
}

func actor(r *http.Request) store.Actor {
	tok, _ := TokenFrom(r.Context())
	return store.TokenActor(tok)
}

func (s *Server) needVault(w http.ResponseWriter, r *http.Request) bool {
	if s.vault == nil {
		writeProblem(w, r, http.StatusServiceUnavailable, "storage not configured", "this server runs without its encrypted store")
		return false
	}
	return true
}

func (s *Server) handleCreateVerification(w http.ResponseWriter, r *http.Request) {
	if !s.needVault(w, r) {
		return
	}
	if s.verifier == nil {
		writeProblem(w, r, http.StatusServiceUnavailable, "verification pipeline not loaded", "this server has no verification pipeline")
		return
	}
	sub, err := readSubmission(r, s.limits)
	if err != nil {
		var es *errSubmission
		if errors.As(err, &es) {
			writeProblem(w, r, es.status, es.title, es.detail)
		} else {
			bodyError(w, r, err)
		}
		return
	}
	verdict, err := s.verifier.Verify(r.Context(), sub)
	if errors.Is(err, ErrUnusableSubmission) {
		writeProblem(w, r, http.StatusUnprocessableEntity, "unusable submission", err.Error())
		return
	}
	if err != nil {
		if r.Context().Err() != nil {
			writeProblem(w, r, http.StatusServiceUnavailable, "verification timed out",
				fmt.Sprintf("the verification did not finish within %s; nothing was stored", s.limits.VerifyTimeout))
			return
		}
		s.log.Error("verification failed", "id", middleware.GetReqID(r.Context()), "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "verification failed", "the pipeline failed on this request; it has been logged and nothing was stored")
		return
	}
	var reportObj map[string]json.RawMessage
	if err := json.Unmarshal(verdict.Report, &reportObj); err != nil {
		s.log.Error("verifier returned a report that is not a JSON object", "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "verification failed", "the pipeline returned a malformed report")
		return
	}
	nv := store.NewVerification{
		Actor: actor(r), Where: where(r), Counter: sub.Counter, Direction: sub.Direction, Route: sub.Route,
		Recommendation: verdict.Recommendation, Reasons: verdict.Reasons, Report: verdict.Report, Traveller: verdict.Traveller,
	}
	for _, im := range sub.Images {
		nv.Evidence = append(nv.Evidence, store.EvidenceInput{Name: im.Light, Kind: store.KindDocumentImage,
			ContentType: contentTypeOf(im.Format), Data: im.Data})
	}
	if len(sub.PDF) > 0 {
		nv.Evidence = append(nv.Evidence, store.EvidenceInput{Name: "pdf", Kind: store.KindDocumentImage,
			ContentType: "application/pdf", Data: sub.PDF})
	}
	for i, f := range sub.Fingers {
		kind, ct := store.KindFingerImage, contentTypeOf(f.Format)
		if f.Kind == FingerTemplate {
			kind, ct = store.KindFingerTemplate, "application/octet-stream"
		}
		nv.Evidence = append(nv.Evidence, store.EvidenceInput{Name: fmt.Sprintf("finger.%d.%s", i+1, f.Position),
			Kind: kind, ContentType: ct, Data: f.Data})
	}
	nv.Evidence = append(nv.Evidence, verdict.Evidence...)
	// Stored (committed, synced) before the answer: an acknowledged
	// verification is never lost.
	id, err := s.vault.CreateVerification(r.Context(), nv)
	if err != nil {
		if r.Context().Err() != nil {
			writeProblem(w, r, http.StatusServiceUnavailable, "verification timed out", "the verification could not be stored in time; nothing was stored")
			return
		}
		s.log.Error("store verification", "id", middleware.GetReqID(r.Context()), "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "could not store the verification", "the verification was not stored; retry")
		return
	}
	s.sm.recs.Inc(verdict.Recommendation)
	for stage, d := range verdict.Stages {
		s.sm.stages.Observe(d.Seconds(), stage)
	}
	reportObj["id"] = mustJSON(id)
	reportObj["evidence_files"] = mustJSON(evidenceLinks(id, nv.Evidence))
	w.Header().Set("Location", "/api/v1/verifications/"+id)
	writeJSON(w, http.StatusCreated, reportObj)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

type evidenceLink struct {
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	URL         string    `json:"url"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	PurgedAt    time.Time `json:"purged_at,omitzero"`
}

func evidenceURL(id, name string) string {
	return "/api/v1/verifications/" + id + "/evidence/" + name
}

func evidenceLinks(id string, ev []store.EvidenceInput) []evidenceLink {
	out := make([]evidenceLink, len(ev))
	for i, e := range ev {
		out[i] = evidenceLink{Name: e.Name, ContentType: e.ContentType, Size: int64(len(e.Data)), URL: evidenceURL(id, e.Name)}
	}
	return out
}

// loadCase reads a verification the caller may see: counters and stations
// see only what they submitted (others' cases are "not found", not
// "forbidden", so that ids cannot be probed); supervisors see every case.
func (s *Server) loadCase(w http.ResponseWriter, r *http.Request) (*store.Verification, bool) {
	if !s.needVault(w, r) {
		return nil, false
	}
	id := chi.URLParam(r, "id")
	v, err := s.vault.GetVerification(r.Context(), id)
	if errors.Is(err, store.ErrVerificationNotFound) || err == nil && !mayRead(r, v) {
		writeProblem(w, r, http.StatusNotFound, "not found", "no verification "+id)
		return nil, false
	}
	if err != nil {
		s.log.Error("read verification", "verification", id, "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "could not read the verification", err.Error())
		return nil, false
	}
	return v, true
}

func mayRead(r *http.Request, v *store.Verification) bool {
	tok, _ := TokenFrom(r.Context())
	if tok.Role == store.RoleSupervisor {
		return true
	}
	return v.Actor.Kind == "token" && v.Actor.ID == strconv.FormatInt(tok.ID, 10)
}

func (s *Server) handleGetVerification(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadCase(w, r)
	if !ok {
		return
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v.Report, &obj); err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "stored report unreadable", err.Error())
		return
	}
	links := make([]evidenceLink, len(v.Evidence))
	for i, e := range v.Evidence {
		links[i] = evidenceLink{Name: e.Name, ContentType: e.ContentType, Size: e.Size, URL: evidenceURL(v.ID, e.Name),
			ExpiresAt: e.ExpiresAt, PurgedAt: e.PurgedAt}
	}
	m := v.Movement
	movement := map[string]any{"decision": nilIfEmpty(m.Decision), "decision_actions": m.DecisionActions,
		"decided_by": nilIfEmpty(m.DecidedBy)}
	if !m.DecidedAt.IsZero() {
		movement["decided_at"] = m.DecidedAt
	}
	obj["id"] = mustJSON(v.ID)
	obj["submitted_at"] = mustJSON(v.CreatedAt)
	obj["submitted_by"] = mustJSON(v.Actor.Name)
	obj["counter"] = mustJSON(v.Counter)
	obj["direction"] = mustJSON(v.Direction)
	obj["route"] = mustJSON(v.Route)
	obj["evidence_files"] = mustJSON(links)
	obj["movement"] = mustJSON(movement)
	if _, err := s.vault.Audit(r.Context(), store.AuditEntry{Actor: actor(r), Action: "verification.read",
		ObjectType: "verification", ObjectID: v.ID, RequestID: where(r).RequestID, Remote: r.RemoteAddr}); err != nil {
		// Personal data is not shown without its audit entry.
		s.log.Error("audit verification read", "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "could not audit the read", "try again")
		return
	}
	writeJSON(w, http.StatusOK, obj)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) handleGetEvidence(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadCase(w, r)
	if !ok {
		return
	}
	name := chi.URLParam(r, "name")
	blob, err := s.vault.EvidenceBlob(r.Context(), v.ID, name)
	if errors.Is(err, store.ErrBlobNotFound) {
		writeProblem(w, r, http.StatusNotFound, "not found", fmt.Sprintf("verification %s has no evidence %q", v.ID, name))
		return
	}
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "could not read the evidence", err.Error())
		return
	}
	info, data, err := s.vault.GetBlob(r.Context(), blob)
	if errors.Is(err, store.ErrBlobPurged) {
		writeProblem(w, r, http.StatusGone, "evidence purged",
			fmt.Sprintf("%s of %s was purged on %s after its retention period; the report is kept", name, v.ID, info.PurgedAt.Format(time.DateOnly)))
		return
	}
	if err != nil {
		s.log.Error("read evidence", "verification", v.ID, "name", name, "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "could not read the evidence", "the evidence could not be decrypted; it has been logged")
		return
	}
	if _, err := s.vault.Audit(r.Context(), store.AuditEntry{Actor: actor(r), Action: "evidence.read",
		ObjectType: "verification", ObjectID: v.ID, RequestID: where(r).RequestID, Remote: r.RemoteAddr,
		Details: map[string]string{"evidence": name}}); err != nil {
		s.log.Error("audit evidence read", "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "could not audit the read", "try again")
		return
	}
	w.Header().Set("Content-Type", info.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(data)
}

// decisionActions are the actions a decision may record besides its outcome.
var decisionActions = []string{"document_seized", "handed_to_anti_trafficking"}

type decisionRequest struct {
	Decision string   `json:"decision"`
	Actions  []string `json:"actions"`
	Comment  string   `json:"comment"`
}

// handleDecision records the officer's final decision. Counters and
// stations decide their own CLEAR cases; REFER and ALERT cases are decided
// by a supervisor.
func (s *Server) handleDecision(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadCase(w, r)
	if !ok {
		return
	}
	var req decisionRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			bodyError(w, r, err)
			return
		}
		writeProblem(w, r, http.StatusBadRequest, "malformed decision", "JSON: "+err.Error())
		return
	}
	if !slices.Contains(store.Decisions, req.Decision) {
		writeProblem(w, r, http.StatusBadRequest, "unknown decision", fmt.Sprintf("decision must be one of %s", strings.Join(store.Decisions, ", ")))
		return
	}
	for _, a := range req.Actions {
		if !slices.Contains(decisionActions, a) {
			writeProblem(w, r, http.StatusBadRequest, "unknown action", fmt.Sprintf("action %q is not one of %s", a, strings.Join(decisionActions, ", ")))
			return
		}
	}
	if req.Decision != store.DecisionAllowed && strings.TrimSpace(req.Comment) == "" {
		writeProblem(w, r, http.StatusBadRequest, "comment required", "a decision other than allowed needs a comment")
		return
	}
	tok, _ := TokenFrom(r.Context())
	if tok.Role != store.RoleSupervisor && v.Recommendation != "CLEAR" {
		writeProblem(w, r, http.StatusForbidden, "supervisor required", fmt.Sprintf("a %s case is decided by a supervisor", v.Recommendation))
		return
	}
	err := s.vault.RecordDecision(r.Context(), v.ID, store.Decision{Outcome: req.Decision, Actions: req.Actions,
		Comment: req.Comment, Actor: actor(r), Where: where(r)})
	if errors.Is(err, store.ErrAlreadyDecided) {
		writeProblem(w, r, http.StatusConflict, "already decided", err.Error())
		return
	}
	if err != nil {
		s.log.Error("record decision", "verification", v.ID, "err", err)
		writeProblem(w, r, http.StatusInternalServerError, "could not record the decision", "the decision was not recorded; retry")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": v.ID, "decision": req.Decision, "actions": req.Actions})
}

// handleMovements lists movement records by document (its number and
// issuing state are hashed with the server's key, never stored or logged),
// by decision (e.g. every off-loaded or deported traveller) and by time.
func (s *Server) handleMovements(w http.ResponseWriter, r *http.Request) {
	if !s.needVault(w, r) {
		return
	}
	q := r.URL.Query()
	f := store.MovementFilter{Decision: q.Get("decision")}
	if f.Decision != "" && !slices.Contains(store.Decisions, f.Decision) {
		writeProblem(w, r, http.StatusBadRequest, "unknown decision", fmt.Sprintf("decision must be one of %s", strings.Join(store.Decisions, ", ")))
		return
	}
	if num := q.Get("document_number"); num != "" {
		f.DocumentHash = s.vault.DocumentHash(store.Traveller{DocumentNumber: num, IssuingState: q.Get("issuing_state")})
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeProblem(w, r, http.StatusBadRequest, "bad time", fmt.Sprintf("%s: %v (want RFC 3339, e.g. 2026-01-02T15:04:05Z)", name, err))
				return
			}
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeProblem(w, r, http.StatusBadRequest, "bad limit", "limit must be 1 to 1000")
			return
		}
		f.Limit = n
	}
	ms, err := s.vault.Movements(r.Context(), f)
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "could not list movements", err.Error())
		return
	}
	details := map[string]string{"decision": f.Decision}
	if f.DocumentHash != "" {
		details["document_hash"] = f.DocumentHash
	}
	if _, err := s.vault.Audit(r.Context(), store.AuditEntry{Actor: actor(r), Action: "movement.search",
		ObjectType: "movement", RequestID: where(r).RequestID, Remote: r.RemoteAddr, Details: details}); err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "could not audit the search", "try again")
		return
	}
	out := make([]map[string]any, len(ms))
	for i, m := range ms {
		out[i] = map[string]any{"verification_id": m.VerificationID, "at": m.At, "counter": m.Counter,
			"direction": m.Direction, "route": m.Route, "recommendation": m.Recommendation,
			"traveller_hash": nilIfEmpty(m.TravellerHash), "document_hash": nilIfEmpty(m.DocumentHash),
			"decision": nilIfEmpty(m.Decision), "decision_actions": m.DecisionActions, "decided_by": nilIfEmpty(m.DecidedBy)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"movements": out})
}
