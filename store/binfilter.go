package store

import (
	"strings"

	"github.com/crmd/crmd"
)

// BinFilter is a condition on the recycle bin's own fields, a tree of and/or groups over leaves: the
// typed form of the Recycle Bin API's `filters` (docs/recycle-bin.md#filters), which package api reads
// into it (package recyclebin names it Filter). The store compiles it into SQL, every value bound.
type BinFilter struct {
	// Group is BinAnd or BinOr for a group of Members; "" for a leaf.
	Group   string
	Members []*BinFilter

	// Not negates the leaf.
	Not bool
	// Field is the leaf's field: BinDisplayName, BinModule, BinDeletedBy or BinDeletedTime.
	Field string
	// Match says how a display name compares: BinEqual (one of Values), BinContains, BinStartsWith or
	// BinEndsWith (Values[0]). ASCII case is ignored, as in every crmd comparison of text.
	Match string
	// Values are the display names a leaf on BinDisplayName compares with.
	Values []string
	// IDs are the modules (BinModule) or users (BinDeletedBy) a leaf keeps.
	IDs []crmd.ID
	// From and To bound a leaf on BinDeletedTime: *From ≤ deleted_time < *To, in Unix ms; nil is
	// unbounded.
	From, To *int64
}

// Group operators and leaf fields of a BinFilter.
const (
	BinAnd = "and"
	BinOr  = "or"

	BinDisplayName = "display_name"
	BinModule      = "module"
	BinDeletedBy   = "deleted_by"
	BinDeletedTime = "deleted_time"

	BinEqual      = "equal"
	BinContains   = "contains"
	BinStartsWith = "starts_with"
	BinEndsWith   = "ends_with"
)

// compileBinFilter compiles f into one condition over the records table.
func compileBinFilter(f *BinFilter) predicate {
	var b strings.Builder
	var args []any
	writeBinFilter(&b, &args, f)
	return predicate{sql: b.String(), args: args}
}

func writeBinFilter(b *strings.Builder, args *[]any, f *BinFilter) {
	if f.Group != "" {
		op := " AND "
		if f.Group == BinOr {
			op = " OR "
		}
		b.WriteString("(")
		for i, m := range f.Members {
			if i > 0 {
				b.WriteString(op)
			}
			writeBinFilter(b, args, m)
		}
		b.WriteString(")")
		return
	}
	if f.Not {
		b.WriteString("NOT ")
	}
	b.WriteString("(")
	switch f.Field {
	case BinDisplayName:
		if f.Match == BinEqual || f.Match == "" {
			b.WriteString("lower(display_name) IN (" + recPlaceholders(len(f.Values)) + ")")
			for _, v := range f.Values {
				*args = append(*args, asciiLower(v))
			}
			break
		}
		pattern := likeEscape(asciiLower(f.Values[0]))
		switch f.Match {
		case BinContains:
			pattern = "%" + pattern + "%"
		case BinStartsWith:
			pattern += "%"
		case BinEndsWith:
			pattern = "%" + pattern
		}
		b.WriteString("lower(display_name) LIKE ? ESCAPE '!'")
		*args = append(*args, pattern)
	case BinModule, BinDeletedBy:
		col := "module_id"
		if f.Field == BinDeletedBy {
			col = "deleted_by"
		}
		b.WriteString(col + " IN (" + recPlaceholders(len(f.IDs)) + ")")
		*args = append(*args, recIDArgs(f.IDs)...)
	case BinDeletedTime:
		var conds []string
		if f.From != nil {
			conds = append(conds, "deleted_time >= ?")
			*args = append(*args, *f.From)
		}
		if f.To != nil {
			conds = append(conds, "deleted_time < ?")
			*args = append(*args, *f.To)
		}
		if len(conds) == 0 {
			conds = []string{"1 = 1"}
		}
		b.WriteString(strings.Join(conds, " AND "))
	default:
		// A leaf the reader did not finish: it selects nothing rather than everything.
		b.WriteString("1 = 0")
	}
	b.WriteString(")")
}

// asciiLower lower-cases A–Z only, as SQLite's lower() does, so that the bound value and the column's
// lower() agree on both databases.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// likeEscape escapes LIKE's wildcards and the escape character itself, so that contains, starts_with
// and ends_with take their value literally.
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}
