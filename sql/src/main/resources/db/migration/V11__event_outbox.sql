-- Run, step and approval events, written in the transaction of the change they announce. A relay
-- (any node) claims them in order and publishes them (nightshift:events, SSE) and turns those that
-- webhooks want into webhook_outbox rows in the claim's transaction: a crash between a change and its
-- announcement loses nothing.
CREATE TABLE run_event (
  id          BIGINT AUTO_INCREMENT PRIMARY KEY,
  run_id      BIGINT       NOT NULL,
  body        LONGTEXT     NOT NULL,
  created_at  DATETIME(3)  NOT NULL,
  relayed_at  DATETIME(3)  NULL,
  relayed_by  VARCHAR(80)  NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX idx_run_event_relay ON run_event (relayed_at, id);

-- One webhook delivery to make (an event for one webhook), retried from next_at until delivered or
-- given up. delivery_id is the idempotency key the receiver sees in every attempt. Deliveries of one
-- run to one webhook go out in event order.
CREATE TABLE webhook_outbox (
  id             BIGINT AUTO_INCREMENT PRIMARY KEY,
  event_id       BIGINT        NOT NULL,
  run_id         BIGINT        NOT NULL,
  hook           VARCHAR(32)   NOT NULL,
  url            VARCHAR(2048) NOT NULL,
  event          VARCHAR(64)   NOT NULL,
  body           LONGTEXT      NOT NULL,
  delivery_id    VARCHAR(64)   NOT NULL,
  attempts       INT           NOT NULL,
  next_at        DATETIME(3)   NOT NULL,
  claimed_by     VARCHAR(64)   NULL,
  claimed_until  DATETIME(3)   NULL,
  done_at        DATETIME(3)   NULL,
  outcome        VARCHAR(16)   NULL,
  created_at     DATETIME(3)   NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX idx_webhook_outbox_due ON webhook_outbox (done_at, next_at);
CREATE INDEX idx_webhook_outbox_order ON webhook_outbox (run_id, hook, event_id);
