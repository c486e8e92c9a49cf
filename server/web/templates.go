package web

import (
	"html/template"
	"math"
	"strings"
	"time"
)

var funcs = template.FuncMap{
	"lower": func(s string) string { return strings.ToLower(s) },
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
	// fontSize keeps the region numbers readable whatever the image size.
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
