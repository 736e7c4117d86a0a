package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/crmdtest"
	"github.com/crmd/crmd/store"
)

// saveChannel subscribes channel id of o's org to events of m (operation per event), expiring at exp.
func (f *binFixture) saveChannel(t *testing.T, orgID crmd.ID, id int64, exp int64, events ...crmd.ChannelEvent) {
	t.Helper()
	ch := &crmd.Channel{OrgID: orgID, ChannelID: id, NotifyURL: "http://example.com/hook", Expiry: exp, APIVersion: 80,
		CreatedTime: 1, ModifiedTime: 1, Events: events}
	f.tx(t, func(tx *store.Tx) error { return f.st.SaveChannel(context.Background(), tx, ch) })
}

// TestOutboxWrittenWithTheChange: a delete writes its notification in its own transaction — exactly the
// records it moved, for the channels of that org watching that module and operation and not expired —
// and a rolled-back delete writes none.
func TestOutboxWrittenWithTheChange(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	u := f.a.Admin
	ids := f.add(t, f.a, f.leadsA, u, "Ada", "Bob", "Cy")
	f.saveChannel(t, f.a.Org.ID, 1, 10_000, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventDelete})
	f.saveChannel(t, f.a.Org.ID, 2, 10_000, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventCreate})
	f.saveChannel(t, f.a.Org.ID, 3, 10_000, crmd.ChannelEvent{ModuleID: f.accA.ID, Operation: crmd.EventAll})
	f.saveChannel(t, f.a.Org.ID, 4, 50, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventAll}) // expired at 100
	// Beta's channel 1 watches Beta's Leads: Acme's changes are not its business.
	f.saveChannel(t, f.b.Org.ID, 1, 10_000, crmd.ChannelEvent{ModuleID: f.leadsB.ID, Operation: crmd.EventAll})

	boom := errors.New("boom")
	if err := f.st.Tx(ctx, func(tx *store.Tx) error {
		if _, err := f.st.SoftDeleteRecords(ctx, tx, f.a.Org.ID, f.leadsA.ID, ids[:1], store.Change{Actor: u.ID, Via: store.ViaIDs, At: 100}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	f.del(t, f.a, f.leadsA, u, 100, ids[0], ids[2])
	f.del(t, f.a, f.leadsA, u, 100) // nothing: no notification
	msgs, err := f.st.ClaimNotices(ctx, "d1", 1000, 2000, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1 (channel 1 only): %+v", len(msgs), msgs)
	}
	m := msgs[0]
	want := []string{ids[0].String(), ids[2].String()}
	slices.Sort(m.IDs)
	if m.OrgID != f.a.Org.ID || m.ChannelID != 1 || m.Operation != crmd.OpDelete || m.Module != "Leads" || !slices.Equal(m.IDs, want) || m.Attempt != 1 {
		t.Errorf("message %+v, want Acme's channel 1, delete of %v", m, want)
	}
	if m.Channel == nil || m.ChannelGone {
		t.Errorf("channel %+v gone %v", m.Channel, m.ChannelGone)
	}
}

// TestClaimNoticesOrderAndLeases: only a channel's oldest pending message is claimable, a leased one is
// not claimed again until its lease ends, a retry waits for its time, and a deliverer whose lease was
// taken over cannot finish the message.
func TestClaimNoticesOrderAndLeases(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	u := f.a.Admin
	ids := f.add(t, f.a, f.leadsA, u, "Ada", "Bob", "Cy")
	f.saveChannel(t, f.a.Org.ID, 7, 1<<50, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventDelete})
	f.saveChannel(t, f.a.Org.ID, 8, 1<<50, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventDelete})
	for i, id := range ids {
		f.del(t, f.a, f.leadsA, u, int64(100+i), id)
	}
	claim := func(owner string, now int64) []*store.Message {
		t.Helper()
		msgs, err := f.st.ClaimNotices(ctx, owner, now, now+1000, 10)
		if err != nil {
			t.Fatal(err)
		}
		return msgs
	}
	first := claim("d1", 1000)
	if len(first) != 2 || first[0].IDs[0] != ids[0].String() || first[1].IDs[0] != ids[0].String() {
		t.Fatalf("first claim: %+v, want the first delete for channels 7 and 8", first)
	}
	if again := claim("d2", 1500); len(again) != 0 {
		t.Fatalf("leased heads claimed again: %+v", again)
	}
	// Channel 7's head is delivered; channel 8's fails and is retried at 5000.
	if ok, err := f.st.FinishNotice(ctx, first[0], store.Attempt{Time: 1000, Outcome: "delivered", StatusCode: 200}, store.NoticeDelivered, 0); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ok, err := f.st.FinishNotice(ctx, first[1], store.Attempt{Time: 1000, Outcome: "retry", StatusCode: 503}, store.NoticePending, 5000); err != nil || !ok {
		t.Fatal(ok, err)
	}
	next := claim("d2", 1600)
	if len(next) != 1 || next[0].ChannelID != 7 || next[0].IDs[0] != ids[1].String() {
		t.Fatalf("after delivery: %+v, want channel 7's second message only (8 waits for its retry)", next)
	}
	// d2 dies holding channel 7's message; at 3000 its lease (until 2600) is over and d3 takes it over.
	over := claim("d3", 3000)
	if len(over) != 1 || over[0].ID != next[0].ID || over[0].Attempt != 2 {
		t.Fatalf("take-over: %+v", over)
	}
	if ok, err := f.st.FinishNotice(ctx, next[0], store.Attempt{Time: 3100, Outcome: "delivered"}, store.NoticeDelivered, 0); err != nil || ok {
		t.Fatalf("the dead deliverer finished a message taken over: %v %v", ok, err)
	}
	if ok, err := f.st.FinishNotice(ctx, over[0], store.Attempt{Time: 3100, Outcome: "delivered"}, store.NoticeDelivered, 0); err != nil || !ok {
		t.Fatalf("the new holder could not finish: %v %v", ok, err)
	}
	retry := claim("d4", 6000)
	if len(retry) != 2 || retry[0].ChannelID != 8 || retry[0].IDs[0] != ids[0].String() || retry[0].Attempt != 2 ||
		retry[1].ChannelID != 7 || retry[1].IDs[0] != ids[2].String() {
		t.Fatalf("retry due: %+v, want channel 8's first message (attempt 2) and channel 7's third", retry)
	}
	atts, err := f.st.Attempts(ctx, store.AttemptQuery{OrgID: f.a.Org.ID, ChannelID: 8})
	if err != nil || len(atts) != 1 || atts[0].StatusCode != 503 || atts[0].Outcome != "retry" || atts[0].Module != "Leads" || atts[0].Operation != "delete" {
		t.Fatalf("attempts of channel 8: %+v %v", atts, err)
	}
	if other, err := f.st.Attempts(ctx, store.AttemptQuery{OrgID: f.b.Org.ID}); err != nil || len(other) != 0 {
		t.Fatalf("Beta sees Acme's attempts: %+v %v", other, err)
	}
}

// TestDeleteChannelDropsPending: deleting a channel drops its undelivered messages in the same
// transaction, and a message whose channel expired is claimed only to be dropped.
func TestDeleteChannelDropsPending(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	u := f.a.Admin
	ids := f.add(t, f.a, f.leadsA, u, "Ada", "Bob")
	f.saveChannel(t, f.a.Org.ID, 1, 1<<50, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventDelete})
	f.saveChannel(t, f.a.Org.ID, 2, 500, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventDelete})
	f.del(t, f.a, f.leadsA, u, 100, ids...)
	f.tx(t, func(tx *store.Tx) error {
		gone, err := f.st.DeleteChannels(ctx, tx, f.a.Org.ID, []int64{1, 99}, 200)
		if err == nil && !slices.Equal(gone, []int64{1}) {
			t.Errorf("deleted %v, want [1]", gone)
		}
		return err
	})
	msgs, err := f.st.ClaimNotices(ctx, "d", 1000, 2000, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].ChannelID != 2 || !msgs[0].ChannelGone {
		t.Fatalf("claimed %+v, want channel 2's message, its channel expired", msgs)
	}
	if n, err := f.st.PendingNotices(ctx); err != nil || n != 1 {
		t.Fatalf("pending %d %v, want 1 (channel 2's, until the deliverer drops it)", n, err)
	}
}

// TestSaveChannelRace: processes saving one new channel at once all succeed (the last one's settings
// stand) and leave one channel with one set of events — no duplicate key, no lost event rows.
func TestSaveChannelRace(t *testing.T) {
	stores, org, admin := raceOrg(t)
	leads, err := stores[0].Module(context.Background(), org.ID, "Leads")
	if err != nil || leads == nil {
		t.Fatal(leads, err)
	}
	const n = 8
	errs := make([]error, n)
	crmdtest.Race(n, func(i int) {
		st := stores[i%2]
		ch := &crmd.Channel{OrgID: org.ID, ChannelID: 42, NotifyURL: fmt.Sprintf("http://example.com/%d", i), Expiry: 1 << 50,
			APIVersion: 80, CreatedBy: admin.ID, CreatedTime: 1, ModifiedTime: 1,
			Events: []crmd.ChannelEvent{{ModuleID: leads.ID, Operation: crmd.EventDelete}, {ModuleID: leads.ID, Operation: crmd.EventCreate}}}
		errs[i] = st.Tx(context.Background(), func(tx *store.Tx) error { return st.SaveChannel(context.Background(), tx, ch) })
	})
	for i, err := range errs {
		if err != nil && !store.IsBusy(err) {
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	chans, err := stores[0].Channels(context.Background(), store.ChannelQuery{OrgID: org.ID})
	if err != nil || len(chans) != 1 || len(chans[0].Events) != 2 {
		t.Fatalf("channels %+v %v, want one with 2 events", chans, err)
	}
}

// TestFinishAndClaim: recording a delivery (a run of one) leases the channel's next due message in the same
// transaction — never another channel's, never after a retry (the channel waits behind it), never when
// the lease was lost.
func TestFinishAndClaim(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	u := f.a.Admin
	ids := f.add(t, f.a, f.leadsA, u, "Ada", "Bob", "Cy")
	f.saveChannel(t, f.a.Org.ID, 1, 1<<50, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventDelete})
	f.saveChannel(t, f.a.Org.ID, 2, 1<<50, crmd.ChannelEvent{ModuleID: f.accA.ID, Operation: crmd.EventDelete})
	acc := f.add(t, f.a, f.accA, u, "Acme Inc")
	for i, id := range ids {
		f.del(t, f.a, f.leadsA, u, int64(100+i), id)
	}
	f.del(t, f.a, f.accA, u, 200, acc[0])
	msgs, err := f.st.ClaimNotices(ctx, "d1", 1000, 2000, 1)
	if err != nil || len(msgs) != 1 || msgs[0].ChannelID != 1 {
		t.Fatalf("claim: %+v %v", msgs, err)
	}
	chain := &store.Chain{Now: 1000, LeaseUntil: 2000, N: 1}
	// finish records one attempt as a run of one and returns what the run's record claimed.
	finish := func(m *store.Message, a store.Attempt, status string, next int64, c *store.Chain) (bool, *store.Message, error) {
		kept, claimed, err := f.st.FinishRun(ctx, []store.Done{{M: m, A: a, Status: status, Next: next}}, nil, c)
		if err != nil || len(claimed) == 0 {
			return err == nil && kept[0], nil, err
		}
		return kept[0], claimed[0], nil
	}
	kept, next, err := finish(msgs[0], store.Attempt{Time: 1000, Outcome: "delivered"}, store.NoticeDelivered, 0, chain)
	if err != nil || !kept || next == nil || next.ChannelID != 1 || next.IDs[0] != ids[1].String() || next.LeaseOwner != "d1" {
		t.Fatalf("after a delivery: kept %v next %+v %v, want channel 1's second message", kept, next, err)
	}
	// A retry of the second claims nothing: the third waits behind it.
	kept, after, err := finish(next, store.Attempt{Time: 1000, Outcome: "retry"}, store.NoticePending, 1500, chain)
	if err != nil || !kept || after != nil {
		t.Fatalf("after a retry: kept %v next %+v %v, want nothing", kept, after, err)
	}
	// Another deliverer holds the second message now (claimed at 1600); d1's stale copy finishes
	// nothing and claims nothing.
	again, err := f.st.ClaimNotices(ctx, "d2", 1600, 2600, 10)
	if err != nil || len(again) != 2 {
		t.Fatalf("claim at 1600: %+v %v", again, err)
	}
	kept, stale, err := finish(next, store.Attempt{Time: 1700, Outcome: "delivered"}, store.NoticeDelivered, 0, &store.Chain{Now: 1700, LeaseUntil: 2700, N: 1})
	if err != nil || kept || stale != nil {
		t.Fatalf("lost lease: kept %v next %+v %v", kept, stale, err)
	}
}

// TestPruneNotices: finished messages and their attempts older than the cut-off go; a pending message
// and its attempts stay however old they are (it has yet to be delivered, and they say why not).
func TestPruneNotices(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	u := f.a.Admin
	ids := f.add(t, f.a, f.leadsA, u, "Ada", "Bob")
	f.saveChannel(t, f.a.Org.ID, 1, 1<<50, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventDelete})
	f.saveChannel(t, f.a.Org.ID, 2, 1<<50, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventDelete})
	f.del(t, f.a, f.leadsA, u, 100, ids[0])
	msgs, err := f.st.ClaimNotices(ctx, "d", 1000, 2000, 10)
	if err != nil || len(msgs) != 2 {
		t.Fatal(msgs, err)
	}
	if _, err := f.st.FinishNotice(ctx, msgs[0], store.Attempt{Time: 1000, Outcome: "delivered"}, store.NoticeDelivered, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.FinishNotice(ctx, msgs[1], store.Attempt{Time: 1000, Outcome: "retry"}, store.NoticePending, 1<<50); err != nil {
		t.Fatal(err)
	}
	n, err := f.st.PruneNotices(ctx, 5000)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d %v, want the delivered message", n, err)
	}
	if p, err := f.st.PendingNotices(ctx); err != nil || p != 1 {
		t.Fatalf("pending %d %v, want the retried one kept", p, err)
	}
	if atts, err := f.st.Attempts(ctx, store.AttemptQuery{OrgID: f.a.Org.ID}); err != nil || len(atts) != 1 || atts[0].ChannelID != 2 {
		t.Fatalf("attempts %+v %v, want only the pending message's", atts, err)
	}
}

// TestFinishRun: a run of one channel's messages is recorded in one transaction; the messages a retry
// left unattempted get their leases back without counting an attempt; and a clean run leases the
// channel's next messages — its head and those after it, in order, N at most.
func TestFinishRun(t *testing.T) {
	f := newBinFixture(t)
	ctx := context.Background()
	u := f.a.Admin
	ids := f.add(t, f.a, f.leadsA, u, "A", "B", "C", "D", "E", "F")
	f.saveChannel(t, f.a.Org.ID, 1, 1<<50, crmd.ChannelEvent{ModuleID: f.leadsA.ID, Operation: crmd.EventDelete})
	for i, id := range ids {
		f.del(t, f.a, f.leadsA, u, int64(100+i), id)
	}
	head, err := f.st.ClaimNotices(ctx, "d", 1000, 9000, 1)
	if err != nil || len(head) != 1 {
		t.Fatal(head, err)
	}
	ok := func(m *store.Message) store.Done {
		return store.Done{M: m, A: store.Attempt{Time: 1000, Outcome: "delivered"}, Status: store.NoticeDelivered}
	}
	kept, run, err := f.st.FinishRun(ctx, []store.Done{ok(head[0])}, nil, &store.Chain{Now: 1000, LeaseUntil: 9000, N: 3})
	if err != nil || !kept[0] || len(run) != 3 {
		t.Fatalf("kept %v run %d %v, want the next 3", kept, len(run), err)
	}
	for i, m := range run {
		if m.IDs[0] != ids[1+i].String() || m.Attempt != 1 || m.LeaseOwner != "d" {
			t.Fatalf("run[%d] %+v, want the message of %s", i, m, ids[1+i])
		}
	}
	// run[0] delivered, run[1] to be retried, run[2] left: it is given back, its claim not counted.
	retry := store.Done{M: run[1], A: store.Attempt{Time: 1000, Outcome: "retry", StatusCode: 503}, Status: store.NoticePending, Next: 5000}
	kept, more, err := f.st.FinishRun(ctx, []store.Done{ok(run[0]), retry}, run[2:], &store.Chain{Now: 1000, LeaseUntil: 9000, N: 3})
	if err != nil || !kept[0] || !kept[1] || len(more) != 0 {
		t.Fatalf("kept %v more %+v %v, want nothing claimed behind a retry", kept, more, err)
	}
	if again, err := f.st.ClaimNotices(ctx, "e", 2000, 9000, 10); err != nil || len(again) != 0 {
		t.Fatalf("claimed %+v %v while the channel's head waits for its retry", again, err)
	}
	// At 6000 the retry is due: it is the head again, its attempt number 2; the one given back follows
	// it, its first attempt.
	due, err := f.st.ClaimNotices(ctx, "e", 6000, 9000, 10)
	if err != nil || len(due) != 1 || due[0].ID != run[1].ID || due[0].Attempt != 2 {
		t.Fatalf("at 6000: %+v %v", due, err)
	}
	_, next, err := f.st.FinishRun(ctx, []store.Done{ok(due[0])}, nil, &store.Chain{Now: 6000, LeaseUntil: 9000, N: 10})
	if err != nil || len(next) != 3 || next[0].ID != run[2].ID || next[0].Attempt != 1 {
		t.Fatalf("after the retry: %+v %v, want the given-back message first, attempt 1, and the 2 after it", next, err)
	}
}
