package crmd

import (
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // org time zones resolve even on machines without a zoneinfo database
)

// ID is a Zoho id: a 19-digit decimal number, always serialised as a JSON string.
type ID int64

// String renders the id as its decimal digits.
func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// MarshalJSON writes the id as a JSON string, because the SDKs run BigInt() on every id and a JSON
// number above 2^53 would be corrupted.
func (id ID) MarshalJSON() ([]byte, error) { return []byte(`"` + id.String() + `"`), nil }

// DistinctIDs returns ids without repeats, in the order of their first mention.
func DistinctIDs(ids []ID) []ID {
	seen := make(map[ID]bool, len(ids))
	out := make([]ID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ParseID accepts only a string of 1–19 ASCII digits that fits in an int64 and is positive.
func ParseID(s string) (ID, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return ID(n), true
}

// TimeLayout is how Zoho writes timestamps: ISO-8601 with a numeric offset.
const TimeLayout = "2006-01-02T15:04:05-07:00"

// FormatTime renders a Unix-millisecond timestamp the way Zoho does, in the given location.
func FormatTime(ms int64, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return time.UnixMilli(ms).In(loc).Format(TimeLayout)
}

// Org is one tenant. Every other row belongs to exactly one org.
type Org struct {
	ID           ID
	Name         string
	PrimaryEmail string
	ZGID         string
	TimeZone     string
	CreatedTime  int64
}

// Location is the org's time zone, UTC when unknown.
func (o *Org) Location() *time.Location {
	if loc, err := time.LoadLocation(o.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Profile kinds. Permissions are derived from the kind (see Profile.Can) rather than stored row by row,
// so every module, including custom modules added later, is covered.
const (
	ProfileAdministrator = "Administrator"
	ProfileStandard      = "Standard"
)

// Permission verbs, as they appear in Zoho's Crm_Implied_<Verb>_<Module> permission names.
const (
	PermView       = "View"
	PermCreate     = "Create"
	PermEdit       = "Edit"
	PermDelete     = "Delete"
	PermMassDelete = "Mass_Delete"
)

// PermissionVerbs lists the verbs in the order profiles show them.
var PermissionVerbs = []string{PermView, PermCreate, PermEdit, PermDelete, PermMassDelete}

// Profile is a set of permissions shared by users.
type Profile struct {
	ID   ID
	Name string // ProfileAdministrator or ProfileStandard
}

// IsAdmin reports whether the profile is the all-powerful Administrator profile.
func (p Profile) IsAdmin() bool { return p.Name == ProfileAdministrator }

// Can reports whether the profile grants verb on every record of a module it may see. Administrator can
// do everything; Standard can view, create, edit and delete, but not mass delete.
func (p Profile) Can(verb string) bool {
	if p.IsAdmin() {
		return true
	}
	return verb != PermMassDelete
}

// PermissionName is Zoho's name for a module permission, e.g. Crm_Implied_Mass_Delete_Leads.
func PermissionName(verb, moduleAPIName string) string {
	return "Crm_Implied_" + verb + "_" + moduleAPIName
}

// User is a person in an org; every token is one user's.
type User struct {
	ID          ID
	OrgID       ID
	Email       string
	FirstName   string
	LastName    string
	Profile     Profile
	RoleID      ID
	RoleName    string
	Status      string // active | disabled
	ZUID        string
	CreatedTime int64
	// ModifiedTime (Unix ms) is when the user last changed: GET /users with If-Modified-Since lists
	// the users changed after a moment.
	ModifiedTime int64
}

// FullName is "First Last", or just the last name.
func (u *User) FullName() string {
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// Caller is who is making a request: the token's user in the token's org, and the token's scopes.
type Caller struct {
	Org    *Org
	User   *User
	Scopes []string
	// ClientID is the OAuth client (Zoho's "app") the token was issued to: Zoho counts concurrent
	// calls per user and app.
	ClientID string
}
