package oauth

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseScopes(t *testing.T) {
	good := []struct {
		in   string
		want []string
	}{
		{"ZohoCRM.modules.ALL", []string{"ZohoCRM.modules.ALL"}},
		{"ZohoCRM.modules.all", []string{"ZohoCRM.modules.all"}},
		{"ZohoCRM.modules.leads.READ,ZohoCRM.settings.fields.READ", []string{"ZohoCRM.modules.leads.READ", "ZohoCRM.settings.fields.READ"}},
		{" ZohoCRM.users.READ  ZohoCRM.org.READ ", []string{"ZohoCRM.users.READ", "ZohoCRM.org.READ"}},
		{"ZohoCRM.users.READ, ZohoCRM.org.READ,\tZohoCRM.mass_delete.DELETE\n", []string{"ZohoCRM.users.READ", "ZohoCRM.org.READ", "ZohoCRM.mass_delete.DELETE"}},
		{"ZohoCRM.modules.ALL,ZohoCRM.modules.ALL,zohocrm.MODULES.all", []string{"ZohoCRM.modules.ALL"}},
		{"ZohoCRM.settings.custom_views.WRITE", []string{"ZohoCRM.settings.custom_views.WRITE"}},
		{"ZohoCRM.modules.price_books.CREATE,ZohoCRM.modules.deals.Update", []string{"ZohoCRM.modules.price_books.CREATE", "ZohoCRM.modules.deals.Update"}},
		{"ZohoCRM.settings.layouts.custom_fields.READ", []string{"ZohoCRM.settings.layouts.custom_fields.READ"}},
		{"aaaserver.profile.READ,ZohoCRM.modules.ALL", []string{"aaaserver.profile.READ", "ZohoCRM.modules.ALL"}},
		{",,ZohoCRM.org.ALL,,", []string{"ZohoCRM.org.ALL"}},
	}
	for _, c := range good {
		got, err := ParseScopes(c.in)
		if err != nil {
			t.Errorf("ParseScopes(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseScopes(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	bad := []string{
		"",
		"   ",
		",, ,",
		"ZohoCRM",
		"ZohoCRM.modules",
		"ZohoCRM.modules.FETCH",
		"ZohoCRM.modules.leads.",
		"ZohoCRM..leads.READ",
		".modules.READ",
		"ZohoCRM.modules.ALL,nonsense",
		"ZohoCRM.modules.le ads.READ x",
		"ZohoCRM.modules.le$ads.READ",
		"ZohoCRM.modules.leads.READ;ZohoCRM.org.READ",
	}
	for _, in := range bad {
		got, err := ParseScopes(in)
		if err == nil {
			t.Errorf("ParseScopes(%q) = %q, want error", in, got)
		} else if !errors.Is(err, ErrInvalidScope) {
			t.Errorf("ParseScopes(%q) error %v does not wrap ErrInvalidScope", in, err)
		}
	}
}

func TestPermits(t *testing.T) {
	cases := []struct {
		granted string
		need    Need
		want    bool
	}{
		// ALL and WRITE
		{"ZohoCRM.modules.ALL", Need{"modules", "leads", "READ"}, true},
		{"ZohoCRM.modules.ALL", Need{"modules", "leads", "DELETE"}, true},
		{"ZohoCRM.modules.leads.ALL", Need{"modules", "leads", "CREATE"}, true},
		{"ZohoCRM.modules.leads.WRITE", Need{"modules", "leads", "CREATE"}, true},
		{"ZohoCRM.modules.leads.WRITE", Need{"modules", "leads", "UPDATE"}, true},
		{"ZohoCRM.modules.leads.WRITE", Need{"modules", "leads", "DELETE"}, true},
		{"ZohoCRM.modules.leads.WRITE", Need{"modules", "leads", "READ"}, false},
		{"ZohoCRM.modules.leads.READ", Need{"modules", "leads", "READ"}, true},
		{"ZohoCRM.modules.leads.READ", Need{"modules", "leads", "DELETE"}, false},
		{"ZohoCRM.modules.leads.DELETE", Need{"modules", "leads", "UPDATE"}, false},
		{"ZohoCRM.modules.READ", Need{"modules", "contacts", "READ"}, true},
		{"ZohoCRM.modules.CREATE", Need{"modules", "contacts", "READ"}, false},
		// case-insensitivity
		{"zohocrm.MODULES.all", Need{"modules", "leads", "READ"}, true},
		{"ZohoCRM.modules.leads.read", Need{"Modules", "Leads", "read"}, true},
		{"ZOHOCRM.Modules.LEADS.Delete", Need{"modules", "leads", "DELETE"}, true},
		// module resource forms
		{"ZohoCRM.modules.Leads.READ", Need{"modules", "leads", "READ"}, true},
		{"ZohoCRM.modules.leads.READ", Need{"modules", "Leads", "READ"}, true},
		{"ZohoCRM.modules.price_books.READ", Need{"modules", "pricebooks", "READ"}, true},
		{"ZohoCRM.modules.pricebooks.READ", Need{"modules", "Price_Books", "READ"}, true},
		{"ZohoCRM.modules.salesorders.ALL", Need{"modules", "sales_orders", "UPDATE"}, true},
		{"ZohoCRM.modules.leads.READ", Need{"modules", "contacts", "READ"}, false},
		{"ZohoCRM.modules.custom.ALL", Need{"modules", "custom", "READ"}, true},
		// events / meetings
		{"ZohoCRM.modules.meetings.READ", Need{"modules", "events", "READ"}, true},
		{"ZohoCRM.modules.events.READ", Need{"modules", "events", "READ"}, true},
		{"ZohoCRM.modules.meetings.READ", Need{"modules", "calls", "READ"}, false},
		{"ZohoCRM.mass_delete.meetings.DELETE", Need{"mass_delete", "events", "DELETE"}, true},
		// settings
		{"ZohoCRM.settings.ALL", Need{"settings", "fields", "READ"}, true},
		{"ZohoCRM.settings.ALL", Need{"settings", "custom_views", "CREATE"}, true},
		{"ZohoCRM.settings.fields.READ", Need{"settings", "fields", "READ"}, true},
		{"ZohoCRM.settings.Fields.read", Need{"settings", "fields", "READ"}, true},
		{"ZohoCRM.settings.fields.READ", Need{"settings", "modules", "READ"}, false},
		{"ZohoCRM.settings.fields.READ", Need{"settings", "fields", "UPDATE"}, false},
		{"ZohoCRM.settings.custom_views.ALL", Need{"settings", "custom_views", "DELETE"}, true},
		{"ZohoCRM.settings.recycle_bin.UPDATE", Need{"settings", "recycle_bin", "UPDATE"}, true},
		{"ZohoCRM.settings.recycle_bin.UPDATE", Need{"settings", "recycle_bin", "DELETE"}, false},
		// users / org
		{"ZohoCRM.users.READ", Need{"users", "", "READ"}, true},
		{"ZohoCRM.users.ALL", Need{"users", "", "READ"}, true},
		{"ZohoCRM.org.READ", Need{"users", "", "READ"}, false},
		{"ZohoCRM.org.ALL", Need{"org", "", "READ"}, true},
		{"ZohoCRM.org.something.READ", Need{"org", "", "READ"}, false},
		// families never cross
		{"ZohoCRM.modules.ALL", Need{"mass_delete", "leads", "DELETE"}, false},
		{"ZohoCRM.modules.leads.ALL", Need{"mass_delete", "leads", "DELETE"}, false},
		{"ZohoCRM.settings.ALL", Need{"modules", "leads", "READ"}, false},
		{"ZohoCRM.mass_delete.DELETE", Need{"mass_delete", "leads", "DELETE"}, true},
		{"ZohoCRM.mass_delete.ALL", Need{"mass_delete", "leads", "READ"}, true},
		{"ZohoCRM.mass_delete.leads.DELETE", Need{"mass_delete", "leads", "DELETE"}, true},
		{"ZohoCRM.mass_delete.leads.DELETE", Need{"mass_delete", "contacts", "DELETE"}, false},
		{"ZohoCRM.mass_delete.leads.DELETE", Need{"mass_delete", "leads", "READ"}, false},
		// other services and garbage grant nothing
		{"ZohoBooks.modules.ALL", Need{"modules", "leads", "READ"}, false},
		{"ZohoCRM.modules", Need{"modules", "", "READ"}, false},
		{"", Need{"modules", "leads", "READ"}, false},
		// lists
		{"ZohoCRM.org.READ,ZohoCRM.modules.leads.READ", Need{"modules", "leads", "READ"}, true},
		{"ZohoCRM.org.READ ZohoCRM.modules.leads.DELETE", Need{"modules", "leads", "READ"}, false},
	}
	for _, c := range cases {
		granted := splitScopes(c.granted)
		if got := Permits(granted, c.need); got != c.want {
			t.Errorf("Permits(%q, %+v) = %v, want %v", c.granted, c.need, got, c.want)
		}
	}
}

func TestHasFamily(t *testing.T) {
	g := []string{"ZohoCRM.modules.leads.READ", "zohocrm.SETTINGS.fields.read", "ZohoBooks.org.ALL", "junk"}
	for fam, want := range map[string]bool{"modules": true, "Modules": true, "settings": true, "org": false, "mass_delete": false, "users": false} {
		if got := HasFamily(g, fam); got != want {
			t.Errorf("HasFamily(%q) = %v, want %v", fam, got, want)
		}
	}
}

func TestHashToken(t *testing.T) {
	if got, want := HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Fatalf("HashToken(abc) = %s, want %s", got, want)
	}
	if HashToken("a") == HashToken("b") {
		t.Fatal("different tokens hash alike")
	}
}
