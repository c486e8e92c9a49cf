package engine

import (
	"fmt"

	"checkpost/devices"
)

// Status is the outcome of one check, with the result states of ICAO Doc
// 9303 Part 2 Appendix C.
type Status string

// The check statuses.
const (
	// Pass: the check ran and the document behaved as the reference says.
	Pass Status = "PASS"
	// Fail: the check ran and found a deviation beyond its threshold.
	Fail Status = "FAIL"
	// Undetermined: the check ran but the input could not support a
	// verdict (poor image quality, glare on the region, ...); never a
	// disguised FAIL.
	Undetermined Status = "UNDETERMINED"
	// NotPerformed: the check did not run (no profile, no UV image, ...).
	NotPerformed Status = "NOT_PERFORMED"
	// Aborted: the check started and failed or ran out of time.
	Aborted Status = "ABORTED"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	switch s {
	case Pass, Fail, Undetermined, NotPerformed, Aborted:
		return true
	}
	return false
}

// Recommendation is what the counter is told to do.
type Recommendation string

// The recommendations, from the least to the most severe.
const (
	Clear Recommendation = "CLEAR" // let the traveller through
	Refer Recommendation = "REFER" // send to secondary inspection
	Alert Recommendation = "ALERT" // hold the traveller and the document
)

// Severity orders recommendations: Clear < Refer < Alert.
func (r Recommendation) Severity() int {
	switch r {
	case Clear:
		return 0
	case Refer:
		return 1
	case Alert:
		return 2
	}
	return -1
}

// ParseRecommendation checks that s names a recommendation.
func ParseRecommendation(s string) (Recommendation, error) {
	r := Recommendation(s)
	if r.Severity() < 0 {
		return "", fmt.Errorf("engine: unknown recommendation %q (want CLEAR, REFER or ALERT)", s)
	}
	return r, nil
}

// Light is a light source of a document scanner (the capture's own type).
type Light = devices.Light

// Region is an axis-aligned rectangle in the pixel coordinates of the image
// taken under one light (as submitted, before any rectification).
type Region struct {
	Light Light `json:"light"`
	X     int   `json:"x"`
	Y     int   `json:"y"`
	W     int   `json:"w"`
	H     int   `json:"h"`
}

// Check is the result of one check of the pipeline. Names follow ICAO's
// light + feature + property pattern, e.g. "ir.mrz.absorption",
// "uv.paper.dullness", "mrz.check_digits", "watchlist.fingerprint".
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Value is the measurement the verdict rests on (nil when none was made).
	Value *float64 `json:"value"`
	// Threshold says what Value was compared with, in words a reviewer
	// reads: "<= 0.25", "in [112, 168]".
	Threshold string `json:"threshold"`
	// Reason explains the status in one sentence.
	Reason string `json:"reason"`
	// Regions are where on the images the check looked (outlined on the
	// review page when the check fails).
	Regions []Region `json:"regions,omitempty"`
	// Evidence names evidence images of the report that show this check.
	Evidence []string `json:"evidence,omitempty"`
	// Silent checks are recorded but never change the recommendation: a
	// new check runs silent until it has proven itself.
	Silent bool `json:"silent,omitempty"`
}

// Measured returns a pointer to v, for Check.Value.
func Measured(v float64) *float64 { return &v }
