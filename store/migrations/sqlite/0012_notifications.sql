-- crmd schema, version 12: Zoho's Notifications API (docs/notifications.md) — channels that watch
-- modules' records, and an outbox of what they are to be told.
--
-- notify_channels is one row per channel of an org (the channel_id is the subscriber's own number);
-- notify_events one row per module and event a channel watches (operation: all | create | edit |
-- delete), with the channel's notification_condition for that module when it has one.
CREATE TABLE notify_channels (
    org_id         INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    notify_url     TEXT    NOT NULL,
    token          TEXT,                      -- NULL when none was given
    expiry         INTEGER NOT NULL,          -- Unix ms
    related_action INTEGER NOT NULL DEFAULT 0, -- notify_on_related_action
    return_values  INTEGER NOT NULL DEFAULT 0, -- return_affected_field_values
    api_version    INTEGER NOT NULL,          -- the version that enabled it: its callbacks' resource_uri
    created_by     INTEGER NOT NULL,
    created_time   INTEGER NOT NULL,
    modified_time  INTEGER NOT NULL,
    PRIMARY KEY (org_id, channel_id)
);
CREATE TABLE notify_events (
    org_id     INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    module_id  INTEGER NOT NULL,
    operation  TEXT    NOT NULL,
    cond       TEXT,                           -- JSON, notification_condition (v6+)
    PRIMARY KEY (org_id, channel_id, module_id, operation)
);
-- Every committed change of a module's records asks which channels watch it.
CREATE INDEX notify_events_module ON notify_events (org_id, module_id);

-- The outbox: one message per channel, module, operation and transaction (split when it names many
-- records), written in the transaction of the change it reports, so that a change commits with its
-- notifications or not at all. A deliverer claims the oldest pending message of a channel under a
-- lease (one deliverer per message, across processes), POSTs it, and ends it delivered, or sets it
-- back to pending with a later next_attempt, or failed once it has been retried long enough.
CREATE TABLE notify_outbox (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    module_id     INTEGER NOT NULL,
    operation     TEXT    NOT NULL,           -- insert | update | delete
    ids           TEXT    NOT NULL,           -- JSON array of record ids
    affected      TEXT,                       -- JSON, per record: changed fields (and their values)
    created_time  INTEGER NOT NULL,           -- Unix ms
    status        TEXT    NOT NULL DEFAULT 'pending', -- pending | delivered | failed | dropped
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  INTEGER NOT NULL,           -- Unix ms
    lease_owner   TEXT,
    lease_until   INTEGER,
    finished_time INTEGER
);
-- The head of each channel's queue: per-channel order.
CREATE INDEX notify_outbox_pending ON notify_outbox (org_id, channel_id, id) WHERE status = 'pending';
CREATE INDEX notify_outbox_finished ON notify_outbox (finished_time) WHERE status <> 'pending';

-- Every delivery attempt, as GET /crmd/v1/notifications/deliveries shows it.
CREATE TABLE notify_attempts (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    time        INTEGER NOT NULL,             -- Unix ms, when the POST began
    status_code INTEGER,                      -- NULL when no answer came
    latency_ms  INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,             -- delivered | retry | failed | dropped
    error       TEXT,
    ids_count   INTEGER NOT NULL
);
CREATE INDEX notify_attempts_channel ON notify_attempts (org_id, channel_id, id);
CREATE INDEX notify_attempts_time ON notify_attempts (time);
