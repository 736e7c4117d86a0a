// Command crmd serves Zoho CRM's REST API from its own database, and administers that database: it
// creates orgs, users, OAuth tokens and grant codes, custom modules and seed data, and runs migrations.
//
// Every command reads its flags from the command line and, for flags not given there, from environment
// variables named CRMD_ + the flag name upper-cased with dashes turned into underscores (--org-name is
// CRMD_ORG_NAME). Machine-readable results go to stdout as one line of JSON; errors go to stderr with a
// non-zero exit status. Run `crmd help` for the full usage page.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/crmd/crmd/store"
)

// Main is the whole program with its outside world made explicit, so tests can run any command
// in-process: Run parses args (without the program name) and executes one command.
type Main struct {
	// Stdout receives results (one JSON line per command, the bootstrap notice and the listening line).
	Stdout io.Writer
	// Stderr receives logs, progress bars and the usage of failed commands.
	Stderr io.Writer
	// Getenv looks up the CRMD_* variables that stand in for flags not given on the command line; nil
	// means no environment.
	Getenv func(string) string
}

// main wires the real process: os.Args, the standard streams, the environment and SIGINT/SIGTERM,
// which cancel the context so that `crmd serve` shuts down gracefully and exits 0.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one command and turns its error into an exit status: 0 on success, 2 for a usage error
// (unknown command or flag, missing or invalid flag value), 1 for any other failure. The error is
// printed to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	m := &Main{Stdout: stdout, Stderr: stderr, Getenv: getenv}
	err := m.Run(ctx, args)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "crmd:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		if ue.hint != "" {
			fmt.Fprintln(stderr, ue.hint)
		}
		return 2
	}
	return 1
}

// usageError is an error in how a command was invoked, as opposed to a failure while running it.
type usageError struct {
	msg  string
	hint string // what to run for help
}

func (e *usageError) Error() string { return e.msg }

// Run executes the command named by args[0] with the rest of args as its flags. `serve` returns when
// ctx is cancelled, after a graceful shutdown.
func (m *Main) Run(ctx context.Context, args []string) error {
	if m.Stdout == nil {
		m.Stdout = io.Discard
	}
	if m.Stderr == nil {
		m.Stderr = io.Discard
	}
	if m.Getenv == nil {
		m.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 {
		m.printUsage(m.Stderr)
		return &usageError{msg: "no command given", hint: "Run 'crmd help' for usage."}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return m.helpFor(args[1:])
		}
		m.printUsage(m.Stdout)
		return nil
	}
	cmd, rest, err := findCommand(args)
	if err != nil {
		return err
	}
	// A SQLite write that waited out the busy timeout says "database is locked" from whatever step it
	// was in (a migration, an insert); say instead what happened and that nothing was written.
	return store.ExplainBusy(m.runCommand(ctx, cmd, rest))
}

// findCommand resolves the command named by the first one or two words of args ("seed", "user add").
func findCommand(args []string) (*command, []string, error) {
	for _, c := range commands {
		if c.group == "" && c.name == args[0] {
			return c, args[1:], nil
		}
	}
	var group []*command
	for _, c := range commands {
		if c.group == args[0] {
			group = append(group, c)
		}
	}
	if len(group) == 0 {
		return nil, nil, &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), hint: "Run 'crmd help' for the list of commands."}
	}
	if len(args) > 1 {
		for _, c := range group {
			if c.name == args[1] {
				return c, args[2:], nil
			}
		}
	}
	if len(args) > 1 && isHelpArg(args[1]) {
		return group[0], args[1:], nil
	}
	sub := "a subcommand"
	if len(args) > 1 {
		sub = fmt.Sprintf("subcommand %q", args[1])
	}
	return nil, nil, &usageError{msg: fmt.Sprintf("%s needs %s: %s", args[0], sub, groupNames(group)),
		hint: fmt.Sprintf("Run 'crmd help %s' for usage.", args[0])}
}

func groupNames(group []*command) string {
	s := ""
	for i, c := range group {
		if i > 0 {
			s += ", "
		}
		s += c.fullName()
	}
	return s
}

func isHelpArg(a string) bool {
	switch a {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// helpFor prints the usage of the command named by args ("crmd help token", "crmd help user add").
func (m *Main) helpFor(args []string) error {
	cmd, _, err := findCommand(args)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) && len(args) == 1 {
			// "crmd help user": every command of the group.
			printed := false
			for _, c := range commands {
				if c.group == args[0] {
					m.printCommandUsage(m.Stdout, c)
					printed = true
				}
			}
			if printed {
				return nil
			}
		}
		return err
	}
	m.printCommandUsage(m.Stdout, cmd)
	return nil
}
