package client

import (
	"testing"
	"time"
)

// TestBackoffSequence: pauses start at MinInterval and grow by Multiplier up to MaxInterval; unset or
// nonsensical options take the defaults.
func TestBackoffSequence(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		opts WaitOptions
		want []time.Duration
	}{
		{WaitOptions{MinInterval: 10 * ms, MaxInterval: 50 * ms}, []time.Duration{10 * ms, 20 * ms, 40 * ms, 50 * ms, 50 * ms}},
		{WaitOptions{MinInterval: 10 * ms, MaxInterval: 100 * ms, Multiplier: 1.5}, []time.Duration{10 * ms, 15 * ms, 22500 * time.Microsecond}},
		{WaitOptions{}, []time.Duration{DefaultWaitMin, 2 * DefaultWaitMin, 4 * DefaultWaitMin}},
		{WaitOptions{MinInterval: time.Minute, MaxInterval: time.Second}, []time.Duration{time.Minute, time.Minute}},
		{WaitOptions{MinInterval: 8 * time.Second, Multiplier: 0.5}, []time.Duration{8 * time.Second, DefaultWaitMax, DefaultWaitMax}},
	} {
		b := newBackoff(tc.opts)
		for i, w := range tc.want {
			if got := b.pause(); got != w {
				t.Errorf("%+v: pause %d = %s, want %s", tc.opts, i, got, w)
			}
		}
	}
}
