// Package notify holds the rules of Zoho's Notifications API (docs/notifications.md): the channels
// an org's integrations subscribe, with the modules and events each watches. What a committed change
// owes its watchers is written to the outbox by the change's own transaction (store.EnqueueNotice);
// package webhook delivers it.
//
// The HTTP layer decodes each `watch` object into a Spec (types, shapes and the notification
// condition's structure are its business) and passes the version's limits as Options; this package
// applies the rules that need the org's data or the clock: modules and fields by name, the channel's
// existence, expiry, and what each method keeps or replaces. Channels belong to one org: every read and
// write is keyed by (org, channel_id), so two orgs may use the same channel_id without meeting.
package notify

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// DefaultExpiry is a channel's life when channel_expiry is absent or beyond the version's maximum
// (Zoho: "If it is not specified or set for more than a week, the default expiry time is for one hour").
const DefaultExpiry = time.Hour

// MaxTokenLength is the longest token Zoho accepts ("The maximum character length is 50").
const MaxTokenLength = 50

// MaxConditionFields is the most fields one field_selection may name, however grouped.
const MaxConditionFields = 10

// Zoho's messages for the channels API's answers.
const (
	MsgNotSubscribed = "Not subscribed for actions-watch of the given channel"
)

// Options are what the request's API version allows, decided by the HTTP layer.
type Options struct {
	// MaxExpiry is the version's longest channel_expiry (one day in v2–v3, one week from v4).
	MaxExpiry time.Duration
	// Visible reports whether a module exists in the request's version (nil: every module). A module
	// that is not API-supported is refused whatever Visible says.
	Visible func(*crmd.Module) bool
	// APIVersion is the number the HTTP layer gives a new channel's APIVersion (its callbacks'
	// resource_uri names that version); opaque here.
	APIVersion int
}

// Ref names a module or a field by API name and/or id, as a notification_condition does.
type Ref struct {
	APIName string  // "" = not given
	ID      crmd.ID // 0 = not given
	// Path is the JSON path of the object holding api_name and id, for errors.
	Path string
}

// Selection is a notification_condition's field_selection as given: a leaf naming a field, or a group
// of selections joined by Operator. Its structure was checked by the HTTP layer.
type Selection struct {
	Field    *Ref // a leaf
	Operator string
	Group    []Selection
}

// Condition is one notification_condition element: the module it narrows and its field selection.
type Condition struct {
	Module    Ref
	Selection Selection
	Path      string // $.watch[i].notification_condition[j]
}

// Spec is one `watch` object of a request. A nil pointer (or nil Events) is a key the request did not
// give, which matters to PATCH: it keeps what the channel had.
type Spec struct {
	// Pos is the object's index in the request's watch array; errors name it in their json_path.
	Pos           int
	ChannelID     int64 // 0 = not given
	NotifyURL     *string
	Token         *string
	Expiry        *time.Time
	RelatedAction *bool // notify_on_related_action
	ReturnValues  *bool // return_affected_field_values
	// Events are "Module.operation" strings as given; nil = not given.
	Events []string
	// Conditions is notification_condition; HasConditions tells an absent key (keep, on PATCH) from an
	// empty or null one (no condition).
	Conditions    []Condition
	HasConditions bool
	// DeleteEvents is "_delete_events": true — a PATCH that unsubscribes Events instead of adding them.
	DeleteEvents bool
}

func (sp *Spec) path(key string) string { return fmt.Sprintf("$.watch[%d].%s", sp.Pos, key) }

// Subscribed is what a POST, PUT or PATCH did to one channel: the channel as saved, and the modules
// its answer lists (the channel's modules; for an unsubscribe, the modules named).
type Subscribed struct {
	Channel *crmd.Channel
	Modules []*crmd.Module
	// Removed: the entry is an unsubscribe (no channel_expiry in its answer); Deleted: the channel
	// was left with no events and is gone.
	Removed, Deleted bool
}

// Unsubscribed is one (channel, module) a DELETE disabled.
type Unsubscribed struct {
	ChannelID int64
	Module    *crmd.Module
}

// Service keeps an org's notification channels.
type Service struct {
	st *store.Store
}

// New returns the channels service on st.
func New(st *store.Store) *Service { return &Service{st: st} }

func invalid(api, path string, extra crmd.D) *crmd.Error {
	d := crmd.D{"api_name": api, "json_path": path}
	for k, v := range extra {
		d[k] = v
	}
	return crmd.E("INVALID_DATA", crmd.MsgInvalidData, d)
}

func mandatory(api, path string) *crmd.Error {
	return crmd.E("MANDATORY_NOT_FOUND", crmd.MsgRequiredField, crmd.D{"api_name": api, "json_path": path})
}

// ErrNotSubscribed is the answer for a channel the org does not have.
func ErrNotSubscribed(channelID int64) *crmd.Error {
	return crmd.E("NOT_SUBSCRIBED", MsgNotSubscribed, crmd.D{"channel_id": fmt.Sprint(channelID)})
}

// Enable serves POST: each spec creates its channel, or — Zoho's documented way to extend a channel —
// replaces the settings and events of the org's existing channel with that id and renews its expiry.
func (s *Service) Enable(ctx context.Context, c *crmd.Caller, specs []Spec, o Options) ([]crmd.Result[*Subscribed], error) {
	return s.write(ctx, c, specs, o, func(ctx context.Context, tx *store.Tx, sp *Spec, now int64) (*Subscribed, *crmd.Error, error) {
		return s.save(ctx, tx, c, sp, o, now, nil)
	})
}

// Replace serves PUT: the org's existing channel takes exactly the settings given; keys left out go
// back to their defaults. A channel the org does not have is NOT_SUBSCRIBED.
func (s *Service) Replace(ctx context.Context, c *crmd.Caller, specs []Spec, o Options) ([]crmd.Result[*Subscribed], error) {
	return s.write(ctx, c, specs, o, func(ctx context.Context, tx *store.Tx, sp *Spec, now int64) (*Subscribed, *crmd.Error, error) {
		old, cerr, err := s.existing(ctx, tx, c, sp)
		if cerr != nil || err != nil {
			return nil, cerr, err
		}
		return s.save(ctx, tx, c, sp, o, now, old)
	})
}

// Patch serves PATCH: without DeleteEvents it changes only the keys given (events given are added to
// the channel's; conditions given replace those of their modules); with DeleteEvents it unsubscribes
// the events named, and deletes a channel left with none.
func (s *Service) Patch(ctx context.Context, c *crmd.Caller, specs []Spec, o Options) ([]crmd.Result[*Subscribed], error) {
	return s.write(ctx, c, specs, o, func(ctx context.Context, tx *store.Tx, sp *Spec, now int64) (*Subscribed, *crmd.Error, error) {
		old, cerr, err := s.existing(ctx, tx, c, sp)
		if cerr != nil || err != nil {
			return nil, cerr, err
		}
		if sp.DeleteEvents {
			return s.unsubscribe(ctx, tx, c, sp, o, now, old)
		}
		return s.patch(ctx, tx, c, sp, o, now, old)
	})
}

// existing reads, locked until tx ends, the org's channel a PUT or PATCH spec names: MANDATORY_NOT_FOUND
// without a channel_id, NOT_SUBSCRIBED when the org has no such channel.
func (s *Service) existing(ctx context.Context, tx *store.Tx, c *crmd.Caller, sp *Spec) (*crmd.Channel, *crmd.Error, error) {
	if sp.ChannelID == 0 {
		return nil, mandatory("channel_id", sp.path("channel_id")), nil
	}
	old, err := s.channel(ctx, tx, c.Org.ID, sp.ChannelID)
	if err != nil {
		return nil, nil, err
	}
	if old == nil {
		return nil, ErrNotSubscribed(sp.ChannelID), nil
	}
	return old, nil, nil
}

type itemFn func(ctx context.Context, tx *store.Tx, sp *Spec, now int64) (*Subscribed, *crmd.Error, error)

// write runs every spec in one transaction, in input order: a spec's refusal is its own result and
// does not undo the others; an internal error undoes them all.
func (s *Service) write(ctx context.Context, c *crmd.Caller, specs []Spec, o Options, fn itemFn) ([]crmd.Result[*Subscribed], error) {
	out := make([]crmd.Result[*Subscribed], len(specs))
	now := s.st.NowMS()
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		for i := range specs {
			v, cerr, err := fn(ctx, tx, &specs[i], now)
			if err != nil {
				return err
			}
			if cerr != nil {
				out[i] = crmd.Failed[*Subscribed](cerr)
			} else {
				out[i] = crmd.Result[*Subscribed]{Value: v}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) channel(ctx context.Context, tx *store.Tx, org crmd.ID, id int64) (*crmd.Channel, error) {
	chans, err := s.st.Channels(ctx, store.ChannelQuery{OrgID: org, ChannelID: id, Tx: tx, Lock: true})
	if err != nil || len(chans) == 0 {
		return nil, err
	}
	return chans[0], nil
}

// save writes a whole channel from sp (POST, PUT): every key absent from sp takes its default. old is
// the channel PUT replaces (nil for POST, which looks it up itself).
func (s *Service) save(ctx context.Context, tx *store.Tx, c *crmd.Caller, sp *Spec, o Options, now int64, old *crmd.Channel) (*Subscribed, *crmd.Error, error) {
	if sp.ChannelID == 0 {
		return nil, mandatory("channel_id", sp.path("channel_id")), nil
	}
	if sp.Events == nil {
		return nil, mandatory("events", sp.path("events")), nil
	}
	if sp.NotifyURL == nil {
		return nil, mandatory("notify_url", sp.path("notify_url")), nil
	}
	if e := checkToken(sp); e != nil {
		return nil, e, nil
	}
	expiry, e := effectiveExpiry(sp, o, now)
	if e != nil {
		return nil, e, nil
	}
	events, mods, e, err := s.events(ctx, c, sp, o)
	if e != nil || err != nil {
		return nil, e, err
	}
	if sp.HasConditions {
		if e, err := s.applyConditions(ctx, c, sp, o, events); e != nil || err != nil {
			return nil, e, err
		}
	}
	ch := &crmd.Channel{OrgID: c.Org.ID, ChannelID: sp.ChannelID, NotifyURL: *sp.NotifyURL, Expiry: expiry,
		RelatedAction: true, ReturnValues: false, Events: events, CreatedBy: c.User.ID, CreatedTime: now, ModifiedTime: now}
	if sp.Token != nil {
		ch.Token = *sp.Token
	}
	if sp.RelatedAction != nil {
		ch.RelatedAction = *sp.RelatedAction
	}
	if sp.ReturnValues != nil {
		ch.ReturnValues = *sp.ReturnValues
	}
	ch.APIVersion = o.APIVersion
	if old != nil {
		ch.CreatedBy, ch.CreatedTime, ch.APIVersion = old.CreatedBy, old.CreatedTime, old.APIVersion
	}
	return s.saveAnswer(ctx, tx, ch, mods)
}

// saveAnswer saves ch (new or not) and answers with its modules.
func (s *Service) saveAnswer(ctx context.Context, tx *store.Tx, ch *crmd.Channel, mods []*crmd.Module) (*Subscribed, *crmd.Error, error) {
	if err := s.st.SaveChannel(ctx, tx, ch); err != nil {
		return nil, nil, err
	}
	return &Subscribed{Channel: ch, Modules: mods}, nil, nil
}

// patch changes only the keys sp gives.
func (s *Service) patch(ctx context.Context, tx *store.Tx, c *crmd.Caller, sp *Spec, o Options, now int64, old *crmd.Channel) (*Subscribed, *crmd.Error, error) {
	if e := checkToken(sp); e != nil {
		return nil, e, nil
	}
	ch := *old
	ch.ModifiedTime = now
	if sp.Expiry != nil {
		exp, e := effectiveExpiry(sp, o, now)
		if e != nil {
			return nil, e, nil
		}
		ch.Expiry = exp
	}
	if sp.NotifyURL != nil {
		ch.NotifyURL = *sp.NotifyURL
	}
	if sp.Token != nil {
		ch.Token = *sp.Token
	}
	if sp.RelatedAction != nil {
		ch.RelatedAction = *sp.RelatedAction
	}
	if sp.ReturnValues != nil {
		ch.ReturnValues = *sp.ReturnValues
	}
	events := append([]crmd.ChannelEvent(nil), old.Events...)
	if sp.Events != nil {
		added, _, e, err := s.events(ctx, c, sp, o)
		if e != nil || err != nil {
			return nil, e, err
		}
		// A module's condition is the module's, whichever events carry it.
		conds := map[crmd.ID]*crmd.FieldSelection{}
		for _, ev := range events {
			conds[ev.ModuleID] = ev.Condition
		}
		for _, ev := range added {
			ev.Condition = conds[ev.ModuleID]
			events = append(events, ev)
		}
		events = normalize(events)
	}
	if sp.HasConditions {
		if len(sp.Conditions) == 0 {
			for i := range events {
				events[i].Condition = nil
			}
		} else if e, err := s.applyConditions(ctx, c, sp, o, events); e != nil || err != nil {
			return nil, e, err
		}
	}
	ch.Events = events
	mods, err := s.modulesOf(ctx, c.Org.ID, events)
	if err != nil {
		return nil, nil, err
	}
	return s.saveAnswer(ctx, tx, &ch, mods)
}

// unsubscribe removes the events sp names from old (PATCH with _delete_events). Events the channel does
// not watch are no error: what is asked not to be notified is not notified.
func (s *Service) unsubscribe(ctx context.Context, tx *store.Tx, c *crmd.Caller, sp *Spec, o Options, now int64, old *crmd.Channel) (*Subscribed, *crmd.Error, error) {
	if sp.Events == nil {
		return nil, mandatory("events", sp.path("events")), nil
	}
	drop, mods, e, err := s.events(ctx, c, sp, o)
	if e != nil || err != nil {
		return nil, e, err
	}
	// Expand every "all" into its three events, so that removing one of them leaves the other two.
	type key struct {
		mod crmd.ID
		op  string
	}
	left := map[key]crmd.ChannelEvent{}
	for _, ev := range old.Events {
		for _, op := range expand(ev.Operation) {
			e := ev
			e.Operation = op
			left[key{ev.ModuleID, op}] = e
		}
	}
	for _, d := range drop {
		for _, op := range expand(d.Operation) {
			delete(left, key{d.ModuleID, op})
		}
	}
	ch := *old
	ch.ModifiedTime = now
	ch.Events = nil
	for _, ev := range left {
		ch.Events = append(ch.Events, ev)
	}
	ch.Events = normalize(ch.Events)
	res := &Subscribed{Channel: &ch, Modules: mods, Removed: true}
	if len(ch.Events) == 0 {
		if _, err := s.st.DeleteChannels(ctx, tx, c.Org.ID, []int64{ch.ChannelID}, now); err != nil {
			return nil, nil, err
		}
		res.Deleted = true
		return res, nil, nil
	}
	if err := s.st.SaveChannel(ctx, tx, &ch); err != nil {
		return nil, nil, err
	}
	return res, nil, nil
}

// expand is the events an operation stands for.
func expand(op string) []string {
	if op == crmd.EventAll {
		return []string{crmd.EventCreate, crmd.EventEdit, crmd.EventDelete}
	}
	return []string{op}
}

// normalize sorts events by module and operation, drops duplicates, and folds a module's create, edit
// and delete into "all" (and anything beside "all" into it), so that a channel stores each event once.
func normalize(evs []crmd.ChannelEvent) []crmd.ChannelEvent {
	type acc struct {
		first crmd.ChannelEvent
		ops   map[string]bool
	}
	by := map[crmd.ID]*acc{}
	var order []crmd.ID
	for _, ev := range evs {
		a := by[ev.ModuleID]
		if a == nil {
			a = &acc{first: ev, ops: map[string]bool{}}
			by[ev.ModuleID] = a
			order = append(order, ev.ModuleID)
		}
		if ev.Condition != nil {
			a.first.Condition = ev.Condition
		}
		for _, op := range expand(ev.Operation) {
			a.ops[op] = true
		}
	}
	var out []crmd.ChannelEvent
	for _, id := range order {
		a := by[id]
		ops := []string{crmd.EventCreate, crmd.EventDelete, crmd.EventEdit}
		if a.ops[crmd.EventCreate] && a.ops[crmd.EventEdit] && a.ops[crmd.EventDelete] {
			ops = []string{crmd.EventAll}
		}
		for _, op := range ops {
			if op == crmd.EventAll || a.ops[op] {
				e := a.first
				e.Operation = op
				out = append(out, e)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Module < out[j].Module })
	return out
}

func checkToken(sp *Spec) *crmd.Error {
	if sp.Token != nil && len([]rune(*sp.Token)) > MaxTokenLength {
		return invalid("token", sp.path("token"), crmd.D{"maximum_length": MaxTokenLength})
	}
	return nil
}

// effectiveExpiry is the expiry a channel gets: DefaultExpiry from now when none is given or the one
// given is beyond the version's maximum (Zoho's rule); a time not in the future is refused, since a
// channel that expired at birth would silently receive nothing (crmd's choice: Zoho is silent).
func effectiveExpiry(sp *Spec, o Options, now int64) (int64, *crmd.Error) {
	def := now + DefaultExpiry.Milliseconds()
	if sp.Expiry == nil {
		return def, nil
	}
	at := sp.Expiry.UnixMilli()
	if at <= now {
		return 0, invalid("channel_expiry", sp.path("channel_expiry"), crmd.D{"reason": "the expiry is not in the future"})
	}
	if o.MaxExpiry > 0 && at > now+o.MaxExpiry.Milliseconds() {
		return def, nil
	}
	return at, nil
}

// events resolves sp.Events to the channel's events (normalized) and the modules they name, in the
// order first named.
func (s *Service) events(ctx context.Context, c *crmd.Caller, sp *Spec, o Options) ([]crmd.ChannelEvent, []*crmd.Module, *crmd.Error, error) {
	if len(sp.Events) == 0 {
		return nil, nil, invalid("events", sp.path("events"), crmd.D{"reason": "no event given"}), nil
	}
	var evs []crmd.ChannelEvent
	var mods []*crmd.Module
	seen := map[crmd.ID]bool{}
	for j, raw := range sp.Events {
		path := fmt.Sprintf("%s[%d]", sp.path("events"), j)
		dot := strings.LastIndexByte(raw, '.')
		if dot <= 0 {
			return nil, nil, invalid("events", path, nil), nil
		}
		op := strings.ToLower(raw[dot+1:])
		switch op {
		case crmd.EventAll, crmd.EventCreate, crmd.EventEdit, crmd.EventDelete:
		default:
			return nil, nil, invalid("events", path, crmd.D{"supported_values": []string{"all", "create", "edit", "delete"}}), nil
		}
		m, err := s.module(ctx, c.Org.ID, raw[:dot], o)
		if err != nil {
			return nil, nil, nil, err
		}
		if m == nil {
			return nil, nil, invalid("events", path, nil), nil
		}
		evs = append(evs, crmd.ChannelEvent{ModuleID: m.ID, Module: m.APIName, Operation: op})
		if !seen[m.ID] {
			seen[m.ID] = true
			mods = append(mods, m)
		}
	}
	return normalize(evs), mods, nil, nil
}

// module resolves a module name of an event, case-insensitively; nil when the org has none that the
// API serves in this version.
func (s *Service) module(ctx context.Context, org crmd.ID, name string, o Options) (*crmd.Module, error) {
	m, err := s.st.Module(ctx, org, name)
	if err != nil || m == nil {
		return nil, err
	}
	if !m.APISupported || (o.Visible != nil && !o.Visible(m)) {
		return nil, nil
	}
	return m, nil
}

func (s *Service) modulesOf(ctx context.Context, org crmd.ID, evs []crmd.ChannelEvent) ([]*crmd.Module, error) {
	byID, err := s.st.ModulesByID(ctx, org)
	if err != nil {
		return nil, err
	}
	var mods []*crmd.Module
	seen := map[crmd.ID]bool{}
	for _, ev := range evs {
		if m := byID[ev.ModuleID]; m != nil && !seen[m.ID] {
			seen[m.ID] = true
			mods = append(mods, m)
		}
	}
	return mods, nil
}

// applyConditions resolves sp.Conditions and sets each on every event of its module in evs. A
// condition's module must be one the channel watches, and at most one condition may name a module.
func (s *Service) applyConditions(ctx context.Context, c *crmd.Caller, sp *Spec, o Options, evs []crmd.ChannelEvent) (*crmd.Error, error) {
	byID, err := s.st.ModulesByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	done := map[crmd.ID]bool{}
	for _, cond := range sp.Conditions {
		m, e, err := s.resolveModule(ctx, c.Org.ID, cond.Module, byID, o)
		if e != nil || err != nil {
			return e, err
		}
		watched := false
		for _, ev := range evs {
			watched = watched || ev.ModuleID == m.ID
		}
		if !watched || done[m.ID] {
			reason := "the channel's events do not name the module"
			if done[m.ID] {
				reason = "another condition names the module"
			}
			return invalid("module", cond.Path+".module", crmd.D{"reason": reason}), nil
		}
		done[m.ID] = true
		sel, e := resolveSelection(m, cond.Selection)
		if e != nil {
			return e, nil
		}
		for i := range evs {
			if evs[i].ModuleID == m.ID {
				evs[i].Condition = sel
			}
		}
	}
	return nil, nil
}

func (s *Service) resolveModule(ctx context.Context, org crmd.ID, r Ref, byID map[crmd.ID]*crmd.Module, o Options) (*crmd.Module, *crmd.Error, error) {
	if r.APIName == "" && r.ID == 0 {
		return nil, expectedMissing(r.Path), nil
	}
	var byName, byNum *crmd.Module
	if r.APIName != "" {
		m, err := s.module(ctx, org, r.APIName, o)
		if err != nil {
			return nil, nil, err
		}
		if m == nil {
			return nil, invalid("api_name", r.Path+".api_name", nil), nil
		}
		byName = m
	}
	if r.ID != 0 {
		m := byID[r.ID]
		if m != nil && (!m.APISupported || (o.Visible != nil && !o.Visible(m))) {
			m = nil
		}
		if m == nil {
			return nil, invalid("id", r.Path+".id", nil), nil
		}
		byNum = m
	}
	if byName != nil && byNum != nil && byName.ID != byNum.ID {
		return nil, ambiguous(r.Path), nil
	}
	if byName != nil {
		return byName, nil, nil
	}
	return byNum, nil, nil
}

// resolveSelection turns a selection's field references into the module's field API names.
func resolveSelection(m *crmd.Module, sel Selection) (*crmd.FieldSelection, *crmd.Error) {
	if sel.Field != nil {
		r := *sel.Field
		if r.APIName == "" && r.ID == 0 {
			return nil, expectedMissing(r.Path)
		}
		var byName, byNum *crmd.Field
		if r.APIName != "" {
			if byName = m.Field(r.APIName); byName == nil {
				return nil, invalid("api_name", r.Path+".api_name", nil)
			}
		}
		if r.ID != 0 {
			for _, f := range m.Fields {
				if f.ID == r.ID {
					byNum = f
				}
			}
			if byNum == nil {
				return nil, invalid("id", r.Path+".id", nil)
			}
		}
		if byName != nil && byNum != nil && byName != byNum {
			return nil, ambiguous(r.Path)
		}
		f := byName
		if f == nil {
			f = byNum
		}
		return &crmd.FieldSelection{Field: f.APIName}, nil
	}
	out := &crmd.FieldSelection{Operator: sel.Operator}
	for _, g := range sel.Group {
		fs, e := resolveSelection(m, g)
		if e != nil {
			return nil, e
		}
		out.Group = append(out.Group, *fs)
	}
	return out, nil
}

func expectedMissing(path string) *crmd.Error {
	return crmd.E("EXPECTED_FIELD_MISSING", "Specify atleast one field", crmd.D{"expected_fields": []map[string]any{
		{"api_name": "api_name", "json_path": path + ".api_name"}, {"api_name": "id", "json_path": path + ".id"}}})
}

func ambiguous(path string) *crmd.Error {
	return crmd.E("AMBIGUITY_DURING_PROCESSING", "AMBIGUITY_DURING_PROCESSING", crmd.D{"ambiguity_due_to": []map[string]any{
		{"api_name": "api_name", "json_path": path + ".api_name"}, {"api_name": "id", "json_path": path + ".id"}}})
}

// Query selects channels for GET: all of the org's, one channel, or those watching one module; paged
// by (channel, module) entries, as Zoho lists them.
type Query struct {
	ChannelID     int64   // 0 = any
	ModuleID      crmd.ID // 0 = any
	Page, PerPage int
}

// Entry is one (channel, module) of a GET: the module's events of the channel.
type Entry struct {
	Channel *crmd.Channel
	Module  *crmd.Module
	Events  []crmd.ChannelEvent
}

// Page is one page of entries.
type Page struct {
	Entries []Entry
	More    bool
}

// Get lists the org's channels, one entry per channel and module, by channel id then module name.
// Expired channels are listed until they are deleted: GET is how a subscriber sees what it has.
func (s *Service) Get(ctx context.Context, c *crmd.Caller, q Query) (*Page, error) {
	chans, err := s.st.Channels(ctx, store.ChannelQuery{OrgID: c.Org.ID, ChannelID: q.ChannelID, ModuleID: q.ModuleID})
	if err != nil {
		return nil, err
	}
	byID, err := s.st.ModulesByID(ctx, c.Org.ID)
	if err != nil {
		return nil, err
	}
	var all []Entry
	for _, ch := range chans {
		var cur *Entry
		for _, ev := range ch.Events {
			if q.ModuleID != 0 && ev.ModuleID != q.ModuleID {
				continue
			}
			if cur == nil || cur.Module.ID != ev.ModuleID {
				m := byID[ev.ModuleID]
				if m == nil {
					continue
				}
				all = append(all, Entry{Channel: ch, Module: m})
				cur = &all[len(all)-1]
			}
			cur.Events = append(cur.Events, ev)
		}
	}
	page, per := max(q.Page, 1), q.PerPage
	if per <= 0 {
		per = 200
	}
	start := (page - 1) * per
	if start >= len(all) {
		return &Page{}, nil
	}
	end := min(start+per, len(all))
	return &Page{Entries: all[start:end], More: end < len(all)}, nil
}

// Disable serves DELETE: it removes the org's channels among ids, answering one result per channel
// and module it watched, and NOT_SUBSCRIBED for an id the org has no channel with.
func (s *Service) Disable(ctx context.Context, c *crmd.Caller, ids []int64) ([]crmd.Result[Unsubscribed], error) {
	var out []crmd.Result[Unsubscribed]
	now := s.st.NowMS()
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		out = out[:0]
		byID, err := s.st.ModulesByID(ctx, c.Org.ID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			ch, err := s.channel(ctx, tx, c.Org.ID, id)
			if err != nil {
				return err
			}
			if ch == nil {
				out = append(out, crmd.Failed[Unsubscribed](ErrNotSubscribed(id)))
				continue
			}
			if _, err := s.st.DeleteChannels(ctx, tx, c.Org.ID, []int64{id}, now); err != nil {
				return err
			}
			mods, err := s.modulesOf(ctx, c.Org.ID, ch.Events)
			if err != nil {
				return err
			}
			for _, m := range mods {
				if byID[m.ID] != nil {
					out = append(out, crmd.Result[Unsubscribed]{Value: Unsubscribed{ChannelID: id, Module: m}})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
