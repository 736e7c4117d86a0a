package records

import (
	"fmt"
	"strings"

	"github.com/crmd/crmd"
)

// The values crmd derives from a record's fields when it writes the record.

// displayName is the value of the module's display field as text: a string as is, a lookup's name,
// anything else printed; "" when unset.
func displayName(m *crmd.Module, data map[string]any) string {
	v, ok := data[m.DisplayField]
	if !ok || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if n, ok := x["name"].(string); ok {
			return n
		}
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// computeFullName sets the read-only Full_Name of modules that have one (Leads, Contacts) to
// "First_Name Last_Name", skipping an empty part.
func computeFullName(m *crmd.Module, data map[string]any) {
	f := m.Field("Full_Name")
	if f == nil || !f.ReadOnly || m.Field("Last_Name") == nil {
		return
	}
	var parts []string
	for _, k := range []string{"First_Name", "Last_Name"} {
		if s, ok := data[k].(string); ok && strings.TrimSpace(s) != "" {
			parts = append(parts, strings.TrimSpace(s))
		}
	}
	if len(parts) == 0 {
		delete(data, "Full_Name")
		return
	}
	data["Full_Name"] = strings.Join(parts, " ")
}
