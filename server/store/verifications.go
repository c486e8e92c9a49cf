package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrVerificationNotFound is returned for an unknown verification id.
var ErrVerificationNotFound = errors.New("store: verification not found")

// Directions of a movement.
const (
	Entry = "entry"
	Exit  = "exit"
)

// Officers' final decisions on a movement. Offloaded: kept from departing;
// deported: leaving under removal.
const (
	DecisionAllowed   = "allowed"
	DecisionRefused   = "refused"
	DecisionOffloaded = "offloaded"
	DecisionDeported  = "deported"
)

// Decisions lists the decisions.
var Decisions = []string{DecisionAllowed, DecisionRefused, DecisionOffloaded, DecisionDeported}

// Traveller holds what identifies a traveller and their document, as read
// from the MRZ. It is stored only encrypted; its keyed hashes index it.
type Traveller struct {
	DocumentType   string `json:"document_type,omitempty"`
	IssuingState   string `json:"issuing_state,omitempty"`
	DocumentNumber string `json:"document_number,omitempty"`
	Surname        string `json:"surname,omitempty"`
	GivenNames     string `json:"given_names,omitempty"`
	Nationality    string `json:"nationality,omitempty"`
	BirthDate      string `json:"birth_date,omitempty"` // YYMMDD as in the MRZ
	Sex            string `json:"sex,omitempty"`
	ExpiryDate     string `json:"expiry_date,omitempty"`
}

func norm(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), " ")) }

// DocumentHash is the keyed hash that finds a document's movements.
func (v *Vault) DocumentHash(t Traveller) string {
	if t.DocumentNumber == "" {
		return ""
	}
	return v.Hash("document", norm(t.IssuingState)+"|"+norm(t.DocumentNumber))
}

// TravellerHash is the keyed hash that finds a person's movements across
// documents: nationality, birth date and name as printed in the MRZ.
func (v *Vault) TravellerHash(t Traveller) string {
	if t.Surname == "" || t.BirthDate == "" {
		return ""
	}
	return v.Hash("traveller", norm(t.Nationality)+"|"+norm(t.BirthDate)+"|"+norm(t.Surname)+"|"+norm(t.GivenNames))
}

// EvidenceInput is one image or template submitted with, or made by, a
// verification.
type EvidenceInput struct {
	// Name is unique within the verification: "white", "ir", "uv", "pdf",
	// "finger.1" (by finger position), or an evidence name of the report.
	Name        string
	Kind        string // KindDocumentImage, KindFingerImage, ...
	ContentType string
	Data        []byte
}

// NewVerification is everything stored for one verification.
type NewVerification struct {
	Actor          Actor
	Where          Where
	Counter        string
	Direction      string // Entry or Exit
	Route          string // route or flight
	Recommendation string // CLEAR, REFER or ALERT
	// Reasons are reason codes (check names), no personal data: they are
	// kept in clear for the referral queue's filters.
	Reasons []string
	// Report is the report as JSON; stored encrypted.
	Report []byte
	// Traveller is nil when the MRZ could not be read.
	Traveller *Traveller
	Evidence  []EvidenceInput
}

// EvidenceRef is a verification's reference to one stored blob.
type EvidenceRef struct {
	Name        string    `json:"name"`
	BlobID      string    `json:"blob_id"`
	Kind        string    `json:"kind"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	PurgedAt    time.Time `json:"purged_at,omitzero"`
}

// Movement is the movement record of one verification.
type Movement struct {
	VerificationID  string
	At              time.Time
	Counter         string
	Direction       string
	Route           string
	TravellerHash   string
	DocumentHash    string
	Recommendation  string
	Decision        string // empty until decided
	DecisionActions []string
	DecidedAt       time.Time
	DecidedBy       string
}

// Verification is a stored verification.
type Verification struct {
	ID             string
	CreatedAt      time.Time
	Actor          Actor
	Counter        string
	Direction      string
	Route          string
	Recommendation string
	Reasons        []string
	RequestID      string
	Report         []byte // decrypted JSON
	Traveller      *Traveller
	Evidence       []EvidenceRef
	Movement       Movement
}

// CreateVerification stores a verification, its evidence (expiring per the
// retention setting), its movement record and an audit entry, all in one
// transaction: when it returns nil, all of it is on disk (synchronous=FULL),
// and the answer may be sent.
func (v *Vault) CreateVerification(ctx context.Context, nv NewVerification) (string, error) {
	if nv.Direction != Entry && nv.Direction != Exit {
		return "", fmt.Errorf("store: verification: direction %q is not entry or exit", nv.Direction)
	}
	if strings.TrimSpace(nv.Counter) == "" {
		return "", errors.New("store: verification: no counter")
	}
	switch nv.Recommendation {
	case "CLEAR", "REFER", "ALERT":
	default:
		return "", fmt.Errorf("store: verification: recommendation %q is not CLEAR, REFER or ALERT", nv.Recommendation)
	}
	if !json.Valid(nv.Report) {
		return "", errors.New("store: verification: the report is not JSON")
	}
	now := time.Now()
	var expires time.Time
	if r := v.Retention(); r > 0 {
		expires = now.Add(r)
	}
	// Seal everything before taking the write lock.
	report, err := v.seal(BlobInput{Kind: KindReport, ContentType: "application/json", Data: nv.Report})
	if err != nil {
		return "", err
	}
	evidence := make([]sealedBlob, len(nv.Evidence))
	names := map[string]bool{}
	for i, e := range nv.Evidence {
		if e.Name == "" || names[e.Name] {
			return "", fmt.Errorf("store: verification: evidence name %q empty or repeated", e.Name)
		}
		names[e.Name] = true
		if evidence[i], err = v.seal(BlobInput{Kind: e.Kind, ContentType: e.ContentType, Data: e.Data, Expires: expires}); err != nil {
			return "", err
		}
	}
	var traveller *sealedBlob
	var docHash, travHash any
	if nv.Traveller != nil {
		b, _ := json.Marshal(nv.Traveller)
		tb, err := v.seal(BlobInput{Kind: KindTraveller, ContentType: "application/json", Data: b})
		if err != nil {
			return "", err
		}
		traveller = &tb
		if h := v.DocumentHash(*nv.Traveller); h != "" {
			docHash = h
		}
		if h := v.TravellerHash(*nv.Traveller); h != "" {
			travHash = h
		}
	}
	reasons, _ := json.Marshal(nonNil(nv.Reasons))
	id := newID("v_")
	at := fmtTime(now)
	err = v.db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := insertBlob(ctx, tx, report); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO verifications(id, created_at, actor_kind, actor_id, actor_name,
			counter, direction, route, recommendation, reasons, report_blob, request_id, document_hash, traveller_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, at, nv.Actor.Kind, nv.Actor.ID, nv.Actor.Name, nv.Counter, nv.Direction, nv.Route,
			nv.Recommendation, string(reasons), report.id, nv.Where.RequestID, docHash, travHash); err != nil {
			return fmt.Errorf("store: insert verification: %w", err)
		}
		for i, b := range evidence {
			if err := insertBlob(ctx, tx, b); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO verification_evidence(verification_id, name, blob_id) VALUES (?, ?, ?)`,
				id, nv.Evidence[i].Name, b.id); err != nil {
				return fmt.Errorf("store: insert evidence %s: %w", nv.Evidence[i].Name, err)
			}
		}
		var details any
		if traveller != nil {
			if err := insertBlob(ctx, tx, *traveller); err != nil {
				return err
			}
			details = traveller.id
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO movements(verification_id, at, counter, direction, route,
			traveller_hash, document_hash, details_blob, recommendation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, at, nv.Counter, nv.Direction, nv.Route, travHash, docHash, details, nv.Recommendation); err != nil {
			return fmt.Errorf("store: insert movement: %w", err)
		}
		d := map[string]string{"recommendation": nv.Recommendation, "counter": nv.Counter,
			"direction": nv.Direction, "evidence": fmt.Sprint(len(evidence))}
		if docHash != nil {
			d["document_hash"] = docHash.(string)
		}
		_, err := appendAudit(ctx, tx, AuditEntry{Actor: nv.Actor, Action: "verification.create", ObjectType: "verification",
			ObjectID: id, RequestID: nv.Where.RequestID, Remote: nv.Where.Remote, Details: d}, v.sealHead)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// GetVerification returns a verification with its report and traveller
// decrypted and the state of its evidence.
func (v *Vault) GetVerification(ctx context.Context, id string) (*Verification, error) {
	var vr Verification
	var created, reasons, reportBlob string
	var docHash, travHash, detailsBlob, decision, actions, decidedAt, decidedBy sql.NullString
	err := v.db.QueryRowContext(ctx, `SELECT v.id, v.created_at, v.actor_kind, v.actor_id, v.actor_name, v.counter,
		v.direction, v.route, v.recommendation, v.reasons, v.report_blob, v.request_id, v.document_hash, v.traveller_hash,
		m.details_blob, m.decision, m.decision_actions, m.decided_at, m.decided_by
		FROM verifications v JOIN movements m ON m.verification_id = v.id WHERE v.id = ?`, id).Scan(
		&vr.ID, &created, &vr.Actor.Kind, &vr.Actor.ID, &vr.Actor.Name, &vr.Counter, &vr.Direction, &vr.Route,
		&vr.Recommendation, &reasons, &reportBlob, &vr.RequestID, &docHash, &travHash,
		&detailsBlob, &decision, &actions, &decidedAt, &decidedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrVerificationNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read verification %s: %w", id, err)
	}
	vr.CreatedAt = parseTime(created)
	if err := json.Unmarshal([]byte(reasons), &vr.Reasons); err != nil {
		return nil, fmt.Errorf("store: verification %s: reasons: %w", id, err)
	}
	if _, vr.Report, err = v.GetBlob(ctx, reportBlob); err != nil {
		return nil, fmt.Errorf("store: verification %s: report: %w", id, err)
	}
	if detailsBlob.Valid {
		_, b, err := v.GetBlob(ctx, detailsBlob.String)
		if err != nil {
			return nil, fmt.Errorf("store: verification %s: traveller: %w", id, err)
		}
		vr.Traveller = new(Traveller)
		if err := json.Unmarshal(b, vr.Traveller); err != nil {
			return nil, fmt.Errorf("store: verification %s: traveller: %w", id, err)
		}
	}
	vr.Movement = Movement{VerificationID: id, At: vr.CreatedAt, Counter: vr.Counter, Direction: vr.Direction,
		Route: vr.Route, TravellerHash: travHash.String, DocumentHash: docHash.String, Recommendation: vr.Recommendation,
		Decision: decision.String, DecidedBy: decidedBy.String}
	if decidedAt.Valid {
		vr.Movement.DecidedAt = parseTime(decidedAt.String)
	}
	if actions.Valid {
		_ = json.Unmarshal([]byte(actions.String), &vr.Movement.DecisionActions)
	}
	rows, err := v.db.QueryContext(ctx, `SELECT e.name, b.id, b.kind, b.content_type, b.size, b.expires_at, b.purged_at
		FROM verification_evidence e JOIN blobs b ON b.id = e.blob_id WHERE e.verification_id = ? ORDER BY e.name`, id)
	if err != nil {
		return nil, fmt.Errorf("store: verification %s: evidence: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e EvidenceRef
		var expires, purged sql.NullString
		if err := rows.Scan(&e.Name, &e.BlobID, &e.Kind, &e.ContentType, &e.Size, &expires, &purged); err != nil {
			return nil, fmt.Errorf("store: verification %s: evidence: %w", id, err)
		}
		if expires.Valid {
			e.ExpiresAt = parseTime(expires.String)
		}
		if purged.Valid {
			e.PurgedAt = parseTime(purged.String)
		}
		vr.Evidence = append(vr.Evidence, e)
	}
	return &vr, rows.Err()
}

// EvidenceBlob returns the blob id of a verification's evidence by name.
func (v *Vault) EvidenceBlob(ctx context.Context, verificationID, name string) (string, error) {
	var blob string
	err := v.db.QueryRowContext(ctx, `SELECT blob_id FROM verification_evidence WHERE verification_id = ? AND name = ?`,
		verificationID, name).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: no evidence %q in %s", ErrBlobNotFound, name, verificationID)
	}
	if err != nil {
		return "", fmt.Errorf("store: evidence %s/%s: %w", verificationID, name, err)
	}
	return blob, nil
}

// Decision is an officer's final decision on a movement.
type Decision struct {
	Outcome string   // one of Decisions
	Actions []string // e.g. "document_seized", "handed_to_anti_trafficking"
	Comment string   // stored encrypted
	Actor   Actor
	Where   Where
}

// ErrAlreadyDecided is returned when a movement already has a final
// decision.
var ErrAlreadyDecided = errors.New("store: the movement already has a final decision")

// RecordDecision records the final decision on a verification's movement
// and audits it. A final decision is final: a second one is refused.
func (v *Vault) RecordDecision(ctx context.Context, verificationID string, d Decision) error {
	if !slices.Contains(Decisions, d.Outcome) {
		return fmt.Errorf("store: decision %q is not one of %s", d.Outcome, strings.Join(Decisions, ", "))
	}
	actions, _ := json.Marshal(nonNil(d.Actions))
	var comment *sealedBlob
	if d.Comment != "" {
		c, err := v.seal(BlobInput{Kind: KindComment, ContentType: "text/plain; charset=utf-8", Data: []byte(d.Comment)})
		if err != nil {
			return err
		}
		comment = &c
	}
	return v.db.writeTx(ctx, func(tx *sql.Tx) error {
		var current sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT decision FROM movements WHERE verification_id = ?`, verificationID).Scan(&current)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %s", ErrVerificationNotFound, verificationID)
		}
		if err != nil {
			return fmt.Errorf("store: decision on %s: %w", verificationID, err)
		}
		if current.Valid {
			return fmt.Errorf("%w (%s)", ErrAlreadyDecided, current.String)
		}
		var commentID any
		if comment != nil {
			if err := insertBlob(ctx, tx, *comment); err != nil {
				return err
			}
			commentID = comment.id
		}
		if _, err := tx.ExecContext(ctx, `UPDATE movements SET decision = ?, decision_actions = ?, decided_at = ?, decided_by = ?, comment_blob = ?
			WHERE verification_id = ?`, d.Outcome, string(actions), fmtTime(time.Now()), d.Actor.Name, commentID, verificationID); err != nil {
			return fmt.Errorf("store: decision on %s: %w", verificationID, err)
		}
		_, err = appendAudit(ctx, tx, AuditEntry{Actor: d.Actor, Action: "movement.decide", ObjectType: "verification",
			ObjectID: verificationID, RequestID: d.Where.RequestID, Remote: d.Where.Remote,
			Details: map[string]string{"decision": d.Outcome, "actions": string(actions)}}, v.sealHead)
		return err
	})
}

// MovementFilter selects movements; zero fields select all.
type MovementFilter struct {
	TravellerHash string
	DocumentHash  string
	Decision      string
	Since, Until  time.Time
	Limit         int // default 100
}

// Movements lists movement records, newest first.
func (v *Vault) Movements(ctx context.Context, f MovementFilter) ([]Movement, error) {
	q := `SELECT verification_id, at, counter, direction, route, traveller_hash, document_hash, recommendation,
		decision, decision_actions, decided_at, decided_by FROM movements WHERE 1=1`
	var args []any
	if f.TravellerHash != "" {
		q += ` AND traveller_hash = ?`
		args = append(args, f.TravellerHash)
	}
	if f.DocumentHash != "" {
		q += ` AND document_hash = ?`
		args = append(args, f.DocumentHash)
	}
	if f.Decision != "" {
		q += ` AND decision = ?`
		args = append(args, f.Decision)
	}
	if !f.Since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, fmtTime(f.Since))
	}
	if !f.Until.IsZero() {
		q += ` AND at < ?`
		args = append(args, fmtTime(f.Until))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY at DESC, id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := v.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: movements: %w", err)
	}
	defer rows.Close()
	var out []Movement
	for rows.Next() {
		var m Movement
		var at string
		var th, dh, decision, actions, decidedAt, decidedBy sql.NullString
		if err := rows.Scan(&m.VerificationID, &at, &m.Counter, &m.Direction, &m.Route, &th, &dh, &m.Recommendation,
			&decision, &actions, &decidedAt, &decidedBy); err != nil {
			return nil, fmt.Errorf("store: movements: %w", err)
		}
		m.At, m.TravellerHash, m.DocumentHash = parseTime(at), th.String, dh.String
		m.Decision, m.DecidedBy = decision.String, decidedBy.String
		if decidedAt.Valid {
			m.DecidedAt = parseTime(decidedAt.String)
		}
		if actions.Valid {
			_ = json.Unmarshal([]byte(actions.String), &m.DecisionActions)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// VerificationIDs returns the ids of every verification, oldest first (for
// consistency checks and exports).
func (v *Vault) VerificationIDs(ctx context.Context) ([]string, error) {
	rows, err := v.db.QueryContext(ctx, `SELECT id FROM verifications ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: verification ids: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
