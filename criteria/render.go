package criteria

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/crmd/crmd"
)

// Render returns the criteria as Zoho shows it in a custom view for the given API version (×10: 20 = v2,
// 21 = v2.1, …, 80 = v8), ready for encoding/json:
//
//   - v2 (20 and below): "field" is the api name string, group_operator "and"/"or";
//   - v2.1 to v7 (21–79): "field" is {"api_name", "id"}, group_operator "and"/"or";
//   - v8 (80 and up): "field" is {"api_name", "id"}, group_operator "AND"/"OR".
//
// The comparator is the normalised lower-case one; the value is echoed as the client gave it, except that
// lookup ids become strings (ids are always strings in Zoho's JSON).
func (n *Node) Render(version int) any {
	if n == nil {
		return nil
	}
	if n.IsGroup() {
		op := n.Op
		if version >= 80 {
			op = strings.ToUpper(op)
		}
		members := make([]any, len(n.Members))
		for i, m := range n.Members {
			members[i] = m.Render(version)
		}
		return map[string]any{"group_operator": op, "group": members}
	}
	var field any = n.Field.APIName
	if version > 20 {
		field = map[string]any{"api_name": n.Field.APIName, "id": n.Field.ID.String()}
	}
	return map[string]any{"field": field, "comparator": n.Comparator, "value": n.renderValue()}
}

func (n *Node) renderValue() any {
	if n.Raw == nil {
		return valueJSON(n.Value)
	}
	if kindOf(n.Field) == kLookup {
		return idsAsStrings(n.Raw)
	}
	return n.Raw
}

// idsAsStrings rewrites numeric ids in a lookup value (bare, {"id":…} or a list of either) as strings.
func idsAsStrings(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = idsAsStrings(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = e
		}
		if id, ok := x["id"]; ok {
			out["id"] = idsAsStrings(id)
		}
		return out
	case json.Number:
		return string(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10)
		}
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	}
	return v
}

// valueJSON renders a normalised value, for nodes built without Raw.
func valueJSON(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = valueJSON(e)
		}
		return out
	case Keyword:
		if x == KeywordCurrentUser {
			return map[string]any{"name": string(x)}
		}
		return string(x)
	case DateKeyword:
		return x.String()
	case Date:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case crmd.ID:
		return map[string]any{"id": x.String()}
	}
	return v
}
