// Package catalog defines, as plain Go data, the modules and fields a fresh crmd org starts with: Zoho CRM's
// standard modules (Leads, Accounts, …, Notes) with realistic field metadata, the template of an
// admin-defined custom module, and the parsing of the field specs the CLI accepts.
//
// Everything returned here is newly allocated on every call, with zero ids and org ids: the store assigns
// ids when it saves a definition, and callers may mutate what they get without affecting later calls.
package catalog

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/crmd/crmd"
)

// MaxFieldNameLength is the longest api name Zoho accepts for a field.
const MaxFieldNameLength = 100

// systemSuffix marks names Zoho itself defines (Services__s, Record_Status__s, Locked__s, …); it is the only
// place a double underscore may appear in an api name.
const systemSuffix = "__s"

// Standard returns Zoho CRM's standard modules in Zoho's usual tab order, with SequenceNumber 1..n and every
// module's fields numbered 1..n. The result is freshly allocated on every call; ids and org ids are zero.
func Standard() []*crmd.Module {
	mods := []*crmd.Module{
		leads(),
		accounts(),
		contacts(),
		deals(),
		campaigns(),
		tasks(),
		events(),
		calls(),
		cases(),
		solutions(),
		products(),
		vendors(),
		priceBooks(),
		quotes(),
		salesOrders(),
		purchaseOrders(),
		invoices(),
		services(),
		appointments(),
		notes(),
	}
	for i, m := range mods {
		m.SequenceNumber = i + 1
	}
	return mods
}

// NewCustomModule builds the definition of an admin-defined module: the system fields every record has,
// Zoho's default custom-module fields (Name, Email, Secondary_Email, Email_Opt_Out) and then copies of the
// extra fields, in order and marked Custom. It validates nothing (names are checked by its callers); nil
// extras are skipped. Ids, the org id and SequenceNumber are left zero for the caller to assign.
func NewCustomModule(apiName, moduleName, singular, plural string, extra []*crmd.Field) *crmd.Module {
	fields := []*crmd.Field{
		required(textLen("Name", singular+" Name", 120)),
		email("Email", "Email"),
		email("Secondary_Email", "Secondary Email"),
		boolean("Email_Opt_Out", "Email Opt Out"),
	}
	for _, f := range extra {
		if f == nil {
			continue
		}
		c := cloneField(f)
		c.Custom = true
		fields = append(fields, c)
	}
	m := newModule(apiName, moduleName, singular, plural, "Name", fields...)
	m.GeneratedType = "custom"
	m.ScopeToken = crmd.ScopeTokenFor(apiName, true)
	return m
}

// Numbered returns a fresh copy of the standard module apiName outside any org, with the given module id
// and its fields numbered firstFieldID, firstFieldID+1, …: a module for code that has no database to
// take ids from (fuzzers, the tests of the criteria language). It panics on a name the catalog lacks.
func Numbered(apiName string, moduleID, firstFieldID crmd.ID) *crmd.Module {
	for _, m := range Standard() {
		if m.APIName == apiName {
			m.ID = moduleID
			for i, f := range m.Fields {
				f.ID = firstFieldID + crmd.ID(i)
			}
			return m
		}
	}
	panic("catalog: no standard module " + apiName)
}

// reservedModuleNames are the words of Zoho's API paths that stand where a module name stands, or right
// after one, lower-cased: /crm/{version}/settings/…, /users, /org, /actions/watch, /coql, /files, /upload,
// and /{module}/search, /upsert, /deleted, /actions/…, plus "notifications", the name the official SDKs give
// the watch API. A module so named could not be reached: its path would be taken by the API's own route
// (INVALID_URL_PATTERN or INVALID_REQUEST_METHOD instead of its records). Names starting "__"
// (__features, __composite_requests …) are already refused by ValidFieldName.
var reservedModuleNames = map[string]string{
	"actions":       "/crm/{version}/actions/watch, /crm/{version}/{module}/actions/mass_delete",
	"coql":          "/crm/{version}/coql",
	"deleted":       "/crm/{version}/{module}/deleted",
	"files":         "/crm/{version}/files",
	"notifications": "/crm/{version}/actions/watch (the SDKs' Notifications)",
	"org":           "/crm/{version}/org",
	"search":        "/crm/{version}/{module}/search",
	"settings":      "/crm/{version}/settings/…",
	"upload":        "/crm/{version}/upload",
	"upsert":        "/crm/{version}/{module}/upsert",
	"users":         "/crm/{version}/users",
}

// CheckModuleName refuses a custom module api name that is not a valid Zoho api name, that ends in the
// system suffix "__s" (kept for Zoho's own modules), or that collides, case-insensitively, with a word of
// the API's paths (reservedModuleNames). The error says why, for a person to read.
func CheckModuleName(name string) error {
	if !ValidFieldName(name) || strings.HasSuffix(name, systemSuffix) {
		return fmt.Errorf("invalid module api name %q: start with a letter; letters, digits and single underscores only; at most %d characters", name, MaxFieldNameLength)
	}
	if where, ok := reservedModuleNames[strings.ToLower(name)]; ok {
		return fmt.Errorf("invalid module api name %q: %q is a word of the Zoho API's own paths (%s), so the module's records could not be reached; choose another name", name, strings.ToLower(name), where)
	}
	return nil
}

// IsReservedModuleName reports whether name is one of the API's path words (case-insensitively), which no
// module may be named.
func IsReservedModuleName(name string) bool {
	_, ok := reservedModuleNames[strings.ToLower(name)]
	return ok
}

// ReservedModuleNames lists the path words CheckModuleName refuses, lower-cased and sorted.
func ReservedModuleNames() []string {
	out := make([]string, 0, len(reservedModuleNames))
	for w := range reservedModuleNames {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// ValidFieldName reports whether name is acceptable as a Zoho api name: it starts with an ASCII letter, holds
// only ASCII letters, digits and underscores, is at most MaxFieldNameLength characters long, does not end
// with an underscore and has no two consecutive underscores, except in the system suffix "__s" that Zoho
// puts at the end of names it defines itself (Services__s, Locked__s, …).
func ValidFieldName(name string) bool {
	if name == "" || len(name) > MaxFieldNameLength || !isLetter(name[0]) {
		return false
	}
	base := name
	if strings.HasSuffix(name, systemSuffix) && len(name) > len(systemSuffix) {
		base = strings.TrimSuffix(name, systemSuffix)
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return !strings.HasSuffix(base, "_") && !strings.Contains(base, "__")
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// specTypes are the data types ParseFieldSpec accepts.
var specTypes = map[string]bool{
	crmd.TypeText: true, crmd.TypeTextarea: true, crmd.TypeEmail: true, crmd.TypePhone: true,
	crmd.TypeWebsite: true, crmd.TypePicklist: true, crmd.TypeMultiSelect: true, crmd.TypeInteger: true,
	crmd.TypeBigint: true, crmd.TypeDouble: true, crmd.TypeCurrency: true, crmd.TypePercent: true,
	crmd.TypeBoolean: true, crmd.TypeDate: true, crmd.TypeDatetime: true, crmd.TypeLookup: true,
}

// specTypeList renders the accepted types for error messages.
func specTypeList() string {
	names := make([]string, 0, len(specTypes))
	for t := range specTypes {
		names = append(names, t)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// ParseFieldSpec parses a custom field as the CLI writes it: "Api_Name:type" or "Api_Name:type:Label" for
// most types, "Api_Name:picklist:A|B|C" (or multiselectpicklist) with the values after the second colon, and
// "Api_Name:lookup:Module" with the target module's api name. When no label is given (always the case for
// picklists and lookups) it is the api name with underscores replaced by spaces. The type is matched
// case-insensitively; the field is marked Custom and gets the type's default Length and decimal places.
func ParseFieldSpec(spec string) (*crmd.Field, error) {
	parts := strings.SplitN(strings.TrimSpace(spec), ":", 3)
	if len(parts) < 2 {
		return nil, fmt.Errorf("field spec %q: want Api_Name:type[:label]", spec)
	}
	name := strings.TrimSpace(parts[0])
	if name == "" {
		return nil, fmt.Errorf("field spec %q: missing api name", spec)
	}
	if !ValidFieldName(name) {
		return nil, fmt.Errorf("field spec %q: invalid api name %q (start with a letter; letters, digits and single underscores only; at most %d characters)", spec, name, MaxFieldNameLength)
	}
	typ := strings.ToLower(strings.TrimSpace(parts[1]))
	if typ == "" {
		return nil, fmt.Errorf("field spec %q: missing field type (one of %s)", spec, specTypeList())
	}
	if !specTypes[typ] {
		return nil, fmt.Errorf("field spec %q: unknown field type %q (want one of %s)", spec, parts[1], specTypeList())
	}
	rest := ""
	if len(parts) == 3 {
		rest = strings.TrimSpace(parts[2])
	}

	f := field(name, strings.ReplaceAll(name, "_", " "), typ)
	f.Custom = true
	switch typ {
	case crmd.TypePicklist, crmd.TypeMultiSelect:
		values, err := parsePicklist(rest)
		if err != nil {
			return nil, fmt.Errorf("field spec %q: %w", spec, err)
		}
		f.Picklist = values
	case crmd.TypeLookup:
		if rest == "" {
			return nil, fmt.Errorf("field spec %q: a lookup needs its target module, e.g. %s:lookup:Accounts", spec, name)
		}
		if !ValidFieldName(rest) {
			return nil, fmt.Errorf("field spec %q: invalid lookup module name %q", spec, rest)
		}
		f.LookupModule = rest
	default:
		if rest != "" {
			f.Label = rest
		}
	}
	return f, nil
}

// parsePicklist splits "A|B|C" into trimmed, non-empty, distinct values.
func parsePicklist(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("a picklist needs its values, e.g. Stage:picklist:Open|Won|Lost")
	}
	raw := strings.Split(s, "|")
	values := make([]string, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	for _, v := range raw {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, fmt.Errorf("empty picklist value in %q", s)
		}
		if seen[v] {
			return nil, fmt.Errorf("duplicate picklist value %q", v)
		}
		seen[v] = true
		values = append(values, v)
	}
	return values, nil
}

// DefaultLength is the maximum length Zoho reports for a new field of the given data type (0 where length
// does not apply).
func DefaultLength(dataType string) int {
	switch dataType {
	case crmd.TypeText, crmd.TypeWebsite, crmd.TypeAutonumber:
		return 255
	case crmd.TypeTextarea:
		return 32000
	case crmd.TypeEmail:
		return 100
	case crmd.TypePhone:
		return 30
	case crmd.TypePicklist, crmd.TypeLookup, crmd.TypeOwnerLookup, crmd.TypeUserLookup:
		return 120
	case crmd.TypeMultiSelect:
		return 2000
	case crmd.TypeInteger:
		return 9
	case crmd.TypeBigint:
		return 18
	case crmd.TypeDouble, crmd.TypeCurrency:
		return 16
	case crmd.TypePercent, crmd.TypeBoolean:
		return 5
	case crmd.TypeDate:
		return 20
	default: // datetime and any other type
		return 120
	}
}

// newModule assembles a module: the system fields, then fields, all numbered 1..n.
func newModule(apiName, moduleName, singular, plural, displayField string, fields ...*crmd.Field) *crmd.Module {
	all := append(systemFields(singular), fields...)
	for i, f := range all {
		f.SequenceNumber = i + 1
	}
	return &crmd.Module{
		APIName:       apiName,
		ModuleName:    moduleName,
		SingularLabel: singular,
		PluralLabel:   plural,
		GeneratedType: "default",
		APISupported:  true,
		Creatable:     true,
		Editable:      true,
		Deletable:     true,
		MassDeletable: true,
		ScopeToken:    crmd.ScopeTokenFor(apiName, false),
		DisplayField:  displayField,
		Fields:        all,
	}
}

// systemFields are the fields every record has, kept in columns of their own.
func systemFields(singular string) []*crmd.Field {
	return []*crmd.Field{
		system(field("Owner", singular+" Owner", crmd.TypeOwnerLookup)),
		system(readOnly(field("Created_By", "Created By", crmd.TypeOwnerLookup))),
		system(readOnly(field("Modified_By", "Modified By", crmd.TypeOwnerLookup))),
		system(readOnly(field("Created_Time", "Created Time", crmd.TypeDatetime))),
		system(readOnly(field("Modified_Time", "Modified Time", crmd.TypeDatetime))),
	}
}

// cloneField copies f deeply enough that the copy shares nothing mutable with it.
func cloneField(f *crmd.Field) *crmd.Field {
	c := *f
	if f.Picklist != nil {
		c.Picklist = append([]string(nil), f.Picklist...)
	}
	return &c
}

// field makes a field of the given type with the type's default length and decimal places.
func field(apiName, label, dataType string) *crmd.Field {
	f := &crmd.Field{APIName: apiName, Label: label, DataType: dataType, Length: DefaultLength(dataType)}
	if dataType == crmd.TypeCurrency || dataType == crmd.TypeDouble {
		f.DecimalPlace = 2
	}
	return f
}

func text(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypeText) }

func textLen(apiName, label string, length int) *crmd.Field {
	f := text(apiName, label)
	f.Length = length
	return f
}

func textarea(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypeTextarea) }

func email(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypeEmail) }

func phone(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypePhone) }

func website(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypeWebsite) }

func integer(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypeInteger) }

func double(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypeDouble) }

func currency(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypeCurrency) }

func percent(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypePercent) }

func boolean(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypeBoolean) }

func date(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypeDate) }

func datetime(apiName, label string) *crmd.Field { return field(apiName, label, crmd.TypeDatetime) }

func autonumber(apiName, label string) *crmd.Field {
	return readOnly(field(apiName, label, crmd.TypeAutonumber))
}

// picklist copies values, so that package-level value lists are never shared with a caller.
func picklist(apiName, label string, values []string) *crmd.Field {
	f := field(apiName, label, crmd.TypePicklist)
	f.Picklist = append([]string(nil), values...)
	return f
}

func multiselect(apiName, label string, values []string) *crmd.Field {
	f := field(apiName, label, crmd.TypeMultiSelect)
	f.Picklist = append([]string(nil), values...)
	return f
}

func lookup(apiName, label, module string) *crmd.Field {
	f := field(apiName, label, crmd.TypeLookup)
	f.LookupModule = module
	return f
}

func required(f *crmd.Field) *crmd.Field { f.Mandatory = true; return f }

func readOnly(f *crmd.Field) *crmd.Field { f.ReadOnly = true; return f }

func system(f *crmd.Field) *crmd.Field { f.System = true; return f }

// address returns the street/city/state/code/country group Zoho repeats in many modules, e.g. Billing_Street
// … Billing_Country. codeName is the api-name suffix of the postal code (Code, Zip, Zip_Code).
func address(prefix, labelPrefix, codeName, codeLabel string) []*crmd.Field {
	name := func(s string) string {
		if prefix == "" {
			return s
		}
		return prefix + "_" + s
	}
	label := func(s string) string {
		if labelPrefix == "" {
			return s
		}
		return labelPrefix + " " + s
	}
	return []*crmd.Field{
		text(name("Street"), label("Street")),
		textLen(name("City"), label("City"), 100),
		textLen(name("State"), label("State"), 100),
		textLen(name(codeName), label(codeLabel), 30),
		textLen(name("Country"), label("Country"), 100),
	}
}

// concat joins field groups into one list.
func concat(groups ...[]*crmd.Field) []*crmd.Field {
	var all []*crmd.Field
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

// list is shorthand for a group of single fields, for use with concat.
func list(fields ...*crmd.Field) []*crmd.Field { return fields }
