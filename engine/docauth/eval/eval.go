// Package eval measures docauth's accuracy on simulator captures: it
// learns a profile per model from genuine captures of one seed range,
// renders genuine and forged captures of another range in memory (every
// model, every forgery, random degradations), checks them and counts, per
// forgery type and check, how often the check failed.
package eval

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"checkpost/devices"
	"checkpost/devices/sim"
	"checkpost/engine"
	"checkpost/engine/docauth"
	"checkpost/engine/docauth/profile"
	"checkpost/mrz"
)

// Config says what to evaluate.
type Config struct {
	// Models to render (default: every simulator model).
	Models []string
	// PerClass is the number of captures of each class: genuine, and each
	// forgery type alone.
	PerClass int
	// Seed is the first seed of the evaluation captures; capture i uses
	// Seed+i. Keep tuning and reporting ranges apart.
	Seed uint64
	// LearnSeed is the first seed of the genuine captures the profiles are
	// learned from, LearnCount how many per model (default 24); the first
	// half is clean, the rest degraded at random, as reference scans vary.
	LearnSeed  uint64
	LearnCount int
	// Degrade applies random degradations to the evaluation captures (each
	// kind with probability 1/4, strength drawn up to 1.8 times its
	// default, as "checkpost simulate --degrade random" does).
	Degrade bool
	// PPI is the rendering resolution (default 300).
	PPI float64
	// Workers run in parallel (default GOMAXPROCS).
	Workers int
	// Classes limits the classes: "none" (genuine) and forgery names
	// (default: genuine and every forgery).
	Classes []string
	// Captures, when set, are the captures checked instead of PerClass
	// of each class from Seed: each one's class, model and seed, as the
	// first three columns of a Cases line (to check again the captures
	// a change is about). Degrade and PPI apply as to the others.
	Captures []Capture
	// Profiles, when not nil, are used instead of learning.
	Profiles []*profile.Profile
	// Progress, when not nil, receives done/total as captures finish.
	Progress func(done, total int)
	// VIZReader, when not nil, reads the printed fields (OCR) instead of
	// taking them as printed; the MRZ is still taken as printed, so that
	// viz.mrz.consistency measures the printed-field reading alone.
	VIZReader docauth.VIZReader
	// Cases, when not nil, receives one line per capture (tab-separated):
	// class, model, seed, degradations, whether any check failed, the
	// failed checks, viz.mrz.consistency's status and reason, and each
	// printed field read: name, text as printed, text as read, the
	// reader's confidence and, after a colon, its confidence in each
	// character in tenths (9: 0.9 and above), with Config.VIZReader;
	// last the MRZ's lines joined by "|".
	Cases io.Writer
}

// Capture names one evaluation capture: its class (genuine "none" or a
// forgery), simulator model and seed.
type Capture struct {
	Class, Model string
	Seed         uint64
}

// FieldStats count one printed field's readings on genuine captures.
type FieldStats struct {
	// Captures that print the field; Read: a reading came back; Exact:
	// it equals the printed text (marks and case aside); Agrees: docauth
	// found it equal to the MRZ; Differs: docauth found it different (a
	// false difference); Uncompared: read but not compared (unsure, or
	// differing only in look-alike characters).
	Captures, Read, Exact, Agrees, Differs, Uncompared int
}

// Class is a row of the confusion table: genuine ("none") or one forgery.
type Class struct {
	Name  string
	Count int
	// Detected counts captures with at least one FAIL (a false alarm for
	// "none").
	Detected int
	// Fail and Undetermined count, per check name, the captures where the
	// check had that status.
	Fail         map[string]int
	Undetermined map[string]int
	// Misses holds up to 10 seeds of forged captures with no FAIL (or of
	// genuine captures with one), with what failed or why not.
	Misses []string
}

// Report is the outcome of Run.
type Report struct {
	Config   Config
	Classes  []*Class
	Checks   []string
	Elapsed  time.Duration
	CheckMS  []float64 // per-capture time of docauth.Check, milliseconds
	Profiles []*profile.Profile
	// VIZ counts the OCR readings per field on genuine captures (with
	// Config.VIZReader only).
	VIZ map[string]*FieldStats
}

// Run learns the profiles (unless given), renders PerClass captures of
// each class and checks them.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.PerClass <= 0 && len(cfg.Captures) == 0 {
		return nil, errors.New("eval: PerClass must be positive")
	}
	if len(cfg.Models) == 0 {
		for _, m := range sim.Models() {
			cfg.Models = append(cfg.Models, m.Name)
		}
	}
	if cfg.PPI == 0 {
		cfg.PPI = sim.DefaultPPI
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.LearnCount <= 0 {
		cfg.LearnCount = 24
	}
	classes := cfg.Classes
	if len(cfg.Captures) > 0 {
		classes = nil
		seen := map[string]bool{}
		for _, c := range cfg.Captures {
			if _, err := sim.LookupModel(c.Model); err != nil {
				return nil, fmt.Errorf("eval: capture seed %d: %w", c.Seed, err)
			}
			if !seen[c.Class] {
				seen[c.Class] = true
				classes = append(classes, c.Class)
			}
		}
	}
	if len(classes) == 0 {
		classes = []string{"none"}
		for _, k := range sim.Forgeries() {
			classes = append(classes, k.Name)
		}
	}
	for _, c := range classes {
		if c == "none" {
			continue
		}
		if _, err := sim.ParseForgeries(c); err != nil || strings.Contains(c, ",") {
			return nil, fmt.Errorf("eval: class %q: want none or one forgery name", c)
		}
	}
	s, err := sim.New()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	profs := cfg.Profiles
	if profs == nil {
		profs, err = LearnProfiles(ctx, s, cfg)
		if err != nil {
			return nil, err
		}
	}
	ck, err := docauth.NewChecker(profs)
	if err != nil {
		return nil, err
	}
	rep := &Report{Config: cfg, Checks: docauth.CheckNames, Profiles: profs, VIZ: map[string]*FieldStats{}}
	byName := map[string]*Class{}
	for _, c := range classes {
		cl := &Class{Name: c, Fail: map[string]int{}, Undetermined: map[string]int{}}
		rep.Classes = append(rep.Classes, cl)
		byName[c] = cl
	}
	type job struct {
		class string
		spec  sim.Spec
	}
	total := cfg.PerClass * len(classes)
	if len(cfg.Captures) > 0 {
		total = len(cfg.Captures)
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var firstErr error
	done := 0
	var wg sync.WaitGroup
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				out, ms, c, err := checkOne(ctx, s, ck, j.spec, cfg.VIZReader)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("eval: %s seed %d: %w", j.spec.Model, j.spec.Seed, err)
				}
				if err == nil {
					if cfg.Cases != nil {
						writeCase(cfg.Cases, j.class, j.spec, out, c)
					}
					tally(byName[j.class], j.spec, out)
					if cfg.VIZReader != nil && j.class == "none" {
						tallyVIZ(rep.VIZ, c, out)
					}
					rep.CheckMS = append(rep.CheckMS, ms)
				}
				done++
				if cfg.Progress != nil {
					cfg.Progress(done, total)
				}
				mu.Unlock()
			}
		}()
	}
	caps := cfg.Captures
	if len(caps) == 0 {
		i := 0
		for n := 0; n < cfg.PerClass; n++ {
			for _, c := range classes {
				caps = append(caps, Capture{Class: c, Model: cfg.Models[i%len(cfg.Models)], Seed: cfg.Seed + uint64(i)})
				i++
			}
		}
	}
feed:
	for _, c := range caps {
		spec := sim.Spec{Model: c.Model, Seed: c.Seed, PPI: cfg.PPI}
		if c.Class != "none" {
			spec.Forgeries, _ = sim.ParseForgeries(c.Class)
		}
		if cfg.Degrade {
			spec.Degradations = RandomDegradations(c.Seed)
		}
		select {
		case jobs <- job{c.Class, spec}:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// LearnProfiles learns one profile per model from genuine captures
// LearnSeed .. LearnSeed+LearnCount-1: the first half clean, the rest
// with random degradations.
func LearnProfiles(ctx context.Context, s *sim.Simulator, cfg Config) ([]*profile.Profile, error) {
	var out []*profile.Profile
	for _, m := range cfg.Models {
		var caps []*devices.Capture
		for i := 0; i < cfg.LearnCount; i++ {
			seed := cfg.LearnSeed + uint64(i)
			spec := sim.Spec{Model: m, Seed: seed, PPI: cfg.PPI}
			if i >= cfg.LearnCount/2 {
				spec.Degradations = RandomDegradations(seed)
			}
			c, err := s.Render(spec)
			if err != nil {
				return nil, err
			}
			caps = append(caps, c)
		}
		p, err := docauth.Learn(ctx, caps, docauth.LearnOptions{ID: m, Title: "learned by checkpost eval docauth"})
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// RandomDegradations draws the degradations of a capture from its seed:
// each kind with probability 1/4, its strength uniform between the kind's
// minimum and 1.8 times its default (the simulator draws rotation angles
// and resolutions itself).
func RandomDegradations(seed uint64) []sim.Applied {
	rng := rand.New(rand.NewPCG(seed, 0xdeda))
	var out []sim.Applied
	for _, k := range sim.Degradations() {
		if rng.IntN(4) != 0 {
			continue
		}
		a := sim.Applied{Name: k.Name}
		if !k.Random {
			v := k.Min + rng.Float64()*(k.Default*1.8-k.Min)
			a.Strength, a.HasStrength = min(v, k.Max), true
		}
		out = append(out, a)
	}
	return out
}

func checkOne(ctx context.Context, s *sim.Simulator, ck *docauth.Checker, spec sim.Spec, vr docauth.VIZReader) (*docauth.Result, float64, *devices.Capture, error) {
	c, err := s.Render(spec)
	if err != nil {
		return nil, 0, nil, err
	}
	in := docauth.Input{Capture: c, VIZReader: vr}
	// The MRZ as a perfect reader reads it, and the printed fields as
	// printed (or read by vr): this evaluates the checks, not MRZ OCR.
	if r, err := mrz.ParseLines(c.Truth.MRZ); err == nil {
		in.MRZ = r
	}
	if vr == nil {
		for _, f := range c.Truth.Fields {
			in.VIZ = append(in.VIZ, docauth.Reading{Field: f.Name, Text: f.Value})
		}
	}
	t0 := time.Now()
	res, err := ck.Check(ctx, in)
	ms := float64(time.Since(t0).Microseconds()) / 1000
	return res, ms, c, err
}

// tallyVIZ counts the readings of a genuine capture's printed fields
// against what is printed and against the MRZ.
func tallyVIZ(stats map[string]*FieldStats, c *devices.Capture, res *docauth.Result) {
	r, err := mrz.ParseLines(c.Truth.MRZ)
	if err != nil {
		return
	}
	read := map[string][]docauth.Reading{}
	for _, rd := range res.VIZ {
		read[rd.Field] = append(read[rd.Field], rd)
	}
	for _, f := range c.Truth.Fields {
		if !docauth.ComparedField(f.Name) {
			continue
		}
		st := stats[f.Name]
		if st == nil {
			st = &FieldStats{}
			stats[f.Name] = st
		}
		st.Captures++
		rds := read[f.Name]
		if len(rds) == 0 {
			continue
		}
		st.Read++
		for _, rd := range rds {
			if strings.EqualFold(unmark(rd.Text), unmark(f.Value)) {
				st.Exact++
				break
			}
		}
		agree, decided, _ := docauth.JudgeReadings(r, rds)
		switch {
		case !decided:
			st.Uncompared++
		case agree:
			st.Agrees++
		default:
			st.Differs++
		}
	}
}

// unmark writes a printed value as the English OCR model can read it:
// marked Latin letters as their base letter, ASCII only.
func unmark(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 {
			return r
		}
		if b, ok := baseLetter[r]; ok {
			return b
		}
		return '?'
	}, s)
}

var baseLetter = map[rune]rune{}

func init() {
	for base, marked := range map[rune]string{'A': "ÀÁÂÃÄÅĀĂĄ", 'C': "ÇĆČ", 'D': "ĎĐÐ", 'E': "ÈÉÊËĒĖĘĚ", 'G': "Ğ", 'I': "ÌÍÎÏİĪ",
		'L': "Ł", 'N': "ÑŃŇ", 'O': "ÒÓÔÕÖØŌŐ", 'R': "Ř", 'S': "ŚŠŞ", 'T': "Ť", 'U': "ÙÚÛÜŪŮŰ", 'Y': "ÝŸ", 'Z': "ŹŻŽ"} {
		for _, m := range marked {
			baseLetter[m] = base
		}
	}
}

// writeCase writes a capture's line of Config.Cases.
func writeCase(w io.Writer, class string, spec sim.Spec, res *docauth.Result, c *devices.Capture) {
	var degr, failed []string
	for _, d := range spec.Degradations {
		degr = append(degr, d.String())
	}
	var viz engine.Check
	for _, ck := range res.Checks {
		if ck.Status == engine.Fail {
			failed = append(failed, ck.Name)
		}
		if ck.Name == docauth.CheckVIZ {
			viz = ck
		}
	}
	printed := map[string]string{}
	for _, f := range c.Truth.Fields {
		printed[f.Name] = f.Value
	}
	var reads []string
	for _, rd := range res.VIZ {
		reads = append(reads, fmt.Sprintf("%s=%q/%q@%.2f%s%s", rd.Field, printed[rd.Field], rd.Text, rd.Confidence, charDigits(rd.Chars), map[bool]string{true: "~" + rd.Part}[rd.Part != ""]))
	}
	fmt.Fprintf(w, "%s\t%s\t%d\t%s\tfail=%t\t%s\t%s\t%s\t%s\t%s\n", class, spec.Model, spec.Seed, strings.Join(degr, ","),
		len(failed) > 0, strings.Join(failed, ","), viz.Status, viz.Reason, strings.Join(reads, " "), strings.Join(c.Truth.MRZ, "|"))
}

// charDigits writes a reading's per-character confidences as one digit
// each (tenths, 9 for 0.9 and above), after a colon; "" without them.
func charDigits(cs []float64) string {
	if len(cs) == 0 {
		return ""
	}
	b := []byte{':'}
	for _, c := range cs {
		b = append(b, byte('0'+min(9, max(0, int(c*10)))))
	}
	return string(b)
}

func tally(cl *Class, spec sim.Spec, res *docauth.Result) {
	cl.Count++
	var failed, undet, reasons []string
	for _, c := range res.Checks {
		switch c.Status {
		case engine.Fail:
			cl.Fail[c.Name]++
			failed = append(failed, c.Name)
			reasons = append(reasons, c.Reason)
		case engine.Undetermined:
			cl.Undetermined[c.Name]++
			undet = append(undet, c.Name)
		}
	}
	if len(failed) > 0 {
		cl.Detected++
	}
	miss := (cl.Name == "none") == (len(failed) > 0)
	if miss && len(cl.Misses) < 10 {
		var degr []string
		for _, d := range spec.Degradations {
			degr = append(degr, d.String())
		}
		what := "failed: " + strings.Join(failed, ",") + ": " + strings.Join(reasons, " | ")
		if len(failed) == 0 {
			what = "undetermined: " + strings.Join(undet, ",")
		}
		if res.Model == "" {
			what += " (no profile: " + res.Identified + ")"
		}
		cl.Misses = append(cl.Misses, fmt.Sprintf("%s seed %d [%s] %s", spec.Model, spec.Seed, strings.Join(degr, ","), what))
	}
}

// Print writes the report: the data set, detection per forgery type, the
// false-alarm rate, and the confusion table (class x check, % FAIL).
func (r *Report) Print(w io.Writer) {
	cfg := r.Config
	degr := map[bool]string{true: "random (each kind p=1/4)", false: "none"}[cfg.Degrade]
	if len(cfg.Captures) > 0 {
		fmt.Fprintf(w, "docauth evaluation: simulator at %g ppi, %d captures given by class, model and seed, degradations %s\n", cfg.PPI, len(cfg.Captures), degr)
	} else {
		fmt.Fprintf(w, "docauth evaluation: simulator %s at %g ppi, %d captures per class, seeds %d..%d, degradations %s\n",
			strings.Join(cfg.Models, ", "), cfg.PPI, cfg.PerClass, cfg.Seed, cfg.Seed+uint64(cfg.PerClass*len(r.Classes))-1, degr)
	}
	if cfg.Profiles == nil {
		fmt.Fprintf(w, "profiles learned from %d genuine captures per model, seeds %d..%d (half clean, half degraded)\n", cfg.LearnCount, cfg.LearnSeed, cfg.LearnSeed+uint64(cfg.LearnCount)-1)
	}
	if cfg.VIZReader == nil {
		fmt.Fprintf(w, "MRZ and printed fields as printed (ground truth; OCR not evaluated here)\n\n")
	} else {
		fmt.Fprintf(w, "MRZ as printed (ground truth); printed fields read by OCR (docauth.Input.VIZReader)\n\n")
	}
	fmt.Fprintf(w, "%-24s %7s %9s\n", "class", "count", "any FAIL")
	for _, c := range r.Classes {
		label := "detected"
		if c.Name == "none" {
			label = "false alarm"
		}
		fmt.Fprintf(w, "%-24s %7d %8.2f%%  (%s)\n", c.Name, c.Count, pct(c.Detected, c.Count), label)
	}
	fmt.Fprintf(w, "\nconfusion table: %% of captures where the check FAILED (U: %% UNDETERMINED)\n")
	fmt.Fprintf(w, "%-24s", "class \\ check")
	for _, n := range r.Checks {
		fmt.Fprintf(w, " %11s", abbreviate(n))
	}
	fmt.Fprintln(w)
	for _, c := range r.Classes {
		fmt.Fprintf(w, "%-24s", c.Name)
		for _, n := range r.Checks {
			fmt.Fprintf(w, " %11s", fmt.Sprintf("%.1f", pct(c.Fail[n], c.Count)))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%-24s", "  U")
		for _, n := range r.Checks {
			fmt.Fprintf(w, " %11s", fmt.Sprintf("%.1f", pct(c.Undetermined[n], c.Count)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\ncolumns: ")
	for i, n := range r.Checks {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%s = %s", abbreviate(n), n)
	}
	fmt.Fprintln(w)
	if len(r.CheckMS) > 0 {
		ms := append([]float64(nil), r.CheckMS...)
		sort.Float64s(ms)
		fmt.Fprintf(w, "\ndocauth.Check time per capture (%d workers, shared machine): median %.1f ms, 95th percentile %.1f ms\n",
			cfg.Workers, ms[len(ms)/2], ms[len(ms)*95/100])
	}
	if len(r.VIZ) > 0 {
		fmt.Fprintf(w, "\nprinted fields read by OCR on the genuine captures (exact: equals the printed text, marks aside;\nagrees/differs: docauth's comparison with the MRZ; uncompared: unsure or look-alike characters only):\n")
		fmt.Fprintf(w, "%-16s %8s %8s %8s %8s %8s %10s\n", "field", "printed", "read", "exact", "agrees", "differs", "uncompared")
		var names []string
		for n := range r.VIZ {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			st := r.VIZ[n]
			fmt.Fprintf(w, "%-16s %8d %7.1f%% %7.1f%% %7.1f%% %7.1f%% %9.1f%%\n", n, st.Captures, pct(st.Read, st.Captures), pct(st.Exact, st.Captures),
				pct(st.Agrees, st.Captures), pct(st.Differs, st.Captures), pct(st.Uncompared, st.Captures))
		}
	}
	for _, c := range r.Classes {
		if len(c.Misses) == 0 {
			continue
		}
		what := "missed"
		if c.Name == "none" {
			what = "false alarms"
		}
		fmt.Fprintf(w, "\n%s %s (first %d):\n", c.Name, what, len(c.Misses))
		for _, m := range c.Misses {
			fmt.Fprintf(w, "  %s\n", m)
		}
	}
	fmt.Fprintf(w, "\nelapsed %s\n", r.Elapsed.Round(time.Second))
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// abbreviate shortens a check name for the table's header.
func abbreviate(n string) string {
	if len(n) <= 11 {
		return n
	}
	parts := strings.Split(n, ".")
	if len(parts) >= 2 {
		s := parts[0] + "." + parts[1]
		if len(s) <= 11 {
			return s
		}
		return s[:11]
	}
	return n[:11]
}

// ReadCaptures reads the captures named by the lines of a Cases file
// (or any lines whose first three tab-separated columns are class,
// model and seed), to check them again. Blank lines are skipped.
func ReadCaptures(r io.Reader) ([]Capture, error) {
	var out []Capture
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.SplitN(line, "\t", 4)
		if len(f) < 3 {
			return nil, fmt.Errorf("line %d: want class, model and seed separated by tabs", n)
		}
		seed, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: seed %q: %w", n, f[2], err)
		}
		out = append(out, Capture{Class: f[0], Model: f[1], Seed: seed})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no captures listed")
	}
	return out, nil
}
