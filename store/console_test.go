package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// TestConsoleLinkSignsInOnce: browsers racing on one link get one session between them; the link is
// then spent, an expired one never works, and sign-out removes the session and every spent link.
func TestConsoleLinkSignsInOnce(t *testing.T) {
	st := crmdtest.OpenStore(t)
	clock := crmdtest.UseClock(st, time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	o := crmdtest.NewTeam(t, st, "Acme", "UTC")
	ctx := context.Background()
	exp := clock.Now().Add(time.Minute).UnixMilli()
	if err := st.CreateConsoleLink(ctx, store.ConsoleLink{Hash: "link1", OrgID: o.Org.ID, UserID: o.Admin.ID, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	const racers = 6
	var wg sync.WaitGroup
	won := make(chan string, racers)
	errs := make(chan error, racers)
	for i := range racers {
		wg.Go(func() {
			sess := store.ConsoleSession{Hash: fmt.Sprint("sess", i), CSRF: "c", ExpiresAt: exp}
			s, err := st.SignInWithLink(ctx, "link1", sess)
			switch {
			case err == nil:
				if s.OrgID != o.Org.ID || s.UserID != o.Admin.ID {
					errs <- fmt.Errorf("session of %v/%v", s.OrgID, s.UserID)
				}
				won <- s.Hash
			case errors.Is(err, store.ErrNotFound), store.IsBusy(err):
			default:
				errs <- err
			}
		})
	}
	wg.Wait()
	close(won)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var winners []string
	for h := range won {
		winners = append(winners, h)
	}
	if len(winners) != 1 {
		t.Fatalf("%d sessions from one link: %v", len(winners), winners)
	}
	got, err := st.ConsoleSessionByHash(ctx, winners[0])
	if err != nil || got.CSRF != "c" {
		t.Fatalf("the winner's session: %+v, %v", got, err)
	}
	// An expired link never works; an expired session is gone.
	if err := st.CreateConsoleLink(ctx, store.ConsoleLink{Hash: "link2", OrgID: o.Org.ID, UserID: o.Admin.ID, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := st.SignInWithLink(ctx, "link2", store.ConsoleSession{Hash: "late", CSRF: "c", ExpiresAt: exp + 3600_000}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired link: %v", err)
	}
	if _, err := st.ConsoleSessionByHash(ctx, "late"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused sign-in left a session: %v", err)
	}
	if _, err := st.ConsoleSessionByHash(ctx, winners[0]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session still found: %v", err)
	}
	if err := st.DeleteConsoleSession(ctx, winners[0]); err != nil {
		t.Fatal(err)
	}
	n, err := st.CountConsoleRows(ctx)
	if err != nil || n != 0 {
		t.Fatalf("%d link and session rows left after sign-out swept them (%v)", n, err)
	}
}
