-- The job revision whose write also wrote schedule_revision and schedule_changed_at. A node of a
-- version before V44 changes a job without them (its revision moves, they stay as they were), so
-- they are trusted only while this equals revision; otherwise the row's last change, of any kind,
-- counts as its schedule's (revision, updated_at), as for the rows V44 found. NULL: the row was
-- stored by a node of a version before this column. Of the rows found here, those whose last change
-- was not their schedule's may have been changed by a node before V44 (which leaves
-- schedule_changed_at as it was): they fall back too, the others are trusted.
ALTER TABLE job ADD COLUMN schedule_noted_revision INT NULL;
UPDATE job SET schedule_noted_revision = revision WHERE schedule_changed_at = updated_at;
