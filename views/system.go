package views

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/criteria"
)

// Special marks what a view selects beyond its criteria tree, for the few system views the criteria
// language cannot express.
type Special int

const (
	// SpecialNone: the view selects exactly what its criteria select (every record when there are none).
	SpecialNone Special = iota
	// SpecialNothing: the view selects no record at all. The Converted views use it, because crmd has no
	// lead conversion yet, so no lead is converted; a user view whose stored criteria no longer fit the
	// module (a field was removed) is resolved the same way.
	SpecialNothing
	// SpecialUnread: the view selects the records (matching its criteria) that the caller has not opened
	// with GET /{module}/{id}.
	SpecialUnread
)

// Zoho's system names (docs/views.md#view-object). "today" is lower-case in Zoho too.
const (
	SysAll             = "ALLVIEWS"
	SysMine            = "MYVIEWS"
	SysRecentlyCreated = "RECENTLYCREATED"
	SysRecentlyMod     = "RECENTLYMODIFIED"
	SysToday           = "today"
	SysUnread          = "UNREADVIEWS"
	SysConverted       = "CONVERTEDVIEWS"
	SysMyConverted     = "MYCONVERTEDVIEWS"
	SysJunk            = "JUNKLEADVIEWS"
	SysNotQualified    = "NOTQUALIFIEDLEADVIEWS"
	SysOpen            = "OPENLEADVIEWS"
	SysUnsubscribed    = "UNSUBSCRIBED"
)

// RecentDays is how many calendar days, today included, the Recently Created/Modified views reach back
// in the org's time zone.
const RecentDays = 7

// systemDef is one system view: its system name, its label (a format taking the module's plural label),
// its criteria as JSON ("" = none) and what it needs beyond them.
type systemDef struct {
	name     string
	label    string
	criteria string
	special  Special
	leads    bool // only the Leads module has it
}

const (
	mineJSON = `{"field":"Owner","comparator":"equal","value":{"name":"${CURRENTUSER}"}}`
)

// systemDefs are the system views, in the order they are created and listed. Every module gets the
// first six; Leads gets the lead-status views as well. The meanings (D14) are written down in
// docs/views.md#d14 and covered by tests.
var systemDefs = []systemDef{
	// Every record of the module.
	{name: SysAll, label: "All %s"},
	// Records the caller owns.
	{name: SysMine, label: "My %s", criteria: mineJSON},
	// Created today or on the six days before it, in the org's time zone.
	{name: SysRecentlyCreated, label: "Recently Created %s",
		criteria: fmt.Sprintf(`{"field":"Created_Time","comparator":"greater_equal","value":"${LAST_N_DAYS:%d}"}`, RecentDays-1)},
	// Modified today or on the six days before it, in the org's time zone.
	{name: SysRecentlyMod, label: "Recently Modified %s",
		criteria: fmt.Sprintf(`{"field":"Modified_Time","comparator":"greater_equal","value":"${LAST_N_DAYS:%d}"}`, RecentDays-1)},
	// Created today, in the org's time zone.
	{name: SysToday, label: "Today's %s", criteria: `{"field":"Created_Time","comparator":"equal","value":"${TODAY}"}`},
	// Records the caller has not opened with GET /{module}/{id}.
	{name: SysUnread, label: "Unread %s", special: SpecialUnread},
	// Converted leads (all, and the caller's own): none, since crmd does not convert leads yet.
	{name: SysConverted, label: "Converted %s", special: SpecialNothing, leads: true},
	{name: SysMyConverted, label: "My Converted %s", criteria: mineJSON, special: SpecialNothing, leads: true},
	// Lead_Status is "Junk Lead".
	{name: SysJunk, label: "Junk %s", criteria: `{"field":"Lead_Status","comparator":"equal","value":"Junk Lead"}`, leads: true},
	// Lead_Status is "Not Qualified".
	{name: SysNotQualified, label: "Not Qualified %s", criteria: `{"field":"Lead_Status","comparator":"equal","value":"Not Qualified"}`, leads: true},
	// Lead_Status is none of Junk Lead, Lost Lead, Not Qualified (an empty status is open), and the lead
	// is not converted (always true in crmd).
	{name: SysOpen, label: "Open %s", criteria: `{"field":"Lead_Status","comparator":"not_in","value":["Junk Lead","Lost Lead","Not Qualified"]}`, leads: true},
	// Email_Opt_Out is true.
	{name: SysUnsubscribed, label: "Unsubscribed %s", criteria: `{"field":"Email_Opt_Out","comparator":"equal","value":true}`, leads: true},
}

// defFor returns the definition of a system name, or nil.
func defFor(systemName string) *systemDef {
	for i := range systemDefs {
		if systemDefs[i].name == systemName {
			return &systemDefs[i]
		}
	}
	return nil
}

// parseJSON decodes criteria JSON the way the API layer decodes bodies (numbers as json.Number).
func parseJSON(b []byte) (any, error) {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// parse parses the definition's criteria against m; nil when it has none.
func (d *systemDef) parse(m *crmd.Module) (*criteria.Node, error) {
	if d.criteria == "" {
		return nil, nil
	}
	raw, err := parseJSON([]byte(d.criteria))
	if err != nil {
		return nil, err
	}
	return criteria.Parse(raw, m)
}

// systemViews returns the system views module m gets: those that apply to it and whose criteria fit its
// fields (a module without a Lead_Status field gets no lead-status views).
func systemViews(m *crmd.Module) []crmd.View {
	var out []crmd.View
	for i := range systemDefs {
		d := &systemDefs[i]
		if d.leads && m.APIName != "Leads" {
			continue
		}
		if _, err := d.parse(m); err != nil {
			continue
		}
		label := fmt.Sprintf(d.label, m.PluralLabel)
		out = append(out, crmd.View{
			Name: label, DisplayValue: label, SystemName: d.name, AccessType: AccessPublic,
			Default: d.name == SysAll,
		})
	}
	return out
}

// systemNameTaken reports whether a user view name clashes (case-insensitively) with one of m's system
// views; user view names are unique per module including the system views.
func systemNameTaken(m *crmd.Module, name string) bool {
	for _, v := range systemViews(m) {
		if strings.ToLower(v.Name) == strings.ToLower(name) {
			return true
		}
	}
	return false
}
