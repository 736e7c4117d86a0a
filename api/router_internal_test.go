package api

import (
	"net/http"
	"testing"
)

func TestRouterSpecificity(t *testing.T) {
	var rt router
	noop := func(w http.ResponseWriter, r *http.Request, rc *reqCtx) error { return nil }
	rt.handle("GET", "/crm/{version}/{module}/{id}", noop, routeOpts{})
	rt.handle("GET", "/crm/{version}/{module}/deleted", noop, routeOpts{})
	rt.handle("GET", "/crm/{version}/settings/modules", noop, routeOpts{})
	for path, want := range map[string]string{
		"/crm/v8/Leads/123":           "/crm/{version}/{module}/{id}",
		"/crm/v8/Leads/deleted":       "/crm/{version}/{module}/deleted",
		"/crm/v8/settings/modules":    "/crm/{version}/settings/modules",
		"/crm/v8/settings/modules/":   "/crm/{version}/settings/modules",
		"/crm/v8/settings/deleted":    "/crm/{version}/{module}/deleted",
		"/crm/v8/settings/modules/x/": "",
	} {
		r, _ := rt.match(path)
		got := ""
		if r != nil {
			got = r.pattern
		}
		if got != want {
			t.Errorf("%s matched %q, want %q", path, got, want)
		}
	}
}
