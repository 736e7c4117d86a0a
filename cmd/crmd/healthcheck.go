package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"
)

var healthcheckCmd = &command{
	name:     "healthcheck",
	synopsis: "[--url http://127.0.0.1:8080/healthz] [--timeout 3s]",
	summary:  "exit 0 when a running server answers its health check",
	details: `Asks a running server's health endpoint (GET --url) and exits 0 when it answers 200, 1 otherwise, printing
what it got. The container image runs it as its HEALTHCHECK (docs/container.md): the image has no shell
and no curl.`,
	define: func(fs *flag.FlagSet, m *Main) func(context.Context) error {
		url := fs.String("url", "http://127.0.0.1:8080/healthz", "the health endpoint: an http:// or https:// URL")
		timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer (at least 1ms)")
		return func(ctx context.Context) error {
			if !strings.HasPrefix(*url, "http://") && !strings.HasPrefix(*url, "https://") {
				return usageErrorf("invalid --url %q: want an http:// or https:// URL", *url)
			}
			if *timeout < time.Millisecond {
				return usageErrorf("invalid --timeout %s: want at least 1ms", *timeout)
			}
			ctx, cancel := context.WithTimeout(ctx, *timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("unhealthy: %w", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("unhealthy: %s answered %d", *url, resp.StatusCode)
			}
			_, err = fmt.Fprintln(m.Stdout, "healthy")
			return err
		}
	},
}
