package api

// Metadata handlers: /settings/modules, /settings/fields, /settings/profiles, /users and /org. They are
// read-only views of the caller's own org, shaped so that the official SDKs can bootstrap against crmd
// (D33): every module carries generated_type, every field api_name and data_type, CurrentUser has an
// email and the org a zgid.
//
// Choices made where Zoho documents nothing (each is also noted at its code):
//   - GET /settings/modules/{api_name} accepts the api name (case-insensitively, D30) or the module id;
//     an unknown module, or one the request's version does not have, is 400 INVALID_MODULE with
//     {"resource_path_index":2}, the index of the bad segment after /crm/{version}/.
//   - /settings/fields with an unknown module is 400 INVALID_MODULE with {"param_name":"module"}, since
//     the module came from a query parameter, not the path.
//   - Unknown ids in paths (field, profile, user) are 400 INVALID_DATA `the id given seems to be
//     invalid` with the path index of the id: 2 for /settings/{fields,profiles}/{id}, 1 for /users/{id}.
//     A user or profile of another org gets the same answer, so its existence is not leaked.
//   - An unknown /users type is 400 INVALID_DATA `invalid data` {"param_name":"type"}.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/oauth"
)

// metaMaxPerPage is the page size limit (and default) of the users list, as for every Zoho list.
const metaMaxPerPage = 200

// metaRef is Zoho's {name, id} reference to a user, profile or role.
type metaRef struct {
	Name string  `json:"name"`
	ID   crmd.ID `json:"id"`
}

// metaUserRef references a user, or is nil (JSON null) when there is none.
func metaUserRef(u *crmd.User) *metaRef {
	if u == nil {
		return nil
	}
	return &metaRef{Name: u.FullName(), ID: u.ID}
}

// metaEmpty encodes as {}: Zoho writes empty objects, never null, for parent_module, formula, … and the
// SDKs read into them without nil checks.
type metaEmpty struct{}

// metaInVersion reports whether a module exists in the request's API version.
func metaInVersion(m *crmd.Module, version int) bool {
	return m.MinVersion == 0 || version >= m.MinVersion
}

// metaModules returns the caller's org's modules that exist in the request's version.
func (s *Server) metaModules(ctx context.Context, rc *reqCtx) ([]*crmd.Module, error) {
	all, err := s.svc.Metadata.Modules(ctx, rc.caller.Org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*crmd.Module, 0, len(all))
	for _, m := range all {
		if metaInVersion(m, rc.version) {
			out = append(out, m)
		}
	}
	return out, nil
}

// metaFirstAdmin is the org's founding administrator, or nil when there is none, in which case the
// references to it are written as null rather than failing the request.
func (s *Server) metaFirstAdmin(ctx context.Context, orgID crmd.ID) (*crmd.User, error) {
	return s.svc.Metadata.FirstAdmin(ctx, orgID)
}

// metaErrInvalidPathID is the answer for an id in the path that names nothing of the caller's org.
func metaErrInvalidPathID(index int) *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"resource_path_index": index})
}

func metaErrInvalidModule(details crmd.D) *crmd.Error {
	return crmd.E("INVALID_MODULE", crmd.MsgInvalidModule, details)
}

// ---- modules ---------------------------------------------------------------------------------------

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
	ctx := r.Context()
	mods, err := s.metaModules(ctx, rc)
	if err != nil {
		return err
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

// ---- fields ----------------------------------------------------------------------------------------

// metaFieldJSON is one entry of /settings/fields. api_name and data_type are always present: a field
// without data_type breaks every record call of the SDKs.
type metaFieldJSON struct {
	ID              crmd.ID            `json:"id"`
	APIName         string             `json:"api_name"`
	FieldLabel      string             `json:"field_label"`
	DisplayLabel    string             `json:"display_label"`
	DataType        string             `json:"data_type"`
	JSONType        string             `json:"json_type"`
	SystemMandatory bool               `json:"system_mandatory"`
	CustomField     bool               `json:"custom_field"`
	ReadOnly        bool               `json:"read_only"`
	FieldReadOnly   bool               `json:"field_read_only"`
	Visible         bool               `json:"visible"`
	Length          int                `json:"length"`
	DecimalPlace    *int               `json:"decimal_place"`
	SequenceNumber  int                `json:"sequence_number"`
	CreatedSource   string             `json:"created_source"`
	PickListValues  []metaPickValue    `json:"pick_list_values"`
	Lookup          any                `json:"lookup"`
	Formula         metaEmpty          `json:"formula"`
	Currency        any                `json:"currency"`
	Profiles        []metaFieldProfile `json:"profiles"`
}

// metaPickValue is one picklist value. Values carry no id: crmd stores them as plain strings, and a
// made-up id could collide with a real one; the SDKs read only display_value.
type metaPickValue struct {
	DisplayValue   string `json:"display_value"`
	ActualValue    string `json:"actual_value"`
	SequenceNumber int    `json:"sequence_number"`
	Type           string `json:"type"`
}

// metaLookup is the lookup object of a lookup field; the SDK reads module.api_name and fetches that
// module's fields next.
type metaLookup struct {
	DisplayLabel string           `json:"display_label"`
	APIName      string           `json:"api_name"`
	Module       metaLookupModule `json:"module"`
	ID           crmd.ID          `json:"id"`
}

type metaLookupModule struct {
	APIName string   `json:"api_name"`
	ID      *crmd.ID `json:"id"` // null when the target module does not exist in the org
}

type metaCurrency struct {
	RoundingOption string `json:"rounding_option"`
	Precision      int    `json:"precision"`
}

type metaFieldProfile struct {
	PermissionType string  `json:"permission_type"`
	Name           string  `json:"name"`
	ID             crmd.ID `json:"id"`
}

// metaFieldLength is the field's length, never 0: the official Node SDK drops a field object whose
// "length" is 0 (its converter treats any value with length == 0 as empty) and then crashes on the
// hole, so fields stored before lengths were set get their type's default.
func metaFieldLength(f *crmd.Field) int {
	if f.Length > 0 {
		return f.Length
	}
	return catalog.DefaultLength(f.DataType)
}

func metaFieldOf(f *crmd.Field, byName map[string]*crmd.Module, profiles []crmd.Profile) metaFieldJSON {
	j := metaFieldJSON{
		ID: f.ID, APIName: f.APIName, FieldLabel: f.Label, DisplayLabel: f.Label,
		DataType: f.DataType, JSONType: f.JSONType(),
		SystemMandatory: f.Mandatory, CustomField: f.Custom, ReadOnly: f.ReadOnly, FieldReadOnly: f.ReadOnly,
		Visible: true, Length: metaFieldLength(f), SequenceNumber: f.SequenceNumber,
		CreatedSource:  "default",
		PickListValues: []metaPickValue{},
		Lookup:         metaEmpty{},
		Currency:       metaEmpty{},
	}
	if f.Custom {
		j.CreatedSource = "custom"
	}
	// Only fractional numbers have decimal places; Zoho writes null for every other type.
	if j.JSONType == "double" {
		d := f.DecimalPlace
		j.DecimalPlace = &d
	}
	if f.DataType == crmd.TypeCurrency {
		j.Currency = metaCurrency{RoundingOption: "normal", Precision: f.DecimalPlace}
	}
	if f.DataType == crmd.TypePicklist || f.DataType == crmd.TypeMultiSelect {
		// The values are exactly what the module defines: "-None-" appears only when it is one of them.
		for i, v := range f.Picklist {
			j.PickListValues = append(j.PickListValues, metaPickValue{DisplayValue: v, ActualValue: v, SequenceNumber: i + 1, Type: "used"})
		}
	}
	if f.DataType == crmd.TypeLookup {
		lk := metaLookup{DisplayLabel: f.Label, APIName: f.APIName, ID: f.ID, Module: metaLookupModule{APIName: f.LookupModule}}
		if t := byName[strings.ToLower(f.LookupModule)]; t != nil {
			id := t.ID
			lk.Module = metaLookupModule{APIName: t.APIName, ID: &id}
		}
		j.Lookup = lk
	}
	// Every profile sees every field (crmd has no field-level security); fields crmd sets itself are
	// read-only for everyone.
	perm := "read_write"
	if f.ReadOnly {
		perm = "read_only"
	}
	j.Profiles = make([]metaFieldProfile, len(profiles))
	for i, p := range profiles {
		j.Profiles[i] = metaFieldProfile{PermissionType: perm, Name: p.Name, ID: p.ID}
	}
	return j
}

// metaFieldsModule checks the scope and resolves the mandatory module parameter of the fields APIs.
// Other parameters (type, include, data_type, feature_name, component, layout_id) are accepted and
// ignored: crmd has one layout and no field features to filter by.
func (s *Server) metaFieldsModule(r *http.Request, rc *reqCtx) (*crmd.Module, []*crmd.Module, error) {
	if err := rc.require(oauth.Need{Family: "settings", Resource: "fields", Op: oauth.OpRead}); err != nil {
		return nil, nil, err
	}
	name := strings.TrimSpace(r.URL.Query().Get("module"))
	if name == "" {
		return nil, nil, crmd.ErrParamMissing("module")
	}
	mods, err := s.metaModules(r.Context(), rc)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range mods {
		if strings.EqualFold(m.APIName, name) {
			return m, mods, nil
		}
	}
	// The module came from a query parameter, so the details name the parameter, not a path index.
	return nil, nil, metaErrInvalidModule(crmd.D{"param_name": "module"})
}

// metaFieldsOut renders fields with their lookup targets resolved against the org's modules.
func (s *Server) metaFieldsOut(ctx context.Context, rc *reqCtx, mods []*crmd.Module, fields []*crmd.Field) ([]metaFieldJSON, error) {
	profiles, err := s.svc.Metadata.Profiles(ctx, rc.caller.Org.ID)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*crmd.Module, len(mods))
	for _, m := range mods {
		byName[strings.ToLower(m.APIName)] = m
	}
	out := make([]metaFieldJSON, len(fields))
	for i, f := range fields {
		out[i] = metaFieldOf(f, byName, profiles)
	}
	return out, nil
}

// listFields serves GET /settings/fields?module=X. Field shapes are the same in every version.
func (s *Server) listFields(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, mods, err := s.metaFieldsModule(r, rc)
	if err != nil {
		return err
	}
	if len(m.Fields) == 0 {
		// The SDKs read a 204 from the fields API as "no fields".
		writeNoContent(w)
		return nil
	}
	out, err := s.metaFieldsOut(r.Context(), rc, mods, m.Fields)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"fields": out})
	return nil
}

// getField serves GET /settings/fields/{id}?module=X; the id must be a field of that module.
func (s *Server) getField(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, mods, err := s.metaFieldsModule(r, rc)
	if err != nil {
		return err
	}
	id, ok := crmd.ParseID(rc.param("id"))
	var f *crmd.Field
	for _, c := range m.Fields {
		if ok && c.ID == id {
			f = c
			break
		}
	}
	if f == nil {
		return metaErrInvalidPathID(2) // settings=0, fields=1, {id}=2
	}
	out, err := s.metaFieldsOut(r.Context(), rc, mods, []*crmd.Field{f})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"fields": out})
	return nil
}

// ---- profiles --------------------------------------------------------------------------------------

// metaProfileJSON is one profile. crmd's two profiles are Zoho's built-in ones, which Zoho shows with
// null creation data and default/custom false.
type metaProfileJSON struct {
	ID                 crmd.ID           `json:"id"`
	Name               string            `json:"name"`
	DisplayLabel       string            `json:"display_label"`
	Description        string            `json:"description"`
	Default            bool              `json:"default"`
	Category           bool              `json:"category"`
	Custom             bool              `json:"custom"`
	CreatedTime        *string           `json:"created_time"`
	ModifiedTime       *string           `json:"modified_time"`
	CreatedBy          *metaRef          `json:"created_by"`
	ModifiedBy         *metaRef          `json:"modified_by"`
	Type               string            `json:"type,omitempty"` // v3+
	PermissionsDetails *[]metaPermission `json:"permissions_details,omitempty"`
}

// metaPermission is one entry of a single profile's permissions_details.
type metaPermission struct {
	DisplayLabel string  `json:"display_label"`
	Module       string  `json:"module"`
	Name         string  `json:"name"`
	ID           crmd.ID `json:"id"`
	Enabled      bool    `json:"enabled"`
}

// metaProfileDescriptions are Zoho's descriptions of its built-in profiles.
var metaProfileDescriptions = map[string]string{
	crmd.ProfileAdministrator: "This profile will have all the permissions. Users with Administrator profile will be able to view and manage all the data within the organization account by default.",
	crmd.ProfileStandard:      "This profile will have all the permissions except administrative privileges.",
}

// metaVerbLabels are the UI labels of the permission verbs.
var metaVerbLabels = map[string]string{
	crmd.PermView: "View", crmd.PermCreate: "Create", crmd.PermEdit: "Edit",
	crmd.PermDelete: "Delete", crmd.PermMassDelete: "Mass Delete",
}

func metaProfileOf(p crmd.Profile, rc *reqCtx) metaProfileJSON {
	j := metaProfileJSON{ID: p.ID, Name: p.Name, DisplayLabel: p.Name, Description: metaProfileDescriptions[p.Name]}
	if rc.version >= 30 {
		j.Type = "normal_profile"
	}
	return j
}

// listProfiles serves GET /settings/profiles.
func (s *Server) listProfiles(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "settings", Resource: "profiles", Op: oauth.OpRead}); err != nil {
		return err
	}
	ps, err := s.svc.Metadata.Profiles(r.Context(), rc.caller.Org.ID)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		writeNoContent(w)
		return nil
	}
	out := make([]metaProfileJSON, len(ps))
	for i, p := range ps {
		out[i] = metaProfileOf(p, rc)
	}
	writeJSON(w, http.StatusOK, map[string]any{"profiles": out})
	return nil
}

// getProfile serves GET /settings/profiles/{id} with permissions_details: one entry per module of the
// version and verb, Mass_Delete only for modules that can be mass deleted. Whether a permission is
// enabled comes from crmd.Profile.Can, the same rule the record handlers enforce.
func (s *Server) getProfile(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "settings", Resource: "profiles", Op: oauth.OpRead}); err != nil {
		return err
	}
	ctx := r.Context()
	ps, err := s.svc.Metadata.Profiles(ctx, rc.caller.Org.ID)
	if err != nil {
		return err
	}
	id, ok := crmd.ParseID(rc.param("id"))
	var p *crmd.Profile
	for i := range ps {
		if ok && ps[i].ID == id {
			p = &ps[i]
			break
		}
	}
	if p == nil {
		// Profiles of other orgs are not in ps, so they get this same answer (tenancy).
		return metaErrInvalidPathID(2) // settings=0, profiles=1, {id}=2
	}
	mods, err := s.metaModules(ctx, rc)
	if err != nil {
		return err
	}
	perms := []metaPermission{}
	for _, pm := range s.svc.Metadata.Permissions(*p, mods) {
		// A permission is one org-wide entity that each profile enables or not, so its id depends on
		// the module and verb only.
		perms = append(perms, metaPermission{
			DisplayLabel: metaVerbLabels[pm.Verb], Module: pm.Module.APIName, Name: crmd.PermissionName(pm.Verb, pm.Module.APIName),
			ID: pm.ID, Enabled: pm.Enabled,
		})
	}
	j := metaProfileOf(*p, rc)
	j.PermissionsDetails = &perms
	writeJSON(w, http.StatusOK, map[string]any{"profiles": []metaProfileJSON{j}})
	return nil
}

// ---- users -----------------------------------------------------------------------------------------

// metaUserJSON is one user, keys exactly as docs/metadata.md#users (the mixed casing of created_by / Modified_By
// is Zoho's own).
type metaUserJSON struct {
	ID            crmd.ID  `json:"id"`
	FullName      string   `json:"full_name"`
	FirstName     *string  `json:"first_name"`
	LastName      string   `json:"last_name"`
	Email         string   `json:"email"`
	Role          metaRef  `json:"role"`
	Profile       metaRef  `json:"profile"`
	Status        string   `json:"status"`
	Confirm       bool     `json:"confirm"`
	ZUID          string   `json:"zuid"`
	Locale        string   `json:"locale"`
	TimeZone      string   `json:"time_zone"`
	DateFormat    string   `json:"date_format"`
	TimeFormat    string   `json:"time_format"`
	CreatedBy     *metaRef `json:"created_by"`
	CreatedTime   string   `json:"created_time"`
	ModifiedBy    *metaRef `json:"Modified_By"`
	ModifiedTime  string   `json:"Modified_Time"`
	ReportingTo   *metaRef `json:"Reporting_To"`
	CountryLocale string   `json:"country_locale"`
	Language      string   `json:"language"`
	Isonline      bool     `json:"Isonline"`
}

func metaUserOf(u *crmd.User, org *crmd.Org, admin *crmd.User, modified map[crmd.ID]int64) metaUserJSON {
	loc := org.Location()
	mt, ok := modified[u.ID]
	if !ok {
		mt = u.CreatedTime
	}
	j := metaUserJSON{
		ID: u.ID, FullName: u.FullName(), LastName: u.LastName, Email: u.Email,
		Role:    metaRef{Name: u.RoleName, ID: u.RoleID},
		Profile: metaRef{Name: u.Profile.Name, ID: u.Profile.ID},
		Status:  u.Status,
		// Every crmd user exists only once an admin added them, so all are confirmed.
		Confirm: true, ZUID: u.ZUID, Locale: "en_US", TimeZone: org.TimeZone,
		DateFormat: "MM/dd/yyyy", TimeFormat: "hh:mm a",
		// crmd does not record who added or changed a user; the founding admin stands for the org.
		CreatedBy:     metaUserRef(admin),
		CreatedTime:   crmd.FormatTime(u.CreatedTime, loc),
		ModifiedBy:    metaUserRef(admin),
		ModifiedTime:  crmd.FormatTime(mt, loc),
		CountryLocale: "en_US", Language: "en_US",
	}
	if u.FirstName != "" {
		fn := u.FirstName
		j.FirstName = &fn
	}
	return j
}

// metaRoleRank places crmd's two roles in Zoho's default hierarchy: Manager reports to CEO. Any other
// role name ranks as a Manager.
func metaRoleRank(role string) int {
	if role == "CEO" {
		return 0
	}
	return 1
}

// metaUserTypes are the /users type filters (docs/metadata.md#users), keyed lower-case because the type is matched
// case-insensitively. crmd has no lite, developer, unconfirmed or deleted users, and no reporting
// lines, so those types match nobody and answer 204.
var metaUserTypes = map[string]func(u, caller *crmd.User) bool{
	"allusers":                func(u, c *crmd.User) bool { return true },
	"activeanddeactive":       func(u, c *crmd.User) bool { return u.Status != "deleted" },
	"activeusers":             func(u, c *crmd.User) bool { return u.Status == "active" },
	"allactiveusers":          func(u, c *crmd.User) bool { return u.Status == "active" },
	"activeconfirmedusers":    func(u, c *crmd.User) bool { return u.Status == "active" },
	"confirmedusers":          func(u, c *crmd.User) bool { return true },
	"deactiveusers":           func(u, c *crmd.User) bool { return u.Status != "active" && u.Status != "deleted" },
	"deletedusers":            func(u, c *crmd.User) bool { return u.Status == "deleted" },
	"notconfirmedusers":       func(u, c *crmd.User) bool { return false },
	"adminusers":              func(u, c *crmd.User) bool { return u.Profile.IsAdmin() },
	"activeconfirmedadmins":   func(u, c *crmd.User) bool { return u.Profile.IsAdmin() && u.Status == "active" },
	"currentuser":             func(u, c *crmd.User) bool { return u.ID == c.ID },
	"developerusers":          func(u, c *crmd.User) bool { return false },
	"activeliteuser":          func(u, c *crmd.User) bool { return false },
	"childroleusers":          func(u, c *crmd.User) bool { return metaRoleRank(u.RoleName) > metaRoleRank(c.RoleName) },
	"subordinateroleusers":    func(u, c *crmd.User) bool { return metaRoleRank(u.RoleName) > metaRoleRank(c.RoleName) },
	"parentroleusers":         func(u, c *crmd.User) bool { return metaRoleRank(u.RoleName) < metaRoleRank(c.RoleName) },
	"confirmedreportingusers": func(u, c *crmd.User) bool { return false },
}

// metaPaging parses page and per_page. A value that is not an integer cannot be parsed
// (UNABLE_TO_PARSE_DATA_TYPE); one below 1 is invalid; per_page above 200 is capped at 200, as Zoho
// documents 200 as both default and maximum.
func metaPaging(q url.Values) (page, perPage int, err error) {
	parse := func(name string, def int) (int, error) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, crmd.E("UNABLE_TO_PARSE_DATA_TYPE", crmd.MsgUnableToParse, crmd.D{"param_name": name})
		}
		if n < 1 {
			return 0, crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": name})
		}
		return n, nil
	}
	if page, err = parse("page", 1); err != nil {
		return 0, 0, err
	}
	if perPage, err = parse("per_page", metaMaxPerPage); err != nil {
		return 0, 0, err
	}
	return page, min(perPage, metaMaxPerPage), nil
}

// listUsers serves GET /users?type=…&page=&per_page=&ids=. The default type is AllUsers; an empty
// result is 204 with no body.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "users", Op: oauth.OpRead}); err != nil {
		return err
	}
	q := r.URL.Query()
	typ := q.Get("type")
	if typ == "" {
		typ = "AllUsers"
	}
	match, ok := metaUserTypes[strings.ToLower(typ)]
	if !ok {
		return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"param_name": "type"})
	}
	page, perPage, err := metaPaging(q)
	if err != nil {
		return err
	}
	var want map[crmd.ID]bool
	if raw := q.Get("ids"); raw != "" {
		want = map[crmd.ID]bool{}
		for _, part := range strings.Split(raw, ",") {
			id, ok := crmd.ParseID(strings.TrimSpace(part))
			if !ok {
				return crmd.E("INVALID_DATA", crmd.MsgInvalidID, crmd.D{"param_name": "ids"})
			}
			want[id] = true
		}
	}
	ctx := r.Context()
	org := rc.caller.Org
	all, err := s.svc.Metadata.Users(ctx, org.ID)
	if err != nil {
		return err
	}
	var users []*crmd.User
	for _, u := range all {
		if match(u, rc.caller.User) && (want == nil || want[u.ID]) {
			users = append(users, u)
		}
	}
	start := (page - 1) * perPage
	if start >= len(users) {
		writeNoContent(w)
		return nil
	}
	end := min(start+perPage, len(users))
	out, err := s.metaUsersJSON(ctx, org, users[start:end])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"users": out,
		"info":  map[string]any{"per_page": perPage, "count": len(out), "page": page, "more_records": end < len(users)},
	})
	return nil
}

// getUser serves GET /users/{id}. A user of another org is looked up within the caller's org only and
// so gets the same answer as an id that never existed.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "users", Op: oauth.OpRead}); err != nil {
		return err
	}
	id, ok := crmd.ParseID(rc.param("id"))
	if !ok {
		return metaErrInvalidPathID(1) // users=0, {id}=1
	}
	ctx := r.Context()
	org := rc.caller.Org
	u, err := s.svc.Metadata.User(ctx, org.ID, id)
	if err != nil {
		return err
	}
	if u == nil {
		return metaErrInvalidPathID(1)
	}
	out, err := s.metaUsersJSON(ctx, org, []*crmd.User{u})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// metaUsersJSON shapes users of org as /users shows them, with the org's founding administrator and
// the users' modification times.
func (s *Server) metaUsersJSON(ctx context.Context, org *crmd.Org, users []*crmd.User) ([]metaUserJSON, error) {
	admin, err := s.metaFirstAdmin(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	modified, err := s.svc.Metadata.UserModifiedTimes(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]metaUserJSON, len(users))
	for i, u := range users {
		out[i] = metaUserOf(u, org, admin, modified)
	}
	return out, nil
}

// ---- org -------------------------------------------------------------------------------------------

// metaOrgJSON is the caller's org. Settings crmd does not model (currency, country, address, licence)
// carry the defaults of a US enterprise org so that clients formatting amounts or checking the edition
// get plausible values.
type metaOrgJSON struct {
	ID                   crmd.ID       `json:"id"`
	CompanyName          string        `json:"company_name"`
	PrimaryEmail         string        `json:"primary_email"`
	ZGID                 string        `json:"zgid"`
	PrimaryZUID          *string       `json:"primary_zuid"`
	TimeZone             string        `json:"time_zone"`
	Currency             string        `json:"currency"`
	CurrencySymbol       string        `json:"currency_symbol"`
	ISOCode              string        `json:"iso_code"`
	CurrencyLocale       string        `json:"currency_locale"`
	CountryCode          string        `json:"country_code"`
	Country              string        `json:"country"`
	Type                 string        `json:"type"`
	MaxPerPage           int           `json:"max_per_page"`
	MCStatus             bool          `json:"mc_status"`
	GappsEnabled         bool          `json:"gapps_enabled"`
	DomainName           string        `json:"domain_name"`
	TranslationEnabled   bool          `json:"translation_enabled"`
	PrivacySettings      bool          `json:"privacy_settings"`
	Phone                *string       `json:"phone"`
	Mobile               *string       `json:"mobile"`
	Fax                  *string       `json:"fax"`
	Website              *string       `json:"website"`
	Description          *string       `json:"description"`
	Street               *string       `json:"street"`
	City                 *string       `json:"city"`
	State                *string       `json:"state"`
	Zip                  *string       `json:"zip"`
	Alias                *string       `json:"alias"`
	EmployeeCount        *string       `json:"employee_count"`
	LicenseDetails       metaLicense   `json:"license_details"`
	HierarchyPreferences metaHierarchy `json:"hierarchy_preferences"`
}

type metaLicense struct {
	Paid                  bool    `json:"paid"`
	PaidType              string  `json:"paid_type"`
	TrialType             *string `json:"trial_type"`
	TrialExpiry           *string `json:"trial_expiry"`
	UsersLicensePurchased int     `json:"users_license_purchased"`
	PaidExpiry            *string `json:"paid_expiry"`
}

type metaHierarchy struct {
	Type              string `json:"type"`
	StrictlyReporting bool   `json:"strictly_reporting"`
}

// getOrg serves GET /org: always exactly the caller's org.
func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "org", Op: oauth.OpRead}); err != nil {
		return err
	}
	org := rc.caller.Org
	admin, err := s.metaFirstAdmin(r.Context(), org.ID)
	if err != nil {
		return err
	}
	j := metaOrgJSON{
		ID: org.ID, CompanyName: org.Name, PrimaryEmail: org.PrimaryEmail, ZGID: org.ZGID, TimeZone: org.TimeZone,
		Currency: "US Dollar", CurrencySymbol: "$", ISOCode: "USD", CurrencyLocale: "en_US",
		CountryCode: "US", Country: "United States", Type: "production", MaxPerPage: metaMaxPerPage,
		DomainName:           "org" + org.ID.String(),
		LicenseDetails:       metaLicense{Paid: true, PaidType: "enterprise", UsersLicensePurchased: 100},
		HierarchyPreferences: metaHierarchy{Type: "Role_Hierarchy"},
	}
	if admin != nil {
		z := admin.ZUID
		j.PrimaryZUID = &z
	}
	writeJSON(w, http.StatusOK, map[string]any{"org": []metaOrgJSON{j}})
	return nil
}
