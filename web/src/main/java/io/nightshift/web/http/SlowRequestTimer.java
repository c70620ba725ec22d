package io.nightshift.web.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clocks of one HTTP/1 connection, between the request decoder and Vert.x: a request head must
 * be complete within the head timeout (counted from the connection's start and from the end of each
 * answer, so a kept-alive connection is held to it too), its body within the body timeout (counted
 * from the head). A late head closes the connection; a late body gets 408 first. Runs on the
 * connection's event loop only.
 */
final class SlowRequestTimer extends ChannelDuplexHandler {
  private static final Logger log = LoggerFactory.getLogger(SlowRequestTimer.class);

  private enum Phase {
    HEAD,
    BODY,
    SERVING
  }

  private final long headMillis;
  private final long bodyMillis;
  private Phase phase = Phase.HEAD;
  private boolean answered;
  private boolean responding;
  private ScheduledFuture<?> timer;

  SlowRequestTimer(Duration headTimeout, Duration bodyTimeout) {
    this.headMillis = headTimeout.toMillis();
    this.bodyMillis = bodyTimeout.toMillis();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    arm(ctx, headMillis, this::headTooSlow);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      cancel();
      phase = Phase.BODY;
      answered = false;
      responding = false;
      if (!(msg instanceof LastHttpContent)) {
        arm(ctx, bodyMillis, this::bodyTooSlow);
      }
    }
    if (msg instanceof LastHttpContent && phase == Phase.BODY) {
      cancel();
      phase = Phase.SERVING;
      if (answered) {
        nextHead(ctx);
      }
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
      // 100 Continue: the client may now send its body; the answer is still to come.
      ctx.write(msg, promise);
      return;
    }
    if (msg instanceof HttpResponse) {
      responding = true;
    }
    if (msg instanceof LastHttpContent) {
      answered = true;
      if (phase == Phase.SERVING) {
        nextHead(ctx);
      }
    }
    ctx.write(msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  private void nextHead(ChannelHandlerContext ctx) {
    phase = Phase.HEAD;
    arm(ctx, headMillis, this::headTooSlow);
  }

  private void headTooSlow(ChannelHandlerContext ctx) {
    log.info(
        "closing connection from {}: no complete request head within {} ms"
            + " (http.headerTimeoutSeconds)",
        ctx.channel().remoteAddress(),
        headMillis);
    ctx.close();
  }

  private void bodyTooSlow(ChannelHandlerContext ctx) {
    log.info(
        "closing connection from {}: request body not complete within {} ms"
            + " (http.bodyTimeoutSeconds)",
        ctx.channel().remoteAddress(),
        bodyMillis);
    if (responding) {
      ctx.close();
      return;
    }
    byte[] body =
        ("{\"error\":{\"code\":\"request_timeout\",\"message\":\"the request body did not arrive"
                + " within "
                + bodyMillis / 1000.0
                + " s (http.bodyTimeoutSeconds)\"}}")
            .getBytes(StandardCharsets.UTF_8);
    FullHttpResponse answer =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT, Unpooled.wrappedBuffer(body));
    answer.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
    answer.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
    answer.headers().set(HttpHeaderNames.CONNECTION, "close");
    ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
  }

  private void arm(
      ChannelHandlerContext ctx,
      long millis,
      java.util.function.Consumer<ChannelHandlerContext> expired) {
    cancel();
    timer = ctx.executor().schedule(() -> expired.accept(ctx), millis, TimeUnit.MILLISECONDS);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
