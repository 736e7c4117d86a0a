-- Expression indexes for the data fields Zoho's system views filter on (Junk / Open / Not Qualified
-- Leads: Lead_Status; Unsubscribed Leads: Email_Opt_Out), so that making or using those views never
-- builds an index inside a request. Each statement is exactly what store.EnsureFieldIndex would run for
-- the field (TestSystemViewIndexesMatch checks it); other fields get theirs when a view first uses them.
CREATE INDEX IF NOT EXISTS rx__lead__status_lc ON records (module_id, lower(json_extract(data, '$.Lead_Status')), approval_state, owner_id, created_time) WHERE deleted_time IS NULL;
CREATE INDEX IF NOT EXISTS rx__email__opt__out_v ON records (module_id, json_extract(data, '$.Email_Opt_Out'), approval_state, owner_id, created_time) WHERE deleted_time IS NULL;
-- "My …" views select on the owner.
CREATE INDEX IF NOT EXISTS records_live_owner ON records (module_id, owner_id, id) WHERE deleted_time IS NULL;
