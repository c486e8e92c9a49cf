package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"checkpost/biometric"
	"checkpost/devices"
	"checkpost/engine/pipeline"
	"checkpost/mrz/ocr"
	"checkpost/server/crypt"
	"checkpost/server/store"
)

// fingerFlag collects --finger POSITION=FILE.
type fingerFlag []pipeline.Finger

func (f *fingerFlag) String() string { return "" }

func (f *fingerFlag) Set(v string) error {
	pos, file, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New("want POSITION=FILE, e.g. right-index=ri.png")
	}
	p, err := biometric.ParsePosition(pos)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	*f = append(*f, pipeline.Finger{Position: p, Data: data})
	return nil
}

func init() {
	var asJSON bool
	var profiles, db, keyFile, evidenceDir string
	var fingers fingerFlag
	register(&command{
		Path:    "verify",
		Summary: "verify documents offline with the counter's pipeline: MRZ, document checks, watchlists, recommendation",
		Usage:   "verify [--json] [--profiles DIR] [--db PATH] [--finger POS=FILE]... [--evidence DIR] PATH...",
		Help: `Runs the verification pipeline of "checkpost serve" on each PATH, without a
server: the MRZ is read (under IR, then white light; front, then back), the
document is checked against its profile in --profiles (the profile-free
checks when none fits), the document number and the traveller are screened
against the lost/stolen document and person lists, fingers (--finger) are
searched 1:N, and the policy gives the recommendation with its reasons.

PATH is a capture folder (white.png, ir.png, uv.png, back_*.png, as written
by "checkpost simulate" or a document reader), a single image (the front
under white light) or a PDF (page 1 the front, page 2 the back, rendered
at 300 ppi).

Without --db no watchlist is searched (their checks are NOT_PERFORMED).
With --db the lists are loaded from that database; the fingerprint gallery
also needs the data keys (--key-file or $` + crypt.EnvVar + `), and is left
out with a warning when they cannot be found.

--finger POS=FILE adds a finger (image or ISO/ANSI/native template) to
every verification; repeat it for more fingers. --evidence DIR writes the
evidence images of the checks that did not pass, and the MRZ zone, to
DIR/<name of PATH>/.

Without --json a summary per PATH: recommendation, reasons, MRZ, each
check with its value and threshold, watchlist hits, stage times. With
--json one report per PATH per line, the same object the API answers
(without id), with "path" added; a PATH that cannot be read gives
{"path", "error"}.

The first run on a machine trains the OCR-B classifier (about a minute on
two cores) and caches it ($CHECKPOST_CACHE_DIR or ~/.cache/checkpost).

Exit status: 0 when every PATH was verified (whatever the recommendation),
1 when one could not be, 2 on a usage error.

Examples:
  checkpost simulate --count 2 --forgery uv-bright-paper --out var/sim/f
  checkpost verify var/sim/f/*
  checkpost verify --json --db var/checkpost.db --finger right-index=ri.png var/scans/0001
  checkpost verify --evidence var/evidence scan.pdf`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "one JSON report per PATH per line")
			profilesDirFlag(fs, &profiles)
			fs.StringVar(&db, "db", "", "database with the watchlists (default: none searched)")
			fs.StringVar(&keyFile, "key-file", "", "key file for the fingerprint gallery (default: $"+crypt.EnvVar+", else checkpost.keys beside the database)")
			fs.Var(&fingers, "finger", "a finger, POSITION=FILE (image or template); repeatable")
			fs.StringVar(&evidenceDir, "evidence", "", "write evidence images under this folder")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) == 0 {
				return usageError("want at least one capture folder, image or PDF")
			}
			p, closeAll, err := offlinePipeline(ctx, cli, profiles, db, keyFile)
			if err != nil {
				return err
			}
			defer closeAll()
			mode := pipeline.NoEvidence
			if evidenceDir != "" {
				mode = pipeline.FailedEvidence
			}
			enc := json.NewEncoder(cli.Stdout)
			failed := false
			for _, path := range args {
				rep, err := verifyPath(ctx, p, path, fingers, mode)
				if err == nil && evidenceDir != "" {
					err = writeEvidence(filepath.Join(evidenceDir, filepath.Base(filepath.Clean(path))), rep)
				}
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					failed = true
					if asJSON {
						enc.Encode(map[string]string{"path": path, "error": err.Error()})
					} else {
						fmt.Fprintf(cli.Stderr, "%s: %v\n", path, err)
					}
					continue
				}
				if asJSON {
					b, err := json.Marshal(rep)
					if err != nil {
						return err
					}
					var obj map[string]json.RawMessage
					json.Unmarshal(b, &obj)
					obj["path"] = mustMarshal(path)
					if err := enc.Encode(obj); err != nil {
						return err
					}
					continue
				}
				printReport(cli.Stdout, path, rep)
			}
			if failed {
				return exitStatus(1)
			}
			return nil
		},
	})
}

func mustMarshal(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// offlinePipeline builds the pipeline of "verify": the profiles, the lists
// of the database when one is given, and the MRZ reader, waited for.
func offlinePipeline(ctx context.Context, cli *cliEnv, profiles, dbPath, keyFile string) (*pipeline.Pipeline, func(), error) {
	closeAll := func() {}
	docs, err := loadDocuments(profiles)
	if err != nil {
		return nil, nil, err
	}
	var lists pipeline.Watchlists
	if dbPath != "" {
		if _, err := os.Stat(dbPath); err != nil {
			return nil, nil, usageError("--db: %v", err)
		}
		d, err := store.Open(ctx, dbPath)
		if err != nil {
			return nil, nil, err
		}
		loader := &watchlistLoader{db: d, log: cli.Log}
		keys, _, kerr := loadKeys(ctx, d, keyFile, false)
		if kerr == nil {
			loader.vault, kerr = store.NewVault(ctx, d, keys)
		}
		if kerr != nil {
			fmt.Fprintf(cli.Stderr, "fingerprint watchlist not loaded (the data keys are needed): %v\n", kerr)
		}
		lists, _, err = loader.load(ctx)
		if err != nil {
			d.Close()
			return nil, nil, err
		}
		closeAll = func() { d.Close() }
	}
	reader := ocr.New(ocr.Options{})
	if errors.Is(reader.Ready(ctx), ocr.ErrLoading) {
		// Loading from the cache takes milliseconds; say something only
		// when it takes long (training on the first run).
		t := time.AfterFunc(2*time.Second, func() {
			fmt.Fprintln(cli.Stderr, "training the OCR-B classifier (first run on this machine, about a minute; cached afterwards)...")
		})
		err := reader.Wait(ctx)
		t.Stop()
		if err != nil {
			closeAll()
			return nil, nil, err
		}
	} else if err := reader.Ready(ctx); err != nil {
		closeAll()
		return nil, nil, err
	}
	vizCfg, closeVIZ, err := newVIZ()
	if err != nil {
		fmt.Fprintf(cli.Stderr, "printed fields will not be read: %v\n", err)
	}
	p := pipeline.New(pipeline.Config{Reader: reader, Documents: docs, Watchlists: lists, VIZ: vizCfg})
	return p, func() { reader.Close(); closeVIZ(); closeAll() }, nil
}

// loadCapturePath reads a capture folder, a PDF or a single image.
func loadCapturePath(path string) (*devices.Capture, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return devices.Load(path)
	}
	if strings.EqualFold(filepath.Ext(path), ".pdf") {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, devices.MaxFileSize+1))
		if err != nil {
			return nil, err
		}
		if len(data) > devices.MaxFileSize || !bytes.HasPrefix(data, []byte("%PDF-")) {
			return nil, fmt.Errorf("%s: not a PDF of at most %d bytes", path, devices.MaxFileSize)
		}
		return captureFromPDF(data, path)
	}
	return devices.LoadImage(path)
}

func verifyPath(ctx context.Context, p *pipeline.Pipeline, path string, fingers []pipeline.Finger, mode pipeline.EvidenceMode) (*pipeline.Report, error) {
	c, err := loadCapturePath(path)
	if err != nil {
		return nil, err
	}
	return p.Verify(ctx, pipeline.Request{Capture: c, Fingers: fingers, Evidence: mode})
}

// writeEvidence writes the report's evidence images as PNG files.
func writeEvidence(dir string, rep *pipeline.Report) error {
	if len(rep.Evidence) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	evs, err := encodeEvidence(rep.Evidence, 0)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if err := os.WriteFile(filepath.Join(dir, e.Name+".png"), e.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// printReport writes a report for a person to read.
func printReport(w io.Writer, path string, rep *pipeline.Report) {
	fmt.Fprintf(w, "%s: %s\n", path, rep.Recommendation)
	for _, r := range rep.Reasons {
		fmt.Fprintf(w, "  %-6s %s\n", r.Recommendation, r.Text)
	}
	if m := rep.MRZ; m != nil && m.Found {
		valid := "valid"
		if !m.Valid {
			valid = "INVALID"
		}
		fmt.Fprintf(w, "  MRZ %s, %s, read under %s light on the %s side\n", m.Format, valid, m.Light, m.Side)
		for _, l := range m.Lines {
			fmt.Fprintf(w, "    %s\n", l)
		}
	} else if m != nil {
		fmt.Fprintf(w, "  MRZ not read: %s\n", m.Reason)
	}
	if d := rep.Document; d != nil {
		if d.Model != "" {
			fmt.Fprintf(w, "  document: %s revision %d (%s)\n", d.Model, d.Revision, d.Identified)
		} else {
			fmt.Fprintf(w, "  document: no profile (%s)\n", d.Identified)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  check\tstatus\tvalue\tthreshold\treason")
	for _, c := range rep.Checks {
		v := ""
		if c.Value != nil {
			v = fmt.Sprintf("%.4g", *c.Value)
		}
		status := string(c.Status)
		if c.Silent {
			status += " (silent)"
		}
		reason := c.Reason
		if len(reason) > 110 {
			reason = reason[:107] + "..."
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Name, status, v, c.Threshold, reason)
	}
	tw.Flush()
	for _, h := range rep.Watchlist.Documents {
		fmt.Fprintf(w, "  lost/stolen: %s\n", h.Text)
	}
	for _, h := range rep.Watchlist.Persons {
		fmt.Fprintf(w, "  person: %s (list %s, score %.3f): %s\n", h.Name, h.List, h.Score, h.Reason)
	}
	for _, c := range rep.Watchlist.Fingerprints.Candidates {
		if c.Hit {
			fmt.Fprintf(w, "  fingerprint hit: subject %s, score %.5f, FMR %.2g\n", c.Subject, c.Score, c.FMR)
		}
	}
	var st []string
	for _, s := range rep.Stages {
		if s.Status == pipeline.StageSkipped {
			continue
		}
		x := fmt.Sprintf("%s %.0f ms", s.Name, s.MS)
		if s.Status != pipeline.StageDone {
			x += " (" + s.Status + ")"
		}
		st = append(st, x)
	}
	fmt.Fprintf(w, "  stages: %s; total %.0f ms\n", strings.Join(st, ", "), rep.ElapsedMS)
}
