package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/jobs"
	"github.com/crmd/crmd/store"
)

// TestJobNotices: on PostgreSQL every batch of a job is announced with the counts it committed, in
// commit order, to a listener on another connection (another replica would listen the same way); a
// batch that rolls back announces nothing. SQLite has no notifications.
func TestJobNotices(t *testing.T) {
	sqlite, err := store.Open(context.Background(), t.TempDir()+"/crmd.db")
	if err != nil {
		t.Fatal(err)
	}
	defer sqlite.Close()
	if err := sqlite.ListenJobs(context.Background(), func(store.JobNotice) {}); !errors.Is(err, store.ErrNoNotifications) {
		t.Errorf("SQLite: %v, want ErrNoNotifications", err)
	}

	st, err := store.Open(context.Background(), testdb.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org := crmdtest.NewTeam(t, st, "Acme", "UTC")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	notices := make(chan store.JobNotice, 64)
	listening := make(chan error, 1)
	go func() { listening <- st.ListenJobs(ctx, func(n store.JobNotice) { notices <- n }) }()
	time.Sleep(200 * time.Millisecond) // LISTEN runs before the first batch commits

	j, err := jobs.Prepare(ctx, st, &crmd.Job{Kind: "test", OrgID: org.Org.ID, CreatedBy: org.Admin.ID},
		func(context.Context) ([]crmd.ID, error) { return []crmd.ID{1, 2, 3, 4, 5}, nil }, func(int) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	r := jobs.New(st, jobs.Config{BatchSize: 2}, nil)
	failed := false
	r.Handle("test", func(_ context.Context, _ *store.Tx, _ *crmd.Job, ids []crmd.ID, _ time.Time) (int64, error) {
		if len(ids) == 1 && !failed {
			failed = true // the last batch fails once: rolled back, not announced
			return 0, errors.New("transient")
		}
		return int64(len(ids)) - 1, nil
	})
	if worked, err := r.RunOnce(ctx); !worked || err != nil {
		t.Fatalf("RunOnce: %v %v", worked, err)
	}
	var got []store.JobNotice
	for len(got) < 3 {
		select {
		case n := <-notices:
			if n.JobID == j.ID {
				got = append(got, n)
			}
		case err := <-listening:
			t.Fatalf("listening ended: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatalf("notices %+v, want 3", got)
		}
	}
	want := []store.JobNotice{
		{JobID: j.ID, Cursor: 2, Deleted: 1, Failed: 1, Status: crmd.JobRunning},
		{JobID: j.ID, Cursor: 4, Deleted: 2, Failed: 2, Status: crmd.JobRunning},
		{JobID: j.ID, Cursor: 5, Deleted: 2, Failed: 3, Status: crmd.JobCompleted},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("notice %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// (The channel is the database's: jobs of other tests' schemas are announced on it too.)
	for deadline := time.After(300 * time.Millisecond); ; {
		select {
		case n := <-notices:
			if n.JobID == j.ID {
				t.Errorf("an extra notice %+v", n)
			}
			continue
		case <-deadline:
		}
		break
	}
	cancel()
	if err := <-listening; err == nil {
		t.Error("ListenJobs returned nil after its context ended")
	}
}
