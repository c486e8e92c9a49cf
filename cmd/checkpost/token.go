package main

import (
	"context"
	"flag"
	"fmt"

	"checkpost/server/store"
)

func init() {
	registerGroup("token", "manage API tokens", "API tokens authenticate counters, stations, supervisors and administrators.")
	var db, role, name string
	register(&command{
		Path:    "token create",
		Summary: "create an API token with a role",
		Usage:   "token create [--db PATH] --role ROLE --name NAME",
		Help: `Creates a token and prints it on the last line of the output: it is shown
only now (the database keeps a hash). Roles: counter (submits verifications),
station (forgery-detection station), supervisor (reviews cases), admin
(watchlists, profiles, tokens).

Example:
  checkpost token create --db var/checkpost.db --role counter --name "counter 12, terminal 2"`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", defaultDB, "SQLite database file")
			fs.StringVar(&role, "role", "", "role: counter, station, supervisor or admin")
			fs.StringVar(&name, "name", "", "who or what holds the token")
		},
		Run: func(ctx context.Context, cli *cliEnv, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected arguments: %q", args)
			}
			r, err := store.ParseRole(role)
			if err != nil {
				return usageError("--role: %v", err)
			}
			if name == "" {
				return usageError("--name is required")
			}
			d, err := store.Open(ctx, db)
			if err != nil {
				return err
			}
			defer d.Close()
			secret, tok, err := d.CreateToken(ctx, r, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(cli.Stderr, "created token %d (%s, role %s)\n", tok.ID, tok.Name, tok.Role)
			fmt.Fprintln(cli.Stdout, secret)
			return nil
		},
	})
}
