/*
 * discord: webhook URL handling, embeds within limits, rate-limit state and
 * response classification. No I/O. Response bodies are untrusted bytes.
 */
#include "discord.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TRUNC_MARK "… [truncated]"

int
discord_webhook_parse(const char *url, int allow_insecure,
    struct discord_webhook *wh, struct gw_err *err)
{
	const char *host, *path, *wp, *id, *tok;
	size_t hostlen, idlen, toklen, i;

	memset(wh, 0, sizeof(*wh));
	if (url == NULL || *url == '\0')
		return gw_err_set(err, "webhook URL is empty");
	if (strlen(url) >= sizeof(wh->url))
		return gw_err_set(err, "webhook URL is longer than %zu bytes",
		    sizeof(wh->url) - 1);
	for (i = 0; url[i]; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return gw_err_set(err, "webhook URL contains a space or a non-ASCII byte");
	if (strncmp(url, "https://", 8) == 0) {
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		if (!allow_insecure)
			return gw_err_set(err, "webhook URL must be https "
			    "(http only with --allow-insecure-url, for tests)");
		host = url + 7;
	} else {
		return gw_err_set(err, "webhook URL must start with https://");
	}
	path = strchr(host, '/');
	hostlen = path ? (size_t)(path - host) : strlen(host);
	if (hostlen == 0 || hostlen > 255 || path == NULL)
		return gw_err_set(err, "webhook URL has no host or no path");
	wp = strstr(path, "/webhooks/");
	if (wp == NULL)
		return gw_err_set(err, "webhook URL path has no /webhooks/<id>/<token>");
	id = wp + strlen("/webhooks/");
	idlen = strspn(id, "0123456789");
	if (idlen == 0 || idlen > 25 || id[idlen] != '/')
		return gw_err_set(err, "webhook URL: the id after /webhooks/ must be digits");
	tok = id + idlen + 1;
	toklen = strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_.");
	if (toklen < DISCORD_MIN_TOKEN || (tok[toklen] != '\0' && tok[toklen] != '?'))
		return gw_err_set(err, "webhook URL: the token after the id is missing or "
		    "malformed (at least %d of A-Z a-z 0-9 _ . -)", DISCORD_MIN_TOKEN);
	if (tok[toklen] == '?')
		return gw_err_set(err, "webhook URL must not carry a query string "
		    "(discord-notify adds ?wait=true)");
	snprintf(wh->url, sizeof(wh->url), "%s", url);
	snprintf(wh->redacted, sizeof(wh->redacted), "%.*s/***",
	    (int)(tok - 1 - url), url);
	return 0;
}

void
discord_redact(const struct discord_webhook *wh, char *s)
{
	const char *tok = strrchr(wh->url, '/');
	size_t tl, len;
	char *p, *from = s;

	/* A parsed token is at least DISCORD_MIN_TOKEN (> 3) long, so "***"
	 * only ever shrinks s: in place, never past its terminator. */
	if (tok == NULL || (tl = strlen(++tok)) < DISCORD_MIN_TOKEN)
		return;
	len = strlen(s);
	while ((p = strstr(from, tok)) != NULL) {
		size_t rest = len - (size_t)(p - s) - tl;

		memcpy(p, "***", 3);
		memmove(p + 3, p + tl, rest + 1);
		len -= tl - 3;
		from = p + 3;
	}
}

/* Count UTF-8 code points (continuation bytes do not count). */
static size_t
cp_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Copy s limited to max code points; if cut, end with TRUNC_MARK (the mark
 * counts toward max). Returns a new json string. */
static json_t *
limited(const char *s, size_t max)
{
	size_t mark = cp_len(TRUNC_MARK), keep, i, n = 0;
	json_t *j;
	char *buf;

	if (cp_len(s) <= max)
		return json_string(s);
	keep = max > mark ? max - mark : 0;
	for (i = 0; s[i]; i++) {	/* i: byte offset of code point keep+1 */
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (n == keep)
				break;
			n++;
		}
	}
	buf = malloc(i + sizeof(TRUNC_MARK));
	if (buf == NULL)
		return NULL;
	memcpy(buf, s, i);
	memcpy(buf + i, TRUNC_MARK, sizeof(TRUNC_MARK));
	j = json_string(buf);
	free(buf);
	return j;
}

static int
is_ok_event(const char *event)
{
	static const char *const ok[] = { "ok", "recovered", "restored", "ready",
	    "up", "resolved", "healthy" };
	const char *last = strrchr(event, '.');
	size_t i;

	last = last ? last + 1 : event;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(last, ok[i]) == 0)
			return 1;
	return 0;
}

static const struct {
	const char *emoji;
	const char *name;
	int colour;
} level_style[] = {
	[GW_DEBUG] = { "\xf0\x9f\x94\x8d", "DEBUG", 0x95a5a6 },		/* 🔍 */
	[GW_INFO] = { "\xe2\x84\xb9\xef\xb8\x8f", "INFO", 0x3498db },	/* ℹ️ */
	[GW_WARNING] = { "\xe2\x9a\xa0\xef\xb8\x8f", "WARNING", 0xf39c12 },	/* ⚠️ */
	[GW_ERROR] = { "\xf0\x9f\x94\xb4", "ERROR", 0xe74c3c },		/* 🔴 */
	[GW_CRITICAL] = { "\xf0\x9f\x9a\xa8", "CRITICAL", 0x992d22 },	/* 🚨 */
};
#define OK_EMOJI "\xe2\x9c\x85"	/* ✅ */
#define OK_COLOUR 0x2ecc71

json_t *
discord_embed(const struct gw_event *ev, unsigned count, unsigned window_s)
{
	char title[512], footer[256];
	json_t *e, *fields, *desc;
	int ok = is_ok_event(ev->event) && ev->level <= GW_INFO;
	unsigned lvl = (unsigned)ev->level <= GW_CRITICAL ? (unsigned)ev->level : GW_INFO;
	size_t i, total, dlen, nf, fixed, dmin, vcap;

	if (count > 1)
		snprintf(title, sizeof(title), "%s %s %s \xc3\x97%u", ok ? OK_EMOJI :
		    level_style[lvl].emoji, level_style[lvl].name, ev->event, count);
	else
		snprintf(title, sizeof(title), "%s %s %s", ok ? OK_EMOJI :
		    level_style[lvl].emoji, level_style[lvl].name, ev->event);
	snprintf(footer, sizeof(footer), "%s \xc2\xb7 %s", ev->source, ev->component);
	e = json_object();
	fields = json_array();
	if (e == NULL || fields == NULL) {
		json_decref(e);
		json_decref(fields);
		return NULL;
	}
	json_object_set_new(e, "title", limited(title, DISCORD_MAX_TITLE));
	json_object_set_new(e, "color", json_integer(ok ? OK_COLOUR : level_style[lvl].colour));
	json_object_set_new(e, "timestamp", json_string(ev->ts));
	json_object_set_new(e, "footer", json_pack("{s:o}", "text",
	    limited(footer, DISCORD_MAX_FOOTER)));
	/* 25 fields of 1024 alone would pass the 6000-character total: give
	 * the field values an equal share of what title, footer, names and a
	 * part of the message leave. */
	/* With a count, the "repeated" field takes the 25th place; it says
	 * how many of the event's fields were left out. */
	nf = ev->n_fields < DISCORD_MAX_FIELDS - (count > 1) ? ev->n_fields :
	    DISCORD_MAX_FIELDS - (count > 1);
	fixed = cp_len(title) + cp_len(footer) + (count > 1 ? 40 : 0);
	for (i = 0; i < nf; i++)
		fixed += cp_len(ev->fields[i].name) < DISCORD_MAX_FIELD_NAME ?
		    cp_len(ev->fields[i].name) : DISCORD_MAX_FIELD_NAME;
	dmin = cp_len(ev->message) < 1000 ? cp_len(ev->message) : 1000;
	vcap = DISCORD_MAX_FIELD_VALUE;
	if (nf > 0 && fixed + dmin + nf * vcap > DISCORD_MAX_EMBED_TOTAL) {
		size_t room = DISCORD_MAX_EMBED_TOTAL > fixed + dmin ?
		    DISCORD_MAX_EMBED_TOTAL - fixed - dmin : 0;
		vcap = room / nf;
		if (vcap < 20)
			vcap = 20;
	}
	for (i = 0; i < nf; i++) {
		const char *v = ev->fields[i].value[0] ? ev->fields[i].value : "(empty)";

		json_array_append_new(fields, json_pack("{s:o, s:o, s:b}",
		    "name", limited(ev->fields[i].name, DISCORD_MAX_FIELD_NAME),
		    "value", limited(v, vcap), "inline", 1));
	}
	if (count > 1) {
		char rep[128];

		if (ev->n_fields > nf)
			snprintf(rep, sizeof(rep), "%u times within %u s; +%zu field%s "
			    "not shown", count, window_s, ev->n_fields - nf,
			    ev->n_fields - nf == 1 ? "" : "s");
		else
			snprintf(rep, sizeof(rep), "%u times within %u s", count, window_s);
		json_array_append_new(fields, json_pack("{s:s, s:s, s:b}",
		    "name", "repeated", "value", rep, "inline", 1));
	}
	if (json_array_size(fields) > 0)
		json_object_set(e, "fields", fields);
	json_decref(fields);
	/* The description gets what the other parts leave of the 6000. */
	json_object_set_new(e, "description", json_string(""));
	total = discord_embed_chars(e);
	dlen = DISCORD_MAX_DESCRIPTION;
	if (total + dlen > DISCORD_MAX_EMBED_TOTAL)
		dlen = total < DISCORD_MAX_EMBED_TOTAL ? DISCORD_MAX_EMBED_TOTAL - total : 0;
	desc = limited(ev->message[0] ? ev->message : "(no message)", dlen);
	json_object_set_new(e, "description", desc);
	return e;
}

static size_t
str_chars(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? cp_len(s) : 0;
}

size_t
discord_embed_chars(const json_t *embed)
{
	size_t n = str_chars(embed, "title") + str_chars(embed, "description");
	const json_t *f;
	size_t i;

	n += str_chars(json_object_get(embed, "footer"), "text");
	n += str_chars(json_object_get(embed, "author"), "name");
	json_array_foreach(json_object_get(embed, "fields"), i, f)
		n += str_chars(f, "name") + str_chars(f, "value");
	return n;
}

json_t *
discord_payload(json_t *embeds, const char *mention)
{
	json_t *p = json_object();

	if (p == NULL) {
		json_decref(embeds);
		return NULL;
	}
	json_object_set_new(p, "embeds", embeds);
	if (mention != NULL && *mention) {
		json_object_set_new(p, "content", limited(mention, DISCORD_MAX_CONTENT));
		json_object_set_new(p, "allowed_mentions", json_pack("{s:[s,s]}",
		    "parse", "roles", "users"));
	} else {
		json_object_set_new(p, "allowed_mentions", json_pack("{s:[]}", "parse"));
	}
	return p;
}

void
discord_rl_init(struct discord_rl *rl)
{
	rl->blocked_until = 0;
	rl->global_until = 0;
	rl->consecutive_429 = 0;
}

void
discord_rl_update(struct discord_rl *rl, double now_ms,
    const struct discord_response *r)
{
	double wait, floor_s;
	unsigned k;

	if (r->status == 429) {
		/* retry_after from the body, else Retry-After, else 1 s; never
		 * less than 250 ms, doubling with each 429 in a row (a server
		 * that keeps saying "0" must not be hammered) */
		wait = r->has_retry_after ? r->retry_after : 1.0;
		if (!isfinite(wait) || wait < 0)
			wait = 1.0;
		if (rl->consecutive_429 < 64)
			rl->consecutive_429++;
		k = rl->consecutive_429 - 1;
		floor_s = DISCORD_MIN_429_WAIT * (k < 10 ? (double)(1u << k) : 1024.0);
		if (floor_s > DISCORD_MAX_429_BACKOFF)
			floor_s = DISCORD_MAX_429_BACKOFF;
		if (wait < floor_s)
			wait = floor_s;
		if (wait > 3600)
			wait = 3600;
		if (r->global)
			rl->global_until = now_ms + wait * 1000;
		else
			rl->blocked_until = now_ms + wait * 1000;
		return;
	}
	if (r->status != 0)	/* an answer other than 429 ends a 429 streak */
		rl->consecutive_429 = 0;
	/* Pace on the headers so that a well-behaved run never sees a 429:
	 * with nothing left in the bucket, wait for it to refill. */
	if (r->has_remaining && r->remaining <= 0 && r->has_reset_after &&
	    isfinite(r->reset_after) && r->reset_after >= 0 &&
	    r->reset_after <= 3600)
		rl->blocked_until = now_ms + r->reset_after * 1000;
}

double
discord_rl_wait_ms(const struct discord_rl *rl, double now_ms)
{
	double until = rl->blocked_until > rl->global_until ?
	    rl->blocked_until : rl->global_until;

	return until > now_ms ? until - now_ms : 0;
}

/* A header value as a finite non-negative number; -1 if it is not one. */
static double
header_num(const char *v, size_t n)
{
	char buf[32], *end;
	double d;

	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (strspn(buf, "0123456789.") != n)
		return -1;
	d = strtod(buf, &end);
	return *end == '\0' && isfinite(d) ? d : -1;
}

void
discord_parse_header(const char *line, size_t len, struct discord_response *r)
{
	static const char *const names[] = { "x-ratelimit-remaining",
	    "x-ratelimit-reset-after", "retry-after", "x-ratelimit-global" };
	const char *colon = memchr(line, ':', len), *v;
	size_t nlen, vlen, i;
	double d;

	if (colon == NULL)
		return;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	for (i = 0; i < 4; i++)
		if (strlen(names[i]) == nlen && strncasecmp(line, names[i], nlen) == 0)
			break;
	switch (i) {
	case 0:
		if ((d = header_num(v, vlen)) >= 0 && d == (long)d) {
			r->has_remaining = 1;
			r->remaining = (long)d;
		}
		break;
	case 1:
		if ((d = header_num(v, vlen)) >= 0) {
			r->has_reset_after = 1;
			r->reset_after = d;
		}
		break;
	case 2:	/* the body's retry_after, parsed later, takes precedence */
		if ((d = header_num(v, vlen)) >= 0 && !r->has_retry_after) {
			r->has_retry_after = 1;
			r->retry_after = d;
		}
		break;
	case 3:
		if (vlen >= 4 && strncasecmp(v, "true", 4) == 0)
			r->global = 1;
		break;
	default:
		break;
	}
}

void
discord_parse_429(const char *body, size_t len, struct discord_response *r)
{
	json_t *o = json_loadb(body, len, 0, NULL), *ra, *g;

	if (o == NULL)
		return;
	ra = json_object_get(o, "retry_after");
	if (json_is_number(ra) && json_number_value(ra) >= 0) {
		r->has_retry_after = 1;
		r->retry_after = json_number_value(ra);
	}
	g = json_object_get(o, "global");
	if (json_is_true(g))
		r->global = 1;
	json_decref(o);
}

void
discord_error_message(const char *body, size_t len, char *out, size_t outsz)
{
	json_t *o = json_loadb(body, len, 0, NULL);
	const char *m = o ? json_string_value(json_object_get(o, "message")) : NULL;

	out[0] = '\0';
	if (m != NULL)
		gw_err_quote(out, outsz, m, strlen(m));
	json_decref(o);
}

enum discord_outcome
discord_classify(long status)
{
	if (status >= 200 && status < 300)
		return DISCORD_DELIVERED;
	if (status == 429)
		return DISCORD_RATE_LIMITED;
	if (status == 401 || status == 403 || status == 404)
		return DISCORD_PARK;
	if (status == 400 || status == 413)
		return DISCORD_REFUSED;
	return DISCORD_TRANSIENT;
}

const char *
discord_outcome_name(enum discord_outcome o)
{
	static const char *const names[] = { "delivered", "rate-limited",
	    "parked", "refused", "transient" };

	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}
