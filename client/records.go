package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Record is one record: field API names to values, as Zoho sends them (ids as strings, lookups and
// users as objects, numbers as json.Number).
type Record map[string]any

// ID is the record's id ("" when it has none yet).
func (r Record) ID() string { return detailString(r, "id") }

// String reads a text field ("" when absent or not text).
func (r Record) String(field string) string {
	s, _ := r[field].(string)
	return s
}

// InsertRecords inserts records into a module: POST /crm/{version}/{module} with {"data":[…]} (at most
// 100 records per call, Zoho's limit; the server refuses more with LIMIT_EXCEEDED). One Result per
// record, in order; a success's ID is the new record's id.
func (c *Client) InsertRecords(ctx context.Context, module string, records ...Record) (Results, error) {
	return c.items(ctx, http.MethodPost, "/"+pathEscape(module), nil, map[string]any{"data": records}, "data")
}

// GetRecord reads one record: GET /crm/{version}/{module}/{id}. fields, when given, are sent as the
// fields parameter. An unknown or deleted id is an *Error INVALID_DATA.
func (c *Client) GetRecord(ctx context.Context, module, id string, fields ...string) (Record, error) {
	var q url.Values
	if len(fields) > 0 {
		q = url.Values{"fields": {strings.Join(fields, ",")}}
	}
	var env struct {
		Data []Record `json:"data"`
	}
	ok, err := c.get(ctx, "/"+pathEscape(module)+"/"+pathEscape(id), q, &env)
	if err != nil {
		return nil, err
	}
	if !ok || len(env.Data) == 0 {
		return nil, errors.New("client: GET " + module + "/" + id + " answered no record")
	}
	return env.Data[0], nil
}

// ListOptions are the parameters of a record list. Zero values are left out.
type ListOptions struct {
	// Fields are the API names to return (mandatory from v5 on).
	Fields []string
	// Page and PerPage page through the first 2,000 records; PageToken (info.next_page_token) beyond.
	Page, PerPage int
	PageToken     string
	// CVID lists the records of a custom view.
	CVID string
	// TerritoryID lists the records of a territory, with IncludeChild those of its whole subtree.
	TerritoryID  string
	IncludeChild bool
	// SortBy and SortOrder ("asc" or "desc") order the list.
	SortBy, SortOrder string
	// Approved is "true" (Zoho's default), "false" or "both".
	Approved string
	// IDs restricts the list to these records.
	IDs []string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("fields", strings.Join(o.Fields, ","))
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(o.PerPage))
	}
	set("page_token", o.PageToken)
	set("cvid", o.CVID)
	set("territory_id", o.TerritoryID)
	if o.IncludeChild {
		q.Set("include_child", "true")
	}
	set("sort_by", o.SortBy)
	set("sort_order", o.SortOrder)
	set("approved", o.Approved)
	set("ids", strings.Join(o.IDs, ","))
	return q
}

// RecordPage is one page of records and Zoho's info object.
type RecordPage struct {
	Records []Record
	Info    Info
}

// ListRecords lists one page of a module's records: GET /crm/{version}/{module}. An empty list (Zoho's
// 204) is a page with no records.
func (c *Client) ListRecords(ctx context.Context, module string, opts ListOptions) (*RecordPage, error) {
	var env struct {
		Data []Record `json:"data"`
		Info Info     `json:"info"`
	}
	if _, err := c.get(ctx, "/"+pathEscape(module), opts.query(), &env); err != nil {
		return nil, err
	}
	return &RecordPage{Records: env.Data, Info: env.Info}, nil
}

// UpdateRecords updates records, each naming itself in "id": PUT /crm/{version}/{module} (at most 100).
// One Result per record, in order.
func (c *Client) UpdateRecords(ctx context.Context, module string, records ...Record) (Results, error) {
	return c.items(ctx, http.MethodPut, "/"+pathEscape(module), nil, map[string]any{"data": records}, "data")
}

// UpdateRecord updates one record: PUT /crm/{version}/{module}/{id}. A refused update is an *Error.
func (c *Client) UpdateRecord(ctx context.Context, module, id string, fields Record) (Result, error) {
	rs, err := c.items(ctx, http.MethodPut, "/"+pathEscape(module)+"/"+pathEscape(id), nil, map[string]any{"data": []Record{fields}}, "data")
	return single(rs, err)
}

// DeleteRecords deletes records by id: DELETE /crm/{version}/{module}?ids=… (at most 100). Deleted
// records go to the recycle bin. One Result per id, in order.
func (c *Client) DeleteRecords(ctx context.Context, module string, ids ...string) (Results, error) {
	return c.items(ctx, http.MethodDelete, "/"+pathEscape(module), url.Values{"ids": {strings.Join(ids, ",")}}, nil, "data")
}

// single is the one Result of a one-item call, its failure as the error.
func single(rs Results, err error) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	if len(rs) != 1 {
		return Result{}, errors.New("client: want one result, got " + strconv.Itoa(len(rs)))
	}
	return rs[0], rs[0].Err()
}

// DeletedRecord is one entry of a module's deleted records.
type DeletedRecord struct {
	ID string `json:"id"`
	// DisplayName is null (here "") for permanently deleted records.
	DisplayName string `json:"display_name"`
	// Type is "recycle" (in the recycle bin) or "permanent".
	Type        string `json:"type"`
	DeletedBy   *Ref   `json:"deleted_by"`
	CreatedBy   *Ref   `json:"created_by"`
	DeletedTime string `json:"deleted_time"`
}

// DeletedOptions are the parameters of the deleted records list.
type DeletedOptions struct {
	// Type is "all" (Zoho's default), "recycle" or "permanent".
	Type          string
	Page, PerPage int
}

// DeletedPage is one page of deleted records.
type DeletedPage struct {
	Records []DeletedRecord
	Info    Info
}

// DeletedRecords lists a module's deleted records: GET /crm/{version}/{module}/deleted?type=….
func (c *Client) DeletedRecords(ctx context.Context, module string, opts DeletedOptions) (*DeletedPage, error) {
	q := url.Values{}
	if opts.Type != "" {
		q.Set("type", opts.Type)
	}
	if opts.Page > 0 {
		q.Set("page", strconv.Itoa(opts.Page))
	}
	if opts.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(opts.PerPage))
	}
	var env struct {
		Data []DeletedRecord `json:"data"`
		Info Info            `json:"info"`
	}
	if _, err := c.get(ctx, "/"+pathEscape(module)+"/deleted", q, &env); err != nil {
		return nil, err
	}
	return &DeletedPage{Records: env.Data, Info: env.Info}, nil
}

// Field is a field's metadata, the keys clients need to read and write records.
type Field struct {
	ID              string `json:"id"`
	APIName         string `json:"api_name"`
	FieldLabel      string `json:"field_label"`
	DataType        string `json:"data_type"`
	JSONType        string `json:"json_type"`
	SystemMandatory bool   `json:"system_mandatory"`
	CustomField     bool   `json:"custom_field"`
	// Raw is the whole field object as Zoho sent it.
	Raw map[string]any `json:"-"`
}

// Fields lists a module's fields: GET /crm/{version}/settings/fields?module=….
func (c *Client) Fields(ctx context.Context, module string) ([]Field, error) {
	var env struct {
		Fields []json.RawMessage `json:"fields"`
	}
	if _, err := c.get(ctx, "/settings/fields", url.Values{"module": {module}}, &env); err != nil {
		return nil, err
	}
	out := make([]Field, len(env.Fields))
	for i, raw := range env.Fields {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, err
		}
		(&response{body: raw}).decode(&out[i].Raw)
	}
	return out, nil
}

// User is a CRM user.
type User struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FullName  string `json:"full_name"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Status    string `json:"status"`
	Profile   *Ref   `json:"profile"`
	Role      *Ref   `json:"role"`
	TimeZone  string `json:"time_zone"`
}

// CurrentUser returns the token's user: GET /crm/{version}/users?type=CurrentUser.
func (c *Client) CurrentUser(ctx context.Context) (*User, error) {
	var env struct {
		Users []User `json:"users"`
	}
	ok, err := c.get(ctx, "/users", url.Values{"type": {"CurrentUser"}}, &env)
	if err != nil {
		return nil, err
	}
	if !ok || len(env.Users) == 0 {
		return nil, errors.New("client: GET users?type=CurrentUser answered no user")
	}
	return &env.Users[0], nil
}

// Org is the token's organization.
type Org struct {
	ID          string `json:"id"`
	CompanyName string `json:"company_name"`
	ZGID        string `json:"zgid"`
	TimeZone    string `json:"time_zone"`
	Currency    string `json:"currency"`
}

// Org returns the token's organization: GET /crm/{version}/org.
func (c *Client) Org(ctx context.Context) (*Org, error) {
	var env struct {
		Org []Org `json:"org"`
	}
	ok, err := c.get(ctx, "/org", nil, &env)
	if err != nil {
		return nil, err
	}
	if !ok || len(env.Org) == 0 {
		return nil, errors.New("client: GET org answered no org")
	}
	return &env.Org[0], nil
}
