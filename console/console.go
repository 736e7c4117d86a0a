// Package console is crmd's web console (docs/console.md): server-rendered pages at /console/ where a
// person previews a mass delete, confirms it, watches it run, cancels or undoes it, works the recycle
// bin and browses records.
//
// The console has no rules and no database access of its own. A one-time link (`crmd console-link`)
// opens a server-side session (package oauth); every page then calls crmd's public API — Zoho's routes
// and /crmd/v1 — in process, through api.Server.ServeAs, as the signed-in user. The same handlers,
// scopes and profile checks answer the console as they answer an SDK: a Standard user is refused a mass
// delete here exactly as over HTTP. Every state-changing request is a POST carrying the session's CSRF
// token; pages are sent with a strict Content-Security-Policy and load only the console's own embedded
// script and style sheet.
package console

import (
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/oauth"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// CookieName is the session cookie's name.
const CookieName = "crmd_console"

// Prefix is where the console is served; AuthPath is Zoho Accounts' authorization endpoint, which the
// console serves too (its consent page needs the console's session).
const (
	Prefix   = "/console/"
	AuthPath = "/oauth/v2/auth"
)

// csp is the Content-Security-Policy of every console answer: nothing but the console's own script,
// style sheet and images, no inline script or style, forms posting only to the console, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// cspWithFormAction is csp whose forms may also lead to origin: the OAuth consent page's answer
// redirects the browser to the app, and browsers hold a form's redirects to form-action.
func cspWithFormAction(origin string) string {
	return strings.Replace(csp, "form-action 'self'", "form-action 'self' "+origin, 1)
}

// Config is what the console needs.
type Config struct {
	// Auth signs people in and holds their sessions.
	Auth *oauth.Server
	// API is crmd's HTTP surface; the console calls it in process as the signed-in user.
	API *api.Server
	// BaseURL is the server's public base URL: an https one makes the session cookie Secure.
	BaseURL string
	// Logger receives one line per console request (path only, never the query: a sign-in link's
	// secret travels there).
	Logger *slog.Logger
}

// Handler serves the console under Prefix.
type Handler struct {
	cfg   Config
	log   *slog.Logger
	mux   *http.ServeMux
	pages map[string]*template.Template
}

// New builds the console.
func New(cfg Config) *Handler {
	h := &Handler{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.pages = parsePages()
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	h.mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /console/signin", h.signIn)
	h.mux.HandleFunc("GET /console/{$}", h.session(h.home))
	h.mux.HandleFunc("POST /console/signout", h.session(h.signOut))
	h.mux.HandleFunc("GET /console/jobs", h.session(h.jobsPage))
	h.mux.HandleFunc("GET /console/jobs/{id}", h.session(h.jobPage))
	h.mux.HandleFunc("GET /console/jobs/{id}/events", h.session(h.jobEvents))
	h.mux.HandleFunc("GET /console/jobs/{id}/{action}", h.session(h.jobConfirm))
	h.mux.HandleFunc("POST /console/jobs/{id}/{action}", h.session(h.jobAction))
	h.mux.HandleFunc("GET /console/mass-delete", h.session(h.wizard))
	h.mux.HandleFunc("GET /console/mass-delete/preview", h.session(h.preview))
	h.mux.HandleFunc("POST /console/mass-delete", h.session(h.startMassDelete))
	h.mux.HandleFunc("GET /console/bin", h.session(h.binPage))
	h.mux.HandleFunc("POST /console/bin/restore", h.session(h.binRestore))
	h.mux.HandleFunc("POST /console/bin/delete", h.session(h.binDelete))
	h.mux.HandleFunc("GET /console/bin/empty", h.session(h.binEmptyConfirm))
	h.mux.HandleFunc("POST /console/bin/empty", h.session(h.binEmpty))
	h.mux.HandleFunc("GET /console/records", h.session(h.recordsPage))
	h.mux.HandleFunc("GET /oauth/v2/auth", h.authorize)
	h.mux.HandleFunc("GET /console/oauth/consent", h.session(h.consent))
	h.mux.HandleFunc("POST /console/oauth/consent", h.session(h.consentAnswer))
	h.mux.HandleFunc("/console/", h.notFound)
	return h
}

// parsePages parses each page template together with the layout.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{"pct": pct, "when": when, "kind": jobKindLabel}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		pages[base] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, n))
	}
	return pages
}

// ServeHTTP serves a console request with the console's security headers and a log line.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	// A sign-in link carries its secret in the query: no page of the console sends its address on.
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(sw, r)
	h.log.Info("console request", "method", api.MethodLabel(r.Method), "path", api.LogPath(r.URL.Path), "status", sw.status,
		"ms", float64(time.Since(start).Microseconds())/1000)
}

// statusWriter remembers the status written, for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets the events stream flush through to the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// visit is one signed-in request: who, and the session's CSRF token.
type visit struct {
	caller *crmd.Caller
	csrf   string
}

// canMassDelete tells whether the user's profile allows mass delete: the console shows the action only
// then (the API checks the same profile again when it is called).
func (v *visit) canMassDelete() bool {
	p := v.caller.User.Profile
	return p.Can(crmd.PermDelete) && p.Can(crmd.PermMassDelete)
}

func (v *visit) isAdmin() bool { return v.caller.User.Profile.IsAdmin() }

// session wraps a page that needs a signed-in user: without a live session the answer is the
// signed-out page (401); a POST must carry the session's CSRF token (403 otherwise).
func (h *Handler) session(page func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(CookieName)
		if err != nil {
			h.signedOut(w, r)
			return
		}
		c, csrf, err := h.cfg.Auth.ConsoleCaller(r.Context(), ck.Value)
		if errors.Is(err, oauth.ErrNoSession) {
			h.clearCookie(w, r)
			h.signedOut(w, r)
			return
		}
		if err != nil {
			h.internal(w, r, err)
			return
		}
		v := &visit{caller: c, csrf: csrf}
		if r.Method == http.MethodPost && !h.sameOriginCSRF(r, csrf) {
			h.render(w, r, http.StatusForbidden, "message", v, messagePage{Title: "Request refused", TestID: "csrf-refused",
				Text: "This form was not sent by the console page it belongs to (its CSRF token is missing or wrong). Reload the page and try again."})
			return
		}
		page(w, r, v)
	}
}

// sameOriginCSRF checks a state-changing request: the form's csrf field must equal the session's
// token, and an Origin header, when the browser sends one, must be this server's.
func (h *Handler) sameOriginCSRF(r *http.Request, csrf string) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	if err := r.ParseForm(); err != nil {
		return false
	}
	got := r.PostForm.Get("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(csrf)) == 1
}

// secure tells whether the session cookie must be Secure: the server is reached over https.
func (h *Handler) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(h.cfg.BaseURL, "https://") || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
}

// signIn uses a console link: a valid one opens a session, sets its cookie and sends the browser on
// to the jobs page, so that the link's secret leaves the address bar; any other is refused (401).
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	in, err := h.cfg.Auth.SignIn(r.Context(), r.URL.Query().Get("token"))
	if errors.Is(err, oauth.ErrConsoleLink) {
		h.render(w, r, http.StatusUnauthorized, "message", nil, messagePage{Title: "Sign-in link refused", TestID: "signin-refused",
			Text: "This console link is unknown, already used or expired. Ask for a new one: crmd console-link --email YOUR_EMAIL."})
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: in.Session, Path: Prefix, Expires: in.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
	http.Redirect(w, r, "/console/jobs", http.StatusSeeOther)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, v *visit) {
	if ck, err := r.Cookie(CookieName); err == nil {
		if err := h.cfg.Auth.SignOut(r.Context(), ck.Value); err != nil {
			h.internal(w, r, err)
			return
		}
	}
	h.clearCookie(w, r)
	h.render(w, r, http.StatusOK, "message", nil, messagePage{Title: "Signed out", TestID: "signed-out",
		Text: "You are signed out. Open a new console link to sign in again."})
}

func (h *Handler) signedOut(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusUnauthorized, "message", nil, messagePage{Title: "Sign in", TestID: "signed-out",
		Text: "You are not signed in. Open a console link (crmd console-link --email YOUR_EMAIL) to sign in."})
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, v *visit) {
	http.Redirect(w, r, "/console/jobs", http.StatusSeeOther)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "message", nil, messagePage{Title: "Not found", TestID: "not-found", Text: "There is no such console page."})
}

// internal answers an unexpected failure: logged, and a page that shows nothing of it.
func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("console internal error", "path", api.LogPath(r.URL.Path), "err", err)
	h.render(w, r, http.StatusInternalServerError, "message", nil, messagePage{Title: "Something went wrong", TestID: "error",
		Text: "The console could not complete this request. The server's log has the details."})
}

// messagePage is a page of one message (sign-in refused, signed out, errors).
type messagePage struct {
	Title, TestID, Text string
	Back                string
}

// layoutData is what the layout needs besides the page's own data.
type layoutData struct {
	Title         string
	Nav           string
	SignedIn      bool
	UserName      string
	UserEmail     string
	Profile       string
	CanMassDelete bool
	IsAdmin       bool
	CSRF          string
	Page          any
}

// titled is a page's data that names its title and its nav entry.
type titled interface{ title() (string, string) }

func (m messagePage) title() (string, string) { return m.Title, "" }

// render writes a page in the layout.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v *visit, page titled) {
	t, ok := h.pages[name]
	if !ok {
		panic("console: no template " + name)
	}
	title, nav := page.title()
	d := layoutData{Title: title, Nav: nav, Page: page}
	if v != nil {
		d.SignedIn = true
		d.UserName = v.caller.User.FullName()
		d.UserEmail = v.caller.User.Email
		d.Profile = v.caller.User.Profile.Name
		d.CanMassDelete = v.canMassDelete()
		d.IsAdmin = v.isAdmin()
		d.CSRF = v.csrf
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout.html", d); err != nil {
		h.log.Error("console template", "page", name, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}
