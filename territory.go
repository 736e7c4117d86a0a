package crmd

// Territory is a node of an org's territory tree; the root is the org's own territory.
type Territory struct {
	ID             ID
	OrgID          ID
	Name           string
	APIName        string
	Description    *string // nil = none
	PermissionType string  // TerritoryReadOnly or TerritoryReadWriteDelete
	ManagerID      ID      // 0 = none
	ReportingTo    ID      // the parent; 0 only for the root
	CreatedBy      ID
	ModifiedBy     ID
	CreatedTime    int64 // Unix ms
	ModifiedTime   int64 // Unix ms
}

// IsRoot reports whether t is the org's own territory, the root of the tree.
func (t *Territory) IsRoot() bool { return t.ReportingTo == 0 }

// Territory permission types.
const (
	TerritoryReadOnly        = "read_only"
	TerritoryReadWriteDelete = "read_write_delete"
)

// RootTerritoryDescription is the description Zoho gives the org territory.
const RootTerritoryDescription = "Organization Parent Territory"
