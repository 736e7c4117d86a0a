package api

// GET /settings/modules and /settings/modules/{api_name} (docs/metadata.md#modules).

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/oauth"
)

// metaModuleJSON is one entry of /settings/modules, keys in the order of Zoho's v8 sample (docs/metadata.md#modules).
type metaModuleJSON struct {
	ID                     crmd.ID     `json:"id"`
	APIName                string      `json:"api_name"`
	ModuleName             string      `json:"module_name"`
	PluralLabel            string      `json:"plural_label"`
	SingularLabel          string      `json:"singular_label"`
	ActualPluralLabel      string      `json:"actual_plural_label"`
	ActualSingularLabel    string      `json:"actual_singular_label"`
	APISupported           bool        `json:"api_supported"`
	Creatable              bool        `json:"creatable"`
	Deletable              bool        `json:"deletable"`
	Editable               bool        `json:"editable"`
	Viewable               bool        `json:"viewable"`
	Convertable            bool        `json:"convertable"`
	QuickCreate            bool        `json:"quick_create"`
	Lookupable             bool        `json:"lookupable"`
	GeneratedType          string      `json:"generated_type"`
	Status                 string      `json:"status"`
	Visibility             int         `json:"visibility"`
	SequenceNumber         int         `json:"sequence_number"`
	ShowAsTab              bool        `json:"show_as_tab"`
	Profiles               []metaRef   `json:"profiles"`
	ProfileCount           int         `json:"profile_count"`
	ParentModule           metaEmpty   `json:"parent_module"`
	AccessType             string      `json:"access_type"`
	RecycleBinOnDelete     *bool       `json:"recycle_bin_on_delete,omitempty"` // v6+ only
	ModifiedTime           string      `json:"modified_time"`
	ModifiedBy             *metaRef    `json:"modified_by"`
	WebLink                *string     `json:"web_link"`
	Arguments              []metaEmpty `json:"arguments"`
	Description            *string     `json:"description"`
	GlobalSearchSupported  bool        `json:"global_search_supported"`
	BusinessCardFieldLimit int         `json:"business_card_field_limit"`
	FeedsRequired          bool        `json:"feeds_required"`
	PresenceSubMenu        bool        `json:"presence_sub_menu"`
	SubMenuAvailable       bool        `json:"sub_menu_available"`
	HasMoreProfiles        bool        `json:"has_more_profiles"`
	IsBlueprintSupported   bool        `json:"isBlueprintSupported"`
	// The keys below complete what zoho/crm-oas v8.0/modules.json marks required. Every SDK model that
	// has one of them reads it with the type shown here (display_field aside, see metaDisplayField),
	// and the SDKs skip keys their models lack, so they are shown in every version.
	CommonSearchSupported      bool                 `json:"common.search_supported"`
	InventoryTemplateSupported bool                 `json:"inventory_template_supported"`
	TriggersSupported          bool                 `json:"triggers_supported"`
	ChartView                  bool                 `json:"chart_view"`
	ChartViewSupported         bool                 `json:"chart_view_supported"`
	Visible                    bool                 `json:"visible"`
	EmailTemplateSupport       bool                 `json:"emailTemplate_support"`
	EmailParserSupported       bool                 `json:"email_parser_supported"`
	FilterSupported            bool                 `json:"filter_supported"`
	ScoringSupported           bool                 `json:"scoring_supported"`
	WebformSupported           bool                 `json:"webform_supported"`
	TrackCurrentData           bool                 `json:"track_current_data"`
	ActivityBadge              *string              `json:"activity_badge"`
	FieldStates                []string             `json:"$field_states"`
	BusinessCardFields         []string             `json:"business_card_fields"`
	PerPage                    int                  `json:"per_page"`
	Properties                 []string             `json:"$properties"`
	OnDemandProperties         []string             `json:"$on_demand_properties"`
	SearchLayoutFields         []string             `json:"search_layout_fields"`
	KanbanViewSupported        bool                 `json:"kanban_view_supported"`
	KanbanView                 bool                 `json:"kanban_view"`
	LookupFieldProperties      metaLookupFieldProps `json:"lookup_field_properties"`
	RelatedLists               []metaEmpty          `json:"related_lists"`
	FilterStatus               bool                 `json:"filter_status"`
	RelatedListProperties      metaRelatedListProps `json:"related_list_properties"`
	DisplayField               any                  `json:"display_field"`
	Layouts                    []metaEmpty          `json:"layouts"`
	Fields                     []metaEmpty          `json:"fields"`
	CustomView                 *metaEmpty           `json:"custom_view"`
	ZiaView                    bool                 `json:"zia_view"`
	DefaultMappingFields       []metaEmpty          `json:"default_mapping_fields"`
	LayoutAssociations         []metaEmpty          `json:"layout_associations"`
}

// metaLookupFieldProps lists the fields a lookup to the module shows: its display field.
type metaLookupFieldProps struct {
	Fields []metaLookupShowField `json:"fields"`
}

type metaLookupShowField struct {
	SequenceNumber int     `json:"sequence_number"`
	APIName        string  `json:"api_name"`
	ID             crmd.ID `json:"id"`
}

// metaRelatedListProps is how the module's records show in related lists: by display field, unsorted.
type metaRelatedListProps struct {
	SortBy    *metaEmpty `json:"sort_by"`
	Fields    []string   `json:"fields"`
	SortOrder *string    `json:"sort_order"`
}

// metaDisplayField is the module's display field: its api name up to v6 (the Module classes of
// @zohocrm/nodejs-sdk-2.0 6.1.0, @zohocrm/typescript-sdk-2.1 1.1.0 and @zohocrm/typescript-sdk-6.0 3.0.0
// read a String), an {"api_name","id"} object from v7 (@zohocrm/nodejs-sdk-7.0 4.0.0 reads an Object,
// zoho/crm-oas v8.0/modules.json an object); null for a module without one.
func metaDisplayField(m *crmd.Module, version int) any {
	f := m.Field(m.DisplayField)
	if f == nil {
		return nil
	}
	if version < 70 {
		return f.APIName
	}
	return metaLookupModule{APIName: f.APIName, ID: &f.ID}
}

// metaHasType reports whether the module has a field of the data type.
func metaHasType(m *crmd.Module, dataType string) bool {
	for _, f := range m.Fields {
		if f.DataType == dataType {
			return true
		}
	}
	return false
}

// metaNotLookupable are the standard modules no lookup field can point at (activities and notes hang
// off records through their own What_Id/Parent_Id links instead).
var metaNotLookupable = map[string]bool{"Tasks": true, "Events": true, "Calls": true, "Notes": true, "Appointments__s": true}

func metaModuleOf(m *crmd.Module, rc *reqCtx, profiles []metaRef, admin *crmd.User) metaModuleJSON {
	j := metaModuleJSON{
		ID: m.ID, APIName: m.APIName, ModuleName: m.ModuleName,
		PluralLabel: m.PluralLabel, SingularLabel: m.SingularLabel,
		ActualPluralLabel: m.PluralLabel, ActualSingularLabel: m.SingularLabel,
		APISupported: m.APISupported, Creatable: m.Creatable, Deletable: m.Deletable, Editable: m.Editable,
		Viewable:    true,
		Convertable: m.APIName == "Leads", // only leads convert (into contacts, accounts and deals)
		QuickCreate: m.Creatable,
		Lookupable:  m.APISupported && !metaNotLookupable[m.APIName],
		// The SDKs call getGeneratedType().getValue() unguarded on every api_supported module.
		GeneratedType: m.GeneratedType,
		Status:        "visible", Visibility: 1, SequenceNumber: m.SequenceNumber, ShowAsTab: true,
		Profiles: profiles, ProfileCount: len(profiles), AccessType: "org_based",
		ModifiedTime:           crmd.FormatTime(m.ModifiedTime, rc.caller.Org.Location()),
		ModifiedBy:             metaUserRef(admin),
		Arguments:              []metaEmpty{},
		GlobalSearchSupported:  true,
		BusinessCardFieldLimit: 5,
		PresenceSubMenu:        true,
		SubMenuAvailable:       true,
		IsBlueprintSupported:   true,
	}
	if j.GeneratedType == "" {
		j.GeneratedType = "default"
	}
	j.CommonSearchSupported = m.APISupported
	j.InventoryTemplateSupported = catalog.InventoryModules[m.APIName]
	j.TriggersSupported = m.APISupported
	j.ChartViewSupported = m.APISupported
	j.Visible = true
	// Templates are for modules whose records have an email address to write to.
	j.EmailTemplateSupport = metaHasType(m, crmd.TypeEmail)
	j.FilterSupported = m.APISupported
	j.ScoringSupported = catalog.ScoringModules[m.APIName]
	j.WebformSupported = catalog.WebformModules[m.APIName] || m.IsCustom()
	j.FieldStates, j.BusinessCardFields, j.Properties, j.OnDemandProperties = []string{}, []string{}, []string{}, []string{}
	j.PerPage = 10 // the web UI's page size, which Zoho's samples show
	j.SearchLayoutFields = []string{}
	j.LookupFieldProperties = metaLookupFieldProps{Fields: []metaLookupShowField{}}
	j.RelatedListProperties = metaRelatedListProps{Fields: []string{}}
	if f := m.Field(m.DisplayField); f != nil {
		j.LookupFieldProperties.Fields = append(j.LookupFieldProperties.Fields, metaLookupShowField{SequenceNumber: 1, APIName: f.APIName, ID: f.ID})
		j.RelatedListProperties.Fields = append(j.RelatedListProperties.Fields, f.APIName)
		j.SearchLayoutFields = append(j.SearchLayoutFields, f.APIName)
	}
	j.RelatedLists = []metaEmpty{}
	j.FilterStatus = m.APISupported
	j.DisplayField = metaDisplayField(m, rc.version)
	// crmd has no layouts API and serves fields at /settings/fields, so these lists are empty.
	j.Layouts, j.Fields, j.DefaultMappingFields, j.LayoutAssociations = []metaEmpty{}, []metaEmpty{}, []metaEmpty{}, []metaEmpty{}
	if rc.version >= 60 {
		// Zoho added the key in v6; crmd deletes into the recycle bin in every version (D7).
		t := true
		j.RecycleBinOnDelete = &t
	}
	return j
}

// metaProfileRefs lists the org's profiles as {name, id}, as every module and field shows them.
func (s *Server) metaProfileRefs(ctx context.Context, orgID crmd.ID) ([]crmd.Profile, []metaRef, error) {
	ps, err := s.svc.Metadata.Profiles(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	refs := make([]metaRef, len(ps))
	for i, p := range ps {
		refs[i] = metaRef{Name: p.Name, ID: p.ID}
	}
	return ps, refs, nil
}

// listModules serves GET /settings/modules: every module of the org that exists in the request's
// version, whether api_supported or not (Zoho lists both and the SDK filters).
func (s *Server) listModules(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "settings", Resource: "modules", Op: oauth.OpRead}); err != nil {
		return err
	}
	// Every crmd module is "visible"; a status filter that excludes visible therefore matches nothing.
	if st := r.URL.Query().Get("status"); st != "" && !metaListHas(st, "visible") {
		writeNoContent(w)
		return nil
	}
	since, perr := modifiedSince(r)
	if perr != nil {
		return perr
	}
	ctx := r.Context()
	mods, err := s.metaModules(ctx, rc)
	if err != nil {
		return err
	}
	if since != 0 {
		// If-Modified-Since: only the modules changed after it, 304 when none (freshness.go).
		mods = slices.DeleteFunc(mods, func(m *crmd.Module) bool { return m.ModifiedTime <= since })
		if len(mods) == 0 {
			writeNotModified(w)
			return nil
		}
	}
	if len(mods) == 0 {
		writeNoContent(w)
		return nil
	}
	out, err := s.metaModulesJSON(ctx, rc, mods)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"modules": out})
	return nil
}

// metaModulesJSON shapes modules as /settings/modules shows them, with the org's profiles and its
// founding administrator.
func (s *Server) metaModulesJSON(ctx context.Context, rc *reqCtx, mods []*crmd.Module) ([]metaModuleJSON, error) {
	_, refs, err := s.metaProfileRefs(ctx, rc.caller.Org.ID)
	if err != nil {
		return nil, err
	}
	admin, err := s.metaFirstAdmin(ctx, rc.caller.Org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]metaModuleJSON, len(mods))
	for i, m := range mods {
		out[i] = metaModuleOf(m, rc, refs, admin)
	}
	return out, nil
}

// metaListHas reports whether a comma-separated parameter holds want (case-insensitively).
func metaListHas(list, want string) bool {
	for _, v := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(v), want) {
			return true
		}
	}
	return false
}

// getModule serves GET /settings/modules/{api_name}. The segment may also be the module's id, which
// docs/metadata.md#modules lists as a second form of the same call.
func (s *Server) getModule(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "settings", Resource: "modules", Op: oauth.OpRead}); err != nil {
		return err
	}
	ctx := r.Context()
	key := rc.param("api_name")
	mods, err := s.metaModules(ctx, rc)
	if err != nil {
		return err
	}
	var m *crmd.Module
	id, isID := crmd.ParseID(key)
	for _, c := range mods {
		if (isID && c.ID == id) || strings.EqualFold(c.APIName, key) {
			m = c
			break
		}
	}
	if m == nil {
		// Segment 2 after /crm/{version}/ (settings=0, modules=1) is the bad one.
		return metaErrInvalidModule(crmd.D{"resource_path_index": 2})
	}
	out, err := s.metaModulesJSON(ctx, rc, []*crmd.Module{m})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"modules": out})
	return nil
}
