/*
 * discord: what gwkit says to a Discord webhook, without any I/O.
 *   - the webhook URL: validation and the redacted form for logs (the token
 *     is a secret and never appears in any output);
 *   - an event as one embed within Discord's limits (truncated with a
 *     visible marker, never dropped);
 *   - the rate-limit state machine fed by response headers and 429 bodies;
 *   - how a response is handled (delivered, retry, park, refused).
 * References: discord.com/developers/docs/resources/webhook#execute-webhook,
 * .../topics/rate-limits, .../resources/message#embed-object-embed-limits.
 */
#ifndef GW_DISCORD_H
#define GW_DISCORD_H

#include <stddef.h>

#include <jansson.h>

#include "event.h"
#include "gw_err.h"

/* Discord's limits (characters are Unicode code points). */
#define DISCORD_MAX_EMBEDS 10
#define DISCORD_MAX_CONTENT 2000
#define DISCORD_MAX_TITLE 256
#define DISCORD_MAX_DESCRIPTION 4096
#define DISCORD_MAX_FIELDS 25
#define DISCORD_MAX_FIELD_NAME 256
#define DISCORD_MAX_FIELD_VALUE 1024
#define DISCORD_MAX_FOOTER 2048
#define DISCORD_MAX_EMBED_TOTAL 6000	/* per message, all embeds */

/* A webhook token shorter than this is refused (Discord's are ~68). */
#define DISCORD_MIN_TOKEN 20
/* 429 waits: at least 0.25 s, doubling with each 429 in a row, to 60 s. */
#define DISCORD_MIN_429_WAIT 0.25
#define DISCORD_MAX_429_BACKOFF 60.0

struct discord_webhook {
	char url[2048];		/* secret: never print */
	char redacted[512];	/* the URL with the token shown as *** */
};

/* Validate a webhook URL: https (http only with allow_insecure), a path
 * ending in /webhooks/<numeric id>/<token>, the token at least
 * DISCORD_MIN_TOKEN characters of [A-Za-z0-9_.-]. Errors never quote the
 * URL. */
int discord_webhook_parse(const char *url, int allow_insecure,
    struct discord_webhook *wh, struct gw_err *err);

/* Replace every occurrence of the webhook token in s (in place) by "***":
 * for text from libraries (curl errors) that might echo the URL. s only
 * shrinks (the token is longer than "***"); wh must come from
 * discord_webhook_parse (else s is left as it is). */
void discord_redact(const struct discord_webhook *wh, char *s);

/* One embed (new reference) for ev seen `count` times (count > 1 adds
 * "×N" to the title and a "repeated" field, which takes the 25th field's
 * place and then says "+1 field not shown"). Always within the per-embed
 * limits. */
json_t *discord_embed(const struct gw_event *ev, unsigned count,
    unsigned window_s);

/* Characters an embed counts toward DISCORD_MAX_EMBED_TOTAL. */
size_t discord_embed_chars(const json_t *embed);

/* The request body: {"embeds": [...]} plus "content" with the mention
 * when mention is not NULL. Steals the embeds array. */
json_t *discord_payload(json_t *embeds, const char *mention);

/* Rate-limit state (one webhook = one bucket). Times in ms on any
 * monotonic clock the caller uses consistently. */
struct discord_rl {
	double blocked_until;	/* bucket exhausted or 429: wait until then */
	double global_until;	/* global 429: everything waits */
	unsigned consecutive_429;	/* 429s in a row (backoff floor) */
};

struct discord_response {
	long status;		/* HTTP status; 0 = transport error */
	int has_remaining;
	long remaining;		/* X-RateLimit-Remaining */
	int has_reset_after;
	double reset_after;	/* X-RateLimit-Reset-After, seconds */
	int has_retry_after;
	double retry_after;	/* 429 body retry_after, else Retry-After header */
	int global;		/* 429 body "global": true or X-RateLimit-Global */
};

void discord_rl_init(struct discord_rl *rl);
void discord_rl_update(struct discord_rl *rl, double now_ms,
    const struct discord_response *r);
/* Milliseconds to wait before the next request may go; 0 = now. */
double discord_rl_wait_ms(const struct discord_rl *rl, double now_ms);

/* Take what matters from one response header line ("Name: value\r\n",
 * untrusted bytes): X-RateLimit-Remaining, X-RateLimit-Reset-After,
 * Retry-After (seconds), X-RateLimit-Global. Other lines are ignored. */
void discord_parse_header(const char *line, size_t len,
    struct discord_response *r);

/* Fill retry_after/global from a 429 JSON body (untrusted bytes). */
void discord_parse_429(const char *body, size_t len,
    struct discord_response *r);
/* Discord's "message" from an error body, quoted, for logs and the
 * dead-letter reason; "" when absent. */
void discord_error_message(const char *body, size_t len, char *out,
    size_t outsz);

enum discord_outcome {
	DISCORD_DELIVERED,	/* 2xx */
	DISCORD_RATE_LIMITED,	/* 429: wait retry_after, resend */
	DISCORD_PARK,		/* 401/403/404: webhook gone or token invalid */
	DISCORD_REFUSED,	/* 400/413: too large or invalid: split or dead-letter */
	DISCORD_TRANSIENT,	/* transport error, 5xx, anything else: retry */
};
enum discord_outcome discord_classify(long status);
const char *discord_outcome_name(enum discord_outcome o);

#endif
