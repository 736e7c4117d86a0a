package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The recycle bin API is Zoho's v6+ API (/settings/recycle_bin). A Client on an older version calls it
// under v8 regardless, since the endpoints do not exist before v6 and a v8 token works for every
// version.

// BinItem is one record in the recycle bin.
type BinItem struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	DeletedTime string `json:"deleted_time"`
	Owner       *Ref   `json:"owner"`
	Module      *Ref   `json:"module"`
	DeletedBy   *Ref   `json:"deleted_by"`
}

// BinOptions are the parameters of the recycle bin list. Zero values are left out.
type BinOptions struct {
	// SortBy is display_name, deleted_time (Zoho's default) or deleted_by; SortOrder asc or desc.
	SortBy, SortOrder string
	IDs               []string
	Page, PerPage     int
	// Filters is Zoho's criteria JSON over display_name, module, deleted_by and deleted_time (a
	// Criterion, a Group or a map), sent URL-encoded.
	Filters any
}

// BinPage is one page of the recycle bin.
type BinPage struct {
	Items []BinItem
	Info  Info
}

// binVersion is the Client the recycle bin calls go through: this one, or a copy on v8 below v6.
func (c *Client) binVersion() *Client {
	switch c.version {
	case "v2", "v2.1", "v3", "v4", "v5":
		cc := *c
		cc.version = "v8"
		return &cc
	}
	return c
}

// RecycleBin lists one page of the org's recycle bin: GET /crm/{version}/settings/recycle_bin. An empty
// bin (Zoho's 204) is a page with no items.
func (c *Client) RecycleBin(ctx context.Context, opts BinOptions) (*BinPage, error) {
	q := url.Values{}
	if opts.SortBy != "" {
		q.Set("sort_by", opts.SortBy)
	}
	if opts.SortOrder != "" {
		q.Set("sort_order", opts.SortOrder)
	}
	if len(opts.IDs) > 0 {
		q.Set("ids", strings.Join(opts.IDs, ","))
	}
	if opts.Page > 0 {
		q.Set("page", strconv.Itoa(opts.Page))
	}
	if opts.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(opts.PerPage))
	}
	if opts.Filters != nil {
		b, err := marshal(opts.Filters)
		if err != nil {
			return nil, err
		}
		q.Set("filters", string(b))
	}
	var env struct {
		Items []BinItem `json:"recycle_bin"`
		Info  Info      `json:"info"`
	}
	if _, err := c.binVersion().get(ctx, "/settings/recycle_bin", q, &env); err != nil {
		return nil, err
	}
	return &BinPage{Items: env.Items, Info: env.Info}, nil
}

// RecycleBinRecord reads one record of the recycle bin: GET /crm/{version}/settings/recycle_bin/{id}.
func (c *Client) RecycleBinRecord(ctx context.Context, id string) (*BinItem, error) {
	var env struct {
		Items []BinItem `json:"recycle_bin"`
	}
	ok, err := c.binVersion().get(ctx, "/settings/recycle_bin/"+pathEscape(id), nil, &env)
	if err != nil {
		return nil, err
	}
	if !ok || len(env.Items) == 0 {
		return nil, errors.New("client: GET recycle_bin/" + id + " answered no record")
	}
	return &env.Items[0], nil
}

// RecycleBinCount counts the records in the recycle bin, of one module when module is not "": GET
// /crm/{version}/settings/recycle_bin/actions/count.
func (c *Client) RecycleBinCount(ctx context.Context, module string) (int, error) {
	var q url.Values
	if module != "" {
		q = url.Values{"module": {module}}
	}
	var env struct {
		Count int `json:"count"`
	}
	_, err := c.binVersion().get(ctx, "/settings/recycle_bin/actions/count", q, &env)
	return env.Count, err
}

// RestoreRecords restores records from the recycle bin (at most 200 per call): POST
// /crm/{version}/settings/recycle_bin/actions/restore with {"ids":[…]}. One Result per id; a restored
// record comes back with its id, fields and owner. Work Zoho schedules comes back as one Result with
// Code SCHEDULED and details.job_id.
func (c *Client) RestoreRecords(ctx context.Context, ids ...string) (Results, error) {
	return c.binVersion().items(ctx, http.MethodPost, "/settings/recycle_bin/actions/restore", nil,
		map[string]any{"ids": ids}, "recycle_bin")
}

// DeletePermanently deletes records from the recycle bin for good (at most 1,000 per call): DELETE
// /crm/{version}/settings/recycle_bin?ids=…. One Result per id (or one SCHEDULED Result).
func (c *Client) DeletePermanently(ctx context.Context, ids ...string) (Results, error) {
	return c.binVersion().items(ctx, http.MethodDelete, "/settings/recycle_bin",
		url.Values{"ids": {strings.Join(ids, ",")}}, nil, "recycle_bin")
}

// EmptyRecycleBin deletes every record of the org's recycle bin for good (Administrators only): POST
// /crm/{version}/settings/recycle_bin/actions/empty. One Result, SUCCESS or SCHEDULED.
func (c *Client) EmptyRecycleBin(ctx context.Context) (Result, error) {
	return single(c.binVersion().items(ctx, http.MethodPost, "/settings/recycle_bin/actions/empty", nil, nil, "recycle_bin"))
}
