-- crmd schema, version 7: the org-wide Recycle Bin API and its retention purger.

-- GET /settings/recycle_bin lists an org's recycle bin (deleted, not purged) newest deletion first across
-- every module; records_deleted is per module, so the org-wide list gets an index of its own.
CREATE INDEX IF NOT EXISTS records_bin ON records (org_id, deleted_time, id)
    WHERE deleted_time IS NOT NULL AND purged_time IS NULL;
-- The retention purger looks, across every org, for recycle-bin records deleted before a cut-off …
CREATE INDEX IF NOT EXISTS records_bin_due ON records (deleted_time)
    WHERE deleted_time IS NOT NULL AND purged_time IS NULL;
-- … and for purged rows whose 120 days as type=permanent in /deleted are over.
CREATE INDEX IF NOT EXISTS records_purged ON records (purged_time)
    WHERE purged_time IS NOT NULL;
