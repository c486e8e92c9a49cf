package web

import (
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"io/fs"
	"math"
	"strings"
	"time"
)

// staticVersion names each embedded asset's content, so that a new build's
// CSS and script are fetched at once despite their hour of caching.
var staticVersion = func() map[string]string {
	out := map[string]string{}
	entries, _ := fs.ReadDir(staticFiles, "static")
	for _, e := range entries {
		b, _ := fs.ReadFile(staticFiles, "static/"+e.Name())
		sum := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return out
}()

var funcs = template.FuncMap{
	"static": func(name string) string { return "/ui/static/" + name + "?v=" + staticVersion[name] },
	"lower":  func(s string) string { return strings.ToLower(s) },
	"fmtTime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"label": func(s string) string {
		for _, a := range actionLabels {
			if a.Value == s {
				return a.Label
			}
		}
		if strings.HasPrefix(s, "finger.") {
			return labelOf(s)
		}
		return fieldLabel(s)
	},
	"deref": func(b *bool) bool { return b != nil && *b },
	"inc":   func(i int) int { return i + 1 },
	// fontSize keeps the region numbers readable whatever the image size.
	// labelY puts a region's number above it, or inside its top when the
	// region touches the top of the image.
	"labelY": func(y float64, fs int) float64 {
		if y >= float64(fs)+4 {
			return y - 4
		}
		return y + float64(fs)
	},
	"fontSize": func(w, h int) int { return max(12, int(math.Round(float64(max(w, h))/20))) },
}

// parsePages parses each page with the layout; a template error is a
// programming error, caught by any test that starts the UI.
func parsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "error", "queue", "mine", "case", "stats"} {
		t := template.Must(template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
		pages[name] = t
	}
	return pages
}
