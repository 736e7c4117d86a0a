package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/store"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// defaultSeedBatch is how many records one seed transaction inserts: large enough that the per-commit
// cost vanishes, small enough that a server on the same database waits at most a few tens of
// milliseconds for the write lock.
const defaultSeedBatch = 5000

// defaultSeedWriters is how many batches `crmd seed` writes at once on PostgreSQL: one server backend
// per core of this machine's class keeps both cores parsing and indexing rows.
const defaultSeedWriters = 2

var seedCmd = &command{
	name:     "seed",
	synopsis: "[--db PATH] [--org ORG_ID] --module Leads --count N [--seed N] [--created-span 2160h] [--batch-size 5000] [--writers 2]",
	summary:  "insert N realistic records into a module",
	details: `Inserts --count realistic records into a module of an org, showing a progress bar on stderr, and prints
{"inserted":N}. Leads get names, companies, emails derived from both, phones, lead sources and statuses,
industries, revenues, addresses and a description (0.6–1 KiB of JSON each); other modules, custom ones
included, get values generated from each field's data type and name, with every mandatory field filled
(a mandatory lookup needs records in the target module: seed that first). Every value is valid for its
field: picklist values come from the field, lengths are respected.

Records are owned and created by the org's first Administrator, are approved, and have Created_Time
spread over --created-span before now (0: all now). The data is drawn from a pseudo-random generator
seeded with --seed, so the same seed gives the same records; 0 picks a seed and prints it on stderr.
Each transaction inserts --batch-size records, so a running 'crmd serve' keeps answering meanwhile.
On PostgreSQL the rows stream through COPY, --writers transactions at once on connections of their own.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		db := fs.String("db", defaultDB, dbUsage)
		orgFlag := fs.String("org", "", orgUsage)
		module := fs.String("module", "Leads", "api name of the module to fill")
		count := fs.Int("count", 0, "how many records to insert (required, at least 1)")
		seed := fs.Uint64("seed", 0, "seed of the pseudo-random data; 0 picks one")
		span := fs.Duration("created-span", 90*24*time.Hour, "Created_Time is spread over this long before now")
		batch := fs.Int("batch-size", defaultSeedBatch, "records per transaction")
		writers := fs.Int("writers", defaultSeedWriters, "PostgreSQL: transactions written at once, each on a connection of its own (SQLite has one writer)")
		return func(ctx context.Context) error {
			if *count < 1 {
				return usageErrorf("--count is required and must be at least 1 (or set CRMD_COUNT)")
			}
			if *batch < 1 || *batch > 100000 {
				return usageErrorf("invalid --batch-size %d: want 1 to 100000", *batch)
			}
			if *writers < 1 || *writers > 64 {
				return usageErrorf("invalid --writers %d: want 1 to 64", *writers)
			}
			if *span < 0 {
				return usageErrorf("invalid --created-span %s: want 0 or more", *span)
			}
			st, org, err := openOrg(ctx, *db, *orgFlag)
			if err != nil {
				return err
			}
			defer st.Close()
			s := *seed
			if s == 0 {
				s = uint64(time.Now().UnixNano())
			}
			sd, err := newSeeder(ctx, st, org, *module, s, *span)
			if err != nil {
				return err
			}
			if *seed == 0 {
				// Told only once the run can start, so that a refused command prints nothing but its error.
				fmt.Fprintf(m.Stderr, "crmd seed: --seed %d\n", s)
			}
			sd.batch = *batch
			sd.writers = *writers
			bar := newProgressBar(m.Stderr, int64(*count), "seeding "+sd.mod.APIName)
			n, err := sd.run(ctx, *count, func(k int) { bar.Add(k) })
			bar.finish()
			if err != nil {
				return fmt.Errorf("seed: inserted %d of %d records, then: %w", n, *count, err)
			}
			return writeJSON(m.Stdout, struct {
				Inserted int `json:"inserted"`
			}{n})
		}
	},
}

// seeder inserts generated records into one module of one org.
type seeder struct {
	st    *store.Store
	org   *crmd.Org
	mod   *crmd.Module
	owner *crmd.User
	gen   *generator
	batch int
	// writers is how many batches are written at once on PostgreSQL (SQLite has one writer).
	writers int
}

// newSeeder prepares the generator for a module: it resolves the module (case-insensitively), the
// owner (the org's first active Administrator) and the candidates of every lookup field.
func newSeeder(ctx context.Context, st *store.Store, org *crmd.Org, module string, seed uint64, span time.Duration) (*seeder, error) {
	mod, err := st.Module(ctx, org.ID, module)
	if err != nil {
		return nil, err
	}
	if mod == nil {
		return nil, fmt.Errorf("org %s has no module %s", org.ID, module)
	}
	if !mod.Creatable {
		return nil, fmt.Errorf("module %s does not take new records", mod.APIName)
	}
	owner, err := st.OrgAdmin(ctx, org.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("org %s has no active Administrator to own the records", org.ID)
	}
	if err != nil {
		return nil, err
	}
	g, err := newGenerator(ctx, st, org, mod, owner, seed, span)
	if err != nil {
		return nil, err
	}
	return &seeder{st: st, org: org, mod: mod, owner: owner, gen: g, batch: defaultSeedBatch, writers: defaultSeedWriters}, nil
}

// seedBatch is one transaction's worth of records, with the buffer their JSON lives in.
type seedBatch struct {
	recs []crmd.Record
	buf  []byte
}

// fill generates n records into the batch, reusing its memory.
func (b *seedBatch) fill(s *seeder, n int) {
	b.recs = b.recs[:0]
	b.buf = b.buf[:0]
	g := s.gen
	for i := 0; i < n; i++ {
		start := len(b.buf)
		var display string
		b.buf, display = g.record(b.buf)
		created, modified := g.times()
		b.recs = append(b.recs, crmd.Record{
			OrgID: s.org.ID, ModuleID: s.mod.ID, OwnerID: s.owner.ID, CreatedBy: s.owner.ID, ModifiedBy: s.owner.ID,
			CreatedTime: created, ModifiedTime: modified, ApprovalState: "approved", DisplayName: display,
			Data: b.buf[start:len(b.buf):len(b.buf)],
		})
	}
}

// run inserts count records and reports progress after every transaction. Generation runs on its own
// goroutine, one batch ahead of the inserts, so that generating and writing overlap. On SQLite one
// goroutine writes (there is one writer anyway); on PostgreSQL s.writers goroutines COPY batches on
// connections of their own, so that several server backends parse and index rows at once. It returns
// how many records were committed, also on error.
func (s *seeder) run(ctx context.Context, count int, progress func(int)) (int, error) {
	s.gen.startRun(count)
	bulk := s.st.StartBulk(ctx, s.writers)
	defer bulk.Close()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	writers := bulk.Writers
	full := make(chan *seedBatch, 1)
	free := make(chan *seedBatch, writers+1)
	size := min(s.batch, count)
	for i := 0; i < writers+1; i++ {
		free <- &seedBatch{recs: make([]crmd.Record, 0, size), buf: make([]byte, 0, size*1024)}
	}
	var (
		mu       sync.Mutex
		inserted int
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	go func() {
		defer close(full)
		for left := count; left > 0; {
			var b *seedBatch
			select {
			case b = <-free:
			case <-gctx.Done():
				return
			}
			n := min(s.batch, left)
			b.fill(s, n)
			// Ids are drawn here, in the order the records were generated, so that ids grow with
			// Created_Time as they do in a real org, however the writers' commits interleave.
			if err := s.number(gctx, b.recs); err != nil {
				fail(err)
				return
			}
			select {
			case full <- b:
			case <-gctx.Done():
				return
			}
			left -= n
		}
	}()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range full {
				if err := s.st.CopyRecords(ctx, b.recs); err != nil {
					fail(err)
					for range full {
					}
					return
				}
				mu.Lock()
				inserted += len(b.recs)
				if progress != nil {
					progress(len(b.recs))
				}
				mu.Unlock()
				bulk.Committed()
				free <- b
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return inserted, firstErr
	}
	if inserted < count {
		if err := ctx.Err(); err != nil {
			return inserted, err
		}
		return inserted, errors.New("seed stopped early")
	}
	// A bulk load changes how selective the indexes are; fresh (sampled) statistics keep the planner
	// choosing the right index for view selections.
	if err := s.st.FinishBulk(ctx, s.org.ID); err != nil {
		return inserted, fmt.Errorf("seed: optimize: %w", err)
	}
	return inserted, nil
}

// number draws a batch's ids (and autonumbers) in a short transaction of its own, before the batch is
// written: ids are never reused, so a batch that then fails leaves only a gap, and the writers do not
// queue behind the org's counter row for the length of a whole batch.
func (s *seeder) number(ctx context.Context, recs []crmd.Record) error {
	return s.st.Tx(ctx, func(tx *store.Tx) error {
		first, err := s.st.AllocIDs(ctx, tx, s.org.ID, len(recs))
		if err != nil {
			return err
		}
		for i := range recs {
			recs[i].ID = first + crmd.ID(i)
		}
		return s.autonumber(ctx, tx, recs)
	})
}

// progressBar is a progress bar on a terminal, or plain progress lines when stderr is a file or pipe.
type progressBar struct {
	bar *progressbar.ProgressBar
	lw  *lineWriter
}

// newProgressBar draws a bar on w when w is a terminal; otherwise the bar's frames, at most one a
// second, become ordinary lines, so logs and CI output stay readable.
func newProgressBar(w io.Writer, total int64, desc string) *progressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rec"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetRenderBlankState(true),
	}
	p := &progressBar{}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts = append(opts, progressbar.OptionSetWriter(w), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	} else {
		p.lw = &lineWriter{w: w}
		opts = append(opts, progressbar.OptionSetWriter(p.lw), progressbar.OptionThrottle(time.Second),
			progressbar.OptionSetTheme(progressbar.ThemeASCII), progressbar.OptionSetPredictTime(false))
	}
	p.bar = progressbar.NewOptions64(total, opts...)
	return p
}

// Add advances the bar.
func (p *progressBar) Add(n int) { p.bar.Add(n) }

// finish ends the bar, leaving the last frame visible.
func (p *progressBar) finish() {
	if !p.bar.IsFinished() {
		p.bar.Exit() // ends the line on a terminal, also when the run stopped early
	}
	if p.lw != nil {
		p.lw.flush()
	}
}

// lineWriter turns a progress bar's carriage-return redraws into one line per frame, dropping the
// blank frames the bar writes to erase itself.
type lineWriter struct {
	w   io.Writer
	cur []byte
}

func (l *lineWriter) Write(b []byte) (int, error) {
	for _, c := range b {
		if c == '\r' || c == '\n' {
			l.flush()
			continue
		}
		l.cur = append(l.cur, c)
	}
	return len(b), nil
}

// flush writes the pending frame as a line, unless it is blank.
func (l *lineWriter) flush() {
	s := strings.TrimSpace(string(l.cur))
	l.cur = l.cur[:0]
	if s != "" {
		fmt.Fprintln(l.w, s)
	}
}

// autonumber gives the records of a module with autonumber fields (Cases, Solutions) their numbers from
// the module's counter, as the records service does for inserts through the API.
func (s *seeder) autonumber(ctx context.Context, tx *store.Tx, recs []crmd.Record) error {
	autos := records.AutonumberFields(s.mod)
	if len(autos) == 0 {
		return nil
	}
	first, err := s.st.NextAutonumbers(ctx, tx, s.mod.ID, len(recs))
	if err != nil {
		return err
	}
	for i := range recs {
		// The generated document is a JSON object: the numbers go in front of its first key.
		var b []byte
		b = append(b, '{')
		for _, f := range autos {
			b = appendJSONString(b, f.APIName)
			b = append(b, ':')
			b = appendJSONString(b, strconv.FormatInt(first+int64(i), 10))
			b = append(b, ',')
		}
		rest := recs[i].Data[1:]
		if len(rest) > 0 && rest[0] == '}' {
			b = b[:len(b)-1] // no other key: drop the comma
		}
		recs[i].Data = append(b, rest...)
	}
	return nil
}
