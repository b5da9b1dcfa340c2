/*
 * fake-discord: a local stand-in for Discord's execute-webhook endpoint, for
 * the tests and benchmarks of anything that posts alerts (discord-notify).
 * Loopback HTTP only (evhttp); every request body is untrusted input.
 *
 *   POST /api/webhooks/<id>/<token>[?wait=true]   (also /api/v<N>/webhooks/...)
 *     Discord's answers: 404 10015 unknown webhook, 401 50027 bad token,
 *     400 50006 empty message, 400 50035 form errors with Discord's nested
 *     "errors" paths (content, embed and field limits counted in code points,
 *     the 6000-character embed total), 413 over 64 KiB, 204 or (wait) 200
 *     with a message object. Every stored message is appended as one JSON
 *     line to --store, flushed at once.
 *   Rate limit: a fixed window of N requests per S seconds opened by its
 *     first request; X-RateLimit-* headers on every webhook response while a
 *     limit is set; 429 with retry_after, Retry-After and
 *     X-RateLimit-Scope: user when the window is spent.
 *   POST /_control   faults and settings at run time (never rate-limited).
 *   GET  /_stats     counters.
 *
 * Precedence for a webhook request: drop_next, global_429_next, fail_next
 * (injected answers do not use the bucket), the bucket, method, deleted,
 * id/token, size, body. delay_ms delays every webhook answer, drops
 * included. A request the client abandons while its answer is held keeps
 * living without a connection (evhttp's orphaned request); deliver() and
 * main's cleanup free it.
 * tests/helpers/README.md documents the flags and the control API.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#define PROG		"fake-discord"
#define DEFAULT_ID	"123456789012345678"
#define DEFAULT_TOKEN	"test-token-abc-0123456789"
#define BODY_MAX	(64 * 1024)	/* Discord-like 413 above this */
#define HARD_BODY_MAX	(1024 * 1024)	/* evhttp refuses above this */
#define BUCKET_HASH	"8f6c3b0e2a5d41f79c0e6b2d4a1f3e58"
#define DISCORD_EPOCH_MS 1420070400000LL
#define MAX_COUNT	1000000L
#define MAX_SECONDS	86400.0
#define MAX_DELAY_MS	600000L
#define DUMP_FLAGS	(JSON_COMPACT | JSON_REAL_PRECISION(10))

/* Statuses counted in /_stats; every one is always present there. */
static const int counted_status[] = { 200, 204, 400, 401, 403, 404, 405, 413,
    429, 500, 502, 503 };
#define N_STATUS (sizeof(counted_status) / sizeof(counted_status[0]))

/* Statuses fail_next may inject. */
static const int injectable_status[] = { 400, 401, 403, 404, 429, 500, 502,
    503 };
#define N_INJECTABLE (sizeof(injectable_status) / sizeof(injectable_status[0]))

/* A webhook answer held back by delay_ms. */
struct pending {
	TAILQ_ENTRY(pending) link;
	struct ctx *ctx;
	struct evhttp_request *req;
	struct event *timer;
	int status;			/* 0: drop the connection */
};

struct counters {
	long long requests;		/* webhook-route requests, drops included */
	long long stored;
	long long embeds_stored;
	long long dropped;
	long long by_status[N_STATUS];
	long long other_status;
};

/* Everything the callbacks need: no globals. */
struct ctx {
	struct event_base *base;
	struct evhttp *http;
	char id[32];
	char token[128];
	int verbose;

	long rate_n;			/* 0: no rate limit */
	double rate_s;
	int win_open;
	double win_start;		/* monotonic seconds */
	long win_used;

	long delay_ms;
	long fail_next;
	int fail_status;
	double fail_retry;
	long global_next;
	double global_retry;
	long drop_next;
	int deleted;
	int echo;			/* error answers echo the request */
	unsigned long echoed;		/* echoed answers so far */

	FILE *store;
	long long id_base;
	struct counters n;
	TAILQ_HEAD(, pending) pending;
};

/* --- small helpers ------------------------------------------------------ */

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long
now_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Discord's ISO 8601 form, "2026-02-10T14:15:00.123000+00:00". */
static void
iso_timestamp(char buf[40])
{
	struct timespec ts;
	struct tm tm;
	char day[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, 40, "%s.%06u+00:00", day,
	    (unsigned)(ts.tv_nsec / 1000) % 1000000u);
}

/* Seconds rounded to milliseconds, as Discord reports them. */
static double
round_ms(double s)
{
	return round(s * 1000.0) / 1000.0;
}

/* Code points in valid UTF-8 (jansson guarantees validity). */
static size_t
utf8_len(const char *s, size_t n)
{
	size_t i, cp = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			cp++;
	return cp;
}

/* "N/S": N requests per S seconds. 0 ok, -1 with a message in err. */
static int
parse_rate(const char *s, long *n, double *secs, char *err, size_t errsz)
{
	char *end;
	long v;
	double d;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '/' || v < 1 || v > MAX_COUNT) {
		snprintf(err, errsz, "rate: '%.40s' is not N/SECONDS with N in "
		    "1..%ld", s, MAX_COUNT);
		return -1;
	}
	s = end + 1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(d > 0) ||
	    d > MAX_SECONDS) {
		snprintf(err, errsz, "rate: seconds must be a number in "
		    "(0, %.0f]", MAX_SECONDS);
		return -1;
	}
	*n = v;
	*secs = d;
	return 0;
}

static void
count_status(struct ctx *ctx, int status)
{
	size_t i;

	for (i = 0; i < N_STATUS; i++)
		if (counted_status[i] == status) {
			ctx->n.by_status[i]++;
			return;
		}
	ctx->n.other_status++;
}

static long long
status_count(const struct ctx *ctx, int status)
{
	size_t i;

	for (i = 0; i < N_STATUS; i++)
		if (counted_status[i] == status)
			return ctx->n.by_status[i];
	return 0;
}

/* Put root (reference stolen) into req's output buffer as the JSON body. */
static void
set_json_body(struct evhttp_request *req, json_t *root)
{
	char *s = root != NULL ? json_dumps(root, DUMP_FLAGS) : NULL;

	json_decref(root);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	if (s == NULL) {
		evbuffer_add_printf(evhttp_request_get_output_buffer(req),
		    "{\"message\": \"500: Internal Server Error\", \"code\": 0}");
		return;
	}
	evbuffer_add(evhttp_request_get_output_buffer(req), s, strlen(s));
	free(s);
}

static json_t *
discord_error(const char *message, int code)
{
	return json_pack("{s:s, s:i}", "message", message, "code", code);
}

/* Send, or close without an answer when status is 0. An orphaned request
 * (its client went away while we held it) has no connection any more:
 * evhttp_send_reply frees it, and so must a drop. */
static void
deliver(struct evhttp_request *req, int status)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);

	if (status != 0) {
		/* evhttp's phrase for 429 is "Client Error". */
		evhttp_send_reply(req, status, status == 429 ?
		    "Too Many Requests" : NULL, NULL);
		return;
	}
	if (evcon != NULL)
		evhttp_connection_free(evcon);	/* frees req too */
	else
		evhttp_request_free(req);
}

static void
pending_free(struct ctx *ctx, struct pending *p)
{
	TAILQ_REMOVE(&ctx->pending, p, link);
	event_free(p->timer);
	free(p);
}

static void
on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct evhttp_request *req = p->req;
	int status = p->status;

	(void)fd;
	(void)what;
	pending_free(p->ctx, p);
	deliver(req, status);
}

/* Count and answer a webhook-route request (status 0 = drop), after
 * delay_ms when set. */
/* "echo": an error answer that quotes the request back, as a proxy's error
 * page or a hostile server might. Its message holds the URI and the
 * Authorization header, the URI spelled in turn (one answer each) plainly,
 * with every byte as %XX, and with every byte as a JSON \u00XX escape; "/"
 * is escaped as \/ throughout, and the head of the request body is added. */
static void
set_echo_body(struct ctx *ctx, struct evhttp_request *req)
{
	const char *uri = evhttp_request_get_uri(req);
	const char *auth = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Authorization");
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	size_t blen = evbuffer_get_length(in), i, n = strlen(uri);
	char *form = malloc(6 * n + 1), *msg = NULL, *s = NULL, *mark;
	int kind = (int)(ctx->echoed++ % 3);
	json_t *root;

	if (form == NULL)
		return;
	form[0] = '\0';
	for (i = 0; i < n; i++) {
		if (kind == 0)
			snprintf(form + i, 2, "%c", uri[i]);
		else if (kind == 1)
			snprintf(form + 3 * i, 4, "%%%02X", (unsigned char)uri[i]);
		else
			snprintf(form + 6 * i, 7, "\\u%04x", (unsigned char)uri[i]);
	}
	if (blen > 200)
		blen = 200;
	/* the \u form goes in after dumping, or jansson would escape it */
	if (asprintf(&msg, "proxy error: POST %s (Authorization: %s)",
	    kind == 2 ? "@ESC@" : form, auth ? auth : "none") < 0)
		msg = NULL;
	root = json_pack("{s:s, s:i, s:s, s:s%}", "message", msg ? msg : "",
	    "code", 0, "uri", uri, "body",
	    (const char *)evbuffer_pullup(in, (ev_ssize_t)blen), blen);
	s = root ? json_dumps(root, DUMP_FLAGS | JSON_ESCAPE_SLASH) : NULL;
	if (s != NULL) {
		evbuffer_drain(out, evbuffer_get_length(out));
		if (kind == 2 && (mark = strstr(s, "@ESC@")) != NULL) {
			evbuffer_add(out, s, (size_t)(mark - s));
			evbuffer_add(out, form, strlen(form));
			evbuffer_add(out, mark + 5, strlen(mark + 5));
		} else {
			evbuffer_add(out, s, strlen(s));
		}
	}
	free(s);
	json_decref(root);
	free(msg);
	free(form);
}

static void
webhook_finish(struct ctx *ctx, struct evhttp_request *req, int status)
{
	struct pending *p;
	struct timeval tv;

	if (ctx->echo && status >= 400 && status != 429)
		set_echo_body(ctx, req);
	if (status == 0)
		ctx->n.dropped++;
	else
		count_status(ctx, status);
	if (ctx->verbose) {
		fprintf(stderr, PROG ": %s %s -> %d\n",
		    evhttp_request_get_command(req) == EVHTTP_REQ_POST ?
		    "POST" : "other", evhttp_request_get_uri(req), status);
	}
	if (ctx->delay_ms <= 0) {
		deliver(req, status);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->timer = evtimer_new(ctx->base, on_delay, p)) ==
	    NULL) {
		free(p);
		deliver(req, status);
		return;
	}
	p->ctx = ctx;
	p->req = req;
	p->status = status;
	TAILQ_INSERT_TAIL(&ctx->pending, p, link);
	tv.tv_sec = ctx->delay_ms / 1000;
	tv.tv_usec = (ctx->delay_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
}

/* --- rate limit ---------------------------------------------------------- */

struct bucket_view {
	long remaining;
	double reset_after;		/* seconds until the window ends */
};

/* Look at (consume = 0) or take from (consume = 1) the window. Returns 1 when
 * the request may pass, 0 when the window is spent. */
static int
bucket_take(struct ctx *ctx, int consume, struct bucket_view *v)
{
	double now = now_mono();

	if (!ctx->win_open || now >= ctx->win_start + ctx->rate_s) {
		if (!consume) {
			v->remaining = ctx->rate_n;
			v->reset_after = ctx->rate_s;
			return 1;
		}
		ctx->win_open = 1;
		ctx->win_start = now;
		ctx->win_used = 0;
	}
	v->reset_after = ctx->win_start + ctx->rate_s - now;
	if (ctx->win_used >= ctx->rate_n) {
		v->remaining = 0;
		return 0;
	}
	if (consume)
		ctx->win_used++;
	v->remaining = ctx->rate_n - ctx->win_used;
	return 1;
}

static void
add_rate_headers(struct ctx *ctx, struct evhttp_request *req,
    const struct bucket_view *v)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char buf[64];

	snprintf(buf, sizeof(buf), "%ld", ctx->rate_n);
	evhttp_add_header(h, "X-RateLimit-Limit", buf);
	snprintf(buf, sizeof(buf), "%ld", v->remaining);
	evhttp_add_header(h, "X-RateLimit-Remaining", buf);
	snprintf(buf, sizeof(buf), "%.3f", now_real() + v->reset_after);
	evhttp_add_header(h, "X-RateLimit-Reset", buf);
	snprintf(buf, sizeof(buf), "%.3f", v->reset_after);
	evhttp_add_header(h, "X-RateLimit-Reset-After", buf);
	evhttp_add_header(h, "X-RateLimit-Bucket", BUCKET_HASH);
}

/* A 429 body and its Retry-After/Scope headers. */
static void
set_429(struct evhttp_request *req, double retry_after, int global)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char buf[32];

	snprintf(buf, sizeof(buf), "%.0f", ceil(retry_after));
	evhttp_add_header(h, "Retry-After", buf);
	evhttp_add_header(h, "X-RateLimit-Scope", global ? "global" : "user");
	if (global)
		evhttp_add_header(h, "X-RateLimit-Global", "true");
	set_json_body(req, json_pack("{s:s, s:f, s:b}", "message",
	    "You are being rate limited.", "retry_after", round_ms(retry_after),
	    "global", global));
}

/* --- message validation -------------------------------------------------- */

/* Add {"code", "message"} under errors at a dotted path ("embeds.0.title"),
 * creating the nested objects Discord reports. */
static void
form_error(json_t *errors, const char *path, const char *code,
    const char *message)
{
	char buf[128], *key, *save = NULL;
	json_t *cur = errors, *next, *list;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key != NULL;
	    key = strtok_r(NULL, ".", &save)) {
		next = json_object_get(cur, key);
		if (next == NULL) {
			next = json_object();
			json_object_set_new(cur, key, next);
		}
		cur = next;
	}
	list = json_object_get(cur, "_errors");
	if (list == NULL) {
		list = json_array();
		json_object_set_new(cur, "_errors", list);
	}
	json_array_append_new(list, json_pack("{s:s, s:s}", "code", code,
	    "message", message));
}

static void
too_long(json_t *errors, const char *path, size_t max)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "Must be %zu or fewer in length.", max);
	form_error(errors, path, "BASE_TYPE_MAX_LENGTH", msg);
}

/* A string member: absent or null is 0 characters (unless required); any
 * other non-string is a form error. Returns its length in code points. */
static size_t
check_str(json_t *errors, const char *path, json_t *v, size_t max,
    int required)
{
	size_t n;

	if (v == NULL || json_is_null(v)) {
		if (required)
			form_error(errors, path, "BASE_TYPE_REQUIRED",
			    "This field is required");
		return 0;
	}
	if (!json_is_string(v)) {
		form_error(errors, path, "STRING_TYPE_CONVERT",
		    "Could not interpret value as string.");
		return 0;
	}
	n = utf8_len(json_string_value(v), json_string_length(v));
	if (n > max)
		too_long(errors, path, max);
	return n;
}

/* An optional object member holding one string (footer.text, author.name). */
static size_t
check_sub(json_t *errors, const char *path, json_t *obj, const char *key,
    size_t max)
{
	char sub[128];
	json_t *v = NULL;

	if (obj == NULL || json_is_null(obj))
		return 0;
	if (!json_is_object(obj)) {
		form_error(errors, path, "MODEL_TYPE_CONVERT",
		    "Only dictionaries may be used in a ModelType");
		return 0;
	}
	json_unpack(obj, "{s?o}", key, &v);
	snprintf(sub, sizeof(sub), "%s.%s", path, key);
	return check_str(errors, sub, v, max, 1);
}

/* One embed; returns its characters towards the 6000 total. */
static size_t
check_embed(json_t *errors, size_t i, json_t *embed)
{
	json_t *title = NULL, *desc = NULL, *fields = NULL, *footer = NULL;
	json_t *author = NULL, *field;
	char path[32], fpath[96];
	size_t total = 0, j;

	snprintf(path, sizeof(path), "embeds.%zu", i);
	if (!json_is_object(embed)) {
		form_error(errors, path, "MODEL_TYPE_CONVERT",
		    "Only dictionaries may be used in a ModelType");
		return 0;
	}
	json_unpack(embed, "{s?o s?o s?o s?o s?o}", "title", &title,
	    "description", &desc, "fields", &fields, "footer", &footer,
	    "author", &author);
	snprintf(fpath, sizeof(fpath), "%s.title", path);
	total += check_str(errors, fpath, title, 256, 0);
	snprintf(fpath, sizeof(fpath), "%s.description", path);
	total += check_str(errors, fpath, desc, 4096, 0);
	snprintf(fpath, sizeof(fpath), "%s.footer", path);
	total += check_sub(errors, fpath, footer, "text", 2048);
	snprintf(fpath, sizeof(fpath), "%s.author", path);
	total += check_sub(errors, fpath, author, "name", 256);
	if (fields == NULL || json_is_null(fields))
		return total;
	snprintf(fpath, sizeof(fpath), "%s.fields", path);
	if (!json_is_array(fields)) {
		form_error(errors, fpath, "LIST_TYPE_CONVERT",
		    "Only iterables may be used in a ListType");
		return total;
	}
	if (json_array_size(fields) > 25)
		too_long(errors, fpath, 25);
	json_array_foreach(fields, j, field) {
		json_t *name = NULL, *value = NULL;

		snprintf(fpath, sizeof(fpath), "%s.fields.%zu", path, j);
		if (!json_is_object(field)) {
			form_error(errors, fpath, "MODEL_TYPE_CONVERT",
			    "Only dictionaries may be used in a ModelType");
			continue;
		}
		json_unpack(field, "{s?o s?o}", "name", &name, "value", &value);
		snprintf(fpath, sizeof(fpath), "%s.fields.%zu.name", path, j);
		total += check_str(errors, fpath, name, 256, 1);
		snprintf(fpath, sizeof(fpath), "%s.fields.%zu.value", path, j);
		total += check_str(errors, fpath, value, 1024, 1);
	}
	return total;
}

/* The members of an execute-webhook body this fake checks. */
struct msg {
	json_t *content;
	json_t *embeds;
	json_t *username;
};

enum verdict {
	MSG_OK,
	MSG_EMPTY,			/* 50006 */
	MSG_INVALID,			/* 50035, details in errors */
};

static enum verdict
check_message(const struct msg *m, json_t *errors, size_t *n_embeds)
{
	size_t clen, total = 0, i;
	json_t *embed;

	*n_embeds = 0;
	clen = check_str(errors, "content", m->content, 2000, 0);
	if (m->username != NULL && !json_is_null(m->username)) {
		size_t ulen = check_str(errors, "username", m->username, 80, 0);

		if (json_is_string(m->username) && ulen < 1)
			form_error(errors, "username", "BASE_TYPE_BAD_LENGTH",
			    "Must be between 1 and 80 in length.");
	}
	if (m->embeds != NULL && !json_is_null(m->embeds)) {
		if (!json_is_array(m->embeds)) {
			form_error(errors, "embeds", "LIST_TYPE_CONVERT",
			    "Only iterables may be used in a ListType");
		} else {
			*n_embeds = json_array_size(m->embeds);
			if (*n_embeds > 10)
				too_long(errors, "embeds", 10);
			json_array_foreach(m->embeds, i, embed)
				total += check_embed(errors, i, embed);
			if (total > 6000)
				form_error(errors, "embeds",
				    "MAX_EMBED_SIZE_EXCEEDED",
				    "Embed size exceeds maximum size of 6000");
		}
	}
	if (json_object_size(errors) > 0)
		return MSG_INVALID;
	if (clen == 0 && *n_embeds == 0)
		return MSG_EMPTY;
	return MSG_OK;
}

/* --- webhook route ------------------------------------------------------- */

static void
store_message(struct ctx *ctx, json_t *root, long long seq)
{
	char *line;

	if (ctx->store == NULL)
		return;
	json_object_set_new(root, "_seq", json_integer(seq));
	json_object_set_new(root, "_t", json_integer(now_real_ms()));
	line = json_dumps(root, DUMP_FLAGS);
	if (line == NULL || fprintf(ctx->store, "%s\n", line) < 0 ||
	    fflush(ctx->store) != 0)
		fprintf(stderr, PROG ": store: %s\n", strerror(errno));
	free(line);
}

/* The message object Discord returns for ?wait=true. */
static json_t *
message_object(struct ctx *ctx, const struct msg *m, long long seq)
{
	char id[32], ts[40];
	json_t *embeds, *e;
	size_t i;

	snprintf(id, sizeof(id), "%lld", ctx->id_base + seq);
	iso_timestamp(ts);
	embeds = json_is_array(m->embeds) ? json_deep_copy(m->embeds) :
	    json_array();
	json_array_foreach(embeds, i, e)
		if (json_object_get(e, "type") == NULL)
			json_object_set_new(e, "type", json_string("rich"));
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:o, s:[], s:[], s:[], "
	    "s:b, s:b, s:b, s:s, s:n, s:i, s:{s:s, s:s, s:b, s:n}}",
	    "id", id, "type", 0, "channel_id", "1100000000000000001",
	    "webhook_id", ctx->id,
	    "content", json_is_string(m->content) ?
	    json_string_value(m->content) : "",
	    "embeds", embeds, "attachments", "mentions", "components",
	    "tts", 0, "pinned", 0, "mention_everyone", 0,
	    "timestamp", ts, "edited_timestamp", "flags", 0,
	    "author", "id", ctx->id, "username", json_is_string(m->username) ?
	    json_string_value(m->username) : "Fake Webhook", "bot", 1,
	    "avatar");
}

/* Parse, check and store the body; returns the status already prepared on
 * req. */
static int
webhook_execute(struct ctx *ctx, struct evhttp_request *req, int wait)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *ctype = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	size_t len = evbuffer_get_length(in), n_embeds = 0;
	struct msg m = { 0 };
	json_t *root = NULL, *errors = NULL;
	json_error_t jerr;
	enum verdict v;
	int status;
	long long seq;

	if (len > BODY_MAX) {
		set_json_body(req, discord_error("Request entity too large",
		    40005));
		return 413;
	}
	/* Discord reads a body of another type as no JSON fields at all. */
	if (ctype != NULL && strncasecmp(ctype, "application/json", 16) == 0)
		root = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0,
		    &jerr);
	if (root == NULL || !json_is_object(root) ||
	    json_unpack_ex(root, &jerr, 0, "{s?o s?o s?o}", "content",
	    &m.content, "embeds", &m.embeds, "username", &m.username) < 0) {
		json_decref(root);
		set_json_body(req, discord_error("Cannot send an empty message",
		    50006));
		return 400;
	}
	errors = json_object();
	v = check_message(&m, errors, &n_embeds);
	if (v == MSG_INVALID) {
		set_json_body(req, json_pack("{s:i, s:s, s:O}", "code", 50035,
		    "message", "Invalid Form Body", "errors", errors));
		status = 400;
	} else if (v == MSG_EMPTY) {
		set_json_body(req, discord_error("Cannot send an empty message",
		    50006));
		status = 400;
	} else {
		seq = ++ctx->n.stored;
		ctx->n.embeds_stored += n_embeds;
		if (wait)
			set_json_body(req, message_object(ctx, &m, seq));
		store_message(ctx, root, seq);
		status = wait ? 200 : 204;
	}
	json_decref(errors);
	json_decref(root);
	return status;
}

/* An injected failure's body. */
static void
set_injected(struct ctx *ctx, struct evhttp_request *req, int status)
{
	switch (status) {
	case 400:
		set_json_body(req, discord_error("400: Bad Request", 0));
		break;
	case 401:
		set_json_body(req, discord_error("Invalid Webhook Token",
		    50027));
		break;
	case 403:
		set_json_body(req, discord_error("Missing Access", 50001));
		break;
	case 404:
		set_json_body(req, discord_error("Unknown Webhook", 10015));
		break;
	case 429:
		set_429(req, ctx->fail_retry, 0);
		break;
	case 502:
		set_json_body(req, discord_error("502: Bad Gateway", 0));
		break;
	case 503:
		set_json_body(req, discord_error("503: Service Unavailable", 0));
		break;
	default:
		set_json_body(req, discord_error("500: Internal Server Error",
		    0));
		break;
	}
}

static int
want_wait(const char *query)
{
	struct evkeyvalq kv;
	const char *w;
	int yes = 0;

	if (query == NULL)
		return 0;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(query, &kv) == 0) {
		w = evhttp_find_header(&kv, "wait");
		yes = w != NULL && (strcasecmp(w, "true") == 0 ||
		    strcmp(w, "1") == 0);
	}
	evhttp_clear_headers(&kv);
	return yes;
}

static void
webhook_request(struct ctx *ctx, struct evhttp_request *req, const char *id,
    size_t id_len, const char *token, const char *query)
{
	struct bucket_view bv = { 0 };
	int limited = ctx->rate_n > 0, status;

	ctx->n.requests++;
	if (ctx->drop_next > 0) {
		ctx->drop_next--;
		webhook_finish(ctx, req, 0);
		return;
	}
	if (ctx->global_next > 0) {
		ctx->global_next--;
		if (limited) {
			bucket_take(ctx, 0, &bv);
			add_rate_headers(ctx, req, &bv);
		}
		set_429(req, ctx->global_retry, 1);
		webhook_finish(ctx, req, 429);
		return;
	}
	if (ctx->fail_next > 0) {
		ctx->fail_next--;
		status = ctx->fail_status;
		if (limited) {
			bucket_take(ctx, 0, &bv);
			if (status == 429) {
				bv.remaining = 0;
				bv.reset_after = ctx->fail_retry;
			}
			add_rate_headers(ctx, req, &bv);
		}
		set_injected(ctx, req, status);
		webhook_finish(ctx, req, status);
		return;
	}
	if (limited) {
		int ok = bucket_take(ctx, 1, &bv);

		add_rate_headers(ctx, req, &bv);
		if (!ok) {
			set_429(req, bv.reset_after, 0);
			webhook_finish(ctx, req, 429);
			return;
		}
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		set_json_body(req, discord_error("405: Method Not Allowed", 0));
		webhook_finish(ctx, req, 405);
		return;
	}
	if (ctx->deleted || id_len != strlen(ctx->id) ||
	    memcmp(id, ctx->id, id_len) != 0) {
		set_json_body(req, discord_error("Unknown Webhook", 10015));
		webhook_finish(ctx, req, 404);
		return;
	}
	if (strcmp(token, ctx->token) != 0) {
		set_json_body(req, discord_error("Invalid Webhook Token", 50027));
		webhook_finish(ctx, req, 401);
		return;
	}
	status = webhook_execute(ctx, req, want_wait(query));
	webhook_finish(ctx, req, status);
}

/* --- control and stats --------------------------------------------------- */

static void
reply_ok(struct evhttp_request *req)
{
	set_json_body(req, json_pack("{s:b}", "ok", 1));
	evhttp_send_reply(req, 200, NULL, NULL);
}

static void
reply_bad(struct evhttp_request *req, const char *error)
{
	set_json_body(req, json_pack("{s:b, s:s}", "ok", 0, "error", error));
	evhttp_send_reply(req, 400, NULL, NULL);
}

/* A non-negative integer member no larger than max. */
static int
get_count(json_t *v, const char *name, long max, long *out, char *err,
    size_t errsz)
{
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max) {
		snprintf(err, errsz, "%s: must be an integer in 0..%ld", name,
		    max);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}

static void
reset_state(struct ctx *ctx)
{
	memset(&ctx->n, 0, sizeof(ctx->n));
	ctx->win_open = 0;
	ctx->fail_next = 0;
	ctx->global_next = 0;
	ctx->drop_next = 0;
	ctx->deleted = 0;
	if (ctx->store != NULL && (fflush(ctx->store) != 0 ||
	    ftruncate(fileno(ctx->store), 0) != 0))
		fprintf(stderr, PROG ": store: %s\n", strerror(errno));
}

/* The settings one control request asks for, checked before any applies. */
struct control {
	long fail_next, status, global_next, drop_next, delay_ms;
	double retry_after;
	long rate_n;
	double rate_s;
	int deleted, reset, echo;
	json_t *j_fail, *j_status, *j_retry, *j_rate, *j_deleted, *j_global;
	json_t *j_drop, *j_delay, *j_reset, *j_echo;
};

static int
control_parse(json_t *root, struct control *c, char *err, size_t errsz)
{
	json_error_t jerr;
	size_t i;

	if (!json_is_object(root)) {
		snprintf(err, errsz, "body must be a JSON object");
		return -1;
	}
	if (json_unpack_ex(root, &jerr, JSON_STRICT,
	    "{s?o s?o s?o s?o s?o s?o s?o s?o s?o s?o}",
	    "fail_next", &c->j_fail, "status", &c->j_status,
	    "retry_after", &c->j_retry, "rate", &c->j_rate,
	    "deleted", &c->j_deleted, "global_429_next", &c->j_global,
	    "drop_next", &c->j_drop, "delay_ms", &c->j_delay,
	    "reset", &c->j_reset, "echo", &c->j_echo) < 0) {
		snprintf(err, errsz, "%s", jerr.text);
		return -1;
	}
	if (get_count(c->j_fail, "fail_next", MAX_COUNT, &c->fail_next, err,
	    errsz) < 0 || get_count(c->j_global, "global_429_next", MAX_COUNT,
	    &c->global_next, err, errsz) < 0 || get_count(c->j_drop,
	    "drop_next", MAX_COUNT, &c->drop_next, err, errsz) < 0 ||
	    get_count(c->j_delay, "delay_ms", MAX_DELAY_MS, &c->delay_ms, err,
	    errsz) < 0 || get_count(c->j_status, "status", 599, &c->status,
	    err, errsz) < 0)
		return -1;
	if (c->j_status != NULL) {
		if (c->j_fail == NULL) {
			snprintf(err, errsz, "status: needs fail_next");
			return -1;
		}
		for (i = 0; i < N_INJECTABLE; i++)
			if (injectable_status[i] == c->status)
				break;
		if (i == N_INJECTABLE) {
			snprintf(err, errsz, "status: must be one of 400, 401, "
			    "403, 404, 429, 500, 502, 503");
			return -1;
		}
	}
	if (c->j_retry != NULL) {
		if (c->j_fail == NULL && c->j_global == NULL) {
			snprintf(err, errsz, "retry_after: needs fail_next or "
			    "global_429_next");
			return -1;
		}
		c->retry_after = json_number_value(c->j_retry);
		if (!json_is_number(c->j_retry) || c->retry_after < 0 ||
		    c->retry_after > MAX_SECONDS) {
			snprintf(err, errsz, "retry_after: must be a number in "
			    "0..%.0f", MAX_SECONDS);
			return -1;
		}
	}
	if (c->j_rate != NULL && !json_is_null(c->j_rate)) {
		if (!json_is_string(c->j_rate)) {
			snprintf(err, errsz, "rate: must be \"N/SECONDS\" or "
			    "null");
			return -1;
		}
		if (parse_rate(json_string_value(c->j_rate), &c->rate_n,
		    &c->rate_s, err, errsz) < 0)
			return -1;
	}
	if (c->j_deleted != NULL) {
		if (!json_is_boolean(c->j_deleted)) {
			snprintf(err, errsz, "deleted: must be true or false");
			return -1;
		}
		c->deleted = json_is_true(c->j_deleted);
	}
	if (c->j_echo != NULL) {
		if (!json_is_boolean(c->j_echo)) {
			snprintf(err, errsz, "echo: must be true or false");
			return -1;
		}
		c->echo = json_is_true(c->j_echo);
	}
	if (c->j_reset != NULL) {
		if (!json_is_boolean(c->j_reset)) {
			snprintf(err, errsz, "reset: must be true or false");
			return -1;
		}
		c->reset = json_is_true(c->j_reset);
	}
	return 0;
}

static void
control_apply(struct ctx *ctx, const struct control *c)
{
	if (c->reset)
		reset_state(ctx);
	if (c->j_fail != NULL) {
		ctx->fail_next = c->fail_next;
		ctx->fail_status = c->j_status != NULL ? (int)c->status : 500;
		ctx->fail_retry = c->j_retry != NULL ? c->retry_after : 1.0;
	}
	if (c->j_global != NULL) {
		ctx->global_next = c->global_next;
		ctx->global_retry = c->j_retry != NULL ? c->retry_after : 1.0;
	}
	if (c->j_drop != NULL)
		ctx->drop_next = c->drop_next;
	if (c->j_delay != NULL)
		ctx->delay_ms = c->delay_ms;
	if (c->j_deleted != NULL)
		ctx->deleted = c->deleted;
	if (c->j_echo != NULL)
		ctx->echo = c->echo;
	if (c->j_rate != NULL) {
		ctx->rate_n = json_is_null(c->j_rate) ? 0 : c->rate_n;
		ctx->rate_s = c->rate_s;
		ctx->win_open = 0;
	}
}

static void
control_request(struct ctx *ctx, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct control c = { 0 };
	json_error_t jerr;
	json_t *root;
	char err[200];

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply_bad(req, "use POST");
		return;
	}
	if (len > BODY_MAX) {
		reply_bad(req, "body too large");
		return;
	}
	root = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &jerr);
	if (root == NULL) {
		snprintf(err, sizeof(err), "invalid JSON: %s", jerr.text);
		reply_bad(req, err);
		return;
	}
	if (control_parse(root, &c, err, sizeof(err)) < 0) {
		json_decref(root);
		reply_bad(req, err);
		return;
	}
	control_apply(ctx, &c);
	json_decref(root);
	reply_ok(req);
}

static void
stats_request(struct ctx *ctx, struct evhttp_request *req)
{
	json_t *by = json_object();
	char key[8];
	size_t i;

	for (i = 0; i < N_STATUS; i++) {
		snprintf(key, sizeof(key), "%d", counted_status[i]);
		json_object_set_new(by, key, json_integer(ctx->n.by_status[i]));
	}
	json_object_set_new(by, "other", json_integer(ctx->n.other_status));
	set_json_body(req, json_pack("{s:I, s:I, s:o, s:I, s:I, s:I}",
	    "requests", (json_int_t)ctx->n.requests,
	    "stored", (json_int_t)ctx->n.stored,
	    "status", by,
	    "invalid", (json_int_t)(status_count(ctx, 401) +
	    status_count(ctx, 403) + status_count(ctx, 429)),
	    "embeds_stored", (json_int_t)ctx->n.embeds_stored,
	    "dropped", (json_int_t)ctx->n.dropped));
	evhttp_send_reply(req, 200, NULL, NULL);
}

/* --- routing ------------------------------------------------------------- */

/* "/api/webhooks/" or "/api/v<N>/webhooks/": the rest of the path, or NULL. */
static const char *
webhook_path(const char *path)
{
	if (strncmp(path, "/api/", 5) != 0)
		return NULL;
	path += 5;
	if (path[0] == 'v' && path[1] >= '0' && path[1] <= '9') {
		path++;
		while (*path >= '0' && *path <= '9')
			path++;
		if (*path++ != '/')
			return NULL;
	}
	if (strncmp(path, "webhooks/", 9) != 0)
		return NULL;
	return path + 9;
}

static void
not_found(struct evhttp_request *req)
{
	set_json_body(req, discord_error("404: Not Found", 0));
	evhttp_send_reply(req, 404, NULL, NULL);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct ctx *ctx = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *rest, *slash;

	if (path == NULL) {
		not_found(req);
		return;
	}
	if (strcmp(path, "/_control") == 0) {
		control_request(ctx, req);
		return;
	}
	if (strcmp(path, "/_stats") == 0 &&
	    evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
		stats_request(ctx, req);
		return;
	}
	rest = webhook_path(path);
	slash = rest != NULL ? strchr(rest, '/') : NULL;
	if (slash == NULL || slash == rest || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL) {
		not_found(req);
		return;
	}
	webhook_request(ctx, req, rest, (size_t)(slash - rest), slash + 1,
	    evhttp_uri_get_query(uri));
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ctx *ctx = arg;

	(void)sig;
	(void)what;
	event_base_loopexit(ctx->base, NULL);
}

/* --- main ---------------------------------------------------------------- */

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: " PROG " --port P [--webhook ID/TOKEN] [--rate N/SECONDS]\n"
	    "       [--store FILE] [--delay-ms N] [-v]\n"
	    "A fake Discord webhook server on 127.0.0.1 for tests and "
	    "benchmarks.\n"
	    "\n"
	    "  --port P             TCP port on 127.0.0.1 (0: any free port)\n"
	    "  --webhook ID/TOKEN   the known webhook (default %s/%s)\n"
	    "  --rate N/SECONDS     N requests per window of SECONDS (default "
	    "off)\n"
	    "  --store FILE         truncate FILE, append each stored message "
	    "as a JSON line\n"
	    "  --delay-ms N         delay every webhook answer by N ms\n"
	    "  -v, --verbose        one line per webhook request on stderr\n"
	    "  -h, --help           this help\n"
	    "\n"
	    "Control: POST /_control, GET /_stats; see tests/helpers/README.md.\n",
	    DEFAULT_ID, DEFAULT_TOKEN);
}

static int
parse_webhook(const char *s, struct ctx *ctx)
{
	const char *slash = strchr(s, '/'), *p;
	size_t id_len;

	if (slash == NULL)
		return -1;
	id_len = (size_t)(slash - s);
	if (id_len < 1 || id_len >= sizeof(ctx->id) ||
	    strlen(slash + 1) < 1 || strlen(slash + 1) >= sizeof(ctx->token))
		return -1;
	for (p = s; p < slash; p++)
		if (*p < '0' || *p > '9')
			return -1;
	for (p = slash + 1; *p != '\0'; p++)
		if (*p == '/' || *p == '?' || *p == '#' || *p <= ' ')
			return -1;
	memcpy(ctx->id, s, id_len);
	ctx->id[id_len] = '\0';
	snprintf(ctx->token, sizeof(ctx->token), "%s", slash + 1);
	return 0;
}

static FILE *
open_store(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	    0644);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "a");
	if (f == NULL)
		close(fd);
	return f;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "webhook", required_argument, NULL, 'w' },
		{ "rate", required_argument, NULL, 'r' },
		{ "store", required_argument, NULL, 's' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int sigs[] = { SIGTERM, SIGINT };
	struct event *sigev[2] = { NULL, NULL };
	struct evhttp_bound_socket *bound;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct ctx ctx;
	struct pending *p;
	const char *store_path = NULL;
	char err[200], *end;
	long port = -1;
	int opt, rc = 0;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	snprintf(ctx.id, sizeof(ctx.id), "%s", DEFAULT_ID);
	snprintf(ctx.token, sizeof(ctx.token), "%s", DEFAULT_TOKEN);
	ctx.fail_status = 500;
	ctx.fail_retry = ctx.global_retry = 1.0;
	TAILQ_INIT(&ctx.pending);

	/* Options. */
	while ((opt = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    port < 0 || port > 65535) {
				fprintf(stderr, PROG ": --port: '%s' is not "
				    "0..65535\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'w':
			if (parse_webhook(optarg, &ctx) < 0) {
				fprintf(stderr, PROG ": --webhook: want "
				    "DIGITS/TOKEN\n");
				return EX_USAGE;
			}
			break;
		case 'r':
			if (parse_rate(optarg, &ctx.rate_n, &ctx.rate_s, err,
			    sizeof(err)) < 0) {
				fprintf(stderr, PROG ": --%s\n", err);
				return EX_USAGE;
			}
			break;
		case 's':
			store_path = optarg;
			break;
		case 'd':
			errno = 0;
			ctx.delay_ms = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    ctx.delay_ms < 0 || ctx.delay_ms > MAX_DELAY_MS) {
				fprintf(stderr, PROG ": --delay-ms: '%s' is not "
				    "0..%ld\n", optarg, MAX_DELAY_MS);
				return EX_USAGE;
			}
			break;
		case 'v':
			ctx.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc || port < 0) {
		usage(stderr);
		return EX_USAGE;
	}
	ctx.id_base = (now_real_ms() - DISCORD_EPOCH_MS) << 22;

	/* Store. */
	if (store_path != NULL && (ctx.store = open_store(store_path)) ==
	    NULL) {
		fprintf(stderr, PROG ": %s: %s\n", store_path, strerror(errno));
		return EX_CANTCREAT;
	}

	/* Event base, HTTP server, signals. */
	signal(SIGPIPE, SIG_IGN);
	ctx.base = event_base_new();
	ctx.http = ctx.base != NULL ? evhttp_new(ctx.base) : NULL;
	if (ctx.http == NULL) {
		fprintf(stderr, PROG ": cannot create the event loop\n");
		rc = EX_OSERR;
		goto out;
	}
	evhttp_set_gencb(ctx.http, on_request, &ctx);
	evhttp_set_max_body_size(ctx.http, HARD_BODY_MAX);
	evhttp_set_flags(ctx.http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_timeout(ctx.http, 60);
	evhttp_set_allowed_methods(ctx.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT);
	bound = evhttp_bind_socket_with_handle(ctx.http, "127.0.0.1",
	    (ev_uint16_t)port);
	if (bound == NULL || getsockname(evhttp_bound_socket_get_fd(bound),
	    (struct sockaddr *)&sa, &sl) < 0) {
		fprintf(stderr, PROG ": cannot listen on 127.0.0.1:%ld: %s\n",
		    port, strerror(errno));
		rc = EX_UNAVAILABLE;
		goto out;
	}
	for (i = 0; i < 2; i++) {
		sigev[i] = evsignal_new(ctx.base, sigs[i], on_signal, &ctx);
		if (sigev[i] == NULL || evsignal_add(sigev[i], NULL) < 0) {
			fprintf(stderr, PROG ": cannot watch signals\n");
			rc = EX_OSERR;
			goto out;
		}
	}

	/* Dispatch. */
	printf("{\"event\":\"fake.listening\",\"port\":%d}\n",
	    ntohs(sa.sin_port));
	fflush(stdout);
	if (event_base_dispatch(ctx.base) < 0)
		rc = EX_OSERR;

out:
	/* Held answers first: an orphaned request is ours to free; the rest
	 * go with their connections in evhttp_free. */
	while ((p = TAILQ_FIRST(&ctx.pending)) != NULL) {
		if (evhttp_request_get_connection(p->req) == NULL)
			evhttp_request_free(p->req);
		pending_free(&ctx, p);
	}
	for (i = 0; i < 2; i++)
		if (sigev[i] != NULL)
			event_free(sigev[i]);
	if (ctx.http != NULL)
		evhttp_free(ctx.http);
	if (ctx.base != NULL)
		event_base_free(ctx.base);
	if (ctx.store != NULL)
		fclose(ctx.store);
	return rc;
}
