-- crmd schema, version 11: database snapshots for the control API (docs/control.md), so that a test
-- suite can put crmd back into a known state between its tests.
--
-- One row per snapshot. Its data is kept beside it, one plain copy per crmd table, named from the
-- snapshot's id and the table's name (snap_<id>__<table>, see store/snapshots.go): a copy made by
-- CREATE TABLE … AS SELECT keeps every value as stored, with neither constraints nor indexes to slow
-- the copy down. rows is how many rows the copies hold together.
--
-- id is an INTEGER PRIMARY KEY without AUTOINCREMENT: an id may come back after its snapshot is
-- deleted, which is harmless because the deletion drops that snapshot's copies in the same transaction.
-- Unlike PostgreSQL, nothing else is kept per snapshot: crmd's tables have no AUTOINCREMENT counters,
-- and the next rowid of a table follows the rows a restore puts back.
CREATE TABLE snapshots (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,          -- Unix ms, by the store's clock
    rows       INTEGER NOT NULL
);
