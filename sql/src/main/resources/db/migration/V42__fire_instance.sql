-- Which node instance (process) recorded the fire: a claim whose commit answered a lost connection
-- is found as that instance's own when it is tried again; another live instance of the same name
-- (a configuration mistake) counts it as a duplicate.
ALTER TABLE job_fire ADD COLUMN instance VARCHAR(64) NULL;
