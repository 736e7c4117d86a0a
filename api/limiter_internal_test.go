package api

import (
	"testing"
	"time"

	"github.com/crmd/crmd"
)

// TestCreditWindow checks the ring of minute buckets against a plain list of call times.
func TestCreditWindow(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(0, 50, func() time.Time { return now })
	c := &crmd.Caller{Org: &crmd.Org{ID: 1}, User: &crmd.User{ID: 2}}
	var calls []time.Time
	steps := []time.Duration{0, 30 * time.Second, 7 * time.Minute, 3 * time.Hour, 20 * time.Hour, 59 * time.Minute, 25 * time.Hour, 23*time.Hour + 59*time.Minute}
	for round := 0; round < 40; round++ {
		now = now.Add(steps[round%len(steps)])
		live := 0
		for _, at := range calls {
			// A call counts while its minute is one of the last 1,440 minutes.
			if now.Unix()/60-at.Unix()/60 < creditBuckets {
				live++
			}
		}
		_, err := l.admit(c)
		if (err == nil) != (live < 50) {
			t.Fatalf("round %d at %v: %d calls in the window, admit error %v", round, now, live, err)
		}
		if err == nil {
			calls = append(calls, now)
		}
		for i := 0; i < 9 && err == nil; i++ { // a burst in the same minute
			if _, err = l.admit(c); err == nil {
				calls = append(calls, now)
			}
		}
	}
}
