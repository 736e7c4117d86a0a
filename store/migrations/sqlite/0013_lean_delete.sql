-- crmd schema, version 13: a soft delete touches as few index entries as it can.
--
-- A soft delete sets deleted_time (and deleted_by, delete_job_id) and nothing else. SQLite rewrites an
-- index entry on UPDATE only when the index holds a changed column or its WHERE clause names one, so
-- every index partial on "deleted_time IS NULL" costs a soft delete one more b-tree page to change, and
-- for scattered records each is a different page written to the WAL. The sort indexes of the list
-- (created, modified) therefore become whole-table indexes that a soft delete never touches: a list
-- page walks them and skips the few deleted rows at the row it reads anyway. records_live stays
-- partial (counts and id selections of live records read it alone), and so does records_live_owner:
-- a "My …" view selects all of one owner's live records, and through a whole-table index it would also
-- visit that owner's rows in the recycle bin. See docs/performance.md.
DROP INDEX IF EXISTS records_live_created;
DROP INDEX IF EXISTS records_live_modified;
CREATE INDEX IF NOT EXISTS records_created ON records (module_id, created_time, id);
CREATE INDEX IF NOT EXISTS records_modified ON records (module_id, modified_time, id);
-- The retention purger finds the orgs with due records through records_bin, one seek per org
-- (store.DueBinOrgs), so the bin needs one index less to keep.
DROP INDEX IF EXISTS records_bin_due;
