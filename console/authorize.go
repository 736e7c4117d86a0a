package console

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"

	"github.com/crmd/crmd/oauth"
)

// Zoho Accounts' authorization endpoint (GET /oauth/v2/auth, docs/auth.md): an app sends the user's
// browser here; the console's session says who the user is, the consent page shows what the app asks
// for, and the browser goes back to the app with a grant code or error=access_denied.

// authRequestOf reads an authorization request from a query or form.
func authRequestOf(q url.Values) oauth.AuthRequest {
	return oauth.AuthRequest{ClientID: q.Get("client_id"), ResponseType: q.Get("response_type"), RedirectURI: q.Get("redirect_uri"),
		Scope: q.Get("scope"), State: q.Get("state"), AccessType: q.Get("access_type")}
}

// authQuery is the request as a query string again.
func authQuery(a oauth.AuthRequest) url.Values {
	q := url.Values{"client_id": {a.ClientID}, "response_type": {a.ResponseType}, "redirect_uri": {a.RedirectURI}, "scope": {a.Scope}}
	if a.State != "" {
		q.Set("state", a.State)
	}
	if a.AccessType != "" {
		q.Set("access_type", a.AccessType)
	}
	return q
}

// refused writes the page (400) of a refused authorization request: it does not send the browser
// anywhere, since the app or its address cannot be trusted.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, v *visit, text string) {
	h.render(w, r, http.StatusBadRequest, "message", v, messagePage{Title: "Authorization refused", TestID: "oauth-refused", Text: text})
}

// checkAuth checks a request and parses its redirect_uri; a refusal is written as the refused page
// (false).
func (h *Handler) checkAuth(w http.ResponseWriter, r *http.Request, v *visit, req oauth.AuthRequest) (*oauth.CheckedAuth, *url.URL, bool) {
	a, err := h.cfg.Auth.CheckAuthRequest(r.Context(), req)
	var ref *oauth.AuthRefusal
	if errors.As(err, &ref) {
		h.refused(w, r, v, ref.Message+" ("+ref.Code+").")
		return nil, nil, false
	}
	if err != nil {
		h.internal(w, r, err)
		return nil, nil, false
	}
	// oauth checks the address's form without net/url; one it cannot parse (a bad escape) is the
	// user's to hear about, not an internal error on the consent page.
	u, err := url.Parse(a.Req.RedirectURI)
	if err != nil {
		h.refused(w, r, v, "redirect_uri is not a valid address ("+oauth.ErrCodeInvalidRedirectURI+").")
		return nil, nil, false
	}
	return a, u, true
}

// authorize serves GET /oauth/v2/auth: a valid request goes on to the consent page, under the
// console's path where its session cookie is sent.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	req := authRequestOf(r.URL.Query())
	if _, _, ok := h.checkAuth(w, r, nil, req); !ok {
		return
	}
	http.Redirect(w, r, "/console/oauth/consent?"+authQuery(req).Encode(), http.StatusSeeOther)
}

type consentPage struct {
	App, Org, RedirectURI string
	Scopes                []string
	Fields                url.Values
}

func (consentPage) title() (string, string) { return "Allow access?", "" }

// originRE is what an origin may be made of in the consent page's Content-Security-Policy.
var originRE = regexp.MustCompile(`^https?://[A-Za-z0-9.\-]+(:[0-9]+)?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

// consent shows what the app asks for, with Accept and Deny.
func (h *Handler) consent(w http.ResponseWriter, r *http.Request, v *visit) {
	a, u, ok := h.checkAuth(w, r, v, authRequestOf(r.URL.Query()))
	if !ok {
		return
	}
	if a.Client.OrgID != v.caller.Org.ID {
		h.refused(w, r, v, "This app belongs to another org (invalid_client).")
		return
	}
	// The form's answer redirects the browser to the app: the page's form-action must allow its origin.
	origin := u.Scheme + "://" + u.Host
	if !originRE.MatchString(origin) {
		h.refused(w, r, v, "redirect_uri has a host crmd cannot send a browser to (invalid_redirect_uri).")
		return
	}
	w.Header().Set("Content-Security-Policy", cspWithFormAction(origin))
	h.render(w, r, http.StatusOK, "consent", v, consentPage{App: a.Client.Name, Org: v.caller.Org.Name, RedirectURI: a.Req.RedirectURI,
		Scopes: a.Scopes, Fields: authQuery(a.Req)})
}

// consentAnswer grants or denies, and sends the browser back to the app.
func (h *Handler) consentAnswer(w http.ResponseWriter, r *http.Request, v *visit) {
	a, back, ok := h.checkAuth(w, r, v, authRequestOf(r.PostForm))
	if !ok {
		return
	}
	q := back.Query()
	if a.Req.State != "" {
		q.Set("state", a.Req.State)
	}
	if r.PostForm.Get("decision") == "accept" {
		code, err := h.cfg.Auth.Consent(r.Context(), a, v.caller)
		var ref *oauth.AuthRefusal
		if errors.As(err, &ref) {
			h.refused(w, r, v, ref.Message+" ("+ref.Code+").")
			return
		}
		if err != nil {
			h.internal(w, r, err)
			return
		}
		q.Set("code", code)
		q.Set("location", "us")
		q.Set("accounts-server", h.cfg.Auth.BaseURL)
	} else {
		q.Set("error", oauth.ErrCodeAccessDenied)
	}
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusSeeOther)
}
