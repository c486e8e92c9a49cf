package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"checkpost/server/store"
)

func caseURL(id, flash string) string {
	u := "/ui/cases/" + id
	if flash != "" {
		u += "?flash=" + urlEscape(flash)
	}
	return u
}

func urlEscape(s string) string { return url.QueryEscape(s) }

// handleAssign takes a case ("to" = "me"), gives it to another reviewer
// (an account id), or returns it to the open queue ("to" = "").
func (u *UI) handleAssign(w http.ResponseWriter, r *http.Request) {
	v, ok := u.loadCase(w, r)
	if !ok {
		return
	}
	s, _ := SessionFrom(r.Context())
	rv, err := u.vault.ReviewOf(r.Context(), v.ID)
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, "The case's review state could not be read.")
		return
	}
	if rv.Status == store.StatusEscalated && s.Role != store.RoleChief {
		u.fail(w, r, http.StatusForbidden, "The case was escalated to a chief; only a chief may reassign it.")
		return
	}
	var to int64
	var flash string
	switch target := r.PostFormValue("to"); target {
	case "me":
		to, flash = s.AccountID, "You have the case."
	case "":
		flash = "The case is back in the open queue."
	default:
		n, err := strconv.ParseInt(target, 10, 64)
		if err != nil || n <= 0 {
			u.fail(w, r, http.StatusBadRequest, "Unknown assignee "+strconv.Quote(target)+".")
			return
		}
		to, flash = n, "Assigned."
	}
	err = u.vault.Assign(r.Context(), v.ID, to, s.Actor(), where(r))
	if u.reviewError(w, r, err) {
		return
	}
	back := r.PostFormValue("back")
	if back == "queue" {
		http.Redirect(w, r, "/ui/queue?flash="+urlEscape(flash+" ("+v.ID+")"), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, caseURL(v.ID, flash), http.StatusSeeOther)
}

// reviewError answers for a failed review action; false when err is nil.
func (u *UI) reviewError(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotReviewable), errors.Is(err, store.ErrAlreadyDecided):
		u.fail(w, r, http.StatusConflict, "The case is no longer open for review (it may have been decided meanwhile). Reload it.")
	case errors.Is(err, store.ErrAccountNotFound):
		u.fail(w, r, http.StatusBadRequest, "There is no such account.")
	default:
		u.log.Error("review action", "err", err)
		u.fail(w, r, http.StatusInternalServerError, "The action was not recorded; it has been logged. Try again.")
	}
	return true
}

// handleEscalate hands a case to a chief with a mandatory note.
func (u *UI) handleEscalate(w http.ResponseWriter, r *http.Request) {
	v, ok := u.loadCase(w, r)
	if !ok {
		return
	}
	s, _ := SessionFrom(r.Context())
	note := strings.TrimSpace(r.PostFormValue("note"))
	if note == "" || len(note) > MaxComment {
		u.fail(w, r, http.StatusBadRequest, "An escalation needs a note (at most 4000 characters) saying what the chief should look at.")
		return
	}
	to, err := strconv.ParseInt(r.PostFormValue("chief"), 10, 64)
	if err != nil {
		u.fail(w, r, http.StatusBadRequest, "Choose the chief to escalate to.")
		return
	}
	me, err := u.db.AccountByID(r.Context(), s.AccountID)
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, "Your account could not be read.")
		return
	}
	if err := u.vault.Escalate(r.Context(), v.ID, to, note, me, where(r)); err != nil {
		if errors.Is(err, store.ErrNotChief) {
			u.fail(w, r, http.StatusBadRequest, "Escalate to a chief's account.")
			return
		}
		u.reviewError(w, r, err)
		return
	}
	http.Redirect(w, r, "/ui/queue?flash="+urlEscape("Case "+v.ID+" escalated."), http.StatusSeeOther)
}

// handleDecision records the final decision: the outcome, the actions
// taken, and a mandatory comment, in the movement record and the audit log
// (one transaction, store.Vault.RecordDecision).
func (u *UI) handleDecision(w http.ResponseWriter, r *http.Request) {
	v, ok := u.loadCase(w, r)
	if !ok {
		return
	}
	s, _ := SessionFrom(r.Context())
	if v.Recommendation == "CLEAR" {
		u.fail(w, r, http.StatusConflict, "A CLEAR verification is decided at the counter.")
		return
	}
	rv, err := u.vault.ReviewOf(r.Context(), v.ID)
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, "The case's review state could not be read.")
		return
	}
	if ok, why := mayDecide(s, rv); !ok {
		u.fail(w, r, http.StatusForbidden, why)
		return
	}
	if err := r.ParseForm(); err != nil {
		u.fail(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	outcome := r.PostForm.Get("outcome")
	allowed := false
	for _, o := range outcomeLabels {
		if o.Value == outcome && (o.Value != store.DecisionOffloaded || v.Direction == store.Exit) {
			allowed = true
		}
	}
	if !allowed {
		u.fail(w, r, http.StatusBadRequest, "Choose an outcome: allow, refuse, or (on exit) off-load.")
		return
	}
	var actions []string
	for _, a := range r.PostForm["action"] {
		known := slices.ContainsFunc(actionLabels, func(l struct{ Value, Label string }) bool { return l.Value == a })
		if !known {
			u.fail(w, r, http.StatusBadRequest, "Unknown action "+strconv.Quote(a)+".")
			return
		}
		if !slices.Contains(actions, a) {
			actions = append(actions, a)
		}
	}
	comment := strings.TrimSpace(r.PostForm.Get("comment"))
	if comment == "" {
		u.fail(w, r, http.StatusBadRequest, "A decision needs a comment: say what you saw and why you decided so.")
		return
	}
	if len(comment) > MaxComment {
		u.fail(w, r, http.StatusBadRequest, "The comment is longer than 4000 characters.")
		return
	}
	err = u.vault.RecordDecision(r.Context(), v.ID, store.Decision{Outcome: outcome, Actions: actions, Comment: comment,
		Actor: s.Actor(), Where: where(r)})
	if u.reviewError(w, r, err) {
		return
	}
	http.Redirect(w, r, "/ui/queue?flash="+urlEscape("Case "+v.ID+" decided: "+outcome+"."), http.StatusSeeOther)
}
