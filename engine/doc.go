// Package engine is the verification pipeline: document authentication
// checks, watchlist checks, the policy and the report.
package engine
