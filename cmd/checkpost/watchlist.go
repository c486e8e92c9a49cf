package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"checkpost/engine/watchlist"
	"checkpost/engine/watchlist/synth"
	"checkpost/server/store"
)

// The enroll and bench groups are shared with other areas (fingerprints
// enroll into the same group, and add a section to bench watchlist): a
// group is registered by whichever file's init runs first.
func registerGroupOnce(path, summary, help string) {
	if c, ok := root.children[path]; ok && c.Summary != "" {
		return
	}
	registerGroup(path, summary, help)
}

func init() {
	registerGroupOnce("enroll", "add entries to the watchlists (documents, persons, fingerprints)",
		"Enrolment adds to the watchlists the counter is screened against. Each list is kept in the database given with --db.")
	registerGroupOnce("bench", "measure speed and accuracy on generated data",
		"Benchmarks print figures with the data set they were measured on (generator and seed).")

	var db, source string
	register(&command{
		Path:    "enroll document",
		Summary: "import lost/stolen travel documents from CSV",
		Usage:   "enroll document [--db PATH] [--source NAME] FILE.csv|-",
		Help: `Adds the documents of a CSV file (or standard input, "-") to the lost/stolen
list. The first line names the columns, in any order:

  issuer,number,reason,authority,reported
  PAK,AB0123456,stolen,FIA Islamabad,2024-03-01
  D,C01X00T47,lost,"Stadt Köln, Bürgeramt",

issuer is the ICAO code of the issuing state (D or D<< for Germany), number
the document number as printed, reason why it is listed (lost, stolen,
stolen blank, revoked, ...), authority who reported it, reported the date of
the report (YYYY-MM-DD, YYYY-MM or YYYY; the column may be left out). Lines
starting with # are comments.

The import is one transaction: if any line is bad, nothing is imported and
every bad line is named (the first 20 in full). A document already listed by
an earlier import is updated; the values it replaces are kept in the
database's history. At the counter, numbers are matched with the characters
MRZ readers confuse taken as equal (0 O Q D, 1 I L, 2 Z, 5 S, 6 G, 8 B).

Examples:
  checkpost enroll document --db var/checkpost.db sltd-2024-03.csv
  zcat daily.csv.gz | checkpost enroll document --db var/checkpost.db --source daily-0314 -`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", defaultDB, "SQLite database file")
			fs.StringVar(&source, "source", "", "name of the import in the database (default: the file name)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			return runEnroll(ctx, cli, args, db, source, "document", func(d *store.DB, name string, r io.Reader, tick func()) (store.ImportResult, error) {
				c, err := watchlist.NewDocumentCSV(r)
				if err != nil {
					return store.ImportResult{}, err
				}
				return d.ImportDocuments(ctx, name, &documentTicker{c, tick})
			})
		},
	})
	register(&command{
		Path:    "enroll person",
		Summary: "import persons (traffickers, wanted, exit control) from CSV",
		Usage:   "enroll person [--db PATH] [--source NAME] FILE.csv|-",
		Help: `Adds the persons of a CSV file (or standard input, "-") to the person
watchlist. The first line names the columns, in any order; list, surname and
reason are required:

  ref,list,surname,given_names,aliases,original_surname,original_given_names,birth_date,nationality,reason
  FIA-112,trafficker,KHAN,MUHAMMAD ALI,"BHATTI, ALI; KHAN, M ALI",خان,محمد علي,1980-03-14,PAK,people smuggling
  ,wanted,HUSAIN,AHMED RAZA,,,,1975,PAK,arrest warrant

ref is the listing authority's reference (optional; importing the same list
and ref again replaces the person, the old entry is kept as removed); list
the list's name (trafficker, wanted, exit-control, ...); surname and
given_names the primary and secondary identifiers in Latin script; aliases
further names separated by ";", each "SURNAME, GIVEN NAMES"; the original
script columns the name as written in Arabic, Urdu, Persian, ... (it is
transliterated and screened too); birth_date full or partial (1980-03-14,
1980-03, 1980, 1980-XX-XX); nationality an ICAO code.

The import is one transaction: if any line is bad, nothing is imported and
every bad line is named (the first 20 in full).

Example:
  checkpost enroll person --db var/checkpost.db fia-traffickers.csv`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", defaultDB, "SQLite database file")
			fs.StringVar(&source, "source", "", "name of the import in the database (default: the file name)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			return runEnroll(ctx, cli, args, db, source, "person", func(d *store.DB, name string, r io.Reader, tick func()) (store.ImportResult, error) {
				c, err := watchlist.NewPersonCSV(r)
				if err != nil {
					return store.ImportResult{}, err
				}
				return d.ImportPersons(ctx, name, &personTicker{c, tick})
			})
		},
	})
	registerWatchlistBench()
}

// documentTicker and personTicker call tick after every record read, so
// that the progress bar follows the import.
type documentTicker struct {
	*watchlist.DocumentCSV
	tick func()
}

func (t *documentTicker) Next() (watchlist.DocumentEntry, error) {
	e, err := t.DocumentCSV.Next()
	t.tick()
	return e, err
}

type personTicker struct {
	*watchlist.PersonCSV
	tick func()
}

func (t *personTicker) Next() (watchlist.Person, error) {
	p, err := t.PersonCSV.Next()
	t.tick()
	return p, err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func runEnroll(ctx context.Context, cli *cliEnv, args []string, dbPath, source, what string,
	importFn func(d *store.DB, name string, r io.Reader, tick func()) (store.ImportResult, error)) error {
	if len(args) != 1 {
		return usageError("want one CSV file (or - for standard input), got %d arguments", len(args))
	}
	name := args[0]
	var in io.Reader
	var size int64
	if name == "-" {
		in = cli.Stdin
		if source == "" {
			source = "standard input"
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		in = f
		if source == "" {
			source = name
		}
	}
	d, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer d.Close()

	counter := &countingReader{r: in}
	start := time.Now()
	records := 0
	var bar *progress
	if size > 0 {
		bar = newProgress(cli.Stderr, int(size))
	}
	last := time.Now()
	tick := func() {
		records++
		if bar != nil && int(counter.n) != bar.n {
			// The bar counts bytes of the file read so far.
			bar.n = int(counter.n) - 1
			bar.step()
		} else if now := time.Now(); now.Sub(last) >= time.Second {
			last = now
			fmt.Fprintf(cli.Stderr, "enroll %s: %d records read\n", what, records)
		}
	}
	res, err := importFn(d, source, counter, tick)
	if bar != nil {
		bar.done()
	}
	if err != nil {
		var ie *store.ImportError
		if errors.As(err, &ie) {
			fmt.Fprintln(cli.Stderr, strings.TrimPrefix(ie.Error(), "store: "))
			return exitStatus(1)
		}
		return err
	}
	fmt.Fprintf(cli.Stdout, "imported %s: %d records, %d added, %d updated (import %d, %s)\n",
		source, res.Records, res.Added, res.Updated, res.ImportID, time.Since(start).Round(time.Millisecond))
	return nil
}

// A watchlistBench is one section of "checkpost bench watchlist". The
// lost/stolen documents and the persons are here; the fingerprint gallery
// adds its section from its own file with addWatchlistBench in an init
// function. Sections run in the order they were added, each printing its
// figures with the data set they were measured on.
type watchlistBench struct {
	Name    string
	Summary string
	// Flags adds the section's own flags (prefix them with the section's
	// name: --persons-seed, ...).
	Flags func(fs *flag.FlagSet)
	Run   func(ctx context.Context, cli *cliEnv) error
}

var watchlistBenches []*watchlistBench

func addWatchlistBench(b *watchlistBench) { watchlistBenches = append(watchlistBenches, b) }

func registerWatchlistBench() {
	var only string
	register(&command{
		Path:    "bench watchlist",
		Summary: "print the speed and accuracy of the watchlists on generated data",
		Usage:   "bench watchlist [--only SECTIONS] [section flags]",
		Help: `Builds the watchlists from generated data in memory and prints their speed
and accuracy, with the generator and seed that made the data. Sections:
documents (lost/stolen list: lookup time and memory per entry), persons
(name screening: recall, precision and false alarms on a generated set of
listed persons, their variant spellings and unlisted look-alikes; screening
time and memory on a large list), fingerprints (1:N identification with
FVC2002 impressions as mates and generated distractors at growing gallery
sizes, both search modes, the gallery's memory and its load time from the
database; needs the shared data; see --fingerprints-* flags).

The persons' threshold (watchlist.DefaultThreshold) was chosen on seed 1;
report accuracy on any other seed (the default is 2). --persons-tune prints
the table the threshold was chosen from.

The default sizes (10,000,000 documents, 1,000,000 persons) need a few
minutes and about 3 GB of memory; pass smaller sizes for a quick look.

Examples:
  checkpost bench watchlist
  checkpost bench watchlist --only persons --persons-seed 3 --persons-breakdown
  checkpost bench watchlist --only persons --persons-seed 1 --persons-tune
  checkpost bench watchlist --documents 100000 --persons-large 100000`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&only, "only", "", "comma-separated sections to run (default: all)")
			for _, b := range watchlistBenches {
				if b.Flags != nil {
					b.Flags(fs)
				}
			}
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			want := map[string]bool{}
			known := map[string]bool{}
			for _, b := range watchlistBenches {
				known[b.Name] = true
			}
			for _, s := range strings.Split(only, ",") {
				if s = strings.TrimSpace(s); s != "" {
					if !known[s] {
						return usageError("--only: unknown section %q", s)
					}
					want[s] = true
				}
			}
			for _, b := range watchlistBenches {
				if len(want) > 0 && !want[b.Name] {
					continue
				}
				fmt.Fprintf(cli.Stdout, "== %s: %s\n", b.Name, b.Summary)
				if err := b.Run(ctx, cli); err != nil {
					return fmt.Errorf("%s: %w", b.Name, err)
				}
				fmt.Fprintln(cli.Stdout)
			}
			return nil
		},
	})

	var docN, docLookups int
	var docSeed uint64
	addWatchlistBench(&watchlistBench{
		Name:    "documents",
		Summary: "lost/stolen travel documents",
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&docN, "documents", 10_000_000, "documents: listed entries")
			fs.IntVar(&docLookups, "documents-lookups", 1_000_000, "documents: lookups timed")
			fs.Uint64Var(&docSeed, "documents-seed", 42, "documents: generator seed")
		},
		Run: func(ctx context.Context, cli *cliEnv) error {
			return benchDocuments(ctx, cli, docN, docLookups, docSeed)
		},
	})

	var seed uint64
	var listed, mates, impostors, large, probes int
	var tune, breakdown bool
	addWatchlistBench(&watchlistBench{
		Name:    "persons",
		Summary: "person watchlist name screening",
		Flags: func(fs *flag.FlagSet) {
			fs.Uint64Var(&seed, "persons-seed", 2, "persons: generator seed of the accuracy set (1 is the tuning seed)")
			fs.IntVar(&listed, "persons-listed", 10_000, "persons: listed persons of the accuracy set")
			fs.IntVar(&mates, "persons-mates", 10_000, "persons: mates (listed persons as their MRZs name them)")
			fs.IntVar(&impostors, "persons-impostors", 10_000, "persons: impostors (unlisted look-alikes)")
			fs.IntVar(&large, "persons-large", 1_000_000, "persons: listed persons of the speed measurement")
			fs.IntVar(&probes, "persons-probes", 2000, "persons: screenings timed on the large list")
			fs.BoolVar(&tune, "persons-tune", false, "persons: print recall and false alarms over thresholds, and the threshold the tuning rule picks")
			fs.BoolVar(&breakdown, "persons-breakdown", false, "persons: print misses and false alarms by kind of probe")
		},
		Run: func(ctx context.Context, cli *cliEnv) error {
			return benchPersons(ctx, cli, seed, listed, mates, impostors, large, probes, tune, breakdown)
		},
	})
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func benchDocuments(ctx context.Context, cli *cliEnv, n, lookups int, seed uint64) error {
	if n <= 0 || lookups <= 0 {
		return usageError("--documents and --documents-lookups must be positive")
	}
	before := heapInUse()
	start := time.Now()
	x := watchlist.NewDocumentIndex()
	bar := newProgress(cli.Stderr, n)
	var sample []watchlist.DocumentEntry
	var addErr error
	i := 0
	synth.Documents(seed, n, func(e watchlist.DocumentEntry) {
		if addErr == nil {
			addErr = x.Add(e)
		}
		if i%max(1, n/4096) == 0 {
			sample = append(sample, e)
		}
		i++
		bar.step()
	})
	bar.done()
	if addErr != nil {
		return addErr
	}
	x.Flush()
	build := time.Since(start)
	perEntry := float64(heapInUse()-before) / float64(x.Len())
	probes := synth.DocumentProbes(seed+1, sample, 4096)
	if err := ctx.Err(); err != nil {
		return err
	}
	// Mean over all lookups; percentiles from individually timed ones.
	start = time.Now()
	hits := 0
	for i := 0; i < lookups; i++ {
		p := &probes[i&4095]
		if _, ok := x.Lookup(p.Issuer, p.Number); ok {
			hits++
		}
	}
	mean := time.Since(start) / time.Duration(lookups)
	timed := make([]time.Duration, min(lookups, 100_000))
	for i := range timed {
		p := &probes[i&4095]
		t := time.Now()
		x.Lookup(p.Issuer, p.Number)
		timed[i] = time.Since(t)
	}
	listedProbes := 0
	for _, p := range probes {
		if p.Listed {
			listedProbes++
		}
	}
	fmt.Fprintf(cli.Stdout, "data: %d documents from synth.Documents seed %d (16 issuers, numbers AA9999999); built in %s\n", x.Len(), seed, build.Round(time.Millisecond))
	fmt.Fprintf(cli.Stdout, "memory: %.1f bytes per listed document (live heap after GC)\n", perEntry)
	fmt.Fprintf(cli.Stdout, "lookups: %d, half listed (of which half read with O/0, I/1 confusions), half not; %d hits (%.1f%% of lookups, %.1f%% expected)\n",
		lookups, hits, 100*float64(hits)/float64(lookups), 100*float64(listedProbes)/float64(len(probes)))
	fmt.Fprintf(cli.Stdout, "lookup time: mean %s; of %d timed one by one: median %s, p99 %s, max %s (target: at most 10µs)\n",
		mean, len(timed), synth.Percentile(timed, 0.5), synth.Percentile(timed, 0.99), synth.Percentile(timed, 1))
	return nil
}

func benchPersons(ctx context.Context, cli *cliEnv, seed uint64, listed, mates, impostors, large, probes int, tune, breakdown bool) error {
	if listed <= 0 || mates < 0 || impostors < 0 || large < 0 || probes < 0 {
		return usageError("--persons-* sizes must not be negative, --persons-listed positive")
	}
	// Accuracy.
	start := time.Now()
	set := synth.Generate(seed, listed, mates, impostors)
	x := watchlist.NewPersonIndex()
	for _, p := range set.Listed {
		if err := x.Add(p); err != nil {
			return err
		}
	}
	// Screened at the shipped threshold itself: a lower floor would read
	// more postings than a screening at the threshold does.
	r := synth.Measure(x, set, watchlist.DefaultThreshold).At(watchlist.DefaultThreshold)
	fmt.Fprintf(cli.Stdout, "accuracy data: synth.Generate seed %d: %d listed, %d mates, %d impostors (%s)", seed, listed, mates, impostors, time.Since(start).Round(time.Millisecond))
	if seed == 1 {
		fmt.Fprintf(cli.Stdout, " -- seed 1 is the tuning seed: these figures are not a measurement")
	}
	fmt.Fprintln(cli.Stdout)
	fmt.Fprintf(cli.Stdout, "at the shipped threshold %.3f: recall %.4f (%d/%d mates found), rank-1 %.4f, precision %.4f (%d of %d hits right), impostors with a hit %.4f (%d/%d)\n",
		r.Threshold, r.Recall(), r.MatesFound, r.Mates, r.Rank1(), r.Precision(), r.CorrectHits, r.Hits, r.ImpostorAlarmRate(), r.ImpostorAlarms, r.Impostors)
	if breakdown {
		r.WriteBreakdown(cli.Stdout)
	}
	if tune {
		m := synth.Measure(x, set, 0.6)
		fmt.Fprintln(cli.Stdout, "threshold  recall  precision  impostors-with-hit  (screened with a floor of 0.6)")
		chosen := -1.0
		for i := 0; i <= 80; i++ {
			th := 0.6 + 0.005*float64(i)
			rt := m.At(th)
			fmt.Fprintf(cli.Stdout, "%.3f      %.4f  %.4f     %.4f\n", th, rt.Recall(), rt.Precision(), rt.ImpostorAlarmRate())
			if chosen < 0 && rt.ImpostorAlarmRate() <= 0.02 {
				chosen = th
			}
		}
		fmt.Fprintf(cli.Stdout, "tuning rule (lowest threshold with at most 2%% of impostors hit): %.3f\n", chosen)
	}
	if large == 0 || probes == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Speed on a large list.
	x = nil
	set = nil
	before := heapInUse()
	start = time.Now()
	persons, qs := synth.List(seed+1000, large, probes)
	y := watchlist.NewPersonIndex()
	bar := newProgress(cli.Stderr, len(persons))
	for i := range persons {
		if err := y.Add(persons[i]); err != nil {
			return err
		}
		persons[i] = watchlist.Person{}
		bar.step()
	}
	bar.done()
	persons = nil
	build := time.Since(start)
	perPerson := float64(heapInUse()-before) / float64(y.Len())
	lat := make([]time.Duration, 0, len(qs))
	found := 0
	var hits int
	for _, p := range qs {
		t := time.Now()
		hs := y.Screen(p.Query)
		lat = append(lat, time.Since(t))
		hits += len(hs)
		for _, h := range hs {
			if h.Person.ID == p.Want {
				found++
			}
		}
	}
	var total time.Duration
	for _, l := range lat {
		total += l
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Fprintf(cli.Stdout, "speed data: synth.List seed %d: %d listed persons, built in %s; %.0f bytes per person (live heap after GC)\n",
		seed+1000, y.Len(), build.Round(time.Millisecond), perPerson)
	fmt.Fprintf(cli.Stdout, "screening %d mates: mean %s, median %s, p99 %s, max %s (target: at most 5ms); %d found, %d hits in all\n",
		len(lat), (total / time.Duration(len(lat))).Round(time.Microsecond), synth.Percentile(lat, 0.5).Round(time.Microsecond),
		synth.Percentile(lat, 0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond), found, hits)
	return nil
}
