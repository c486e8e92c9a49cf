package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"checkpost/devices"
	"checkpost/engine/docauth"
	"checkpost/engine/docauth/profile"
)

// defaultProfilesDir is where profiles are kept when --profiles is left
// out (the environment variable CHECKPOST_PROFILES overrides it); verify
// looks there too.
const defaultProfilesDir = "var/profiles"

func profilesDirFlag(fs *flag.FlagSet, dir *string) {
	fs.StringVar(dir, "profiles", envOr("CHECKPOST_PROFILES", defaultProfilesDir), "folder of document profiles (env CHECKPOST_PROFILES)")
}

func init() {
	registerGroupOnce("profile", "learn, list, show, export and import document model profiles",
		`A profile is the reference "signature" of a document model: its page, its
regions (MRZ, portrait, printed fields, UV features) and, per light, the
measurements genuine documents give, with their accepted ranges. The
document checks of "checkpost verify" compare every capture with the
profile of its model. Profiles are JSON files in a folder (--profiles); a
replaced revision moves to the folder's history/.`)
	registerProfileLearn()
	registerProfileList()
	registerProfileShow()
	registerProfileExport()
	registerProfileImport()
}

func registerProfileLearn() {
	var dir, model, title, issuer, codes, format, page, regions, generation string
	var year int
	var validity float64
	register(&command{
		Path:    "profile learn",
		Summary: "learn a document model's profile from genuine captures",
		Usage:   "profile learn [--profiles DIR] --model ID [--issuer C --codes P,PO --format TD3] [--page WxH] [--regions FILE] [--max-validity YEARS] CAPTURE...",
		Help: `Learns the profile of one document model from captures of genuine
documents and stores it in the profiles folder as the model's next
revision. A CAPTURE is a folder as "checkpost simulate" writes it
(white.png, ir.png, uv.png, truth.json) or as a document reader saves
it (WHITE.bmp, IR.bmp, UV.bmp).

Each capture's page is found, oriented (the first capture's MRZ at the
bottom, the others registered to it) and rectified; the mean images
become the profile's templates, and every measurement's accepted range
follows from its spread over the captures (with floors, so that one
capture is enough to start with). The more captures, and the more they
vary (devices, wear), the better the ranges.

Regions come from the captures' ground truth (simulator captures), from
--regions (a JSON file {"front": [{"name": "portrait", "kind":
"portrait", "box": [x0, y0, x1, y1]}, ...], "back": [...]}, boxes in
page fractions from the top-left corner), and by default the MRZ's
standard place and the UV features found in the mean UV image.

The issuer, document codes and MRZ format identify the model from the
MRZ at the counter; simulator captures carry them, real captures need
--issuer, --codes and --format.

Examples:
  checkpost simulate --count 24 --seed 1 --out var/sim/learn-passport
  checkpost profile learn --model uto-passport var/sim/learn-passport/*
  checkpost profile learn --profiles var/profiles --model d-passport-2017 \
      --issuer D --codes P,PO --format TD3 --regions d-passport-regions.json \
      ../shared/data/scanner/de-specimen`,
		Flags: func(fs *flag.FlagSet) {
			profilesDirFlag(fs, &dir)
			fs.StringVar(&model, "model", "", "profile id: lower-case letters, digits, '.', '_', '-' (required)")
			fs.StringVar(&title, "title", "", "description of the model")
			fs.StringVar(&issuer, "issuer", "", "issuing state as the MRZ writes it, without fillers (D, UTO)")
			fs.StringVar(&codes, "codes", "", "MRZ document codes of the model, comma-separated (P,PO)")
			fs.StringVar(&format, "format", "", "MRZ format: TD1, TD2, TD3, MRV-A or MRV-B")
			fs.StringVar(&generation, "generation", "", "generation of the model (free text)")
			fs.IntVar(&year, "year", 0, "year the model was introduced")
			fs.StringVar(&page, "page", "", "page size in mm, WxH (default: measured from the captures' resolution, else the format's standard size)")
			fs.StringVar(&regions, "regions", "", "JSON file of regions per side")
			fs.Float64Var(&validity, "max-validity", 0, "longest validity the issuer gives the model, in years, from the printed date of issue to the date of expiry (10 for most adults' passports); a capture whose MRZ expires later (by more than a year's grace) FAILs viz.mrz.consistency where a field.issue_date region is read (default: the longest among simulator captures' ground truth, else not checked)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if model == "" {
				return usageError("--model is required")
			}
			if !profile.ValidID(model) {
				return usageError("--model %q: want lower-case letters, digits, '.', '_' or '-' (at most 64)", model)
			}
			if len(args) == 0 {
				return usageError("give at least one capture folder")
			}
			if validity < 0 || validity > 50 {
				return usageError("--max-validity %g: want years, 0 to 50", validity)
			}
			opt := docauth.LearnOptions{ID: model, Title: title, Issuer: issuer, MRZFormat: format, Generation: generation, Year: year,
				MaxValidityDays: int(math.Round(validity * 365.25))}
			if codes != "" {
				opt.DocumentCodes = strings.Split(codes, ",")
			}
			if page != "" {
				w, h, ok := strings.Cut(page, "x")
				wf, err1 := strconv.ParseFloat(w, 64)
				hf, err2 := strconv.ParseFloat(h, 64)
				if !ok || err1 != nil || err2 != nil || wf <= 0 || hf <= 0 {
					return usageError("--page %q: want WIDTHxHEIGHT in mm, e.g. 125x88", page)
				}
				opt.PageMM = [2]float64{wf, hf}
			}
			if regions != "" {
				data, err := os.ReadFile(regions)
				if err != nil {
					return err
				}
				dec := json.NewDecoder(strings.NewReader(string(data)))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&opt.Regions); err != nil {
					return fmt.Errorf("--regions %s: %w", regions, err)
				}
			}
			var caps []*devices.Capture
			for i, a := range args {
				c, err := devices.Load(a)
				if err != nil {
					return err
				}
				caps = append(caps, c)
				fmt.Fprintf(cli.Stderr, "\rloaded %d/%d captures", i+1, len(args))
			}
			fmt.Fprintln(cli.Stderr)
			last := ""
			opt.Progress = func(pass string, done, total int) {
				if pass != last && last != "" {
					fmt.Fprintln(cli.Stderr)
				}
				last = pass
				fmt.Fprintf(cli.Stderr, "\r%s: %d/%d", pass, done, total)
			}
			p, err := docauth.Learn(ctx, caps, opt)
			fmt.Fprintln(cli.Stderr)
			if err != nil {
				return err
			}
			st, err := profile.OpenStore(dir)
			if err != nil {
				return err
			}
			if err := st.Put(p); err != nil {
				return err
			}
			fmt.Fprintf(cli.Stdout, "learned %s revision %d from %d captures: %s %s, page %gx%g mm, stored in %s\n",
				p.ID, p.Revision, len(caps), p.Issuer, strings.Join(p.DocumentCodes, ","), p.Page.WidthMM, p.Page.HeightMM, filepath.Join(dir, p.ID+".json"))
			for _, s := range p.Sides {
				fmt.Fprintf(cli.Stdout, "  %s: %d regions, %d measurements\n", s.Name, len(s.Regions), len(s.Measurements))
			}
			return nil
		},
	})
}

func registerProfileList() {
	var dir string
	register(&command{
		Path:    "profile list",
		Summary: "list the stored profiles",
		Usage:   "profile list [--profiles DIR]",
		Help: `Lists the current revision of every profile in the folder: id, revision,
issuer, document codes, MRZ format, page size, how many captures it was
learned from and when.

Example:
  checkpost profile list --profiles var/profiles`,
		Flags: func(fs *flag.FlagSet) { profilesDirFlag(fs, &dir) },
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			st, err := profile.OpenStore(dir)
			if err != nil {
				return err
			}
			ps, listErr := st.List()
			tw := tabwriter.NewWriter(cli.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tREV\tISSUER\tCODES\tFORMAT\tPAGE (mm)\tCAPTURES\tLEARNED")
			for _, p := range ps {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%gx%g\t%d\t%s\n", p.ID, p.Revision, p.Issuer, strings.Join(p.DocumentCodes, ","),
					p.MRZFormat, p.Page.WidthMM, p.Page.HeightMM, p.Learned.Captures, p.Learned.At.Format("2006-01-02 15:04"))
			}
			tw.Flush()
			if listErr != nil {
				return fmt.Errorf("some profiles could not be read: %w", listErr)
			}
			return nil
		},
	})
}

func registerProfileShow() {
	var dir string
	register(&command{
		Path:    "profile show",
		Summary: "show a profile's regions and measurements",
		Usage:   "profile show [--profiles DIR] ID",
		Help: `Shows one profile: identity, page, and per side its regions (boxes in
page fractions) and measurements (mean, spread, accepted range).
"checkpost profile export" prints the whole JSON.

Example:
  checkpost profile show uto-passport`,
		Flags: func(fs *flag.FlagSet) { profilesDirFlag(fs, &dir) },
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) != 1 {
				return usageError("give one profile id")
			}
			st, err := profile.OpenStore(dir)
			if err != nil {
				return err
			}
			p, err := st.Get(args[0])
			if err != nil {
				return err
			}
			w := cli.Stdout
			fmt.Fprintf(w, "%s revision %d: %s\n", p.ID, p.Revision, p.Title)
			fmt.Fprintf(w, "issuer %s, document codes %s, MRZ format %s, page %gx%g mm\n", p.Issuer, strings.Join(p.DocumentCodes, ","), p.MRZFormat, p.Page.WidthMM, p.Page.HeightMM)
			if p.Generation != "" || p.Year != 0 {
				fmt.Fprintf(w, "generation %s, year %d\n", p.Generation, p.Year)
			}
			if p.MaxValidityDays > 0 {
				fmt.Fprintf(w, "valid at most %d days (%.1f years) from the date of issue\n", p.MaxValidityDays, float64(p.MaxValidityDays)/365.25)
			}
			fmt.Fprintf(w, "learned %s from %d captures (%s)\n", p.Learned.At.Format("2006-01-02 15:04"), p.Learned.Captures, p.Learned.Tool)
			if revs, err := st.History(p.ID); err == nil && len(revs) > 0 {
				fmt.Fprintf(w, "earlier revisions kept: %v\n", revs)
			}
			for _, s := range p.Sides {
				fmt.Fprintf(w, "\n%s side (MRZ: %v)\n", s.Name, s.MRZ)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "  REGION\tKIND\tBOX (x0 y0 x1 y1)")
				for _, r := range s.Regions {
					k := string(r.Kind)
					if r.IRDark {
						k += " (IR-dark)"
					}
					fmt.Fprintf(tw, "  %s\t%s\t%.3f %.3f %.3f %.3f\n", r.Name, k, r.Box[0], r.Box[1], r.Box[2], r.Box[3])
				}
				tw.Flush()
				tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "  MEASUREMENT\tN\tMEAN\tSTD\tACCEPTED")
				for _, m := range s.Measurements {
					fmt.Fprintf(tw, "  %s\t%d\t%.4g\t%.3g\t%s\n", m.Name, m.N, m.Mean, m.Std, rangeText(m))
				}
				tw.Flush()
				var names []string
				for _, g := range s.Templates {
					names = append(names, fmt.Sprintf("%s %dx%d", g.Name, g.W, g.H))
				}
				sort.Strings(names)
				fmt.Fprintf(w, "  templates: %s\n", strings.Join(names, ", "))
			}
			return nil
		},
	})
}

func rangeText(m profile.Measurement) string {
	switch {
	case m.Lo != nil && m.Hi != nil:
		return fmt.Sprintf("%.4g .. %.4g", *m.Lo, *m.Hi)
	case m.Lo != nil:
		return fmt.Sprintf(">= %.4g", *m.Lo)
	case m.Hi != nil:
		return fmt.Sprintf("<= %.4g", *m.Hi)
	}
	return "(reference only)"
}

func registerProfileExport() {
	var dir, out string
	register(&command{
		Path:    "profile export",
		Summary: "write a profile as JSON",
		Usage:   "profile export [--profiles DIR] [--out FILE] ID",
		Help: `Writes the current revision of a profile as JSON (the format "profile
import" reads), to standard output or to --out.

Example:
  checkpost profile export --out uto-passport.json uto-passport`,
		Flags: func(fs *flag.FlagSet) {
			profilesDirFlag(fs, &dir)
			fs.StringVar(&out, "out", "", "file to write (default: standard output)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) != 1 {
				return usageError("give one profile id")
			}
			st, err := profile.OpenStore(dir)
			if err != nil {
				return err
			}
			p, err := st.Get(args[0])
			if err != nil {
				return err
			}
			data, err := profile.Encode(p)
			if err != nil {
				return err
			}
			data = append(data, '\n')
			if out == "" {
				_, err = cli.Stdout.Write(data)
				return err
			}
			if _, err := os.Stat(out); err == nil {
				return fmt.Errorf("%s exists; not overwriting it", out)
			}
			return os.WriteFile(out, data, 0o644)
		},
	})
}

func registerProfileImport() {
	var dir, id string
	register(&command{
		Path:    "profile import",
		Summary: "add profiles from JSON files",
		Usage:   "profile import [--profiles DIR] [--id NEW] FILE...",
		Help: `Reads profiles written by "profile export" (or by another checkpost), checks
them, and stores each as the next revision of its id; the revision it
replaces moves to the folder's history/. --id stores a single file under
another id. A file that does not read or validate is named and nothing of it
is stored.

Example:
  checkpost profile import --profiles var/profiles uto-passport.json`,
		Flags: func(fs *flag.FlagSet) {
			profilesDirFlag(fs, &dir)
			fs.StringVar(&id, "id", "", "store under this id (one file only)")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) == 0 {
				return usageError("give at least one profile file")
			}
			if id != "" && len(args) != 1 {
				return usageError("--id takes one file")
			}
			if id != "" && !profile.ValidID(id) {
				return usageError("--id %q is not a profile id", id)
			}
			st, err := profile.OpenStore(dir)
			if err != nil {
				return err
			}
			var errs []error
			for _, a := range args {
				data, err := os.ReadFile(a)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				p, err := profile.Decode(data)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", a, err))
					continue
				}
				if id != "" {
					p.ID = id
				}
				if err := st.Put(p); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", a, err))
					continue
				}
				fmt.Fprintf(cli.Stdout, "imported %s as %s revision %d\n", a, p.ID, p.Revision)
			}
			return errors.Join(errs...)
		},
	})
}
