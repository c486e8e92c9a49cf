// Command checkpost is the verification engine of an immigration counter:
// it reads machine readable zones, checks documents under white, infrared
// and ultraviolet light, matches fingerprints against watchlists and serves
// counter terminals and supervisors over HTTP.
//
// Run "checkpost --help" for the list of commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &cliEnv{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	code := execute(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}
