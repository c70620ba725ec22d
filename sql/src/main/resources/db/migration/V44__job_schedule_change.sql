-- The job revision whose change last changed the job's schedule, and when (the updating node's
-- reading of the database's time): a fire of an earlier schedule that came due after the change is
-- not started unless the current schedule holds its time too. A job's other changes (its
-- parameters, a pause) leave both alone. Rows stored before these columns existed count their last
-- change of any kind as their schedule's; so does a row a node of an earlier version stores during
-- a rolling upgrade (schedule_changed_at NULL: read as updated_at).
ALTER TABLE job ADD COLUMN schedule_revision INT NOT NULL DEFAULT 1;
ALTER TABLE job ADD COLUMN schedule_changed_at DATETIME(3) NULL;
UPDATE job SET schedule_revision = revision, schedule_changed_at = updated_at;
