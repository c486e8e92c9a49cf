package engine

import (
	"strings"
	"testing"
)

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	cases := []struct {
		name   string
		checks []Check
		want   Recommendation
	}{
		{"all pass", []Check{{Name: "mrz.check_digits", Status: Pass}, {Name: "uv.paper.dullness", Status: Pass}}, Clear},
		{"not performed is not a failure", []Check{{Name: "uv.paper.dullness", Status: NotPerformed}}, Clear},
		{"document check fails", []Check{{Name: "uv.paper.dullness", Status: Fail, Reason: "paper glows"}}, Refer},
		{"person hit refers", []Check{{Name: "watchlist.person", Status: Fail}}, Refer},
		{"fingerprint hit alerts", []Check{{Name: "uv.paper.dullness", Status: Fail}, {Name: "watchlist.fingerprint", Status: Fail, Reason: "subject S1"}}, Alert},
		{"aborted watchlist refers", []Check{{Name: "watchlist.fingerprint", Status: Aborted}}, Refer},
	}
	for _, c := range cases {
		d := p.Decide(c.checks)
		if d.Recommendation != c.want {
			t.Errorf("%s: %s, want %s (%+v)", c.name, d.Recommendation, c.want, d.Reasons)
		}
		if c.want != Clear && len(d.Reasons) == 0 {
			t.Errorf("%s: no reasons given", c.name)
		}
		if len(d.Reasons) > 1 && d.Reasons[0].Recommendation.Severity() < d.Reasons[len(d.Reasons)-1].Recommendation.Severity() {
			t.Errorf("%s: reasons not most severe first", c.name)
		}
	}
	d := p.Decide([]Check{{Name: "watchlist.fingerprint", Status: Fail, Reason: "subject S1, score 80"}})
	if !strings.Contains(d.Reasons[0].Text, "subject S1, score 80") {
		t.Errorf("reason template not filled: %q", d.Reasons[0].Text)
	}
}

func TestSilentChecksDoNotDecide(t *testing.T) {
	p, err := ParsePolicy(strings.NewReader(`{"version":"t","rules":[{"check":"*","status":["FAIL"],"then":"REFER","reason":"x"}],"silent":["portrait.*"]}`))
	if err != nil {
		t.Fatal(err)
	}
	checks := []Check{{Name: "portrait.substitution", Status: Fail}}
	if d := p.Decide(checks); d.Recommendation != Clear || !checks[0].Silent {
		t.Fatalf("silent check decided: %+v, silent=%v", d, checks[0].Silent)
	}
}

func TestParsePolicyRejectsMistakes(t *testing.T) {
	for _, bad := range []string{
		``,
		`{"rules":[]}`,
		`{"version":"1","rules":[{"check":"*","status":["FAILED"],"then":"REFER","reason":"x"}]}`,
		`{"version":"1","rules":[{"check":"*","status":["FAIL"],"then":"REFUSE","reason":"x"}]}`,
		`{"version":"1","rules":[{"check":"[","status":["FAIL"],"then":"REFER","reason":"x"}]}`,
		`{"version":"1","rules":[{"check":"*","status":["FAIL"],"then":"REFER"}]}`,
		`{"version":"1","rules":[],"typo":1}`,
	} {
		if _, err := ParsePolicy(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(string(defaultPolicyJSON))
	f.Add(`{"version":"1","rules":[{"check":"[","status":["FAIL"],"then":"REFER","reason":"x"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePolicy(strings.NewReader(s))
		if err != nil {
			return
		}
		p.Decide([]Check{{Name: "a.b", Status: Fail}, {Name: "watchlist.person", Status: Aborted}})
	})
}

func TestOneReasonPerCheck(t *testing.T) {
	p := &Policy{Rules: []Rule{
		{Check: "*", Status: []Status{Fail}, Then: Refer, Reason: "general: {check}"},
		{Check: "mrz.plausibility", Status: []Status{Fail}, Then: Alert, Reason: "specific: {reason}"},
		{Check: "mrz.*", Status: []Status{Fail}, Then: Alert, Reason: "later equal"},
	}}
	d := p.Decide([]Check{{Name: "mrz.plausibility", Status: Fail, Reason: "bad check digit"}})
	if d.Recommendation != Alert || len(d.Reasons) != 1 || d.Reasons[0].Text != "specific: bad check digit" {
		t.Fatalf("%+v", d)
	}
}
