-- crmd schema, version 13: a soft delete touches as few index entries as it can.
--
-- On PostgreSQL a soft delete writes a new row version and an entry for it in every index whose WHERE
-- clause the new version satisfies: the live indexes (partial on "deleted_time IS NULL") get none, the
-- primary key and the bin's indexes one each. The retention purger now finds the orgs with due records
-- through records_bin, one seek per org (store.DueBinOrgs), so records_bin_due is one entry per deleted
-- record that nothing needs.
DROP INDEX IF EXISTS records_bin_due;
