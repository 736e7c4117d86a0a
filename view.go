package crmd

// View is a custom view of a module: one of Zoho's system views (SystemName set) or a view a user
// made. What a view selects is package views' business: it gives system views their criteria and
// checks user views.
type View struct {
	ID, OrgID, ModuleID ID
	Name                string
	DisplayValue        string
	// SystemName is Zoho's system_name (ALLVIEWS, MYVIEWS, today, …); "" for a user view.
	SystemName string
	// Criteria is the normalised criteria JSON; nil means every record.
	Criteria []byte
	// Fields are the api names of the view's columns.
	Fields []string
	// SortBy is the api name of the field the view sorts on, "" for none; SortOrder "asc", "desc" or "".
	SortBy, SortOrder string
	// AccessType is "public" or "only_to_me".
	AccessType string
	// CreatedBy and ModifiedBy are 0, and the times 0, for system views.
	CreatedBy, ModifiedBy     ID
	CreatedTime, ModifiedTime int64 // Unix ms
	Default                   bool
	// Favorite is the view's favourite position, 0 when it is not a favourite.
	Favorite         int64
	LastAccessedTime int64 // Unix ms, 0 = never recorded
}

// IsSystem reports whether the view is one of the system views.
func (v *View) IsSystem() bool { return v.SystemName != "" }
