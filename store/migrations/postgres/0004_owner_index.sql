-- "My …" views select on the owner. (Data fields get their expression indexes when a view first needs
-- them: see store/fieldindex.go.)
CREATE INDEX IF NOT EXISTS records_live_owner ON records (module_id, owner_id, id) WHERE deleted_time IS NULL;
