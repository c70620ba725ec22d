-- When a node instance began to drain (null: it takes work), so that every node's GET /nodes shows it.
ALTER TABLE node_lease ADD COLUMN draining_since DATETIME(3) NULL;
