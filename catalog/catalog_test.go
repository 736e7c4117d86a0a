package catalog

import (
	"reflect"
	"strings"
	"testing"

	"github.com/crmd/crmd"
)

var systemFieldNames = []string{"Owner", "Created_By", "Modified_By", "Created_Time", "Modified_Time"}

func byName(t *testing.T, mods []*crmd.Module) map[string]*crmd.Module {
	t.Helper()
	m := make(map[string]*crmd.Module, len(mods))
	for _, mod := range mods {
		if _, dup := m[mod.APIName]; dup {
			t.Fatalf("duplicate module %s", mod.APIName)
		}
		m[mod.APIName] = mod
	}
	return m
}

func TestStandardModuleList(t *testing.T) {
	want := []string{
		"Leads", "Accounts", "Contacts", "Deals", "Campaigns", "Tasks", "Events", "Calls", "Cases", "Solutions",
		"Products", "Vendors", "Price_Books", "Quotes", "Sales_Orders", "Purchase_Orders", "Invoices",
		"Services__s", "Appointments__s", "Notes",
	}
	mods := Standard()
	if len(mods) != len(want) {
		t.Fatalf("Standard() has %d modules, want %d", len(mods), len(want))
	}
	for i, m := range mods {
		if m.APIName != want[i] {
			t.Errorf("module %d = %s, want %s", i, m.APIName, want[i])
		}
		if m.SequenceNumber != i+1 {
			t.Errorf("%s: SequenceNumber %d, want %d", m.APIName, m.SequenceNumber, i+1)
		}
		if m.ID != 0 || m.OrgID != 0 {
			t.Errorf("%s: ids not zero", m.APIName)
		}
		if m.GeneratedType != "default" || m.IsCustom() {
			t.Errorf("%s: GeneratedType %q", m.APIName, m.GeneratedType)
		}
		if !m.APISupported || !m.Creatable || !m.Editable || !m.Deletable {
			t.Errorf("%s: not fully api-supported", m.APIName)
		}
		if wantMass := m.APIName != "Notes"; m.MassDeletable != wantMass {
			t.Errorf("%s: MassDeletable %v, want %v", m.APIName, m.MassDeletable, wantMass)
		}
		if m.ScopeToken != crmd.ScopeTokenFor(m.APIName, false) {
			t.Errorf("%s: ScopeToken %q", m.APIName, m.ScopeToken)
		}
		if m.ModuleName == "" || m.SingularLabel == "" || m.PluralLabel == "" || m.DisplayField == "" {
			t.Errorf("%s: missing names or labels: %+v", m.APIName, m)
		}
		if !ValidFieldName(m.APIName) {
			t.Errorf("%s: module api name fails ValidFieldName", m.APIName)
		}
	}
}

func TestStandardModuleDetails(t *testing.T) {
	mods := byName(t, Standard())
	tests := []struct {
		api, moduleName, singular, plural, display, scope string
		minVersion                                        int
	}{
		{"Leads", "Leads", "Lead", "Leads", "Full_Name", "leads", 0},
		{"Contacts", "Contacts", "Contact", "Contacts", "Full_Name", "contacts", 0},
		{"Deals", "Potentials", "Deal", "Deals", "Deal_Name", "deals", 0},
		{"Events", "Events", "Meeting", "Meetings", "Event_Title", "events", 0},
		{"Price_Books", "PriceBooks", "Price Book", "Price Books", "Price_Book_Name", "pricebooks", 0},
		{"Sales_Orders", "SalesOrders", "Sales Order", "Sales Orders", "Subject", "salesorders", 0},
		{"Purchase_Orders", "PurchaseOrders", "Purchase Order", "Purchase Orders", "Subject", "purchaseorders", 0},
		{"Services__s", "Services", "Service", "Services", "Name", "services", 30},
		{"Appointments__s", "Appointments", "Appointment", "Appointments", "Appointment_Name", "appointments", 30},
		{"Notes", "Notes", "Note", "Notes", "Note_Title", "notes", 0},
	}
	for _, tt := range tests {
		m := mods[tt.api]
		if m == nil {
			t.Errorf("module %s missing", tt.api)
			continue
		}
		got := []any{m.ModuleName, m.SingularLabel, m.PluralLabel, m.DisplayField, m.ScopeToken, m.MinVersion}
		want := []any{tt.moduleName, tt.singular, tt.plural, tt.display, tt.scope, tt.minVersion}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", tt.api, got, want)
		}
	}
}

// checkFields verifies the invariants every module, standard or custom, must hold. known holds the api names
// lookups may point at.
func checkFields(t *testing.T, m *crmd.Module, known map[string]*crmd.Module) {
	t.Helper()
	seen := map[string]bool{}
	for i, f := range m.Fields {
		if f.SequenceNumber != i+1 {
			t.Errorf("%s.%s: SequenceNumber %d, want %d", m.APIName, f.APIName, f.SequenceNumber, i+1)
		}
		if seen[f.APIName] {
			t.Errorf("%s: duplicate field %s", m.APIName, f.APIName)
		}
		seen[f.APIName] = true
		if f.ID != 0 {
			t.Errorf("%s.%s: id not zero", m.APIName, f.APIName)
		}
		if !ValidFieldName(f.APIName) {
			t.Errorf("%s.%s: invalid api name", m.APIName, f.APIName)
		}
		if f.Label == "" || f.DataType == "" {
			t.Errorf("%s.%s: missing label or data type", m.APIName, f.APIName)
		}
		switch f.DataType {
		case crmd.TypePicklist, crmd.TypeMultiSelect:
			if len(f.Picklist) == 0 {
				t.Errorf("%s.%s: picklist without values", m.APIName, f.APIName)
			}
		case crmd.TypeLookup:
			if known[f.LookupModule] == nil {
				t.Errorf("%s.%s: lookup to unknown module %q", m.APIName, f.APIName, f.LookupModule)
			}
		case crmd.TypeCurrency, crmd.TypeDouble:
			if f.DecimalPlace != 2 {
				t.Errorf("%s.%s: DecimalPlace %d, want 2", m.APIName, f.APIName, f.DecimalPlace)
			}
		}
		if f.DataType != crmd.TypeLookup && f.LookupModule != "" {
			t.Errorf("%s.%s: LookupModule on a %s field", m.APIName, f.APIName, f.DataType)
		}
		if f.Mandatory && f.ReadOnly {
			t.Errorf("%s.%s: both mandatory and read-only", m.APIName, f.APIName)
		}
		isSystem := false
		for _, s := range systemFieldNames {
			isSystem = isSystem || s == f.APIName
		}
		if f.System != isSystem {
			t.Errorf("%s.%s: System %v, want %v", m.APIName, f.APIName, f.System, isSystem)
		}
	}

	owner := m.Field("Owner")
	if owner == nil || owner.DataType != crmd.TypeOwnerLookup || owner.ReadOnly || owner.Mandatory ||
		owner.Label != m.SingularLabel+" Owner" {
		t.Errorf("%s: bad Owner field %+v", m.APIName, owner)
	}
	for _, name := range []string{"Created_By", "Modified_By"} {
		f := m.Field(name)
		if f == nil || f.DataType != crmd.TypeOwnerLookup || !f.ReadOnly {
			t.Errorf("%s: bad %s field %+v", m.APIName, name, f)
		}
	}
	for _, name := range []string{"Created_Time", "Modified_Time"} {
		f := m.Field(name)
		if f == nil || f.DataType != crmd.TypeDatetime || !f.ReadOnly {
			t.Errorf("%s: bad %s field %+v", m.APIName, name, f)
		}
	}
	if d := m.Field(m.DisplayField); d == nil {
		t.Errorf("%s: display field %s does not exist", m.APIName, m.DisplayField)
	} else if d.DataType != crmd.TypeText {
		t.Errorf("%s: display field %s is %s, want text", m.APIName, d.APIName, d.DataType)
	}
}

func TestStandardFields(t *testing.T) {
	mods := Standard()
	known := byName(t, mods)
	for _, m := range mods {
		checkFields(t, m, known)
		// Every module except Notes (where Zoho requires the content instead) requires its name field.
		if d := m.Field(m.DisplayField); d != nil && m.APIName != "Notes" && !d.Mandatory && !d.ReadOnly {
			t.Errorf("%s: display field %s not mandatory", m.APIName, d.APIName)
		}
		if n := len(m.Fields) - len(systemFieldNames); n < 2 {
			t.Errorf("%s: only %d data fields", m.APIName, n)
		}
	}
}

func TestSelectedFields(t *testing.T) {
	mods := byName(t, Standard())
	tests := []struct {
		module, field, dataType string
		mandatory, readOnly     bool
		lookup                  string
	}{
		{"Leads", "Last_Name", crmd.TypeText, true, false, ""},
		{"Leads", "First_Name", crmd.TypeText, false, false, ""},
		{"Leads", "Full_Name", crmd.TypeText, false, true, ""},
		{"Leads", "Company", crmd.TypeText, false, false, ""},
		{"Leads", "Email", crmd.TypeEmail, false, false, ""},
		{"Leads", "Secondary_Email", crmd.TypeEmail, false, false, ""},
		{"Leads", "Phone", crmd.TypePhone, false, false, ""},
		{"Leads", "Mobile", crmd.TypePhone, false, false, ""},
		{"Leads", "Fax", crmd.TypePhone, false, false, ""},
		{"Leads", "Title", crmd.TypeText, false, false, ""},
		{"Leads", "Industry", crmd.TypePicklist, false, false, ""},
		{"Leads", "Annual_Revenue", crmd.TypeCurrency, false, false, ""},
		{"Leads", "No_of_Employees", crmd.TypeInteger, false, false, ""},
		{"Leads", "Rating", crmd.TypePicklist, false, false, ""},
		{"Leads", "Salutation", crmd.TypePicklist, false, false, ""},
		{"Leads", "Email_Opt_Out", crmd.TypeBoolean, false, false, ""},
		{"Leads", "Website", crmd.TypeWebsite, false, false, ""},
		{"Leads", "Street", crmd.TypeText, false, false, ""},
		{"Leads", "City", crmd.TypeText, false, false, ""},
		{"Leads", "State", crmd.TypeText, false, false, ""},
		{"Leads", "Zip_Code", crmd.TypeText, false, false, ""},
		{"Leads", "Country", crmd.TypeText, false, false, ""},
		{"Leads", "Description", crmd.TypeTextarea, false, false, ""},
		{"Leads", "Skype_ID", crmd.TypeText, false, false, ""},
		{"Leads", "Twitter", crmd.TypeText, false, false, ""},
		{"Accounts", "Account_Name", crmd.TypeText, true, false, ""},
		{"Accounts", "Account_Number", crmd.TypeText, false, false, ""},
		{"Accounts", "Account_Type", crmd.TypePicklist, false, false, ""},
		{"Accounts", "Parent_Account", crmd.TypeLookup, false, false, "Accounts"},
		{"Accounts", "Billing_Street", crmd.TypeText, false, false, ""},
		{"Accounts", "Shipping_Country", crmd.TypeText, false, false, ""},
		{"Accounts", "Employees", crmd.TypeInteger, false, false, ""},
		{"Accounts", "Ownership", crmd.TypePicklist, false, false, ""},
		{"Contacts", "Last_Name", crmd.TypeText, true, false, ""},
		{"Contacts", "Full_Name", crmd.TypeText, false, true, ""},
		{"Contacts", "Account_Name", crmd.TypeLookup, false, false, "Accounts"},
		{"Contacts", "Department", crmd.TypeText, false, false, ""},
		{"Contacts", "Lead_Source", crmd.TypePicklist, false, false, ""},
		{"Contacts", "Mailing_Street", crmd.TypeText, false, false, ""},
		{"Contacts", "Date_of_Birth", crmd.TypeDate, false, false, ""},
		{"Deals", "Deal_Name", crmd.TypeText, true, false, ""},
		{"Deals", "Amount", crmd.TypeCurrency, false, false, ""},
		{"Deals", "Stage", crmd.TypePicklist, true, false, ""},
		{"Deals", "Closing_Date", crmd.TypeDate, true, false, ""},
		{"Deals", "Account_Name", crmd.TypeLookup, false, false, "Accounts"},
		{"Deals", "Contact_Name", crmd.TypeLookup, false, false, "Contacts"},
		{"Deals", "Probability", crmd.TypePercent, false, false, ""},
		{"Deals", "Next_Step", crmd.TypeText, false, false, ""},
		{"Tasks", "Subject", crmd.TypeText, true, false, ""},
		{"Tasks", "Due_Date", crmd.TypeDate, false, false, ""},
		{"Tasks", "Status", crmd.TypePicklist, false, false, ""},
		{"Tasks", "Priority", crmd.TypePicklist, false, false, ""},
		{"Tasks", "Send_Notification_Email", crmd.TypeBoolean, false, false, ""},
		{"Events", "Event_Title", crmd.TypeText, true, false, ""},
		{"Events", "Start_DateTime", crmd.TypeDatetime, true, false, ""},
		{"Events", "End_DateTime", crmd.TypeDatetime, true, false, ""},
		{"Events", "Venue", crmd.TypeText, false, false, ""},
		{"Events", "All_day", crmd.TypeBoolean, false, false, ""},
		{"Calls", "Subject", crmd.TypeText, true, false, ""},
		{"Calls", "Call_Type", crmd.TypePicklist, true, false, ""},
		{"Calls", "Call_Start_Time", crmd.TypeDatetime, true, false, ""},
		{"Calls", "Call_Duration", crmd.TypeText, false, false, ""},
		{"Cases", "Subject", crmd.TypeText, true, false, ""},
		{"Cases", "Status", crmd.TypePicklist, true, false, ""},
		{"Cases", "Case_Origin", crmd.TypePicklist, true, false, ""},
		{"Cases", "Case_Number", crmd.TypeAutonumber, false, true, ""},
		{"Notes", "Note_Content", crmd.TypeTextarea, true, false, ""},
		{"Notes", "Note_Title", crmd.TypeText, false, false, ""},
		{"Appointments__s", "Service_Name", crmd.TypeLookup, false, false, "Services__s"},
	}
	for _, tt := range tests {
		m := mods[tt.module]
		f := m.Field(tt.field)
		if f == nil {
			t.Errorf("%s.%s missing", tt.module, tt.field)
			continue
		}
		if f.DataType != tt.dataType || f.Mandatory != tt.mandatory || f.ReadOnly != tt.readOnly ||
			f.LookupModule != tt.lookup || f.Custom {
			t.Errorf("%s.%s = %+v, want type %s mandatory %v read-only %v lookup %q", tt.module, tt.field, f,
				tt.dataType, tt.mandatory, tt.readOnly, tt.lookup)
		}
	}
}

func TestFieldLengthsAndLabels(t *testing.T) {
	leads := byName(t, Standard())["Leads"]
	lengths := map[string]int{
		"Email": 100, "Phone": 30, "Description": 32000, "Website": 255, "Street": 255,
	}
	for name, want := range lengths {
		if got := leads.Field(name).Length; got != want {
			t.Errorf("Leads.%s length %d, want %d", name, got, want)
		}
	}
	labels := map[string]string{
		"Owner": "Lead Owner", "Last_Name": "Last Name", "Lead_Source": "Lead Source",
		"Annual_Revenue": "Annual Revenue", "Created_Time": "Created Time",
	}
	for name, want := range labels {
		if got := leads.Field(name).Label; got != want {
			t.Errorf("Leads.%s label %q, want %q", name, got, want)
		}
	}
	if f := leads.Field("Annual_Revenue"); f.DecimalPlace != 2 {
		t.Errorf("Annual_Revenue DecimalPlace %d", f.DecimalPlace)
	}
}

func TestPicklistValues(t *testing.T) {
	mods := byName(t, Standard())
	tests := []struct {
		module, field string
		want          []string
	}{
		{"Leads", "Lead_Source", []string{
			"-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
			"X (Twitter)", "Facebook", "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner",
			"Internal Seminar", "Trade Show", "Web Download", "Web Research", "Chat",
		}},
		{"Leads", "Lead_Status", []string{
			"-None-", "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead",
			"Not Contacted", "Pre-Qualified", "Not Qualified",
		}},
		{"Deals", "Stage", []string{
			"Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers",
			"Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost", "Closed Lost to Competition",
		}},
		{"Calls", "Call_Type", []string{"Outbound", "Inbound", "Missed"}},
	}
	for _, tt := range tests {
		f := mods[tt.module].Field(tt.field)
		if f == nil || f.DataType != crmd.TypePicklist {
			t.Errorf("%s.%s is not a picklist: %+v", tt.module, tt.field, f)
			continue
		}
		if !reflect.DeepEqual(f.Picklist, tt.want) {
			t.Errorf("%s.%s values %q, want %q", tt.module, tt.field, f.Picklist, tt.want)
		}
	}
}

func TestStandardReturnsFreshCopies(t *testing.T) {
	first := Standard()
	leads := first[0]
	leads.APIName = "Mutated"
	leads.ID = 42
	leads.Fields[0].Label = "Mutated"
	leads.Fields = leads.Fields[:1]
	src := byName(t, Standard())["Leads"].Field("Lead_Source")
	src.Picklist[1] = "Mutated"
	byName(t, first)["Contacts"].Field("Lead_Source").Picklist[2] = "Mutated"

	second := byName(t, Standard())
	l := second["Leads"]
	if l == nil || l.ID != 0 || l.Fields[0].Label != "Lead Owner" || l.Field("Last_Name") == nil {
		t.Fatalf("mutating one result changed the next: %+v", l)
	}
	for _, m := range []string{"Leads", "Contacts", "Deals"} {
		if v := second[m].Field("Lead_Source").Picklist; v[1] != "Advertisement" || v[2] != "Cold Call" {
			t.Errorf("%s.Lead_Source values shared between calls: %q", m, v)
		}
	}
	if first[0] == Standard()[0] {
		t.Error("Standard returned the same module pointer twice")
	}
}

func TestNewCustomModule(t *testing.T) {
	budget := &crmd.Field{APIName: "Budget", Label: "Budget", DataType: crmd.TypeCurrency, DecimalPlace: 2,
		Length: 16, SequenceNumber: 99}
	phase := &crmd.Field{APIName: "Phase", Label: "Phase", DataType: crmd.TypePicklist,
		Picklist: []string{"Plan", "Build"}}
	client := &crmd.Field{APIName: "Client", Label: "Client", DataType: crmd.TypeLookup, LookupModule: "Accounts"}
	m := NewCustomModule("Projects", "CustomModule1", "Project", "Projects",
		[]*crmd.Field{budget, nil, phase, client})

	if m.APIName != "Projects" || m.ModuleName != "CustomModule1" || m.SingularLabel != "Project" ||
		m.PluralLabel != "Projects" {
		t.Errorf("names: %+v", m)
	}
	if !m.IsCustom() || m.ScopeToken != "custom" || m.DisplayField != "Name" || !m.MassDeletable ||
		!m.APISupported || !m.Creatable || !m.Editable || !m.Deletable || m.ID != 0 || m.OrgID != 0 {
		t.Errorf("flags: %+v", m)
	}
	known := byName(t, Standard())
	checkFields(t, m, known)

	var names []string
	for _, f := range m.Fields {
		names = append(names, f.APIName)
	}
	want := append(append([]string{}, systemFieldNames...),
		"Name", "Email", "Secondary_Email", "Email_Opt_Out", "Budget", "Phase", "Client")
	if !reflect.DeepEqual(names, want) {
		t.Errorf("fields %v, want %v", names, want)
	}
	name := m.Field("Name")
	if name.DataType != crmd.TypeText || name.Length != 120 || !name.Mandatory || name.Label != "Project Name" ||
		name.Custom {
		t.Errorf("Name field %+v", name)
	}
	if m.Field("Owner").Label != "Project Owner" {
		t.Errorf("Owner label %q", m.Field("Owner").Label)
	}
	for _, n := range []string{"Email", "Secondary_Email"} {
		if f := m.Field(n); f.DataType != crmd.TypeEmail || f.Custom {
			t.Errorf("%s field %+v", n, f)
		}
	}
	if f := m.Field("Email_Opt_Out"); f.DataType != crmd.TypeBoolean {
		t.Errorf("Email_Opt_Out %+v", f)
	}
	for _, n := range []string{"Budget", "Phase", "Client"} {
		if !m.Field(n).Custom {
			t.Errorf("%s not marked custom", n)
		}
	}

	// The caller's fields are copied, not adopted.
	if budget.Custom || budget.SequenceNumber != 99 {
		t.Errorf("caller's field was mutated: %+v", budget)
	}
	m.Field("Phase").Picklist[0] = "Mutated"
	if phase.Picklist[0] != "Plan" {
		t.Error("picklist values shared with the caller's field")
	}
	if m.Field("Budget") == budget {
		t.Error("caller's field pointer adopted")
	}
}

func TestNewCustomModuleRefusesNothing(t *testing.T) {
	m := NewCustomModule("", "", "", "", nil)
	if m == nil || len(m.Fields) != len(systemFieldNames)+4 {
		t.Fatalf("got %+v", m)
	}
}

func TestValidFieldName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"Last_Name", true},
		{"A", true},
		{"a1", true},
		{"Field_2_b", true},
		{"X9", true},
		{"Services__s", true},
		{"Record_Status__s", true},
		{strings.Repeat("a", 100), true},
		{strings.Repeat("a", 101), false},
		{strings.Repeat("a", 97) + "__s", true},
		{strings.Repeat("a", 98) + "__s", false},
		{"", false},
		{"1abc", false},
		{"_abc", false},
		{"abc_", false},
		{"abc__", false},
		{"a__b", false},
		{"a___s", false},
		{"__s", false},
		{"abc__x", false},
		{"Last Name", false},
		{"Last-Name", false},
		{"Naïve", false},
		{"a.b", false},
		{"$approved", false},
	}
	for _, tt := range tests {
		if got := ValidFieldName(tt.name); got != tt.want {
			t.Errorf("ValidFieldName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseFieldSpec(t *testing.T) {
	tests := []struct {
		spec string
		want crmd.Field
	}{
		{"Budget:currency", crmd.Field{APIName: "Budget", Label: "Budget", DataType: crmd.TypeCurrency,
			Length: 16, DecimalPlace: 2, Custom: true}},
		{"Start_Date:date", crmd.Field{APIName: "Start_Date", Label: "Start Date", DataType: crmd.TypeDate,
			Length: 20, Custom: true}},
		{"Notes_Text:textarea:Long Notes", crmd.Field{APIName: "Notes_Text", Label: "Long Notes",
			DataType: crmd.TypeTextarea, Length: 32000, Custom: true}},
		{" Code : TEXT : Code: A ", crmd.Field{APIName: "Code", Label: "Code: A", DataType: crmd.TypeText,
			Length: 255, Custom: true}},
		{"Work_Email:email", crmd.Field{APIName: "Work_Email", Label: "Work Email", DataType: crmd.TypeEmail,
			Length: 100, Custom: true}},
		{"Alt_Phone:phone", crmd.Field{APIName: "Alt_Phone", Label: "Alt Phone", DataType: crmd.TypePhone,
			Length: 30, Custom: true}},
		{"Site:website", crmd.Field{APIName: "Site", Label: "Site", DataType: crmd.TypeWebsite, Length: 255,
			Custom: true}},
		{"Seats:integer", crmd.Field{APIName: "Seats", Label: "Seats", DataType: crmd.TypeInteger, Length: 9,
			Custom: true}},
		{"Big:bigint", crmd.Field{APIName: "Big", Label: "Big", DataType: crmd.TypeBigint, Length: 18,
			Custom: true}},
		{"Weight:double", crmd.Field{APIName: "Weight", Label: "Weight", DataType: crmd.TypeDouble, Length: 16,
			DecimalPlace: 2, Custom: true}},
		{"Share:percent", crmd.Field{APIName: "Share", Label: "Share", DataType: crmd.TypePercent, Length: 5,
			Custom: true}},
		{"Active:boolean", crmd.Field{APIName: "Active", Label: "Active", DataType: crmd.TypeBoolean,
			Length: 5, Custom: true}},
		{"Kickoff:datetime:Kick-off", crmd.Field{APIName: "Kickoff", Label: "Kick-off",
			DataType: crmd.TypeDatetime, Length: 120, Custom: true}},
		{"Stage:picklist:Open|Won|Lost", crmd.Field{APIName: "Stage", Label: "Stage", DataType: crmd.TypePicklist,
			Length: 120, Picklist: []string{"Open", "Won", "Lost"}, Custom: true}},
		{"Deal_Tags:multiselectpicklist: Hot | Cold ", crmd.Field{APIName: "Deal_Tags", Label: "Deal Tags",
			DataType: crmd.TypeMultiSelect, Length: 2000, Picklist: []string{"Hot", "Cold"}, Custom: true}},
		{"Account:lookup:Accounts", crmd.Field{APIName: "Account", Label: "Account", DataType: crmd.TypeLookup,
			Length: 120, LookupModule: "Accounts", Custom: true}},
		{"Primary_Service:lookup:Services__s", crmd.Field{APIName: "Primary_Service", Label: "Primary Service",
			DataType: crmd.TypeLookup, Length: 120, LookupModule: "Services__s", Custom: true}},
	}
	for _, tt := range tests {
		got, err := ParseFieldSpec(tt.spec)
		if err != nil {
			t.Errorf("ParseFieldSpec(%q): %v", tt.spec, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("ParseFieldSpec(%q) = %+v, want %+v", tt.spec, *got, tt.want)
		}
	}
}

func TestParseFieldSpecErrors(t *testing.T) {
	tests := []struct {
		spec, wantErr string
	}{
		{"", "want Api_Name:type"},
		{"Budget", "want Api_Name:type"},
		{":text", "missing api name"},
		{"Budget:", "missing field type"},
		{"Budget:money", `unknown field type "money"`},
		{"Owner2:ownerlookup", "unknown field type"},
		{"Num:autonumber", "unknown field type"},
		{"1st:text", "invalid api name"},
		{"Bad Name:text", "invalid api name"},
		{"Bad__Name:text", "invalid api name"},
		{"Stage:picklist", "needs its values"},
		{"Stage:picklist:", "needs its values"},
		{"Stage:picklist:Open||Won", "empty picklist value"},
		{"Stage:multiselectpicklist:Open|Open", `duplicate picklist value "Open"`},
		{"Account:lookup", "needs its target module"},
		{"Account:lookup: ", "needs its target module"},
		{"Account:lookup:Price Books", "invalid lookup module"},
	}
	for _, tt := range tests {
		f, err := ParseFieldSpec(tt.spec)
		if err == nil {
			t.Errorf("ParseFieldSpec(%q) = %+v, want error", tt.spec, f)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseFieldSpec(%q) error %q, want it to mention %q", tt.spec, err, tt.wantErr)
		}
	}
	_, err := ParseFieldSpec("Budget:money")
	if !strings.Contains(err.Error(), "currency") || !strings.Contains(err.Error(), "picklist") {
		t.Errorf("unknown-type error should list the accepted types: %v", err)
	}
}

func TestDefaultLength(t *testing.T) {
	for typ, want := range map[string]int{
		crmd.TypeText: 255, crmd.TypeTextarea: 32000, crmd.TypeEmail: 100, crmd.TypePhone: 30,
		crmd.TypeWebsite: 255, crmd.TypeBoolean: 5, crmd.TypeDate: 20, crmd.TypeDatetime: 120,
	} {
		if got := DefaultLength(typ); got != want {
			t.Errorf("DefaultLength(%s) = %d, want %d", typ, got, want)
		}
	}
}

// TestCheckModuleName: every word of the API's paths is refused as a module name in any case, with a
// message naming the word; ordinary names and names that merely contain a path word pass.
func TestCheckModuleName(t *testing.T) {
	for _, w := range ReservedModuleNames() {
		for _, name := range []string{w, strings.ToUpper(w), strings.ToUpper(w[:1]) + w[1:]} {
			err := CheckModuleName(name)
			if err == nil || !strings.Contains(err.Error(), `"`+w+`" is a word of the Zoho API's own paths`) {
				t.Errorf("CheckModuleName(%q) = %v, want the path-word refusal", name, err)
			}
			if !IsReservedModuleName(name) {
				t.Errorf("IsReservedModuleName(%q) = false", name)
			}
		}
	}
	for _, name := range []string{"Projects", "Settings_Log", "User_Stories", "Orgs", "Searches", "Deleted_Items"} {
		if err := CheckModuleName(name); err != nil {
			t.Errorf("CheckModuleName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"9lives", "My__Mod", "Things__s", "", "trailing_"} {
		if err := CheckModuleName(name); err == nil {
			t.Errorf("CheckModuleName(%q) = nil, want an invalid-name error", name)
		}
	}
}
