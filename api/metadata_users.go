package api

// GET /users and /users/{id} (docs/metadata.md#users).

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
)

// metaUserJSON is one user, keys exactly as docs/metadata.md#users (the mixed casing of created_by / Modified_By
// is Zoho's own).
type metaUserJSON struct {
	ID            crmd.ID  `json:"id"`
	FullName      string   `json:"full_name"`
	FirstName     *string  `json:"first_name"`
	LastName      string   `json:"last_name"`
	Email         string   `json:"email"`
	Role          metaRef  `json:"role"`
	Profile       metaRef  `json:"profile"`
	Status        string   `json:"status"`
	Confirm       bool     `json:"confirm"`
	ZUID          string   `json:"zuid"`
	Locale        string   `json:"locale"`
	TimeZone      string   `json:"time_zone"`
	DateFormat    string   `json:"date_format"`
	TimeFormat    string   `json:"time_format"`
	CreatedBy     *metaRef `json:"created_by"`
	CreatedTime   string   `json:"created_time"`
	ModifiedBy    *metaRef `json:"Modified_By"`
	ModifiedTime  string   `json:"Modified_Time"`
	ReportingTo   *metaRef `json:"Reporting_To"`
	CountryLocale string   `json:"country_locale"`
	Language      string   `json:"language"`
	Isonline      bool     `json:"Isonline"`
}

func metaUserOf(u *crmd.User, org *crmd.Org, admin *crmd.User, modified map[crmd.ID]int64) metaUserJSON {
	loc := org.Location()
	mt, ok := modified[u.ID]
	if !ok {
		mt = u.CreatedTime
	}
	j := metaUserJSON{
		ID: u.ID, FullName: u.FullName(), LastName: u.LastName, Email: u.Email,
		Role:    metaRef{Name: u.RoleName, ID: u.RoleID},
		Profile: metaRef{Name: u.Profile.Name, ID: u.Profile.ID},
		Status:  u.Status,
		// Every crmd user exists only once an admin added them, so all are confirmed.
		Confirm: true, ZUID: u.ZUID, Locale: "en_US", TimeZone: org.TimeZone,
		DateFormat: "MM/dd/yyyy", TimeFormat: "hh:mm a",
		// crmd does not record who added or changed a user; the founding admin stands for the org.
		CreatedBy:     metaUserRef(admin),
		CreatedTime:   crmd.FormatTime(u.CreatedTime, loc),
		ModifiedBy:    metaUserRef(admin),
		ModifiedTime:  crmd.FormatTime(mt, loc),
		CountryLocale: "en_US", Language: "en_US",
	}
	if u.FirstName != "" {
		fn := u.FirstName
		j.FirstName = &fn
	}
	return j
}

// metaRoleRank places crmd's two roles in Zoho's default hierarchy: Manager reports to CEO. Any other
// role name ranks as a Manager.
func metaRoleRank(role string) int {
	if role == "CEO" {
		return 0
	}
	return 1
}

// metaUserTypes are the /users type filters (docs/metadata.md#users), keyed lower-case because the type is matched
// case-insensitively. crmd has no lite, developer, unconfirmed or deleted users, and no reporting
// lines, so those types match nobody and answer 204.
var metaUserTypes = map[string]func(u, caller *crmd.User) bool{
	"allusers":                func(u, c *crmd.User) bool { return true },
	"activeanddeactive":       func(u, c *crmd.User) bool { return u.Status != "deleted" },
	"activeusers":             func(u, c *crmd.User) bool { return u.Status == "active" },
	"allactiveusers":          func(u, c *crmd.User) bool { return u.Status == "active" },
	"activeconfirmedusers":    func(u, c *crmd.User) bool { return u.Status == "active" },
	"confirmedusers":          func(u, c *crmd.User) bool { return true },
	"deactiveusers":           func(u, c *crmd.User) bool { return u.Status != "active" && u.Status != "deleted" },
	"deletedusers":            func(u, c *crmd.User) bool { return u.Status == "deleted" },
	"notconfirmedusers":       func(u, c *crmd.User) bool { return false },
	"adminusers":              func(u, c *crmd.User) bool { return u.Profile.IsAdmin() },
	"activeconfirmedadmins":   func(u, c *crmd.User) bool { return u.Profile.IsAdmin() && u.Status == "active" },
	"currentuser":             func(u, c *crmd.User) bool { return u.ID == c.ID },
	"developerusers":          func(u, c *crmd.User) bool { return false },
	"activeliteuser":          func(u, c *crmd.User) bool { return false },
	"childroleusers":          func(u, c *crmd.User) bool { return metaRoleRank(u.RoleName) > metaRoleRank(c.RoleName) },
	"subordinateroleusers":    func(u, c *crmd.User) bool { return metaRoleRank(u.RoleName) > metaRoleRank(c.RoleName) },
	"parentroleusers":         func(u, c *crmd.User) bool { return metaRoleRank(u.RoleName) < metaRoleRank(c.RoleName) },
	"confirmedreportingusers": func(u, c *crmd.User) bool { return false },
}

// metaPaging parses page and per_page. A value that is not an integer cannot be parsed
// (UNABLE_TO_PARSE_DATA_TYPE); one below 1 is invalid; per_page above 200 is capped at 200, as Zoho
// documents 200 as both default and maximum.
func metaPaging(q url.Values) (page, perPage int, err error) {
	parse := func(name string, def int) (int, error) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, crmd.E("UNABLE_TO_PARSE_DATA_TYPE", crmd.MsgUnableToParse, crmd.D{"param_name": name})
		}
		if n < 1 {
			return 0, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": name})
		}
		return n, nil
	}
	if page, err = parse("page", 1); err != nil {
		return 0, 0, err
	}
	if perPage, err = parse("per_page", metaMaxPerPage); err != nil {
		return 0, 0, err
	}
	return page, min(perPage, metaMaxPerPage), nil
}

// listUsers serves GET /users?type=…&page=&per_page=&ids=. The default type is AllUsers; an empty
// result is 204 with no body.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "users", Op: oauth.OpRead}); err != nil {
		return err
	}
	q := r.URL.Query()
	typ := q.Get("type")
	if typ == "" {
		typ = "AllUsers"
	}
	match, ok := metaUserTypes[strings.ToLower(typ)]
	if !ok {
		return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "type"})
	}
	page, perPage, err := metaPaging(q)
	if err != nil {
		return err
	}
	var want map[crmd.ID]bool
	if raw := q.Get("ids"); raw != "" {
		want = map[crmd.ID]bool{}
		for _, part := range strings.Split(raw, ",") {
			id, ok := crmd.ParseID(strings.TrimSpace(part))
			if !ok {
				return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"param_name": "ids"})
			}
			want[id] = true
		}
	}
	since, perr := modifiedSince(r)
	if perr != nil {
		return perr
	}
	ctx := r.Context()
	org := rc.caller.Org
	all, err := s.svc.Metadata.Users(ctx, org.ID)
	if err != nil {
		return err
	}
	var users []*crmd.User
	for _, u := range all {
		if match(u, rc.caller.User) && (want == nil || want[u.ID]) && u.ModifiedTime > since {
			users = append(users, u)
		}
	}
	start := (page - 1) * perPage
	if start >= len(users) {
		if since != 0 && len(users) == 0 {
			writeNotModified(w) // If-Modified-Since: no user changed after it (freshness.go)
			return nil
		}
		writeNoContent(w)
		return nil
	}
	end := min(start+perPage, len(users))
	out, err := s.metaUsersJSON(ctx, org, users[start:end])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"users": out,
		"info":  map[string]any{"per_page": perPage, "count": len(out), "page": page, "more_records": end < len(users)},
	})
	return nil
}

// getUser serves GET /users/{id}. A user of another org is looked up within the caller's org only and
// so gets the same answer as an id that never existed.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "users", Op: oauth.OpRead}); err != nil {
		return err
	}
	id, ok := crmd.ParseID(rc.param("id"))
	if !ok {
		return metaErrInvalidPathID(1) // users=0, {id}=1
	}
	ctx := r.Context()
	org := rc.caller.Org
	u, err := s.svc.Metadata.User(ctx, org.ID, id)
	if err != nil {
		return err
	}
	if u == nil {
		return metaErrInvalidPathID(1)
	}
	out, err := s.metaUsersJSON(ctx, org, []*crmd.User{u})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// metaUsersJSON shapes users of org as /users shows them, with the org's founding administrator and
// the users' modification times.
func (s *Server) metaUsersJSON(ctx context.Context, org *crmd.Org, users []*crmd.User) ([]metaUserJSON, error) {
	admin, err := s.metaFirstAdmin(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	modified, err := s.svc.Metadata.UserModifiedTimes(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]metaUserJSON, len(users))
	for i, u := range users {
		out[i] = metaUserOf(u, org, admin, modified)
	}
	return out, nil
}
