package recyclebin_test

import "encoding/json"

// jsonMarshal encodes like the API layer, ids as strings.
func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
