package api

// GET /settings/profiles and /settings/profiles/{id} (docs/metadata.md#profiles).

import (
	"net/http"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
)

// metaProfileJSON is one profile. crmd's two profiles are Zoho's built-in ones, which Zoho shows with
// null creation data and default/custom false.
type metaProfileJSON struct {
	ID                 crmd.ID           `json:"id"`
	Name               string            `json:"name"`
	DisplayLabel       string            `json:"display_label"`
	Description        string            `json:"description"`
	Default            bool              `json:"default"`
	Category           bool              `json:"category"`
	Custom             bool              `json:"custom"`
	CreatedTime        *string           `json:"created_time"`
	ModifiedTime       *string           `json:"modified_time"`
	CreatedBy          *metaRef          `json:"created_by"`
	ModifiedBy         *metaRef          `json:"modified_by"`
	Type               string            `json:"type,omitempty"` // v3+
	PermissionsDetails *[]metaPermission `json:"permissions_details,omitempty"`
}

// metaPermission is one entry of a single profile's permissions_details.
type metaPermission struct {
	DisplayLabel string  `json:"display_label"`
	Module       string  `json:"module"`
	Name         string  `json:"name"`
	ID           crmd.ID `json:"id"`
	Enabled      bool    `json:"enabled"`
}

// metaProfileDescriptions are Zoho's descriptions of its built-in profiles.
var metaProfileDescriptions = map[string]string{
	crmd.ProfileAdministrator: "This profile will have all the permissions. Users with Administrator profile will be able to view and manage all the data within the organization account by default.",
	crmd.ProfileStandard:      "This profile will have all the permissions except administrative privileges.",
}

// metaVerbLabels are the UI labels of the permission verbs.
var metaVerbLabels = map[string]string{
	crmd.PermView: "View", crmd.PermCreate: "Create", crmd.PermEdit: "Edit",
	crmd.PermDelete: "Delete", crmd.PermMassDelete: "Mass Delete",
}

func metaProfileOf(p crmd.Profile, rc *reqCtx) metaProfileJSON {
	j := metaProfileJSON{ID: p.ID, Name: p.Name, DisplayLabel: p.Name, Description: metaProfileDescriptions[p.Name]}
	if rc.version >= 30 {
		j.Type = "normal_profile"
	}
	return j
}

// listProfiles serves GET /settings/profiles.
func (s *Server) listProfiles(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "settings", Resource: "profiles", Op: oauth.OpRead}); err != nil {
		return err
	}
	ps, err := s.svc.Metadata.Profiles(r.Context(), rc.caller.Org.ID)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		writeNoContent(w)
		return nil
	}
	out := make([]metaProfileJSON, len(ps))
	for i, p := range ps {
		out[i] = metaProfileOf(p, rc)
	}
	writeJSON(w, http.StatusOK, map[string]any{"profiles": out})
	return nil
}

// getProfile serves GET /settings/profiles/{id} with permissions_details: one entry per module of the
// version and verb, Mass_Delete only for modules that can be mass deleted. Whether a permission is
// enabled comes from crmd.Profile.Can, the same rule the record handlers enforce.
func (s *Server) getProfile(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "settings", Resource: "profiles", Op: oauth.OpRead}); err != nil {
		return err
	}
	ctx := r.Context()
	ps, err := s.svc.Metadata.Profiles(ctx, rc.caller.Org.ID)
	if err != nil {
		return err
	}
	id, ok := crmd.ParseID(rc.param("id"))
	var p *crmd.Profile
	for i := range ps {
		if ok && ps[i].ID == id {
			p = &ps[i]
			break
		}
	}
	if p == nil {
		// Profiles of other orgs are not in ps, so they get this same answer (tenancy).
		return metaErrInvalidPathID(2) // settings=0, profiles=1, {id}=2
	}
	mods, err := s.metaModules(ctx, rc)
	if err != nil {
		return err
	}
	perms := []metaPermission{}
	for _, pm := range s.svc.Metadata.Permissions(*p, mods) {
		// A permission is one org-wide entity that each profile enables or not, so its id depends on
		// the module and verb only.
		perms = append(perms, metaPermission{
			DisplayLabel: metaVerbLabels[pm.Verb], Module: pm.Module.APIName, Name: crmd.PermissionName(pm.Verb, pm.Module.APIName),
			ID: pm.ID, Enabled: pm.Enabled,
		})
	}
	j := metaProfileOf(*p, rc)
	j.PermissionsDetails = &perms
	writeJSON(w, http.StatusOK, map[string]any{"profiles": []metaProfileJSON{j}})
	return nil
}
