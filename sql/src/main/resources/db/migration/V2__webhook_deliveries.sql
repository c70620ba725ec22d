-- Every attempt to deliver a webhook (template/job `notify`), shown on the run.
CREATE TABLE webhook_delivery (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  run_id       BIGINT        NOT NULL,
  event        VARCHAR(64)   NOT NULL,
  url          VARCHAR(2048) NOT NULL,
  attempt      INT           NOT NULL,
  status_code  INT           NULL,
  error        VARCHAR(1024) NULL,
  delivered_at DATETIME(3)   NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX idx_webhook_delivery_run ON webhook_delivery (run_id, id);
