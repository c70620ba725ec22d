-- Runs retried from a run (retry_of): the run retention keeps a run while a retry of it remains,
-- since who may approve a retry is read along that chain (four eyes).
CREATE INDEX idx_run_retry_of ON run (retry_of);
