// Package oauth is crmd's stand-in for Zoho Accounts: it mints, stores (as hashes only) and checks
// OAuth tokens, serves the token and revoke endpoints the way Zoho's Accounts server answers them, and
// decides whether a token's scopes cover what a request needs.
package oauth

import (
	"errors"
	"fmt"
	"strings"
)

// Need is what one API call requires of a token's scopes: a scope family ("modules", "settings",
// "users", "org", "mass_delete", …), an optional resource within it (a module token such as "leads", or
// a settings resource such as "fields"; empty for family-wide APIs like users and org) and an operation
// (READ, CREATE, UPDATE or DELETE). Examples: {"modules","leads","READ"}, {"settings","fields","READ"},
// {"users","","READ"}, {"org","","READ"}, {"mass_delete","leads","DELETE"}.
type Need struct{ Family, Resource, Op string }

// ErrInvalidScope is wrapped by every error ParseScopes returns.
var ErrInvalidScope = errors.New("invalid scope")

// Service is the only scope service whose scopes grant anything in crmd.
const Service = "ZohoCRM"

// Scope operations.
const (
	OpAll    = "ALL"
	OpRead   = "READ"
	OpCreate = "CREATE"
	OpUpdate = "UPDATE"
	OpDelete = "DELETE"
	OpWrite  = "WRITE"
)

var validOps = map[string]bool{OpAll: true, OpRead: true, OpCreate: true, OpUpdate: true, OpDelete: true, OpWrite: true}

// scope is one parsed scope string.
type scope struct {
	service, family, resource, op string // op upper-case; the rest as given
}

// parseScope checks one scope against <service>.<family>[.<resource…>].<op>.
func parseScope(s string) (scope, bool) {
	parts := strings.Split(s, ".")
	if len(parts) < 3 {
		return scope{}, false
	}
	for _, p := range parts {
		if !validPart(p) {
			return scope{}, false
		}
	}
	op := strings.ToUpper(parts[len(parts)-1])
	if !validOps[op] {
		return scope{}, false
	}
	return scope{
		service:  parts[0],
		family:   parts[1],
		resource: strings.Join(parts[2:len(parts)-1], "."),
		op:       op,
	}, true
}

func validPart(p string) bool {
	if p == "" {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// splitScopes splits a scope list on commas and/or whitespace, dropping empty entries.
func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v'
	})
}

// ParseScopes splits a scope list on commas and/or whitespace and checks every entry against Zoho's
// grammar <service>.<family>[.<resource…>].<op>, where op is one of ALL, READ, CREATE, UPDATE, DELETE,
// WRITE in any case. It returns the scopes as given, without duplicates (compared case-insensitively,
// first occurrence kept). An empty list or a malformed entry is an error wrapping ErrInvalidScope.
func ParseScopes(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, sc := range splitScopes(s) {
		if _, ok := parseScope(sc); !ok {
			return nil, fmt.Errorf("%w: %q", ErrInvalidScope, sc)
		}
		k := strings.ToLower(sc)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, sc)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no scope given", ErrInvalidScope)
	}
	return out, nil
}

// normResource folds a resource token for comparison: lower case, underscores removed, so "Leads",
// "leads" match, and "price_books" matches "pricebooks".
func normResource(r string) string {
	return strings.ReplaceAll(strings.ToLower(r), "_", "")
}

// opCovers reports whether a granted operation covers the needed one.
func opCovers(granted, need string) bool {
	need = strings.ToUpper(need)
	switch granted {
	case OpAll:
		return true
	case OpWrite:
		return need == OpCreate || need == OpUpdate || need == OpDelete || need == OpWrite
	default:
		return granted == need
	}
}

// resourceCovers reports whether a granted resource (empty = the whole family) covers the needed one.
func resourceCovers(granted, need string) bool {
	if granted == "" {
		return true
	}
	g, n := normResource(granted), normResource(need)
	if g == n {
		return true
	}
	// The v8 docs name the Events module's scope token "meetings".
	return n == "events" && g == "meetings"
}

// Permits reports whether any of the granted scopes covers need (D20). Matching is case-insensitive;
// only ZohoCRM scopes count; the family must be equal (so ZohoCRM.modules.ALL does not grant mass
// delete, whose family is mass_delete); a granted scope without a resource covers the whole family,
// otherwise its resource must equal need.Resource once both are lower-cased with underscores removed
// (a granted "meetings" also covers need.Resource "events"); ALL covers every operation and WRITE covers
// CREATE, UPDATE and DELETE. Malformed granted entries are ignored.
func Permits(granted []string, need Need) bool {
	for _, g := range granted {
		sc, ok := parseScope(strings.TrimSpace(g))
		if !ok || !strings.EqualFold(sc.service, Service) || !strings.EqualFold(sc.family, need.Family) {
			continue
		}
		if resourceCovers(sc.resource, need.Resource) && opCovers(sc.op, need.Op) {
			return true
		}
	}
	return false
}

// HasFamily reports whether any granted ZohoCRM scope belongs to the family (case-insensitive), whatever
// its resource and operation. Handlers use it to tell a token that lacks a scope family altogether from
// one that lacks only the operation or resource.
func HasFamily(granted []string, family string) bool {
	for _, g := range granted {
		sc, ok := parseScope(strings.TrimSpace(g))
		if ok && strings.EqualFold(sc.service, Service) && strings.EqualFold(sc.family, family) {
			return true
		}
	}
	return false
}
