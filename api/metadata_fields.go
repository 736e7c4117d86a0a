package api

// GET /settings/fields?module= and /settings/fields/{id}?module= (docs/metadata.md).

import (
	"context"
	"net/http"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/oauth"
)

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
