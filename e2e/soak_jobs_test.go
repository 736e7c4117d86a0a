package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// The crash soak's share of the jobs that are not mass deletes: the recycle bin's jobs (restore and
// permanent delete by filters), the retention_drop jobs of aged purged rows, and the views' index builds.

// The soak's names for its bin job operations: distinct from its per-id "restore" and "purge", which
// are also the job kinds' names. binJobKind maps them to the kinds of the jobs they make.
const (
	opBinRestore = "bin_restore"
	opBinDelete  = "bin_delete"
)

var binJobKind = map[string]string{opBinRestore: crmd.JobBinRestore, opBinDelete: crmd.JobBinDelete}

// soakBinJob is a recycle bin job the soak scheduled: its operation (opBinRestore or opBinDelete) and
// records.
type soakBinJob struct {
	kind string
	ids  []string
}

// binJobWorker hands the bin's idx%6 == 5 records, a few at a time, to jobs: by turns a restore and a
// permanent delete by filters (display_name in the records' names), each answered 202 with a job id.
// Nobody else takes these records out of the bin, so every job must do all of its records.
func (s *soak) binJobWorker(ctx context.Context, c *apiClient, rng *rand.Rand) {
	for n := 0; pause(ctx, time.Duration(150+rng.IntN(250))*time.Millisecond); n++ {
		items, ok := s.listBin(ctx, c)
		if !ok {
			return
		}
		var ids []string
		var names []any
		s.mu.Lock()
		for _, it := range items {
			id, _ := it["id"].(string)
			name, _ := it["display_name"].(string)
			if r := s.recs[id]; r != nil && r.idx%6 == 5 && !s.binClaimed[id] && name == r.name && len(ids) < 1+rng.IntN(8) {
				ids = append(ids, id)
				names = append(names, name)
				s.binClaimed[id] = true
			}
		}
		s.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		kind := []string{opBinRestore, opBinDelete}[n%2]
		var a answer
		var err error
		filter := map[string]any{"field": "display_name", "comparator": "in", "value": names}
		if kind == opBinRestore {
			a, err = c.do(ctx, "POST", "/crm/v8/settings/recycle_bin/actions/restore", map[string]any{"filters": filter})
		} else {
			raw, _ := json.Marshal(filter)
			a, err = c.do(ctx, "DELETE", "/crm/v8/settings/recycle_bin?filters="+url.QueryEscape(string(raw)), nil)
		}
		if err != nil {
			s.failed(soakOp{kind: kind, ids: ids}, err)
			return
		}
		entries := results(a, "recycle_bin")
		if !s.check(kind, a, http.StatusAccepted) || len(entries) != 1 || entries[0]["code"] != "SCHEDULED" {
			s.unexpected("%s of %v: %s", kind, ids, a.raw)
			return
		}
		job, _ := entries[0]["details"].(map[string]any)["job_id"].(string)
		s.mu.Lock()
		s.acceptBinJob(job, kind, ids)
		s.ops[kind]++
		s.mu.Unlock()
	}
}

// acceptBinJob records a bin job as accepted: its records will be restored or purged (s.mu held).
func (s *soak) acceptBinJob(job, kind string, ids []string) {
	s.binJobs[job] = soakBinJob{kind: kind, ids: ids}
	for _, id := range ids {
		if kind == opBinRestore {
			s.restored[id] = true
		} else {
			s.purged[id] = true
		}
	}
}

// resolveBinJobs settles the bin jobs asked for when the server was killed: a job of that kind in the
// database that the test does not know is the one (the worker has one request in flight at a time) —
// unless it is still PREPARING, never accepted, which a runner removes; with none, the records were
// not handed to a job and go back to the pool.
func (s *soak) resolveBinJobs(t *testing.T, st *store.Store) {
	t.Helper()
	org, _ := crmd.ParseID(s.orgID)
	rs, err := st.R.Query(st.Q(`SELECT id, kind FROM jobs WHERE org_id = ? AND kind IN ('restore', 'purge', 'empty') AND status NOT IN ('PREPARING', 'DROPPED')`), int64(org))
	if err != nil {
		t.Fatal(err)
	}
	unknown := map[string]string{} // kind → job
	for rs.Next() {
		var id int64
		var kind string
		if err := rs.Scan(&id, &kind); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.binJobs[crmd.ID(id).String()]; !ok {
			if other, dup := unknown[kind]; dup {
				t.Fatalf("two %s jobs the test never heard of: %s and %s", kind, other, crmd.ID(id))
			}
			unknown[kind] = crmd.ID(id).String()
		}
	}
	rs.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	var rest []soakOp
	for _, op := range s.pending {
		if op.kind != opBinRestore && op.kind != opBinDelete {
			rest = append(rest, op)
			continue
		}
		if job, ok := unknown[binJobKind[op.kind]]; ok {
			s.acceptBinJob(job, op.kind, op.ids)
			delete(unknown, binJobKind[op.kind])
			s.ops["pending_"+op.kind+"_accepted"]++
		} else {
			for _, id := range op.ids {
				delete(s.binClaimed, id)
			}
			s.ops["pending_"+op.kind+"_lost"]++
		}
	}
	s.pending = rest
	if len(unknown) > 0 {
		t.Fatalf("bin jobs the test never asked for: %v", unknown)
	}
}

// permanentAge is how far back the soak moves the purge of rows it ages out: beyond their 120 days as
// type=permanent.
const permanentAge = int64(121 * 24 * time.Hour / time.Millisecond)

// agePurged moves the purge of the purged rows of idx%6 == 1 records back beyond 120 days (the server
// is dead): the retention purger of the next start schedules a retention_drop job that removes them.
func (s *soak) agePurged(t *testing.T, st *store.Store, rows map[string]soakRow) {
	t.Helper()
	var aged []any
	for id, r := range rows {
		if rec := s.recs[id]; rec != nil && rec.idx%6 == 1 && r.purged != 0 && !s.droppedAged[id] {
			cid, _ := crmd.ParseID(id)
			aged = append(aged, int64(cid))
			s.droppedAged[id] = true
		}
	}
	if len(aged) == 0 {
		return
	}
	if _, err := st.W.Exec(st.Q(`UPDATE records SET purged_time = purged_time - ? WHERE id IN (?`+strings.Repeat(",?", len(aged)-1)+`)`),
		append([]any{permanentAge}, aged...)...); err != nil {
		t.Fatal(err)
	}
	s.ops["aged_purged"] += len(aged)
}

// waitJobs waits, on the last start, for every bin job and every index build to complete and for the
// aged purged rows to be dropped.
func (s *soak) waitJobs(t *testing.T) {
	t.Helper()
	st := openStore(t, s.db)
	org, _ := crmd.ParseID(s.orgID)
	eventually(t, 60*time.Second, "the bin jobs, index builds and retention drops to complete", func() bool {
		var open int
		if err := st.R.QueryRow(st.Q(`SELECT COUNT(*) FROM jobs WHERE org_id = ? AND status IN ('PREPARING', 'SCHEDULED', 'RUNNING')
			AND kind IN ('restore', 'purge', 'empty', 'index', 'retention_drop')`), int64(org)).Scan(&open); err != nil {
			t.Fatal(err)
		}
		var left int
		for id := range s.droppedAged {
			cid, _ := crmd.ParseID(id)
			var one int
			switch err := st.R.QueryRow(st.Q(`SELECT 1 FROM records WHERE id = ?`), int64(cid)).Scan(&one); err {
			case nil:
				left++
			case sql.ErrNoRows:
			default:
				t.Fatal(err)
			}
		}
		return open == 0 && left == 0
	})
}

// verifyJobs checks the jobs that are not mass deletes once the soak is over: every bin job COMPLETED
// with all of its records done and none failed; every index build COMPLETED, and (SQLite) the Company
// index holding exactly one row per Lead with a Company, whatever the kills interrupted.
func (s *soak) verifyJobs(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	org, _ := crmd.ParseID(s.orgID)
	for id, bj := range s.binJobs {
		jid, _ := crmd.ParseID(id)
		j, err := st.Job(ctx, org, jid)
		if err != nil {
			t.Fatalf("bin job %s: %v", id, err)
		}
		if j.Kind != binJobKind[bj.kind] || j.Status != crmd.JobCompleted || j.TotalCount != int64(len(bj.ids)) || j.DeletedCount != j.TotalCount || j.FailedCount != 0 {
			t.Fatalf("bin job %s of %d records: %+v, want %s COMPLETED with all done", id, len(bj.ids), j, bj.kind)
		}
	}
	var builds, unfinished int
	if err := st.R.QueryRow(st.Q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'COMPLETED' THEN 0 ELSE 1 END), 0) FROM jobs
		WHERE org_id = ? AND kind = 'index'`), int64(org)).Scan(&builds, &unfinished); err != nil {
		t.Fatal(err)
	}
	if unfinished != 0 {
		t.Fatalf("%d of %d index builds did not complete", unfinished, builds)
	}
	if st.Dialect == store.SQLite {
		if builds == 0 {
			t.Fatal("no index build ran for the views on Company")
		}
		var indexed, want int
		if err := st.R.QueryRow(`SELECT
			(SELECT COUNT(*) FROM field_values WHERE field = 'Company' AND module_id = (SELECT id FROM modules WHERE org_id = ? AND api_name = 'Leads')),
			(SELECT COUNT(*) FROM records WHERE org_id = ? AND module_id = (SELECT id FROM modules WHERE org_id = ? AND api_name = 'Leads')
				AND json_extract(data, '$.Company') IS NOT NULL)`, int64(org), int64(org), int64(org)).Scan(&indexed, &want); err != nil {
			t.Fatal(err)
		}
		if indexed != want {
			t.Fatalf("the Company index holds %d rows, the Leads have %d values", indexed, want)
		}
	}
	t.Logf("jobs besides mass delete: %d bin jobs, %d index builds, %d aged purged rows dropped", len(s.binJobs), builds, len(s.droppedAged))
}
