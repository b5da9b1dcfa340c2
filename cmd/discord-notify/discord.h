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
/* The longest wait a response can impose (429 retry_after, the body's or
 * the Retry-After header's, and X-RateLimit-Reset-After on an empty
 * bucket), in seconds. Discord's rate-limit docs
 * (discord.com/developers/docs/topics/rate-limits, "Exceeding A Rate
 * Limit") give retry_after in seconds and say to wait that long; a
 * webhook's bucket resets within seconds, and longer waits come from
 * Cloudflare bans, broken proxies or hostile servers (libraries have seen
 * "retry after 2 days"). Waiting longer than 5 minutes would silence every
 * alert for that long on one bad number; asking again after 300 s costs
 * one request, far inside the 10 000 invalid requests per 10 minutes that
 * Discord tolerates before a ban. discord_rl_update says when it capped. */
#define DISCORD_MAX_RETRY_AFTER 300.0
/* An embed title made from a message keeps at most this many characters
 * of its first line (then "…"). */
#define DISCORD_TITLE_FROM_MESSAGE 100

struct discord_webhook {
	char url[2048];		/* secret: never print */
	char redacted[512];	/* for logs: the URL with the token shown as
				 * *** and a user:pass@ as ***@ */
};

/* Validate a webhook URL: https (http only with allow_insecure), a path
 * ending in /webhooks/<numeric id>/<token>, the token at least
 * DISCORD_MIN_TOKEN characters of [A-Za-z0-9_.-]. A user:pass@ before the
 * host is allowed (a proxy's) and is a secret too: wh->redacted shows it
 * as ***@, never its text. Errors never quote the URL. */
int discord_webhook_parse(const char *url, int allow_insecure,
    struct discord_webhook *wh, struct gw_err *err);

/* The one redaction of the webhook's secrets, for every text that might
 * carry them: libcurl's errors, response bodies that a proxy or a hostile
 * server fills with our request, anything quoting the URL. In place.
 * Hunted wherever they occur, in plain form, with any character
 * percent-encoded (%2F, %2f, %41...) or JSON-escaped (\/, \u0041...), or
 * mixed, and replaced:
 *   - the whole URL (as given, with any user:pass@) -> wh->redacted;
 *   - the token -> "***";
 *   - a user:pass@ userinfo -> "***" (one under 3 characters only with
 *     its '@': "me@" -> "**@", so that it does not eat ordinary words);
 *     the password alone when it has 4 characters or more -> "***"; the
 *     Basic authorization curl sends for it (base64 of the decoded
 *     "user:password") -> "***".
 * Every replacement is no longer than what it replaces, so the text only
 * shrinks. discord_redact_buf works on len bytes (NULs allowed) and
 * returns the new length (it does not add a terminator); discord_redact
 * works on a NUL-terminated string. discord_redact_cut is for a text cut
 * at an arbitrary point (a capped body), which may end in the first part
 * of a secret: it drops the last bytes that could hold one (6 per
 * character of the longest secret), then redacts. A wh that did not come
 * from discord_webhook_parse (url empty) leaves the text as it is. Pure;
 * never fails; nothing is allocated. */
size_t discord_redact_buf(const struct discord_webhook *wh, char *s,
    size_t len);
void discord_redact(const struct discord_webhook *wh, char *s);
size_t discord_redact_cut(const struct discord_webhook *wh, char *s,
    size_t len);

/* The people-readable part of ev's embed title, without the level emoji
 * or the ×N count, into buf (NUL-terminated, cut with "…" to fit):
 * from the first matching template of a known event (docs/events.md,
 * "Discord titles"), else the message's first line (trimmed, at most
 * DISCORD_TITLE_FROM_MESSAGE characters), else the event name in words
 * ("gateway.disconnected" -> "Gateway disconnected"). */
void discord_title(const struct gw_event *ev, char *buf, size_t size);

/* One embed (new reference) for ev seen `count` times. Title: the level's
 * emoji (✅ for an ok event at info or below) and discord_title(); count
 * > 1 adds " ×N" and a "repeated" field. Footer: "level · event · source".
 * Fields: one per field, nested objects as dotted names ("exit.signal"),
 * arrays as "a, b, c"; at most 25: when more, the 25th place says "+N
 * fields not shown" (with a count, the "repeated" field does). Always
 * within the per-embed limits. */
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
/* Feed one response. Returns 1 when the wait the server asked for
 * (retry_after, or X-RateLimit-Reset-After on an empty bucket) was longer
 * than DISCORD_MAX_RETRY_AFTER and was cut to it, else 0. */
int discord_rl_update(struct discord_rl *rl, double now_ms,
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
