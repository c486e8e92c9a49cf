// Package eval measures fingerprint extraction and 1:1 matching on
// FVC-style folders: every genuine pair (two impressions of one finger) and
// every impostor pair (impressions of two different fingers), the equal
// error rate, the false non-match rate at fixed false-match rates, the
// extraction time per image and the comparisons per second on one core,
// and a DET curve.
package eval

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"checkpost/biometric"
	"checkpost/biometric/extract"
	"checkpost/biometric/match"
)

// Sample is one image of a folder.
type Sample struct {
	Path string
	// Finger identifies the finger: the part of the name before the
	// underscore ("101" in 101_3.tif, "a001" in a001_03p.pgm).
	Finger string
	// Impression is the part after it ("3", "03").
	Impression string
}

// namePattern matches FVC names (NNN_M.ext) and NIST SD29-like names
// (a001_03p.pgm): finger, underscore, impression, an optional letter.
var namePattern = regexp.MustCompile(`^([A-Za-z]?\d+)_(\d+)[A-Za-z]?\.(?i:tif|tiff|png|bmp|pgm|pnm|jpg|jpeg|wsq)$`)

// List returns the images of dir named as FVC does, sorted by finger and
// impression.
func List(dir string) ([]Sample, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	var out []Sample
	for _, e := range entries {
		m := namePattern.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		out = append(out, Sample{Path: filepath.Join(dir, e.Name()), Finger: m[1], Impression: m[2]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("eval: %s: no image named FINGER_IMPRESSION.ext (tif, png, bmp, pgm, jpg, wsq)", dir)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Finger != out[j].Finger {
			return out[i].Finger < out[j].Finger
		}
		return out[i].Impression < out[j].Impression
	})
	return out, nil
}

// Loader reads an image file as 500 ppi grey pixels.
type Loader func(path string) (*image.Gray, error)

// Options configures Run.
type Options struct {
	// Load reads the images (required).
	Load Loader
	// Workers extract in parallel (default: the number of CPUs). Each
	// extraction is timed on its own.
	Workers int
	// Progress, when set, receives a line now and then.
	Progress io.Writer
	// MinTiming is how long the timed comparison loop runs at least (the
	// loop repeats all the folder's comparisons); default 1s.
	MinTiming time.Duration
	// Worst, when positive, keeps the Worst genuine pairs of lowest
	// score in Report.WorstGenuine: where to look when the EER is high.
	Worst int
}

// PairScore is the score of one pair of samples, by file name without
// the folder.
type PairScore struct {
	A     string  `json:"a"`
	B     string  `json:"b"`
	Score float64 `json:"score"`
}

// Extracted is the outcome for one sample.
type Extracted struct {
	Sample
	Template biometric.Template
	Prepared *match.Template // nil when extraction or preparation failed
	Quality  extract.QualityReport
	Elapsed  time.Duration
	Err      error
}

// Report is the result for one folder.
type Report struct {
	Dir                  string  `json:"dir"`
	Images               int     `json:"images"`
	Fingers              int     `json:"fingers"`
	Failed               int     `json:"failed_extractions"`
	GenuinePairs         int     `json:"genuine_pairs"`
	ImpostorPairs        int     `json:"impostor_pairs"`
	EER                  float64 `json:"eer"`
	FNMRAtFMR1e2         float64 `json:"fnmr_at_fmr_1e-2"`
	FNMRAtFMR1e3         float64 `json:"fnmr_at_fmr_1e-3"`
	FNMRAtZeroFMR        float64 `json:"fnmr_at_fmr_0"`
	ExtractMSMedian      float64 `json:"extract_ms_median"`
	ExtractMSP90         float64 `json:"extract_ms_p90"`
	ComparisonsPerSecond float64 `json:"comparisons_per_second"`
	MinutiaeMean         float64 `json:"minutiae_mean"`
	QualityMean          float64 `json:"quality_mean"`
	DETPlot              string  `json:"det_plot,omitempty"`
	// Crop is how the images were cut before extraction (the caller's
	// setting; "" for whole).
	Crop string `json:"crop,omitempty"`
	// WorstGenuine are the genuine pairs of lowest score, lowest first
	// (only with Options.Worst).
	WorstGenuine []PairScore `json:"worst_genuine,omitempty"`

	Genuine  []float64    `json:"-"`
	Impostor []float64    `json:"-"`
	Samples  []*Extracted `json:"-"`
}

// Run extracts every image of dir, compares every pair and measures.
func Run(ctx context.Context, dir string, opt Options) (*Report, error) {
	samples, err := List(dir)
	if err != nil {
		return nil, err
	}
	ex, err := ExtractAll(ctx, samples, opt)
	if err != nil {
		return nil, err
	}
	rep := &Report{Dir: dir, Images: len(samples), Samples: ex}
	fingers := map[string]bool{}
	var times []float64
	var minutiae, quality float64
	for _, e := range ex {
		fingers[e.Finger] = true
		if e.Prepared == nil {
			rep.Failed++
		}
		times = append(times, float64(e.Elapsed.Microseconds())/1000)
		minutiae += float64(len(e.Template.Minutiae))
		quality += float64(e.Quality.Score)
	}
	rep.Fingers = len(fingers)
	sort.Float64s(times)
	rep.ExtractMSMedian = round(percentile(times, 0.5), 2)
	rep.ExtractMSP90 = round(percentile(times, 0.9), 2)
	rep.MinutiaeMean = round(minutiae/float64(len(ex)), 1)
	rep.QualityMean = round(quality/float64(len(ex)), 1)

	progress(opt.Progress, "%s: comparing %d pairs\n", filepath.Base(dir), len(ex)*(len(ex)-1)/2)
	var m match.Matcher
	rep.Genuine, rep.Impostor = scoreAll(&m, ex)
	if opt.Worst > 0 {
		rep.WorstGenuine = worstGenuine(ex, rep.Genuine, opt.Worst)
	}
	rep.GenuinePairs, rep.ImpostorPairs = len(rep.Genuine), len(rep.Impostor)
	rep.ComparisonsPerSecond = round(timeComparisons(ctx, &m, ex, opt.MinTiming), 0)

	r := NewRates(rep.Genuine, rep.Impostor)
	rep.EER = round(100*r.EER(), 3)
	rep.FNMRAtFMR1e2 = round(100*r.FNMRAtFMR(1e-2), 3)
	rep.FNMRAtFMR1e3 = round(100*r.FNMRAtFMR(1e-3), 3)
	rep.FNMRAtZeroFMR = round(100*r.FNMRAtFMR(0), 3)
	return rep, ctx.Err()
}

// ExtractAll extracts and prepares every sample, in parallel.
func ExtractAll(ctx context.Context, samples []Sample, opt Options) ([]*Extracted, error) {
	if opt.Load == nil {
		return nil, errors.New("eval: no image loader")
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	out := make([]*Extracted, len(samples))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	var loadErr error
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := extract.NewExtractor()
			for i := range jobs {
				s := samples[i]
				e := &Extracted{Sample: s}
				img, err := opt.Load(s.Path)
				if err != nil {
					mu.Lock()
					if loadErr == nil {
						loadErr = fmt.Errorf("eval: %s: %w", s.Path, err)
					}
					mu.Unlock()
					out[i] = e
					continue
				}
				start := time.Now()
				e.Template, e.Err = x.Extract(img)
				e.Elapsed = time.Since(start)
				e.Quality = x.Quality()
				if e.Err == nil {
					e.Prepared, e.Err = match.Prepare(&e.Template)
				}
				out[i] = e
				mu.Lock()
				done++
				if done%20 == 0 || done == len(samples) {
					progress(opt.Progress, "%s: extracted %d/%d\n", filepath.Base(filepath.Dir(s.Path)), done, len(samples))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range samples {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if loadErr != nil {
		return nil, loadErr
	}
	return out, ctx.Err()
}

// scoreAll compares every pair once: same finger is genuine, different
// fingers impostor. A sample without a template scores 0 against all.
func scoreAll(m *match.Matcher, ex []*Extracted) (genuine, impostor []float64) {
	for i := range ex {
		for j := i + 1; j < len(ex); j++ {
			s := 0.0
			if ex[i].Prepared != nil && ex[j].Prepared != nil {
				s = m.Compare(ex[i].Prepared, ex[j].Prepared)
			}
			if ex[i].Finger == ex[j].Finger {
				genuine = append(genuine, s)
			} else {
				impostor = append(impostor, s)
			}
		}
	}
	return genuine, impostor
}

// worstGenuine returns the k genuine pairs of lowest score; genuine holds
// the scores in scoreAll's order.
func worstGenuine(ex []*Extracted, genuine []float64, k int) []PairScore {
	var out []PairScore
	g := 0
	for i := range ex {
		for j := i + 1; j < len(ex); j++ {
			if ex[i].Finger != ex[j].Finger {
				continue
			}
			out = append(out, PairScore{A: filepath.Base(ex[i].Path), B: filepath.Base(ex[j].Path), Score: genuine[g]})
			g++
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score < out[b].Score })
	return out[:min(k, len(out))]
}

// timeComparisons runs all pairs of prepared templates repeatedly on this
// goroutine for at least minDur and returns the comparisons per second.
func timeComparisons(ctx context.Context, m *match.Matcher, ex []*Extracted, minDur time.Duration) float64 {
	if minDur <= 0 {
		minDur = time.Second
	}
	var ts []*match.Template
	for _, e := range ex {
		if e.Prepared != nil {
			ts = append(ts, e.Prepared)
		}
	}
	if len(ts) < 2 {
		return 0
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n := 0
	var sink float64
	start := time.Now()
	// At least one full pass, then until minDur has passed.
	for n == 0 || time.Since(start) < minDur && ctx.Err() == nil {
		for i := range ts {
			for j := i + 1; j < len(ts); j++ {
				sink += m.Compare(ts[i], ts[j])
				n++
			}
		}
	}
	_ = sink
	return float64(n) / time.Since(start).Seconds()
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(p*float64(len(sorted)-1)+0.5)]
}

func round(v float64, digits int) float64 {
	s := fmt.Sprintf("%.*f", digits, v)
	var r float64
	fmt.Sscan(s, &r)
	return r
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

// Name is the folder's last element, for messages and plot titles.
func (r *Report) Name() string { return strings.TrimSuffix(filepath.Base(r.Dir), "/") }
