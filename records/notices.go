package records

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// changes gathers what one transaction's inserts and updates did to one module's records, so that
// the channels watching the module are told once per transaction (store.EnqueueNotice): an upsert of
// 100 entries is one insert notification and one update notification, not 200.
type changes struct {
	inserted []crmd.ID
	updated  []crmd.ID
	fields   map[crmd.ID]*store.Changed
}

// insert records that ids were created.
func (c *changes) insert(ids ...crmd.ID) { c.inserted = append(c.inserted, ids...) }

// update records that an update turned rec's document from before into after: the fields whose
// values differ (a record updated twice in one request is told once, with both updates' fields).
func (c *changes) update(id crmd.ID, before, after map[string]any) {
	if c.fields == nil {
		c.fields = map[crmd.ID]*store.Changed{}
	}
	ch := c.fields[id]
	if ch == nil {
		ch = &store.Changed{Values: map[string]any{}}
		c.fields[id] = ch
		c.updated = append(c.updated, id)
	}
	for k, v := range after {
		if old, ok := before[k]; !ok || !sameValue(old, v) {
			ch.Values[k] = v
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			ch.Values[k] = nil // cleared
		}
	}
	ch.Fields = ch.Fields[:0]
	for k := range ch.Values {
		ch.Fields = append(ch.Fields, k)
	}
	sort.Strings(ch.Fields)
}

// sameValue compares two decoded JSON values (numbers may be float64 or json.Number).
func sameValue(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// enqueue writes the gathered notifications inside tx.
func (c *changes) enqueue(ctx context.Context, st *store.Store, tx *store.Tx, orgID, moduleID crmd.ID, at int64) error {
	if err := st.EnqueueNotice(ctx, tx, store.Notice{OrgID: orgID, ModuleID: moduleID, Operation: crmd.OpInsert,
		IDs: c.inserted, At: at}); err != nil {
		return err
	}
	n := store.Notice{OrgID: orgID, ModuleID: moduleID, Operation: crmd.OpUpdate, IDs: c.updated, At: at}
	for _, id := range c.updated {
		n.Changed = append(n.Changed, *c.fields[id])
	}
	return st.EnqueueNotice(ctx, tx, n)
}
