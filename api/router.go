package api

import (
	"net/http"
	"strings"
)

// handlerFunc is a crmd handler: it writes its own success response and returns an error for anything
// else; the router turns a *crmd.Error into Zoho's error object and anything else into a logged 500.
type handlerFunc func(w http.ResponseWriter, r *http.Request, rc *reqCtx) error

// route is one path pattern with a handler per method. Patterns are split into segments; a segment
// in braces matches any single segment and binds it by name.
type route struct {
	pattern string
	segs    []string
	methods map[string]routeHandler
}

type routeHandler struct {
	h    handlerFunc
	opts routeOpts
}

// routeOpts say what a route needs before its handler runs.
type routeOpts struct {
	public bool // no token needed (/healthz, /oauth/…)
	crm    bool // under /crm/{version}/: the version segment is checked
	minVer int  // the route exists from this version on (×10); older versions get API_NOT_SUPPORTED
	// own: crmd's own API (/crmd/v1): modules resolve as in the newest Zoho version.
	own bool
	// stream: the answer may last longer than the query timeout (an events stream, a CSV export): no
	// request-wide deadline (the handler bounds each database read itself), and the call does not hold
	// one of the caller's concurrent-call slots while it streams.
	stream bool
	// control: the control API (control.go): the control token instead of an OAuth token.
	control bool
}

// router dispatches on path segments. It exists instead of http.ServeMux because Zoho's paths put a
// free module name where other routes have literal words (/{module}/deleted vs /settings/modules), and
// because an unknown path and a known path with the wrong verb must get different Zoho errors.
type router struct {
	routes []*route
}

func (rt *router) handle(method, pattern string, h handlerFunc, opts routeOpts) {
	for _, r := range rt.routes {
		if r.pattern == pattern {
			r.methods[method] = routeHandler{h, opts}
			return
		}
	}
	rt.routes = append(rt.routes, &route{
		pattern: pattern,
		segs:    strings.Split(strings.Trim(pattern, "/"), "/"),
		methods: map[string]routeHandler{method: {h, opts}},
	})
}

// match finds the most specific route for a path: the one whose literal segments match earliest
// wins (so /settings/modules beats /{module}/{id}). It returns nil when no route matches.
func (rt *router) match(path string) (*route, map[string]string) {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil, nil
	}
	segs := strings.Split(path, "/")
	var best *route
	var bestParams map[string]string
	bestScore := -1
	for _, r := range rt.routes {
		if len(r.segs) != len(segs) {
			continue
		}
		score := 0
		var params map[string]string
		ok := true
		for i, s := range r.segs {
			if strings.HasPrefix(s, "{") {
				if segs[i] == "" {
					ok = false
					break
				}
				if params == nil {
					params = map[string]string{}
				}
				params[s[1:len(s)-1]] = segs[i]
				continue
			}
			if s != segs[i] {
				ok = false
				break
			}
			score |= 1 << (len(segs) - 1 - i) // earlier literals weigh more
		}
		if ok && score > bestScore {
			best, bestParams, bestScore = r, params, score
		}
	}
	return best, bestParams
}
