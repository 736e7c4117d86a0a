// Package criteria is Zoho CRM's criteria language (custom view filters, docs/views.md#criteria): parsing and
// validating it against a module's fields, rendering it back per API version, compiling it to an SQL
// predicate over the records table (SQLite and PostgreSQL), and evaluating it in memory. Compile and Eval
// have one semantics, written down here; a property test runs random criteria over random records through
// both and requires identical results.
//
// # Grammar
//
// A leaf is {"field": <ref>, "comparator": <op>, "value": <v>} (v8's "type" may be "value" or
// "pre_defined"; other keys are ignored). A group is {"group_operator": "and"|"or" (any case),
// "group": [2..25 members]}, nested at most 10 deep; an object with a "group" or "group_operator" key is a
// group. <ref> is an api name (v2) or {"api_name", "id"} (v2.1+), accepted in every version; api_name wins
// when both are given, an id alone is looked up. A tree holds at most MaxLeaves leaves and MaxTotalValues
// values.
//
// Comparators per data type (anything else is INVALID_DATA with supported_values):
//
//	text, textarea, email, phone, website, autonumber:
//	    equal not_equal in not_in contains not_contains starts_with ends_with like not_like
//	picklist, multiselectpicklist, lookup, ownerlookup, userlookup:
//	    equal not_equal in not_in
//	integer, bigint, double, currency, percent:
//	    equal not_equal in not_in less_than less_equal greater_than greater_equal between not_between
//	date, datetime:
//	    equal not_equal less_than less_equal greater_than greater_equal between not_between
//	boolean:
//	    equal not_equal
//
// Values: in/not_in take an array of 1–500 scalars; equal/not_equal take a scalar or such an array (then
// meaning in/not_in) for the types that have in; between/not_between take exactly [low, high]; the rest a
// scalar. Text values are non-empty strings of at most 2,000 characters without NUL; numbers are JSON
// numbers or strings in JSON number syntax (whole numbers only for integer and bigint); booleans true or
// false; dates "2006-01-02" or a date keyword; datetimes RFC 3339 (truncated to the second), "2006-01-02"
// (that whole day in the org's time zone) or a date keyword; lookups {"id":"…"}, an id string or number,
// and for owner and user lookups "${CURRENTUSER}" or {"name":"${CURRENTUSER}"}. "${EMPTY}" and
// "${NOTEMPTY}" go with equal and not_equal on any field; equal "" on a string-valued field means
// "${EMPTY}". Keywords are matched case-insensitively. ${AGEINDAYS}, ${DUEINDAYS} and ${CURRENTUSERROLE}
// are not supported.
//
// Errors (all *crmd.Error, json_path rooted at "$.criteria" or ParseAt's root):
//
//	missing or null field / comparator / value / group_operator / group
//	    MANDATORY_NOT_FOUND {"api_name": "field"|"comparator"|"value"|"group_operator"|"group", "json_path"}
//	unknown field, or one of a type criteria do not support
//	    INVALID_DATA {"api_name": <name>, "json_path": "….field"} ({"id", "json_path"} for an unknown id)
//	comparator unknown or not for the type
//	    INVALID_DATA {"api_name": "comparator", "json_path", "supported_values": [...]}
//	group_operator other than and/or
//	    INVALID_DATA {"api_name": "group_operator", "json_path", "supported_values": ["AND", "OR"]}
//	value of the wrong type or format
//	    INVALID_DATA {"api_name": <field>, "json_path": "….value[i]", "expected_data_type": <field type>
//	    or "jsonarray" where an array is needed}
//	string value too long
//	    INVALID_DATA {"api_name": <field>, "json_path", "maximum_length": 2000}
//	group of fewer than 2
//	    INVALID_DATA {"api_name": "group", "json_path", "minimum_length": 2}
//	group of more than 25, nesting deeper than 10, a list of more than 500, too many leaves or values
//	    LIMIT_EXCEEDED "limit exceeded" {"limit", "api_name", "json_path"}
//
// Node.Value holds: string (text, picklist, multi-select), int64 or float64 (numbers; whole numbers are
// int64), bool, Date, time.Time (a datetime second, UTC), DateKeyword, crmd.ID, Keyword (${EMPTY},
// ${NOTEMPTY}, ${CURRENTUSER}), or []any of those for lists and between.
//
// # Storage the SQL is compiled against
//
// System fields have columns: Owner, Created_By, Modified_By are owner_id, created_by, modified_by
// (integers; 0 counts as empty) and Created_Time, Modified_Time are created_time, modified_time (Unix
// ms). Every other field is read from records.data, a JSON object (text in SQLite, jsonb in PostgreSQL) as
// the records service writes it: text-like and picklist values JSON strings; numbers JSON numbers, whole
// numbers possibly as strings of up to 18 digits (bigint); booleans true/false; dates "2006-01-02";
// datetimes normalised to UTC "2006-01-02T15:04:05Z", so that byte order is time order (an ASSUMPTION the
// records service must honour: a datetime stored with an offset is treated as empty); lookups
// {"id":"<digits>","name":…}; multi-select picklists arrays of strings. A value that is missing, JSON null,
// "" or not of its field's stored shape (wrong JSON type, malformed date) is empty. Stored strings must not
// contain NUL.
//
// # Semantics
//
//   - Text comparisons (equal, in, contains, starts_with, ends_with, like, and picklists and multi-select
//     elements too) ignore case in ASCII only: A–Z equal a–z, nothing else is folded (SQLite's lower() and
//     LIKE fold only ASCII; PostgreSQL uses translate() to match, and Eval an ASCII-only lower).
//   - like/not_like: SQL LIKE, % any run of characters, _ exactly one character, no escape character.
//     contains/starts_with/ends_with take the value literally (%, _ and quotes are plain characters).
//   - Multi-select: equal/in match a record that has any of the given options; not_equal/not_in one that
//     has none of them; empty means no non-empty string element.
//   - Numbers compare by value, integers exactly against decimals. With decimal values of at most 15
//     significant digits SQLite, PostgreSQL (numeric) and Eval agree exactly.
//   - Lookups compare ids.
//   - Every comparator except ${EMPTY}/${NOTEMPTY} fails on an empty value, and every negated comparator
//     (not_equal, not_in, not_contains, not_between, not_like) is the exact negation of its positive form,
//     so it matches empty values: Zoho's "isn't" includes records with no value.
//   - between is inclusive at both ends; [low, high] with low > high matches nothing.
//   - Dates and datetimes are ranges: a date is its day, a datetime value its second, a date given for a
//     datetime field that day in Env.Loc, and a keyword its half-open range of days (for datetime fields,
//     from midnight to midnight in Env.Loc). With [lo, hi) the range of the value: equal is lo <= x < hi,
//     not_equal its negation, less_than x < lo, less_equal x < hi, greater_than x >= hi, greater_equal
//     x >= lo, between [A, B] is A.lo <= x < B.hi.
//   - Date keywords, relative to the day Env.Now falls on in Env.Loc (weeks start on Sunday, quarters are
//     calendar quarters): ${TODAY}, ${YESTERDAY}, ${TOMORROW}; ${THISWEEK}, ${LASTWEEK}, ${NEXTWEEK};
//     ${THISMONTH}, ${LASTMONTH}, ${NEXTMONTH}; ${THISQUARTER}, ${LASTQUARTER}, ${NEXTQUARTER};
//     ${THISYEAR}, ${LASTYEAR}, ${NEXTYEAR}. ${LAST_N_DAYS:n} is the n days before today (today excluded),
//     ${NEXT_N_DAYS:n} the n days after today (today excluded); likewise _WEEKS, _MONTHS and _YEARS in
//     whole weeks, months and years before or after the current one. n is 1..1000. So
//     greater_equal ${LAST_N_DAYS:7} is "in the last 7 days or later, today included".
//   - ${CURRENTUSER} is Env.UserID.
//
// # Beyond Zoho's criteria: lookups' records, the id, order
//
// Package coql builds trees Parse never does, and Compile and Eval serve them with the same one semantics:
//
//   - A leaf with comparator RelatedTo tests the record a lookup (a data field, not a system column)
//     points to against Node.Sub, a tree over the target module's fields without RelatedTo leaves: it holds
//     when the lookup has a value, that value is the id of a live (not deleted) record of SubModule in
//     SubOrg, and that record satisfies Sub. It is never NULL and never matches an empty lookup, so its
//     negation does; COQL never negates one. Compile writes "v IN (SELECT CAST(lk.id AS TEXT) FROM records
//     lk WHERE lk.org_id = ? AND lk.module_id = ? AND lk.deleted_time IS NULL AND <Sub over lk>)"; Eval
//     needs the target rows, which EvalRelated takes as a Related function (Eval panics on such a leaf).
//   - IDField is the record id as a bigint field read from the id column (Row.ID): a number, never empty.
//   - OrderExpr is the ORDER BY expression of an Orderable field (every kind but multi-select and data
//     lookups) and CompareOrder the matching comparison: empty values first, texts, dates and datetimes
//     byte by byte (COLLATE "C" on PostgreSQL), numbers by value, false before true, column lookups and
//     the id as numbers. The caller adds NULLS FIRST ascending / NULLS LAST descending on PostgreSQL.
//
// Compile binds every value ("?" placeholders, no "?" anywhere else in the text); the only names in the SQL
// text are the records columns and field api names from module metadata, re-checked to be identifiers.
package criteria
