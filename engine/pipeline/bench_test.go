package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"checkpost/biometric"
	"checkpost/biometric/match"
	fpwatch "checkpost/biometric/watchlist"
	"checkpost/biometric/watchlist/synth"
	"checkpost/devices"
	"checkpost/engine/pipeline"
	"checkpost/engine/watchlist"
	wsynth "checkpost/engine/watchlist/synth"
	"checkpost/internal/shareddata"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkVerify is one verification without HTTP and storage: a 300-ppi
// three-light passport with its profile, two finger images (FVC2002
// DB1_B), against CHECKPOST_BENCH_TEMPLATES generated templates (default
// 10,000; the figure is 100,000) and CHECKPOST_BENCH_DOCUMENTS
// lost/stolen documents (default 100,000; the 1,000,000). It
// reports each stage's median time besides ns/op; run with -cpu 1,2 to see
// what the second core brings.
func BenchmarkVerify(b *testing.B) {
	fingerA := shareddata.Path(b, "fingerprints/fvc2002/DB1_B/101_1.tif")
	fingerB := shareddata.Path(b, "fingerprints/fvc2002/DB1_B/102_1.tif")
	nt, nd := envInt("CHECKPOST_BENCH_TEMPLATES", 10000), envInt("CHECKPOST_BENCH_DOCUMENTS", 100000)
	setup(b)
	if benchLists.Fingerprints == nil {
		benchLists = buildBenchLists(b, nt, nd)
	}
	p := newPipeline(b, benchLists, pipeline.Limits{})
	var caps []*devices.Capture
	for i := range 4 {
		caps = append(caps, render(b, uint64(9500+i), "none"))
	}
	fa, _ := os.ReadFile(fingerA)
	fb, _ := os.ReadFile(fingerB)
	fingers := []pipeline.Finger{{Position: biometric.Position(2), Data: fa}, {Position: biometric.Position(7), Data: fb}}
	stages := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := p.Verify(context.Background(), pipeline.Request{Capture: caps[i%len(caps)], Fingers: fingers, Evidence: pipeline.FailedEvidence})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range rep.Stages {
			if s.Status == pipeline.StageDone {
				stages[s.Name] = append(stages[s.Name], s.Duration)
			}
		}
	}
	b.StopTimer()
	for name, ds := range stages {
		b.ReportMetric(float64(median(ds).Microseconds())/1000, "ms-"+name)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchLists are built once per process: the benchmark runs more than once.
var benchLists pipeline.Watchlists

func buildBenchLists(b *testing.B, nt, nd int) pipeline.Watchlists {
	start := time.Now()
	g := fpwatch.NewGallery()
	gen := synth.New(1)
	var batch []fpwatch.Enrollment
	for i := 0; i < nt; i += 2 {
		var fs []fpwatch.Finger
		for k := range 2 {
			tm := gen.Template()
			tm.Position = biometric.Position(2 + 5*k)
			p, err := match.Prepare(&tm)
			if err != nil {
				b.Fatal(err)
			}
			fs = append(fs, fpwatch.Finger{Position: tm.Position, Template: p})
		}
		batch = append(batch, fpwatch.Enrollment{Subject: fmt.Sprintf("S%07d", i/2), Fingers: fs})
	}
	if err := g.EnrollBatch(batch); err != nil {
		b.Fatal(err)
	}
	docs := watchlist.NewDocumentIndex()
	wsynth.Documents(1, nd, func(e watchlist.DocumentEntry) { docs.Add(e) })
	docs.Flush()
	persons := watchlist.NewPersonIndex()
	ps, _ := wsynth.List(1, 10000, 0)
	for _, p := range ps {
		persons.Add(p)
	}
	b.Logf("lists built in %s: %d templates, %d documents, %d persons", time.Since(start).Round(time.Millisecond), g.Stats().Templates, docs.Len(), persons.Len())
	return pipeline.Watchlists{Fingerprints: g, Documents: docs, Persons: persons}
}
