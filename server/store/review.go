package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"checkpost/biometric"
	"checkpost/biometric/native"
)

// Review states of a referred case, derived from its review row and its
// movement: open (nobody has it), assigned (a supervisor has it),
// escalated (handed to a chief), decided (the movement has its final
// decision).
const (
	StatusOpen      = "open"
	StatusAssigned  = "assigned"
	StatusEscalated = "escalated"
	StatusDecided   = "decided"
)

// ReviewStatuses lists the review states.
var ReviewStatuses = []string{StatusOpen, StatusAssigned, StatusEscalated, StatusDecided}

// ErrNotChief is returned when a case is escalated to an account that is
// not a chief's live account.
var ErrNotChief = errors.New("store: escalations go to a chief's live account")

// ErrNotReviewable is returned for review actions on a CLEAR verification
// (only REFER and ALERT cases are reviewed) or on a decided one.
var ErrNotReviewable = errors.New("store: the case is not open for review")

// Review is the review state of a case.
type Review struct {
	Status      string
	AssignedTo  *Account
	AssignedAt  time.Time
	EscalatedTo *Account
	EscalatedBy *Account
	EscalatedAt time.Time
	// EscalationNote is the escalating supervisor's note (stored encrypted).
	EscalationNote string
	// DecisionComment is the comment of the final decision (stored
	// encrypted with the movement).
	DecisionComment string
}

func (v *Vault) reviewable(ctx context.Context, tx *sql.Tx, id string) error {
	var rec string
	var decision sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT v.recommendation, m.decision FROM verifications v
		JOIN movements m ON m.verification_id = v.id WHERE v.id = ?`, id).Scan(&rec, &decision)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", ErrVerificationNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("store: review %s: %w", id, err)
	}
	if rec == "CLEAR" {
		return fmt.Errorf("%w: %s is a CLEAR verification", ErrNotReviewable, id)
	}
	if decision.Valid {
		return fmt.Errorf("%w: %s is decided (%s)", ErrNotReviewable, id, decision.String)
	}
	return nil
}

// Assign gives a referred case to a supervisor or chief (to, by id), or
// takes it back to the open queue (to 0), and audits it. An escalated case
// given to anyone but a chief is no longer escalated: the chief has handed
// it back (the escalation stays in the audit log and its note is kept).
func (v *Vault) Assign(ctx context.Context, id string, to int64, by Actor, where Where) error {
	var toAcc Account
	if to != 0 {
		a, err := v.db.AccountByID(ctx, to)
		if err != nil {
			return err
		}
		if a.Disabled {
			return fmt.Errorf("store: assign: account %q is disabled", a.Name)
		}
		toAcc = a
	}
	return v.db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := v.reviewable(ctx, tx, id); err != nil {
			return err
		}
		var assignee, at any
		if to != 0 {
			assignee, at = to, fmtTime(time.Now())
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO review_cases(verification_id, assigned_to, assigned_at) VALUES (?, ?, ?)
			ON CONFLICT(verification_id) DO UPDATE SET assigned_to = excluded.assigned_to, assigned_at = excluded.assigned_at`,
			id, assignee, at); err != nil {
			return fmt.Errorf("store: assign %s: %w", id, err)
		}
		d := map[string]string{"to": ""}
		if toAcc.Role != RoleChief {
			res, err := tx.ExecContext(ctx, `UPDATE review_cases SET escalated_to = NULL, escalated_at = NULL
				WHERE verification_id = ? AND escalated_at IS NOT NULL`, id)
			if err != nil {
				return fmt.Errorf("store: assign %s: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				d["escalation"] = "ended"
			}
		}
		if to != 0 {
			d["to"] = toAcc.Name
			d["to_id"] = strconv.FormatInt(to, 10)
		}
		_, err := appendAudit(ctx, tx, AuditEntry{Actor: by, Action: "review.assign", ObjectType: "verification", ObjectID: id,
			RequestID: where.RequestID, Remote: where.Remote, Details: d}, v.sealHead)
		return err
	})
}

// Escalate hands a referred case to a chief, with a note (stored
// encrypted), assigns it to them, and audits it.
func (v *Vault) Escalate(ctx context.Context, id string, to int64, note string, by Account, where Where) error {
	chief, err := v.db.AccountByID(ctx, to)
	if err != nil {
		return err
	}
	if chief.Role != RoleChief || chief.Disabled {
		return fmt.Errorf("%w: %q", ErrNotChief, chief.Name)
	}
	if strings.TrimSpace(note) == "" {
		return errors.New("store: escalate: a note is required")
	}
	sealed, err := v.seal(BlobInput{Kind: KindComment, ContentType: "text/plain; charset=utf-8", Data: []byte(note)})
	if err != nil {
		return err
	}
	return v.db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := v.reviewable(ctx, tx, id); err != nil {
			return err
		}
		if err := insertBlob(ctx, tx, sealed); err != nil {
			return err
		}
		now := fmtTime(time.Now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO review_cases(verification_id, assigned_to, assigned_at, escalated_to, escalated_by,
			escalated_at, escalation_note_blob) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(verification_id) DO UPDATE SET assigned_to = excluded.assigned_to, assigned_at = excluded.assigned_at,
			escalated_to = excluded.escalated_to, escalated_by = excluded.escalated_by, escalated_at = excluded.escalated_at,
			escalation_note_blob = excluded.escalation_note_blob`,
			id, to, now, to, by.ID, now, sealed.id); err != nil {
			return fmt.Errorf("store: escalate %s: %w", id, err)
		}
		_, err := appendAudit(ctx, tx, AuditEntry{Actor: by.Actor(), Action: "review.escalate", ObjectType: "verification", ObjectID: id,
			RequestID: where.RequestID, Remote: where.Remote,
			Details: map[string]string{"to": chief.Name, "to_id": strconv.FormatInt(to, 10)}}, v.sealHead)
		return err
	})
}

// ReviewOf returns the review state of a case.
func (v *Vault) ReviewOf(ctx context.Context, id string) (Review, error) {
	var r Review
	var assigned, escalatedTo, escalatedBy sql.NullInt64
	var assignedAt, escalatedAt, note, decision, comment sql.NullString
	err := v.db.QueryRowContext(ctx, `SELECT r.assigned_to, r.assigned_at, r.escalated_to, r.escalated_by, r.escalated_at,
		r.escalation_note_blob, m.decision, m.comment_blob
		FROM movements m LEFT JOIN review_cases r ON r.verification_id = m.verification_id WHERE m.verification_id = ?`, id).Scan(
		&assigned, &assignedAt, &escalatedTo, &escalatedBy, &escalatedAt, &note, &decision, &comment)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: %s", ErrVerificationNotFound, id)
	}
	if err != nil {
		return r, fmt.Errorf("store: review of %s: %w", id, err)
	}
	account := func(n sql.NullInt64) (*Account, error) {
		if !n.Valid {
			return nil, nil
		}
		a, err := v.db.AccountByID(ctx, n.Int64)
		return &a, err
	}
	if r.AssignedTo, err = account(assigned); err != nil {
		return r, err
	}
	if r.EscalatedTo, err = account(escalatedTo); err != nil {
		return r, err
	}
	if r.EscalatedBy, err = account(escalatedBy); err != nil {
		return r, err
	}
	if assignedAt.Valid {
		r.AssignedAt = parseTime(assignedAt.String)
	}
	if escalatedAt.Valid {
		r.EscalatedAt = parseTime(escalatedAt.String)
	}
	text := func(blob sql.NullString) (string, error) {
		if !blob.Valid {
			return "", nil
		}
		_, b, err := v.GetBlob(ctx, blob.String)
		return string(b), err
	}
	if r.EscalationNote, err = text(note); err != nil {
		return r, fmt.Errorf("store: review of %s: escalation note: %w", id, err)
	}
	if r.DecisionComment, err = text(comment); err != nil {
		return r, fmt.Errorf("store: review of %s: decision comment: %w", id, err)
	}
	r.Status = reviewStatus(decision.Valid, escalatedAt.Valid, assigned.Valid)
	return r, nil
}

func reviewStatus(decided, escalated, assigned bool) string {
	switch {
	case decided:
		return StatusDecided
	case escalated:
		return StatusEscalated
	case assigned:
		return StatusAssigned
	}
	return StatusOpen
}

// QueueFilter selects cases of the referral queue; zero fields select all.
type QueueFilter struct {
	Counter string
	// Status is one of ReviewStatuses; "" selects every undecided case.
	Status string
	// Reason selects cases with a reason code equal to it or under it
	// ("watchlist" selects "watchlist.fingerprint" too).
	Reason string
	// Recommendation is REFER or ALERT.
	Recommendation string
	// Since and Before bound the submission time (the case's age).
	Since, Before time.Time
	// AssignedTo selects the cases of one account.
	AssignedTo int64
	// SubmittedBy selects the cases an actor submitted (a counter's own);
	// with it, CLEAR verifications are listed too.
	SubmittedBy *Actor
	// Limit bounds the list (default 200); Newest lists newest first
	// instead of oldest first.
	Limit  int
	Newest bool
}

// QueueItem is one case of the queue: nothing personal, only what the
// queue shows and filters on.
type QueueItem struct {
	ID              string
	CreatedAt       time.Time
	Counter         string
	Direction       string
	Route           string
	Recommendation  string
	Reasons         []string
	SubmittedBy     string
	Status          string
	AssignedTo      string
	EscalatedTo     string
	Decision        string
	DecisionActions []string
	DecidedBy       string
}

// Queue lists referred (REFER and ALERT) cases, oldest first.
func (v *Vault) Queue(ctx context.Context, f QueueFilter) ([]QueueItem, error) {
	q := `SELECT v.id, v.created_at, v.counter, v.direction, v.route, v.recommendation, v.reasons, v.actor_name,
		r.assigned_to IS NOT NULL, r.escalated_at IS NOT NULL, COALESCE(aa.name, ''), COALESCE(ea.name, ''),
		m.decision, m.decision_actions, COALESCE(m.decided_by, '')
		FROM movements m %s JOIN verifications v ON v.id = m.verification_id
		LEFT JOIN review_cases r ON r.verification_id = v.id
		LEFT JOIN accounts aa ON aa.id = r.assigned_to
		LEFT JOIN accounts ea ON ea.id = r.escalated_to
		WHERE 1=1`
	var args []any
	if f.SubmittedBy != nil {
		q += ` AND v.actor_kind = ? AND v.actor_id = ?`
		args = append(args, f.SubmittedBy.Kind, f.SubmittedBy.ID)
	} else {
		// The movement's copy of the recommendation: with decision IS NULL
		// it selects the partial index movements_undecided_referred.
		q += ` AND m.recommendation IN ('REFER', 'ALERT')`
	}
	if f.Recommendation != "" {
		q += ` AND v.recommendation = ?`
		args = append(args, f.Recommendation)
	}
	if f.Counter != "" {
		q += ` AND v.counter = ?`
		args = append(args, f.Counter)
	}
	switch f.Status {
	case "":
		if f.SubmittedBy == nil {
			q += ` AND m.decision IS NULL`
		}
	case StatusDecided:
		q += ` AND m.decision IS NOT NULL`
	case StatusEscalated:
		q += ` AND m.decision IS NULL AND r.escalated_at IS NOT NULL`
	case StatusAssigned:
		q += ` AND m.decision IS NULL AND r.escalated_at IS NULL AND r.assigned_to IS NOT NULL`
	case StatusOpen:
		q += ` AND m.decision IS NULL AND r.assigned_to IS NULL AND r.escalated_at IS NULL`
	default:
		return nil, fmt.Errorf("store: queue: unknown status %q (want one of %s)", f.Status, strings.Join(ReviewStatuses, ", "))
	}
	if f.Reason != "" {
		q += ` AND EXISTS (SELECT 1 FROM json_each(v.reasons) j WHERE j.value = ? OR j.value LIKE ? ESCAPE '\')`
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Reason)
		args = append(args, f.Reason, esc+".%")
	}
	if !f.Since.IsZero() {
		q += ` AND v.created_at >= ?`
		args = append(args, fmtTime(f.Since))
	}
	if !f.Before.IsZero() {
		q += ` AND v.created_at < ?`
		args = append(args, fmtTime(f.Before))
	}
	if f.AssignedTo != 0 {
		q += ` AND r.assigned_to = ?`
		args = append(args, f.AssignedTo)
	}
	// Undecided referred cases come from their partial index (the planner
	// would otherwise take movements_by_decision, which holds every
	// undecided CLEAR movement too).
	index := ""
	if f.SubmittedBy == nil && f.Status != StatusDecided {
		index = "INDEXED BY movements_undecided_referred"
	}
	q = fmt.Sprintf(q, index)
	if f.Newest {
		q += ` ORDER BY m.at DESC, m.verification_id DESC`
	} else {
		q += ` ORDER BY m.at, m.verification_id`
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	q += ` LIMIT ?`
	args = append(args, f.Limit)
	rows, err := v.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	defer rows.Close()
	var out []QueueItem
	for rows.Next() {
		var it QueueItem
		var created, reasons string
		var assigned, escalated bool
		var decision, actions sql.NullString
		if err := rows.Scan(&it.ID, &created, &it.Counter, &it.Direction, &it.Route, &it.Recommendation, &reasons,
			&it.SubmittedBy, &assigned, &escalated, &it.AssignedTo, &it.EscalatedTo, &decision, &actions, &it.DecidedBy); err != nil {
			return nil, fmt.Errorf("store: queue: %w", err)
		}
		it.CreatedAt = parseTime(created)
		it.Reasons = parseReasons(reasons)
		it.Decision = decision.String
		if actions.Valid {
			it.DecisionActions = parseReasons(actions.String)
		}
		it.Status = reviewStatus(decision.Valid, escalated, assigned)
		out = append(out, it)
	}
	return out, rows.Err()
}

// parseReasons reads a stored JSON array of codes; the store wrote it, so
// a bad one reads as no codes rather than failing the whole queue.
func parseReasons(s string) []string {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil
	}
	return out
}

// QueueVersion changes whenever a case is submitted, assigned, escalated
// or decided: the queue page polls it to update itself.
func (db *DB) QueueVersion(ctx context.Context) (string, error) {
	// One indexed MAX per action (audit_log_by_action): never a scan of
	// the log.
	var seq sql.NullInt64
	q := `SELECT MAX(COALESCE((SELECT MAX(seq) FROM audit_log WHERE action = 'verification.create'), 0),
		COALESCE((SELECT MAX(seq) FROM audit_log WHERE action = 'review.assign'), 0),
		COALESCE((SELECT MAX(seq) FROM audit_log WHERE action = 'review.escalate'), 0),
		COALESCE((SELECT MAX(seq) FROM audit_log WHERE action = 'movement.decide'), 0))`
	if err := db.QueryRowContext(ctx, q).Scan(&seq); err != nil {
		return "", fmt.Errorf("store: queue version: %w", err)
	}
	return strconv.FormatInt(seq.Int64, 10), nil
}

// Counters lists the counters that have submitted verifications.
func (db *DB) Counters(ctx context.Context) ([]string, error) {
	return db.strings(ctx, `SELECT DISTINCT counter FROM verifications ORDER BY counter`)
}

// ReasonCodes lists the reason codes of referred cases, and their first
// part ("watchlist" of "watchlist.person"), for the queue's filter.
func (db *DB) ReasonCodes(ctx context.Context) ([]string, error) {
	return db.strings(ctx, `SELECT DISTINCT value FROM (
		SELECT j.value AS value FROM verifications v, json_each(v.reasons) j WHERE v.recommendation <> 'CLEAR'
		UNION SELECT substr(j.value, 1, instr(j.value, '.') - 1) FROM verifications v, json_each(v.reasons) j
		WHERE v.recommendation <> 'CLEAR' AND instr(j.value, '.') > 1) ORDER BY value`)
}

func (db *DB) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// AuditOf returns the audit entries about one object, oldest first: a
// case's timeline.
func (db *DB) AuditOf(ctx context.Context, objectType, objectID string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := db.QueryContext(ctx, `SELECT seq FROM audit_log WHERE object_type = ? AND object_id = ? ORDER BY seq LIMIT ?`,
		objectType, objectID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit of %s %s: %w", objectType, objectID, err)
	}
	var seqs []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, err
		}
		seqs = append(seqs, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]AuditEntry, 0, len(seqs))
	for _, s := range seqs {
		e, err := db.AuditEntries(ctx, s, 1)
		if err != nil {
			return nil, err
		}
		out = append(out, e...)
	}
	return out, nil
}

// ListedPerson is a person's record on the person watchlist, as the review
// page shows it next to a hit.
type ListedPerson struct {
	ID          int64
	List        string
	Ref         string
	Names       []string // main name first, then aliases, "PRIMARY, SECONDARY"
	BirthDate   string
	Nationality string
	Reason      string
	ListedAt    string
	Removed     bool
}

// ListedPersonByID returns a person of the watchlist by row id; ByRef by
// the listing authority's reference (which is also the subject id of the
// person's enrolled fingerprints).
func (db *DB) ListedPersonByID(ctx context.Context, id int64) (*ListedPerson, error) {
	return db.listedPerson(ctx, `p.id = ?`, id)
}

// ListedPersonByRef: see ListedPersonByID. The live entry is preferred.
func (db *DB) ListedPersonByRef(ctx context.Context, ref string) (*ListedPerson, error) {
	return db.listedPerson(ctx, `p.ref = ?`, ref)
}

func (db *DB) listedPerson(ctx context.Context, where string, arg any) (*ListedPerson, error) {
	var p ListedPerson
	var removed sql.NullString
	err := db.QueryRowContext(ctx, `SELECT p.id, p.list, COALESCE(p.ref, ''), p.birth_date, p.nationality, p.reason, p.listed_at, p.removed_at
		FROM watchlist_persons p WHERE `+where+` ORDER BY p.removed_at IS NOT NULL, p.id DESC LIMIT 1`, arg).Scan(
		&p.ID, &p.List, &p.Ref, &p.BirthDate, &p.Nationality, &p.Reason, &p.ListedAt, &removed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: listed person: %w", err)
	}
	p.Removed = removed.Valid
	names, err := db.strings(ctx, `SELECT primary_name || CASE WHEN secondary_name <> '' THEN ', ' || secondary_name ELSE '' END
		FROM watchlist_person_names WHERE person = ? ORDER BY seq`, p.ID)
	if err != nil {
		return nil, err
	}
	p.Names = names
	return &p, nil
}

// EnrolledFingers returns the live enrolled templates of a fingerprint
// subject (to show a candidate next to the probe), nil when none.
func (v *Vault) EnrolledFingers(ctx context.Context, subject string) ([]biometric.Template, error) {
	blobs, err := v.db.strings(ctx, `SELECT blob_id FROM fingerprint_templates WHERE subject = ? AND removed_at IS NULL ORDER BY position, id`, subject)
	if err != nil {
		return nil, err
	}
	var out []biometric.Template
	for _, id := range blobs {
		_, b, err := v.GetBlob(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("store: enrolled finger of %s: %w", subject, err)
		}
		t, err := enrolledSource(b)
		if err != nil {
			return nil, fmt.Errorf("store: enrolled finger of %s: %w", subject, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// enrolledSource decodes the native template of a stored enrolled finger
// (layout: see encodeEnrolled).
func enrolledSource(b []byte) (biometric.Template, error) {
	if len(b) < 6 || string(b[:4]) != enrolledMagic || b[4] != enrolledVersion {
		return biometric.Template{}, fmt.Errorf("%w: unknown header", errEnrolled)
	}
	n := int(b[5])
	b = b[6:]
	if len(b) < n+4 {
		return biometric.Template{}, fmt.Errorf("%w: truncated", errEnrolled)
	}
	b = b[n:]
	ls := int(binary.BigEndian.Uint32(b))
	b = b[4:]
	if ls > len(b) {
		return biometric.Template{}, fmt.Errorf("%w: truncated source template", errEnrolled)
	}
	t, err := native.Decode(b[:ls])
	if err != nil {
		return biometric.Template{}, fmt.Errorf("%w: %w", errEnrolled, err)
	}
	return t, nil
}
