-- Four eyes: a token belongs to a person (owner; null means the token's name), and an approval
-- records every person who asked for the run (started it, retried it, created or last changed its
-- job or template version), plus the template changes that weakened an approval step.
ALTER TABLE api_token ADD COLUMN owner VARCHAR(64) NULL;
ALTER TABLE pending_approval ADD COLUMN requesters LONGTEXT NULL;
ALTER TABLE pending_approval ADD COLUMN weakened LONGTEXT NULL;
