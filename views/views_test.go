package views

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/criteria"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// fixture is a store on a real SQLite file with two orgs; org A has an admin and a Standard user.
type fixture struct {
	st          *store.Store
	svc         *Service
	clock       *crmdtest.Clock
	orgA, orgB  *crmd.Org
	admin, std  *crmd.User
	adminB      *crmd.User
	leads, accs *crmd.Module
	leadsB      *crmd.Module
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := crmdtest.OpenStore(t)
	f := &fixture{st: st, svc: New(st), clock: crmdtest.UseClock(st, time.Date(2024, 5, 13, 10, 0, 0, 0, time.UTC))}
	a := crmdtest.NewOrg(t, st, store.NewOrg{Name: "A", AdminEmail: "a@a.test", AdminLast: "Admin", TimeZone: "Asia/Kolkata"})
	f.orgA, f.admin = a.Org, a.Admin
	f.std = a.AddUser(t, store.NewUser{Email: "s@a.test", LastName: "Std", Profile: crmd.ProfileStandard})
	b := crmdtest.NewOrg(t, st, store.NewOrg{Name: "B", AdminEmail: "b@b.test", AdminLast: "B"})
	f.orgB, f.adminB = b.Org, b.Admin
	f.leads, f.accs, f.leadsB = a.Module(t, "Leads"), a.Module(t, "Accounts"), b.Module(t, "Leads")
	return f
}

func (f *fixture) caller(u *crmd.User) *crmd.Caller {
	org := f.orgA
	if u.OrgID == f.orgB.ID {
		org = f.orgB
	}
	return &crmd.Caller{Org: org, User: u}
}

// lead is a record to insert: owner, creation/modification instants and data.
type lead struct {
	owner   *crmd.User
	created time.Time
	data    string
}

func (f *fixture) insert(t *testing.T, m *crmd.Module, ls ...lead) []crmd.ID {
	t.Helper()
	ctx := context.Background()
	var ids []crmd.ID
	err := f.st.Tx(ctx, func(tx *store.Tx) error {
		first, err := f.st.AllocIDs(ctx, tx, m.OrgID, len(ls))
		if err != nil {
			return err
		}
		recs := make([]crmd.Record, len(ls))
		for i, l := range ls {
			ms := l.created.UnixMilli()
			recs[i] = crmd.Record{ID: first + crmd.ID(i), OrgID: m.OrgID, ModuleID: m.ID, OwnerID: l.owner.ID, CreatedBy: l.owner.ID,
				ModifiedBy: l.owner.ID, CreatedTime: ms, ModifiedTime: ms, DisplayName: fmt.Sprint(i), Data: []byte(l.data)}
			ids = append(ids, recs[i].ID)
		}
		return f.st.InsertRecords(ctx, tx, recs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// selected lists the ids a view filter selects among the module's live approved records, sorted.
func (f *fixture) selected(t *testing.T, c *crmd.Caller, m *crmd.Module, vf *store.ViewFilter) []crmd.ID {
	t.Helper()
	recs, err := f.st.ListRecords(context.Background(), store.RecordQuery{OrgID: c.Org.ID, ModuleID: m.ID, Filter: store.RecordFilter{View: vf}})
	if err != nil {
		t.Fatal(err)
	}
	out := []crmd.ID{}
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

// evalSelected is the same set computed in memory: criteria.Eval for the criteria, the record_reads
// set for Unread, nothing for SpecialNothing.
func (f *fixture) evalSelected(t *testing.T, c *crmd.Caller, m *crmd.Module, v *crmd.View, read map[crmd.ID]bool) []crmd.ID {
	t.Helper()
	def, _ := Define(m, v)
	recs, err := f.st.ListRecords(context.Background(), store.RecordQuery{OrgID: c.Org.ID, ModuleID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	out := []crmd.ID{}
	if def.Special == SpecialNothing {
		return out
	}
	for _, r := range recs {
		d := json.NewDecoder(strings.NewReader(string(r.Data)))
		d.UseNumber()
		var data map[string]any
		if err := d.Decode(&data); err != nil {
			t.Fatal(err)
		}
		row := &criteria.Row{ID: r.ID, OwnerID: r.OwnerID, CreatedBy: r.CreatedBy, ModifiedBy: r.ModifiedBy,
			CreatedTime: r.CreatedTime, ModifiedTime: r.ModifiedTime, Data: data}
		if !criteria.Eval(def.Criteria, row, f.svc.Env(c)) {
			continue
		}
		if def.Special == SpecialUnread && read[r.ID] {
			continue
		}
		out = append(out, r.ID)
	}
	return out
}

func ids(xs ...crmd.ID) []crmd.ID {
	out := append([]crmd.ID{}, xs...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func sameIDs(a, b []crmd.ID) bool {
	return fmt.Sprint(ids(a...)) == fmt.Sprint(ids(b...))
}

func (f *fixture) system(t *testing.T, c *crmd.Caller, m *crmd.Module) map[string]*crmd.View {
	t.Helper()
	vs, err := f.svc.Views(context.Background(), c, m)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*crmd.View{}
	for _, v := range vs {
		if v.IsSystem() {
			out[v.SystemName] = v
		}
	}
	return out
}

// fieldIndexes reports whether the index assertions apply: on SQLite, views start side indexes
// (field_values, filled by index jobs); PostgreSQL builds expression indexes CONCURRENTLY instead.
func (f *fixture) fieldIndexes() bool { return f.st.Dialect == store.SQLite }

// hasFieldIndex reports whether the Leads data field has, or is getting, its index: on SQLite its side
// index, whose index job was accepted (store.FieldIndexStatus).
func (f *fixture) hasFieldIndex(t *testing.T, field string) bool {
	t.Helper()
	status, err := f.st.FieldIndexStatus(context.Background(), f.leads.ID, f.leads.Field(field))
	if err != nil {
		t.Fatal(err)
	}
	return status != ""
}

func errDetails(t *testing.T, err error) (string, string) {
	t.Helper()
	e, ok := crmd.AsError(err)
	if !ok {
		t.Fatalf("not a *crmd.Error: %v", err)
	}
	b, _ := json.Marshal(e.Details)
	return e.Code, string(b)
}

// parse parses criteria JSON against m, as the HTTP layer does for an item's criteria.
func parse(t *testing.T, m *crmd.Module, s string) *criteria.Node {
	t.Helper()
	n, err := criteria.Parse(crmdtest.Decode(t, s), m)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fields returns fields of m by api name, as the HTTP layer resolves an item's fields.
func fields(m *crmd.Module, names ...string) []*crmd.Field {
	out := make([]*crmd.Field, len(names))
	for i, n := range names {
		out[i] = m.Field(n)
	}
	return out
}

func TestSystemViewsPerModule(t *testing.T) {
	f := newFixture(t)
	c := f.caller(f.admin)
	leads := f.system(t, c, f.leads)
	want := map[string]string{
		SysAll: "All Leads", SysMine: "My Leads", SysRecentlyCreated: "Recently Created Leads",
		SysRecentlyMod: "Recently Modified Leads", SysToday: "Today's Leads", SysUnread: "Unread Leads",
		SysConverted: "Converted Leads", SysMyConverted: "My Converted Leads", SysJunk: "Junk Leads",
		SysNotQualified: "Not Qualified Leads", SysOpen: "Open Leads", SysUnsubscribed: "Unsubscribed Leads",
	}
	if len(leads) != len(want) {
		t.Errorf("Leads has %d system views, want %d", len(leads), len(want))
	}
	for sys, label := range want {
		v := leads[sys]
		if v == nil || v.DisplayValue != label || v.Name != label || v.Default != (sys == SysAll) || v.AccessType != AccessPublic {
			t.Errorf("%s: %+v, want %q", sys, v, label)
		}
	}
	// Creating them indexes nothing (listing views stays cheap); resolving one indexes the data fields
	// its criteria read.
	for sys, field := range map[string]string{SysJunk: "Lead_Status", SysUnsubscribed: "Email_Opt_Out"} {
		if f.fieldIndexes() && f.hasFieldIndex(t, field) {
			t.Errorf("%s indexed before any view on it was resolved", field)
		}
		if _, err := f.svc.Resolve(context.Background(), c, f.leads, leads[sys].ID.String()); err != nil {
			t.Fatal(err)
		}
		if f.fieldIndexes() && !f.hasFieldIndex(t, field) {
			t.Errorf("resolving %s left %s without an index", sys, field)
		}
	}
	accs := f.system(t, c, f.accs)
	if len(accs) != 6 || accs[SysAll].DisplayValue != "All Accounts" || accs[SysToday].DisplayValue != "Today's Accounts" || accs[SysJunk] != nil {
		t.Errorf("Accounts system views: %v", accs)
	}
	// A custom module added later gets them on first access.
	cm, err := f.st.AddCustomModule(context.Background(), f.orgA.ID, func(name string, seq int) *crmd.Module {
		m := catalog.NewCustomModule("Projects", name, "Project", "Projects", nil)
		m.SequenceNumber = seq
		return m
	})
	if err != nil {
		t.Fatal(err)
	}
	proj := f.system(t, c, cm)
	if len(proj) != 6 || proj[SysMine].DisplayValue != "My Projects" {
		t.Errorf("custom module system views: %v", proj)
	}
	// Second access creates nothing new and keeps the ids.
	again := f.system(t, c, f.leads)
	for k, v := range leads {
		if again[k].ID != v.ID {
			t.Errorf("%s changed id", k)
		}
	}
}

func TestSystemViewMeanings(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.clock.Now() // 2024-05-13 15:30 in Asia/Kolkata
	ist, _ := time.LoadLocation("Asia/Kolkata")
	day := func(d int) time.Time { return time.Date(2024, 5, 13+d, 12, 0, 0, 0, ist) }
	leadIDs := f.insert(t, f.leads,
		lead{f.admin, day(0), `{"Last_Name":"a","Lead_Status":"Junk Lead"}`},                                 // 0 today, admin
		lead{f.std, day(0), `{"Last_Name":"b","Lead_Status":"Not Qualified"}`},                               // 1 today, std
		lead{f.admin, day(-6), `{"Last_Name":"c","Lead_Status":"Lost Lead"}`},                                // 2 six days ago: recent
		lead{f.std, day(-7), `{"Last_Name":"d","Lead_Status":"Contacted","Email_Opt_Out":true}`},             // 3 seven days ago: not recent
		lead{f.admin, day(-30), `{"Last_Name":"e"}`},                                                         // 4 old, no status: open
		lead{f.std, time.Date(2024, 5, 12, 23, 0, 0, 0, ist), `{"Last_Name":"f","Lead_Status":"junk lead"}`}, // 5 yesterday in IST
	)
	// Midnight in the org's zone is the day boundary: 2024-05-13 00:30 IST is today although it is still
	// the 12th in UTC.
	early := f.insert(t, f.leads, lead{f.std, time.Date(2024, 5, 13, 0, 30, 0, 0, ist), `{"Last_Name":"g","Email_Opt_Out":false}`})[0]
	// Another org's lead never shows.
	f.insert(t, f.leadsB, lead{f.adminB, day(0), `{"Last_Name":"x","Lead_Status":"Junk Lead"}`})

	admin, std := f.caller(f.admin), f.caller(f.std)
	sys := f.system(t, admin, f.leads)
	all := append(append([]crmd.ID{}, leadIDs...), early)
	want := map[string][]crmd.ID{
		SysAll:             all,
		SysMine:            {leadIDs[0], leadIDs[2], leadIDs[4]},
		SysRecentlyCreated: {leadIDs[0], leadIDs[1], leadIDs[2], leadIDs[5], early},
		SysRecentlyMod:     {leadIDs[0], leadIDs[1], leadIDs[2], leadIDs[5], early},
		SysToday:           {leadIDs[0], leadIDs[1], early},
		SysUnread:          all,
		SysConverted:       {},
		SysMyConverted:     {},
		SysJunk:            {leadIDs[0], leadIDs[5]},
		SysNotQualified:    {leadIDs[1]},
		SysOpen:            {leadIDs[3], leadIDs[4], early},
		SysUnsubscribed:    {leadIDs[3]},
	}
	for name, w := range want {
		v := sys[name]
		got := f.selected(t, admin, f.leads, f.svc.Filter(admin, f.leads, v))
		if !sameIDs(got, w) {
			t.Errorf("%s selects %v, want %v", name, ids(got...), ids(w...))
		}
		if ev := f.evalSelected(t, admin, f.leads, v, nil); !sameIDs(got, ev) {
			t.Errorf("%s: SQL %v, Eval %v", name, ids(got...), ids(ev...))
		}
	}
	// My is relative to the caller.
	if got := f.selected(t, std, f.leads, f.svc.Filter(std, f.leads, sys[SysMine])); !sameIDs(got, []crmd.ID{leadIDs[1], leadIDs[3], leadIDs[5], early}) {
		t.Errorf("My Leads for the standard user: %v", got)
	}
	// Unread: reading a record removes it for that user only.
	if err := f.st.MarkRecordRead(ctx, f.admin.ID, leadIDs[2]); err != nil {
		t.Fatal(err)
	}
	read := map[crmd.ID]bool{leadIDs[2]: true}
	gotUnread := f.selected(t, admin, f.leads, f.svc.Filter(admin, f.leads, sys[SysUnread]))
	if len(gotUnread) != len(all)-1 || !sameIDs(gotUnread, f.evalSelected(t, admin, f.leads, sys[SysUnread], read)) {
		t.Errorf("Unread after a read: %v", gotUnread)
	}
	if got := f.selected(t, std, f.leads, f.svc.Filter(std, f.leads, sys[SysUnread])); len(got) != len(all) {
		t.Errorf("another user's read leaked into Unread: %v", got)
	}
	// Recent views move with the store clock: a week later only the records of the last 7 days count.
	f.clock.Set(now.AddDate(0, 0, 6))
	if got := f.selected(t, admin, f.leads, f.svc.Filter(admin, f.leads, sys[SysRecentlyCreated])); !sameIDs(got, []crmd.ID{leadIDs[0], leadIDs[1], early}) {
		t.Errorf("Recently Created six days later: %v", got)
	}
	if got := f.selected(t, admin, f.leads, f.svc.Filter(admin, f.leads, sys[SysToday])); len(got) != 0 {
		t.Errorf("Today's six days later: %v", got)
	}
}

func TestUserViewsSelectWhatEvalSelects(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.caller(f.admin)
	base := f.clock.Now()
	for i := 0; i < 40; i++ {
		st := []string{"Junk Lead", "Contacted", "", "Not Qualified"}[i%4]
		data := fmt.Sprintf(`{"Last_Name":"N%02d","Company":"Co%d","No_of_Employees":%d,"Email_Opt_Out":%v`, i, i%5, i*3, i%3 == 0)
		if st != "" {
			data += fmt.Sprintf(`,"Lead_Status":%q`, st)
		}
		owner := f.admin
		if i%2 == 1 {
			owner = f.std
		}
		f.insert(t, f.leads, lead{owner, base.Add(-time.Duration(i) * 13 * time.Hour), data + "}"})
	}
	crits := []string{
		`{"field":"Company","comparator":"starts_with","value":"co1"}`,
		`{"group_operator":"OR","group":[{"field":{"api_name":"No_of_Employees"},"comparator":"between","value":[10,40]},{"field":"Lead_Status","comparator":"equal","value":"${EMPTY}"}]}`,
		`{"group_operator":"and","group":[{"field":"Owner","comparator":"equal","value":"${CURRENTUSER}"},{"field":"Created_Time","comparator":"greater_equal","value":"${LAST_N_DAYS:3}"}]}`,
		`{"field":"Email_Opt_Out","comparator":"not_equal","value":true}`,
	}
	if f.fieldIndexes() && f.hasFieldIndex(t, "Company") {
		t.Fatal("Company is indexed before any view reads it")
	}
	var in []Input
	for i, cr := range crits {
		in = append(in, Input{Name: Set(fmt.Sprintf("V%d", i)), Criteria: Set(parse(t, f.leads, cr))})
	}
	created := f.createdIDs(t, c, f.leads, in...)
	for _, field := range []string{"Company", "No_of_Employees"} {
		if f.fieldIndexes() && !f.hasFieldIndex(t, field) {
			t.Errorf("creating a view did not index %s", field)
		}
	}
	for i, id := range created {
		v, err := f.svc.Lookup(ctx, c, f.leads, id)
		if err != nil {
			t.Fatal(err)
		}
		sqlSet := f.selected(t, c, f.leads, f.svc.Filter(c, f.leads, v))
		evalSet := f.evalSelected(t, c, f.leads, v, nil)
		if !sameIDs(sqlSet, evalSet) || len(sqlSet) == 0 || len(sqlSet) == 40 {
			t.Errorf("view %s: SQL %d records, Eval %d", crits[i], len(sqlSet), len(evalSet))
		}
		// Resolve gives the same predicate.
		p, err := f.svc.Resolve(ctx, c, f.leads, v.ID.String())
		if err != nil {
			t.Fatal(err)
		}
		if got := f.selected(t, c, f.leads, p); !sameIDs(got, sqlSet) {
			t.Errorf("Resolve differs for %s", crits[i])
		}
	}
}

func TestResolveErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin, std, orgB := f.caller(f.admin), f.caller(f.std), f.caller(f.adminB)
	sysA := f.system(t, admin, f.leads)
	sysB := f.system(t, orgB, f.leadsB)
	created := f.createdIDs(t, admin, f.leads, Input{Name: Set("Private")}, Input{Name: Set("Shared"), AccessType: Set("public")})
	private, public := created[0], created[1]
	const want = `{"api_name":"cvid","json_path":"$.cvid"}`
	for _, tc := range []struct {
		name string
		c    *crmd.Caller
		m    *crmd.Module
		cvid string
	}{
		{"malformed", admin, f.leads, "12ab"},
		{"empty", admin, f.leads, ""},
		{"unknown", admin, f.leads, "1234567890123456789"},
		{"other module", admin, f.accs, sysA[SysAll].ID.String()},
		{"other org", admin, f.leads, sysB[SysAll].ID.String()},
		{"other org's caller", orgB, f.leadsB, sysA[SysAll].ID.String()},
		{"someone else's private view", std, f.leads, private.String()},
	} {
		_, err := f.svc.Resolve(ctx, tc.c, tc.m, tc.cvid)
		code, details := errDetails(t, err)
		if code != "INVALID_DATA" || details != want || err.(*crmd.Error).Message != MsgInvalidCVID {
			t.Errorf("%s: %s %s", tc.name, code, details)
		}
	}
	// Visible ones resolve: public views for everyone, private ones for their creator and admins.
	for _, id := range []crmd.ID{public, sysA[SysMine].ID} {
		if _, err := f.svc.Resolve(ctx, std, f.leads, id.String()); err != nil {
			t.Errorf("std resolving %v: %v", id, err)
		}
	}
	if _, err := f.svc.Resolve(ctx, admin, f.leads, private.String()); err != nil {
		t.Errorf("admin resolving its private view: %v", err)
	}
}
