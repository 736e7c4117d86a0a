package store_test

import (
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// TestPicklistValueIDs checks the derived ids of picklist values: 19 digits, in the field's org, in
// their own band (above anything AllocIDs hands out, below the permissions' band), distinct per field
// and position, and stable.
func TestPicklistValueIDs(t *testing.T) {
	const scale = 1_000_000_000_000
	seen := map[crmd.ID]string{}
	for _, prefix := range []int64{1_000_000, 5_572_569, 9_223_371} {
		for _, seq := range []int64{2, 40, 428, 999_999, 123_456_789} {
			field := crmd.ID(prefix*scale + seq)
			for i := range 50 {
				id := store.PicklistValueID(field, i)
				if id != store.PicklistValueID(field, i) {
					t.Fatalf("PicklistValueID(%d, %d) is not stable", field, i)
				}
				if len(id.String()) != 19 || int64(id)/scale != prefix {
					t.Fatalf("PicklistValueID(%d, %d) = %d: not a 19-digit id of the org", field, i, id)
				}
				if band := int64(id) % scale; band < 800_000_000_000 || band >= 900_000_000_000 {
					t.Fatalf("PicklistValueID(%d, %d) = %d: outside the picklist band", field, i, id)
				}
				key := field.String() + "/" + crmd.ID(i).String()
				if prev, dup := seen[id]; dup {
					t.Fatalf("PicklistValueID %d for %s and %s", id, prev, key)
				}
				seen[id] = key
				for v := range crmd.PermissionVerbs {
					if id == store.PermissionID(field, v) {
						t.Fatalf("PicklistValueID(%d, %d) = a permission id", field, i)
					}
				}
			}
		}
	}
}
