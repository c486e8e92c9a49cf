package pipeline

import (
	"image"
	"slices"
	"strings"
	"time"

	"checkpost/engine"
	"checkpost/mrz"
	"checkpost/mrz/ocr"
)

// Report is the outcome of one verification, as the counter receives it
// (JSON) and as it is stored.
type Report struct {
	// Recommendation is CLEAR, REFER or ALERT; Reasons say why, most
	// severe first (empty for a plain CLEAR).
	Recommendation engine.Recommendation `json:"recommendation"`
	Reasons        []engine.Reason       `json:"reasons"`
	// Checks holds every check in a fixed order: mrz.read, the document
	// checks (docauth.CheckNames), watchlist.fingerprint,
	// watchlist.document, watchlist.person.
	Checks []engine.Check `json:"checks"`
	// MRZ is the zone as read (found false with the reason when not).
	MRZ *MRZReport `json:"mrz"`
	// Document says which profile the document was checked against.
	Document *DocumentReport `json:"document"`
	// VIZ are the printed fields as read (OCR) for viz.mrz.consistency,
	// empty when they were not read.
	VIZ []VIZReading `json:"viz"`
	// Watchlist holds the hits and candidates.
	Watchlist WatchlistReport `json:"watchlist"`
	// Stages are the stages with their outcome and time.
	Stages []Stage `json:"stages"`
	// Versions are the policy, profiles and lists used.
	Versions Versions `json:"versions"`
	// Model is Document.Model at the top level (empty when no profile
	// fitted) and MS is ElapsedMS: the names the counter's tools read.
	Model     string  `json:"model"`
	MS        float64 `json:"ms"`
	ElapsedMS float64 `json:"elapsed_ms"`
	// Evidence are the images the checks name (not in the JSON: the
	// server stores them beside the report).
	Evidence []Evidence `json:"-"`

	mrzResult *mrz.Result
}

// MRZResult returns the MRZ as parsed, nil when it was not read.
func (r *Report) MRZResult() *mrz.Result { return r.mrzResult }

// Check returns the check called name, or nil.
func (r *Report) Check(name string) *engine.Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

// ReasonCodes are the names of the checks behind the recommendation, each
// once, most severe first.
func (r *Report) ReasonCodes() []string {
	out := []string{}
	for _, rs := range r.Reasons {
		if !slices.Contains(out, rs.Check) {
			out = append(out, rs.Check)
		}
	}
	return out
}

// Stage statuses.
const (
	StageDone    = "done"
	StageFailed  = "failed"
	StageTimeout = "timeout"
	StageSkipped = "skipped"
)

// Stage is one stage of a verification.
type Stage struct {
	// Name is mrz, document, viz (printed fields, within document),
	// fingerprints.extract, fingerprints.search,
	// watchlist.documents or watchlist.persons.
	Name string `json:"name"`
	// Status is done, failed, timeout or skipped (nothing to do).
	Status   string        `json:"status"`
	MS       float64       `json:"ms"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"-"`
}

var stageOrder = []string{"mrz", "document", "viz", "fingerprints.extract", "fingerprints.search", "watchlist.documents", "watchlist.persons"}

func sortStages(s []Stage) {
	slices.SortStableFunc(s, func(a, b Stage) int {
		return slices.Index(stageOrder, a.Name) - slices.Index(stageOrder, b.Name)
	})
}

// Versions identify what a verification was judged with.
type Versions struct {
	Policy string `json:"policy"`
	// Profiles are the document profiles loaded; Document.Model and
	// Document.Revision name the one used.
	Profiles   []ProfileVersion `json:"profiles"`
	Watchlists []ListVersion    `json:"watchlists"`
}

// MRZReport is the MRZ as read: the reader's result (lines, validity,
// corrections, outline, light and side, timings) and the parse field by
// field.
type MRZReport struct {
	*ocr.Result
	Parsed *mrz.Result `json:"parsed,omitempty"`
}

// DocumentReport says how the document was identified.
type DocumentReport struct {
	// Model is the profile's id, empty when none fitted; Revision its
	// revision.
	Model      string `json:"model"`
	Revision   int    `json:"revision,omitempty"`
	Identified string `json:"identified"`

	viz []VIZReading
}

// readings are the printed fields the document stage read, never nil.
func (d *DocumentReport) readings() []VIZReading {
	if d == nil || d.viz == nil {
		return []VIZReading{}
	}
	return d.viz
}

// WatchlistReport holds what the watchlists returned.
type WatchlistReport struct {
	Fingerprints FingerprintReport `json:"fingerprints"`
	Documents    []DocumentHit     `json:"documents"`
	Persons      []PersonHit       `json:"persons"`
}

// FingerprintReport is the 1:N search.
type FingerprintReport struct {
	// Fingers are the submitted fingers as read.
	Fingers []FingerReport `json:"fingers"`
	// Templates is the gallery's size when searched; Mode the search mode.
	Templates int    `json:"templates"`
	Mode      string `json:"mode,omitempty"`
	// HitRule says when a candidate is a hit.
	HitRule string `json:"hit_rule,omitempty"`
	// Candidates are the best subjects, best first; Hit marks those that
	// meet the hit rule.
	Candidates []FingerprintCandidate `json:"candidates"`
}

// FingerReport is one submitted finger.
type FingerReport struct {
	Position string `json:"position"`
	// Source is "image" or the template format.
	Source   string `json:"source"`
	Minutiae int    `json:"minutiae"`
	// Quality is the extractor's score (images only, 0..100).
	Quality int    `json:"quality,omitempty"`
	Error   string `json:"error,omitempty"`
}

// FingerprintCandidate is one subject of the gallery ranked by the search.
type FingerprintCandidate struct {
	Subject string  `json:"subject"`
	Score   float64 `json:"score"`
	// FMR is the false-match rate the score corresponds to;
	// ExpectedFalse the number of unrelated templates of the gallery
	// expected to score as high by chance (FMR x templates).
	FMR           float64           `json:"fmr"`
	ExpectedFalse float64           `json:"expected_false_matches"`
	Hit           bool              `json:"hit"`
	Fingers       []CandidateFinger `json:"fingers,omitempty"`
}

// DocumentHit is a listed lost or stolen document.
type DocumentHit struct {
	Issuer    string `json:"issuer"`
	Number    string `json:"number"`
	Read      string `json:"read"`
	Exact     bool   `json:"exact"`
	Reason    string `json:"reason"`
	Authority string `json:"authority"`
	Reported  string `json:"reported,omitempty"`
	Text      string `json:"text"`
}

// PersonHit is a listed person the traveller resembles.
type PersonHit struct {
	ID        int64   `json:"id"`
	Ref       string  `json:"ref,omitempty"`
	List      string  `json:"list"`
	Name      string  `json:"name"`
	Score     float64 `json:"score"`
	NameScore float64 `json:"name_score"`
	// Reason explains the match; Listed says why the person is listed.
	Reason string `json:"reason"`
	Listed string `json:"listed"`
}

// Evidence is an image a check points to.
type Evidence struct {
	// Name is unique in the report and safe in a URL path segment
	// (letters, digits, '.', '-', '_').
	Name  string
	Check string
	Image image.Image
}

// evidenceName makes a docauth evidence name ("uv.paper.dullness/front/
// uv/paper") fit for a URL path segment.
func evidenceName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '.'
	}, s)
}
