package notify

import (
	"testing"
	"time"

	"github.com/crmd/crmd"
)

func TestNormalize(t *testing.T) {
	cond := &crmd.FieldSelection{Field: "Stage"}
	got := normalize([]crmd.ChannelEvent{
		{ModuleID: 2, Module: "Leads", Operation: crmd.EventEdit},
		{ModuleID: 1, Module: "Deals", Operation: crmd.EventCreate, Condition: cond},
		{ModuleID: 2, Module: "Leads", Operation: crmd.EventCreate},
		{ModuleID: 2, Module: "Leads", Operation: crmd.EventDelete},
		{ModuleID: 1, Module: "Deals", Operation: crmd.EventCreate},
		{ModuleID: 1, Module: "Deals", Operation: crmd.EventEdit},
	})
	// Leads' three events fold into "all"; Deals keeps create and edit once each, with its condition.
	want := []crmd.ChannelEvent{
		{ModuleID: 1, Module: "Deals", Operation: crmd.EventCreate, Condition: cond},
		{ModuleID: 1, Module: "Deals", Operation: crmd.EventEdit, Condition: cond},
		{ModuleID: 2, Module: "Leads", Operation: crmd.EventAll},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].ModuleID != want[i].ModuleID || got[i].Operation != want[i].Operation || got[i].Condition != want[i].Condition {
			t.Errorf("event %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestEffectiveExpiry(t *testing.T) {
	now := time.Date(2024, 5, 13, 8, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	day := Options{MaxExpiry: 24 * time.Hour}
	cases := []struct {
		exp  *time.Time
		o    Options
		want time.Duration // from now; -1 = refused
	}{
		{nil, day, time.Hour},
		{at(23 * time.Hour), day, 23 * time.Hour},
		{at(24 * time.Hour), day, 24 * time.Hour},
		{at(25 * time.Hour), day, time.Hour}, // beyond the maximum: the default, as Zoho says
		{at(6 * 24 * time.Hour), Options{MaxExpiry: 7 * 24 * time.Hour}, 6 * 24 * time.Hour},
		{at(0), day, -1},
		{at(-time.Minute), day, -1},
	}
	for i, c := range cases {
		got, err := effectiveExpiry(&Spec{Expiry: c.exp}, c.o, now.UnixMilli())
		if c.want < 0 {
			if err == nil || err.Code != "INVALID_DATA" || err.Details["api_name"] != "channel_expiry" {
				t.Errorf("case %d: got %d, %v; want INVALID_DATA on channel_expiry", i, got, err)
			}
			continue
		}
		if err != nil || got != now.Add(c.want).UnixMilli() {
			t.Errorf("case %d: got %d, %v; want now+%s", i, got, err, c.want)
		}
	}
}
