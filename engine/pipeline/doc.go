// Package pipeline runs one verification from end to end: it reads the
// machine readable zone (package mrz/ocr), checks the document against its
// profile (engine/docauth), searches the fingerprints 1:N
// (biometric/watchlist) and the document number and the person against
// the lost/stolen and person lists (engine/watchlist), and lets the policy
// (engine.Policy) turn the checks into a recommendation with its reasons.
//
// The stages run as early as their inputs allow:
//
//	mrz ─┬─ document (docauth)      ─┐
//	     ├─ watchlist.documents      ├─ policy ─ report
//	     └─ watchlist.persons        │
//	fingerprints (extract + 1:N) ────┘
//
// The image stages (MRZ reading, document checks, finger extraction) take
// a slot of a pool sized to the cores, so that many counters at once queue
// instead of thrashing. Each stage has its own time limit: a stage that
// fails or runs out of time reports its checks ABORTED, and the report
// still holds every other stage's results.
//
// The package defines the interfaces it needs from its parts (MRZReader,
// DocumentChecker, FingerprintGallery, and engine/watchlist's DocumentList
// and PersonList); the command line and the server wire the real ones.
package pipeline
