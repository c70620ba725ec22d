-- Nightshift schema. The same statements run on MySQL/MariaDB and on H2 in MySQL mode.
-- Times are UTC, DATETIME(3). JSON documents are LONGTEXT (see STACK.md: MariaDB rejects cast(? as json)).

CREATE TABLE template (
  id             BIGINT AUTO_INCREMENT PRIMARY KEY,
  name           VARCHAR(64)  NOT NULL,
  latest_version INT          NOT NULL,
  created_at     DATETIME(3)  NOT NULL,
  updated_at     DATETIME(3)  NOT NULL,
  CONSTRAINT uk_template_name UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE template_version (
  template_id BIGINT       NOT NULL,
  version     INT          NOT NULL,
  body        LONGTEXT     NOT NULL,
  created_at  DATETIME(3)  NOT NULL,
  created_by  VARCHAR(64)  NOT NULL,
  PRIMARY KEY (template_id, version),
  CONSTRAINT fk_template_version_template FOREIGN KEY (template_id) REFERENCES template (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE job (
  id            BIGINT AUTO_INCREMENT PRIMARY KEY,
  name          VARCHAR(64)  NOT NULL,
  template_name VARCHAR(64)  NOT NULL,
  body          LONGTEXT     NOT NULL,
  enabled       BOOLEAN      NOT NULL,
  revision      INT          NOT NULL,
  created_at    DATETIME(3)  NOT NULL,
  updated_at    DATETIME(3)  NOT NULL,
  CONSTRAINT uk_job_name UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX idx_job_template ON job (template_name);

CREATE TABLE job_fire (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  job_id       BIGINT        NOT NULL,
  scheduled_at DATETIME(3)   NOT NULL,
  fired_at     DATETIME(3)   NOT NULL,
  lag_ms       BIGINT        NOT NULL,
  outcome      VARCHAR(32)   NOT NULL,
  reason       VARCHAR(1024) NULL,
  run_id       BIGINT        NULL,
  node         VARCHAR(128)  NOT NULL,
  CONSTRAINT uk_job_fire UNIQUE (job_id, scheduled_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE run (
  id                BIGINT AUTO_INCREMENT PRIMARY KEY,
  template_name     VARCHAR(64)   NOT NULL,
  template_version  INT           NOT NULL,
  template_snapshot LONGTEXT      NOT NULL,
  job_name          VARCHAR(64)   NULL,
  trigger_kind      VARCHAR(16)   NOT NULL,
  triggered_by      VARCHAR(64)   NOT NULL,
  status            VARCHAR(24)   NOT NULL,
  params            LONGTEXT      NOT NULL,
  retry_of          BIGINT        NULL,
  error             VARCHAR(2048) NULL,
  revision          INT           NOT NULL,
  created_at        DATETIME(3)   NOT NULL,
  started_at        DATETIME(3)   NULL,
  finished_at       DATETIME(3)   NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX idx_run_template ON run (template_name, id);
CREATE INDEX idx_run_job ON run (job_name, id);
CREATE INDEX idx_run_status ON run (status, id);

-- One row per attempt of a step: a retry adds a row, so each attempt keeps its own status,
-- exit code and log lines. The step's current state is its row with the highest attempt.
CREATE TABLE run_step (
  id              BIGINT AUTO_INCREMENT PRIMARY KEY,
  run_id          BIGINT        NOT NULL,
  name            VARCHAR(64)   NOT NULL,
  kind            VARCHAR(16)   NOT NULL,
  position        INT           NOT NULL,
  attempt         INT           NOT NULL,
  status          VARCHAR(24)   NOT NULL,
  exit_code       INT           NULL,
  error           VARCHAR(2048) NULL,
  started_at      DATETIME(3)   NULL,
  finished_at     DATETIME(3)   NULL,
  not_before      DATETIME(3)   NULL,
  node            VARCHAR(128)  NULL,
  pid             BIGINT        NULL,
  pid_started_at  VARCHAR(64)   NULL,
  line_count      BIGINT        NOT NULL DEFAULT 0,
  lines_dropped   BIGINT        NOT NULL DEFAULT 0,
  revision        INT           NOT NULL,
  CONSTRAINT uk_run_step UNIQUE (run_id, name, attempt),
  CONSTRAINT fk_run_step_run FOREIGN KEY (run_id) REFERENCES run (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX idx_run_step_status ON run_step (status, not_before);

CREATE TABLE log_line (
  run_id      BIGINT       NOT NULL,
  step_run_id BIGINT       NOT NULL,
  seq         BIGINT       NOT NULL,
  attempt     INT          NOT NULL,
  stream      VARCHAR(8)   NOT NULL,
  ts          DATETIME(3)  NOT NULL,
  line        TEXT         NOT NULL,
  PRIMARY KEY (step_run_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX idx_log_line_run ON log_line (run_id, ts, step_run_id, seq);

CREATE TABLE pending_approval (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  run_id       BIGINT        NOT NULL,
  step_run_id  BIGINT        NOT NULL,
  step_name    VARCHAR(64)   NOT NULL,
  status       VARCHAR(16)   NOT NULL,
  approvers    LONGTEXT      NOT NULL,
  message      VARCHAR(2048) NULL,
  on_timeout   VARCHAR(16)   NOT NULL,
  requested_by VARCHAR(64)   NOT NULL,
  requested_at DATETIME(3)   NOT NULL,
  expires_at   DATETIME(3)   NULL,
  decided_by   VARCHAR(64)   NULL,
  decided_at   DATETIME(3)   NULL,
  comment      VARCHAR(2048) NULL,
  CONSTRAINT uk_pending_approval_step UNIQUE (step_run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX idx_pending_approval_status ON pending_approval (status, expires_at);
CREATE INDEX idx_pending_approval_run ON pending_approval (run_id);

CREATE TABLE audit_event (
  id          BIGINT AUTO_INCREMENT PRIMARY KEY,
  at          DATETIME(3)  NOT NULL,
  actor       VARCHAR(64)  NOT NULL,
  action      VARCHAR(64)  NOT NULL,
  target_kind VARCHAR(32)  NOT NULL,
  target      VARCHAR(128) NOT NULL,
  detail      LONGTEXT     NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX idx_audit_event_target ON audit_event (target_kind, target);

CREATE TABLE api_token (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  name         VARCHAR(64)  NOT NULL,
  token_hash   CHAR(64)     NOT NULL,
  roles        VARCHAR(512) NOT NULL,
  created_by   VARCHAR(64)  NOT NULL,
  created_at   DATETIME(3)  NOT NULL,
  last_used_at DATETIME(3)  NULL,
  CONSTRAINT uk_api_token_name UNIQUE (name),
  CONSTRAINT uk_api_token_hash UNIQUE (token_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
