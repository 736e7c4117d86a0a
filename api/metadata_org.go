package api

// GET /org (docs/metadata.md).

import (
	"net/http"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/oauth"
)

// metaOrgJSON is the caller's org. Settings crmd does not model (currency, country, address, licence)
// carry the defaults of a US enterprise org so that clients formatting amounts or checking the edition
// get plausible values.
type metaOrgJSON struct {
	ID                   crmd.ID       `json:"id"`
	CompanyName          string        `json:"company_name"`
	PrimaryEmail         string        `json:"primary_email"`
	ZGID                 string        `json:"zgid"`
	PrimaryZUID          *string       `json:"primary_zuid"`
	TimeZone             string        `json:"time_zone"`
	Currency             string        `json:"currency"`
	CurrencySymbol       string        `json:"currency_symbol"`
	ISOCode              string        `json:"iso_code"`
	CurrencyLocale       string        `json:"currency_locale"`
	CountryCode          string        `json:"country_code"`
	Country              string        `json:"country"`
	Type                 string        `json:"type"`
	MaxPerPage           int           `json:"max_per_page"`
	MCStatus             bool          `json:"mc_status"`
	GappsEnabled         bool          `json:"gapps_enabled"`
	DomainName           string        `json:"domain_name"`
	TranslationEnabled   bool          `json:"translation_enabled"`
	PrivacySettings      bool          `json:"privacy_settings"`
	Phone                *string       `json:"phone"`
	Mobile               *string       `json:"mobile"`
	Fax                  *string       `json:"fax"`
	Website              *string       `json:"website"`
	Description          *string       `json:"description"`
	Street               *string       `json:"street"`
	City                 *string       `json:"city"`
	State                *string       `json:"state"`
	Zip                  *string       `json:"zip"`
	Alias                *string       `json:"alias"`
	EmployeeCount        *string       `json:"employee_count"`
	LicenseDetails       metaLicense   `json:"license_details"`
	HierarchyPreferences metaHierarchy `json:"hierarchy_preferences"`
	// The keys below complete what zoho/crm-oas v8.0/org.json marks required; the features they
	// describe (photo, HIPAA, lite users, Zia, check-in) are off in crmd.
	PhotoID                *string         `json:"photo_id"`
	ZiaPortalID            *string         `json:"zia_portal_id"`
	DeletableOrgAccount    bool            `json:"deletable_org_account"`
	HIPAAComplianceEnabled bool            `json:"hipaa_compliance_enabled"`
	LiteUsersEnabled       bool            `json:"lite_users_enabled"`
	EZGID                  string          `json:"ezgid"`
	CallIcon               *string         `json:"call_icon"`
	OAuthPresence          bool            `json:"oauth_presence"`
	ZiaZGID                *int            `json:"zia_zgid"`
	CheckinPreferences     metaCheckinPref `json:"checkin_preferences"`
}

type metaCheckinPref struct {
	RestrictedEventTypes *string `json:"restricted_event_types"`
}

type metaLicense struct {
	Paid                  bool    `json:"paid"`
	PaidType              string  `json:"paid_type"`
	TrialType             *string `json:"trial_type"`
	TrialExpiry           *string `json:"trial_expiry"`
	UsersLicensePurchased int     `json:"users_license_purchased"`
	PaidExpiry            *string `json:"paid_expiry"`
	TrialAction           *string `json:"trial_action"`
}

type metaHierarchy struct {
	Type              string `json:"type"`
	StrictlyReporting bool   `json:"strictly_reporting"`
}

// getOrg serves GET /org: always exactly the caller's org.
func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.require(oauth.Need{Family: "org", Op: oauth.OpRead}); err != nil {
		return err
	}
	org := rc.caller.Org
	admin, err := s.metaFirstAdmin(r.Context(), org.ID)
	if err != nil {
		return err
	}
	j := metaOrgJSON{
		ID: org.ID, CompanyName: org.Name, PrimaryEmail: org.PrimaryEmail, ZGID: org.ZGID, TimeZone: org.TimeZone,
		Currency: "US Dollar", CurrencySymbol: "$", ISOCode: "USD", CurrencyLocale: "en_US",
		CountryCode: "US", Country: "United States", Type: "production", MaxPerPage: metaMaxPerPage,
		DomainName:           "org" + org.ID.String(),
		LicenseDetails:       metaLicense{Paid: true, PaidType: "enterprise", UsersLicensePurchased: 100},
		HierarchyPreferences: metaHierarchy{Type: "Role_Hierarchy"},
		// Zoho's ezgid is an external form of the zgid; crmd has one form only.
		EZGID: org.ZGID,
	}
	if admin != nil {
		z := admin.ZUID
		j.PrimaryZUID = &z
	}
	writeJSON(w, http.StatusOK, map[string]any{"org": []metaOrgJSON{j}})
	return nil
}
