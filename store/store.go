// Package store is crmd's database layer: schema migrations, and one file of hand-written SQL per
// aggregate (orgs, users, oauth, modules, records). It speaks SQL through database/sql with `?`
// placeholders; the Dialect rewrites what differs between SQLite and PostgreSQL, so handlers and
// services never see which database runs underneath. Storage knows nothing of Zoho's JSON.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmd/crmd"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

//go:embed migrations
var migrationFS embed.FS

// Dialect names the SQL dialect of a database.
type Dialect string

// The dialects crmd speaks.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is an open crmd database. Writes go through W, reads through R; on SQLite W has exactly one
// connection, so writers of this process queue in Go instead of spinning on SQLITE_BUSY, while readers
// run in parallel thanks to WAL.
type Store struct {
	W, R    *sql.DB
	Dialect Dialect
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// OnWriteTx, when set, is told how long each write transaction (Tx) held its connection, from
	// BEGIN — where SQLite takes its write lock (_txlock=immediate) — to COMMIT or ROLLBACK: the
	// figure that says whether anything holds the database hostage. It must be safe for concurrent use.
	OnWriteTx func(time.Duration)
	// OnNotice, when set, is called after the commit of every transaction that wrote notifications to
	// the outbox (EnqueueNotice): it wakes this process's deliverer at once instead of at its next poll.
	OnNotice func()

	cacheOnce sync.Once
	mods      *moduleCache

	// bg is the work started with Go: Close cancels it and waits for it.
	bgMu     sync.Mutex
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bgWG     sync.WaitGroup

	dsn string // the SQLite path, for errors that must name the file; "" on PostgreSQL
}

// Open opens (creating if needed) the database named by dsn and runs pending migrations. A dsn that is
// a plain path or a file: URL is a SQLite database; a postgres:// or postgresql:// URL is a PostgreSQL
// database. A database already up to date is only read: opening it takes no write lock, so the CLI's
// commands open a SQLite file while a server writes to it. The planner statistics are left to the
// caller (Optimize): they need the write lock, which only a long-running server should wait for.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenWith(ctx, dsn, Options{})
}

// Options are the settings of an open store.
type Options struct {
	// QueryTimeout, when positive, is a backstop deadline for every statement on PostgreSQL
	// (statement_timeout, set one second above it so that the caller's own deadline of the same length,
	// which says why, always fires first). SQLite has no such setting: its statements end when their
	// context's deadline passes (crmd serve gives each request and each job batch one).
	QueryTimeout time.Duration
	// BackgroundCheckpoint (SQLite) turns off the automatic WAL checkpoint of this process's write
	// connection: otherwise the write transaction whose commit pushes the WAL over its threshold copies
	// the WAL into the database before its COMMIT returns — hundreds of milliseconds on a large
	// database, during which the write connection is held — and whoever called it waits. The caller
	// then runs Checkpoint periodically instead (crmd serve does, every second), outside any write
	// transaction.
	BackgroundCheckpoint bool
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, opt Options) (*Store, error) {
	var s *Store
	var err error
	if IsPostgresDSN(dsn) {
		s, err = openPostgres(ctx, withStatementTimeout(dsn, opt.QueryTimeout))
	} else {
		s, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, sqliteAccess(dsn, err)
	}
	if opt.BackgroundCheckpoint && s.Dialect == SQLite {
		// One write connection (SetMaxOpenConns(1), never closed): the setting stays with it.
		if _, err := s.W.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
			s.Close()
			return nil, sqliteAccess(dsn, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, sqliteAccess(dsn, err)
	}
	return s, nil
}

// BusyTimeout is how long a SQLite write waits for the write lock another connection holds before it
// fails with SQLITE_BUSY (IsBusy).
const BusyTimeout = 10 * time.Second

// ErrBusy is what ExplainBusy wraps a SQLite busy error in.
var ErrBusy = errors.New("the database is busy: another process (a running crmd serve, say) held its write lock for longer than " +
	BusyTimeout.String() + "; nothing was written, try again")

// ExplainBusy returns err wrapped in ErrBusy when it is a busy error (IsBusy), so that a person reads the
// cause rather than SQLite's "database is locked" behind whatever step happened to wait; other errors
// are returned as they are.
func ExplainBusy(err error) error {
	if err == nil || !IsBusy(err) || errors.Is(err, ErrBusy) {
		return err
	}
	return fmt.Errorf("%w (%v)", ErrBusy, err)
}

// IsBusy reports whether err is SQLite's answer to a write that waited out its busy timeout because
// another connection (often another process: a running `crmd serve`) held the database's write lock.
// Such an error says nothing about the data; the same write later succeeds.
func IsBusy(err error) bool {
	var se interface{ Code() int }
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED and their extended codes
		return true
	}
	return false
}

// sqliteAccess explains a SQLite error that means the process may not write the database: a read-only
// file, or a directory where SQLite cannot create the file or its -wal and -shm companions. SQLite's
// own words ("attempt to write a readonly database", "unable to open database file") name neither the
// file nor the fix, and they surface at different steps (open, a migration, optimize) depending on
// which of the file and the directory is read-only. Other errors, and PostgreSQL's, pass through.
func sqliteAccess(dsn string, err error) error {
	if err == nil || dsn == "" || IsPostgresDSN(dsn) {
		return err
	}
	var se interface{ Code() int }
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case 8, 14: // SQLITE_READONLY and its extended codes, SQLITE_CANTOPEN
	default:
		return err
	}
	path, perr := sqlitePath(dsn)
	if perr != nil {
		return err
	}
	return fmt.Errorf("cannot write the SQLite database %s: crmd needs write access to the file and to its directory %s, "+
		"where SQLite creates %s-wal and %s-shm (check both permissions and that the file system is not mounted read-only): %w",
		path, filepath.Dir(path), filepath.Base(path), filepath.Base(path), err)
}

// sqlitePath is the absolute file path a SQLite dsn names (a path or a file: URL, query ignored).
func sqlitePath(dsn string) (string, error) {
	path := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return "", errors.New("empty database path")
	}
	return filepath.Abs(path)
}

// IsPostgresDSN reports whether dsn names a PostgreSQL database rather than a SQLite file.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// RedactDSN returns dsn fit for logs and notices: a PostgreSQL URL with its password replaced by
// "xxxxx" (net/url's Redacted); a SQLite path unchanged.
func RedactDSN(dsn string) string {
	if !IsPostgresDSN(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…" // unparsable: show nothing of it
	}
	return u.Redacted()
}

// withStatementTimeout adds statement_timeout (d + 1 s, in ms) to a PostgreSQL URL as a run-time
// parameter of every connection, unless d is not positive or the URL sets one itself.
func withStatementTimeout(dsn string, d time.Duration) string {
	if d <= 0 {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn // openPostgres reports the bad URL
	}
	q := u.Query()
	if q.Has("statement_timeout") {
		return dsn
	}
	q.Set("statement_timeout", strconv.FormatInt((d+time.Second).Milliseconds(), 10))
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgres opens one pool for both W and R: PostgreSQL runs concurrent writers itself, so
// there is no single-writer queue to keep in Go.
func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return &Store{W: db, R: db, Dialect: Postgres, Now: time.Now}, nil
}

func openSQLite(path string) (*Store, error) {
	abs, err := sqlitePath(path)
	if err != nil {
		return nil, err
	}
	dsn := func(cacheKiB int) string {
		q := url.Values{}
		// busy_timeout lets the CLI and a running server share the file; WAL lets readers run during
		// writes; synchronous=NORMAL is durable across process crashes in WAL mode (only an OS crash may
		// lose the last transactions, never corrupt the file). Statement journals of multi-row writes
		// stay in memory (temp_store). The page cache is per connection, so it is sized per pool to
		// keep the server's memory bounded.
		for _, p := range []string{fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()), "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)", "temp_store(MEMORY)", fmt.Sprintf("cache_size(-%d)", cacheKiB)} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate") // take the write lock at BEGIN: no deadlocked lock upgrades
		return "file:" + abs + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn(32<<10))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", dsn(8<<10))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	// The first connection switches a new file to WAL, which needs the file to itself: when several
	// processes open one new database at once, SQLite answers SQLITE_BUSY at once, without waiting out
	// busy_timeout. Such an open is retried for up to 10 s.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if err = w.Ping(); err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	return &Store{W: w, R: r, Dialect: SQLite, Now: time.Now, dsn: path}, nil
}

// Optimize refreshes the planner's statistics where they are stale or missing (sampled, so it stays
// quick on large tables): crmd serve runs it at start and then hourly. Without statistics the planner
// may drive a view selection from a territory subquery or the owner index instead of the selective
// field index, or a job's batch from a sequential scan.
//
// On SQLite it is PRAGMA optimize, which SQLite advises running after bulk changes and periodically.
// On PostgreSQL it ANALYZEs each table of crmd's schema that was never analyzed or whose rows changed
// by more than a tenth since (autovacuum's own rule), and leaves the others alone. Autovacuum would do
// the same, but it may be turned off, and even when on it looks at a database only once a minute
// (autovacuum_naptime) and not at all while its workers vacuum other tables: a table filled by a bulk
// load or emptied by mass deletes is then planned on figures that are hours old, or on none.
func (s *Store) Optimize(ctx context.Context) error {
	if s.Dialect == Postgres {
		return s.analyzeChanged(ctx)
	}
	_, err := s.W.ExecContext(ctx, `PRAGMA optimize=0x10002`)
	return sqliteAccess(s.dsn, err)
}

// analyzeThreshold and analyzeScale are autovacuum's defaults (autovacuum_analyze_threshold,
// autovacuum_analyze_scale_factor): a table is analyzed once more than threshold + scale × its rows
// changed since its last ANALYZE.
const (
	analyzeThreshold = 50
	analyzeScale     = 0.1
)

// analyzeChanged ANALYZEs the tables of the current schema (the first of search_path, where the
// migrations created crmd's tables) that have rows and no statistics, or whose changes since their last
// ANALYZE (n_mod_since_analyze: inserted, updated and deleted rows) pass autovacuum's threshold. A
// table's counters reach pg_stat_user_tables up to a second after the commit that changed it, which is
// soon enough for an hourly refresh.
func (s *Store) analyzeChanged(ctx context.Context) error {
	rows, err := s.W.QueryContext(ctx, `
SELECT relname FROM pg_stat_user_tables
WHERE schemaname = current_schema()
  AND (n_mod_since_analyze > $1::float8 + $2::float8 * GREATEST(n_live_tup, 0)
       OR (COALESCE(last_analyze, last_autoanalyze) IS NULL AND n_live_tup + n_mod_since_analyze > 0))
ORDER BY relname`, analyzeThreshold, analyzeScale)
	if err != nil {
		return fmt.Errorf("optimize: %w", err)
	}
	tables, err := scanStringSet(rows)
	if err != nil {
		return fmt.Errorf("optimize: %w", err)
	}
	names := make([]string, 0, len(tables))
	for t := range tables {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		// A table name cannot be a bind parameter: it is quoted as an identifier. It comes from the
		// catalog, not from a client. SKIP_LOCKED: a table another replica is analyzing, or on which an
		// index is being built (CREATE INDEX CONCURRENTLY holds the same lock for minutes), is left to
		// the next refresh rather than waited for — crmd serve runs this before it listens.
		if _, err := s.W.ExecContext(ctx, `ANALYZE (SKIP_LOCKED) `+quoteIdent(t)); err != nil {
			return fmt.Errorf("optimize: analyze %s: %w", t, err)
		}
	}
	return nil
}

// Checkpoint copies what the SQLite WAL holds into the database file as far as no reader still needs
// it (a PASSIVE checkpoint: it waits for no one and no writer waits for it), through a read
// connection, and reports how many WAL frames it checkpointed. A no-op on PostgreSQL.
func (s *Store) Checkpoint(ctx context.Context) (int, error) {
	if s.Dialect != SQLite {
		return 0, nil
	}
	var busy, logFrames, done int
	err := s.R.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &done)
	return done, err
}

// scanAll reads every row of rows with scan, one of the scanX functions that also read a single
// *sql.Row, and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (*T, error)) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Close closes both pools (once, when they are one).
func (s *Store) Close() error {
	s.bgMu.Lock()
	if s.bgCancel != nil {
		s.bgCancel()
	}
	s.bgMu.Unlock()
	s.bgWG.Wait()
	if s.W == s.R {
		return s.W.Close()
	}
	return errors.Join(s.W.Close(), s.R.Close())
}

// Go runs fn in a goroutine of the store's own: work no request waits for (a PostgreSQL index built
// CONCURRENTLY), which must not end with the request that started it but must end before the store
// closes. Close cancels fn's ctx and waits for fn to return.
func (s *Store) Go(fn func(ctx context.Context)) {
	s.bgMu.Lock()
	if s.bgCtx == nil {
		s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	}
	ctx := s.bgCtx
	s.bgWG.Add(1)
	s.bgMu.Unlock()
	go func() {
		defer s.bgWG.Done()
		fn(ctx)
	}()
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.R.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// NowMS is the store clock in Unix milliseconds.
func (s *Store) NowMS() int64 { return s.Now().UnixMilli() }

// Migrate applies, in order and each in its own transaction, the embedded migrations not yet recorded
// in schema_migrations. It is safe to run concurrently with another process doing the same. It first
// reads which migrations are recorded, without any lock, and writes only when one is missing: a
// database already up to date is not written to.
func (s *Store) Migrate(ctx context.Context) error {
	dir := "migrations/" + string(s.Dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if applied, err := s.appliedMigrations(ctx); err == nil {
		pending := false
		for _, n := range names {
			pending = pending || !applied[n]
		}
		if !pending {
			return nil
		}
	}
	if s.Dialect == Postgres {
		// CREATE TABLE IF NOT EXISTS races with itself on PostgreSQL (a unique violation in pg_type),
		// so it runs under the same transaction-scoped advisory lock as each migration.
		err = s.Tx(ctx, func(tx *Tx) error {
			if _, err := tx.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
				return err
			}
			_, err := tx.q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	} else if _, err := s.W.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		body, err := migrationFS.ReadFile(dir + "/" + name)
		if err != nil {
			return err
		}
		err = s.Tx(ctx, func(tx *Tx) error {
			if s.Dialect == Postgres {
				// Serialise migrators across processes: the second waits here, then sees the version
				// recorded and skips it. The lock ends with the transaction.
				if _, err := tx.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
					return err
				}
			}
			var n int
			if err := tx.q.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.q.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), name, s.NowMS())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// appliedMigrations reads the names recorded in schema_migrations through the read pool. It fails on a
// database that has no such table yet (a new one), which Migrate takes as "everything is pending".
func (s *Store) appliedMigrations(ctx context.Context) (map[string]bool, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	return scanStringSet(rows)
}

// scanStringSet reads a one-column result of strings as a set and closes rows.
func scanStringSet(rows *sql.Rows) (map[string]bool, error) {
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = true
	}
	return out, rows.Err()
}

// migrateLockKey is the PostgreSQL advisory lock key that migrators take ("crmdmigr" in ASCII).
const migrateLockKey int64 = 0x63726d646d696772

// Q rewrites `?` placeholders for the store's dialect.
func (s *Store) Q(query string) string {
	if s.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Tx is a write transaction of the store. Services get one from Store.Tx and hand it to the store's
// methods that take one, so that their reads and writes commit together; the SQL connection itself
// never leaves the store.
type Tx struct {
	q *sql.Tx
	// noticed is set when the transaction wrote outbox messages (EnqueueNotice): once it commits,
	// Store.OnNotice wakes this process's deliverer.
	noticed bool
}

// Tx runs fn in one write transaction: everything fn writes commits together or not at all.
func (s *Store) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	tx := &Tx{q: sqlTx}
	began := time.Now()
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			sqlTx.Rollback()
		}
		if s.OnWriteTx != nil {
			s.OnWriteTx(time.Since(began))
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return err
	}
	if tx.noticed && s.OnNotice != nil {
		s.OnNotice()
	}
	return nil
}

// execer is what both *sql.DB and *Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// idScale separates an org's id prefix from its sequence: id = prefix*idScale + seq. With a 7-digit
// prefix below 9,223,372 every id has 19 digits and fits in an int64.
const idScale = 1_000_000_000_000

// AllocIDs reserves n consecutive ids in the org's sequence and returns the first. Callers inside a
// transaction pass the tx, so a rolled-back request gives its ids back… never: ids are never reused,
// and a rollback simply leaves a gap, as Zoho's do.
func (s *Store) AllocIDs(ctx context.Context, tx *Tx, orgID crmd.ID, n int) (crmd.ID, error) {
	var prefix, next int64
	err := tx.q.QueryRowContext(ctx, s.Q(`UPDATE orgs SET next_seq = next_seq + ? WHERE id = ? RETURNING id_prefix, next_seq`), n, int64(orgID)).Scan(&prefix, &next)
	if err != nil {
		return 0, fmt.Errorf("alloc ids: %w", err)
	}
	first := next - int64(n)
	if first+int64(n) >= idScale {
		return 0, errors.New("alloc ids: the org's id sequence is exhausted")
	}
	return crmd.ID(prefix*idScale + first), nil
}

// ErrIDOutside is ReserveID's answer for an id outside the org's id space.
var ErrIDOutside = errors.New("store: the id is not of the org's id space")

// ReserveID takes id — an id of the org's own id space, given rather than allocated (a fixture's
// record) — out of what AllocIDs hands out: the org's sequence moves past it. ErrIDOutside when id is
// not of the org's space.
func (s *Store) ReserveID(ctx context.Context, tx *Tx, orgID, id crmd.ID) error {
	prefix, seq := int64(id)/idScale, int64(id)%idScale
	if int64(orgID)/idScale != prefix || seq < 2 {
		return ErrIDOutside
	}
	_, err := tx.q.ExecContext(ctx, s.Q(`UPDATE orgs SET next_seq = CASE WHEN next_seq > ? THEN next_seq ELSE ? END WHERE id = ?`), seq, seq+1, int64(orgID))
	return err
}

// randomDigits returns n random decimal digits, the first non-zero.
func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

// ErrNotFound is returned by lookups that found nothing.
var ErrNotFound = errors.New("store: not found")

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// newestFirst ends a list query of b: newest row first (by id), one page of limit rows (0: 200) after
// offset; it returns args with the page's arguments.
func newestFirst(b *strings.Builder, args []any, limit, offset int) []any {
	if limit <= 0 {
		limit = 200
	}
	b.WriteString(` ORDER BY id DESC LIMIT ? OFFSET ?`)
	return append(args, limit, offset)
}
