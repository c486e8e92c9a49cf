package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"checkpost/mrz"
)

func init() {
	registerGroup("mrz", "read, validate and repair machine readable zones",
		"Commands for ICAO Doc 9303 machine readable zones (passports, ID cards, visas).")
	var (
		asJSON, repair bool
		refDate        string
		horizon        int
	)
	register(&command{
		Path:    "mrz parse",
		Summary: "parse and validate MRZ text, field by field",
		Usage:   "mrz parse [--json] [--repair] [--reference-date YYYY-MM-DD] [FILE...]",
		Help: `Reads machine readable zones as text from the FILEs (or standard input when
there is none, or for "-"), one document per block of lines: a blank line
separates documents. Recognises TD1 (3x30), TD2 (2x36), TD3 (2x44),
MRV-A and MRV-B visas and the pre-2021 French identity card, and checks
every field: check digits (ICAO 7-3-1, with both long-number rules), state
codes, calendar dates with their century, sex, names and fillers.

Without --json a table shows each field with its value, position and
status, then the errors and warnings. With --json each document is one
JSON object on one line: {"format", "valid", "lines", "fields": {name:
{"value", "raw", "valid", "span", ...}}, "errors": [...], "warnings":
[...]}; spans are zero-based, end exclusive.

--repair first corrects OCR confusions (O/0, I/1, B/8, S/5, Z/2, G/6,
D/0, Q/0, </K) by each field's character class and check digits, lists
every correction, and reports ambiguities instead of guessing.

Exit status: 0 when every document is valid, 1 when any is not (or is no
MRZ at all), 2 on a usage error (bad flag, unreadable file, no input).

Examples:
  checkpost mrz parse passport.txt
  printf 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n' | checkpost mrz parse --json
  checkpost mrz parse --repair --json ocr-output.txt`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print one JSON object per document per line")
			fs.BoolVar(&repair, "repair", false, "correct OCR confusions before validating")
			fs.StringVar(&refDate, "reference-date", "", "date for century inference and the expired check, YYYY-MM-DD (default today)")
			fs.IntVar(&horizon, "expiry-horizon", mrz.DefaultExpiryHorizon, "years after the reference date that an expiry date may lie")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			opts := []mrz.Option{mrz.WithExpiryHorizon(horizon)}
			if refDate != "" {
				t, err := time.Parse("2006-01-02", refDate)
				if err != nil {
					return usageError("--reference-date: %q is not a date YYYY-MM-DD", refDate)
				}
				opts = append(opts, mrz.WithReferenceDate(t))
			}
			if horizon < 1 || horizon > 99 {
				return usageError("--expiry-horizon: %d is not between 1 and 99 years", horizon)
			}
			docs, err := readMRZDocuments(cli.Stdin, args)
			if err != nil {
				return err
			}
			if len(docs) == 0 {
				return usageError("no MRZ text in the input")
			}
			allValid := true
			for i, d := range docs {
				out := checkMRZDocument(d, repair, opts)
				allValid = allValid && out.valid
				if asJSON {
					b, err := out.json(i + 1)
					if err != nil {
						return err
					}
					fmt.Fprintf(cli.Stdout, "%s\n", b)
				} else {
					if i > 0 {
						fmt.Fprintln(cli.Stdout)
					}
					out.table(cli.Stdout, i+1)
				}
			}
			if !allValid {
				return exitStatus(1)
			}
			return nil
		},
	})
}

// mrzDocument is one block of non-blank lines and where it came from.
type mrzDocument struct {
	source string
	line   int // first line's number in the source
	lines  []string
}

// maxMRZInput bounds what is read from one source: MRZ text is tiny, so a
// larger input is a mistake (an image, a binary) and is refused.
const maxMRZInput = 16 << 20

func readMRZDocuments(stdin io.Reader, args []string) ([]mrzDocument, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	var docs []mrzDocument
	for _, a := range args {
		var r io.Reader
		name := a
		if a == "-" {
			r, name = stdin, "stdin"
		} else {
			f, err := os.Open(a)
			if err != nil {
				return nil, usageError("cannot read %s: %v", a, errors.Unwrap(err))
			}
			defer f.Close()
			r = f
		}
		data, err := io.ReadAll(io.LimitReader(r, maxMRZInput+1))
		if err != nil {
			return nil, usageError("cannot read %s: %v", name, err)
		}
		if len(data) > maxMRZInput {
			return nil, usageError("%s is larger than %d MiB: not MRZ text", name, maxMRZInput>>20)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64<<10), maxMRZInput)
		var cur *mrzDocument
		n := 0
		for sc.Scan() {
			n++
			l := strings.TrimSpace(sc.Text())
			if l == "" {
				cur = nil
				continue
			}
			if cur == nil {
				docs = append(docs, mrzDocument{source: name, line: n})
				cur = &docs[len(docs)-1]
			}
			cur.lines = append(cur.lines, l)
		}
		if err := sc.Err(); err != nil {
			return nil, usageError("cannot read %s: %v", name, err)
		}
	}
	return docs, nil
}

// mrzOutcome is the result of one document for printing.
type mrzOutcome struct {
	doc    mrzDocument
	result *mrz.Result
	err    error // the text has no MRZ shape
	rep    *mrz.Repaired
	valid  bool
}

func checkMRZDocument(d mrzDocument, repair bool, opts []mrz.Option) mrzOutcome {
	out := mrzOutcome{doc: d}
	if repair {
		out.rep, out.err = mrz.Repair(d.lines, nil, opts...)
		if out.err == nil {
			out.result = out.rep.Result
		}
	} else {
		out.result, out.err = mrz.ParseLines(d.lines, opts...)
	}
	out.valid = out.err == nil && out.result.Valid
	return out
}

func (o *mrzOutcome) json(n int) ([]byte, error) {
	obj := map[string]any{}
	if o.err != nil {
		obj["format"] = mrz.UnknownFormat.String()
		obj["valid"] = false
		obj["lines"] = o.doc.lines
		obj["fields"] = map[string]any{}
		obj["errors"] = []map[string]any{{"field": "", "code": "not_mrz", "message": o.err.Error()}}
		obj["warnings"] = []any{}
	} else {
		b, err := json.Marshal(o.result)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, err
		}
	}
	obj["document"] = n
	obj["source"] = fmt.Sprintf("%s:%d", o.doc.source, o.doc.line)
	if o.rep != nil {
		cs := []map[string]any{}
		for _, c := range o.rep.Corrections {
			cs = append(cs, correctionJSON(c))
		}
		obj["corrections"] = cs
		as := []map[string]any{}
		for _, a := range o.rep.Ambiguities {
			var opts []map[string]any
			for _, op := range a.Options {
				var ch []map[string]any
				for _, c := range op.Changes {
					ch = append(ch, correctionJSON(c))
				}
				opts = append(opts, map[string]any{"text": op.Text, "score": op.Score, "changes": ch})
			}
			as = append(as, map[string]any{"field": a.Field.String(), "span": a.Span, "options": opts})
		}
		obj["ambiguities"] = as
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func correctionJSON(c mrz.Correction) map[string]any {
	return map[string]any{"line": c.Line, "column": c.Column, "from": charString(c.From), "to": charString(c.To),
		"field": c.Field.String(), "reason": string(c.Reason)}
}

func charString(b byte) string {
	if b == 0 {
		return ""
	}
	return string(rune(b))
}

func (o *mrzOutcome) table(w io.Writer, n int) {
	status := "VALID"
	if !o.valid {
		status = "INVALID"
	}
	if o.err != nil {
		fmt.Fprintf(w, "document %d (%s:%d): not an MRZ: %v\n", n, o.doc.source, o.doc.line, o.err)
		return
	}
	r := o.result
	fmt.Fprintf(w, "document %d (%s:%d): %v, %s\n", n, o.doc.source, o.doc.line, r.Format, status)
	for i := 0; i < r.NumLines; i++ {
		fmt.Fprintf(w, "  %s\n", r.Lines[i])
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  FIELD\tVALUE\tPOSITION\tSTATUS")
	for _, name := range mrz.AllFieldNames() {
		f := r.Field(name)
		if f == nil {
			continue
		}
		v := f.Value
		if !f.Date.IsZero() {
			v += " (" + f.Date.String() + ")"
		}
		st := "ok"
		if !f.Valid {
			st = "ERROR " + string(f.Code)
			if f.Expected != 0 {
				st += fmt.Sprintf(" (expected %c)", f.Expected)
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", name, v, f.Span, st)
	}
	tw.Flush()
	if r.LongNumber != mrz.NotLong {
		fmt.Fprintf(w, "  long document number, check rule: %s\n", r.LongNumber)
	}
	for _, f := range r.Errors() {
		fmt.Fprintf(w, "  error: %s at %s: %s\n", f.Name, f.ErrorSpan, f.Message)
	}
	for _, wr := range r.Warnings.List() {
		fmt.Fprintf(w, "  warning: %s: %s\n", wr, wr.Message())
	}
	if o.rep != nil {
		for _, c := range o.rep.Corrections {
			fmt.Fprintf(w, "  corrected: %s\n", c)
		}
		for _, a := range o.rep.Ambiguities {
			var texts []string
			for _, op := range a.Options {
				texts = append(texts, op.Text)
			}
			fmt.Fprintf(w, "  ambiguous: %s at %s: %d readings validate (%s); left as read\n", a.Field, a.Span, len(a.Options), strings.Join(texts, ", "))
		}
	}
}
