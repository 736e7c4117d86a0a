// Package records holds the rules of Zoho records: validating and coercing field values against a
// module's fields, inserting, updating, reading, listing and soft-deleting records.
package records

import "github.com/crmd/crmd/store"

// Service implements the records API on a store.
type Service struct {
	st *store.Store
}

// New returns a records service on st.
func New(st *store.Store) *Service { return &Service{st: st} }
