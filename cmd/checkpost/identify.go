package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"checkpost/biometric"
	"checkpost/biometric/ansi378"
	"checkpost/biometric/iso19794"
	"checkpost/biometric/match"
	"checkpost/biometric/native"
	"checkpost/biometric/watchlist"
	"checkpost/server/crypt"
	"checkpost/server/store"
)

// The fingerprint 1:N commands: "enroll fingerprint" adds finger images or
// templates of a subject to the gallery in the database, "identify"
// searches it. The gallery's bench section is in identify_bench.go.
func init() {
	registerEnrollFingerprint()
	registerIdentify()
}

// fingerView is one finger read from a file.
type fingerView struct {
	file     string
	kind     string
	template biometric.Template
	prepared *match.Template
}

// readFingerViews returns every finger view of a template file (native,
// ISO/IEC 19794-2:2005, ANSI INCITS 378: a record may hold several fingers)
// or the one extracted from an image file, each prepared for matching.
func readFingerViews(path string, ppi float64) ([]fingerView, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ts []biometric.Template
	kind := ""
	switch {
	case native.IsNative(data):
		t, err := native.Decode(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ts, kind = []biometric.Template{t}, "native template"
	case bytes.HasPrefix(data, []byte("FMR\x00")):
		rec, errISO := iso19794.Decode(data)
		if errISO == nil {
			ts, kind = rec.Templates(), "ISO/IEC 19794-2 template"
		} else {
			arec, errANSI := ansi378.Decode(data)
			if errANSI != nil {
				return nil, fmt.Errorf("%s: neither an ISO/IEC 19794-2 record (%v) nor an ANSI INCITS 378 record (%v)", path, errISO, errANSI)
			}
			ts, kind = arec.Templates(), "ANSI INCITS 378 template"
		}
		if len(ts) == 0 {
			return nil, fmt.Errorf("%s: the record holds no finger view", path)
		}
	default:
		t, q, err := extractFile(path, ppi)
		if err != nil {
			return nil, err
		}
		ts, kind = []biometric.Template{t}, fmt.Sprintf("image, quality %d", q.Score)
	}
	out := make([]fingerView, 0, len(ts))
	for i := range ts {
		p, err := match.Prepare(&ts[i])
		if err != nil {
			if len(ts) > 1 {
				return nil, fmt.Errorf("%s: view %d: %w", path, i+1, err)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, fingerView{file: path, kind: kind, template: ts[i], prepared: p})
	}
	return out, nil
}

// readAllFingerViews reads files on every core, with a progress bar on
// stderr when there are many. Views come back in the order of the files;
// a file that cannot be read is reported in errs at its index.
func readAllFingerViews(cli *cliEnv, files []string, ppi float64) ([][]fingerView, []error) {
	views := make([][]fingerView, len(files))
	errs := make([]error, len(files))
	jobs := make(chan int)
	done := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				views[i], errs[i] = readFingerViews(files[i], ppi)
				done <- i
			}
		}()
	}
	go func() {
		for i := range files {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(done)
	}()
	var bar *progress
	if len(files) >= 8 {
		bar = newProgress(cli.Stderr, len(files))
	}
	for range done {
		if bar != nil {
			bar.step()
		}
	}
	if bar != nil {
		bar.done()
	}
	return views, errs
}

// cliActor names the operator of a command in the audit log.
func cliActor() store.Actor {
	name := "checkpost"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return store.Actor{Kind: "cli", Name: name}
}

// openFingerprintVault opens the database and its keys. A database never
// used with keys gets a key file beside it, as serve does on its first
// start (said on stderr).
func openFingerprintVault(ctx context.Context, cli *cliEnv, dbPath, keyFile string, mayGenerate bool) (*store.Vault, func(), error) {
	d, err := store.Open(ctx, dbPath)
	if err != nil {
		return nil, nil, err
	}
	keys, src, err := loadKeys(ctx, d, keyFile, mayGenerate)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	if src.Generated {
		fmt.Fprintf(cli.Stderr, "generated a new key file %s (mode 0600): templates are encrypted with it; keep a copy apart from the database\n", src.Path)
	}
	v, err := store.NewVault(ctx, d, keys)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return v, func() { d.Close() }, nil
}

func registerEnrollFingerprint() {
	var db, keyFile, subject, finger string
	var ppi float64
	var remove bool
	register(&command{
		Path:    "enroll fingerprint",
		Summary: "add a subject's finger images or templates to the fingerprint watchlist",
		Usage:   "enroll fingerprint --db PATH --subject ID [--finger POS] [--key-file FILE] FILE...",
		Help: `Adds fingers to a subject of the fingerprint watchlist (the 1:N gallery that
"checkpost identify" and the counter search), creating the subject when it is
new. Each FILE is a finger image (PNG, BMP, TIFF, JPEG, PGM, WSQ; normalised
to 500 ppi, minutiae extracted) or a template (checkpost native, ISO/IEC
19794-2:2005, ANSI INCITS 378; every finger view of a record is enrolled).
Several files of one finger (more impressions) make the search more robust.

--subject is the listing authority's id for the person (1-128 characters),
the name search results give. --finger sets the position of every finger
enrolled by this command (right-thumb ... left-little, or 1-10); without
it, positions come from the templates, and images have none (unknown
positions are compared with every probe finger).

The templates are stored encrypted with the data keys (see "checkpost key"),
in one transaction with an audit entry: either every file is enrolled or,
when one cannot be read, none. Files are read on every core, with a
progress bar when there are many. --remove removes the subject instead
(its rows are kept, marked removed).

Examples:
  checkpost enroll fingerprint --db var/checkpost.db --subject FIA-112 --finger right-index ri-1.png ri-2.png
  checkpost enroll fingerprint --db var/checkpost.db --subject FIA-112 tenprint.iso
  checkpost enroll fingerprint --db var/checkpost.db --subject FIA-112 --remove`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", defaultDB, "SQLite database file")
			fs.StringVar(&keyFile, "key-file", "", "key file (default: $"+crypt.EnvVar+", else checkpost.keys beside the database)")
			fs.StringVar(&subject, "subject", "", "the subject's id (required)")
			fs.StringVar(&finger, "finger", "", "finger position of every file (right-index, left-thumb, ... or 1-10)")
			fs.Float64Var(&ppi, "ppi", 0, "resolution of images that state none (default 500)")
			fs.BoolVar(&remove, "remove", false, "remove the subject instead of enrolling")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if err := watchlist.CheckSubjectID(subject); err != nil {
				return usageError("--subject: %v", strings.TrimPrefix(err.Error(), "watchlist: "))
			}
			if remove {
				if len(args) > 0 || finger != "" {
					return usageError("--remove takes no files and no --finger")
				}
				v, closeDB, err := openFingerprintVault(ctx, cli, db, keyFile, false)
				if err != nil {
					return err
				}
				defer closeDB()
				if err := v.RemoveFingerprintSubject(ctx, cliActor(), subject); err != nil {
					return err
				}
				fmt.Fprintf(cli.Stdout, "removed subject %s\n", subject)
				return nil
			}
			if len(args) == 0 {
				return usageError("want at least one finger image or template FILE")
			}
			var pos biometric.Position
			if finger != "" {
				p, err := biometric.ParsePosition(finger)
				if err != nil {
					return usageError("--finger: %v", err)
				}
				pos = p
			}
			start := time.Now()
			views, errs := readAllFingerViews(cli, args, ppi)
			failed := 0
			for _, err := range errs {
				if err != nil {
					fmt.Fprintln(cli.Stderr, err)
					failed++
				}
			}
			if failed > 0 {
				fmt.Fprintf(cli.Stderr, "%d of %d files could not be read: nothing enrolled\n", failed, len(args))
				return exitStatus(1)
			}
			var fingers []store.EnrolledFinger
			for _, vs := range views {
				for _, v := range vs {
					if finger != "" {
						v.template.Position = pos
					}
					fingers = append(fingers, store.EnrolledFinger{Position: v.template.Position, Template: v.template, Prepared: v.prepared})
				}
			}
			if len(fingers) > watchlist.MaxFingersPerSubject {
				return usageError("%d finger views for one subject (at most %d)", len(fingers), watchlist.MaxFingersPerSubject)
			}
			v, closeDB, err := openFingerprintVault(ctx, cli, db, keyFile, true)
			if err != nil {
				return err
			}
			defer closeDB()
			if _, err := v.EnrollFingerprints(ctx, cliActor(), []store.FingerprintEnrollment{{Subject: subject, Fingers: fingers}}); err != nil {
				return err
			}
			var names []string
			for _, f := range fingers {
				names = append(names, f.Position.String())
			}
			fmt.Fprintf(cli.Stdout, "enrolled subject %s: %d finger views (%s) from %d files in %s\n", subject, len(fingers),
				strings.Join(names, ", "), len(args), time.Since(start).Round(time.Millisecond))
			return nil
		},
	})
}

// identifyLine is one line of "identify --json".
type identifyLine struct {
	File       string                `json:"file,omitempty"`
	Files      []string              `json:"files,omitempty"`
	Candidates []watchlist.Candidate `json:"candidates"`
	Mode       string                `json:"mode,omitempty"`
	Screened   int                   `json:"screened,omitempty"`
	Compared   int                   `json:"compared"`
	ElapsedMS  float64               `json:"elapsed_ms"`
	Error      string                `json:"error,omitempty"`
}

func registerIdentify() {
	var db, keyFile, finger, modeName string
	var asJSON, anyPosition, together bool
	var candidates int
	var minScore, ppi float64
	register(&command{
		Path:    "identify",
		Summary: "search fingerprints 1:N against the fingerprint watchlist",
		Usage:   "identify --db PATH [--json] [--mode two-stage|exhaustive] [--candidates N] [--finger POS] FILE...",
		Help: `Loads the fingerprint watchlist from the database (see "checkpost enroll
fingerprint") and searches each FILE (a finger image or a template, as enroll
takes them) against it: the best candidates, best first, each with the
fused score and the false-match rate (FMR) that score corresponds to: the
chance that one comparison of unrelated prints scores as high. In a gallery
of N fingers about N times FMR unrelated prints score as high by chance, so
judge a candidate by its FMR against the gallery size.

With --together all FILEs are fingers of one person, searched at once: a
subject's scores over the fingers are fused (false-match rates combined as
independent evidence), and one result is printed.

--mode two-stage (default) screens every template with a cheap score (the
probe's 16 and each template's 24 most complete local structures) and
compares the best 1% (at least 200) accurately; --mode exhaustive
compares every template accurately (slower; the reference).
A probe's position (from its template, or --finger) limits the search to
templates of that position or of unknown position; --any-position compares
all.

Without --json a table per probe. With --json one JSON object per probe per
line: {"file", "candidates": [{"subject", "score", "fmr"}], "mode",
"screened", "compared", "elapsed_ms"}; a probe that cannot be read gives
{"file", "error"} and exit status 1.

Examples:
  checkpost identify --db var/checkpost.db probe.png
  checkpost identify --db var/checkpost.db --json --candidates 3 a.iso b.png
  checkpost identify --db var/checkpost.db --together --json ri.png li.png`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", defaultDB, "SQLite database file")
			fs.StringVar(&keyFile, "key-file", "", "key file (default: $"+crypt.EnvVar+", else checkpost.keys beside the database)")
			fs.BoolVar(&asJSON, "json", false, "one JSON object per probe per line")
			fs.StringVar(&modeName, "mode", "two-stage", "two-stage or exhaustive")
			fs.IntVar(&candidates, "candidates", 10, "candidates per probe")
			fs.Float64Var(&minScore, "min-score", 0, "leave out candidates scoring below this")
			fs.StringVar(&finger, "finger", "", "finger position of every probe (overrides the templates')")
			fs.BoolVar(&anyPosition, "any-position", false, "compare every template whatever the positions")
			fs.BoolVar(&together, "together", false, "the files are fingers of one person: one fused search")
			fs.Float64Var(&ppi, "ppi", 0, "resolution of images that state none (default 500)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) == 0 {
				return usageError("want at least one finger image or template FILE")
			}
			mode, err := watchlist.ParseMode(modeName)
			if err != nil {
				return usageError("--mode: %v", err)
			}
			if candidates <= 0 {
				return usageError("--candidates must be positive")
			}
			var pos biometric.Position
			if finger != "" {
				if pos, err = biometric.ParsePosition(finger); err != nil {
					return usageError("--finger: %v", err)
				}
			}
			v, closeDB, err := openFingerprintVault(ctx, cli, db, keyFile, false)
			if err != nil {
				return err
			}
			defer closeDB()
			g := watchlist.NewGallery()
			_, total, err := v.DB().CountFingerprints(ctx)
			if err != nil {
				return err
			}
			var bar *progress
			if total >= 10000 {
				bar = newProgress(cli.Stderr, total)
			}
			load, err := v.LoadFingerprints(ctx, g, func(n int) {
				if bar != nil {
					bar.n = n - 1
					bar.step()
				}
			})
			if bar != nil {
				bar.done()
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cli.Stderr, "fingerprint watchlist: %d subjects, %d templates loaded in %s\n", load.Subjects, load.Templates, load.Elapsed.Round(time.Millisecond))
			if load.Reprepared > 0 {
				fmt.Fprintf(cli.Stderr, "(%d templates were stored by another matcher version and were prepared again)\n", load.Reprepared)
			}
			views, errs := readAllFingerViews(cli, args, ppi)
			opt := watchlist.SearchOptions{Mode: mode, Candidates: candidates, MinScore: minScore, AnyPosition: anyPosition}
			enc := json.NewEncoder(cli.Stdout)
			tw := tabwriter.NewWriter(cli.Stdout, 0, 0, 2, ' ', 0)
			failed := false
			emit := func(line identifyLine) error {
				if asJSON {
					return enc.Encode(line)
				}
				name := line.File
				if len(line.Files) > 0 {
					name = strings.Join(line.Files, " + ")
				}
				if line.Error != "" {
					fmt.Fprintf(tw, "%s: error: %s\n", name, line.Error)
					return tw.Flush()
				}
				fmt.Fprintf(tw, "%s: %s search, %d compared in %.0f ms\n", name, line.Mode, line.Compared, line.ElapsedMS)
				if len(line.Candidates) == 0 {
					fmt.Fprintln(tw, "  no candidate")
				} else {
					fmt.Fprintln(tw, "  rank\tsubject\tscore\tFMR\t")
				}
				for i, c := range line.Candidates {
					fmt.Fprintf(tw, "  %d\t%s\t%.5f\t%s\t\n", i+1, c.Subject, c.Score, formatRate(c.FMR))
				}
				return tw.Flush()
			}
			probeOf := func(fv fingerView) watchlist.Probe {
				p := watchlist.Probe{Position: fv.template.Position, Template: fv.prepared}
				if finger != "" {
					p.Position = pos
				}
				return p
			}
			run := func(line identifyLine, probes []watchlist.Probe) error {
				res, err := g.Search(ctx, probes, opt)
				if err != nil {
					return err
				}
				line.Candidates = res.Candidates
				if line.Candidates == nil {
					line.Candidates = []watchlist.Candidate{}
				}
				if len(probes) == 1 {
					for i := range line.Candidates {
						line.Candidates[i].Fingers = nil
					}
				}
				line.Mode, line.Screened, line.Compared = res.Mode.String(), res.Screened, res.Compared
				line.ElapsedMS = float64(res.Elapsed.Microseconds()) / 1000
				return emit(line)
			}
			if together {
				var probes []watchlist.Probe
				for i, vs := range views {
					if errs[i] != nil {
						failed = true
						if err := emit(identifyLine{File: args[i], Candidates: []watchlist.Candidate{}, Error: errs[i].Error()}); err != nil {
							return err
						}
						continue
					}
					for _, fv := range vs {
						probes = append(probes, probeOf(fv))
					}
				}
				if failed {
					return exitStatus(1)
				}
				if len(probes) > 16 {
					return usageError("%d finger views together (at most 16)", len(probes))
				}
				return run(identifyLine{Files: args}, probes)
			}
			for i, vs := range views {
				if errs[i] != nil {
					failed = true
					if err := emit(identifyLine{File: args[i], Candidates: []watchlist.Candidate{}, Error: errs[i].Error()}); err != nil {
						return err
					}
					continue
				}
				// A record with several views is searched as one person.
				var probes []watchlist.Probe
				for _, fv := range vs {
					probes = append(probes, probeOf(fv))
				}
				if len(probes) > 16 {
					probes = probes[:16]
				}
				if err := run(identifyLine{File: args[i]}, probes); err != nil {
					if errors.Is(err, context.Canceled) {
						return err
					}
					failed = true
					if err := emit(identifyLine{File: args[i], Candidates: []watchlist.Candidate{}, Error: err.Error()}); err != nil {
						return err
					}
				}
			}
			if failed {
				return exitStatus(1)
			}
			return nil
		},
	})
}
