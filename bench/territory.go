package bench

// The territories' selections: what a cvid job with territory_id and include_child reads first — the
// ids of every live record of a territory and its children, alone and ∩ a scattered view — timed in
// process through the store, with no server running.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
	"github.com/crmd/crmd/views"
)

// territorySelectRuns is how many times each selection runs (the median is reported).
const territorySelectRuns = 5

// benchTerritories are "West" and its two children.
type benchTerritories struct {
	west     crmd.ID
	children []crmd.ID
}

// territoryResult is the territories' measurement.
type territoryResult struct {
	assigned           int64         // the Leads assigned to West's children
	selectMS           time.Duration // West and its children: median
	count, want        int           // the ids it selected, and the live Leads of the subtree by the plan
	viewMS             time.Duration // West and its children ∩ the first scattered view: median
	viewCount, viewWnt int
	jobMS              time.Duration // a cvid job's read of West and its children (at most jobViewLimit+1 ids): median
	jobCount           int
}

// jobViewLimit is the records a cvid job may select (massdelete.DefaultViewLimit, Zoho's 50,000): a
// job reads one more to learn that a selection is over it.
const jobViewLimit = 50_000

// scatteredCriteria selects a scattered job's Leads: its Lead_Source values, within its Created_Time
// range.
func scatteredCriteria(job benchJob) map[string]any {
	var values []any
	for _, v := range job.values {
		values = append(values, map[string]any{"field": map[string]any{"api_name": "Lead_Source"}, "comparator": "equal", "value": v})
	}
	source := values[0]
	if len(values) > 1 {
		source = map[string]any{"group_operator": "OR", "group": values}
	}
	r := rangeCriteria(job)
	return map[string]any{"group_operator": "AND", "group": append([]any{source}, r["group"].([]any)...)}
}

// createTerritories creates West under the root territory and California and Oregon under West,
// through the API (and so through the territories service).
func createTerritories(ctx context.Context, c *benchClient, root crmd.ID) (*benchTerritories, error) {
	create := func(name string, parent crmd.ID) (crmd.ID, error) {
		status, body, err := c.do(ctx, "POST", "/crm/v8/settings/territories", map[string]any{"territories": []any{map[string]any{
			"name": name, "permission_type": crmd.TerritoryReadWriteDelete, "reporting_to": map[string]any{"id": parent.String()}}}})
		if err != nil {
			return 0, err
		}
		if ts, _ := body["territories"].([]any); status == http.StatusCreated && len(ts) == 1 {
			if d, _ := ts[0].(map[string]any)["details"].(map[string]any); d != nil {
				switch id := d["id"].(type) {
				case string:
					if v, ok := crmd.ParseID(id); ok {
						return v, nil
					}
				case float64:
					return crmd.ID(id), nil
				}
			}
		}
		return 0, fmt.Errorf("bench: creating territory %q: HTTP %d %v", name, status, body)
	}
	west, err := create("West", root)
	if err != nil {
		return nil, err
	}
	t := &benchTerritories{west: west}
	for _, name := range []string{"California", "Oregon"} {
		id, err := create(name, west)
		if err != nil {
			return nil, err
		}
		t.children = append(t.children, id)
	}
	return t, nil
}

// territoryRun assigns a third of the Leads to each of West's children (by id modulo 3) and times the
// selections. It runs before anything is deleted, so the plan's Leads are all live.
func (m *runner) territoryRun(ctx context.Context, st *store.Store, o *benchOrg, t *benchTerritories) (*territoryResult, error) {
	res := &territoryResult{}
	for i, child := range t.children {
		n, err := st.BenchAssignTerritory(ctx, o.orgID, o.module.ID, child, 3, int64(i), o.adminID, st.NowMS())
		if err != nil {
			return nil, err
		}
		res.assigned += n
	}
	inWest := func(id crmd.ID) bool { return int64(id)%3 < int64(len(t.children)) }
	for _, r := range o.records {
		if inWest(r.ID) {
			res.want++
		}
	}
	for _, id := range o.scattered[0].ids {
		if inWest(id) {
			res.viewWnt++
		}
	}
	if err := st.Optimize(ctx); err != nil { // as the server does hourly: the planner sees the new rows
		return nil, err
	}
	if _, err := st.Checkpoint(ctx); err != nil { // the selections read the database, not a large WAL
		return nil, err
	}
	scope := &store.TerritoryScope{OrgID: o.orgID, ID: t.west, IncludeChild: true}
	// The view as the server resolves it for the admin who made it (views.Service.Resolve).
	admin, err := st.User(ctx, o.orgID, o.adminID)
	if err != nil {
		return nil, err
	}
	view, err := views.New(st).Resolve(ctx, &crmd.Caller{Org: o.org, User: admin}, o.module, o.scattered[0].cvid)
	if err != nil {
		return nil, err
	}
	median := func(f store.RecordFilter) (int, time.Duration, error) {
		var ds []time.Duration
		n := 0
		for range territorySelectRuns {
			start := time.Now()
			ids, err := st.RecordIDs(ctx, store.RecordQuery{OrgID: o.orgID, ModuleID: o.module.ID, Filter: f})
			if err != nil {
				return 0, 0, err
			}
			ds = append(ds, time.Since(start))
			n = len(ids)
		}
		slices.Sort(ds)
		return n, ds[len(ds)/2], nil
	}
	if res.count, res.selectMS, err = median(store.RecordFilter{Territory: scope}); err != nil {
		return nil, err
	}
	if res.viewCount, res.viewMS, err = median(store.RecordFilter{View: view, Territory: scope}); err != nil {
		return nil, err
	}
	// What a cvid job with this territory reads before it accepts or refuses (LIMIT_EXCEEDED): at most
	// the view limit + 1 ids, in id order (store.SelectRecordIDs). The whole subtree above is the
	// selection itself, as a count or a preview needs it.
	var jds []time.Duration
	for range territorySelectRuns {
		start := time.Now()
		ids, err := st.SelectRecordIDs(ctx, o.orgID, o.module.ID, store.RecordFilter{Territory: scope}, jobViewLimit)
		if err != nil {
			return nil, err
		}
		jds = append(jds, time.Since(start))
		res.jobCount = len(ids)
	}
	slices.Sort(jds)
	res.jobMS = jds[len(jds)/2]
	fmt.Fprintf(m.log, "crmd bench: territory West and its children: %d ids in %s; ∩ the scattered view: %d ids in %s; a cvid job's read of it: %d ids in %s\n",
		res.count, fmtMS(res.selectMS), res.viewCount, fmtMS(res.viewMS), res.jobCount, fmtMS(res.jobMS))
	return res, nil
}
