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

/* The userinfo ends at the authority's last '@' (a password's own '@'
 * should be %40, but be safe). */
static const char *
last_at(const char *s, size_t n)
{
	while (n > 0)
		if (s[--n] == '@')
			return s + n;
	return NULL;
}

int
discord_webhook_parse(const char *url, int allow_insecure,
    struct discord_webhook *wh, struct gw_err *err)
{
	const char *host, *path, *wp, *id, *tok, *at, *scheme_end;
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
	scheme_end = host;
	path = strchr(host, '/');
	hostlen = path ? (size_t)(path - host) : strlen(host);
	/* a proxy's user:pass@ is allowed, and shown only as ***@ */
	at = path ? last_at(host, hostlen) : NULL;
	if (at != NULL) {
		hostlen -= (size_t)(at + 1 - host);
		host = at + 1;
	}
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
	snprintf(wh->redacted, sizeof(wh->redacted), "%.*s%s%.*s/***",
	    (int)(scheme_end - url), url, at != NULL ? "***@" : "",
	    (int)(tok - 1 - host), host);
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Bytes of s[0..n) that spell pat, each of its characters as itself, as
 * %XX (hex in any case), as \/ (for '/') or as \uXXXX; 0 = no match. */
static size_t
match_encoded(const char *s, size_t n, const char *pat, size_t plen)
{
	size_t i = 0, k;

	for (k = 0; k < plen; k++) {
		unsigned char c = (unsigned char)pat[k];

		if (i < n && (unsigned char)s[i] == c) {
			i++;
		} else if (n - i >= 3 && s[i] == '%' && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0 &&
		    hexval(s[i + 1]) * 16 + hexval(s[i + 2]) == c) {
			i += 3;
		} else if (c == '/' && n - i >= 2 && s[i] == '\\' && s[i + 1] == '/') {
			i += 2;
		} else if (n - i >= 6 && s[i] == '\\' && s[i + 1] == 'u' &&
		    hexval(s[i + 2]) == 0 && hexval(s[i + 3]) == 0 &&
		    hexval(s[i + 4]) >= 0 && hexval(s[i + 5]) >= 0 &&
		    hexval(s[i + 4]) * 16 + hexval(s[i + 5]) == c) {
			i += 6;
		} else {
			return 0;
		}
	}
	return i;
}

/* A short userinfo is hunted only with its '@' ("me@"), since alone it
 * would eat ordinary words ("message", "retry_after"). */
#define MIN_USERINFO 3
#define MIN_PASSWORD 4
#define MAX_SECRETS 6

struct secret {
	const char *pat;
	size_t plen;
	const char *with;
};

/* What discord_redact_buf hunts, in the order tried (the whole URL first:
 * it holds the rest). The buffers hold derived secrets; wipe them after. */
struct secrets {
	struct secret t[MAX_SECRETS];
	size_t n;
	char shortui[MIN_USERINFO + 1];		/* "**@" for "me@" */
	char basic[(sizeof(((struct discord_webhook *)0)->url) + 2) / 3 * 4 + 8];
};

static void
add(struct secrets *sc, const char *pat, size_t plen, const char *with)
{
	sc->t[sc->n].pat = pat;
	sc->t[sc->n].plen = plen;
	sc->t[sc->n++].with = with;
}

/* The Basic authorization curl sends for userinfo ui: base64 of the
 * percent-decoded "user:password" (a lone user gets its ':'). */
static void
basic_auth(const char *ui, size_t n, char *out, size_t outsz)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	char plain[sizeof(((struct discord_webhook *)0)->url) + 1];
	size_t i, len = 0, o = 0;

	for (i = 0; i < n && len + 1 < sizeof(plain); i++) {
		if (ui[i] == '%' && n - i >= 3 && hexval(ui[i + 1]) >= 0 &&
		    hexval(ui[i + 2]) >= 0) {
			plain[len++] = (char)(hexval(ui[i + 1]) * 16 + hexval(ui[i + 2]));
			i += 2;
		} else {
			plain[len++] = ui[i];
		}
	}
	if (memchr(ui, ':', n) == NULL)
		plain[len++] = ':';
	for (i = 0; i < len && o + 5 < outsz; i += 3) {
		unsigned v = (unsigned)(unsigned char)plain[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)(unsigned char)plain[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)plain[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	explicit_bzero(plain, sizeof(plain));
}

/* 0 = nothing to hunt (wh did not come from discord_webhook_parse). */
static size_t
webhook_secrets(const struct discord_webhook *wh, struct secrets *sc)
{
	const char *url = wh->url, *host, *at, *colon, *path;
	size_t ul;

	sc->n = 0;
	if (url[0] == '\0' || (host = strstr(url, "://")) == NULL)
		return 0;
	host += 3;
	add(sc, url, strlen(url), wh->redacted);
	path = strchr(host, '/');
	at = path ? last_at(host, (size_t)(path - host)) : NULL;
	if (at != NULL) {
		ul = (size_t)(at - host);
		if (ul >= MIN_USERINFO) {
			add(sc, host, ul, "***");
		} else {
			memset(sc->shortui, '*', ul);
			sc->shortui[ul] = '@';
			sc->shortui[ul + 1] = '\0';
			add(sc, host, ul + 1, sc->shortui);
		}
		colon = memchr(host, ':', ul);
		if (colon != NULL && (size_t)(at - colon - 1) >= MIN_PASSWORD)
			add(sc, colon + 1, (size_t)(at - colon - 1), "***");
		basic_auth(host, ul, sc->basic, sizeof(sc->basic));
		add(sc, sc->basic, strlen(sc->basic), "***");
	}
	add(sc, strrchr(url, '/') + 1, strlen(strrchr(url, '/') + 1), "***");
	return sc->n;
}

size_t
discord_redact_buf(const struct discord_webhook *wh, char *s, size_t len)
{
	struct secrets sc;
	size_t i = 0, k, m, wl;

	if (webhook_secrets(wh, &sc) == 0)
		return len;
	while (i < len) {
		for (k = 0; k < sc.n; k++) {
			const struct secret *t = &sc.t[k];

			if (t->plen == 0 ||
			    (m = match_encoded(s + i, len - i, t->pat, t->plen)) == 0)
				continue;
			wl = strlen(t->with);
			if (wl > m)	/* never grow */
				wl = m;
			memcpy(s + i, t->with, wl);
			memmove(s + i + wl, s + i + m, len - i - m);
			len -= m - wl;
			i += wl;
			break;
		}
		if (k == sc.n)
			i++;
	}
	explicit_bzero(&sc, sizeof(sc));
	return len;
}

void
discord_redact(const struct discord_webhook *wh, char *s)
{
	size_t len = strlen(s);

	s[discord_redact_buf(wh, s, len)] = '\0';
}

size_t
discord_redact_cut(const struct discord_webhook *wh, char *s, size_t len)
{
	struct secrets sc;
	size_t k, longest = 0;

	webhook_secrets(wh, &sc);
	for (k = 1; k < sc.n; k++)	/* [0], the URL, is not secret but for them */
		if (sc.t[k].plen > longest)
			longest = sc.t[k].plen;
	explicit_bzero(&sc, sizeof(sc));
	len = len > 6 * longest ? len - 6 * longest : 0;
	return discord_redact_buf(wh, s, len);
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
	int colour;
} level_style[] = {
	[GW_DEBUG] = { "\xf0\x9f\x94\x8d", 0x95a5a6 },		/* 🔍 */
	[GW_INFO] = { "\xe2\x84\xb9\xef\xb8\x8f", 0x3498db },	/* ℹ️ */
	[GW_WARNING] = { "\xe2\x9a\xa0\xef\xb8\x8f", 0xf39c12 },	/* ⚠️ */
	[GW_ERROR] = { "\xf0\x9f\x94\xb4", 0xe74c3c },		/* 🔴 */
	[GW_CRITICAL] = { "\xf0\x9f\x9a\xa8", 0x992d22 },	/* 🚨 */
};
#define OK_EMOJI "\xe2\x9c\x85"	/* ✅ */
#define OK_COLOUR 0x2ecc71
#define ELLIPSIS "\xe2\x80\xa6"	/* … */
#define TITLE_TEXT_MAX 200	/* characters of title text (emoji, ×N aside) */
#define TITLE_VALUE_MAX 60	/* characters of one {field} in a template */

/* ---------- titles ---------- */

/* Titles for the events people are alerted to (docs/events.md, "Discord
 * titles"). For an event, the first row whose condition holds and whose
 * every {field} has a value gives the title; {a.b} is member b of the
 * object field a. Events not here take the message's first line. */
static const struct {
	const char *event;
	const char *when;	/* "field=value" that must hold, or NULL */
	const char *tmpl;
} titles[] = {
	/* stack-init: service events carry fields.service */
	{ "init.exited", NULL, "{service} exited (signal {exit.signal})" },
	{ "init.exited", NULL, "{service} exited (code {exit.code})" },
	{ "init.exited", NULL, "{service} exited" },
	{ "init.stopped", NULL, "{service} stopped (signal {exit.signal})" },
	{ "init.stopped", NULL, "{service} stopped (code {exit.code})" },
	{ "init.stopped", NULL, "{service} stopped" },
	{ "init.crash_loop", "give_up=true",
	    "{service} crash loop: {failures} failures in {window_s} s, given up" },
	{ "init.crash_loop", NULL,
	    "{service} crash loop: {failures} failures in {window_s} s" },
	{ "init.crash_loop", NULL, "{service} crash loop" },
	{ "init.spawn_failed", NULL, "{service} cannot be started" },
	{ "init.not_ready", NULL, "{service} not ready after {waited_s} s" },
	{ "init.not_ready", NULL, "{service} not ready" },
	{ "init.not_ready_after_restart", NULL,
	    "{service} not ready {deadline_s} s after its restart" },
	{ "init.check_failed", NULL, "{service} readiness check cannot run" },
	{ "init.killed", NULL, "{service} did not stop in time: killed" },
	{ "init.killed_group", NULL, "{service} left processes behind: killed" },
	{ "init.restart_action_failed", NULL, "{service} restart failed" },
	{ "init.schedule_error", NULL, "{service} schedule error" },
	{ "init.unhealthy", NULL,
	    "{service} unhealthy: {failures} health checks failed in a row" },
	{ "init.healthy", NULL, "{service} healthy again" },
	{ "init.output", NULL, "{service} output not captured" },
	{ "init.reload_failed", NULL, "configuration reload failed" },
	{ "init.leftovers", NULL,
	    "{processes} leftover processes sent SIG{signal}" },
	/* discord-notify */
	{ "notify.parked", NULL, "Discord webhook refused us (HTTP {status})" },
	{ "notify.spool_error", NULL, "alert spool cannot be written" },
	{ "notify.queue_error", NULL, "alert could not be queued" },
	{ "notify.dead_letter", NULL, "alert given up: {event} from {source}" },
	{ "notify.dead_letter", NULL, "alert given up" },
	{ "notify.rejected", NULL, "bad event line from {origin}" },
	{ "notify.rate_limited", NULL, "Discord rate limit: waiting {wait_s} s" },
	{ "notify.retry", NULL, "Discord delivery failing: retry in {delay_s} s" },
	{ "notify.refused", NULL, "Discord refused a batch (HTTP {status})" },
	/* gw-sim */
	{ "sim.listen_failed", NULL, "gw-sim cannot listen on {bind}:{port}" },
	{ "sim.connection_limit", NULL, "gw-sim connection limit ({limit}) reached" },
	{ "sim.client_id_in_use", NULL, "client id {client_id} already in use" },
	{ "sim.subscription_limit", NULL, "market-data line limit reached" },
	{ "sim.protocol_error", NULL, "protocol error from {peer}" },
	{ "sim.slow_consumer", NULL, "slow client {peer} dropped" },
	{ "sim.upstream_lost", NULL, "gateway lost its upstream (code {code})" },
	{ "sim.upstream_restored", NULL,
	    "gateway upstream restored (code {code})" },
	{ "sim.accept_error", NULL, "gw-sim cannot accept connections" },
	{ "sim.encode_error", NULL, "gw-sim cannot encode a reply" },
	{ "sim.control", "ok=false", "gw-sim control command {cmd} failed" },
};

/* A field as a json_t (new reference), or NULL. */
static json_t *
field_json(const struct gw_event_field *f)
{
	if (f->kind == GW_FIELD_STRING)
		return json_string(f->value);
	return json_loads(f->value, JSON_DECODE_ANY, NULL);
}

/* The value at path ("service", "exit.signal") in ev's fields, as a new
 * reference, or NULL. A field whose name has dots is found first. */
static json_t *
field_at(const struct gw_event *ev, const char *path, size_t plen)
{
	char name[4 * GW_EVENT_MAX_NAME + 8], *seg, *dot;
	const struct gw_event_field *f;
	json_t *root, *cur;

	if (plen >= sizeof(name))
		return NULL;
	memcpy(name, path, plen);
	name[plen] = '\0';
	if ((f = gw_event_field(ev, name)) != NULL)
		return field_json(f);
	if ((dot = strchr(name, '.')) == NULL)
		return NULL;
	*dot = '\0';
	f = gw_event_field(ev, name);
	if (f == NULL || f->kind != GW_FIELD_JSON ||
	    (root = field_json(f)) == NULL)
		return NULL;
	cur = root;
	for (seg = dot + 1; cur != NULL && seg != NULL; seg = dot) {
		if ((dot = strchr(seg, '.')) != NULL)
			*dot++ = '\0';
		cur = json_object_get(cur, seg);
	}
	json_incref(cur);
	json_decref(root);
	return cur;
}

/* Copy at most max code points of s[0..n) into out (size bytes), controls
 * as spaces; cut with "…". */
static void
put_chars(char *out, size_t size, const char *s, size_t n, size_t max)
{
	size_t i, o = 0, cps = 0, start;

	if (size < sizeof(ELLIPSIS) + 1) {
		if (size > 0)
			out[0] = '\0';
		return;
	}
	for (i = 0; i < n; ) {
		start = i;
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		if (cps == max || o + (i - start) + sizeof(ELLIPSIS) > size) {
			while (o > 0 && out[o - 1] == ' ')
				o--;
			memcpy(out + o, ELLIPSIS, sizeof(ELLIPSIS));
			return;
		}
		if ((unsigned char)s[start] < 0x20 || s[start] == 0x7f)
			out[o++] = ' ';
		else {
			memcpy(out + o, s + start, i - start);
			o += i - start;
		}
		cps++;
	}
	out[o] = '\0';
}

/* A scalar for people: a string as it is, a real rounded ("3.2", "30",
 * "0.25"). -1 for an empty string, null, an object or an array. */
static int
title_value(const json_t *v, char *out, size_t size)
{
	const char *s;
	double d;

	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return -1;
		put_chars(out, size, s, strlen(s), TITLE_VALUE_MAX);
		return 0;
	case JSON_INTEGER:
		snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		d = json_real_value(v);
		if (fabs(d) >= 100 || d == floor(d))
			snprintf(out, size, "%.0f", d);
		else
			snprintf(out, size, "%.3g", d);
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(out, size, "%s", json_is_true(v) ? "true" : "false");
		return 0;
	default:
		return -1;
	}
}

/* The text of field path for a title; -1 when there is none. */
static int
field_text(const struct gw_event *ev, const char *path, size_t plen,
    char *out, size_t size)
{
	json_t *v = field_at(ev, path, plen);
	int rc = v != NULL ? title_value(v, out, size) : -1;

	json_decref(v);
	return rc;
}

/* Fill template t from ev's fields into out; -1 when a field is missing. */
static int
fill(const struct gw_event *ev, const char *t, char *out, size_t size)
{
	char val[4 * TITLE_VALUE_MAX + 8];
	size_t o = 0, n;
	const char *end;

	while (*t != '\0') {
		if (*t == '{' && (end = strchr(t, '}')) != NULL) {
			if (field_text(ev, t + 1, (size_t)(end - t - 1), val,
			    sizeof(val)) < 0)
				return -1;
			t = end + 1;
		} else {
			n = strcspn(t, "{");
			n = n > 0 ? n : 1;
			if (n >= sizeof(val))
				n = sizeof(val) - 1;
			memcpy(val, t, n);
			val[n] = '\0';
			t += n;
		}
		n = strlen(val);
		if (o + n >= size)
			return -1;
		memcpy(out + o, val, n + 1);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

static int
condition_holds(const struct gw_event *ev, const char *when)
{
	const char *eq;
	char val[4 * TITLE_VALUE_MAX + 8];

	if (when == NULL)
		return 1;
	eq = strchr(when, '=');
	return eq != NULL && field_text(ev, when, (size_t)(eq - when), val,
	    sizeof(val)) == 0 && strcmp(val, eq + 1) == 0;
}

void
discord_title(const struct gw_event *ev, char *buf, size_t size)
{
	char text[1024];
	const char *m, *e;
	size_t i, n;

	if (size == 0)
		return;
	for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++) {
		if (strcmp(ev->event, titles[i].event) != 0 ||
		    !condition_holds(ev, titles[i].when) ||
		    fill(ev, titles[i].tmpl, text, sizeof(text)) < 0)
			continue;
		put_chars(buf, size, text, strlen(text), TITLE_TEXT_MAX);
		return;
	}
	/* the message's first line, trimmed */
	for (m = ev->message; *m == ' ' || *m == '\t' || *m == '\n' || *m == '\r';
	    m++)
		;
	n = strcspn(m, "\r\n");
	while (n > 0 && (m[n - 1] == ' ' || m[n - 1] == '\t'))
		n--;
	if (n > 0) {
		put_chars(buf, size, m, n, DISCORD_TITLE_FROM_MESSAGE);
		return;
	}
	/* the event name in words */
	for (e = ev->event, i = 0; e[i] != '\0' && i + 1 < sizeof(text); i++)
		text[i] = e[i] == '.' || e[i] == '_' || e[i] == '-' ? ' ' : e[i];
	text[i] = '\0';
	if (text[0] >= 'a' && text[0] <= 'z')
		text[0] = (char)(text[0] - 'a' + 'A');
	put_chars(buf, size, text, i, TITLE_TEXT_MAX);
}

/* ---------- fields ---------- */

/* An embed field before the limits: name and value, both heap. */
struct flat {
	char *name;
	char *value;
};

struct flats {
	struct flat *v;
	size_t n, cap;
	int oom;
};

/* Takes name and value (heap) even on failure. */
static void
flat_take(struct flats *fl, char *name, char *value)
{
	if (name == NULL || value == NULL || fl->oom)
		goto fail;
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 32;
		struct flat *v = realloc(fl->v, cap * sizeof(*v));

		if (v == NULL)
			goto fail;
		fl->v = v;
		fl->cap = cap;
	}
	fl->v[fl->n].name = name;
	fl->v[fl->n++].value = value;
	return;
fail:
	fl->oom = 1;
	free(name);
	free(value);
}

static void
flats_free(struct flats *fl)
{
	size_t i;

	for (i = 0; i < fl->n; i++) {
		free(fl->v[i].name);
		free(fl->v[i].value);
	}
	free(fl->v);
}

/* One element of an array for people: scalars as they are, containers as
 * compact JSON. */
static char *
elem_text(const json_t *v)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return strdup(num);
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.15g", json_real_value(v));
		return strdup(num);
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	case JSON_NULL:
		return strdup("null");
	default:
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
		    JSON_REAL_PRECISION(15));
	}
}

static char *
joined(const char *a, const char *sep, const char *b)
{
	size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
	char *p = malloc(la + ls + lb + 1);

	if (p != NULL) {
		memcpy(p, a, la);
		memcpy(p + la, sep, ls);
		memcpy(p + la + ls, b, lb + 1);
	}
	return p;
}

/* Objects as dotted names, arrays as "a, b, c", empty ones "(none)". */
static void
flatten(struct flats *fl, const char *name, const json_t *v)
{
	const char *k;
	json_t *m;
	size_t i;
	char *acc, *e, *next;

	if (json_is_object(v) && json_object_size(v) > 0) {
		json_object_foreach((json_t *)v, k, m) {
			char *sub = joined(name, ".", k);

			if (sub == NULL) {
				fl->oom = 1;
				return;
			}
			flatten(fl, sub, m);
			free(sub);
		}
	} else if (json_is_array(v) && json_array_size(v) > 0) {
		acc = strdup("");
		json_array_foreach((json_t *)v, i, m) {
			e = elem_text(m);
			next = acc != NULL && e != NULL ? joined(acc, i ? ", " : "", e) :
			    NULL;
			free(acc);
			free(e);
			acc = next;
		}
		flat_take(fl, strdup(name), acc);
	} else if (json_is_object(v) || json_is_array(v)) {
		flat_take(fl, strdup(name), strdup("(none)"));
	} else {
		flat_take(fl, strdup(name), elem_text(v));
	}
}

static void
flatten_fields(struct flats *fl, const struct gw_event *ev)
{
	const struct gw_event_field *f;
	json_t *v;
	size_t i;

	for (i = 0; i < ev->n_fields; i++) {
		f = &ev->fields[i];
		if (f->kind == GW_FIELD_STRING) {
			flat_take(fl, strdup(f->name), strdup(f->value));
			continue;
		}
		v = field_json(f);	/* reals for people: 10.0 as "10", not "1e1" */
		if (v != NULL)
			flatten(fl, f->name, v);
		else
			flat_take(fl, strdup(f->name), strdup(f->value));
		json_decref(v);
	}
}

/* ---------- the embed ---------- */

json_t *
discord_embed(const struct gw_event *ev, unsigned count, unsigned window_s)
{
	char text[1024], title[1100], footer[300];
	struct flats fl = { NULL, 0, 0, 0 };
	json_t *e, *fields, *desc;
	int ok = is_ok_event(ev->event) && ev->level <= GW_INFO;
	unsigned lvl = (unsigned)ev->level <= GW_CRITICAL ? (unsigned)ev->level : GW_INFO;
	size_t i, total, dlen, nf, fixed, dmin, vcap, slots, hidden;

	discord_title(ev, text, sizeof(text));
	if (count > 1)
		snprintf(title, sizeof(title), "%s %s \xc3\x97%u", ok ? OK_EMOJI :
		    level_style[lvl].emoji, text, count);
	else
		snprintf(title, sizeof(title), "%s %s", ok ? OK_EMOJI :
		    level_style[lvl].emoji, text);
	snprintf(footer, sizeof(footer), "%s \xc2\xb7 %s \xc2\xb7 %s",
	    gw_level_name((enum gw_level)lvl), ev->event, ev->source);
	flatten_fields(&fl, ev);
	e = json_object();
	fields = json_array();
	if (e == NULL || fields == NULL || fl.oom) {
		json_decref(e);
		json_decref(fields);
		flats_free(&fl);
		return NULL;
	}
	json_object_set_new(e, "title", limited(title, DISCORD_MAX_TITLE));
	json_object_set_new(e, "color", json_integer(ok ? OK_COLOUR : level_style[lvl].colour));
	json_object_set_new(e, "timestamp", json_string(ev->ts));
	json_object_set_new(e, "footer", json_pack("{s:o}", "text",
	    limited(footer, DISCORD_MAX_FOOTER)));
	/* At most 25 fields: with a count, the "repeated" field takes the
	 * 25th place and says how many were left out; without, a "more"
	 * field does when some are. */
	slots = DISCORD_MAX_FIELDS - (count > 1);
	nf = fl.n <= slots ? fl.n : count > 1 ? slots : slots - 1;
	hidden = fl.n - nf;
	/* 25 fields of 1024 alone would pass the 6000-character total: give
	 * the field values an equal share of what title, footer, names and a
	 * part of the message leave. */
	fixed = cp_len(title) + cp_len(footer) + (count > 1 || hidden ? 40 : 0);
	for (i = 0; i < nf; i++)
		fixed += cp_len(fl.v[i].name) < DISCORD_MAX_FIELD_NAME ?
		    cp_len(fl.v[i].name) : DISCORD_MAX_FIELD_NAME;
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
		const char *v = fl.v[i].value[0] ? fl.v[i].value : "(empty)";

		json_array_append_new(fields, json_pack("{s:o, s:o, s:b}",
		    "name", limited(fl.v[i].name, DISCORD_MAX_FIELD_NAME),
		    "value", limited(v, vcap), "inline", 1));
	}
	if (count > 1) {
		char rep[128];

		if (hidden > 0)
			snprintf(rep, sizeof(rep), "%u times within %u s; +%zu field%s "
			    "not shown", count, window_s, hidden, hidden == 1 ? "" : "s");
		else
			snprintf(rep, sizeof(rep), "%u times within %u s", count, window_s);
		json_array_append_new(fields, json_pack("{s:s, s:s, s:b}",
		    "name", "repeated", "value", rep, "inline", 1));
	} else if (hidden > 0) {
		char more[64];

		snprintf(more, sizeof(more), "+%zu field%s not shown", hidden,
		    hidden == 1 ? "" : "s");
		json_array_append_new(fields, json_pack("{s:s, s:s, s:b}",
		    "name", "more", "value", more, "inline", 1));
	}
	flats_free(&fl);
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

int
discord_rl_update(struct discord_rl *rl, double now_ms,
    const struct discord_response *r)
{
	double wait, floor_s;
	unsigned k;
	int capped = 0;

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
		if (wait > DISCORD_MAX_RETRY_AFTER) {
			wait = DISCORD_MAX_RETRY_AFTER;
			capped = 1;
		}
		if (r->global)
			rl->global_until = now_ms + wait * 1000;
		else
			rl->blocked_until = now_ms + wait * 1000;
		return capped;
	}
	if (r->status != 0)	/* an answer other than 429 ends a 429 streak */
		rl->consecutive_429 = 0;
	/* Pace on the headers so that a well-behaved run never sees a 429:
	 * with nothing left in the bucket, wait for it to refill. */
	if (r->has_remaining && r->remaining <= 0 && r->has_reset_after &&
	    isfinite(r->reset_after) && r->reset_after >= 0) {
		wait = r->reset_after;
		if (wait > DISCORD_MAX_RETRY_AFTER) {
			wait = DISCORD_MAX_RETRY_AFTER;
			capped = 1;
		}
		rl->blocked_until = now_ms + wait * 1000;
	}
	return capped;
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
