package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the whole Zoho surface crmd serves, in one table.
func (s *Server) routes() {
	pub := routeOpts{public: true}
	crm := routeOpts{crm: true}

	// Operations.
	s.rt.handle("GET", "/healthz", s.healthz, pub)
	s.rt.handle("GET", "/readyz", s.readyz, pub)
	s.rt.handle("GET", "/metrics", s.serveMetrics, pub)

	// Accounts server (OAuth).
	s.rt.handle("POST", "/oauth/v2/token", wrap(s.auth.HandleToken), pub)
	s.rt.handle("POST", "/oauth/v2/token/revoke", wrap(s.auth.HandleRevoke), pub)

	// Metadata, users, org.
	s.rt.handle("GET", "/crm/{version}/settings/modules", s.listModules, crm)
	s.rt.handle("GET", "/crm/{version}/settings/modules/{api_name}", s.getModule, crm)
	s.rt.handle("GET", "/crm/{version}/settings/fields", s.listFields, crm)
	s.rt.handle("GET", "/crm/{version}/settings/fields/{id}", s.getField, crm)
	s.rt.handle("GET", "/crm/{version}/settings/profiles", s.listProfiles, crm)
	s.rt.handle("GET", "/crm/{version}/settings/profiles/{id}", s.getProfile, crm)
	s.rt.handle("GET", "/crm/{version}/users", s.listUsers, crm)
	s.rt.handle("GET", "/crm/{version}/users/{id}", s.getUser, crm)
	s.rt.handle("GET", "/crm/{version}/org", s.getOrg, crm)

	// Records.
	s.rt.handle("GET", "/crm/{version}/{module}", s.listRecords, crm)
	s.rt.handle("POST", "/crm/{version}/{module}", s.insertRecords, crm)
	s.rt.handle("PUT", "/crm/{version}/{module}", s.updateRecords, crm)
	s.rt.handle("DELETE", "/crm/{version}/{module}", s.deleteRecords, crm)
	s.rt.handle("GET", "/crm/{version}/{module}/deleted", s.listDeleted, crm)
	s.rt.handle("GET", "/crm/{version}/{module}/{id}", s.getRecord, crm)
	s.rt.handle("PUT", "/crm/{version}/{module}/{id}", s.updateRecord, crm)
	s.rt.handle("DELETE", "/crm/{version}/{module}/{id}", s.deleteRecord, crm)

	s.viewRoutes(crm)
	s.territoryRoutes(crm)
	s.massDeleteRoutes(crm)
	s.recycleBinRoutes(crm)
}

// wrap adapts a plain http.HandlerFunc to the router.
func wrap(h http.HandlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
		h(w, r)
		return nil
	}
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	s.promHandler.ServeHTTP(w, r)
	return nil
}

func newPromHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
