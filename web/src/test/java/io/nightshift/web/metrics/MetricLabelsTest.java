package io.nightshift.web.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests without a token, with invented methods and paths, cannot grow {@code /metrics}: labels
 * only take known values, anything else is {@code other}.
 */
class MetricLabelsTest {
  TestServer server;

  @BeforeEach
  void start() {
    server = TestServer.start(TestServer.Store.H2);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void invented_methods_and_paths_fold_into_fixed_labels() {
    for (int i = 0; i < 20; i++) {
      invent(i);
    }
    int before = scrape().length();
    for (int i = 20; i < 2_000; i++) {
      invent(i);
    }
    String after = scrape();

    assertThat(after).doesNotContain("INVENTED").doesNotContain("nope-");
    assertThat(after).containsPattern("method=\"other\"");
    assertThat(after.length() - before)
        .as(
            "the scrape grew by %d bytes after 1,980 more invented requests",
            after.length() - before)
        .isLessThan(4_000);
  }

  private void invent(int i) {
    String method = "INVENTED" + i;
    String path =
        switch (i % 4) {
          case 0 -> "/nope-" + i;
          case 1 -> "/api/v1/nope-" + i;
          case 2 -> "/api/v1/runs/" + i + "/nope-" + i;
          default -> "/health";
        };
    Answer answer = server.send(i % 5 == 0 ? "GET" : method, path, null, null);
    assertThat(answer.status()).as(method + " " + path).isLessThan(500);
  }

  private String scrape() {
    Answer answer = server.get("/metrics", null);
    assertThat(answer.status()).isEqualTo(200);
    return answer.body();
  }
}
