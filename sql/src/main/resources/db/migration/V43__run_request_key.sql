-- A client's Idempotency-Key on a request that starts a run (POST /runs, a job's run-now, a retry):
-- the same key sent again by the same caller answers the run the first request started, so a
-- request resent after a lost answer (a node that died mid-request, a 503 after the commit) never
-- starts a second run. request_key is the key's SHA-256 in hex (keys that differ only in case stay
-- apart under any collation); request_hash tells a resent request from a different one under the
-- same key.
ALTER TABLE run ADD COLUMN request_key CHAR(64) NULL;
ALTER TABLE run ADD COLUMN request_hash CHAR(64) NULL;
CREATE UNIQUE INDEX uq_run_request ON run (triggered_by, request_key);
