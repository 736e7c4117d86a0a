// Package webhook delivers the notifications of Zoho's Notifications API (docs/notifications.md): a
// Deliverer claims outbox messages under leases, POSTs each to its channel's notify_url and records
// every attempt. Its HTTP client refuses, unless told otherwise, every address a server-side request
// forgery could aim at: the guard runs on the address actually dialled, after DNS resolution and on
// every redirect.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// MaxURLLength is the longest notify_url CheckURL accepts.
const MaxURLLength = 2048

// ErrURL is the family of CheckURL's refusals.
var ErrURL = errors.New("webhook: notify_url refused")

// CheckURL checks a notify_url before it is stored: an absolute http or https URL with a host, no
// user info (it would be a secret in the database and in logs), and — unless allowPrivate — a host
// that is not an address of a loopback, private, link-local or otherwise non-public network. A host
// name is not resolved here (it may resolve differently later): the dialler checks every address it
// connects to.
func CheckURL(raw string, allowPrivate bool) error {
	// Browsers and proxies handle URLs up to about 2,000 characters; a longer one is no webhook and
	// would be stored and sent with every callback.
	if len(raw) > MaxURLLength {
		return fmt.Errorf("%w: the URL is longer than %d characters", ErrURL, MaxURLLength)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: the scheme must be http or https", ErrURL)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%w: the URL has no host", ErrURL)
	}
	if u.User != nil {
		return fmt.Errorf("%w: the URL carries user info", ErrURL)
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: %s is a loopback name", ErrURL, host)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !Public(ip) {
		return fmt.Errorf("%w: %s is not a public address", ErrURL, ip)
	}
	return nil
}

// Public reports whether ip is an address a notification may be sent to without
// --notify-allow-private: not unspecified, loopback, private (RFC 1918, fc00::/7), link-local,
// multicast, carrier-grade NAT (100.64.0.0/10), benchmarking (198.18.0.0/15), documentation or
// reserved space. An IPv4-mapped IPv6 address is judged as its IPv4 address.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// nonPublic are the special-purpose ranges netip's predicates do not cover.
var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// errBlocked is the dialler's refusal of a non-public address.
var errBlocked = errors.New("the address is not public (serve --notify-allow-private allows it)")

// guardedDialer returns a dialler whose every connection — the first, and those of redirects — is
// checked after DNS resolution, on the address actually dialled, so that a name that resolves (or
// re-resolves) to an internal address is refused too.
func guardedDialer(d *net.Dialer, allowPrivate bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dd := *d
	if !allowPrivate {
		dd.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", errBlocked, address)
			}
			if !Public(ap.Addr()) {
				return fmt.Errorf("%w: %s", errBlocked, ap.Addr())
			}
			return nil
		}
	}
	return dd.DialContext
}
