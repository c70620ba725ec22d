package io.nightshift.scheduler.template;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WebhookUrlsTest {
  private static final String URL =
      "https://bot:t0k3n-secret@chat.example/hook?token=abcdef123456&status=500&room=ops";

  @Test
  void a_url_shows_its_password_and_query_values_masked() {
    assertThat(WebhookUrls.shown(URL))
        .isEqualTo("https://bot:******@chat.example/hook?token=******&status=******&room=******");
  }

  @Test
  void an_error_text_shows_the_url_masked_and_credentials_wherever_they_are_but_not_short_values() {
    String error = "cannot deliver to " + URL + ": answered 500 (room ops), token abcdef123456";

    assertThat(WebhookUrls.maskIn(error, URL))
        .isEqualTo(
            "cannot deliver to https://bot:******@chat.example/hook?token=******&status=******"
                + "&room=******: answered 500 (room ops), token ******");
    assertThat(WebhookUrls.maskIn("refused t0k3n-secret", URL)).isEqualTo("refused ******");
  }
}
