-- crmd schema, version 14: id selections of live records read one index alone.
--
-- A selection of ids (a cvid mass delete's snapshot, a territory's records, counts) checks, besides
-- the module and the id, the org and the approval state of every record, and SQLite read those from
-- the record's row: one table page per record, scattered across a table of JSON documents (selecting a
-- 666,666-record territory subtree of 1,000,000 Leads took 4.6 s, nearly all of it in those reads).
-- records_live now carries them, so that such a selection never reads the table; deleted_time is always
-- NULL in it, and is there because SQLite counts an index as covering only when it holds every column
-- the query names. It stays the one index partial on "deleted_time IS NULL" (0013): a soft delete
-- changes no more index pages than before.
DROP INDEX IF EXISTS records_live;
CREATE INDEX records_live ON records (module_id, id, org_id, approval_state, deleted_time) WHERE deleted_time IS NULL;
