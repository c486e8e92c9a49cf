package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"checkpost/biometric"
)

// The report is read as loose JSON: the engine's report grows, and the
// review page must show what is there and say what is not, never fail on a
// field that is absent or shaped differently. These views hold what the
// case page shows.

type reportView struct {
	Recommendation string
	// Document is the profile the document was checked against; Elapsed
	// the verification's time.
	Document string
	Elapsed  string
	// Fingers are the submitted fingers as the search read them.
	Fingers      []kv
	Reasons      []string
	Checks       []checkView
	MRZ          *mrzView
	Compare      []compareRow
	Fingerprints []candidateView
	Documents    []hitView
	Persons      []hitView
	Stages       []stageView
	Versions     []kv
	// Unread lists top-level parts of the report the page does not know.
	Unread []string
}

type kv struct{ Key, Value string }

type regionView struct {
	Side, Light   string
	X, Y, W, H    float64
	Number        int // the failing check's number, shown on the overlay
	Check, Status string
}

type checkView struct {
	Number    int
	Name      string
	Status    string
	Value     string
	Threshold string
	Reason    string
	Silent    bool
	Regions   []regionView
	Evidence  []string
}

// Failing reports whether the check's regions are outlined on the images.
func (c checkView) Failing() bool {
	return c.Status == "FAIL" || c.Status == "ABORTED" || c.Status == "UNDETERMINED"
}

type mrzChar struct {
	C     string
	Error string // the message when this position is in error
	Fixed string // how the reader corrected this position
}

type mrzLine struct {
	Number int
	Chars  []mrzChar
}

type mrzError struct {
	Field, Code, Message, Where string
}

type mrzField struct {
	Name, Value, Raw string
	Valid            bool
	Message          string
}

type mrzView struct {
	Format string
	Valid  *bool
	// NotFound says why the zone was not read (nil reader result: "").
	NotFound    string
	Corrections []string
	Confidence  string
	Lines       []mrzLine
	Errors      []mrzError
	Warnings    []string
	Fields      []mrzField
}

type compareRow struct {
	Field, Printed, MRZ string
	Agree               *bool
	Note                string
}

type fingerView struct {
	Probe    int
	Position string
	// PositionName is the position as words ("right index").
	PositionName string
	Score        string
	Pairs        []pairView
}

type pairView struct{ PX, PY, CX, CY float64 }

type candidateView struct {
	Rank    int
	Subject string
	Score   string
	FMR     string
	// Hit is set when the candidate meets the search's hit rule;
	// Expected is how many unrelated templates of the gallery would score
	// as high by chance.
	Hit      bool
	Expected string
	Fingers  []fingerView
	Reason   string
	Record   *recordView
	// Probe is the probe finger's evidence (filled by the case page) and
	// ProbePairs the matched minutiae to ring on it.
	Probe        *evidenceView
	ProbePairs   []pairView
	ProbeDrawing template.HTML
}

type recordView struct {
	List, Ref, Reason, BirthDate, Nationality, ListedAt string
	Names                                               []string
	Removed                                             bool
}

type hitView struct {
	Title    string
	Score    string
	Reason   string
	Details  []kv
	PersonID int64
	Ref      string
	Record   *recordView
}

type stageView struct {
	Name, Status, Duration, Error string
}

func parseReport(raw []byte) (*reportView, error) {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("web: report: %w", err)
	}
	rv := &reportView{Recommendation: str(m["recommendation"])}
	known := map[string]bool{"recommendation": true, "reasons": true, "checks": true, "mrz": true, "watchlist": true,
		"printed": true, "viz": true, "printed_fields": true, "stages": true, "timing": true, "timings": true, "versions": true,
		"id": true, "evidence": true, "document": true, "elapsed_ms": true}
	if d := obj(m["document"]); d != nil {
		rv.Document = firstStr(d, "model", "profile")
		if rev := num(d["revision"]); rev != "" && rv.Document != "" {
			rv.Document += " revision " + rev
		}
		if how := str(d["identified"]); how != "" {
			if rv.Document == "" {
				rv.Document = "no profile"
			}
			rv.Document += " (" + how + ")"
		}
	}
	if e := num(m["elapsed_ms"]); e != "" {
		rv.Elapsed = e + " ms"
	}
	for _, r := range list(m["reasons"]) {
		if s := reasonText(r); s != "" {
			rv.Reasons = append(rv.Reasons, s)
		}
	}
	n := 0
	for _, c := range list(m["checks"]) {
		cm := obj(c)
		if cm == nil {
			continue
		}
		n++
		cv := checkView{Number: n, Name: str(cm["name"]), Status: strings.ToUpper(str(cm["status"])), Value: num(cm["value"]),
			Threshold: str(cm["threshold"]), Reason: str(cm["reason"]), Silent: truth(cm["silent"])}
		for _, e := range list(cm["evidence"]) {
			if s := str(e); s != "" {
				cv.Evidence = append(cv.Evidence, s)
			}
		}
		for _, rg := range list(cm["regions"]) {
			rm := obj(rg)
			if rm == nil {
				continue
			}
			w, h := float(rm["w"]), float(rm["h"])
			if w <= 0 || h <= 0 {
				continue
			}
			cv.Regions = append(cv.Regions, regionView{Side: str(rm["side"]), Light: str(rm["light"]),
				X: float(rm["x"]), Y: float(rm["y"]), W: w, H: h, Number: n, Check: cv.Name, Status: cv.Status})
		}
		rv.Checks = append(rv.Checks, cv)
	}
	if mm := obj(m["mrz"]); mm != nil {
		rv.MRZ = parseMRZ(mm)
	}
	for _, k := range []string{"printed", "viz", "printed_fields"} {
		if m[k] != nil {
			rv.Compare = comparePrinted(m[k], rv.MRZ)
			break
		}
	}
	if rv.Compare == nil {
		rv.Compare = compareFromCheck(rv.Checks, rv.MRZ)
	}
	if wl := obj(m["watchlist"]); wl != nil {
		parseWatchlist(wl, rv)
	}
	for _, k := range []string{"stages", "timing", "timings"} {
		switch st := m[k].(type) {
		case map[string]any:
			for _, name := range sortedKeys(st) {
				sv := stageView{Name: name}
				if o := obj(st[name]); o != nil {
					sv.Status, sv.Duration = str(o["status"]), durationText(o["duration_ms"], o["ms"], o["duration"])
				} else {
					sv.Duration = durationText(st[name])
				}
				rv.Stages = append(rv.Stages, sv)
			}
		case []any:
			for _, s := range st {
				o := obj(s)
				if o == nil {
					continue
				}
				rv.Stages = append(rv.Stages, stageView{Name: firstStr(o, "name", "stage"), Status: str(o["status"]),
					Duration: durationText(o["duration_ms"], o["ms"], o["duration"]), Error: str(o["error"])})
			}
		}
	}
	if vs := obj(m["versions"]); vs != nil {
		for _, k := range sortedKeys(vs) {
			if k == "watchlists" && list(vs[k]) != nil {
				// One line per list, in words.
				for _, w := range list(vs[k]) {
					wm := obj(w)
					if wm == nil {
						continue
					}
					what := num(wm["entries"]) + " entries"
					if v := scalar(wm["version"]); v != "" {
						what += ", version " + v
					}
					if at := str(wm["loaded_at"]); at != "" {
						if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
							at = t.UTC().Format("2006-01-02 15:04:05 UTC")
						}
						what += ", loaded " + at
					}
					rv.Versions = append(rv.Versions, kv{"Watchlist " + str(wm["list"]), what})
				}
				continue
			}
			rv.Versions = append(rv.Versions, kv{fieldLabel(k), describe(vs[k])})
		}
	}
	for _, k := range sortedKeys(m) {
		if !known[k] {
			rv.Unread = append(rv.Unread, k)
		}
	}
	return rv, nil
}

// parseMRZ reads the MRZ part: either the parse itself (format, valid,
// lines, fields, errors) or the reader's result around it (found, lines,
// corrections, confidences, with the parse under "parsed").
func parseMRZ(reader map[string]any) *mrzView {
	mm := reader
	if p := obj(reader["parsed"]); p != nil {
		mm = p
	}
	v := &mrzView{Format: firstStr(mm, "format")}
	if v.Format == "" {
		v.Format = str(reader["format"])
	}
	if b, ok := mm["valid"].(bool); ok {
		v.Valid = &b
	} else if b, ok := reader["valid"].(bool); ok {
		v.Valid = &b
	}
	if found, ok := reader["found"].(bool); ok && !found {
		v.NotFound = firstStr(reader, "reason")
		if v.NotFound == "" {
			v.NotFound = "not found"
		}
	}
	if c := num(reader["min_confidence"]); c != "" {
		v.Confidence = c
	}
	if list(mm["lines"]) == nil && list(reader["lines"]) != nil {
		mm = mergeLines(mm, reader)
	}
	lines := list(mm["lines"])
	if len(lines) == 0 {
		if s := str(mm["text"]); s != "" {
			for _, l := range strings.Split(s, "\n") {
				lines = append(lines, l)
			}
		}
	}
	for i, l := range lines {
		line := mrzLine{Number: i + 1}
		for _, r := range str(l) {
			line.Chars = append(line.Chars, mrzChar{C: string(r)})
		}
		v.Lines = append(v.Lines, line)
	}
	mark := func(span map[string]any, msg string) string {
		if span == nil {
			return ""
		}
		li, st, en := int(float(span["line"])), int(float(span["start"])), int(float(span["end"]))
		if en <= st {
			en = st + 1
		}
		if li >= 0 && li < len(v.Lines) {
			for c := max(st, 0); c < en && c < len(v.Lines[li].Chars); c++ {
				if v.Lines[li].Chars[c].Error == "" {
					v.Lines[li].Chars[c].Error = msg
				} else if !strings.Contains(v.Lines[li].Chars[c].Error, msg) {
					v.Lines[li].Chars[c].Error += "; " + msg
				}
			}
		}
		if en-st <= 1 {
			return fmt.Sprintf("line %d, position %d", li+1, st+1)
		}
		return fmt.Sprintf("line %d, positions %d-%d", li+1, st+1, en)
	}
	for _, e := range list(mm["errors"]) {
		em := obj(e)
		if em == nil {
			continue
		}
		msg := firstStr(em, "message", "code")
		v.Errors = append(v.Errors, mrzError{Field: str(em["field"]), Code: str(em["code"]), Message: msg,
			Where: mark(obj(em["span"]), fieldLabel(str(em["field"]))+": "+msg)})
	}
	fields := obj(mm["fields"])
	for _, name := range sortedFieldNames(fields) {
		fm := obj(fields[name])
		if fm == nil {
			v.Fields = append(v.Fields, mrzField{Name: name, Value: scalar(fields[name]), Valid: true})
			continue
		}
		valid := true
		if b, ok := fm["valid"].(bool); ok {
			valid = b
		}
		f := mrzField{Name: name, Value: firstStr(fm, "value", "raw"), Raw: str(fm["raw"]), Valid: valid, Message: str(fm["message"])}
		if d := str(fm["date"]); d != "" && d != "unknown" {
			f.Value = d
		}
		v.Fields = append(v.Fields, f)
		if !valid && len(list(mm["errors"])) == 0 {
			// Reports without an error list still mark the field.
			if sp := obj(fm["error_span"]); sp != nil {
				v.Errors = append(v.Errors, mrzError{Field: name, Code: str(fm["code"]), Message: f.Message,
					Where: mark(sp, fieldLabel(name)+": "+f.Message)})
			}
		}
	}
	for _, c := range list(reader["corrections"]) {
		cm := obj(c)
		if cm == nil {
			continue
		}
		li, col := int(float(anyOf(cm, "Line", "line"))), int(float(anyOf(cm, "Column", "column")))
		from, to := charOf(anyOf(cm, "From", "from")), charOf(anyOf(cm, "To", "to"))
		why := scalar(anyOf(cm, "Reason", "reason"))
		text := fmt.Sprintf("line %d, position %d: %s read as %s (%s)", li+1, col+1, to, from, strings.ReplaceAll(why, "_", " "))
		v.Corrections = append(v.Corrections, text)
		if li >= 0 && li < len(v.Lines) && col >= 0 && col < len(v.Lines[li].Chars) {
			v.Lines[li].Chars[col].Fixed = "corrected: " + text
		}
	}
	for _, w := range list(mm["warnings"]) {
		if wm := obj(w); wm != nil {
			v.Warnings = append(v.Warnings, firstStr(wm, "message", "code"))
		} else if s := str(w); s != "" {
			v.Warnings = append(v.Warnings, s)
		}
	}
	return v
}

// mrzFieldOrder puts the fields in the order a reader of the data page
// expects; unknown fields follow by name.
var mrzFieldOrder = []string{"document_code", "document_type", "issuing_state", "document_number", "surname", "given_names", "name",
	"nationality", "birth_date", "date_of_birth", "sex", "expiry_date", "date_of_expiry", "optional_data", "optional_data_1",
	"optional_data_2", "personal_number"}

func sortedFieldNames(m map[string]any) []string {
	keys := sortedKeys(m)
	rank := func(k string) int {
		for i, o := range mrzFieldOrder {
			if o == k {
				return i
			}
		}
		if strings.Contains(k, "check") {
			return len(mrzFieldOrder) + 1
		}
		return len(mrzFieldOrder)
	}
	sort.SliceStable(keys, func(i, j int) bool { return rank(keys[i]) < rank(keys[j]) })
	return keys
}

func fieldLabel(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return "MRZ"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// comparePrinted pairs the fields read from the printed page (the visual
// inspection zone) with the MRZ's.
func comparePrinted(in any, mrz *mrzView) []compareRow {
	fields := obj(in)
	if f := obj(fields["fields"]); f != nil {
		fields = f
	}
	// A list of readings, as the printed-field reader makes them:
	// [{"field", "text", "confidence"}].
	readings := list(in)
	if readings == nil && fields != nil {
		readings = list(fields["readings"])
	}
	if readings != nil {
		fields = map[string]any{}
		for _, r := range readings {
			rm := obj(r)
			name := str(rm["field"])
			if name == "" {
				continue
			}
			if a, ok := vizAliases[name]; ok {
				name = a
			}
			row := map[string]any{"printed": firstStr(rm, "text", "printed", "value")}
			if c := num(rm["confidence"]); c != "" {
				row["note"] = "read with confidence " + c
			}
			fields[name] = row
		}
	}
	mrzValues := map[string]string{}
	if mrz != nil {
		for _, f := range mrz.Fields {
			mrzValues[f.Name] = f.Value
		}
	}
	var rows []compareRow
	for _, name := range sortedFieldNames(fields) {
		row := compareRow{Field: fieldLabel(name)}
		if fm := obj(fields[name]); fm != nil {
			row.Printed = firstStr(fm, "printed", "value", "text")
			row.MRZ = firstStr(fm, "mrz")
			row.Note = firstStr(fm, "reason", "note", "message")
			if b, ok := fm["agree"].(bool); ok {
				row.Agree = &b
			} else if b, ok := fm["match"].(bool); ok {
				row.Agree = &b
			}
		} else {
			row.Printed = scalar(fields[name])
		}
		if row.MRZ == "" {
			row.MRZ = mrzValues[name]
		}
		if row.Agree == nil && row.Printed != "" && row.MRZ != "" {
			b := normField(row.Printed) == normField(row.MRZ)
			row.Agree = &b
		}
		rows = append(rows, row)
	}
	return rows
}

func normField(s string) string {
	return strings.ToUpper(strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '<' || r == ',' || r == '-' || r == '.' || r == '/'
	}), ""))
}

func parseWatchlist(wl map[string]any, rv *reportView) {
	section := func(keys ...string) []any {
		for _, k := range keys {
			switch x := wl[k].(type) {
			case []any:
				return x
			case map[string]any:
				for _, inner := range []string{"candidates", "hits", "matches"} {
					if l := list(x[inner]); l != nil {
						return l
					}
				}
			}
		}
		return nil
	}
	for i, c := range section("fingerprints", "fingerprint", "fingers") {
		cm := obj(c)
		if cm == nil {
			continue
		}
		cv := candidateView{Rank: i + 1, Subject: firstStr(cm, "subject", "id"), Score: num(cm["score"]), FMR: fmrText(cm["fmr"]),
			Reason: firstStr(cm, "reason", "listed_for"), Hit: truth(cm["hit"]), Expected: num(cm["expected_false_matches"])}
		for _, f := range list(cm["fingers"]) {
			fm := obj(f)
			if fm == nil {
				continue
			}
			fv := fingerView{Probe: int(float(fm["probe"])), Position: scalar(fm["position"]), Score: num(fm["score"])}
			fv.PositionName = strings.ReplaceAll(fv.Position, "-", " ")
			if n, err := strconv.Atoi(fv.Position); err == nil && n >= 0 && n <= 10 {
				fv.PositionName = strings.ReplaceAll(biometric.Position(n).String(), "-", " ")
			}
			for _, p := range list(fm["pairs"]) {
				pm := obj(p)
				pr, ca := obj(pm["probe"]), obj(pm["candidate"])
				if pr == nil || ca == nil {
					continue
				}
				fv.Pairs = append(fv.Pairs, pairView{float(pr["x"]), float(pr["y"]), float(ca["x"]), float(ca["y"])})
			}
			cv.Fingers = append(cv.Fingers, fv)
		}
		if rec := obj(cm["record"]); rec != nil {
			cv.Record = recordFrom(rec)
		}
		rv.Fingerprints = append(rv.Fingerprints, cv)
	}
	if fp := obj(wl["fingerprints"]); fp != nil {
		for _, f := range list(fp["fingers"]) {
			fm := obj(f)
			if fm == nil {
				continue
			}
			what := firstStr(fm, "source")
			if n := num(fm["minutiae"]); n != "" {
				what += ", " + n + " minutiae"
			}
			if q := num(fm["quality"]); q != "" {
				what += ", quality " + q
			}
			if e := str(fm["error"]); e != "" {
				what += ": " + e
			}
			rv.Fingers = append(rv.Fingers, kv{scalar(fm["position"]), strings.TrimPrefix(what, ", ")})
		}
	}
	for _, d := range section("documents", "document", "lost_stolen") {
		dm := obj(d)
		if dm == nil {
			continue
		}
		entry := obj(dm["entry"])
		if entry == nil {
			entry = dm
		}
		h := hitView{Title: "Document " + firstStr(entry, "number", "document_number"), Reason: firstStr(dm, "text", "description", "describe")}
		if h.Reason == "" {
			h.Reason = str(entry["reason"])
		}
		for _, k := range []string{"issuer", "reason", "authority", "reported", "read", "exact", "list"} {
			for _, src := range []map[string]any{dm, entry} {
				if v, ok := src[k]; ok && scalar(v) != "" {
					h.Details = append(h.Details, kv{fieldLabel(k), scalar(v)})
					break
				}
			}
		}
		rv.Documents = append(rv.Documents, h)
	}
	for _, p := range section("persons", "person", "people") {
		pm := obj(p)
		if pm == nil {
			continue
		}
		person, flat := obj(pm["person"]), false
		if person == nil {
			person, flat = pm, true
		}
		h := hitView{Score: num(pm["score"]), Reason: str(pm["reason"]), Ref: firstStr(person, "ref"), PersonID: int64(float(person["id"]))}
		names := personNames(person)
		if len(names) > 0 {
			h.Title = names[0]
		} else {
			h.Title = "Listed person"
		}
		rec := recordFrom(person)
		rec.Names = names
		if listed := firstStr(pm, "listed"); listed != "" || flat {
			// A flat hit: "reason" explains the match, "listed" the listing.
			rec.Reason = listed
		}
		h.Record = rec
		if s := num(pm["name_score"]); s != "" {
			h.Details = append(h.Details, kv{"Name score", s})
		}
		rv.Persons = append(rv.Persons, h)
	}
}

func recordFrom(m map[string]any) *recordView {
	return &recordView{List: str(m["list"]), Ref: str(m["ref"]), Reason: firstStr(m, "reason", "listed_for"),
		BirthDate: scalar(m["birth_date"]), Nationality: str(m["nationality"]), Names: personNames(m)}
}

func personNames(m map[string]any) []string {
	var out []string
	for _, n := range list(m["names"]) {
		if nm := obj(n); nm != nil {
			s := strings.TrimSpace(firstStr(nm, "primary", "surname"))
			if sec := firstStr(nm, "secondary", "given_names"); sec != "" {
				s += ", " + sec
			}
			if s != "" {
				out = append(out, s)
			}
		} else if s := str(n); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		s := firstStr(m, "surname", "name", "primary")
		if g := firstStr(m, "given_names", "secondary"); g != "" {
			s += ", " + g
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Loose JSON helpers: absent or differently shaped values read as zero.

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func list(v any) []any         { l, _ := v.([]any); return l }

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func truth(v any) bool { b, _ := v.(bool); return b }

func float(v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return 0
		}
		return f
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

func num(v any) string {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return strconv.FormatFloat(f, 'g', 4, 64)
	case string:
		return x
	}
	return ""
}

func fmrText(v any) string {
	f := float(v)
	if _, ok := v.(json.Number); !ok || f < 0 {
		return str(v)
	}
	if f == 0 {
		return "< 1e-12"
	}
	return strconv.FormatFloat(f, 'e', 1, 64)
}

func durationText(vs ...any) string {
	for _, v := range vs {
		switch x := v.(type) {
		case json.Number:
			return num(x) + " ms"
		case string:
			if x != "" {
				return x
			}
		}
	}
	return ""
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func firstStr(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := scalar(m[k]); s != "" {
			return s
		}
	}
	return ""
}

func reasonText(v any) string {
	if s := str(v); s != "" {
		return s
	}
	m := obj(v)
	if m == nil {
		return ""
	}
	code := firstStr(m, "code", "check", "name")
	text := firstStr(m, "reason", "text", "message")
	switch {
	case code != "" && text != "":
		return code + ": " + text
	case code != "":
		return code
	}
	return text
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mergeLines gives a parse without lines the reader's lines.
func mergeLines(parsed, reader map[string]any) map[string]any {
	out := make(map[string]any, len(parsed)+1)
	for k, v := range parsed {
		out[k] = v
	}
	out["lines"] = reader["lines"]
	return out
}

func anyOf(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return nil
}

// charOf reads a corrected character: a byte as a number (Go's default
// JSON of a byte field) or a one-letter string; 0 is "nothing".
func charOf(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	n := int(float(v))
	if n <= 0 || n > 126 {
		return "nothing"
	}
	return strconv.Quote(string(rune(n)))
}

// describe writes a loose value in words: objects as "key value, ...",
// lists joined by "; ".
func describe(v any) string {
	switch x := v.(type) {
	case map[string]any:
		var parts []string
		for _, k := range sortedKeys(x) {
			if s := describe(x[k]); s != "" {
				parts = append(parts, k+" "+s)
			}
		}
		return strings.Join(parts, ", ")
	case []any:
		var parts []string
		for _, e := range x {
			if s := describe(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "; ")
	}
	return scalar(v)
}

// vizAliases are the names the printed-field reader uses for MRZ fields.
var vizAliases = map[string]string{"code": "issuing_state", "type": "document_code", "number": "document_number"}

// vizDiffRe finds the differences the viz.mrz.consistency check lists in
// its reason: `surname printed "X", MRZ "Y"`.
var vizDiffRe = regexp.MustCompile(`([a-z_]+) printed "((?:[^"\\]|\\.)*)", MRZ "((?:[^"\\]|\\.)*)"`)

// compareFromCheck builds the printed-vs-MRZ table from the consistency
// check's reason, for reports that carry no readings of the printed page.
func compareFromCheck(checks []checkView, mrz *mrzView) []compareRow {
	for _, c := range checks {
		if c.Name != "viz.mrz.consistency" || (c.Status != "FAIL" && c.Status != "PASS") {
			continue
		}
		var rows []compareRow
		for _, m := range vizDiffRe.FindAllStringSubmatch(c.Reason, -1) {
			printed, _ := strconv.Unquote(`"` + m[2] + `"`)
			inMRZ, _ := strconv.Unquote(`"` + m[3] + `"`)
			no := false
			rows = append(rows, compareRow{Field: fieldLabel(m[1]), Printed: printed, MRZ: inMRZ, Agree: &no})
		}
		if c.Status == "PASS" {
			if i := strings.LastIndexByte(c.Reason, '('); i >= 0 && strings.HasSuffix(c.Reason, ")") {
				for _, f := range strings.Split(c.Reason[i+1:len(c.Reason)-1], ", ") {
					name := f
					if a, ok := vizAliases[f]; ok {
						name = a
					}
					yes := true
					row := compareRow{Field: fieldLabel(f), Agree: &yes, Note: "as in the MRZ"}
					if mrz != nil {
						for _, mf := range mrz.Fields {
							if mf.Name == name {
								row.MRZ = mf.Value
							}
						}
					}
					rows = append(rows, row)
				}
			}
		}
		return rows
	}
	return nil
}
