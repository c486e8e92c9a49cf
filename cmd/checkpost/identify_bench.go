package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"checkpost/biometric"
	"checkpost/biometric/eval"
	"checkpost/biometric/match"
	"checkpost/biometric/watchlist"
	"checkpost/biometric/watchlist/synth"
	"checkpost/internal/shareddata"
	"checkpost/server/crypt"
	"checkpost/server/store"
)

// The "fingerprints" section of "checkpost bench watchlist": 1:N
// identification accuracy and speed with FVC2002 impressions as mates and
// generated distractors, at growing gallery sizes, in both search modes,
// and the time to load the largest gallery from the database.
func init() {
	var o fpBenchOptions
	var sizes string
	addWatchlistBench(&watchlistBench{
		Name:    "fingerprints",
		Summary: "fingerprint 1:N identification (FVC2002 mates, generated distractors)",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&sizes, "fingerprints-sizes", "1000,100000,1000000", "fingerprints: gallery sizes (templates), ascending")
			fs.Uint64Var(&o.seed, "fingerprints-seed", 2, "fingerprints: distractor generator seed")
			fs.StringVar(&o.data, "fingerprints-data", "", "fingerprints: folder with fvc2002/DB1_B..DB4_B and nist/sd29-pgm (default: the shared data)")
			fs.IntVar(&o.probesPerFinger, "fingerprints-probes", 7, "fingerprints: probe impressions per finger (2..8 of FVC)")
			fs.IntVar(&o.largeProbes, "fingerprints-large-probes", 2, "fingerprints: probe impressions per finger at sizes above 100,000")
			fs.IntVar(&o.exhaustiveSample, "fingerprints-exhaustive-sample", 40, "fingerprints: exhaustive searches at sizes above 100,000 (one probe per finger of the group, then second ones, ...)")
			fs.StringVar(&o.exhaustiveGroup, "fingerprints-exhaustive-group", "report", "fingerprints: probes of the exhaustive sample at sizes above 100,000: report (DB3_B+DB4_B), tuning (DB1_B+DB2_B) or all")
			fs.StringVar(&o.dbPath, "fingerprints-db", "", "fingerprints: database to build the gallery in and load it from (default: a temporary one, removed)")
		},
		Run: func(ctx context.Context, cli *cliEnv) error {
			var err error
			if o.sizes, err = parseSizes(sizes); err != nil {
				return usageError("--fingerprints-sizes: %v", err)
			}
			switch o.exhaustiveGroup {
			case "report", "tuning", "all":
			default:
				return usageError("--fingerprints-exhaustive-group %q: want report, tuning or all", o.exhaustiveGroup)
			}
			return benchFingerprints(ctx, cli, o)
		},
	})
}

type fpBenchOptions struct {
	sizes            []int
	seed             uint64
	data             string
	probesPerFinger  int
	largeProbes      int
	exhaustiveSample int
	exhaustiveGroup  string
	dbPath           string
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("sizes must ascend")
		}
		out = append(out, n)
	}
	return out, nil
}

// fpProbe is one mated search.
type fpProbe struct {
	file   string
	mate   string // subject id of its enrolled impression
	group  string // "tuning" (DB1_B, DB2_B) or "report" (DB3_B, DB4_B)
	finger int    // index of its finger, for sampling
	imp    int    // impression number
	tmpl   *match.Template
}

// fpBenchGroups: the matcher and the screening stage were tuned on DB1_B
// and DB2_B, so only DB3_B and DB4_B measure.
var fpBenchGroups = []struct{ name, dbs string }{
	{"report", "DB3_B DB4_B"},
	{"tuning", "DB1_B DB2_B"},
}

func groupOf(db string) string {
	for _, g := range fpBenchGroups {
		if strings.Contains(g.dbs, db) {
			return g.name
		}
	}
	return ""
}

func benchFingerprints(ctx context.Context, cli *cliEnv, o fpBenchOptions) error {
	out := cli.Stdout
	root := o.data
	if root == "" {
		d, ok := shareddata.Locate()
		if !ok {
			return errors.New("the shared data (FVC2002) was not found: pass --fingerprints-data or set CHECKPOST_SHARED_DATA")
		}
		root = filepath.Join(d, "fingerprints")
	}
	// Mates and probes: FVC2002 DB1_B..DB4_B, impression 1 enrolled.
	var probes []*fpProbe
	var mates []store.FingerprintEnrollment
	var realDistractors []store.FingerprintEnrollment
	failed := 0
	fingerIdx := 0
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		ppi := 0.0
		if db == "DB2_B" {
			ppi = 569
		}
		ex, err := extractFolder(ctx, cli, filepath.Join(root, "fvc2002", db), ppi)
		if err != nil {
			return err
		}
		byFinger := map[string][]*eval.Extracted{}
		var order []string
		for _, e := range ex {
			if _, ok := byFinger[e.Finger]; !ok {
				order = append(order, e.Finger)
			}
			byFinger[e.Finger] = append(byFinger[e.Finger], e)
		}
		for _, f := range order {
			subject := "fvc-" + db + "-" + f
			var enrolled bool
			for _, e := range byFinger[f] {
				imp, _ := strconv.Atoi(e.Impression)
				if imp == 1 {
					if e.Prepared == nil {
						break
					}
					enrolled = true
					mates = append(mates, store.FingerprintEnrollment{Subject: subject, Fingers: []store.EnrolledFinger{{Template: e.Template, Prepared: e.Prepared}}})
					continue
				}
				if imp-1 > o.probesPerFinger {
					continue
				}
				p := &fpProbe{file: e.Path, mate: subject, group: groupOf(db), finger: fingerIdx, imp: imp, tmpl: e.Prepared}
				if e.Prepared == nil {
					failed++
				}
				probes = append(probes, p)
			}
			if !enrolled {
				// No enrolled impression: its probes cannot be mated.
				fmt.Fprintf(out, "note: %s impression 1 failed extraction; its probes count as misses\n", subject)
			}
			fingerIdx++
		}
	}
	// Real distractors: NIST SD29 (its file names do not tell fingers
	// apart, so none of them serves as a mate).
	if ex, err := extractFolder(ctx, cli, filepath.Join(root, "nist", "sd29-pgm"), 0); err == nil {
		for _, e := range ex {
			if e.Prepared != nil {
				realDistractors = append(realDistractors, store.FingerprintEnrollment{Subject: "nist-sd29-" + e.Finger + "_" + e.Impression,
					Fingers: []store.EnrolledFinger{{Template: e.Template, Prepared: e.Prepared}}})
			}
		}
	}
	fmt.Fprintf(out, "mates: FVC2002 DB1_B-DB4_B impression 1 of each finger enrolled (%d fingers), probes impressions 2-%d (%d probes, %d failed extraction and count as misses); DB2_B read at 569 ppi\n",
		len(mates), o.probesPerFinger+1, len(probes), failed)
	fmt.Fprintf(out, "groups: report = DB3_B+DB4_B (not used to tune anything); tuning = DB1_B+DB2_B (the matcher, the screening stage and the generator were tuned on them)\n")
	fmt.Fprintf(out, "distractors: %d real (NIST SD29 images) and generated ones (biometric/watchlist/synth seed %d), one finger per subject; positions unknown, so every probe is compared with every template\n",
		len(realDistractors), o.seed)

	gen := synth.New(o.seed)
	realism(ctx, cli, probes, mates, gen)

	// The database the gallery is written to as it grows.
	dbPath := o.dbPath
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "checkpost-bench-fp-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "bench.db")
	} else if _, err := os.Stat(dbPath); err == nil {
		return fmt.Errorf("--fingerprints-db %s exists: the bench builds a new database", dbPath)
	}
	d, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer d.Close()
	keys, err := crypt.Generate()
	if err != nil {
		return err
	}
	v, err := store.NewVault(ctx, d, keys)
	if err != nil {
		return err
	}
	actor := store.Actor{Kind: "cli", Name: "bench"}

	g := watchlist.NewGallery()
	heapBefore := heapInUse()
	first := append(append([]store.FingerprintEnrollment(nil), mates...), realDistractors...)
	if err := enrollBoth(ctx, v, g, actor, first); err != nil {
		return err
	}
	enrolled := len(first)
	distractorID := 0
	for si, size := range o.sizes {
		if size < enrolled {
			fmt.Fprintf(out, "\n-- gallery %d: smaller than the mates and real distractors (%d): skipped\n", size, enrolled)
			continue
		}
		start := time.Now()
		bar := newProgress(cli.Stderr, size-enrolled)
		for enrolled < size {
			n := min(size-enrolled, 4096)
			batch := generateDistractors(gen, &distractorID, n)
			if err := enrollBoth(ctx, v, g, actor, batch); err != nil {
				return err
			}
			enrolled += n
			bar.n += n - 1
			bar.step()
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		bar.done()
		build := time.Since(start)
		last := si == len(o.sizes)-1
		st := g.Stats()
		fmt.Fprintf(out, "\n-- gallery of %d templates (%d subjects): %d generated distractors added in %s (generated, prepared, sealed and stored)\n",
			st.Templates, st.Subjects, size-len(first), build.Round(time.Second))
		fmt.Fprintf(out, "memory: %.0f bytes per template held by the gallery (slabs, subject table, id index); live heap %.0f bytes per template\n",
			st.BytesPerTemplate(), float64(heapInUse()-heapBefore)/float64(st.Templates))
		if last {
			// The largest gallery is searched as loaded from the database:
			// a server's start.
			g = nil
			runtime.GC()
			g = watchlist.NewGallery()
			var lbar *progress
			lbar = newProgress(cli.Stderr, st.Templates)
			load, err := v.LoadFingerprints(ctx, g, func(n int) { lbar.n = n - 1; lbar.step() })
			lbar.done()
			if err != nil {
				return err
			}
			dbSize := int64(0)
			for _, suffix := range []string{"", "-wal"} {
				if fi, err := os.Stat(dbPath + suffix); err == nil {
					dbSize += fi.Size()
				}
			}
			fmt.Fprintf(out, "load from the database: %d templates of %d subjects in %s (%.0f templates/s; target: 1,000,000 in at most 10 s); database %.2f GB\n",
				load.Templates, load.Subjects, load.Elapsed.Round(time.Millisecond), float64(load.Templates)/load.Elapsed.Seconds(), float64(dbSize)/1e9)
		}
		if err := searchBench(ctx, cli, g, probes, size, o); err != nil {
			return err
		}
	}
	return nil
}

// extractFolder extracts and prepares the images of an FVC-style folder.
func extractFolder(ctx context.Context, cli *cliEnv, dir string, ppi float64) ([]*eval.Extracted, error) {
	samples, err := eval.List(dir)
	if err != nil {
		return nil, err
	}
	return eval.ExtractAll(ctx, samples, eval.Options{Load: func(p string) (*image.Gray, error) { return loadFingerImage(p, ppi) }})
}

// generateDistractors makes n generated single-finger subjects, prepared
// on every core.
func generateDistractors(gen *synth.Generator, next *int, n int) []store.FingerprintEnrollment {
	out := make([]store.FingerprintEnrollment, n)
	srcs := make([]biometric.Template, n)
	for i := range srcs {
		srcs[i] = gen.Template()
	}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				p, err := match.Prepare(&srcs[i])
				if err != nil {
					// The generator never makes fewer than 8 minutiae.
					panic("bench: generated template: " + err.Error())
				}
				out[i] = store.FingerprintEnrollment{Subject: fmt.Sprintf("gen-%08d", *next+i), Fingers: []store.EnrolledFinger{{Template: srcs[i], Prepared: p}}}
			}
		}(w)
	}
	wg.Wait()
	*next += n
	return out
}

// enrollBoth stores a batch and adds it to the in-memory gallery.
func enrollBoth(ctx context.Context, v *store.Vault, g *watchlist.Gallery, actor store.Actor, batch []store.FingerprintEnrollment) error {
	if _, err := v.EnrollFingerprints(ctx, actor, batch); err != nil {
		return err
	}
	es := make([]watchlist.Enrollment, len(batch))
	for i, b := range batch {
		for _, f := range b.Fingers {
			es[i].Subject = b.Subject
			es[i].Fingers = append(es[i].Fingers, watchlist.Finger{Position: f.Position, Template: f.Prepared})
		}
	}
	return g.EnrollBatch(es)
}

// realism compares the scores of the probes against real unrelated prints
// (the enrolled impressions of other FVC fingers) with their scores
// against generated distractors: if the generated ones scored lower, the
// false-positive rates measured with them would flatter the matcher.
func realism(ctx context.Context, cli *cliEnv, probes []*fpProbe, mates []store.FingerprintEnrollment, gen *synth.Generator) {
	const nGen = 600
	// A separate generator stream, so that the gallery's distractors are
	// the same whether or not this runs.
	_ = gen
	g2 := synth.New(0xfeed)
	var gens []*match.Template
	for len(gens) < nGen {
		t := g2.Template()
		if p, err := match.Prepare(&t); err == nil {
			gens = append(gens, p)
		}
	}
	for _, grp := range fpBenchGroups {
		var ps []*fpProbe
		for _, p := range probes {
			if p.group == grp.name && p.tmpl != nil {
				ps = append(ps, p)
			}
		}
		type scores struct{ cmp, scr []float64 }
		var realS, genS scores
		var mu sync.Mutex
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				var m match.Matcher
				var r, gs scores
				for i := w; i < len(ps); i += workers {
					p := ps[i]
					for _, e := range mates {
						if e.Subject == p.mate {
							continue
						}
						t := e.Fingers[0].Prepared
						r.cmp = append(r.cmp, m.Compare(p.tmpl, t))
						r.scr = append(r.scr, m.Screen(p.tmpl, t))
					}
					for _, t := range gens {
						gs.cmp = append(gs.cmp, m.Compare(p.tmpl, t))
						gs.scr = append(gs.scr, m.Screen(p.tmpl, t))
					}
				}
				mu.Lock()
				realS.cmp = append(realS.cmp, r.cmp...)
				realS.scr = append(realS.scr, r.scr...)
				genS.cmp = append(genS.cmp, gs.cmp...)
				genS.scr = append(genS.scr, gs.scr...)
				mu.Unlock()
			}(w)
		}
		wg.Wait()
		if ctx.Err() != nil || len(realS.cmp) == 0 {
			return
		}
		for _, v := range [][]float64{realS.cmp, realS.scr, genS.cmp, genS.scr} {
			sort.Float64s(v)
		}
		line := func(name string, s scores) {
			fmt.Fprintf(cli.Stdout, "  %-26s %7d pairs: Compare p50 %.5f p99 %.5f p99.9 %.5f, at or above the FMR 1e-3 threshold %.3f%%; Screen p50 %.4f p99 %.4f\n",
				name, len(s.cmp), quantile(s.cmp, 0.5), quantile(s.cmp, 0.99), quantile(s.cmp, 0.999),
				100*shareAtLeast(s.cmp, match.ThresholdFMR1e3), quantile(s.scr, 0.5), quantile(s.scr, 0.99))
		}
		fmt.Fprintf(cli.Stdout, "realism of the distractors, %s probes (%s) against:\n", grp.name, grp.dbs)
		line("other real FVC fingers", realS)
		line(fmt.Sprintf("%d generated fingers", nGen), genS)
	}
}

func quantile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(p*float64(len(sorted)-1))]
}

func shareAtLeast(sorted []float64, t float64) float64 {
	k := sort.SearchFloat64s(sorted, t)
	return float64(len(sorted)-k) / float64(len(sorted))
}

// fpOutcome is one mated search's outcome.
type fpOutcome struct {
	rank1       bool
	mateScore   float64 // 0 when the mate was not among the candidates
	nonMate     float64 // best score of any other subject
	elapsed     time.Duration
	compared    int
	screened    int
	searchError error
}

func runSearches(ctx context.Context, g *watchlist.Gallery, probes []*fpProbe, mode watchlist.Mode) []fpOutcome {
	out := make([]fpOutcome, len(probes))
	for i, p := range probes {
		if p.tmpl == nil {
			continue
		}
		res, err := g.Search(ctx, []watchlist.Probe{{Template: p.tmpl}}, watchlist.SearchOptions{Mode: mode, Candidates: 2})
		if err != nil {
			out[i].searchError = err
			continue
		}
		o := &out[i]
		o.elapsed, o.compared, o.screened = res.Elapsed, res.Compared, res.Screened
		for k, c := range res.Candidates {
			if c.Subject == p.mate {
				o.mateScore = c.Score
				o.rank1 = k == 0
			} else if o.nonMate == 0 {
				o.nonMate = c.Score
			}
		}
	}
	return out
}

// exhaustiveSample picks up to n probes of the group ("all": any) for the
// exhaustive searches of a large gallery: the first probe of every finger,
// then the second of every finger, and so on, in the probes' order.
func exhaustiveSample(probes []*fpProbe, group string, n int) []*fpProbe {
	var out []*fpProbe
	taken := map[*fpProbe]bool{}
	for len(out) < n {
		seenFinger := map[int]bool{}
		added := false
		for _, p := range probes {
			if len(out) == n {
				break
			}
			if taken[p] || seenFinger[p.finger] || (group != "all" && p.group != group) {
				continue
			}
			seenFinger[p.finger] = true
			taken[p] = true
			out = append(out, p)
			added = true
		}
		if !added {
			break
		}
	}
	return out
}

func searchBench(ctx context.Context, cli *cliEnv, g *watchlist.Gallery, probes []*fpProbe, size int, o fpBenchOptions) error {
	out := cli.Stdout
	large := size > 100_000
	// The probes searched in two-stage mode, and the sample searched in
	// both modes (all of them up to 100,000).
	var twoStage, sample []*fpProbe
	for _, p := range probes {
		if !large || p.imp-1 <= o.largeProbes {
			twoStage = append(twoStage, p)
		}
		if !large {
			sample = append(sample, p)
		}
	}
	if large {
		sample = exhaustiveSample(probes, o.exhaustiveGroup, o.exhaustiveSample)
	}
	// The stated threshold: the score whose per-comparison FMR times the
	// gallery size is 1%, so that about 1% of searches of unenrolled
	// persons should have a candidate above it (the matcher's FMR model,
	// not fitted here).
	th := watchlist.ScoreAtFMR(0.01 / float64(size))
	fmt.Fprintf(out, "threshold: score %.5f (FMR %.1e per comparison, 0.01 / gallery size)\n", th, 0.01/float64(size))
	bar := newProgress(cli.Stderr, len(twoStage)+len(sample))
	prog := func(ps []*fpProbe, mode watchlist.Mode) []fpOutcome {
		res := make([]fpOutcome, len(ps))
		for i := range ps {
			res[i] = runSearches(ctx, g, ps[i:i+1], mode)[0]
			bar.step()
		}
		return res
	}
	two := prog(twoStage, watchlist.TwoStage)
	var exh []fpOutcome
	if len(sample) > 0 {
		exh = prog(sample, watchlist.Exhaustive)
	}
	bar.done()
	if err := ctx.Err(); err != nil {
		return err
	}
	report := func(mode string, ps []*fpProbe, res []fpOutcome) {
		for _, grp := range fpBenchGroups {
			var n, r1, tp, fp, errs int
			for i, p := range ps {
				if p.group != grp.name {
					continue
				}
				n++
				o := res[i]
				if o.searchError != nil {
					errs++
				}
				if o.rank1 {
					r1++
					if o.mateScore >= th {
						tp++
					}
				}
				if o.nonMate >= th {
					fp++
				}
			}
			if n == 0 {
				continue
			}
			fmt.Fprintf(out, "  %-10s %-6s %4d searches: rank-1 %.1f%% (%d), at the threshold: TPIR %.1f%%, FPIR %.1f%% (%d searches whose best non-mate scored above it)\n",
				mode, grp.name, n, 100*float64(r1)/float64(n), r1, 100*float64(tp)/float64(n), 100*float64(fp)/float64(n), fp)
		}
		var lat []time.Duration
		compared, screened := 0, 0
		for _, o := range res {
			if o.elapsed > 0 {
				lat = append(lat, o.elapsed)
				compared += o.compared
				screened += o.screened
			}
		}
		if len(lat) == 0 {
			return
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Fprintf(out, "  %-10s speed: median %s, p90 %s, max %s per search (one finger, %d cores); %d screened and %d compared accurately per search\n",
			mode, lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*9/10].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond),
			runtime.GOMAXPROCS(0), screened/len(lat), compared/len(lat))
	}
	fmt.Fprintf(out, "two-stage on %d probes%s:\n", len(twoStage), map[bool]string{true: fmt.Sprintf(" (impressions 2-%d)", o.largeProbes+1), false: ""}[large])
	report("two-stage", twoStage, two)
	if len(sample) > 0 {
		// Two-stage on the same sample, for a like-for-like comparison.
		var twoOnSample []fpOutcome
		idx := map[*fpProbe]int{}
		for i, p := range twoStage {
			idx[p] = i
		}
		var missing []*fpProbe
		for _, p := range sample {
			if _, ok := idx[p]; !ok {
				missing = append(missing, p)
			}
		}
		extra := runSearches(ctx, g, missing, watchlist.TwoStage)
		for i, p := range missing {
			idx[p] = len(two)
			two = append(two, extra[i])
			_ = p
		}
		for _, p := range sample {
			twoOnSample = append(twoOnSample, two[idx[p]])
		}
		fmt.Fprintf(out, "exhaustive and two-stage on the same %d probes%s:\n", len(sample), map[bool]string{true: fmt.Sprintf(" (group %s, one per finger before a second)", o.exhaustiveGroup), false: ""}[large])
		report("exhaustive", sample, exh)
		report("two-stage", sample, twoOnSample)
	}
	return nil
}
