-- Leases: a RUNNING attempt belongs to one live owner (a node instance) until lease_until; the
-- owner renews it while the process lives, and any node fails an attempt whose lease expired
-- ("executor lost"). A late report of an owner that lost its lease is refused.
ALTER TABLE run_step ADD COLUMN lease_owner VARCHAR(64) NULL;
ALTER TABLE run_step ADD COLUMN lease_until DATETIME(3) NULL;

-- One row per node instance (a process): renewed while it lives, so a node starting under a name
-- already in use can tell a live twin (whose processes it must not kill) from its own dead past.
CREATE TABLE node_lease (
  instance       VARCHAR(64)  NOT NULL PRIMARY KEY,
  node           VARCHAR(128) NOT NULL,
  host           VARCHAR(255) NOT NULL,
  pid            BIGINT       NOT NULL,
  pid_started_at VARCHAR(64)  NULL,
  started_at     DATETIME(3)  NOT NULL,
  lease_until    DATETIME(3)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX idx_node_lease_node ON node_lease (node, lease_until);
