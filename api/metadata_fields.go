package api

// GET /settings/fields?module= and /settings/fields/{id}?module= (docs/metadata.md).

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/oauth"
)

// metaFieldJSON is one entry of /settings/fields. api_name and data_type are always present: a field
// without data_type breaks every record call of the SDKs. The keys every version shows come first; the
// embedded parts add what one range of versions shows (nil parts are left out):
//   - v2 (@zohocrm/nodejs-sdk-2.0 6.1.0, class fields/Field) reads "_type", and history_tracking and
//     quick_sequence_number as a boolean and an integer;
//   - v2.1 and later read "type", ui_type and the filter/sort flags (@zohocrm/typescript-sdk-2.1 1.1.0,
//     fields/Field), v2.1 still quick_sequence_number as an integer;
//   - v3 and later (zoho/zohocrm-java-sdk-3.0 fields/Field, zoho/zohocrm-php-sdk-4.0 fields/Field,
//     zoho/zohocrm-typescript-sdk-5.0, @zohocrm/typescript-sdk-6.0 3.0.0 and @zohocrm/nodejs-sdk-7.0
//     4.0.0 fields/Fields) read quick_sequence_number as a string and show the rest of the keys
//     zoho/crm-oas v8.0/fields.json marks required.
type metaFieldJSON struct {
	ID                  crmd.ID            `json:"id"`
	APIName             string             `json:"api_name"`
	FieldLabel          string             `json:"field_label"`
	DisplayLabel        string             `json:"display_label"`
	DataType            string             `json:"data_type"`
	JSONType            string             `json:"json_type"`
	ColumnName          string             `json:"column_name"`
	SystemMandatory     bool               `json:"system_mandatory"`
	CustomField         bool               `json:"custom_field"`
	ReadOnly            bool               `json:"read_only"`
	FieldReadOnly       bool               `json:"field_read_only"`
	Visible             bool               `json:"visible"`
	Webhook             bool               `json:"webhook"`
	BlueprintSupported  bool               `json:"blueprint_supported"`
	BusinessCard        bool               `json:"businesscard_supported"`
	MassUpdate          bool               `json:"mass_update"`
	Length              int                `json:"length"`
	DecimalPlace        *int               `json:"decimal_place"`
	SequenceNumber      int                `json:"sequence_number"`
	QuickSequenceNumber any                `json:"quick_sequence_number"` // integer to v2.1, string from v3
	CreatedSource       string             `json:"created_source"`
	PickListValues      []metaPickValue    `json:"pick_list_values"`
	Lookup              any                `json:"lookup"`
	Formula             metaEmpty          `json:"formula"`
	Currency            any                `json:"currency"`
	ViewType            metaViewType       `json:"view_type"`
	HistoryTracking     any                `json:"history_tracking"` // false in v2, null from v2.1
	Unique              *metaEmpty         `json:"unique"`
	Crypt               *metaEmpty         `json:"crypt"`
	Tooltip             *metaEmpty         `json:"tooltip"`
	AutoNumber          *metaEmpty         `json:"auto_number"`
	Private             *metaEmpty         `json:"private"`
	AssociationDetails  *metaEmpty         `json:"association_details"`
	Subform             *metaEmpty         `json:"subform"`
	MultiSelectLookup   *metaEmpty         `json:"multiselectlookup"`
	ConvertMapping      *metaEmpty         `json:"convert_mapping"`
	MultiModuleLookup   *metaEmpty         `json:"multi_module_lookup"`
	Profiles            []metaFieldProfile `json:"profiles"`
	*metaFieldV2
	*metaFieldV21
	*metaFieldV3
}

// metaFieldV2 holds the keys only v2 shows.
type metaFieldV2 struct {
	Type string `json:"_type"`
}

// metaFieldV21 holds the keys v2.1 and later show.
type metaFieldV21 struct {
	Type                          string     `json:"type"`
	UIType                        int        `json:"ui_type"`
	DisplayType                   int        `json:"display_type"`
	Filterable                    bool       `json:"filterable"`
	Sortable                      bool       `json:"sortable"`
	DisplayField                  bool       `json:"display_field"`
	PickListValuesSortedLexically bool       `json:"pick_list_values_sorted_lexically"`
	External                      *metaEmpty `json:"external"`
	MultiUserLookup               *metaEmpty `json:"multiuserlookup"`
}

// metaFieldV3 holds the keys v3 and later show, completing what zoho/crm-oas v8.0/fields.json marks
// required. Features crmd does not have (rollups, encryption, HIPAA, email parsing, colour codes,
// layouts) show as off, empty or null.
type metaFieldV3 struct {
	AssociatedModule          *metaEmpty         `json:"associated_module"`
	OperationType             metaOperationType  `json:"operation_type"`
	VirtualField              bool               `json:"virtual_field"`
	CustomizableProperties    []string           `json:"customizable_properties"`
	AvailableInUserLayout     bool               `json:"available_in_user_layout"`
	LayoutAssociations        []metaEmpty        `json:"layout_associations"`
	Separator                 bool               `json:"separator"`
	Searchable                bool               `json:"searchable"`
	EnableColourCode          bool               `json:"enable_colour_code"`
	ColourCodeEnabledBySystem bool               `json:"colour_code_enabled_by_system"`
	EmailParser               metaEmailParser    `json:"email_parser"`
	RollupSummary             *metaEmpty         `json:"rollup_summary"`
	ReferFromField            *metaEmpty         `json:"refer_from_field"`
	CreatedTime               *string            `json:"created_time"`
	ModifiedTime              *string            `json:"modified_time"`
	ShowType                  int                `json:"show_type"`
	Category                  int                `json:"category"`
	SharingProperties         *metaEmpty         `json:"sharing_properties"`
	FileUploadOptionList      []metaEmpty        `json:"file_upolad_optionlist"` // Zoho's spelling
	SubModule                 *metaEmpty         `json:"sub_module"`
	Autonumber                *metaEmpty         `json:"autonumber"`
	AllowedModules            []metaLookupModule `json:"allowed_modules"`
	AdditionalColumn          *string            `json:"additional_column"`
	CommonPicklist            *metaEmpty         `json:"common.picklist"`
	HIPAAComplianceEnabled    bool               `json:"hipaa_compliance_enabled"`
	HIPAACompliance           *metaEmpty         `json:"hipaa_compliance"`
	UpdateExistingRecords     bool               `json:"_update_existing_records"`
	NumberSeparator           bool               `json:"number_separator"`
	Textarea                  *metaEmpty         `json:"textarea"`
	StaticField               bool               `json:"static_field"`
}

// metaViewType says where the field shows in the UI; crmd has one layout that shows every field.
type metaViewType struct {
	View        bool `json:"view"`
	Edit        bool `json:"edit"`
	QuickCreate bool `json:"quick_create"`
	Create      bool `json:"create"`
}

// metaOperationType says whether the field may be set on create and update, from the web and the API.
type metaOperationType struct {
	WebUpdate bool `json:"web_update"`
	APICreate bool `json:"api_create"`
	WebCreate bool `json:"web_create"`
	APIUpdate bool `json:"api_update"`
}

type metaEmailParser struct {
	FieldsUpdateSupported     bool `json:"fields_update_supported"`
	RecordOperationsSupported bool `json:"record_operations_supported"`
}

// metaPickValue is one picklist value. The id is derived from the field and the value's position
// (metadata.Service.PicklistValues): crmd stores values as plain strings, and zoho/crm-oas
// v8.0/fields.json marks the id required; the SDKs read display_value and actual_value.
type metaPickValue struct {
	DisplayValue   string  `json:"display_value"`
	ActualValue    string  `json:"actual_value"`
	SequenceNumber int     `json:"sequence_number"`
	Type           string  `json:"type"`
	ID             crmd.ID `json:"id"`
	ColourCode     *string `json:"colour_code"`
}

// metaLookup is the lookup object of a lookup field; the SDK reads module and fetches that module's
// fields next. Module is the target's api name as a string in v2 and v2.1 (the SDKs' fields/Module
// class reads "module" as a String there: @zohocrm/nodejs-sdk-2.0 6.1.0, @zohocrm/typescript-sdk-2.1
// 1.1.0) and a {"api_name","id"} object from v3 on (zoho/zohocrm-java-sdk-3.0 fields/Module, the
// MinifiedModule of @zohocrm/typescript-sdk-6.0 3.0.0 and @zohocrm/nodejs-sdk-7.0 4.0.0, zoho/crm-oas
// v8.0/fields.json).
type metaLookup struct {
	DisplayLabel string  `json:"display_label"`
	APIName      string  `json:"api_name"`
	Module       any     `json:"module"`
	ID           crmd.ID `json:"id"`
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

// metaFieldOf shapes field f of module m for the request's version.
func (s *Server) metaFieldOf(m *crmd.Module, f *crmd.Field, byName map[string]*crmd.Module, profiles []crmd.Profile, version int) metaFieldJSON {
	j := metaFieldJSON{
		ID: f.ID, APIName: f.APIName, FieldLabel: f.Label, DisplayLabel: f.Label,
		DataType: f.DataType, JSONType: f.JSONType(), ColumnName: catalog.ColumnName(m, f),
		SystemMandatory: f.Mandatory, CustomField: f.Custom, ReadOnly: f.ReadOnly, FieldReadOnly: f.ReadOnly,
		Visible: true, Webhook: !f.ReadOnly, BlueprintSupported: !f.ReadOnly, BusinessCard: !f.ReadOnly, MassUpdate: !f.ReadOnly && !f.Mandatory,
		Length: metaFieldLength(f), SequenceNumber: f.SequenceNumber,
		CreatedSource:  "default",
		PickListValues: []metaPickValue{},
		Lookup:         metaEmpty{},
		Currency:       metaEmpty{},
		ViewType:       metaViewType{View: true, Edit: !f.ReadOnly, QuickCreate: f.Mandatory, Create: !f.ReadOnly},
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
		for i, v := range s.svc.Metadata.PicklistValues(f) {
			j.PickListValues = append(j.PickListValues, metaPickValue{DisplayValue: v.Value, ActualValue: v.Value, SequenceNumber: i + 1, Type: "used", ID: v.ID})
		}
	}
	var target metaLookupModule
	if f.DataType == crmd.TypeLookup {
		target = metaLookupModule{APIName: f.LookupModule}
		if t := byName[strings.ToLower(f.LookupModule)]; t != nil {
			id := t.ID
			target = metaLookupModule{APIName: t.APIName, ID: &id}
		}
		lk := metaLookup{DisplayLabel: f.Label, APIName: f.APIName, ID: f.ID, Module: target}
		if version < 30 {
			lk.Module = target.APIName
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
	if version < 30 {
		j.QuickSequenceNumber = f.SequenceNumber
	} else {
		j.QuickSequenceNumber = strconv.Itoa(f.SequenceNumber)
	}
	if version <= 20 {
		j.HistoryTracking = false
		j.metaFieldV2 = &metaFieldV2{Type: "used"}
		return j
	}
	// Lookups, multi-select picklists and long text are neither sorted nor filtered on in Zoho's lists.
	sortable := f.DataType != crmd.TypeMultiSelect && f.DataType != crmd.TypeTextarea
	j.metaFieldV21 = &metaFieldV21{
		Type: "used", UIType: catalog.UIType(f.DataType), DisplayType: -1,
		Filterable: true, Sortable: sortable, DisplayField: m.DisplayField == f.APIName,
	}
	if version < 30 {
		return j
	}
	v3 := &metaFieldV3{
		OperationType:          metaOperationType{WebUpdate: !f.ReadOnly, APICreate: !f.ReadOnly, WebCreate: !f.ReadOnly, APIUpdate: !f.ReadOnly},
		CustomizableProperties: []string{},
		AvailableInUserLayout:  true,
		LayoutAssociations:     []metaEmpty{},
		Searchable:             f.DataType != crmd.TypeBoolean,
		ShowType:               0,
		Category:               0,
		FileUploadOptionList:   []metaEmpty{},
		AllowedModules:         []metaLookupModule{},
	}
	if f.DataType == crmd.TypeLookup {
		v3.AllowedModules = []metaLookupModule{target}
	}
	if f.Custom {
		// Zoho's category 0 is a field Zoho defines, 2 one an admin added.
		v3.Category = 2
	}
	j.metaFieldV3 = v3
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
func (s *Server) metaFieldsOut(ctx context.Context, rc *reqCtx, m *crmd.Module, mods []*crmd.Module, fields []*crmd.Field) ([]metaFieldJSON, error) {
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
		out[i] = s.metaFieldOf(m, f, byName, profiles, rc.version)
	}
	return out, nil
}

// listFields serves GET /settings/fields?module=X in the version's field shape (metaFieldJSON).
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
	out, err := s.metaFieldsOut(r.Context(), rc, m, mods, m.Fields)
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
	out, err := s.metaFieldsOut(r.Context(), rc, m, mods, []*crmd.Field{f})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"fields": out})
	return nil
}
