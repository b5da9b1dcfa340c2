/*
 * http: HTTPS POSTs to the Discord webhook through libcurl's multi-socket
 * API on the libevent base (the pattern of curl's docs/examples/
 * multi-event.c, without its globals). Response headers feed the
 * rate-limit state (discord_parse_header); bodies are capped at 64 KiB.
 * Nothing that leaves this module carries the webhook's secrets: response
 * bodies and error texts are redacted here (discord_redact), at the source,
 * since a proxy's error page or a hostile server may echo the request.
 */
#ifndef GW_NOTIFY_HTTP_H
#define GW_NOTIFY_HTTP_H

#include <stddef.h>

#include "discord.h"
#include "gw_err.h"

struct event_base;
struct http;

/* r->status 0 and error set for failures before any HTTP status. body/len:
 * the response body. Both are redacted (discord_redact). */
typedef void (*http_done_cb)(void *arg, const struct discord_response *r,
    const char *body, size_t len, const char *error);

/* curl_global_init must have been called. timeout_ms bounds every request. */
struct http *http_new(struct event_base *base, const struct discord_webhook *wh,
    int allow_insecure, long timeout_ms, struct gw_err *err);
/* Drops the requests still in flight (their callbacks never run) and frees
 * everything, before the event base goes. NULL-safe. */
void http_free(struct http *h);

/* POST body (copied) to the webhook with ?wait=true. The callback runs
 * later from the event loop, exactly once. */
int http_post(struct http *h, const char *body, size_t len, http_done_cb cb,
    void *arg, struct gw_err *err);

#endif
