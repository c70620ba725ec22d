package io.nightshift.web.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The head and body clocks of one connection, on Netty's embedded channel (its clock is moved by
 * the test): which phase each message moves the connection to, and when it is closed.
 */
class SlowRequestTimerTest {
  private final EmbeddedChannel channel =
      new EmbeddedChannel(new SlowRequestTimer(Duration.ofSeconds(1), Duration.ofSeconds(2)));

  @Test
  void a_100_continue_does_not_start_the_next_head_clock_while_the_answer_is_being_made() {
    channel.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/x"));
    channel.writeOutbound(
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    channel.writeInbound(
        new DefaultLastHttpContent(Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8)));

    wait(5);
    assertThat(channel.isOpen()).as("a slow answer (a long stream) is not cut").isTrue();

    channel.writeOutbound(answer(HttpResponseStatus.OK));
    wait(2);
    assertThat(channel.isOpen()).as("no next head within the head timeout").isFalse();
  }

  @Test
  void a_late_body_after_100_continue_gets_408_and_the_connection_closes() {
    channel.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/x"));
    channel.writeOutbound(
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    channel.readOutbound();
    wait(3);
    FullHttpResponse sent = channel.readOutbound();
    assertThat(sent.status()).isEqualTo(HttpResponseStatus.REQUEST_TIMEOUT);
    assertThat(sent.content().toString(StandardCharsets.UTF_8)).contains("request_timeout");
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void an_answer_sent_before_the_body_ended_starts_the_head_clock_once_the_body_is_in() {
    channel.writeInbound(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/x"));
    channel.writeOutbound(answer(HttpResponseStatus.UNAUTHORIZED));
    channel.writeInbound(new DefaultLastHttpContent());
    wait(0);
    assertThat(channel.isOpen()).isTrue();
    wait(2);
    assertThat(channel.isOpen()).isFalse();
  }

  private static FullHttpResponse answer(HttpResponseStatus status) {
    return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
  }

  private void wait(int seconds) {
    channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    channel.runPendingTasks();
  }
}
