package catalog

import (
	"strconv"
	"strings"

	"github.com/crmd/crmd"
)

// uiTypes are the ui_type codes Zoho's fields API shows for each data type, as they appear in Zoho's
// field metadata samples (docs/metadata.md#fields). Zoho publishes no complete table; a type missing
// here shows 1, the code of a single-line text field.
var uiTypes = map[string]int{
	crmd.TypeText:        1,
	crmd.TypePicklist:    2,
	crmd.TypeTextarea:    3,
	crmd.TypeOwnerLookup: 8,
	crmd.TypeWebsite:     21,
	crmd.TypeDate:        24,
	crmd.TypeEmail:       25,
	crmd.TypeInteger:     32,
	crmd.TypePhone:       33,
	crmd.TypeCurrency:    36,
	crmd.TypeDouble:      38,
	crmd.TypePercent:     39,
	crmd.TypeUserLookup:  51,
	crmd.TypeAutonumber:  55,
	crmd.TypeMultiSelect: 100,
	crmd.TypeLookup:      133,
	crmd.TypeBoolean:     301,
	crmd.TypeDatetime:    333,
	crmd.TypeBigint:      515,
}

// UIType is the ui_type Zoho's fields API shows for a field of the given data type.
func UIType(dataType string) int {
	if t, ok := uiTypes[dataType]; ok {
		return t
	}
	return 1
}

// ColumnName is the column_name Zoho's fields API shows for field f of module m: a standard field's api
// name in upper case without underscores (First_Name → FIRSTNAME), a custom field the module's name in
// upper case, "CF" and its rank among the module's custom fields (LEADSCF1, LEADSCF2, …), as Zoho names
// the columns it adds for custom fields. Zoho's v8 description (zoho/crm-oas v8.0/fields.json) marks
// the key required; crmd keeps no columns of its own by these names, so the name only has to be stable
// and distinct within the module.
func ColumnName(m *crmd.Module, f *crmd.Field) string {
	if !f.Custom {
		return strings.ToUpper(strings.ReplaceAll(f.APIName, "_", ""))
	}
	n := 0
	for _, c := range m.Fields {
		if c.Custom {
			n++
		}
		if c == f || c.ID == f.ID && c.APIName == f.APIName {
			break
		}
	}
	return strings.ToUpper(strings.ReplaceAll(m.APIName, "_", "")) + "CF" + strconv.Itoa(n)
}

// InventoryModules are the standard modules with inventory templates (quotes, orders and invoices).
var InventoryModules = map[string]bool{"Quotes": true, "Sales_Orders": true, "Purchase_Orders": true, "Invoices": true}

// WebformModules are the standard modules Zoho lets web forms create records in; custom modules may
// have web forms too.
var WebformModules = map[string]bool{"Leads": true, "Contacts": true, "Cases": true}

// ScoringModules are the standard modules Zoho's scoring rules apply to.
var ScoringModules = map[string]bool{"Leads": true, "Contacts": true, "Accounts": true, "Deals": true}
