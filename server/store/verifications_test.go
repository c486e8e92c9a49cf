package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleVerification() NewVerification {
	return NewVerification{
		Actor:          Actor{Kind: "token", ID: "7", Name: "counter 3"},
		Where:          Where{RequestID: "req-1", Remote: "10.0.0.9:4000"},
		Counter:        "C3",
		Direction:      Exit,
		Route:          "UA123",
		Recommendation: "REFER",
		Reasons:        []string{"watchlist.person"},
		Report:         []byte(`{"mrz":{"surname":"ERIKSSON","document_number":"L898902C3"},"recommendation":"REFER"}`),
		Traveller: &Traveller{DocumentType: "P", IssuingState: "UTO", DocumentNumber: "L898902C3",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "UTO", BirthDate: "740812", Sex: "F"},
		Evidence: []EvidenceInput{
			{Name: "white", Kind: KindDocumentImage, ContentType: "image/png", Data: []byte("white image")},
			{Name: "finger.2", Kind: KindFingerImage, ContentType: "image/png", Data: []byte("finger image")},
		},
	}
}

func TestVerificationStoredWithMovementAndAudit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	v, keys := openVault(t, path)
	v.SetRetention(30 * 24 * time.Hour)
	nv := sampleVerification()
	id, err := v.CreateVerification(ctx, nv)
	if err != nil {
		t.Fatal(err)
	}
	// Reopen from the file: everything must be there.
	v.DB().Close()
	v = openVaultWith(t, path, keys)
	got, err := v.GetVerification(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Counter != "C3" || got.Direction != Exit || got.Route != "UA123" || got.Recommendation != "REFER" ||
		!bytes.Equal(got.Report, nv.Report) || got.Traveller == nil || got.Traveller.Surname != "ERIKSSON" ||
		len(got.Reasons) != 1 || got.Actor.Name != "counter 3" || got.RequestID != "req-1" {
		t.Fatalf("stored verification differs: %+v", got)
	}
	if len(got.Evidence) != 2 || got.Evidence[0].Name != "finger.2" || got.Evidence[1].ExpiresAt.Sub(time.Now()) < 29*24*time.Hour {
		t.Fatalf("evidence: %+v", got.Evidence)
	}
	if got.Movement.DocumentHash == "" || got.Movement.TravellerHash == "" || got.Movement.Decision != "" {
		t.Fatalf("movement: %+v", got.Movement)
	}
	blob, err := v.EvidenceBlob(ctx, id, "white")
	if err != nil {
		t.Fatal(err)
	}
	if _, data, err := v.GetBlob(ctx, blob); err != nil || string(data) != "white image" {
		t.Fatalf("evidence blob: %q %v", data, err)
	}
	// No personal data in clear anywhere in the file's tables.
	for _, q := range []string{
		`SELECT group_concat(counter || route || reasons || IFNULL(document_hash,'') || IFNULL(traveller_hash,''), '') FROM verifications`,
		`SELECT group_concat(IFNULL(traveller_hash,'') || IFNULL(document_hash,''), '') FROM movements`,
		`SELECT group_concat(actor_name || object_id || details, '') FROM audit_log`,
		`SELECT group_concat(hex(data), '') FROM blobs`,
	} {
		var s string
		if err := v.DB().QueryRow(q).Scan(&s); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"ERIKSSON", "L898902C3", "740812", strings.ToUpper(hexOf("ERIKSSON"))} {
			if strings.Contains(s, secret) {
				t.Fatalf("%q found in clear by %s", secret, q)
			}
		}
	}
	// The document's movements are found by its keyed hash.
	ms, err := v.Movements(ctx, MovementFilter{DocumentHash: v.DocumentHash(*nv.Traveller)})
	if err != nil || len(ms) != 1 || ms[0].VerificationID != id {
		t.Fatalf("Movements by document: %+v, %v", ms, err)
	}
	rep, err := v.DB().VerifyAudit(ctx, nil, nil)
	if err != nil || !rep.Intact() || rep.Entries != 1 {
		t.Fatalf("audit: %+v %v", rep, err)
	}
	entries, _ := v.DB().AuditEntries(ctx, 1, 1)
	if entries[0].ObjectID != id || entries[0].Details["document_hash"] != got.Movement.DocumentHash || entries[0].Remote != "10.0.0.9:4000" {
		t.Fatalf("audit entry: %+v", entries[0])
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&15])
	}
	return b.String()
}

func TestDecisionsOffloadedAndDeported(t *testing.T) {
	ctx := context.Background()
	v, _ := openVault(t, filepath.Join(t.TempDir(), "v.db"))
	a, _ := v.CreateVerification(ctx, sampleVerification())
	b, _ := v.CreateVerification(ctx, sampleVerification())
	sup := Actor{Kind: "token", ID: "9", Name: "supervisor 1"}
	if err := v.RecordDecision(ctx, a, Decision{Outcome: "waved", Actor: sup}); err == nil {
		t.Fatal("unknown decision accepted")
	}
	if err := v.RecordDecision(ctx, a, Decision{Outcome: DecisionOffloaded, Actions: []string{"handed_to_anti_trafficking"},
		Comment: "travelling with a minor not hers", Actor: sup}); err != nil {
		t.Fatal(err)
	}
	if err := v.RecordDecision(ctx, a, Decision{Outcome: DecisionAllowed, Actor: sup}); !errors.Is(err, ErrAlreadyDecided) {
		t.Fatalf("second decision: %v", err)
	}
	if err := v.RecordDecision(ctx, b, Decision{Outcome: DecisionDeported, Actor: sup}); err != nil {
		t.Fatal(err)
	}
	if err := v.RecordDecision(ctx, "v_missing", Decision{Outcome: DecisionDeported, Actor: sup}); !errors.Is(err, ErrVerificationNotFound) {
		t.Fatalf("decision on a missing verification: %v", err)
	}
	for outcome, want := range map[string]string{DecisionOffloaded: a, DecisionDeported: b} {
		ms, err := v.Movements(ctx, MovementFilter{Decision: outcome})
		if err != nil || len(ms) != 1 || ms[0].VerificationID != want || ms[0].DecidedBy != "supervisor 1" {
			t.Fatalf("%s movements: %+v, %v", outcome, ms, err)
		}
	}
	got, _ := v.GetVerification(ctx, a)
	if got.Movement.Decision != DecisionOffloaded || len(got.Movement.DecisionActions) != 1 || got.Movement.DecidedAt.IsZero() {
		t.Fatalf("decided movement: %+v", got.Movement)
	}
	var clear int
	v.DB().QueryRow(`SELECT COUNT(*) FROM blobs WHERE CAST(data AS TEXT) LIKE '%minor%'`).Scan(&clear)
	if clear != 0 {
		t.Fatal("decision comment stored in clear")
	}
	rep, _ := v.DB().VerifyAudit(ctx, nil, nil)
	if !rep.Intact() || rep.Entries != 4 {
		t.Fatalf("audit after decisions: %+v", rep)
	}
}

func TestVerificationRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	v, _ := openVault(t, filepath.Join(t.TempDir(), "v.db"))
	for name, edit := range map[string]func(*NewVerification){
		"direction":      func(n *NewVerification) { n.Direction = "sideways" },
		"counter":        func(n *NewVerification) { n.Counter = " " },
		"recommendation": func(n *NewVerification) { n.Recommendation = "MAYBE" },
		"report":         func(n *NewVerification) { n.Report = []byte("{") },
		"evidence name":  func(n *NewVerification) { n.Evidence[1].Name = n.Evidence[0].Name },
	} {
		nv := sampleVerification()
		edit(&nv)
		if _, err := v.CreateVerification(ctx, nv); err == nil {
			t.Errorf("%s: bad verification accepted", name)
		}
	}
	var n int
	v.DB().QueryRow(`SELECT COUNT(*) FROM verifications`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d rejected verifications stored", n)
	}
}
