package crmd

import "strings"

// Module is a CRM module (Leads, Accounts, a custom module, …) of one org.
type Module struct {
	ID             ID
	OrgID          ID
	APIName        string // path name, e.g. Leads, Price_Books, Projects
	ModuleName     string // internal name: Leads, CustomModule1, …
	SingularLabel  string
	PluralLabel    string
	GeneratedType  string // default | custom
	APISupported   bool
	Creatable      bool
	Editable       bool
	Deletable      bool
	MassDeletable  bool   // may be mass deleted through the API
	MinVersion     int    // first API version (×10: 20, 21, 30, …) the module exists in; 0 = all
	ScopeToken     string // lower-case token used in scopes (leads, pricebooks, custom, …)
	DisplayField   string // api name of the field Zoho uses as the record's display name
	SequenceNumber int
	ModifiedTime   int64
	Fields         []*Field
}

// IsCustom reports whether an admin defined the module.
func (m *Module) IsCustom() bool { return m.GeneratedType == "custom" }

// Field returns the module's field with the given api name (case-sensitive, as Zoho is), or nil.
func (m *Module) Field(apiName string) *Field {
	for _, f := range m.Fields {
		if f.APIName == apiName {
			return f
		}
	}
	return nil
}

// ScopeTokenFor derives the lower-case, underscore-free module token used in OAuth scopes; every custom
// module shares the token "custom".
func ScopeTokenFor(apiName string, custom bool) string {
	if custom {
		return "custom"
	}
	t := strings.ToLower(apiName)
	t = strings.TrimSuffix(t, "__s")
	return strings.ReplaceAll(t, "_", "")
}

// Field data types, as Zoho names them in /settings/fields.
const (
	TypeText        = "text"
	TypeTextarea    = "textarea"
	TypeEmail       = "email"
	TypePhone       = "phone"
	TypeWebsite     = "website"
	TypePicklist    = "picklist"
	TypeMultiSelect = "multiselectpicklist"
	TypeInteger     = "integer"
	TypeBigint      = "bigint"
	TypeDouble      = "double"
	TypeCurrency    = "currency"
	TypePercent     = "percent"
	TypeBoolean     = "boolean"
	TypeDate        = "date"
	TypeDatetime    = "datetime"
	TypeLookup      = "lookup"
	TypeOwnerLookup = "ownerlookup"
	TypeUserLookup  = "userlookup"
	TypeAutonumber  = "autonumber"
)

// Field describes one field of a module.
type Field struct {
	ID             ID
	APIName        string
	Label          string
	DataType       string
	Length         int
	Mandatory      bool // system_mandatory: an insert must give it
	ReadOnly       bool // set by crmd, never by a client (Created_Time, Full_Name, …)
	Custom         bool
	System         bool     // stored in a column of its own, not in the record's data document
	Picklist       []string // values of picklist / multiselectpicklist fields
	LookupModule   string   // api name of a lookup's target module
	DecimalPlace   int
	SequenceNumber int
}

// JSONType is the JSON type Zoho reports for the field.
func (f *Field) JSONType() string {
	switch f.DataType {
	case TypeInteger, TypeBigint, TypeDouble, TypeCurrency, TypePercent:
		if f.DataType == TypeInteger || f.DataType == TypeBigint {
			return "integer"
		}
		return "double"
	case TypeBoolean:
		return "boolean"
	case TypeLookup, TypeOwnerLookup, TypeUserLookup:
		return "jsonobject"
	case TypeMultiSelect:
		return "jsonarray"
	default:
		return "string"
	}
}
