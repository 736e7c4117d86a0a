package seed

import (
	"encoding/json"
	"testing"
)

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "tab\tnew\nline\x01", "Zürich ✓", "\u2028"} {
		var back string
		if err := json.Unmarshal(appendJSONString(nil, s), &back); err != nil || back != s {
			t.Errorf("%q: round trip %q, %v", s, back, err)
		}
	}
	if got := truncate("héllo wörld", 7); got != "héllo w" {
		t.Errorf("truncate = %q", got)
	}
}
