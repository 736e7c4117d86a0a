// Package territories is crmd's territory service: the org's territory tree (/settings/territories),
// the assignment of territories to records (/{module}/actions/assign_territories and
// remove_territories), and the subtree resolution other services filter records with (Subtree,
// Scope). It knows nothing of HTTP or of Zoho's JSON: every operation takes the caller and typed
// values (ids, Paging, Draft, Edit, Transfer, Assignment), and returns territories (*crmd.Territory),
// pages of them, one crmd.Result per item of a write, *crmd.Error for anything the client caused and
// any other error for internal failures. The HTTP layer decodes Zoho's requests into those values,
// checking each item on its own as it does (JSON types, mandatory keys, lengths, permission types, a
// manager among the org's users), and encodes the answers; this package checks the items against the
// tree and the records, and writes.
//
// The tree: every org has exactly one root, the org territory (named after the org, described
// "Organization Parent Territory", reporting to nobody), created lazily on first use so that orgs made
// before territories existed get one too. Every other territory reports to a territory of the same org
// through reporting_to. Cycles are impossible: a change of reporting_to that would put a territory
// under itself or one of its descendants is refused, and writers of one org's tree are serialised.
// The root can be neither re-parented nor deleted; a territory with children cannot be deleted except
// through transfer_and_delete, which first moves its children (and its records) to another territory.
//
// Choices made where Zoho's material is silent or contradicts itself (also noted at their code):
//   - Only Administrators may create, update or delete territories; anyone else gets 403 NO_PERMISSION
//     {"permissions":["Crm_Implied_Manage_Territories"]}. Reading needs only the scope.
//   - Literal messages follow Zoho's OpenAPI examples: "Given Territory name already exists" /
//     "Duplicate Territory Name Found", "Territory can't be deleted as it's having child", "Org
//     Territory cannot be deleted", and for a cycle NOT_ALLOWED "Reporting_to id should not be the
//     child of given territory. Chosse another territory as Reporing_to" (Zoho's spelling, kept because
//     clients match on it); the success messages are the HTTP layer's.
//   - Every module may carry territories (Zoho limits them to Accounts, Contacts, Deals and Leads); a
//     record has at most MaxPerRecord of them.
//   - Assigning or removing territories stamps the record modified (Modified_By, Modified_Time), so that
//     clients that sync by modification time see the change.
package territories

import (
	"context"
	"errors"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// Limits of the territories API.
const (
	// MaxWrite is how many territories one create, update or transfer_and_delete request may carry.
	MaxWrite = 100
	// MaxIDs is how many ids the ids parameter of GET and DELETE /settings/territories may list.
	MaxIDs = 100
	// MaxPerPage is the largest page of a territory list (and its default).
	MaxPerPage = 200
	// MaxRecords is how many records one assign_territories or remove_territories request may name.
	MaxRecords = 10
	// MaxPerRecord is how many territories a record may carry, and one entry may list.
	MaxPerRecord = 100
	// MaxNameLength and MaxDescriptionLength bound a territory's name and description, in characters.
	MaxNameLength        = 100
	MaxDescriptionLength = 2000
)

// ManagePermission is the profile permission territory writes need; only Administrators hold it.
const ManagePermission = "Crm_Implied_Manage_Territories"

// Service implements the territories API on a store.
type Service struct {
	st *store.Store
}

// New returns a territory service on st.
func New(st *store.Store) *Service { return &Service{st: st} }

// Paging is one page of a list: Page counts from 1, PerPage is at most MaxPerPage.
type Paging struct {
	Page, PerPage int
}

// Page is one page of a territory list, in id order (the root first); More tells whether further
// pages follow. An empty page means "nothing", which Zoho answers with 204.
type Page struct {
	Territories []*crmd.Territory
	More        bool
}

// Names is what showing territories takes beyond the territories themselves: the org's users by id
// (their managers, creators and last modifiers) and, by id, every territory they report to.
type Names struct {
	Users       map[crmd.ID]*crmd.User
	Territories map[crmd.ID]*crmd.Territory
}

// ---- subtree and record filter -------------------------------------------------------------------

// ErrUnknownTerritory is the error for a territory id that names no territory of the caller's org (a
// territory of another org included): INVALID_DATA "the id given seems to be invalid" {"id": …}. It is a
// fresh value each time, so a caller may replace its Details with the path its own API reports.
func ErrUnknownTerritory(id crmd.ID) *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"id": id})
}

// Subtree returns the territory alone, or with includeChild the territory and every descendant, all
// resolved by one recursive query however deep and wide the tree. A territory that is not the org's is
// ErrUnknownTerritory (the only *crmd.Error Subtree returns).
func (s *Service) Subtree(ctx context.Context, orgID, territoryID crmd.ID, includeChild bool) ([]crmd.ID, error) {
	if !includeChild {
		if _, err := s.st.Territory(ctx, nil, orgID, territoryID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, ErrUnknownTerritory(territoryID)
			}
			return nil, err
		}
		return []crmd.ID{territoryID}, nil
	}
	ids, err := s.st.SubtreeTerritoryIDs(ctx, nil, orgID, territoryID)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, ErrUnknownTerritory(territoryID)
	}
	return ids, nil
}

// Scope returns the record filter of a territory of the caller's org, alone or with includeChild its
// whole subtree (store.TerritoryScope: the store resolves the subtree inside its queries, however deep
// and wide the tree). Records with no territory belong to none (not to the root). A territory that is
// not the org's is ErrUnknownTerritory (the only *crmd.Error Scope returns): GET /{module}?territory_id=
// maps it to {"param_name":"territory_id"}, mass delete to {"api_name":"id","json_path":"$.territory.id"}.
func (s *Service) Scope(ctx context.Context, orgID, territoryID crmd.ID, includeChild bool) (*store.TerritoryScope, error) {
	if _, err := s.st.Territory(ctx, nil, orgID, territoryID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrUnknownTerritory(territoryID)
		}
		return nil, err
	}
	return &store.TerritoryScope{OrgID: orgID, ID: territoryID, IncludeChild: includeChild}, nil
}

// ---- reads ---------------------------------------------------------------------------------------

// List returns one page of the org's territories in id order (the root first), or with ids only
// those among them (ids that name nothing are left out; nil ids: every territory). The org's root
// territory is made on first use, so the first list of an org shows it.
func (s *Service) List(ctx context.Context, c *crmd.Caller, ids []crmd.ID, pg Paging) (*Page, error) {
	if _, err := s.st.EnsureRootTerritory(ctx, c.Org.ID); err != nil {
		return nil, err
	}
	return s.page(ctx, store.TerritoryQuery{OrgID: c.Org.ID, IDs: ids}, pg)
}

// Children returns one page of the direct children of the org's territory id (not deeper
// descendants), in id order; an id that names no territory of the org has none.
func (s *Service) Children(ctx context.Context, c *crmd.Caller, id crmd.ID, pg Paging) (*Page, error) {
	return s.page(ctx, store.TerritoryQuery{OrgID: c.Org.ID, Parent: id}, pg)
}

// Get returns the org's territory id, nil when the org has none (a territory of another org
// included: the caller cannot tell them apart). The org's root territory is made on first use.
func (s *Service) Get(ctx context.Context, c *crmd.Caller, id crmd.ID) (*crmd.Territory, error) {
	if _, err := s.st.EnsureRootTerritory(ctx, c.Org.ID); err != nil {
		return nil, err
	}
	t, err := s.st.Territory(ctx, nil, c.Org.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return t, err
}

// page reads one page of q: the store is asked for one row more than the page holds, which tells
// whether more follow.
func (s *Service) page(ctx context.Context, q store.TerritoryQuery, pg Paging) (*Page, error) {
	q.Offset, q.Limit = (pg.Page-1)*pg.PerPage, pg.PerPage+1
	ts, err := s.st.ListTerritories(ctx, q)
	if err != nil {
		return nil, err
	}
	p := &Page{Territories: ts, More: len(ts) > pg.PerPage}
	if p.More {
		p.Territories = ts[:pg.PerPage]
	}
	return p, nil
}

// Names returns what showing ts takes, with two queries at most whatever their number: the org's
// users, and the territories ts report to that are not among ts.
func (s *Service) Names(ctx context.Context, c *crmd.Caller, ts []*crmd.Territory) (*Names, error) {
	users, err := s.st.UsersByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	known := make(map[crmd.ID]*crmd.Territory, len(ts))
	for _, t := range ts {
		known[t.ID] = t
	}
	var missing []crmd.ID
	for _, t := range ts {
		if t.ReportingTo != 0 && known[t.ReportingTo] == nil {
			missing = append(missing, t.ReportingTo)
		}
	}
	parents, err := s.st.TerritoriesByID(ctx, nil, c.Org.ID, missing)
	if err != nil {
		return nil, err
	}
	for id, t := range parents {
		known[id] = t
	}
	return &Names{Users: users, Territories: known}, nil
}

// fieldErr builds an error about one key of one item of a write, with its api_name and json_path.
func fieldErr(code, message, apiName, path string, extra crmd.D) *crmd.Error {
	d := crmd.D{"api_name": apiName, "json_path": path}
	for k, v := range extra {
		d[k] = v
	}
	return crmd.E(code, message, d)
}
