package io.nightshift.web.approvals;

import io.nightshift.web.TestServer;

class MySqlApprovalFlowTest extends ApprovalFlowTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.MYSQL;
  }
}
