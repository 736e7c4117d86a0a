package api

import (
	"net/http"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/records"
)

// The records handlers resolve the module (which checks the token's scope for the verb), parse what
// only HTTP knows (the body, the query, the path id) and hand everything else to the records service.

// writeBody reads a write request's JSON object; an empty body reads as {} so that the service answers
// its own "data is missing" error.
func (s *Server) writeBody(r *http.Request) (map[string]any, error) {
	body, err := s.decodeObject(r)
	if err != nil {
		return nil, err
	}
	if body == nil {
		body = map[string]any{}
	}
	return body, nil
}

// listRecords serves GET /{module}.
func (s *Server) listRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.module(r.Context(), rc, oauth.OpRead)
	if err != nil {
		return err
	}
	p, err := s.svc.Records.List(r.Context(), rc.caller, m, rc.version, r.URL.Query())
	if err != nil {
		return err
	}
	writeList(w, "data", p.Data, p.Info)
	return nil
}

// getRecord serves GET /{module}/{id}.
func (s *Server) getRecord(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.module(r.Context(), rc, oauth.OpRead)
	if err != nil {
		return err
	}
	rec, err := s.svc.Records.Get(r.Context(), rc.caller, m, rc.param("id"), r.URL.Query())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []map[string]any{rec}})
	return nil
}

// insertRecords serves POST /{module}: 201 when every record was added.
func (s *Server) insertRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.module(r.Context(), rc, oauth.OpCreate)
	if err != nil {
		return err
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	outs, err := s.svc.Records.Insert(r.Context(), rc.caller, m, body)
	if err != nil {
		return err
	}
	writeOutcomes(w, "data", outs, http.StatusCreated)
	return nil
}

// updateRecords serves PUT /{module}, each entry naming its record in "id".
func (s *Server) updateRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.update(w, r, rc, "")
}

// updateRecord serves PUT /{module}/{id}.
func (s *Server) updateRecord(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	return s.update(w, r, rc, rc.param("id"))
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, rc *reqCtx, pathID string) error {
	m, err := s.module(r.Context(), rc, oauth.OpUpdate)
	if err != nil {
		return err
	}
	if pathID != "" {
		// A malformed path id is refused before the body is read, like an unknown one would be.
		if _, ok := crmd.ParseID(pathID); !ok {
			return records.ErrInvalidPathID()
		}
	}
	body, err := s.writeBody(r)
	if err != nil {
		return err
	}
	outs, err := s.svc.Records.Update(r.Context(), rc.caller, m, pathID, body)
	if err != nil {
		return err
	}
	writeOutcomes(w, "data", outs, http.StatusOK)
	return nil
}

// deleteRecords serves DELETE /{module}?ids=…; wf_trigger is accepted and ignored (crmd runs no
// workflows).
func (s *Server) deleteRecords(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.module(r.Context(), rc, oauth.OpDelete)
	if err != nil {
		return err
	}
	ids, perr := records.ParseDeleteIDs(r.URL.Query().Get("ids"))
	if perr != nil {
		return perr
	}
	outs, err := s.svc.Records.Delete(r.Context(), rc.caller, m, ids)
	if err != nil {
		return err
	}
	writeOutcomes(w, "data", outs, http.StatusOK)
	return nil
}

// deleteRecord serves DELETE /{module}/{id}: the same soft delete with one id.
func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.module(r.Context(), rc, oauth.OpDelete)
	if err != nil {
		return err
	}
	id, ok := crmd.ParseID(rc.param("id"))
	if !ok {
		return records.ErrInvalidPathID()
	}
	outs, err := s.svc.Records.Delete(r.Context(), rc.caller, m, []crmd.ID{id})
	if err != nil {
		return err
	}
	writeOutcomes(w, "data", outs, http.StatusOK)
	return nil
}

// listDeleted serves GET /{module}/deleted.
func (s *Server) listDeleted(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	m, err := s.module(r.Context(), rc, oauth.OpRead)
	if err != nil {
		return err
	}
	p, err := s.svc.Records.ListDeleted(r.Context(), rc.caller, m, r.URL.Query())
	if err != nil {
		return err
	}
	writeList(w, "data", p.Data, p.Info)
	return nil
}
