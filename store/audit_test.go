package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// auditLines renders an org's audit trail, oldest first, as "name action via actor job".
func auditLines(t *testing.T, st *store.Store, q store.AuditQuery) []string {
	t.Helper()
	rows, err := st.ListAudit(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range slices.Backward(rows) {
		out = append(out, fmt.Sprintf("%s %s %s %d %d %d", r.DisplayName, r.Action, r.Via, r.ActorID, r.JobID, r.Time))
	}
	return out
}

// TestAuditRowsAreTheChangedRows: each change method writes one audit row per record it changed — not
// per id it was given — with the display name the record had, and a change that rolls back leaves none.
func TestAuditRowsAreTheChangedRows(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	u := f.a.Admin
	ids := f.add(t, f.a, f.leadsA, u, "Ada", "Bob", "Cy")
	other := f.add(t, f.b, f.leadsB, f.b.Admin, "Zed")

	// Deleting Ada twice and B's record: one row, for Ada.
	f.del(t, f.a, f.leadsA, u, 100, ids[0])
	f.tx(t, func(tx *store.Tx) error {
		n, err := f.st.SoftDeleteRecords(ctx, tx, f.a.Org.ID, f.leadsA.ID, []crmd.ID{ids[0], other[0]}, store.Change{Actor: u.ID, Via: store.ViaIDs, At: 101})
		if n != 0 {
			return fmt.Errorf("deleted %d", n)
		}
		return err
	})
	// A rolled-back delete of Bob leaves no row.
	boom := errors.New("boom")
	if err := f.st.Tx(ctx, func(tx *store.Tx) error {
		if _, err := f.st.SoftDeleteRecords(ctx, tx, f.a.Org.ID, f.leadsA.ID, []crmd.ID{ids[1]}, store.Change{Actor: u.ID, Via: store.ViaRecord, At: 102}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// A job deletes Bob and Cy; restoring only the records that job deleted skips Ada.
	f.tx(t, func(tx *store.Tx) error {
		_, err := f.st.SoftDeleteRecords(ctx, tx, f.a.Org.ID, f.leadsA.ID, ids[1:], store.Change{Actor: u.ID, Via: store.ViaJob, JobID: 77, At: 103})
		return err
	})
	f.tx(t, func(tx *store.Tx) error {
		n, err := f.st.RestoreJobRecords(ctx, tx, f.a.Org.ID, ids, 77, store.Change{Actor: u.ID, Via: store.ViaJob, JobID: 78, At: 104})
		if n != 2 {
			return fmt.Errorf("restored %d of the job's records, want 2", n)
		}
		return err
	})
	// Purging Ada keeps her name in the trail though the row loses it; a retention purge has no actor.
	f.tx(t, func(tx *store.Tx) error {
		_, err := f.st.PurgeRecords(ctx, tx, f.a.Org.ID, ids, store.Change{Actor: u.ID, Via: store.ViaRecycleBin, At: 105})
		return err
	})
	f.del(t, f.a, f.leadsA, u, 106, ids[1])
	f.tx(t, func(tx *store.Tx) error {
		_, err := f.st.PurgeDueIDs(ctx, tx, f.a.Org.ID, ids, 107, store.Change{Via: store.ViaRetention, JobID: 79, At: 108})
		return err
	})
	a := u.ID
	want := []string{
		fmt.Sprintf("Ada deleted ids %d 0 100", a),
		fmt.Sprintf("Bob deleted job %d 77 103", a), fmt.Sprintf("Cy deleted job %d 77 103", a),
		fmt.Sprintf("Bob restored job %d 78 104", a), fmt.Sprintf("Cy restored job %d 78 104", a),
		fmt.Sprintf("Ada purged recycle_bin %d 0 105", a),
		fmt.Sprintf("Bob deleted ids %d 0 106", a),
		"Bob purged retention 0 79 108",
	}
	got := auditLines(t, f.st, store.AuditQuery{OrgID: f.a.Org.ID})
	// Rows of one statement come in the statement's order, which the store does not fix: compare the
	// job's pairs as sets.
	if len(got) != len(want) || !slices.Equal(got[:1], want[:1]) || !sameItems(got[1:3], want[1:3]) || !sameItems(got[3:5], want[3:5]) || !slices.Equal(got[5:], want[5:]) {
		t.Errorf("audit trail\n got %q\nwant %q", got, want)
	}
	if got := auditLines(t, f.st, store.AuditQuery{OrgID: f.b.Org.ID}); len(got) != 0 {
		t.Errorf("B's trail %q", got)
	}
	// The job's deletions, in the order it made them, are what its undo restores.
	del, err := f.st.JobDeletedIDs(ctx, f.a.Org.ID, 77)
	if err != nil || !sameItems(idStrings(del), idStrings(ids[1:])) {
		t.Errorf("JobDeletedIDs %v %v, want %v", del, err, ids[1:])
	}
	// Filters and keyset paging.
	if got := auditLines(t, f.st, store.AuditQuery{OrgID: f.a.Org.ID, Action: store.AuditPurged, From: 106}); len(got) != 1 || got[0] != want[7] {
		t.Errorf("purged from 106: %q", got)
	}
	if got := auditLines(t, f.st, store.AuditQuery{OrgID: f.a.Org.ID, RecordID: ids[0], To: 105}); len(got) != 1 || got[0] != want[0] {
		t.Errorf("Ada before 105: %q", got)
	}
}

func sameItems(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func idStrings(ids []crmd.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}
