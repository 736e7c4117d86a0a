package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestGuardedDialer: the dialler refuses a loopback address when private addresses are not allowed —
// on the address it is about to connect to, so that neither DNS nor a redirect can get around it —
// and connects to it when they are.
func TestGuardedDialer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	base := &net.Dialer{Timeout: time.Second}
	ctx := context.Background()

	// "localhost" is resolved first: the guard judges the resolved address, not the name.
	for _, addr := range []string{l.Addr().String(), "localhost:" + portOf(l)} {
		if c, err := guardedDialer(base, false)(ctx, "tcp", addr); err == nil {
			c.Close()
			t.Errorf("dialled %s without allowPrivate", addr)
		} else if !errors.Is(err, errBlocked) || !strings.Contains(err.Error(), "not public") {
			t.Errorf("dial %s: %v, want errBlocked", addr, err)
		}
	}
	c, err := guardedDialer(base, true)(ctx, "tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("with allowPrivate: %v", err)
	}
	c.Close()
	if base.Control != nil {
		t.Error("guardedDialer changed the dialler it was given")
	}
}

func portOf(l net.Listener) string {
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}

// TestRedirectToPrivateRefused: a redirect is dialled through the same guard. The deliverer's client
// (no allowPrivate) posts to "public.test", which the test makes a public server by dialling it
// directly — the one hop the guard is told to skip — and that server redirects to a loopback
// receiver: the guard refuses the redirect's address, and the receiver is never connected to.
func TestRedirectToPrivateRefused(t *testing.T) {
	var hits atomic.Int32
	inner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer inner.Close()
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/internal", http.StatusTemporaryRedirect)
	}))
	defer public.Close()
	d := New(nil, Config{Timeout: 2 * time.Second}, nil, nil)
	tr := d.client.Transport.(*http.Transport)
	guarded := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "public.test:80" {
			return (&net.Dialer{}).DialContext(ctx, network, public.Listener.Addr().String())
		}
		return guarded(ctx, network, addr)
	}
	code, err := d.post(context.Background(), "http://public.test/hook", []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "not public") {
		t.Fatalf("post through a redirect to loopback: %d %v", code, err)
	}
	if hits.Load() != 0 {
		t.Errorf("the loopback receiver got %d requests", hits.Load())
	}
	// The same redirect is followed when private addresses are allowed: the refusal above is the guard's.
	d = New(nil, Config{Timeout: 2 * time.Second, AllowPrivate: true}, nil, nil)
	tr = d.client.Transport.(*http.Transport)
	guarded = tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "public.test:80" {
			addr = public.Listener.Addr().String()
		}
		return guarded(ctx, network, addr)
	}
	if code, err := d.post(context.Background(), "http://public.test/hook", []byte(`{}`)); err != nil || code != 200 || hits.Load() != 1 {
		t.Fatalf("with allowPrivate: %d %v, %d hits", code, err, hits.Load())
	}
}
