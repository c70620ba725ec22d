package io.nightshift.web.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line against an address where no node listens says so in words. */
class UnreachableNodeTest {
  @TempDir Path home;

  @Test
  void a_node_that_is_not_there_is_named_with_the_reason() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port;
    CommandLineTest.Result result =
        CommandLineTest.cli(
            Map.of("HOME", home.toString(), "NIGHTSHIFT_URL", url, "NIGHTSHIFT_TOKEN", "t"),
            "nodes");
    assertThat(result.status()).isNotZero();
    assertThat(result.err())
        .startsWith("nightshift: cannot reach " + url + ": ")
        .containsIgnoringCase("refused")
        .doesNotContain("ConnectException");
  }
}
