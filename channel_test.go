package crmd_test

import (
	"testing"

	"github.com/crmd/crmd"
)

// TestFieldSelectionMatches: a notification_condition's field_selection as Zoho's example nests it —
// Stage, or both Account_Name and Lead_Source.
func TestFieldSelectionMatches(t *testing.T) {
	sel := &crmd.FieldSelection{Operator: "or", Group: []crmd.FieldSelection{
		{Field: "Stage"},
		{Operator: "and", Group: []crmd.FieldSelection{{Field: "Account_Name"}, {Field: "Lead_Source"}}},
	}}
	for _, c := range []struct {
		changed []string
		want    bool
	}{
		{[]string{"Stage"}, true},
		{[]string{"Amount", "Stage"}, true},
		{[]string{"Account_Name"}, false},
		{[]string{"Lead_Source", "Account_Name"}, true},
		{[]string{"Amount"}, false},
		{nil, false},
	} {
		if got := sel.Matches(c.changed); got != c.want {
			t.Errorf("Matches(%v) = %v, want %v", c.changed, got, c.want)
		}
	}
	if (&crmd.FieldSelection{Operator: "and"}).Matches([]string{"X"}) {
		t.Error("an empty and-group matched")
	}
}
