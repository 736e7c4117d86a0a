package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/territories"
)

// Zoho's shapes of the territories API: the territory object (docs/territories.md#territory-object),
// the list and path parameters, and the write bodies.

// terrRef is Zoho's {"name","id"} reference to a user or a territory.
type terrRef struct {
	Name string  `json:"name"`
	ID   crmd.ID `json:"id"`
}

// terrItem is a territory as Zoho's JSON shows it, keys in the order of Zoho's sample. The rule
// criteria are always null: crmd runs no territory assignment rules.
type terrItem struct {
	ID                  crmd.ID  `json:"id"`
	Name                string   `json:"name"`
	APIName             string   `json:"api_name"`
	Description         *string  `json:"description"`
	PermissionType      string   `json:"permission_type"`
	Manager             *terrRef `json:"manager"`
	ReportingTo         *terrRef `json:"reporting_to"`
	AccountRuleCriteria any      `json:"account_rule_criteria"`
	DealRuleCriteria    any      `json:"deal_rule_criteria"`
	LeadRuleCriteria    any      `json:"lead_rule_criteria"`
	CreatedBy           *terrRef `json:"created_by"`
	CreatedTime         string   `json:"created_time"`
	ModifiedBy          *terrRef `json:"modified_by"`
	ModifiedTime        string   `json:"modified_time"`
}

// terrUserRef references the user id (null for 0); a user the org no longer has keeps its id with an
// empty name.
func terrUserRef(users map[crmd.ID]*crmd.User, id crmd.ID) *terrRef {
	if id == 0 {
		return nil
	}
	r := &terrRef{ID: id}
	if u := users[id]; u != nil {
		r.Name = u.FullName()
	}
	return r
}

// territoryItems shapes territories as Zoho's JSON, their times in the org's time zone.
func (s *Server) territoryItems(ctx context.Context, rc *reqCtx, ts []*crmd.Territory) ([]terrItem, error) {
	n, err := s.svc.Territories.Names(ctx, rc.caller, ts)
	if err != nil {
		return nil, err
	}
	loc := rc.caller.Org.Location()
	out := make([]terrItem, len(ts))
	for i, t := range ts {
		it := terrItem{
			ID: t.ID, Name: t.Name, APIName: t.APIName, Description: t.Description, PermissionType: t.PermissionType,
			Manager: terrUserRef(n.Users, t.ManagerID), CreatedBy: terrUserRef(n.Users, t.CreatedBy), ModifiedBy: terrUserRef(n.Users, t.ModifiedBy),
			CreatedTime: crmd.FormatTime(t.CreatedTime, loc), ModifiedTime: crmd.FormatTime(t.ModifiedTime, loc),
		}
		if t.ReportingTo != 0 {
			it.ReportingTo = &terrRef{ID: t.ReportingTo}
			if p := n.Territories[t.ReportingTo]; p != nil {
				it.ReportingTo.Name = p.Name
			}
		}
		out[i] = it
	}
	return out, nil
}

// writeTerritoryPage answers one page of a territory list: 204 when it is empty, else the territories
// beside Zoho's info object.
func (s *Server) writeTerritoryPage(w http.ResponseWriter, r *http.Request, rc *reqCtx, p *territories.Page, pg territories.Paging) error {
	if len(p.Territories) == 0 {
		writeNoContent(w)
		return nil
	}
	items, err := s.territoryItems(r.Context(), rc, p.Territories)
	if err != nil {
		return err
	}
	writeList(w, "territories", items, map[string]any{"per_page": pg.PerPage, "count": len(items), "page": pg.Page, "more_records": p.More})
	return nil
}

// terrPaging reads page and per_page (at most territories.MaxPerPage, the default).
func terrPaging(q url.Values) (territories.Paging, error) {
	page, perPage, err := crmd.PageParams(q, territories.MaxPerPage)
	if err != nil {
		return territories.Paging{}, err
	}
	return territories.Paging{Page: page, PerPage: perPage}, nil
}

// terrListIDs reads the optional ids parameter of GET /settings/territories: a comma list of at most
// territories.MaxIDs distinct ids (nil when absent).
func terrListIDs(q url.Values) ([]crmd.ID, error) {
	v, ok := crmd.QueryParam(q, "ids")
	if !ok {
		return nil, nil
	}
	ids, good := crmd.SplitIDs(v)
	if !good {
		return nil, crmd.ErrInvalidParam("ids")
	}
	if len(ids) > territories.MaxIDs {
		return nil, crmd.E("LIMIT_EXCEEDED", "limit exceeded", crmd.D{"limit": territories.MaxIDs, "param_name": "ids"})
	}
	return ids, nil
}

// terrErrInvalidPathID is the answer for a territory id in the path (segment 2 after /crm/{version}/)
// that is malformed or names no territory of the caller's org.
func terrErrInvalidPathID() *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": 2})
}

// pathTerritory resolves the {id} of a /settings/territories/{id}… path to a territory of the caller's
// org.
func (s *Server) pathTerritory(ctx context.Context, rc *reqCtx) (*crmd.Territory, error) {
	id, ok := crmd.ParseID(rc.param("id"))
	if !ok {
		return nil, terrErrInvalidPathID()
	}
	t, err := s.svc.Territories.Get(ctx, rc.caller, id)
	if err == nil && t == nil {
		return nil, terrErrInvalidPathID()
	}
	return t, err
}
