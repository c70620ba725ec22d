-- Who paused a job and when (both null while it is enabled).
ALTER TABLE job ADD COLUMN paused_by VARCHAR(64) NULL;
ALTER TABLE job ADD COLUMN paused_at DATETIME(3) NULL;
