package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"checkpost/server"
	"checkpost/server/store"
)

// defaultDB is where the embedded database lives when --db is left out.
const defaultDB = "var/checkpost.db"

func init() {
	var addr, db, keyFile, retention, profiles string
	var shutdown, reload time.Duration
	var tlsOpt serveTLS
	register(&command{
		Path:    "serve",
		Summary: "serve the counter API, administration and the review page over HTTP or HTTPS",
		Usage:   "serve [--addr ADDR] [--db PATH] [--tls-cert FILE --tls-key FILE | --tls-self-signed]",
		Help: `Opens (or creates) the SQLite database, applies pending schema migrations,
and serves HTTP until SIGINT or SIGTERM; then it stops accepting connections
and finishes the requests in flight before exiting.

On first start (no API token in the database) it creates an admin token and
prints it once: keep it, it is stored only as a hash.

  /healthz   the process is alive
  /readyz    the database is open and migrated, the OCR engine loaded

POST /api/v1/verifications runs the verification pipeline: the MRZ read,
the document checks against the profiles in --profiles, the fingerprint,
lost/stolen document and person watchlists loaded from the database at
start (and reloaded when another command changes them, checked every
--watchlist-reload), then the policy. The OCR-B classifier is trained on
the very first start (about a minute; cached after that): until it is
loaded /readyz answers 503.

HTTPS: --tls-cert and --tls-key serve with the site's certificate;
--tls-self-signed makes a certificate on first start, keeps it beside the
database (tls-cert.pem, tls-key.pem, made again a month before it expires)
and prints its SHA-256 fingerprint: check it against the one the browser
shows the first time. The review page's session cookies are always Secure:
without TLS, browsers keep them only for a server on this machine
(localhost), so serve supervisors on other machines over HTTPS.

Example:
  checkpost serve --addr 127.0.0.1:8080 --db var/checkpost.db
  checkpost serve --addr 0.0.0.0:8443 --db var/checkpost.db --tls-self-signed`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
			fs.StringVar(&db, "db", defaultDB, "SQLite database file (created when missing)")
			fs.DurationVar(&shutdown, "shutdown-timeout", 30*time.Second, "how long to wait for requests in flight on shutdown")
			fs.StringVar(&keyFile, "key-file", "", "data key file (default: $CHECKPOST_DATA_KEY, else checkpost.keys beside the database, generated on first start)")
			fs.StringVar(&retention, "retention", "30d", "how long evidence images and templates are kept (30d, 12h; 0 keeps them)")
			profilesDirFlag(fs, &profiles)
			fs.DurationVar(&reload, "watchlist-reload", 30*time.Second, "how often to look for watchlist changes in the database (0: never)")
			tlsOpt.flags(fs)
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			keep, err := parseRetention(retention)
			if err != nil {
				return usageError("--retention: %v", err)
			}
			if err := tlsOpt.check(); err != nil {
				return usageError("%v", err)
			}
			return runServe(ctx, cli, addr, db, shutdown, keyFile, keep, pipelineConfig{profiles: profiles, reload: reload}, tlsOpt)
		},
	})
}

func runServe(ctx context.Context, cli *cliEnv, addr, dbPath string, shutdown time.Duration, keyFile string, retention time.Duration, pc pipelineConfig, tlsOpt serveTLS) error {
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	// The keys before the first token: a start that fails on its keys must
	// not use up the one moment the admin token is shown.
	vault, keySource, err := openServeVault(ctx, cli, db, keyFile, retention)
	if err != nil {
		return err
	}
	// The TLS certificate too.
	host, _, _ := net.SplitHostPort(addr)
	tlsConfig, err := tlsOpt.config(filepath.Dir(dbPath), host, cli.Stdout)
	if err != nil {
		return err
	}

	n, err := db.CountTokens(ctx)
	if err != nil {
		return err
	}
	var firstToken string
	if n == 0 {
		firstToken, _, err = db.CreateToken(ctx, store.RoleAdmin, "initial-admin")
		if err != nil {
			return err
		}
	}

	verifier, watchLists, err := startPipeline(ctx, cli.Log, db, vault, pc)
	if err != nil {
		return err
	}
	go watchLists(ctx)
	srv := server.New(server.Config{ShutdownTimeout: shutdown, Vault: vault, Keys: keySource, Verifier: verifier}, db, cli.Log)
	verifier.attach(srv)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	url := "http://" + ln.Addr().String()
	if tlsConfig != nil {
		ln, url = tls.NewListener(ln, tlsConfig), "https://"+ln.Addr().String()
	}
	fmt.Fprintf(cli.Stdout, "checkpost %s serving on %s (database %s)\n", version, url, dbPath)
	if firstToken != "" {
		fmt.Fprintf(cli.Stdout, "first start: created an admin API token (shown only now; keep it):\n%s\n", firstToken)
	}
	cli.Log.Info("serving", "url", url, "db", dbPath)
	if err := srv.Run(ctx, ln); err != nil {
		return err
	}
	cli.Log.Info("stopped")
	return nil
}
