package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"checkpost/biometric"
	"checkpost/biometric/ansi378"
	"checkpost/biometric/eval"
	"checkpost/biometric/extract"
	"checkpost/biometric/iso19794"
	"checkpost/biometric/match"
	"checkpost/biometric/native"
)

func init() {
	registerGroup("fingerprint", "make fingerprint templates and compare fingerprints",
		"Commands for single fingerprints: extract a minutiae template from an image, compare two prints.")
	registerGroup("eval", "measure checkpost's accuracy and speed on reference data",
		"Evaluations on labelled data sets, with the data set named in the output.")
	registerFingerprintTemplate()
	registerFingerprintCompare()
	registerEvalFingerprints()
}

// loadFingerImage decodes an image file (PNG, BMP, TIFF, JPEG, PGM, WSQ)
// and resamples it to 500 ppi; ppi, when positive, is the resolution of
// files that state none.
func loadFingerImage(path string, ppi float64) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := biometric.DecodeImageWith(f, biometric.ImageOptions{PPI: ppi})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fi.To500PPI(), nil
}

// fingerCrop is eval fingerprints' --crop: each image cut to W x H pixels
// (at 500 ppi) before extraction, around its centre or, atMinutiae,
// around the mean position of the minutiae extracted from the whole
// image: a small sensor's view of a large print.
type fingerCrop struct {
	w, h       int
	atMinutiae bool
	dx, dy     int // --crop-shift: the cut moved this far (right, down)
}

// parseCropShift reads --crop-shift "DX,DY" into c: pixels to move the
// cut by, at most 50 each way. The tuning sum moves by 5-15 when the
// crops are cut a pixel or two elsewhere (the block grid falls
// elsewhere on the ridges), so a change to the extractor or matcher is
// judged on several shifted cuts, not only on the one at the centre.
func parseCropShift(c *fingerCrop, s string) error {
	if s == "" {
		return nil
	}
	if c == nil {
		return fmt.Errorf("--crop-shift %q without --crop", s)
	}
	var dx, dy int
	if n, err := fmt.Sscanf(s, "%d,%d", &dx, &dy); err != nil || n != 2 || fmt.Sprintf("%d,%d", dx, dy) != s ||
		dx < -50 || dx > 50 || dy < -50 || dy > 50 {
		return fmt.Errorf("--crop-shift %q: want DX,DY, -50 to 50 pixels each", s)
	}
	c.dx, c.dy = dx, dy
	return nil
}

// parseFingerCrop reads "WxH" or "WxH@minutiae" ("" for no crop).
func parseFingerCrop(s string) (*fingerCrop, error) {
	if s == "" {
		return nil, nil
	}
	size, at, _ := strings.Cut(s, "@")
	var c fingerCrop
	if n, err := fmt.Sscanf(size, "%dx%d", &c.w, &c.h); err != nil || n != 2 || c.w < 64 || c.h < 64 || c.w > 2000 || c.h > 2000 ||
		fmt.Sprintf("%dx%d", c.w, c.h) != size {
		return nil, fmt.Errorf("--crop %q: want WxH, 64 to 2000 pixels each, optionally @centre or @minutiae", s)
	}
	switch at {
	case "", "centre", "center":
	case "minutiae":
		c.atMinutiae = true
	default:
		return nil, fmt.Errorf("--crop %q: the place is @centre or @minutiae", s)
	}
	return &c, nil
}

// apply cuts img as c says (a crop larger than the image keeps its
// whole extent on that axis).
func (c *fingerCrop) apply(img *image.Gray) *image.Gray {
	b := img.Bounds()
	cx, cy := (b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2
	if c.atMinutiae {
		if t, err := extract.NewExtractor().Extract(img); err == nil && len(t.Minutiae) > 0 {
			sx, sy := 0, 0
			for _, m := range t.Minutiae {
				sx, sy = sx+m.X, sy+m.Y
			}
			cx, cy = b.Min.X+sx/len(t.Minutiae), b.Min.Y+sy/len(t.Minutiae)
		}
	}
	cx, cy = cx+c.dx, cy+c.dy
	w, h := min(c.w, b.Dx()), min(c.h, b.Dy())
	x0 := min(max(cx-w/2, b.Min.X), b.Max.X-w)
	y0 := min(max(cy-h/2, b.Min.Y), b.Max.Y-h)
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		copy(out.Pix[y*out.Stride:y*out.Stride+w], img.Pix[img.PixOffset(x0, y0+y):])
	}
	return out
}

// extractFile extracts the template of an image file.
func extractFile(path string, ppi float64) (biometric.Template, extract.QualityReport, error) {
	img, err := loadFingerImage(path, ppi)
	if err != nil {
		return biometric.Template{}, extract.QualityReport{}, err
	}
	x := extract.NewExtractor()
	t, err := x.Extract(img)
	if err != nil {
		return t, x.Quality(), fmt.Errorf("%s: %w", path, err)
	}
	return t, x.Quality(), nil
}

// readTemplateOrImage returns the first finger view of a template file
// (native, ISO/IEC 19794-2:2005, ANSI INCITS 378) or the template
// extracted from an image file.
func readTemplateOrImage(path string, ppi float64) (biometric.Template, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return biometric.Template{}, "", err
	}
	switch {
	case native.IsNative(data):
		t, err := native.Decode(data)
		if err != nil {
			return t, "", fmt.Errorf("%s: %w", path, err)
		}
		return t, "native template", nil
	case bytes.HasPrefix(data, []byte("FMR\x00")):
		var ts []biometric.Template
		kind := "ISO/IEC 19794-2 template"
		rec, errISO := iso19794.Decode(data)
		if errISO == nil {
			ts = rec.Templates()
		} else {
			arec, errANSI := ansi378.Decode(data)
			if errANSI != nil {
				return biometric.Template{}, "", fmt.Errorf("%s: neither an ISO/IEC 19794-2 record (%v) nor an ANSI INCITS 378 record (%v)", path, errISO, errANSI)
			}
			ts, kind = arec.Templates(), "ANSI INCITS 378 template"
		}
		if len(ts) == 0 {
			return biometric.Template{}, "", fmt.Errorf("%s: the record holds no finger view", path)
		}
		return ts[0], kind, nil
	}
	t, q, err := extractFile(path, ppi)
	if err != nil {
		return t, "", err
	}
	return t, fmt.Sprintf("image, quality %d", q.Score), nil
}

func registerFingerprintTemplate() {
	var (
		format, out, position string
		ppi                   float64
	)
	register(&command{
		Path:    "fingerprint template",
		Summary: "extract a minutiae template from a fingerprint image",
		Usage:   "fingerprint template [--format iso|ansi|native] [--position FINGER] [--ppi N] IMAGE -o FILE",
		Help: `Reads a fingerprint image (PNG, BMP, TIFF, JPEG, PGM or WSQ), resamples it to
500 ppi from the resolution the file states (or --ppi when it states none;
500 when neither), finds its minutiae and writes them as a template:

  iso     ISO/IEC 19794-2:2005 finger minutiae record (angles in 1/256 turn)
  ansi    ANSI INCITS 378-2004 record
  native  checkpost's own format: 20 + 8 bytes per minutia, full angle
          precision, versioned and checksummed (the default)

The image quality (0-100, see "checkpost fingerprint compare --help") and
the number of minutiae are printed on standard error; a quality under 40
means the print will match poorly: ask for a new scan. Exit status 1 when
no fingerprint is found in the image.

Examples:
  checkpost fingerprint template scan.png -o scan.cpft
  checkpost fingerprint template --format iso --position right-index 101_1.tif -o 101_1.iso
  checkpost fingerprint template --ppi 569 --format ansi 101_1.tif -o 101_1.ansi`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&format, "format", "native", "template format: iso, ansi or native")
			fs.StringVar(&out, "o", "", "output file (required; - for standard output)")
			fs.StringVar(&position, "position", "unknown", "finger position: 0-10 or a name such as right-index")
			fs.Float64Var(&ppi, "ppi", 0, "resolution of images that state none (default 500)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) != 1 {
				return usageError("want one IMAGE, got %d arguments", len(args))
			}
			if out == "" {
				return usageError("-o FILE is required")
			}
			pos, err := biometric.ParsePosition(position)
			if err != nil {
				return usageError("--position: %v", err)
			}
			if format != "iso" && format != "ansi" && format != "native" {
				return usageError("--format: %q is not iso, ansi or native", format)
			}
			t, q, err := extractFile(args[0], ppi)
			if err != nil {
				return err
			}
			t.Position = pos
			var data []byte
			switch format {
			case "native":
				data, err = native.Encode(&t)
			case "iso":
				var rec *iso19794.Record
				if rec, err = iso19794.FromTemplates(t); err == nil {
					data, err = rec.Encode()
				}
			case "ansi":
				var rec *ansi378.Record
				if rec, err = ansi378.FromTemplates(ansi378.Version2004, t); err == nil {
					data, err = rec.Encode()
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if out == "-" {
				_, err = cli.Stdout.Write(data)
			} else {
				err = writeFileAtomic(out, data)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cli.Stderr, "%s: %d minutiae, quality %d (area %.0f mm², flow %.2f, clarity %.2f), %s template of %d bytes\n",
				args[0], len(t.Minutiae), q.Score, q.AreaMM2, q.Flow, q.Clarity, format, len(data))
			if q.Score < extract.RescanBelow {
				fmt.Fprintf(cli.Stderr, "%s: quality %d is under %d: ask for a new scan\n", args[0], q.Score, extract.RescanBelow)
			}
			return nil
		},
	})
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it, so that an existing file is never left half-written.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func registerFingerprintCompare() {
	var (
		asJSON bool
		ppi    float64
	)
	register(&command{
		Path:    "fingerprint compare",
		Summary: "compare two fingerprints (images or templates) and print the score",
		Usage:   "fingerprint compare [--json] [--ppi N] A B",
		Help: `Compares two fingerprints, each an image (PNG, BMP, TIFF, JPEG, PGM, WSQ) or a
template (native, ISO/IEC 19794-2:2005, ANSI INCITS 378; the first finger
view), and prints the similarity score and the false-match rate it
corresponds to.

The score is 0 (nothing in common) to 1. Accept a pair as the same finger
when the score reaches the threshold of the false-match rate you can
afford:

  FMR 1%     score >= ` + fmt.Sprintf("%.4f", match.ThresholdFMR1e2) + `
  FMR 0.1%   score >= ` + fmt.Sprintf("%.4f", match.ThresholdFMR1e3) + `
  FMR 0.01%  score >= ` + fmt.Sprintf("%.4f", match.ThresholdFMR1e4) + ` (extrapolated)

measured on FVC2002 DB1_B/DB2_B and NIST SD29 impostor pairs (see the
biometric/match package for the exact data). The FMR printed for a score is
interpolated between these points.

Image quality (printed for images) is 0-100 in the spirit of NIST NFIQ:
print area, ridge-flow coherence, ridge clarity and the number of reliable
minutiae; under 40 the print will match poorly.

Examples:
  checkpost fingerprint compare 101_1.tif 101_2.tif
  checkpost fingerprint compare --json enrolled.cpft probe.png`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print one JSON object")
			fs.Float64Var(&ppi, "ppi", 0, "resolution of images that state none (default 500)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) != 2 {
				return usageError("want two fingerprints A B, got %d arguments", len(args))
			}
			var prepared [2]*match.Template
			var kinds [2]string
			var counts [2]int
			for i, p := range args {
				t, kind, err := readTemplateOrImage(p, ppi)
				if err != nil {
					return err
				}
				pt, err := match.Prepare(&t)
				if err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
				prepared[i], kinds[i], counts[i] = pt, kind, len(t.Minutiae)
			}
			var m match.Matcher
			score := m.Compare(prepared[0], prepared[1])
			fmr := match.FMRAt(score)
			decision := "different fingers"
			switch {
			case score >= match.ThresholdFMR1e4:
				decision = "same finger (FMR 0.01%)"
			case score >= match.ThresholdFMR1e3:
				decision = "same finger (FMR 0.1%)"
			case score >= match.ThresholdFMR1e2:
				decision = "same finger (FMR 1%)"
			}
			if asJSON {
				return json.NewEncoder(cli.Stdout).Encode(map[string]any{
					"a": args[0], "b": args[1], "a_kind": kinds[0], "b_kind": kinds[1],
					"a_minutiae": counts[0], "b_minutiae": counts[1],
					"score": score, "fmr": fmr, "decision": decision,
				})
			}
			fmt.Fprintf(cli.Stdout, "A: %s (%s, %d minutiae)\nB: %s (%s, %d minutiae)\nscore %.4f  FMR %s  %s\n",
				args[0], kinds[0], counts[0], args[1], kinds[1], counts[1], score, formatRate(fmr), decision)
			return nil
		},
	})
}

func formatRate(r float64) string {
	switch {
	case r >= 0.01:
		return fmt.Sprintf("%.1f%%", 100*r)
	case r >= 1e-4:
		return fmt.Sprintf("%.3f%%", 100*r)
	}
	return fmt.Sprintf("%.1e", r)
}

func registerEvalFingerprints() {
	var (
		asJSON, thresholds bool
		ppi                float64
		plotDir            string
		workers            int
		noWithin           string
		worst              int
		cropSpec           string
		cropShift          string
	)
	register(&command{
		Path:    "eval fingerprints",
		Summary: "measure extraction and 1:1 matching on FVC-style folders",
		Usage:   "eval fingerprints [--json] [--ppi N] [--plot-dir DIR] [--thresholds] [--worst N] [--crop WxH[@minutiae] [--crop-shift DX,DY]] DIR...",
		Help: `For each folder of fingerprint images named FINGER_IMPRESSION.ext (FVC:
101_1.tif ... 110_8.tif; NIST SD29 style a001_03p.pgm also works), extracts
every image, compares every genuine pair (two impressions of one finger) and
every impostor pair (impressions of two different fingers) once, and reports:

  eer                    equal error rate, % (FVC's definition)
  fnmr_at_fmr_1e-2/1e-3  false non-match rate at a false-match rate of 1%
                         and 0.1%, % (the lowest threshold that reaches it)
  fnmr_at_fmr_0          FNMR when no impostor pair is accepted, %
  genuine_pairs, impostor_pairs, failed_extractions
  extract_ms_median/p90  extraction time per image (each timed alone)
  comparisons_per_second all the folder's pairs compared repeatedly on one
                         goroutine for a second
  minutiae_mean, quality_mean

A failed extraction scores 0 in all its pairs (FVC counts it as a
rejection). A DET curve (normal-deviate axes) is written per folder as
det-NAME.svg in --plot-dir. Without --json a table is printed; with --json
one JSON object per folder per line. Progress goes to standard error.

--thresholds also pools the impostor pairs of all folders with every pair
across folders and prints the score thresholds for FMR 1%, 0.1% and 0.01%
(with an exponential tail fit for 0.01%): this is how the constants in
biometric/match were measured. --no-within FOLDER leaves out the pairs
within that folder from the pool (for sets whose file names do not identify
fingers safely).

--worst N lists the N genuine pairs of lowest score per folder (JSON:
worst_genuine), lowest first: the prints to look at when the EER is high.

--crop WxH cuts every image (at 500 ppi) to W x H pixels around its centre
before extraction; --crop WxH@minutiae around the mean position of the
minutiae of the whole image. Large prints cut so stand in for a small
sensor's (FVC2002 DB3_B is 300x300) without using the small sensor's own
images: the matcher's constants for small prints were tuned on DB1_B and
DB2_B cut to 260x300 and 220x260 (centre) and 200x200 and 240x240
(@minutiae). JSON: crop. Extraction times are the cut images'.
--crop-shift DX,DY moves the cut DX pixels right and DY down (negative:
left, up): the figures of the crops move by several points when they are
cut a pixel elsewhere, so a change is judged on several shifted cuts.

FVC2002 DB2_B was scanned at 569 ppi and its TIFFs state no resolution:
give --ppi 569 for it (images are normalised to 500 ppi).

Examples:
  checkpost eval fingerprints ../shared/data/fingerprints/fvc2002/DB1_B
  checkpost eval fingerprints --json --plot-dir out ../shared/data/fingerprints/fvc2002/DB*_B
  checkpost eval fingerprints --ppi 569 --json ../shared/data/fingerprints/fvc2002/DB2_B
  checkpost eval fingerprints --crop 220x260 --plot-dir "" ../shared/data/fingerprints/fvc2002/DB1_B`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print one JSON object per folder per line")
			fs.Float64Var(&ppi, "ppi", 0, "resolution of images that state none (default 500)")
			fs.StringVar(&plotDir, "plot-dir", ".", "folder for the DET plots (det-NAME.svg); empty for none")
			fs.IntVar(&workers, "workers", 0, "parallel extractions (default: number of CPUs)")
			fs.BoolVar(&thresholds, "thresholds", false, "also measure score thresholds on the pooled impostor pairs")
			fs.IntVar(&worst, "worst", 0, "list the N genuine pairs of lowest score per folder")
			fs.StringVar(&noWithin, "no-within", "", "comma-separated folders whose within-folder pairs stay out of the --thresholds pool")
			fs.StringVar(&cropSpec, "crop", "", "cut each image to WxH pixels (centre, or WxH@minutiae) before extraction")
			fs.StringVar(&cropShift, "crop-shift", "", "move --crop's cut by DX,DY pixels (right, down)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) == 0 {
				return usageError("want at least one DIR")
			}
			crop, err := parseFingerCrop(cropSpec)
			if err != nil {
				return usageError("%v", err)
			}
			if err := parseCropShift(crop, cropShift); err != nil {
				return usageError("%v", err)
			}
			load := func(p string) (*image.Gray, error) { return loadFingerImage(p, ppi) }
			if crop != nil {
				load = func(p string) (*image.Gray, error) {
					img, err := loadFingerImage(p, ppi)
					if err != nil {
						return nil, err
					}
					return crop.apply(img), nil
				}
			}
			opt := eval.Options{
				Load:     load,
				Workers:  workers,
				Progress: cli.Stderr,
				Worst:    worst,
			}
			if worst < 0 {
				return usageError("--worst wants a count of 0 or more")
			}
			var reps []*eval.Report
			tw := tabwriter.NewWriter(cli.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			if !asJSON {
				fmt.Fprintln(tw, "folder\tEER %\tFNMR@FMR1% %\tFNMR@FMR0.1% %\tgenuine\timpostor\tfailed\textract ms\tcomparisons/s\tminutiae\tquality\t")
			}
			for _, dir := range args {
				rep, err := eval.Run(ctx, dir, opt)
				if err != nil {
					return err
				}
				rep.Crop = cropSpec
				if plotDir != "" {
					if err := os.MkdirAll(plotDir, 0o755); err != nil {
						return err
					}
					name := filepath.Join(plotDir, "det-"+sanitize(rep.Name())+".svg")
					if cropSpec != "" {
						name = filepath.Join(plotDir, "det-"+sanitize(rep.Name()+"-"+cropSpec)+".svg")
					}
					var buf bytes.Buffer
					r := eval.NewRates(rep.Genuine, rep.Impostor)
					title := fmt.Sprintf("DET %s: %d genuine, %d impostor pairs", rep.Name(), rep.GenuinePairs, rep.ImpostorPairs)
					if err := eval.WriteDET(&buf, title, []string{rep.Name()}, []*eval.Rates{r}); err != nil {
						return err
					}
					if err := writeFileAtomic(name, buf.Bytes()); err != nil {
						return err
					}
					rep.DETPlot = name
					fmt.Fprintf(cli.Stderr, "%s: DET curve in %s\n", rep.Name(), name)
				}
				if asJSON {
					if err := json.NewEncoder(cli.Stdout).Encode(rep); err != nil {
						return err
					}
				} else {
					fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t%.1f\t%.0f\t%.1f\t%.1f\t\n", rep.Name(), rep.EER, rep.FNMRAtFMR1e2,
						rep.FNMRAtFMR1e3, rep.GenuinePairs, rep.ImpostorPairs, rep.Failed, rep.ExtractMSMedian, rep.ComparisonsPerSecond,
						rep.MinutiaeMean, rep.QualityMean)
				}
				reps = append(reps, rep)
			}
			if !asJSON {
				if err := tw.Flush(); err != nil {
					return err
				}
				for _, rep := range reps {
					if len(rep.WorstGenuine) == 0 {
						continue
					}
					fmt.Fprintf(cli.Stdout, "\n%s: genuine pairs of lowest score (FMR 1%% threshold %.5f)\n", rep.Name(), match.ThresholdFMR1e2)
					for _, p := range rep.WorstGenuine {
						fmt.Fprintf(cli.Stdout, "  %-14s %-14s %.5f\n", p.A, p.B, p.Score)
					}
				}
			}
			if thresholds {
				skip := map[string]bool{}
				for _, d := range strings.Split(noWithin, ",") {
					if d != "" {
						skip[d] = true
					}
				}
				fmt.Fprintf(cli.Stderr, "pooling impostor pairs across %d folders\n", len(reps))
				th := eval.MeasureThresholds(eval.PooledImpostors(ctx, reps, skip))
				if asJSON {
					return json.NewEncoder(cli.Stdout).Encode(th)
				}
				fmt.Fprintf(cli.Stdout, "\npooled impostor pairs: %d\nthreshold FMR 1%%: %.5f\nthreshold FMR 0.1%%: %.5f\nthreshold FMR 0.01%%: %.5f (empirical), %.5f (exponential tail fit, mean excess %.5f)\n",
					th.ImpostorPairs, th.FMR1e2, th.FMR1e3, th.FMR1e4, th.FMR1e4Tail, th.TailMean)
			}
			return ctx.Err()
		},
	})
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' {
			return '_'
		}
		return r
	}, s)
}
