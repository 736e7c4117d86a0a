// Package seed fills a module of an org with realistic generated records, fast: the engine behind
// `crmd seed` and the data of `crmd bench`. Records are generated from a seed, so the same seed gives the
// same records, and written in batches of one transaction each (COPY streams on PostgreSQL), so that a
// server on the same database keeps answering meanwhile.
package seed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/store"
)

// DefaultBatch is how many records one seed transaction inserts: large enough that the per-commit
// cost vanishes, small enough that a server on the same database waits at most a few tens of
// milliseconds for the write lock.
const DefaultBatch = 5000

// DefaultWriters is how many batches `crmd seed` writes at once on PostgreSQL: one server backend
// per core of this machine's class keeps both cores parsing and indexing rows.
const DefaultWriters = 2

// Seeder inserts generated records into one module of one org.
type Seeder struct {
	// Module is the module filled.
	Module *crmd.Module
	// Batch is how many records one transaction inserts (DefaultBatch).
	Batch int
	// Writers is how many batches are written at once on PostgreSQL (DefaultWriters; SQLite has one
	// writer).
	Writers int

	st    *store.Store
	org   *crmd.Org
	owner *crmd.User
	gen   *generator
}

// New prepares a seeder for a module: it resolves the module (case-insensitively), the
// owner (the org's first active Administrator) and the candidates of every lookup field.
func New(ctx context.Context, st *store.Store, org *crmd.Org, module string, seed uint64, span time.Duration) (*Seeder, error) {
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
	return &Seeder{Module: mod, Batch: DefaultBatch, Writers: DefaultWriters, st: st, org: org, owner: owner, gen: g}, nil
}

// seedBatch is one transaction's worth of records, with the buffer their JSON lives in.
type seedBatch struct {
	recs []crmd.Record
	buf  []byte
}

// fill generates n records into the batch, reusing its memory.
func (b *seedBatch) fill(s *Seeder, n int) {
	b.recs = b.recs[:0]
	b.buf = b.buf[:0]
	g := s.gen
	for i := 0; i < n; i++ {
		start := len(b.buf)
		var display string
		b.buf, display = g.record(b.buf)
		created, modified := g.times()
		b.recs = append(b.recs, crmd.Record{
			OrgID: s.org.ID, ModuleID: s.Module.ID, OwnerID: s.owner.ID, CreatedBy: s.owner.ID, ModifiedBy: s.owner.ID,
			CreatedTime: created, ModifiedTime: modified, ApprovalState: "approved", DisplayName: display,
			Data: b.buf[start:len(b.buf):len(b.buf)],
		})
	}
}

// Run inserts count records and reports progress after every transaction. Generation runs on its own
// goroutine, one batch ahead of the inserts, so that generating and writing overlap. On SQLite one
// goroutine writes (there is one writer anyway); on PostgreSQL s.Writers goroutines COPY batches on
// connections of their own, so that several server backends parse and index rows at once. It returns
// how many records were committed, also on error.
func (s *Seeder) Run(ctx context.Context, count int, progress func(int)) (int, error) {
	s.gen.startRun(count)
	bulk := s.st.StartBulk(ctx, s.Writers)
	defer bulk.Close()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	writers := bulk.Writers
	full := make(chan *seedBatch, 1)
	free := make(chan *seedBatch, writers+1)
	size := min(s.Batch, count)
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
			n := min(s.Batch, left)
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
func (s *Seeder) number(ctx context.Context, recs []crmd.Record) error {
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

// autonumber gives the records of a module with autonumber fields (Cases, Solutions) their numbers from
// the module's counter, as the records service does for inserts through the API.
func (s *Seeder) autonumber(ctx context.Context, tx *store.Tx, recs []crmd.Record) error {
	autos := records.AutonumberFields(s.Module)
	if len(autos) == 0 {
		return nil
	}
	first, err := s.st.NextAutonumbers(ctx, tx, s.Module.ID, len(recs))
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
