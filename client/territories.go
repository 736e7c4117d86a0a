package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// Territory is a territory of the org's territory tree. The root (the org territory) reports to
// nobody.
type Territory struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	APIName        string `json:"api_name"`
	Description    string `json:"description"`
	PermissionType string `json:"permission_type"`
	Manager        *Ref   `json:"manager"`
	// ReportingTo is the parent territory, nil for the root.
	ReportingTo  *Ref   `json:"reporting_to"`
	CreatedTime  string `json:"created_time"`
	ModifiedTime string `json:"modified_time"`
}

// Territories lists the org's territories, all pages: GET /crm/{version}/settings/territories.
func (c *Client) Territories(ctx context.Context) ([]Territory, error) {
	var out []Territory
	for page := 1; ; page++ {
		var env struct {
			Territories []Territory `json:"territories"`
			Info        Info        `json:"info"`
		}
		ok, err := c.get(ctx, "/settings/territories", url.Values{"page": {strconv.Itoa(page)}}, &env)
		if err != nil {
			return nil, err
		}
		out = append(out, env.Territories...)
		if !ok || !env.Info.MoreRecords {
			return out, nil
		}
	}
}

// Territory reads one territory: GET /crm/{version}/settings/territories/{id}.
func (c *Client) Territory(ctx context.Context, id string) (*Territory, error) {
	var env struct {
		Territories []Territory `json:"territories"`
	}
	ok, err := c.get(ctx, "/settings/territories/"+pathEscape(id), nil, &env)
	if err != nil {
		return nil, err
	}
	if !ok || len(env.Territories) == 0 {
		return nil, errors.New("client: GET territories/" + id + " answered no territory")
	}
	return &env.Territories[0], nil
}

// ChildTerritories lists a territory's direct children: GET
// /crm/{version}/settings/territories/{id}/__child_territories.
func (c *Client) ChildTerritories(ctx context.Context, id string) ([]Territory, error) {
	var env struct {
		Territories []Territory `json:"territories"`
	}
	if _, err := c.get(ctx, "/settings/territories/"+pathEscape(id)+"/__child_territories", nil, &env); err != nil {
		return nil, err
	}
	return env.Territories, nil
}

// NewTerritory is a territory to create.
type NewTerritory struct {
	Name string
	// ReportingTo is the parent territory's id (the root's for a top-level territory).
	ReportingTo string
	// PermissionType is read_only or read_write_delete (the default here).
	PermissionType string
	// ManagerID is a user id, optional.
	ManagerID   string
	Description string
}

// MarshalJSON renders the territory in Zoho's shape.
func (t NewTerritory) MarshalJSON() ([]byte, error) {
	perm := t.PermissionType
	if perm == "" {
		perm = "read_write_delete"
	}
	m := map[string]any{"name": t.Name, "permission_type": perm, "reporting_to": map[string]string{"id": t.ReportingTo}}
	if t.ManagerID != "" {
		m["manager"] = map[string]string{"id": t.ManagerID}
	}
	if t.Description != "" {
		m["description"] = t.Description
	}
	return marshal(m)
}

// CreateTerritories creates territories (Administrators only): POST
// /crm/{version}/settings/territories with {"territories":[…]}. One Result per territory, its ID the
// new territory's id.
func (c *Client) CreateTerritories(ctx context.Context, ts ...NewTerritory) (Results, error) {
	return c.items(ctx, http.MethodPost, "/settings/territories", nil, map[string]any{"territories": ts}, "territories")
}

// CreateTerritory creates one territory and returns its id; a refusal is an *Error.
func (c *Client) CreateTerritory(ctx context.Context, t NewTerritory) (string, error) {
	r, err := single(c.CreateTerritories(ctx, t))
	if err != nil {
		return "", err
	}
	return r.ID(), nil
}

// TerritoryAssignment names territories for one record.
type TerritoryAssignment struct {
	RecordID     string
	TerritoryIDs []string
}

func assignmentBody(as []TerritoryAssignment) map[string]any {
	data := make([]map[string]any, len(as))
	for i, a := range as {
		ts := make([]map[string]string, len(a.TerritoryIDs))
		for j, id := range a.TerritoryIDs {
			ts[j] = map[string]string{"id": id}
		}
		data[i] = map[string]any{"id": a.RecordID, "Territories": ts}
	}
	return map[string]any{"data": data}
}

// AssignTerritories adds territories to records (at most 10 records per call): POST
// /crm/{version}/{module}/actions/assign_territories. One Result per record.
func (c *Client) AssignTerritories(ctx context.Context, module string, as ...TerritoryAssignment) (Results, error) {
	return c.items(ctx, http.MethodPost, "/"+pathEscape(module)+"/actions/assign_territories", nil, assignmentBody(as), "data")
}

// RemoveTerritories takes territories off records: POST
// /crm/{version}/{module}/actions/remove_territories. One Result per record.
func (c *Client) RemoveTerritories(ctx context.Context, module string, as ...TerritoryAssignment) (Results, error) {
	return c.items(ctx, http.MethodPost, "/"+pathEscape(module)+"/actions/remove_territories", nil, assignmentBody(as), "data")
}
