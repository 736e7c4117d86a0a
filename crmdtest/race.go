package crmdtest

import (
	"context"
	"sync"
	"testing"

	"github.com/crmd/crmd/internal/testdb"
	"github.com/crmd/crmd/store"
)

// OpenStores opens n stores on one fresh database (internal/testdb: a SQLite file, or a PostgreSQL
// schema with CRMD_TEST_STORE=postgres), each with its own connection pools and module cache, as n
// crmd processes sharing the database would be. They are closed when the test ends.
func OpenStores(t testing.TB, n int) []*store.Store {
	t.Helper()
	dsn := testdb.DSN(t)
	out := make([]*store.Store, n)
	for i := range out {
		st, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[i] = st
	}
	return out
}

// Race runs fn(0) … fn(n-1) in n goroutines that are all released at once, and returns when every one
// has returned: the shape of a race test. fn must not call t.Fatal (it runs off the test goroutine);
// collect results by index and check them after Race returns.
func Race(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}
