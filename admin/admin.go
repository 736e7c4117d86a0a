// Package admin is crmd's administration of orgs: it creates orgs (with Zoho's standard modules, their
// Administrator and their first OAuth client), users and custom modules. `crmd init`, `user add` and
// `module add`, the first start of `crmd serve` and the bench call it; the API serves none of it, as
// Zoho's API does not create orgs or modules.
package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/catalog"
	"github.com/crmd/crmd/oauth"
	"github.com/crmd/crmd/store"
)

// NewOrg is what creating an org yields. ClientSecret is shown this once: only its hash is kept.
type NewOrg struct {
	Org          *crmd.Org
	Admin        *crmd.User
	ClientID     string
	ClientSecret string
}

// ErrOrgsExist is CreateOrg's answer, with onlyIfEmpty, on a database that already holds an org.
var ErrOrgsExist = store.ErrOrgsExist

// CreateOrg creates an org with Zoho's standard modules, its Administrator and its first OAuth client,
// all in one transaction: a failure leaves nothing behind. With onlyIfEmpty it creates nothing, and
// returns ErrOrgsExist, when the database holds an org (the first start of a server racing another).
func CreateOrg(ctx context.Context, st *store.Store, name, adminEmail string, onlyIfEmpty bool) (*NewOrg, error) {
	client, secret, err := oauth.NewClientCredentials("crmd")
	if err != nil {
		return nil, err
	}
	org, adm, err := st.CreateOrg(ctx, store.NewOrg{
		Name: name, AdminEmail: adminEmail, AdminFirst: "crmd", AdminLast: "Admin", TimeZone: "UTC",
		Modules: catalog.Standard(), OnlyIfEmpty: onlyIfEmpty, Client: &client,
	})
	if err != nil {
		return nil, fmt.Errorf("create org: %w", err)
	}
	return &NewOrg{Org: org, Admin: adm, ClientID: client.ClientID, ClientSecret: secret}, nil
}

// ModuleSpec describes a custom module to add: its api name (checked by catalog.CheckModuleName), its
// labels and the fields it has beyond every custom module's default ones (catalog.ParseFieldSpec).
type ModuleSpec struct {
	APIName          string
	Singular, Plural string
	Fields           []*crmd.Field
}

// AddModule adds a custom module to an org. A lookup field's target must be a module of the org (or
// the module itself) and takes that module's canonical name.
func AddModule(ctx context.Context, st *store.Store, orgID crmd.ID, spec ModuleSpec) (*crmd.Module, error) {
	if err := catalog.CheckModuleName(spec.APIName); err != nil {
		return nil, err
	}
	if existing, err := st.Module(ctx, orgID, spec.APIName); err != nil {
		return nil, err
	} else if existing != nil {
		return nil, fmt.Errorf("org %s already has a module %s", orgID, existing.APIName)
	}
	for _, f := range spec.Fields {
		if f.DataType != crmd.TypeLookup {
			continue
		}
		target, err := st.Module(ctx, orgID, f.LookupModule)
		if err != nil {
			return nil, err
		}
		switch {
		case target != nil:
			f.LookupModule = target.APIName
		case strings.EqualFold(f.LookupModule, spec.APIName):
			f.LookupModule = spec.APIName
		default:
			return nil, fmt.Errorf("field %s: org %s has no module %s to look up", f.APIName, orgID, f.LookupModule)
		}
	}
	mod, err := st.AddCustomModule(ctx, orgID, func(moduleName string, seq int) *crmd.Module {
		m := catalog.NewCustomModule(spec.APIName, moduleName, spec.Singular, spec.Plural, spec.Fields)
		m.SequenceNumber = seq
		return m
	})
	if errors.Is(err, store.ErrDuplicate) {
		return nil, fmt.Errorf("org %s already has a module %s", orgID, spec.APIName)
	}
	if err != nil {
		return nil, err
	}
	if mod == nil {
		return nil, fmt.Errorf("module %s was not found after it was added", spec.APIName)
	}
	return mod, nil
}
