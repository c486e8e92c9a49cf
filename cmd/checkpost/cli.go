package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
)

// A command is one verb of the checkpost tool. Commands with children are
// groups ("mrz", "profile"); leaves have a Run function. Each file of this
// package registers its commands in an init function, so that adding a
// command never touches another file.
type command struct {
	// Path is the full name below "checkpost", e.g. "mrz parse".
	Path string
	// Summary is one line for the parent's list of commands.
	Summary string
	// Usage is the synopsis after "checkpost", e.g. "mrz parse [--json] [FILE...]".
	Usage string
	// Help is the longer text printed by --help, below the synopsis; it
	// should teach: what the command does, with an example or two.
	Help string
	// Flags declares the command's flags; the common flags (logging) are
	// added by the framework.
	Flags func(fs *flag.FlagSet)
	// Run executes the command with the arguments left after the flags.
	Run func(ctx context.Context, cli *cliEnv, args []string) error

	children map[string]*command
}

// cliEnv is what every command gets: its streams and a logger configured
// from the common flags.
type cliEnv struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Log    *slog.Logger
	// Flags is the parsed flag set of the running command.
	Flags *flag.FlagSet
}

// exitError carries an exit status other than 1 (for example 1 without a
// message when a validation failed and the output already says so).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError reports a wrong invocation: exit status 2 and a hint.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

// exitStatus returns err as an exit status without a message.
func exitStatus(code int) error { return &exitError{code: code} }

var root = &command{
	Path:    "",
	Summary: "document-forgery and biometric verification engine for immigration counters",
	Help: `checkpost reads and validates machine readable zones, checks a document's
optical security features under white, infrared and ultraviolet light, matches
fingerprints against watchlists, and answers counter terminals with CLEAR,
REFER or ALERT.

Run "checkpost COMMAND --help" for the flags and examples of a command.`,
}

// register adds c to the command tree under its Path; parents are created as
// groups when missing. registerGroup gives a group its summary.
func register(c *command) {
	parent := root
	parts := strings.Fields(c.Path)
	for i, p := range parts {
		if parent.children == nil {
			parent.children = map[string]*command{}
		}
		child, ok := parent.children[p]
		if i == len(parts)-1 {
			if ok && child.Run != nil {
				panic("checkpost: command registered twice: " + c.Path)
			}
			if ok {
				// The group existed (a child was registered first): keep its children.
				c.children = child.children
			}
			parent.children[p] = c
			return
		}
		if !ok {
			child = &command{Path: strings.Join(parts[:i+1], " ")}
			parent.children[p] = child
		}
		parent = child
	}
}

func registerGroup(path, summary, help string) {
	register(&command{Path: path, Summary: summary, Help: help})
}

// commonFlags are accepted by every command.
type commonFlags struct {
	logFormat string
	logLevel  string
}

func (c *commonFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&c.logFormat, "log-format", envOr("CHECKPOST_LOG_FORMAT", "text"), "log format: text or json (env CHECKPOST_LOG_FORMAT)")
	fs.StringVar(&c.logLevel, "log-level", envOr("CHECKPOST_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env CHECKPOST_LOG_LEVEL)")
}

func (c *commonFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, usageError("--log-level: %q is not one of debug, info, warn, error", c.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError("--log-format: %q is not text or json", c.logFormat)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// execute finds the command named by args, parses its flags and runs it. It
// returns the process exit status.
func execute(ctx context.Context, env *cliEnv, args []string) int {
	cmd := root
	for len(args) > 0 && cmd.children != nil {
		next, ok := cmd.children[args[0]]
		if !ok {
			break
		}
		cmd, args = next, args[1:]
	}
	if cmd.Run == nil {
		// A group: list its children, or complain about the unknown verb.
		if len(args) > 0 && args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
			fmt.Fprintf(env.Stderr, "checkpost: unknown command %q\n\n", strings.TrimSpace(cmd.Path+" "+args[0]))
			printGroupHelp(env.Stderr, cmd)
			return 2
		}
		if len(args) == 0 && cmd != root {
			printGroupHelp(env.Stderr, cmd)
			return 2
		}
		printGroupHelp(env.Stdout, cmd)
		return 0
	}

	fs := flag.NewFlagSet("checkpost "+cmd.Path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if cmd.Flags != nil {
		cmd.Flags(fs)
	}
	var common commonFlags
	common.add(fs)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(env.Stdout, cmd, fs)
			return 0
		}
		fmt.Fprintf(env.Stderr, "checkpost %s: %v\n", cmd.Path, err)
		fmt.Fprintf(env.Stderr, "usage: checkpost %s\nRun \"checkpost %s --help\" for more.\n", cmd.Usage, cmd.Path)
		return 2
	}
	logger, err := common.logger(env.Stderr)
	if err == nil {
		env.Log = logger
		env.Flags = fs
		err = cmd.Run(ctx, env, positional)
	}
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(env.Stderr, "checkpost %s: %s\n", cmd.Path, ee.msg)
		}
		if ee.code == 2 {
			fmt.Fprintf(env.Stderr, "usage: checkpost %s\nRun \"checkpost %s --help\" for more.\n", cmd.Usage, cmd.Path)
		}
		return ee.code
	}
	fmt.Fprintf(env.Stderr, "checkpost %s: %v\n", cmd.Path, err)
	return 1
}

func printGroupHelp(w io.Writer, cmd *command) {
	name := strings.TrimSpace("checkpost " + cmd.Path)
	if cmd.Summary != "" {
		fmt.Fprintf(w, "%s: %s\n\n", name, cmd.Summary)
	}
	fmt.Fprintf(w, "Usage:\n  %s COMMAND [FLAGS] [ARGS]\n\n", name)
	if cmd.Help != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(cmd.Help))
	}
	fmt.Fprintf(w, "Commands:\n")
	names := make([]string, 0, len(cmd.children))
	for n := range cmd.children {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmd.children[n].Summary)
	}
	fmt.Fprintf(w, "\nRun \"%s COMMAND --help\" for more about a command.\n", name)
}

func printCommandHelp(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage:\n  checkpost %s\n\n", cmd.Usage)
	if cmd.Summary != "" {
		fmt.Fprintf(w, "%s.\n\n", strings.TrimSuffix(cmd.Summary, "."))
	}
	if cmd.Help != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(cmd.Help))
	}
	fmt.Fprintf(w, "Flags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parseInterspersed parses flags wherever they appear among the arguments
// ("checkpost verify PATH --json" works like "checkpost verify --json PATH");
// "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// flag stops at "--" (consumed) or at the first non-flag argument.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
