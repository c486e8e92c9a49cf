package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"checkpost/internal/tesseract"

	"github.com/gen2brain/go-fitz"
	"gocv.io/x/gocv"
)

// version is checkpost's own version; release builds set it with
// -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func init() {
	register(&command{
		Path:    "version",
		Summary: "print the versions of checkpost and of the libraries it runs on",
		Usage:   "version",
		Help:    "Prints checkpost's version and build, and the versions of OpenCV, Tesseract and MuPDF linked into this binary.",
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			rev := "unknown"
			if info, ok := debug.ReadBuildInfo(); ok {
				for _, s := range info.Settings {
					if s.Key == "vcs.revision" {
						rev = s.Value
					}
				}
			}
			fmt.Fprintf(cli.Stdout, "checkpost  %s (revision %s, %s %s/%s)\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(cli.Stdout, "OpenCV     %s (gocv %s)\n", gocv.OpenCVVersion(), gocv.Version())
			fmt.Fprintf(cli.Stdout, "Tesseract  %s\n", tesseract.Version())
			fmt.Fprintf(cli.Stdout, "MuPDF      %s\n", fitz.FzVersion)
			return nil
		},
	})
}
