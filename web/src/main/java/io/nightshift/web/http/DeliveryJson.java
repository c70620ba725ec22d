package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.notify.WebhookDelivery;
import io.nightshift.scheduler.template.WebhookUrls;
import io.vertx.core.json.JsonObject;

/** A webhook delivery attempt as the API shows it: the URL's secrets masked, in the error too. */
final class DeliveryJson {
  private DeliveryJson() {}

  static JsonObject of(WebhookDelivery d) {
    return new JsonObject()
        .put("event", d.event())
        .put("url", WebhookUrls.shown(d.url()))
        .put("attempt", d.attempt())
        .put("statusCode", d.statusCode())
        .put("error", WebhookUrls.maskIn(d.error(), d.url()))
        .put("at", Instants.format(d.at()));
  }
}
