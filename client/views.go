package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// CustomView is a custom view of a module (system views included). The list endpoint leaves out
// Criteria and Fields; CustomView (one view) has them.
type CustomView struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DisplayValue  string `json:"display_value"`
	SystemName    string `json:"system_name"`
	SystemDefined bool   `json:"system_defined"`
	Default       bool   `json:"default"`
	// Category is public_views, other_users_views, shared_with_me or created_by_me.
	Category string `json:"category"`
	// AccessType is public, only_to_me or shared (v2.1+).
	AccessType string `json:"access_type"`
	SortOrder  string `json:"sort_order"`
	// Criteria is the view's criteria as Zoho renders them (a leaf or a group), nil for none.
	Criteria map[string]any `json:"criteria"`
	Fields   []ViewField    `json:"fields"`
	Module   *Ref           `json:"module"`
}

// ViewField is a column of a view.
type ViewField struct {
	APIName string `json:"api_name"`
	ID      string `json:"id"`
}

// CustomViews lists every view of a module the caller may see, all pages: GET
// /crm/{version}/settings/custom_views?module=….
func (c *Client) CustomViews(ctx context.Context, module string) ([]CustomView, error) {
	var out []CustomView
	for page := 1; ; page++ {
		var env struct {
			Views []CustomView `json:"custom_views"`
			Info  Info         `json:"info"`
		}
		ok, err := c.get(ctx, "/settings/custom_views", url.Values{"module": {module}, "page": {strconv.Itoa(page)}}, &env)
		if err != nil {
			return nil, err
		}
		out = append(out, env.Views...)
		if !ok || !env.Info.MoreRecords {
			return out, nil
		}
	}
}

// CustomView reads one view with its criteria and fields: GET
// /crm/{version}/settings/custom_views/{id}?module=….
func (c *Client) CustomView(ctx context.Context, module, id string) (*CustomView, error) {
	var env struct {
		Views []CustomView `json:"custom_views"`
	}
	ok, err := c.get(ctx, "/settings/custom_views/"+pathEscape(id), url.Values{"module": {module}}, &env)
	if err != nil {
		return nil, err
	}
	if !ok || len(env.Views) == 0 {
		return nil, errors.New("client: GET custom_views/" + id + " answered no view")
	}
	return &env.Views[0], nil
}

// NewCustomView is a view to create.
type NewCustomView struct {
	Name string `json:"name"`
	// Criteria is a Criterion, a Group, or Zoho's JSON as a map; nil selects every record.
	Criteria any `json:"criteria,omitempty"`
	// Fields are the API names of the view's columns.
	Fields []string `json:"-"`
	// AccessType is "public" or "only_to_me" (the default).
	AccessType string `json:"access_type,omitempty"`
	SortBy     string `json:"-"`
	SortOrder  string `json:"sort_order,omitempty"`
}

// MarshalJSON renders the view in Zoho's shape (fields and sort_by as {"api_name"} objects).
func (v NewCustomView) MarshalJSON() ([]byte, error) {
	type plain NewCustomView
	m, err := structMap(plain(v))
	if err != nil {
		return nil, err
	}
	if len(v.Fields) > 0 {
		fs := make([]map[string]string, len(v.Fields))
		for i, f := range v.Fields {
			fs[i] = map[string]string{"api_name": f}
		}
		m["fields"] = fs
	}
	if v.SortBy != "" {
		m["sort_by"] = map[string]string{"api_name": v.SortBy}
	}
	return marshal(m)
}

// Criterion is one comparison of Zoho's criteria language: {"field":{"api_name"},"comparator","value"}.
type Criterion struct {
	Field      string
	Comparator string // equal, not_equal, in, contains, starts_with, greater_than, between, …
	Value      any
}

// MarshalJSON renders the criterion in Zoho's v2.1+ shape.
func (c Criterion) MarshalJSON() ([]byte, error) {
	return marshal(map[string]any{"field": map[string]string{"api_name": c.Field}, "comparator": c.Comparator, "value": c.Value})
}

// Group combines criteria (Criterion or Group values) with "AND" or "OR".
type Group struct {
	Operator string
	Group    []any
}

// MarshalJSON renders the group in Zoho's shape.
func (g Group) MarshalJSON() ([]byte, error) {
	return marshal(map[string]any{"group_operator": g.Operator, "group": g.Group})
}

// CreateCustomViews creates views of a module: POST /crm/{version}/settings/custom_views?module=…
// with {"custom_views":[…]} (Zoho's v8 API; crmd serves it under every version). One Result per view,
// its ID the new view's cvid.
func (c *Client) CreateCustomViews(ctx context.Context, module string, views ...NewCustomView) (Results, error) {
	return c.items(ctx, http.MethodPost, "/settings/custom_views", url.Values{"module": {module}},
		map[string]any{"custom_views": views}, "custom_views")
}

// CreateCustomView creates one view and returns its cvid; a refused view is an *Error.
func (c *Client) CreateCustomView(ctx context.Context, module string, view NewCustomView) (string, error) {
	r, err := single(c.CreateCustomViews(ctx, module, view))
	if err != nil {
		return "", err
	}
	return r.ID(), nil
}

// UnmarshalJSON accepts v2's plain API name as well as v2.1+'s {"api_name","id"}.
func (f *ViewField) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &f.APIName)
	}
	type plain ViewField
	return json.Unmarshal(b, (*plain)(f))
}
