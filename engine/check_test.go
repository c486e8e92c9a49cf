package engine

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRecommendationOrder(t *testing.T) {
	if !(Clear.Severity() < Refer.Severity() && Refer.Severity() < Alert.Severity()) {
		t.Fatal("severities out of order")
	}
	if _, err := ParseRecommendation("MAYBE"); err == nil {
		t.Fatal("ParseRecommendation accepted MAYBE")
	}
	if r, err := ParseRecommendation("REFER"); err != nil || r != Refer {
		t.Fatalf("ParseRecommendation(REFER) = %v, %v", r, err)
	}
}

func TestCheckJSONCarriesValueKey(t *testing.T) {
	for _, c := range []Check{
		{Name: "uv.paper.dullness", Status: NotPerformed, Reason: "no UV image"},
		{Name: "ir.mrz.absorption", Status: Pass, Value: Measured(0.82), Threshold: ">= 0.5"},
	} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{`"name"`, `"status"`, `"value"`, `"threshold"`, `"reason"`} {
			if !strings.Contains(string(b), key) {
				t.Errorf("%s lacks %s", b, key)
			}
		}
	}
	if Status("MAYBE").Valid() || !Aborted.Valid() {
		t.Fatal("Status.Valid wrong")
	}
}
