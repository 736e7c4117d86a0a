package crmdtest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Fingerprint is a digest of every row of every table of a store, table by table, so that a test can
// tell that a request wrote nothing: take one before, one after, and compare with Diff. With a
// non-zero orgID it covers only that org's rows (and the rows hanging off them: read marks of its
// users, items of its jobs), so that a test can show that one org's calls never touched another's data
// while the first org's own rows may change.
type Fingerprint map[string]string

// TakeFingerprint digests the store's tables (store.TableDigests) for a test.
func TakeFingerprint(t testing.TB, st *store.Store, orgID crmd.ID) Fingerprint {
	t.Helper()
	fp, err := st.TableDigests(context.Background(), orgID)
	if err != nil {
		t.Fatalf("fingerprint: %v", err)
	}
	return Fingerprint(fp)
}

// Diff names the tables whose rows differ between two fingerprints ("" when none do).
func (fp Fingerprint) Diff(other Fingerprint) string {
	var out []string
	for table, d := range fp {
		if other[table] != d {
			out = append(out, fmt.Sprintf("%s: %s → %s", table, d, other[table]))
		}
	}
	for table, d := range other {
		if _, ok := fp[table]; !ok {
			out = append(out, fmt.Sprintf("%s: new table, %s", table, d))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}
