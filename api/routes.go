package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the whole HTTP surface crmd serves — Zoho's API and crmd's own — in one table.
func (s *Server) routes() {
	pub := routeOpts{public: true}
	crm := routeOpts{crm: true}
	v6 := routeOpts{crm: true, minVer: 60}

	// Operations.
	s.rt.handle("GET", "/healthz", s.healthz, pub)
	s.rt.handle("GET", "/readyz", s.readyz, pub)
	s.rt.handle("GET", "/metrics", s.serveMetrics, pub)

	// Accounts server (OAuth).
	s.rt.handle("POST", "/oauth/v2/token", s.oauthToken, pub)
	s.rt.handle("POST", "/oauth/v2/token/revoke", s.oauthRevoke, pub)

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

	// Query API (COQL): "coql" is a literal segment, which the router prefers to {module}.
	s.rt.handle("POST", "/crm/{version}/coql", s.coql, crm)

	// Notifications API: channels (docs/notifications.md). "actions" is a literal segment, which the
	// router prefers to {module}.
	s.rt.handle("POST", "/crm/{version}/actions/watch", s.enableWatch, crm)
	s.rt.handle("GET", "/crm/{version}/actions/watch", s.getWatch, crm)
	s.rt.handle("PUT", "/crm/{version}/actions/watch", s.replaceWatch, crm)
	s.rt.handle("PATCH", "/crm/{version}/actions/watch", s.patchWatch, crm)
	s.rt.handle("DELETE", "/crm/{version}/actions/watch", s.deleteWatch, crm)

	// Records.
	s.rt.handle("GET", "/crm/{version}/{module}", s.listRecords, crm)
	s.rt.handle("POST", "/crm/{version}/{module}", s.insertRecords, crm)
	s.rt.handle("PUT", "/crm/{version}/{module}", s.updateRecords, crm)
	s.rt.handle("DELETE", "/crm/{version}/{module}", s.deleteRecords, crm)
	s.rt.handle("GET", "/crm/{version}/{module}/deleted", s.listDeleted, crm)
	s.rt.handle("GET", "/crm/{version}/{module}/search", s.searchRecords, crm)
	s.rt.handle("POST", "/crm/{version}/{module}/upsert", s.upsertRecords, crm)
	s.rt.handle("GET", "/crm/{version}/{module}/actions/count", s.countRecords, crm)
	s.rt.handle("GET", "/crm/{version}/{module}/{id}", s.getRecord, crm)
	s.rt.handle("PUT", "/crm/{version}/{module}/{id}", s.updateRecord, crm)
	s.rt.handle("DELETE", "/crm/{version}/{module}/{id}", s.deleteRecord, crm)

	// Custom views: reads follow each version's shape; writes are served under every version (D32).
	s.rt.handle("GET", "/crm/{version}/settings/custom_views", s.listViews, crm)
	s.rt.handle("POST", "/crm/{version}/settings/custom_views", s.createViews, crm)
	s.rt.handle("PUT", "/crm/{version}/settings/custom_views", s.updateViews, crm)
	s.rt.handle("GET", "/crm/{version}/settings/custom_views/{id}", s.getView, crm)
	s.rt.handle("PUT", "/crm/{version}/settings/custom_views/{id}", s.updateView, crm)
	s.rt.handle("DELETE", "/crm/{version}/settings/custom_views/{id}", s.deleteView, crm)

	// Territories (settings) and the territories of records.
	s.rt.handle("GET", "/crm/{version}/settings/territories", s.listTerritories, crm)
	s.rt.handle("POST", "/crm/{version}/settings/territories", s.createTerritories, crm)
	s.rt.handle("PUT", "/crm/{version}/settings/territories", s.updateTerritories, crm)
	s.rt.handle("DELETE", "/crm/{version}/settings/territories", s.deleteTerritories, crm)
	s.rt.handle("GET", "/crm/{version}/settings/territories/{id}", s.getTerritory, crm)
	s.rt.handle("PUT", "/crm/{version}/settings/territories/{id}", s.updateTerritory, crm)
	s.rt.handle("DELETE", "/crm/{version}/settings/territories/{id}", s.deleteTerritory, crm)
	s.rt.handle("GET", "/crm/{version}/settings/territories/{id}/__child_territories", s.childTerritories, crm)
	s.rt.handle("POST", "/crm/{version}/settings/territories/actions/transfer_and_delete", s.transferTerritories, crm)
	s.rt.handle("POST", "/crm/{version}/settings/territories/{id}/actions/transfer_and_delete", s.transferTerritory, crm)

	s.rt.handle("POST", "/crm/{version}/{module}/actions/assign_territories", s.assignTerritories, crm)
	s.rt.handle("POST", "/crm/{version}/{module}/{id}/actions/assign_territories", s.assignTerritories, crm)
	s.rt.handle("POST", "/crm/{version}/{module}/actions/remove_territories", s.removeTerritories, crm)
	s.rt.handle("POST", "/crm/{version}/{module}/{id}/actions/remove_territories", s.removeTerritories, crm)

	// Mass Delete Records and its status.
	s.rt.handle("POST", "/crm/{version}/{module}/actions/mass_delete", s.massDelete, crm)
	s.rt.handle("GET", "/crm/{version}/{module}/actions/mass_delete", s.massDeleteStatus, crm)

	// Recycle bin, from v6 on; older versions answer API_NOT_SUPPORTED.
	s.rt.handle("GET", "/crm/{version}/settings/recycle_bin", s.listRecycleBin, v6)
	s.rt.handle("DELETE", "/crm/{version}/settings/recycle_bin", s.deleteRecycleBin, v6)
	s.rt.handle("GET", "/crm/{version}/settings/recycle_bin/{id}", s.getRecycleBin, v6)
	s.rt.handle("DELETE", "/crm/{version}/settings/recycle_bin/{id}", s.deleteRecycleBinOne, v6)
	s.rt.handle("GET", "/crm/{version}/settings/recycle_bin/actions/count", s.countRecycleBin, v6)
	s.rt.handle("POST", "/crm/{version}/settings/recycle_bin/actions/restore", s.restoreRecycleBin, v6)
	s.rt.handle("POST", "/crm/{version}/settings/recycle_bin/{id}/actions/restore", s.restoreRecycleBinOne, v6)
	s.rt.handle("POST", "/crm/{version}/settings/recycle_bin/actions/empty", s.emptyRecycleBin, v6)

	// crmd's own API (docs/crmd-api.md): preview, job history, cancel, undo, events, audit trail.
	own := routeOpts{own: true}
	stream := routeOpts{own: true, stream: true}
	s.rt.handle("GET", "/crmd/v1/openapi.json", s.openapiDoc, pub)
	s.rt.handle("POST", "/crmd/v1/{module}/actions/mass_delete/preview", s.previewMassDelete, own)
	s.rt.handle("GET", "/crmd/v1/jobs", s.listJobs, own)
	s.rt.handle("GET", "/crmd/v1/jobs/{id}", s.getJob, own)
	s.rt.handle("POST", "/crmd/v1/jobs/{id}/actions/cancel", s.cancelJob, own)
	s.rt.handle("POST", "/crmd/v1/jobs/{id}/actions/undo", s.undoJob, own)
	s.rt.handle("GET", "/crmd/v1/jobs/{id}/events", s.jobEvents, stream)
	s.rt.handle("GET", "/crmd/v1/audit", s.listAudit, stream)
	s.rt.handle("GET", "/crmd/v1/notifications/deliveries", s.listDeliveries, own)
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	s.promHandler.ServeHTTP(w, r)
	return nil
}

func newPromHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
