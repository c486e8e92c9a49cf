package engine

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
)

// Policy turns the checks of a verification into a recommendation. It is
// a list of rules read from a JSON file; the most severe recommendation of
// the matching rules wins, and every matching rule adds its reason. A
// check named in Silent is recorded but never decides: new checks run
// silent until they have proven themselves on real traffic.
//
// The policy never refuses anyone: the worst outcome is ALERT, which holds
// the traveller for a human decision. A watchlist hit in particular always
// ends with a person, never with the machine.
type Policy struct {
	// Version identifies the policy in reports.
	Version string `json:"version"`
	// Rules are tried in order; all matching rules count.
	Rules []Rule `json:"rules"`
	// Silent lists check name patterns (path.Match syntax, e.g. "uv.*")
	// that are recorded but do not decide.
	Silent []string `json:"silent,omitempty"`
}

// Rule maps checks to a recommendation.
type Rule struct {
	// Check is a pattern over check names (path.Match syntax: "ir.*",
	// "watchlist.fingerprint").
	Check string `json:"check"`
	// Status lists the statuses that trigger the rule.
	Status []Status `json:"status"`
	// Then is the recommendation when the rule matches.
	Then Recommendation `json:"then"`
	// Reason is a template of the reason shown to the officer; "{check}"
	// and "{reason}" are replaced by the check's name and its own reason.
	Reason string `json:"reason"`
}

//go:embed policy.default.json
var defaultPolicyJSON []byte

// DefaultPolicy returns the policy checkpost ships with.
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(bytes.NewReader(defaultPolicyJSON))
	if err != nil {
		panic("engine: the embedded default policy is invalid: " + err.Error())
	}
	return p
}

// LoadPolicy reads a policy file.
func LoadPolicy(file string) (*Policy, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("engine: policy: %w", err)
	}
	defer f.Close()
	p, err := ParsePolicy(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

// ParsePolicy reads a policy as JSON and checks every rule.
func ParsePolicy(r io.Reader) (*Policy, error) {
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("engine: policy: %w", err)
	}
	if p.Version == "" {
		return nil, errors.New("engine: policy: no version")
	}
	for i, r := range p.Rules {
		where := fmt.Sprintf("engine: policy: rule %d", i+1)
		if _, err := path.Match(r.Check, ""); err != nil || r.Check == "" {
			return nil, fmt.Errorf("%s: bad check pattern %q", where, r.Check)
		}
		if len(r.Status) == 0 {
			return nil, fmt.Errorf("%s: no status", where)
		}
		for _, s := range r.Status {
			if !s.Valid() {
				return nil, fmt.Errorf("%s: unknown status %q", where, s)
			}
		}
		if r.Then.Severity() < 0 {
			return nil, fmt.Errorf("%s: unknown recommendation %q", where, r.Then)
		}
		if r.Reason == "" {
			return nil, fmt.Errorf("%s: no reason", where)
		}
	}
	for _, s := range p.Silent {
		if _, err := path.Match(s, ""); err != nil {
			return nil, fmt.Errorf("engine: policy: bad silent pattern %q", s)
		}
	}
	return &p, nil
}

// Decision is the policy's verdict.
type Decision struct {
	Recommendation Recommendation `json:"recommendation"`
	// Reasons lists why, most severe first; empty for a plain CLEAR.
	Reasons []Reason `json:"reasons"`
}

// Reason is one rule that matched one check.
type Reason struct {
	Check          string         `json:"check"`
	Recommendation Recommendation `json:"recommendation"`
	Text           string         `json:"text"`
}

// IsSilent reports whether the policy keeps the named check silent.
func (p *Policy) IsSilent(name string) bool {
	for _, s := range p.Silent {
		if ok, _ := path.Match(s, name); ok {
			return true
		}
	}
	return false
}

// Decide marks the silent checks and returns the recommendation with its
// reasons. Checks are modified in place (their Silent flag).
func (p *Policy) Decide(checks []Check) Decision {
	d := Decision{Recommendation: Clear}
	for i := range checks {
		c := &checks[i]
		if p.IsSilent(c.Name) {
			c.Silent = true
		}
		if c.Silent {
			continue
		}
		// A check gives one reason: that of the most severe rule it
		// matches (the first of equals), so that a general rule and a
		// specific one do not list the same finding twice.
		var best *Rule
		for j := range p.Rules {
			r := &p.Rules[j]
			if ok, _ := path.Match(r.Check, c.Name); !ok || !slices.Contains(r.Status, c.Status) {
				continue
			}
			if best == nil || r.Then.Severity() > best.Then.Severity() {
				best = r
			}
		}
		if best != nil {
			text := strings.NewReplacer("{check}", c.Name, "{reason}", c.Reason).Replace(best.Reason)
			d.Reasons = append(d.Reasons, Reason{Check: c.Name, Recommendation: best.Then, Text: text})
			if best.Then.Severity() > d.Recommendation.Severity() {
				d.Recommendation = best.Then
			}
		}
	}
	slices.SortStableFunc(d.Reasons, func(a, b Reason) int {
		return b.Recommendation.Severity() - a.Recommendation.Severity()
	})
	return d
}
