package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"checkpost/server"
	"checkpost/server/crypt"
	"checkpost/server/store"
)

// defaultKeyFile is where the keys live when neither --key-file nor
// CHECKPOST_DATA_KEY says otherwise: beside the database.
func defaultKeyFile(dbPath string) string {
	return filepath.Join(filepath.Dir(dbPath), "checkpost.keys")
}

// loadKeys finds the keyring for the database at dbPath (see
// crypt.Resolve). A new key file is generated only when mayGenerate is set
// and the database has never been used with keys.
func loadKeys(ctx context.Context, db *store.DB, keyFile string, mayGenerate bool) (*crypt.Keyring, crypt.Source, error) {
	if mayGenerate {
		used, err := db.HasVault(ctx)
		if err != nil {
			return nil, crypt.Source{}, err
		}
		mayGenerate = !used
	}
	k, src, err := crypt.Resolve(keyFile, os.Getenv(crypt.EnvVar), defaultKeyFile(db.Path()), mayGenerate)
	if err != nil && !mayGenerate && keyFile == "" && os.Getenv(crypt.EnvVar) == "" {
		return nil, src, fmt.Errorf("%w\n(the database %s holds data encrypted with keys that were not found: restore the key file from its backup)", err, db.Path())
	}
	return k, src, err
}

// parseRetention reads a retention period: a Go duration ("720h") or a
// number of days ("30d"); "0" keeps evidence until deleted.
func parseRetention(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("retention %q: want a number of days such as 30d, or a duration such as 12h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("retention %q: want a number of days such as 30d, or a duration such as 12h", s)
	}
	return d, nil
}

func init() {
	registerGroup("key", "manage the data keys that encrypt images, templates and reports",
		`checkpost encrypts fingerprint templates, finger images, document images, reports
and traveller details with AES-256-GCM. The keys live in a key file (--key-file,
mode 0600) or in the environment variable CHECKPOST_DATA_KEY, never in the
database. By default the key file is checkpost.keys beside the database.`)

	var db, keyFile string
	var noReencrypt bool
	dbFlags := func(fs *flag.FlagSet) {
		fs.StringVar(&db, "db", defaultDB, "SQLite database file")
		fs.StringVar(&keyFile, "key-file", "", "key file (default: $"+crypt.EnvVar+", else checkpost.keys beside the database)")
	}
	openVault := func(ctx context.Context) (*store.Vault, crypt.Source, func(), error) {
		d, err := store.Open(ctx, db)
		if err != nil {
			return nil, crypt.Source{}, nil, err
		}
		keys, src, err := loadKeys(ctx, d, keyFile, false)
		if err != nil {
			d.Close()
			return nil, src, nil, err
		}
		v, err := store.NewVault(ctx, d, keys)
		if err != nil {
			d.Close()
			return nil, src, nil, err
		}
		return v, src, func() { d.Close() }, nil
	}

	register(&command{
		Path:    "key status",
		Summary: "list the data keys and how much stored data each one seals",
		Usage:   "key status [--db PATH] [--key-file FILE]",
		Help: `Prints each key of the keyring, which one is active, and how many stored
blobs (and bytes) each seals. After a rotation, an old key that seals nothing
any more can be retired with "checkpost key retire".

Example:
  checkpost key status --db var/checkpost.db`,
		Flags: dbFlags,
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			v, src, closeDB, err := openVault(ctx)
			if err != nil {
				return err
			}
			defer closeDB()
			usage, err := v.KeyUsage(ctx)
			if err != nil {
				return err
			}
			where := "environment variable " + crypt.EnvVar
			if src.Path != "" {
				where = src.Path
			}
			fmt.Fprintf(cli.Stdout, "keys from %s\n", where)
			for _, id := range v.Keys().IDs() {
				var u store.KeyUse
				for _, x := range usage {
					if x.KeyID == id {
						u = x
					}
				}
				mark := ""
				if id == v.Keys().ActiveID() {
					mark = " (active)"
				}
				fmt.Fprintf(cli.Stdout, "%s%s\t%d blobs\t%d bytes\n", id, mark, u.Blobs, u.Bytes)
			}
			return nil
		},
	})

	register(&command{
		Path:    "key rotate",
		Summary: "add a new data key to the key file and re-encrypt stored data with it",
		Usage:   "key rotate [--db PATH] [--key-file FILE] [--no-reencrypt]",
		Help: `Adds a new random key to the key file (rewritten atomically, mode 0600) and makes
it the active key; old keys stay in the file so old data remains readable.
Then it re-encrypts every stored blob with the new key, in batches, with
progress on stderr. Each batch commits on its own: if the command is stopped,
run it again (or start the server, which resumes by itself) and it carries on.
A running server keeps using the key it started with for new data until it is
restarted; "POST /api/v1/admin/keys/rotate" rotates a running server instead.

Keys given in CHECKPOST_DATA_KEY cannot be rotated in place: write them to a
key file first ("checkpost key rotate --key-file NEW" reads the variable).

Example:
  checkpost key rotate --db var/checkpost.db
  checkpost key rotate --db var/checkpost.db --no-reencrypt   # re-encrypt later`,
		Flags: func(fs *flag.FlagSet) {
			dbFlags(fs)
			fs.BoolVar(&noReencrypt, "no-reencrypt", false, "only add the key; the server re-encrypts in the background on its next start")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			d, err := store.Open(ctx, db)
			if err != nil {
				return err
			}
			defer d.Close()
			target := keyFile
			if target == "" {
				target = defaultKeyFile(db)
			}
			var current *crypt.Keyring
			if _, err := os.Stat(target); err == nil {
				current, err = crypt.LoadFile(target)
				if err != nil {
					return err
				}
			} else if env := os.Getenv(crypt.EnvVar); env != "" {
				if current, err = crypt.Parse([]byte(env)); err != nil {
					return fmt.Errorf("%s: %w", crypt.EnvVar, err)
				}
			} else {
				return fmt.Errorf("no keys to rotate: %s does not exist and %s is not set", target, crypt.EnvVar)
			}
			// Refuse keys that are not this database's before writing anything.
			if _, err := store.NewVault(ctx, d, current); err != nil {
				return err
			}
			next, err := current.Rotate()
			if err != nil {
				return err
			}
			if err := next.WriteFile(target); err != nil {
				return err
			}
			v, err := store.NewVault(ctx, d, next)
			if err != nil {
				return err
			}
			if _, err := v.Audit(ctx, store.AuditEntry{Actor: store.Actor{Kind: "cli", Name: cliUser()}, Action: "key.rotate",
				ObjectType: "key", ObjectID: next.ActiveID(), Details: map[string]string{"previous": current.ActiveID()}}); err != nil {
				return err
			}
			fmt.Fprintf(cli.Stderr, "key file %s: new active key %s (previous %s kept for reading)\n", target, next.ActiveID(), current.ActiveID())
			if noReencrypt {
				return nil
			}
			return reencrypt(ctx, cli, v)
		},
	})

	register(&command{
		Path:    "key reencrypt",
		Summary: "re-encrypt stored data sealed with old keys under the active key",
		Usage:   "key reencrypt [--db PATH] [--key-file FILE]",
		Help: `Finishes the work of a rotation: every blob sealed with a key other than the
active one is re-encrypted, in batches that each commit on their own, with
progress on stderr. Safe to stop and run again, and safe beside a running
server.

Example:
  checkpost key reencrypt --db var/checkpost.db`,
		Flags: dbFlags,
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			v, _, closeDB, err := openVault(ctx)
			if err != nil {
				return err
			}
			defer closeDB()
			return reencrypt(ctx, cli, v)
		},
	})

	var retireID string
	register(&command{
		Path:    "key retire",
		Summary: "remove an old key from the key file once no stored data needs it",
		Usage:   "key retire [--db PATH] [--key-file FILE] --id KEY",
		Help: `Removes a key from the key file. It refuses the active key and any key that
still seals stored data (run "checkpost key reencrypt" first). Keep a backup of
the old key file until backups of the database made before the rotation have
expired: they still need the old key.

Example:
  checkpost key retire --db var/checkpost.db --id k3f2a91c0b7de`,
		Flags: func(fs *flag.FlagSet) {
			dbFlags(fs)
			fs.StringVar(&retireID, "id", "", "the id of the key to remove")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 || retireID == "" {
				return usageError("--id KEY is required")
			}
			v, src, closeDB, err := openVault(ctx)
			if err != nil {
				return err
			}
			defer closeDB()
			if src.Path == "" {
				return fmt.Errorf("the keys come from %s: edit the variable instead", crypt.EnvVar)
			}
			next, err := v.Keys().Retire(retireID)
			if err != nil {
				return err
			}
			if err := v.SetKeys(ctx, next); err != nil {
				return err
			}
			if err := next.WriteFile(src.Path); err != nil {
				return err
			}
			if _, err := v.Audit(ctx, store.AuditEntry{Actor: store.Actor{Kind: "cli", Name: cliUser()}, Action: "key.retire",
				ObjectType: "key", ObjectID: retireID}); err != nil {
				return err
			}
			fmt.Fprintf(cli.Stderr, "key %s removed from %s\n", retireID, src.Path)
			return nil
		},
	})
}

func reencrypt(ctx context.Context, cli *cliEnv, v *store.Vault) error {
	start := time.Now()
	last := time.Time{}
	n, err := v.ReencryptAll(ctx, func(done, remaining int64) {
		if time.Since(last) > time.Second || remaining == 0 {
			fmt.Fprintf(cli.Stderr, "re-encrypted %d blobs, %d to go\n", done, remaining)
			last = time.Now()
		}
	})
	if err != nil {
		return fmt.Errorf("re-encryption stopped after %d blobs (run \"checkpost key reencrypt\" to resume): %w", n, err)
	}
	fmt.Fprintf(cli.Stderr, "re-encryption done: %d blobs in %s; every blob is sealed with %s\n", n, time.Since(start).Round(time.Millisecond), v.Keys().ActiveID())
	return nil
}

// cliUser names the operator in the audit log.
func cliUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "operator"
}

// openServeVault loads the keys for "checkpost serve" (generating a key
// file on the very first start, and saying so) and opens the vault.
func openServeVault(ctx context.Context, cli *cliEnv, db *store.DB, keyFile string, retention time.Duration) (*store.Vault, server.KeySource, error) {
	keys, src, err := loadKeys(ctx, db, keyFile, true)
	if err != nil {
		return nil, server.KeySource{}, err
	}
	if src.Generated {
		cli.Log.Warn("no data key configured: generated a new key file; back it up, without it the encrypted images, templates and reports are lost",
			"path", src.Path, "mode", "0600", "key", keys.ActiveID())
	}
	v, err := store.NewVault(ctx, db, keys)
	if err != nil {
		return nil, server.KeySource{}, err
	}
	v.SetRetention(retention)
	from := "environment " + crypt.EnvVar
	if src.Path != "" {
		from = src.Path
	}
	cli.Log.Info("data keys loaded", "from", from, "active", keys.ActiveID(), "keys", len(keys.IDs()), "retention", retention)
	return v, server.KeySource{File: src.Path}, nil
}
