package api

import (
	_ "embed"
	"net/http"
)

// openapiJSON is the OpenAPI 3.1 description of crmd's own API, /crmd/v1 (docs/crmd-api.md).
//
//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns a copy of the OpenAPI 3.1 document of /crmd/v1: what GET /crmd/v1/openapi.json serves.
func OpenAPI() []byte { return append([]byte(nil), openapiJSON...) }

// openapiDoc serves GET /crmd/v1/openapi.json (public). The document is the contract of /crmd/v1 for
// clients, and the tests hold the server to it: crmdtest validates every /crmd/v1 answer they receive
// against this very file, so a path, status or key it does not describe fails them.
func (s *Server) openapiDoc(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(openapiJSON)
	return nil
}
