package webhook_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/crmd/crmd/webhook"
)

// TestPublic: every address an SSRF could aim at — loopback, private, link-local (cloud metadata at
// 169.254.169.254 included), unique-local, carrier-grade NAT, unspecified, multicast, documentation
// and reserved space, and an IPv4-mapped IPv6 form of any of them — is not public; ordinary internet
// addresses are.
func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": false, "127.255.255.254": false, "10.0.0.1": false, "10.255.255.255": false,
		"172.16.0.1": false, "172.31.255.254": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "100.127.255.254": false, "0.0.0.0": false, "0.1.2.3": false, "224.0.0.1": false,
		"255.255.255.255": false, "192.0.2.10": false, "198.51.100.7": false, "203.0.113.9": false,
		"198.18.0.1": false, "240.0.0.1": false, "192.0.0.8": false,
		"::1": false, "::": false, "fe80::1": false, "fc00::1": false, "fd12:3456::1": false, "ff02::1": false,
		"::ffff:127.0.0.1": false, "::ffff:10.1.2.3": false, "::ffff:169.254.169.254": false, "2001:db8::1": false,
		"64:ff9b::7f00:1": false, "2002:7f00:1::": false,
		"8.8.8.8": true, "1.1.1.1": true, "172.32.0.1": true, "172.15.255.255": true, "100.128.0.1": true,
		"11.0.0.1": true, "192.169.0.1": true, "2606:4700:4700::1111": true, "::ffff:8.8.8.8": true,
	} {
		if got := webhook.Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
	if webhook.Public(netip.Addr{}) {
		t.Error("the zero address is public")
	}
}

// TestCheckURL: a notify_url must be an absolute http(s) URL with a host and no user info; without
// allowPrivate its host may not be a loopback name or a non-public address literal (a host name is
// left to the dialler, which checks the address it resolves to).
func TestCheckURL(t *testing.T) {
	for _, c := range []struct {
		url           string
		strict, loose bool // accepted without and with allowPrivate
	}{
		{"https://hooks.example.com/crm?key=1", true, true},
		{"http://hooks.example.com:8080/x", true, true},
		{"HTTPS://Hooks.Example.com/", true, true},
		{"http://8.8.8.8/hook", true, true},
		{"http://[2606:4700:4700::1111]/hook", true, true},
		{"http://127.0.0.1:8080/hook", false, true},
		{"http://127.1/hook", true, true}, // not an address literal netip reads: a name, left to the dialler
		{"http://10.1.2.3/", false, true},
		{"http://172.16.5.4/", false, true},
		{"http://192.168.0.10/", false, true},
		{"http://169.254.169.254/latest/meta-data/", false, true},
		{"http://100.64.0.1/", false, true},
		{"http://0.0.0.0:80/", false, true},
		{"http://[::1]:8080/", false, true},
		{"http://[fe80::1]/", false, true},
		{"http://[fc00::1]/", false, true},
		{"http://[::ffff:127.0.0.1]/", false, true},
		{"http://localhost:8080/", false, true},
		{"http://LOCALHOST/", false, true},
		{"http://api.localhost/", false, true},
		{"ftp://hooks.example.com/", false, false},
		{"file:///etc/passwd", false, false},
		{"gopher://hooks.example.com/", false, false},
		{"hooks.example.com/path", false, false},
		{"/relative/path", false, false},
		{"http://", false, false},
		{"https://hooks.example.com/" + strings.Repeat("a", webhook.MaxURLLength-26), true, true}, // exactly the limit
		{"https://hooks.example.com/" + strings.Repeat("a", webhook.MaxURLLength-25), false, false},
		{"http:///path", false, false},
		{"https://user:pass@hooks.example.com/", false, false},
		{"https://user@hooks.example.com/", false, false},
		{"http://[::1", false, false},
		{"", false, false},
	} {
		for _, allow := range []bool{false, true} {
			want := c.strict
			if allow {
				want = c.loose
			}
			err := webhook.CheckURL(c.url, allow)
			if (err == nil) != want {
				t.Errorf("CheckURL(%q, allowPrivate=%v) = %v, want accepted=%v", c.url, allow, err, want)
			}
			if err != nil && !errors.Is(err, webhook.ErrURL) {
				t.Errorf("CheckURL(%q): %v is not an ErrURL", c.url, err)
			}
		}
	}
}
