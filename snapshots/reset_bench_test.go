package snapshots_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crmd/crmd/api"
	"github.com/crmd/crmd/app"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/fixtures"
	"github.com/crmd/crmd/snapshots"
	"github.com/crmd/crmd/testserver"
)

// BenchmarkReset1000 is POST /crmd/v1/control/reset over HTTP on a server started on a fixture of
// 1,000 Leads, after each round's change (one lead added): what a test suite pays between two tests
// (sub-benchmark http). Sub-benchmark store is the same restore of the same database straight through
// store.RestoreSnapshot, without HTTP and app, so that both figures print side by side.
func BenchmarkReset1000(b *testing.B) {
	f := testserver.DefaultFixture()
	for i := range 1000 {
		f.Orgs[0].Records = append(f.Orgs[0].Records, fixtures.Record{Module: "Leads", Data: map[string]any{"Last_Name": fmt.Sprintf("Lead %04d", i), "Company": "Zylker"}})
	}
	st := crmdtest.OpenStore(b)
	ctx := context.Background()
	if _, err := fixtures.Apply(ctx, st, f); err != nil {
		b.Fatal(err)
	}
	a := app.New(st, app.Config{BaseURL: "http://crmd.test", API: api.Config{ControlToken: "bench-control"}, Logger: slog.New(slog.DiscardHandler)})
	if err := a.Snapshots.TakeStart(ctx, true); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	auth := map[string]string{"Authorization": "Zoho-oauthtoken " + testserver.DefaultToken}
	change := func(b *testing.B) {
		b.StopTimer()
		if code, body := crmdtest.DoJSON(b, "POST", srv.URL+"/crm/v8/Leads", `{"data":[{"Last_Name":"Extra"}]}`, auth); code != http.StatusCreated {
			b.Fatalf("insert: %d %v", code, body)
		}
		b.StartTimer()
	}
	b.Run("http", func(b *testing.B) {
		for b.Loop() {
			change(b)
			if code, body := crmdtest.DoJSON(b, "POST", srv.URL+"/crmd/v1/control/reset", "", map[string]string{"Authorization": "Bearer bench-control"}); code != http.StatusOK {
				b.Fatalf("reset: %d %v", code, body)
			}
		}
	})
	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			change(b)
			if err := st.RestoreSnapshot(ctx, snapshots.StartName); err != nil {
				b.Fatal(err)
			}
		}
	})
}
