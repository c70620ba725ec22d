-- Attempts of a job's fire-event deliveries (job.fire_failed, ...), which belong to no run
-- (run_id 0): recorded under their job, listed by GET /jobs/{name}/deliveries. NULL for a run's.
ALTER TABLE webhook_delivery ADD COLUMN job_id BIGINT NULL;
CREATE INDEX idx_webhook_delivery_job ON webhook_delivery (job_id, id);
