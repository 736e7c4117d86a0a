package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// command is one crmd command. define registers the command's flags on fs and returns the function
// that runs the command once the flags are parsed; the help page calls define on a throwaway FlagSet,
// so the flags documented are always exactly the flags accepted.
type command struct {
	group    string // "user" for "crmd user add"; empty for one-word commands
	name     string
	synopsis string // the flags line of the usage, after "crmd <name>"
	summary  string // one line for the command list
	details  string // paragraphs shown by `crmd CMD -h` and `crmd help`
	define   func(fs *flag.FlagSet, m *Main) func(ctx context.Context) error
}

// fullName is the command as typed: "seed", "user add".
func (c *command) fullName() string {
	if c.group == "" {
		return c.name
	}
	return c.group + " " + c.name
}

// commands is every crmd command, in the order the help page lists them.
var commands = []*command{serveCmd, initCmd, userAddCmd, tokenCmd, codeCmd, consoleLinkCmd, fixturesApplyCmd, fixturesDumpCmd, healthcheckCmd, moduleAddCmd, seedCmd, migrateCmd, benchCmd}

// envName is the environment variable standing in for a flag: CRMD_ + upper case, - → _.
func envName(flagName string) string {
	return "CRMD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// envMultiSetter is implemented by repeatable flags whose environment variable holds several values.
type envMultiSetter interface {
	SetFromEnv(value string) error
}

// newFlagSet builds the command's FlagSet, with every flag's usage naming its environment variable.
func (c *command) newFlagSet(m *Main) (*flag.FlagSet, func(ctx context.Context) error) {
	fs := flag.NewFlagSet("crmd "+c.fullName(), flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors are returned, and usage is printed by us
	runFn := c.define(fs, m)
	fs.VisitAll(func(f *flag.Flag) {
		f.Usage += " [$" + envName(f.Name) + "]"
	})
	return fs, runFn
}

// runCommand parses args, then fills every flag not given on the command line from its environment
// variable, and runs the command.
func (m *Main) runCommand(ctx context.Context, c *command, args []string) error {
	fs, runFn := c.newFlagSet(m)
	hint := fmt.Sprintf("Run 'crmd %s -h' for usage.", c.fullName())
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			m.printCommandUsage(m.Stdout, c)
			return nil
		}
		return &usageError{msg: err.Error(), hint: hint}
	}
	if fs.NArg() > 0 {
		if isHelpArg(fs.Arg(0)) {
			m.printCommandUsage(m.Stdout, c)
			return nil
		}
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: hint}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || envErr != nil {
			return
		}
		name := envName(f.Name)
		v := m.Getenv(name)
		if v == "" {
			return
		}
		var err error
		if ms, ok := f.Value.(envMultiSetter); ok {
			err = ms.SetFromEnv(v)
		} else {
			err = fs.Set(f.Name, v)
		}
		if err != nil {
			envErr = &usageError{msg: fmt.Sprintf("invalid value %q for %s: %v", v, name, err), hint: hint}
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := runFn(ctx); err != nil {
		var ue *usageError
		if errors.As(err, &ue) && ue.hint == "" {
			ue.hint = hint
		}
		return err
	}
	return nil
}

// required returns a usage error naming the flag and its variable when value is empty.
func required(value, flagName string) error {
	if strings.TrimSpace(value) == "" {
		return &usageError{msg: fmt.Sprintf("--%s is required (or set %s)", flagName, envName(flagName))}
	}
	return nil
}

// usageErrorf builds a usage error (exit status 2).
func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// printUsage prints the help page: every command with its flags and environment variables.
func (m *Main) printUsage(w io.Writer) {
	fmt.Fprint(w, `crmd serves Zoho CRM's REST API (/crm/v2 … /crm/v8, /oauth/v2) from its own database.

Usage:
  crmd <command> [flags]
  crmd help [command]      the usage of one command (also: crmd <command> -h)

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.fullName(), c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, `
Every flag may also be given as an environment variable: CRMD_ followed by the flag name in upper case
with dashes turned into underscores (--db is CRMD_DB, --org-name is CRMD_ORG_NAME, --max-body-bytes is
CRMD_MAX_BODY_BYTES). A flag given on the command line wins over its variable. Results are printed to
stdout as one line of JSON; errors go to stderr and the exit status is non-zero (2 for usage errors).
Every command works while 'crmd serve' runs on the same database.
`)
	for _, c := range commands {
		fmt.Fprintln(w)
		fmt.Fprintln(w, strings.Repeat("─", 100))
		m.printCommandUsage(w, c)
	}
}

// printCommandUsage prints one command's synopsis, description, flags and their variables.
func (m *Main) printCommandUsage(w io.Writer, c *command) {
	fs, _ := c.newFlagSet(&Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }})
	fmt.Fprintf(w, "Usage: crmd %s %s\n\n", c.fullName(), c.synopsis)
	fmt.Fprintf(w, "%s\n", strings.TrimSpace(c.details))
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
	if len(flags) == 0 {
		return
	}
	fmt.Fprintf(w, "\nFlags:\n")
	for _, f := range flags {
		name, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if name != "" {
			head += " " + name
		}
		fmt.Fprintln(w, head)
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "        %s%s\n", usage, def)
	}
}

// fileMustExist refuses to create a database by accident: commands that act on an existing org need
// the database that `crmd init` or `crmd serve` created.
func fileMustExist(dsn string) error {
	if strings.Contains(dsn, "://") {
		return nil
	}
	path := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("database %s does not exist (create it with 'crmd init' or 'crmd serve')", dsn)
		}
		return err
	}
	return nil
}
