package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"checkpost/server/crypt"
	"checkpost/server/store"
)

func init() {
	registerGroup("audit", "check and read the hash-chained audit log",
		`Every action on checkpost's data (verifications, evidence reads, decisions, key
rotations, purges) is appended to an audit log in the database. Each entry holds
the SHA-256 hash of the one before, and a head record (sealed with an HMAC under
the data keys) marks the end of the chain.`)

	var db, keyFile, anchor string
	var asJSON bool
	register(&command{
		Path:    "audit verify",
		Summary: "check that no audit entry was edited, deleted, inserted or reordered",
		Usage:   "audit verify [--db PATH] [--key-file FILE] [--anchor SEQ:HASH] [--json]",
		Help: `Walks the whole audit log and checks every link of the hash chain: entry numbers
without gaps, each entry's hash over its fields, each entry's link to the one
before, and the head record against the last entry. Exit status 0 when the
chain is intact, 1 when it is not (each problem is named with its entry).

What it finds: an edited entry (its hash no longer matches), a deleted entry (a
gap), entries swapped or moved (their links say where they were written), an
entry inserted by hand, and deleted newest entries (the head names an entry
that is gone). With the keys (--key-file, CHECKPOST_DATA_KEY, or checkpost.keys
beside the database, found by themselves) it also checks the head's seal, so
that a whole chain rewritten by someone without the keys is found. What no
check inside the database can find: someone with the keys who rewrites the
chain, or the whole database rolled back to an older copy. For those, keep
the last verified entry ("last verified: SEQ HASH", printed on every run)
outside the machine and pass it back with --anchor: the entry must still be
there with that hash.

Examples:
  checkpost audit verify --db var/checkpost.db
  checkpost audit verify --db var/checkpost.db --anchor 10452:3f1c...e9`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", defaultDB, "SQLite database file")
			fs.StringVar(&keyFile, "key-file", "", "key file to check the head's seal (default: $"+crypt.EnvVar+", else checkpost.keys beside the database when present)")
			fs.StringVar(&anchor, "anchor", "", "SEQ:HASH of an entry recorded earlier outside the database; it must still be in the chain")
			fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			var anchorSeq int64
			var anchorHash []byte
			if anchor != "" {
				s, h, ok := strings.Cut(anchor, ":")
				n, err := strconv.ParseInt(s, 10, 64)
				hb, herr := hex.DecodeString(h)
				if !ok || err != nil || herr != nil || n < 1 || len(hb) != 32 {
					return usageError("--anchor: want SEQ:HASH as printed by a previous run, e.g. 120:9f86d0...")
				}
				anchorSeq, anchorHash = n, hb
			}
			if _, err := os.Stat(db); err != nil {
				return fmt.Errorf("database %s: %w", db, err)
			}
			d, err := store.Open(ctx, db)
			if err != nil {
				return err
			}
			defer d.Close()
			var seal func(int64, []byte) []byte
			keys, _, kerr := crypt.Resolve(keyFile, os.Getenv(crypt.EnvVar), defaultKeyFile(db), false)
			if kerr != nil && keyFile != "" {
				return kerr
			}
			if kerr == nil {
				seal = func(seq int64, h []byte) []byte { return store.SealAuditHead(keys, seq, h) }
			}
			rep, err := d.VerifyAudit(ctx, seal, func(n int64) {
				fmt.Fprintf(cli.Stderr, "audit verify: %d entries checked\n", n)
			})
			if err != nil {
				return err
			}
			if anchor != "" {
				entries, err := d.AuditEntries(ctx, anchorSeq, 1)
				if err != nil {
					return err
				}
				switch {
				case len(entries) == 0 || entries[0].Seq != anchorSeq:
					rep.Problems = append(rep.Problems, store.AuditProblem{Seq: anchorSeq, Kind: "truncated", Detail: "the anchored entry is gone"})
				case !strings.EqualFold(store.HexHash(entries[0].Hash), hex.EncodeToString(anchorHash)):
					rep.Problems = append(rep.Problems, store.AuditProblem{Seq: anchorSeq, Kind: "edited", Detail: "the anchored entry's hash differs from the one recorded: the chain was rewritten or rolled back"})
				}
			}
			if asJSON {
				problems := make([]map[string]any, len(rep.Problems))
				for i, p := range rep.Problems {
					problems[i] = map[string]any{"seq": p.Seq, "kind": p.Kind, "detail": p.Detail}
				}
				enc := json.NewEncoder(cli.Stdout)
				enc.SetIndent("", "  ")
				enc.Encode(map[string]any{"intact": rep.Intact(), "entries": rep.Entries,
					"last_verified_seq": rep.LastSeq, "last_verified_hash": store.HexHash(rep.LastHash),
					"head_seq": rep.HeadSeq, "head_seal_checked": rep.HeadSealChecked, "problems": problems})
			} else {
				for _, p := range rep.Problems {
					fmt.Fprintf(cli.Stdout, "TAMPERED %s\n", p)
				}
				if rep.Intact() {
					fmt.Fprintf(cli.Stdout, "audit log intact: %d entries\n", rep.Entries)
				} else {
					fmt.Fprintf(cli.Stdout, "audit log NOT intact: %d problem(s) in %d entries\n", len(rep.Problems), rep.Entries)
				}
				if rep.LastSeq > 0 {
					fmt.Fprintf(cli.Stdout, "last verified: %d:%s\n", rep.LastSeq, store.HexHash(rep.LastHash))
				}
				if rep.HeadSealChecked {
					fmt.Fprintln(cli.Stdout, "head seal: checked with the data keys")
				} else {
					fmt.Fprintln(cli.Stdout, "head seal: not checked (no keys found); a full rewrite of the chain would not be seen")
				}
			}
			if !rep.Intact() {
				return exitStatus(1)
			}
			return nil
		},
	})
}
