package pipeline

import (
	"checkpost/biometric"
	"checkpost/biometric/match"
	fpwatch "checkpost/biometric/watchlist"
)

// CandidateFinger is one probe finger's best score against a candidate
// and, for the first PairedCandidates candidates, the minutiae that
// comparison paired.
type CandidateFinger struct {
	fpwatch.FingerScore
	Pairs []MinutiaPair `json:"pairs,omitempty"`
}

// MinutiaPair is a probe minutia and the candidate's minutia it was
// paired with, each in its template's image frame at 500 ppi (origin
// top-left, y down; the probe's is the submitted image resized to 500
// ppi), angle in radians counter-clockwise.
type MinutiaPair struct {
	Probe     PairedMinutia `json:"probe"`
	Candidate PairedMinutia `json:"candidate"`
}

// PairedMinutia is one minutia of a MinutiaPair.
type PairedMinutia struct {
	X     int     `json:"x"`
	Y     int     `json:"y"`
	Angle float64 `json:"angle"`
}

// PairedCandidates is how many of the best candidates get their matched
// minutiae (what a reviewer is shown; the search itself never pairs).
const PairedCandidates = 5

// EnrolledTemplates is what a FingerprintGallery offers when it can give
// a subject's templates back (*biometric/watchlist.Gallery does): the
// report then carries the matched minutiae of the best candidates.
type EnrolledTemplates interface {
	Templates(subject string) ([]fpwatch.Finger, error)
}

// candidateFingers copies a candidate's finger scores into the report,
// with the matched minutiae when the gallery gives the subject's
// templates: for each finger, the subject's template of that position
// that the probe scores best against.
func candidateFingers(g FingerprintGallery, subject string, scores []fpwatch.FingerScore, probes []fpwatch.Probe, pair bool) []CandidateFinger {
	if len(scores) == 0 {
		return nil
	}
	out := make([]CandidateFinger, len(scores))
	var enrolled []fpwatch.Finger
	if et, ok := g.(EnrolledTemplates); ok && pair {
		enrolled, _ = et.Templates(subject)
	}
	var m match.Matcher
	for i, fs := range scores {
		out[i].FingerScore = fs
		if len(enrolled) == 0 || fs.Probe < 0 || fs.Probe >= len(probes) || probes[fs.Probe].Template == nil {
			continue
		}
		probe := probes[fs.Probe].Template
		best := -1.0
		for _, e := range enrolled {
			if fs.Position != biometric.PositionUnknown && e.Position != biometric.PositionUnknown && e.Position != fs.Position {
				continue
			}
			score, pairs := m.Pairs(probe, e.Template)
			if score <= best {
				continue
			}
			best = score
			out[i].Pairs = make([]MinutiaPair, len(pairs))
			for k, p := range pairs {
				a, b := probe.Minutia(p.A), e.Template.Minutia(p.B)
				out[i].Pairs[k] = MinutiaPair{Probe: PairedMinutia{a.X, a.Y, a.Angle}, Candidate: PairedMinutia{b.X, b.Y, b.Angle}}
			}
		}
	}
	return out
}
