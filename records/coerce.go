package records

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmd/crmd"
)

// emailRe is deliberately loose: one @, something before it, a dot somewhere after it, no spaces.
// Zoho's own check is not published; this catches the typos a client can make without rejecting
// unusual but valid addresses.
var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// invalidValue is the per-field INVALID_DATA error for a value of the wrong type or format; the caller
// adds json_path.
func invalidValue(f *crmd.Field) *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": f.APIName, "expected_data_type": f.DataType})
}

// tooLong is the per-field INVALID_DATA error for a value over the field's length.
func tooLong(f *crmd.Field) *crmd.Error {
	return crmd.E("INVALID_DATA", crmd.MsgInvalidData, crmd.D{"api_name": f.APIName, "maximum_length": f.Length})
}

// Coerce validates a client's value for field f and returns what is stored in the record's data
// document, or an INVALID_DATA *crmd.Error whose details name the field (api_name, and
// expected_data_type or maximum_length; the caller adds json_path). nil (JSON null) stays nil: it
// clears the field. Empty strings of text-like and picklist fields also become nil, because Zoho
// reads an empty value as no value.
//
// Lookup, owner lookup and user lookup values ({"id":"…"}, an id string or a JSON integer) come back
// as a crmd.ID: whether the id exists is for the caller to check against the database. Datetimes are
// stored normalised to UTC ("2006-01-02T15:04:05Z") so that their text order is their time order —
// view criteria compare them as text in SQL — and are shown in the org's time zone on the way out.
func Coerce(f *crmd.Field, v any) (any, *crmd.Error) {
	if v == nil {
		return nil, nil
	}
	switch f.DataType {
	case crmd.TypeText, crmd.TypeTextarea, crmd.TypeEmail, crmd.TypePhone, crmd.TypeWebsite, crmd.TypeAutonumber:
		s, ok := v.(string)
		if !ok {
			return nil, invalidValue(f)
		}
		if s == "" {
			return nil, nil
		}
		if f.Length > 0 && utf8.RuneCountInString(s) > f.Length {
			return nil, tooLong(f)
		}
		if f.DataType == crmd.TypeEmail && !emailRe.MatchString(s) {
			return nil, invalidValue(f)
		}
		return s, nil
	case crmd.TypePicklist:
		// The API takes any string for a picklist (Zoho adds unknown values as "unused" values), so
		// only the type is checked.
		s, ok := v.(string)
		if !ok {
			return nil, invalidValue(f)
		}
		if s == "" {
			return nil, nil
		}
		return s, nil
	case crmd.TypeMultiSelect:
		arr, ok := v.([]any)
		if !ok {
			return nil, invalidValue(f)
		}
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			s, ok := e.(string)
			if !ok {
				return nil, invalidValue(f)
			}
			out = append(out, s)
		}
		return out, nil
	case crmd.TypeInteger, crmd.TypeBigint:
		n, ok := integerOf(v)
		if !ok {
			return nil, invalidValue(f)
		}
		if f.DataType == crmd.TypeInteger && (n < math.MinInt32 || n > math.MaxInt32) {
			return nil, invalidValue(f)
		}
		if f.Length > 0 && digits(n) > f.Length {
			return nil, tooLong(f)
		}
		if f.DataType == crmd.TypeBigint {
			// Stored and answered as a decimal string: a JSON number above 2^53 would be corrupted by
			// JavaScript clients, which is also why Zoho sends long integers as strings.
			return strconv.FormatInt(n, 10), nil
		}
		return n, nil
	case crmd.TypeDouble, crmd.TypeCurrency, crmd.TypePercent:
		x, ok := floatOf(v)
		if !ok {
			return nil, invalidValue(f)
		}
		if f.Length > 0 && digits(int64(math.Abs(math.Trunc(x)))) > f.Length {
			return nil, tooLong(f)
		}
		if f.DecimalPlace > 0 {
			p := math.Pow10(f.DecimalPlace)
			x = math.Round(x*p) / p
		}
		return x, nil
	case crmd.TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, invalidValue(f)
		}
		return b, nil
	case crmd.TypeDate:
		s, ok := v.(string)
		if !ok {
			return nil, invalidValue(f)
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return nil, invalidValue(f)
		}
		return s, nil
	case crmd.TypeDatetime:
		s, ok := v.(string)
		if !ok {
			return nil, invalidValue(f)
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, invalidValue(f)
		}
		return t.UTC().Format(time.RFC3339), nil
	case crmd.TypeLookup, crmd.TypeOwnerLookup, crmd.TypeUserLookup:
		id, ok := RefID(v)
		if !ok {
			return nil, invalidValue(f)
		}
		return id, nil
	default:
		// A type crmd does not know yet: keep the JSON value as it came.
		return v, nil
	}
}

// RefID reads the id of a reference value: {"id": …}, an id string or a JSON integer.
func RefID(v any) (crmd.ID, bool) {
	if m, ok := v.(map[string]any); ok {
		v = m["id"]
	}
	switch x := v.(type) {
	case string:
		return crmd.ParseID(x)
	case json.Number:
		return crmd.ParseID(string(x))
	case float64:
		// Only from callers that decode without UseNumber; exact below 2^53.
		if x == math.Trunc(x) && x > 0 && x < 1<<53 {
			return crmd.ID(int64(x)), true
		}
	case int64:
		return crmd.ParseID(strconv.FormatInt(x, 10))
	case int:
		return crmd.ParseID(strconv.Itoa(x))
	}
	return 0, false
}

// integerOf reads a JSON integer (no fraction, no exponent) or a string of digits with an optional
// leading minus sign.
func integerOf(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		return int64(x), true
	case int:
		return int64(x), true
	case int64:
		return x, true
	default:
		return 0, false
	}
	t := strings.TrimPrefix(s, "-")
	if t == "" {
		return 0, false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// floatOf reads a finite JSON number. Strings are refused: Zoho's number fields take numbers.
func floatOf(v any) (float64, bool) {
	var x float64
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return 0, false
		}
		x = f
	case float64:
		x = n
	case int:
		x = float64(n)
	case int64:
		x = float64(n)
	default:
		return 0, false
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}

// digits counts the decimal digits of n's magnitude.
func digits(n int64) int {
	if n < 0 {
		if n == math.MinInt64 {
			return 19
		}
		n = -n
	}
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
