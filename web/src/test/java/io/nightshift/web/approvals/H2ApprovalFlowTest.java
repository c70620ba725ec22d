package io.nightshift.web.approvals;

import io.nightshift.web.TestServer;

class H2ApprovalFlowTest extends ApprovalFlowTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.H2;
  }
}
