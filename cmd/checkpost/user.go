package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"checkpost/server/store"
)

func init() {
	registerGroup("user", "manage the review page's accounts",
		`Supervisors and chiefs sign in to the review page (/ui) with a name and a
password. Passwords are stored only as argon2id hashes. Counter terminals do
not need accounts: they sign in with their API token to see their own
submissions.`)

	var db, name, role string
	register(&command{
		Path:    "user create",
		Summary: "create a supervisor's or chief's account for the review page",
		Usage:   "user create [--db PATH] --name NAME --role supervisor|chief",
		Help: `Creates an account. The password is read from standard input (the first line),
or asked for twice when standard input is a terminal; it needs at least 12
characters. Supervisors review referred cases, decide them, and escalate them
to a chief; chiefs decide any case, escalated ones included.

Examples:
  checkpost user create --db var/checkpost.db --name "A. Rahman" --role supervisor
  printf '%s\n' "$PASSWORD" | checkpost user create --db var/checkpost.db --name chief1 --role chief`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", defaultDB, "SQLite database file")
			fs.StringVar(&name, "name", "", "the name to sign in with")
			fs.StringVar(&role, "role", "", "supervisor or chief")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			r, err := store.ParseAccountRole(role)
			if err != nil {
				return usageError("--role: %v", err)
			}
			if strings.TrimSpace(name) == "" {
				return usageError("--name is required")
			}
			password, err := readPassword(cli, true)
			if err != nil {
				return err
			}
			d, err := store.Open(ctx, db)
			if err != nil {
				return err
			}
			defer d.Close()
			a, err := d.CreateAccount(ctx, name, r, password)
			if err != nil {
				return err
			}
			fmt.Fprintf(cli.Stdout, "created account %d: %s (%s)\n", a.ID, a.Name, a.Role)
			return nil
		},
	})

	var pdb, pname string
	register(&command{
		Path:    "user passwd",
		Summary: "set a new password for an account (and lift a lock)",
		Usage:   "user passwd [--db PATH] --name NAME",
		Help: `Replaces an account's password, read as "user create" reads it, and lifts the
lock that repeated wrong passwords put on the account.

Example:
  checkpost user passwd --db var/checkpost.db --name chief1`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&pdb, "db", defaultDB, "SQLite database file")
			fs.StringVar(&pname, "name", "", "the account's name")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			if strings.TrimSpace(pname) == "" {
				return usageError("--name is required")
			}
			password, err := readPassword(cli, true)
			if err != nil {
				return err
			}
			d, err := store.Open(ctx, pdb)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := d.SetPassword(ctx, pname, password); err != nil {
				return err
			}
			fmt.Fprintf(cli.Stdout, "password of %s changed\n", pname)
			return nil
		},
	})
}

// readPassword reads a password: asked for (twice, without echo) when
// standard input is a terminal, else the first line of standard input.
func readPassword(cli *cliEnv, confirm bool) (string, error) {
	if f, ok := cli.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cli.Stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cli.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if confirm {
			fmt.Fprint(cli.Stderr, "Again: ")
			p2, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(cli.Stderr)
			if err != nil {
				return "", fmt.Errorf("read password: %w", err)
			}
			if string(p1) != string(p2) {
				return "", errors.New("the two passwords differ")
			}
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(io.LimitReader(cli.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageError("no password on standard input (give it on the first line, or run in a terminal)")
	}
	return line, nil
}
