package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/crmd/crmd"
)

// Zoho's Notifications API (docs/notifications.md): channels, and the outbox of what they are to be
// told. A committed change of records writes its notifications in its own transaction (EnqueueNotice),
// so that a change and its notifications commit together or not at all; deliverers, in this process
// or any replica, claim them under leases (ClaimNotices) and record every attempt (FinishNotice).

// Outbox message statuses.
const (
	NoticePending   = "pending"
	NoticeDelivered = "delivered"
	NoticeFailed    = "failed"  // retried for as long as allowed, never answered with 2xx
	NoticeDropped   = "dropped" // its channel expired or was deleted before it was delivered
)

// AttemptRetry is the outcome of an attempt that failed and is to be made again; the other outcomes
// are the status the message ends in (NoticeDelivered, NoticeFailed, NoticeDropped).
const AttemptRetry = "retry"

// NoticeMaxIDs is the most record ids one callback names (Zoho documents no limit): a mass delete by
// ids (at most 500) and a default batch of a mass delete job are one callback each; a change of more
// records is told in several callbacks, in order.
const NoticeMaxIDs = 500

// Changed is what an edit changed in one record: the API names of the fields, and their new values
// (sent only to channels that asked for return_affected_field_values).
type Changed struct {
	Fields []string
	Values map[string]any
}

// Notice is one committed change of records of one module, as the channels watching it hear of it.
type Notice struct {
	OrgID, ModuleID crmd.ID
	Operation       string // crmd.OpInsert, OpUpdate or OpDelete
	IDs             []crmd.ID
	// Changed, for an update, is what changed in each record of IDs (same order).
	Changed []Changed
	At      int64 // Unix ms
}

// storedChange is one record's entry of an outbox message's affected column.
type storedChange struct {
	ID     string
	Fields []string
	Values map[string]any // nil unless the channel asked for return_affected_field_values
}

// watcher is one channel that watches a module's operation.
type watcher struct {
	channel      int64
	returnValues bool
	conds        []*crmd.FieldSelection // the conditions of its matching events; a nil one matches all
}

// EnqueueNotice writes, inside tx, the outbox messages of n for every unexpired channel of the org
// that watches n's module and operation: one message per channel and NoticeMaxIDs ids. An edit is told
// to a channel with a notification_condition only for the records whose changed fields satisfy it. With
// no channel watching, this costs one indexed read.
func (s *Store) EnqueueNotice(ctx context.Context, tx *Tx, n Notice) error {
	if len(n.IDs) == 0 {
		return nil
	}
	rows, err := tx.q.QueryContext(ctx, s.Q(`SELECT e.channel_id, e.cond, c.return_values FROM notify_events e
		JOIN notify_channels c ON c.org_id = e.org_id AND c.channel_id = e.channel_id
		WHERE e.org_id = ? AND e.module_id = ? AND e.operation IN (?, ?) AND c.expiry > ? ORDER BY e.channel_id`),
		int64(n.OrgID), int64(n.ModuleID), crmd.EventOperation(n.Operation), crmd.EventAll, n.At)
	if err != nil {
		return fmt.Errorf("enqueue notice: %w", err)
	}
	var ws []*watcher
	for rows.Next() {
		var ch int64
		var cond sql.NullString
		var rv int64
		if err := rows.Scan(&ch, &cond, &rv); err != nil {
			rows.Close()
			return fmt.Errorf("enqueue notice: %w", err)
		}
		sel, err := decodeCondition(cond)
		if err != nil {
			rows.Close()
			return fmt.Errorf("enqueue notice: channel %d: %w", ch, err)
		}
		if len(ws) == 0 || ws[len(ws)-1].channel != ch {
			ws = append(ws, &watcher{channel: ch, returnValues: rv != 0})
		}
		ws[len(ws)-1].conds = append(ws[len(ws)-1].conds, sel)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("enqueue notice: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("enqueue notice: %w", err)
	}
	if len(ws) == 0 {
		return nil
	}
	ins, err := tx.q.PrepareContext(ctx, s.Q(`INSERT INTO notify_outbox (org_id, channel_id, module_id, operation, ids,
		affected, created_time, next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return fmt.Errorf("enqueue notice: %w", err)
	}
	defer ins.Close()
	for _, w := range ws {
		ids, changes := w.pick(n)
		for start := 0; start < len(ids); start += NoticeMaxIDs {
			end := min(start+NoticeMaxIDs, len(ids))
			idsJSON, err := json.Marshal(ids[start:end])
			if err != nil {
				return err
			}
			var affected any
			if changes != nil {
				js, err := json.Marshal(changes[start:end])
				if err != nil {
					return fmt.Errorf("enqueue notice: %w", err)
				}
				affected = string(js)
			}
			if _, err := ins.ExecContext(ctx, int64(n.OrgID), w.channel, int64(n.ModuleID), n.Operation, string(idsJSON),
				affected, n.At, n.At); err != nil {
				return fmt.Errorf("enqueue notice: %w", err)
			}
		}
	}
	tx.noticed = true
	return nil
}

// pick returns the ids of n a watcher is told of (as strings, Zoho's form) and, for an update, what
// changed in each.
func (w *watcher) pick(n Notice) ([]string, []storedChange) {
	all := false
	for _, c := range w.conds {
		all = all || c == nil
	}
	ids := make([]string, 0, len(n.IDs))
	var changes []storedChange
	for i, id := range n.IDs {
		var ch Changed
		if n.Operation == crmd.OpUpdate && i < len(n.Changed) {
			ch = n.Changed[i]
		}
		if n.Operation == crmd.OpUpdate && !all {
			ok := false
			for _, c := range w.conds {
				ok = ok || c.Matches(ch.Fields)
			}
			if !ok {
				continue
			}
		}
		ids = append(ids, id.String())
		if n.Operation == crmd.OpUpdate {
			sc := storedChange{ID: id.String(), Fields: ch.Fields}
			if w.returnValues {
				sc.Values = ch.Values
			}
			changes = append(changes, sc)
		}
	}
	return ids, changes
}

func decodeCondition(cond sql.NullString) (*crmd.FieldSelection, error) {
	if !cond.Valid || cond.String == "" {
		return nil, nil
	}
	var sel crmd.FieldSelection
	if err := json.Unmarshal([]byte(cond.String), &sel); err != nil {
		return nil, fmt.Errorf("condition: %w", err)
	}
	return &sel, nil
}

// SaveChannel writes ch inside tx — a new channel, or new settings and events for an existing one —
// and, for an existing channel, drops its pending messages of events it no longer watches. One
// INSERT … ON CONFLICT, so that two requests saving the same new channel at once both succeed (the
// second replaces the first) instead of one failing on the key; an existing channel keeps its creator
// and creation time.
func (s *Store) SaveChannel(ctx context.Context, tx *Tx, ch *crmd.Channel) error {
	token := any(nil)
	if ch.Token != "" {
		token = ch.Token
	}
	if _, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO notify_channels (org_id, channel_id, notify_url, token,
		expiry, related_action, return_values, api_version, created_by, created_time, modified_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, channel_id) DO UPDATE SET
		notify_url = excluded.notify_url, token = excluded.token, expiry = excluded.expiry,
		related_action = excluded.related_action, return_values = excluded.return_values,
		api_version = excluded.api_version, modified_time = excluded.modified_time`), int64(ch.OrgID), ch.ChannelID,
		ch.NotifyURL, token, ch.Expiry, b2i(ch.RelatedAction), b2i(ch.ReturnValues), ch.APIVersion, int64(ch.CreatedBy),
		ch.CreatedTime, ch.ModifiedTime); err != nil {
		return fmt.Errorf("save channel: %w", err)
	}
	if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM notify_events WHERE org_id = ? AND channel_id = ?`), int64(ch.OrgID), ch.ChannelID); err != nil {
		return fmt.Errorf("save channel: %w", err)
	}
	for _, e := range ch.Events {
		var cond any
		if e.Condition != nil {
			js, err := json.Marshal(e.Condition)
			if err != nil {
				return err
			}
			cond = string(js)
		}
		if _, err := tx.q.ExecContext(ctx, s.Q(`INSERT INTO notify_events (org_id, channel_id, module_id, operation, cond)
			VALUES (?, ?, ?, ?, ?)`), int64(ch.OrgID), ch.ChannelID, int64(e.ModuleID), e.Operation, cond); err != nil {
			return fmt.Errorf("save channel event: %w", err)
		}
	}
	// Pending messages of a module the channel no longer watches at all are not sent.
	_, err := tx.q.ExecContext(ctx, s.Q(`UPDATE notify_outbox SET status = 'dropped', finished_time = ?, lease_owner = NULL, lease_until = NULL
		WHERE org_id = ? AND channel_id = ? AND status = 'pending' AND NOT EXISTS (SELECT 1 FROM notify_events e
		WHERE e.org_id = notify_outbox.org_id AND e.channel_id = notify_outbox.channel_id AND e.module_id = notify_outbox.module_id)`),
		ch.ModifiedTime, int64(ch.OrgID), ch.ChannelID)
	if err != nil {
		return fmt.Errorf("save channel: %w", err)
	}
	return nil
}

const channelCols = `org_id, channel_id, notify_url, COALESCE(token, ''), expiry, related_action, return_values, api_version,
	created_by, created_time, modified_time`

func scanChannel(row interface{ Scan(...any) error }) (*crmd.Channel, error) {
	var ch crmd.Channel
	var org, by, ra, rv int64
	if err := row.Scan(&org, &ch.ChannelID, &ch.NotifyURL, &ch.Token, &ch.Expiry, &ra, &rv, &ch.APIVersion, &by,
		&ch.CreatedTime, &ch.ModifiedTime); err != nil {
		return nil, err
	}
	ch.OrgID, ch.CreatedBy, ch.RelatedAction, ch.ReturnValues = crmd.ID(org), crmd.ID(by), ra != 0, rv != 0
	return &ch, nil
}

// ChannelQuery selects an org's channels: all of them, one channel, or those watching one module.
type ChannelQuery struct {
	OrgID     crmd.ID
	ChannelID int64   // 0 = any
	ModuleID  crmd.ID // 0 = any
	// Offset and Limit page the list by channel id (Limit 0 = all).
	Offset, Limit int
	// Tx, when set, reads inside that transaction (a service's read-modify-write); with Lock the
	// channels read stay locked until it ends (PostgreSQL: FOR UPDATE; SQLite's writer holds the
	// database's one write lock already), so that two PATCHes of a channel do not lose one's change.
	Tx   *Tx
	Lock bool
}

// Channels returns the channels q selects, by channel id, each with its events (module names read
// from the org's modules).
func (s *Store) Channels(ctx context.Context, q ChannelQuery) ([]*crmd.Channel, error) {
	var db execer = s.R
	if q.Tx != nil {
		db = q.Tx.q
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + channelCols + ` FROM notify_channels c WHERE org_id = ?`)
	args := []any{int64(q.OrgID)}
	if q.ChannelID != 0 {
		b.WriteString(` AND channel_id = ?`)
		args = append(args, q.ChannelID)
	}
	if q.ModuleID != 0 {
		b.WriteString(` AND EXISTS (SELECT 1 FROM notify_events e WHERE e.org_id = c.org_id AND e.channel_id = c.channel_id AND e.module_id = ?)`)
		args = append(args, int64(q.ModuleID))
	}
	b.WriteString(` ORDER BY channel_id`)
	if q.Limit > 0 {
		b.WriteString(` LIMIT ? OFFSET ?`)
		args = append(args, q.Limit, q.Offset)
	}
	if q.Lock && q.Tx != nil && s.Dialect == Postgres {
		b.WriteString(` FOR UPDATE`)
	}
	rows, err := db.QueryContext(ctx, s.Q(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	chans, err := scanAll(rows, scanChannel)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	if len(chans) == 0 {
		return nil, nil
	}
	byID := make(map[int64]*crmd.Channel, len(chans))
	for _, c := range chans {
		byID[c.ChannelID] = c
	}
	// The events of the channel asked for, or of the org's channels (a page of them: the events of
	// the others are skipped below).
	evWhere, evArgs := `e.org_id = ?`, []any{int64(q.OrgID)}
	if q.ChannelID != 0 {
		evWhere, evArgs = evWhere+` AND e.channel_id = ?`, append(evArgs, q.ChannelID)
	}
	erows, err := db.QueryContext(ctx, s.Q(`SELECT e.channel_id, e.module_id, m.api_name, e.operation, e.cond
		FROM notify_events e JOIN modules m ON m.id = e.module_id AND m.org_id = e.org_id
		WHERE `+evWhere+` ORDER BY e.channel_id, m.api_name, e.operation`), evArgs...)
	if err != nil {
		return nil, fmt.Errorf("channel events: %w", err)
	}
	defer erows.Close()
	for erows.Next() {
		var ch, mod int64
		var e crmd.ChannelEvent
		var cond sql.NullString
		if err := erows.Scan(&ch, &mod, &e.Module, &e.Operation, &cond); err != nil {
			return nil, fmt.Errorf("channel events: %w", err)
		}
		c := byID[ch]
		if c == nil {
			continue
		}
		e.ModuleID = crmd.ID(mod)
		if e.Condition, err = decodeCondition(cond); err != nil {
			return nil, fmt.Errorf("channel %d: %w", ch, err)
		}
		c.Events = append(c.Events, e)
	}
	return chans, erows.Err()
}

// DeleteChannels removes the org's channels among ids inside tx, with their events; their undelivered
// messages are dropped (kept, with their attempts, for the deliveries API). It returns the ids it
// removed.
func (s *Store) DeleteChannels(ctx context.Context, tx *Tx, orgID crmd.ID, ids []int64, at int64) ([]int64, error) {
	var gone []int64
	for _, id := range ids {
		res, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM notify_channels WHERE org_id = ? AND channel_id = ?`), int64(orgID), id)
		if err != nil {
			return nil, fmt.Errorf("delete channel: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		gone = append(gone, id)
		if _, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM notify_events WHERE org_id = ? AND channel_id = ?`), int64(orgID), id); err != nil {
			return nil, fmt.Errorf("delete channel: %w", err)
		}
		if _, err := tx.q.ExecContext(ctx, s.Q(`UPDATE notify_outbox SET status = 'dropped', finished_time = ?, lease_owner = NULL,
			lease_until = NULL WHERE org_id = ? AND channel_id = ? AND status = 'pending'`), at, int64(orgID), id); err != nil {
			return nil, fmt.Errorf("delete channel: %w", err)
		}
	}
	return gone, nil
}

// Message is an outbox message claimed for delivery, with what its callback needs.
type Message struct {
	ID          int64
	OrgID       crmd.ID
	ChannelID   int64
	Module      string // the module's API name
	Operation   string
	IDs         []string
	Changes     []Changed // per id, for an update
	Created     int64
	Attempt     int // this attempt's number, from 1
	Channel     *crmd.Channel
	ChannelGone bool // deleted, or expired: the message is to be dropped
	LeaseOwner  string
	LeaseUntil  int64 // Unix ms: the attempt must have been recorded by then
}

// ClaimNotices gives owner, until leaseUntil, up to limit messages to deliver: the oldest pending
// message of each channel whose next attempt is due and that no live lease holds. Taking only a
// channel's oldest message keeps each channel's callbacks in order; the lease makes one deliverer
// try a message at a time, in whichever process, and lets another take it over when its holder died.
func (s *Store) ClaimNotices(ctx context.Context, owner string, now, leaseUntil int64, limit int) ([]*Message, error) {
	// Whether anything is due is read first, on a reader: idle deliverers polling the outbox then
	// never take the write lock (SQLite's one writer) for nothing.
	var due int
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT COUNT(*) FROM (SELECT 1 FROM notify_outbox WHERE status = 'pending'
		AND next_attempt <= ? AND (lease_until IS NULL OR lease_until < ?) LIMIT 1) d`), now, now).Scan(&due)
	if err != nil {
		return nil, fmt.Errorf("claim notices: %w", err)
	}
	if due == 0 {
		return nil, nil
	}
	msgs, err := s.claim(ctx, s.W, s.R, owner, now, leaseUntil, limit, nil)
	if err != nil {
		return nil, fmt.Errorf("claim notices: %w", err)
	}
	return msgs, nil
}

// claim leases up to limit heads (of every channel, or of only the channel of of when set) through
// q and reads what their callbacks need through r.
func (s *Store) claim(ctx context.Context, q, r execer, owner string, now, leaseUntil int64, limit int, of *Message) ([]*Message, error) {
	// A head is a pending message with no older pending message of its channel. On PostgreSQL the heads
	// are locked as they are picked, skipping those another deliverer is claiming at this moment (SKIP
	// LOCKED), so that claimers running at once take different channels instead of colliding on the
	// first; the UPDATE then checks the lease again on the row it changes. SQLite has one writer: its
	// claims run one after the other, each seeing the leases of the one before.
	lock := ""
	if s.Dialect == Postgres {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	only, args := "", []any{now, now}
	if of != nil {
		only = ` AND o.org_id = ? AND o.channel_id = ?`
		args = append(args, int64(of.OrgID), of.ChannelID)
	}
	args = append(args, limit, owner, leaseUntil, now)
	// The heads are picked once, in a materialised CTE: as a subquery of the UPDATE, PostgreSQL may
	// run the pick again for each row it visits, and with SKIP LOCKED each run finds other rows, so
	// that a LIMIT 1 claim leased two.
	rows, err := q.QueryContext(ctx, s.Q(`WITH heads AS MATERIALIZED (SELECT o.id FROM notify_outbox o
			WHERE o.status = 'pending' AND o.next_attempt <= ? AND (o.lease_until IS NULL OR o.lease_until < ?)`+only+`
			AND NOT EXISTS (SELECT 1 FROM notify_outbox p WHERE p.org_id = o.org_id AND p.channel_id = o.channel_id
				AND p.status = 'pending' AND p.id < o.id)
			ORDER BY o.id LIMIT ?`+lock+`)
		UPDATE notify_outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM heads) AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)
		RETURNING id, org_id, channel_id, module_id, operation, ids, affected, created_time, attempts`), args...)
	if err != nil {
		return nil, err
	}
	return s.readClaimed(ctx, rows, r, owner, now, leaseUntil)
}

// readClaimed reads the messages an UPDATE … RETURNING leased to owner until leaseUntil, in id order,
// with their channels and module names read through r.
func (s *Store) readClaimed(ctx context.Context, rows *sql.Rows, r execer, owner string, now, leaseUntil int64) ([]*Message, error) {
	type claimed struct {
		m      *Message
		module int64
	}
	var got []claimed
	for rows.Next() {
		m := &Message{LeaseOwner: owner, LeaseUntil: leaseUntil}
		var org, mod int64
		var ids string
		var affected sql.NullString
		if err := rows.Scan(&m.ID, &org, &m.ChannelID, &mod, &m.Operation, &ids, &affected, &m.Created, &m.Attempt); err != nil {
			rows.Close()
			return nil, err
		}
		m.OrgID = crmd.ID(org)
		if err := json.Unmarshal([]byte(ids), &m.IDs); err != nil {
			rows.Close()
			return nil, fmt.Errorf("message %d: %w", m.ID, err)
		}
		if affected.Valid {
			var sc []storedChange
			if err := json.Unmarshal([]byte(affected.String), &sc); err != nil {
				rows.Close()
				return nil, fmt.Errorf("message %d: %w", m.ID, err)
			}
			for _, c := range sc {
				m.Changes = append(m.Changes, Changed{Fields: c.Fields, Values: c.Values})
			}
		}
		got = append(got, claimed{m, mod})
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// RETURNING gives no order: a run of one channel's messages must go out in the order they were made.
	slices.SortFunc(got, func(a, b claimed) int { return cmp.Compare(a.m.ID, b.m.ID) })
	// A claim holds one message per channel, a run many messages of one channel: each channel and module
	// is read once, not once per message (inside FinishRun's write transaction, a read per message would
	// hold SQLite's write lock for nothing).
	type chanKey struct {
		org crmd.ID
		id  int64
	}
	chans := map[chanKey]*crmd.Channel{}
	modules := map[int64]string{} // module id → API name; "" = gone
	out := make([]*Message, 0, len(got))
	for _, c := range got {
		m := c.m
		k := chanKey{m.OrgID, m.ChannelID}
		ch, seen := chans[k]
		if !seen {
			var err error
			ch, err = scanChannel(r.QueryRowContext(ctx, s.Q(`SELECT `+channelCols+` FROM notify_channels WHERE org_id = ? AND channel_id = ?`),
				int64(m.OrgID), m.ChannelID))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				ch = nil
			case err != nil:
				return nil, err
			}
			chans[k] = ch
		}
		name, seen := modules[c.module]
		if !seen {
			err := r.QueryRowContext(ctx, s.Q(`SELECT api_name FROM modules WHERE id = ? AND org_id = ?`), c.module, int64(m.OrgID)).Scan(&name)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
			modules[c.module] = name
		}
		m.Channel, m.Module = ch, name
		m.ChannelGone = ch == nil || ch.Expiry <= now || name == ""
		out = append(out, m)
	}
	return out, nil
}

// Attempt is one delivery attempt of a message, as the deliveries API shows it.
type Attempt struct {
	ID         int64
	OrgID      crmd.ID
	ChannelID  int64
	MessageID  int64
	Attempt    int
	Time       int64 // Unix ms
	StatusCode int   // 0 = no answer
	LatencyMS  int64
	Outcome    string // delivered | retry | failed | dropped
	Error      string
	IDsCount   int
	// Of the message:
	Module    string
	Operation string
}

// FinishNotice records attempt a of message m and moves m on inside one transaction: to status
// (delivered, failed, dropped) or, for a retry (status pending), back to the queue with its next attempt
// at next. It reports false when owner's lease was lost meanwhile (another deliverer took the message
// over): the attempt is recorded, the message left to its new holder.
func (s *Store) FinishNotice(ctx context.Context, m *Message, a Attempt, status string, next int64) (bool, error) {
	kept, _, err := s.FinishRun(ctx, []Done{{M: m, A: a, Status: status, Next: next}}, nil, nil)
	if err != nil {
		return false, err
	}
	return kept[0], nil
}

// Chain is when FinishRun claims the channel's next messages (Now), until when it leases them
// (LeaseUntil), and how many at most (N, at least 1).
type Chain struct {
	Now, LeaseUntil int64
	N               int
}

// Done is one attempted message of a run and what becomes of it: its attempt, its new status, and
// for a retry (NoticePending) the time of its next attempt.
type Done struct {
	M      *Message
	A      Attempt
	Status string
	Next   int64
}

// FinishRun records, in one transaction, the attempts of done — messages of one channel attempted in
// order by one deliverer — and moves each on (as FinishNotice does, fenced by its lease); gives back
// the leases of release, messages of the run a retry left unattempted (their claim is not counted as
// an attempt); and, with chain, when every lease of done was kept and none is to be retried, leases
// the channel's next chain.N due messages: its head and those that follow it, in order. One write
// transaction for a whole run keeps a channel's backlog from queueing once per callback behind the
// other writers of SQLite's single write lock. It returns, per done, whether its lease was kept, and
// the messages claimed.
func (s *Store) FinishRun(ctx context.Context, done []Done, release []*Message, chain *Chain) ([]bool, []*Message, error) {
	kept := make([]bool, len(done))
	var following []*Message
	err := s.Tx(ctx, func(tx *Tx) error {
		following = nil
		all := true
		for i, d := range done {
			m, a := d.M, d.A
			var finished any
			if d.Status != NoticePending {
				finished = a.Time + a.LatencyMS
			}
			res, err := tx.q.ExecContext(ctx, s.Q(`UPDATE notify_outbox SET status = ?, next_attempt = ?, finished_time = ?,
				lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'pending'`),
				d.Status, d.Next, finished, m.ID, m.LeaseOwner)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			kept[i] = n == 1
			all = all && kept[i] && d.Status != NoticePending
			var code, errText any
			if a.StatusCode != 0 {
				code = a.StatusCode
			}
			if a.Error != "" {
				errText = a.Error
			}
			if _, err = tx.q.ExecContext(ctx, s.Q(`INSERT INTO notify_attempts (org_id, channel_id, message_id, attempt, time,
				status_code, latency_ms, outcome, error, ids_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				int64(m.OrgID), m.ChannelID, m.ID, m.Attempt, a.Time, code, a.LatencyMS, a.Outcome, errText, len(m.IDs)); err != nil {
				return err
			}
		}
		for _, m := range release {
			if _, err := tx.q.ExecContext(ctx, s.Q(`UPDATE notify_outbox SET lease_owner = NULL, lease_until = NULL,
				attempts = attempts - 1 WHERE id = ? AND lease_owner = ? AND status = 'pending'`), m.ID, m.LeaseOwner); err != nil {
				return err
			}
		}
		if chain == nil || !all || len(done) == 0 {
			return nil
		}
		last := done[len(done)-1].M
		heads, err := s.claim(ctx, tx.q, tx.q, last.LeaseOwner, chain.Now, chain.LeaseUntil, 1, last)
		if err != nil || len(heads) == 0 {
			return err
		}
		following = heads
		if chain.N <= 1 {
			return nil
		}
		// The head is this deliverer's now: the messages after it cannot be any other's head, so
		// leasing them keeps the channel's order.
		rows, err := tx.q.QueryContext(ctx, s.Q(`WITH f AS MATERIALIZED (SELECT id FROM notify_outbox
				WHERE org_id = ? AND channel_id = ? AND status = 'pending' AND id > ? AND next_attempt <= ?
				AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?)
			UPDATE notify_outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM f) AND status = 'pending'
			RETURNING id, org_id, channel_id, module_id, operation, ids, affected, created_time, attempts`),
			int64(last.OrgID), last.ChannelID, heads[0].ID, chain.Now, chain.Now, chain.N-1, last.LeaseOwner, chain.LeaseUntil)
		if err != nil {
			return err
		}
		more, err := s.readClaimed(ctx, rows, tx.q, last.LeaseOwner, chain.Now, chain.LeaseUntil)
		if err != nil {
			return err
		}
		following = append(following, more...)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("finish notices: %w", err)
	}
	return kept, following, nil
}

// AttemptQuery selects a page of an org's delivery attempts, newest first.
type AttemptQuery struct {
	OrgID     crmd.ID
	ChannelID int64 // 0 = every channel
	Offset    int
	Limit     int
}

// Attempts returns the page of attempts q selects, newest first, with their messages' module and
// operation.
func (s *Store) Attempts(ctx context.Context, q AttemptQuery) ([]*Attempt, error) {
	var b strings.Builder
	b.WriteString(`SELECT a.id, a.org_id, a.channel_id, a.message_id, a.attempt, a.time, COALESCE(a.status_code, 0), a.latency_ms,
		a.outcome, COALESCE(a.error, ''), a.ids_count, COALESCE(m.api_name, ''), COALESCE(o.operation, '')
		FROM notify_attempts a LEFT JOIN notify_outbox o ON o.id = a.message_id
		LEFT JOIN modules m ON m.id = o.module_id AND m.org_id = o.org_id
		WHERE a.org_id = ?`)
	args := []any{int64(q.OrgID)}
	if q.ChannelID != 0 {
		b.WriteString(` AND a.channel_id = ?`)
		args = append(args, q.ChannelID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 200
	}
	b.WriteString(` ORDER BY a.id DESC LIMIT ? OFFSET ?`)
	args = append(args, limit, q.Offset)
	rows, err := s.R.QueryContext(ctx, s.Q(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("attempts: %w", err)
	}
	return scanAll(rows, func(row interface{ Scan(...any) error }) (*Attempt, error) {
		var a Attempt
		var org int64
		err := row.Scan(&a.ID, &org, &a.ChannelID, &a.MessageID, &a.Attempt, &a.Time, &a.StatusCode, &a.LatencyMS,
			&a.Outcome, &a.Error, &a.IDsCount, &a.Module, &a.Operation)
		a.OrgID = crmd.ID(org)
		return &a, err
	})
}

// PendingNotices returns how many messages wait for delivery (all orgs): the deliverer's backlog.
func (s *Store) PendingNotices(ctx context.Context) (int64, error) {
	var n int64
	err := s.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_outbox WHERE status = 'pending'`).Scan(&n)
	return n, err
}

// PruneNotices removes the finished messages and the attempts older than before (Unix ms), so that
// the outbox does not grow without end; a pending message and its attempts are never removed.
func (s *Store) PruneNotices(ctx context.Context, before int64) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, s.Q(`DELETE FROM notify_outbox WHERE status <> 'pending' AND finished_time < ?`), before)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		// A pending message keeps its attempts: they say why it has not arrived yet.
		_, err = tx.q.ExecContext(ctx, s.Q(`DELETE FROM notify_attempts WHERE time < ? AND NOT EXISTS
			(SELECT 1 FROM notify_outbox o WHERE o.id = notify_attempts.message_id AND o.status = 'pending')`), before)
		return err
	})
	return n, err
}

// noticeRows enqueues op for the rows a statement changed (an audit list, which may span modules: the
// recycle bin's restore), one notice per module in the order the modules first appear.
func (s *Store) noticeRows(ctx context.Context, tx *Tx, orgID crmd.ID, op string, rows []auditRow, at int64) error {
	if len(rows) == 0 {
		return nil
	}
	var order []int64
	byModule := map[int64][]crmd.ID{}
	for _, r := range rows {
		if _, ok := byModule[r.module]; !ok {
			order = append(order, r.module)
		}
		byModule[r.module] = append(byModule[r.module], crmd.ID(r.record))
	}
	for _, m := range order {
		if err := s.EnqueueNotice(ctx, tx, Notice{OrgID: orgID, ModuleID: crmd.ID(m), Operation: op, IDs: byModule[m], At: at}); err != nil {
			return err
		}
	}
	return nil
}
