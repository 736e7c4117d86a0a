-- crmd schema, version 14: id selections of live records read one index alone.
--
-- A selection of ids (a cvid mass delete's snapshot, a territory's records, counts) checks, besides
-- the module and the id, the org and the approval state of every record. records_live now carries
-- them (INCLUDE: not part of the key), so that PostgreSQL answers such a selection with an index-only
-- scan in id order instead of reading the table of JSON documents whole (a territory subtree of
-- 133,333 of 200,000 Leads: a sequential scan of records, then a sort). It stays the one index partial
-- on "deleted_time IS NULL" (0013): a soft delete writes no more index entries than before.
DROP INDEX IF EXISTS records_live;
CREATE INDEX records_live ON records (module_id, id) INCLUDE (org_id, approval_state) WHERE deleted_time IS NULL;
