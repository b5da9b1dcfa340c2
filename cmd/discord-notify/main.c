/*
 * discord-notify: deliver gwkit event records to a Discord webhook, losing
 * none. Reads event JSON lines on stdin and on a Unix socket; spools every
 * accepted event durably; delivers through libcurl on the event loop.
 * See docs/discord-notify.md. Input lines and socket bytes are untrusted.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "cfg.h"
#include "dclient.h"
#include "discord.h"
#include "event.h"
#include "http.h"
#include "lineserv.h"
#include "log.h"
#include "opt.h"
#include "notifier.h"
#include "rundir.h"
#include "spool.h"
#include "usock.h"

#define PROG "discord-notify"
#define VERSION "gwkit 0.1.0"
/* Exit codes: the list in usage() and docs/discord-notify.md "EXIT STATUS". */
#define EXIT_REFUSED EX_NOPERM	/* 77, --send/--once: the webhook refused us (401/403/404) */
#define MAX_CLIENTS 256		/* default --max-clients */
#define CLIENT_TIMEOUT_S 60	/* default --client-timeout */
#define OUT_HIGH (64 * 1024)	/* a client's unread replies: stop reading it */
#define OUT_LOW (16 * 1024)	/* ... until they are below this */
#define REQUEST_TIMEOUT_MS 15000

struct opts {
	char listen[USOCK_PATH_MAX + 1];
	char spool[1024];
	const char *webhook_file;
	int allow_insecure;
	int dry_run;
	const char *mention;
	double window_s, max_age_s, park_retry_s, drain_s, timeout_s;
	double client_timeout_s;
	long max_clients;
	const char *send_level, *send_message;
	const char *source, *component, *event_name;
	int have_source, have_component, have_listen, have_spool;
	int stats, once, no_stdin, no_listen, check_only;
	int text;		/* --text: every stdin line is a message */
	int have_default_level;	/* --default-level: non-JSON lines are text */
	enum gw_level default_level;
	enum gw_level log_level;
	enum gw_log_format log_format;
	/* as given, checked once every flag is read */
	const char *log_level_arg, *log_format_arg, *default_level_arg;
	const char *log_format_from;	/* LOG_FORMAT or --log-format */
};

struct input {
	struct evbuffer *buf;	/* stdin's; lineserv buffers a client's */
	unsigned long lineno;
	char origin[64];
	int skipping;		/* stdin: discarding the rest of an overlong line */
	int is_stdin;
};

/* A socket client (lib/lineserv does the socket, limits and buffering). */
struct client {
	LIST_ENTRY(client) link;
	struct ctx *c;
	struct lineserv_client *lc;
	struct input in;
	uint64_t wait_seq;	/* "send" request waiting for delivery; 0 none:
				 * the client is held, its later lines wait
				 * (replies stay in order) */
	struct event *wait_timer;	/* its deadline */
};

struct ctx {
	struct opts o;
	struct event_base *base;
	struct gw_log *log;
	struct discord_webhook wh;
	int have_webhook;
	int dry;		/* printing payloads (--dry-run or no webhook) */
	char dry_dir[1024];	/* the throwaway spool of a dry run */
	struct event *printed;	/* dry run: the print "transport" reports */
	long print_status;
	struct spool *spool;
	struct http *http;
	struct notifier *n;
	struct lineserv *ls;	/* the socket; NULL without one */
	LIST_HEAD(, client) clients;
	int limit_episode;	/* at the client limit: logged once */
	unsigned long evicted, refused;
	struct input stdin_in;
	struct event *stdin_ev;
	int stdin_regular, stdin_eof;
	struct event *sig[5];
	struct event *deadline;	/* drain, --send or --once deadline */
	int draining;
	int finish_at_eof;	/* a dry run with no socket: done when stdin is */
	uint64_t my_seq;	/* standalone --send */
	long refused_status;	/* the webhook's last 401/403/404; 0 after a 2xx */
	char refused_msg[200];	/* Discord's message with it, quoted */
	char url_shown[600];	/* the webhook URL for logs (no secrets) */
	int exit_code;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: discord-notify [options]                  run: stdin + socket -> Discord\n"
"       discord-notify --send LEVEL MESSAGE [--source S] [--component C] [--event E]\n"
"       discord-notify --stats | -n | --help | --version\n"
"\n"
"  --listen PATH         Unix socket for event lines (default\n"
"                        $RUNTIME/notify.sock; a dry run listens only when given one)\n"
"  --no-listen           no socket; stdin only\n"
"  --no-stdin            do not read stdin\n"
"  --once                exit once stdin has ended and everything is delivered\n"
"                        (at most --timeout after its end)\n"
"  --spool DIR           durable spool (default $RUNTIME/notify-spool)\n"
"  --webhook-file F      file holding the webhook URL (else DISCORD_WEBHOOK_URL_FILE,\n"
"                        else DISCORD_WEBHOOK_URL)\n"
"  --allow-insecure-url  accept http:// webhooks (tests on 127.0.0.1)\n"
"  --dry-run             print the payloads as JSON lines instead of sending\n"
"                        (no webhook: the same); uses neither the spool nor\n"
"                        the runtime directory\n"
"  --text                every stdin line is a plain-text message (not JSON);\n"
"                        implies --once, and no socket unless --listen\n"
"  --default-level LEVEL level of text messages (default warning); when given,\n"
"                        a line not starting with '{' is taken as text too\n"
"  --source S, --component C, --event E\n"
"                        text messages and --send: the event's source (default\n"
"                        text; --send: discord-notify), component (stdin or\n"
"                        socket; --send: cli) and name (notify.message)\n"
"  --mention TEXT        content for critical events (e.g. <@&ROLE_ID>)\n"
"  --coalesce-window S   identical repeats within S become one embed (default 60)\n"
"  --max-age S           dead-letter events not delivered within S (default 86400)\n"
"  --park-retry S        retry a refused webhook every S (default 600)\n"
"  --drain-timeout S     on SIGTERM, keep delivering for S (default 5)\n"
"  --max-clients N       socket clients at once; then the least recently active\n"
"                        idle one makes room (default 256)\n"
"  --client-timeout S    drop a socket client idle for S (default 60)\n"
"  --timeout S           --send, --once (after stdin ended): wait at most S for\n"
"                        delivery (default 30)\n"
"  --log-level LEVEL     debug|info|warning|error|critical (LOG_LEVEL, default info)\n"
"  --log-format F        json|text|auto: log lines as JSON event records or one\n"
"                        readable line each; auto: text on a terminal\n"
"                        (LOG_FORMAT, default auto)\n"
"  -n                    check the configuration and exit\n"
"\n"
"exit status:\n"
"  0   ok: stopped cleanly; --send/--once delivered (or printed in a dry run)\n"
"  64  usage: a bad option or argument\n"
"  69  --stats: no daemon answering; --send: the daemon did not take the event\n"
"      and another process holds the spool: the event was NOT spooled\n"
"  70  internal error (out of memory, event loop, libcurl)\n"
"  73  the spool or the socket cannot be set up (e.g. the spool is locked by\n"
"      another instance), or --send could not spool the event (NOT spooled)\n"
"  75  --send/--once: not delivered within --timeout; still spooled\n"
"  77  --send/--once: the webhook refused us (HTTP 401/403/404: token invalid\n"
"      or webhook deleted); the events stay spooled\n"
"  78  bad webhook configuration, or --send with no webhook (and no daemon\n"
"      taking the event)\n");
}

static const char *
quoted(char *buf, size_t sz, const char *s)
{
	gw_err_quote(buf, sz, s, strlen(s));
	return buf;
}

/*
 * The command line is one table: a row per option, with the handler that
 * takes its value and, for the generic handlers, the field and range it
 * sets. A handler returns -1 with the one-line message in err: exit 64.
 * Levels and formats are only stored here and checked after the loop.
 */
#define FIELD(m) OPT_FIELD(struct opts, m)

static int
opt_listen(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	struct opts *o = ctx;
	(void)d;
	if (*v == '\0' || strlen(v) > USOCK_PATH_MAX)
		return gw_err_set(e, "--listen: a socket path of 1..%d bytes",
		    USOCK_PATH_MAX);
	snprintf(o->listen, sizeof(o->listen), "%s", v);
	o->have_listen = 1;
	return 0;
}

static int
opt_spool(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	struct opts *o = ctx;
	(void)d;
	if (*v == '\0' || strlen(v) >= 900)
		return gw_err_set(e, "--spool: a directory path of 1..899 bytes");
	snprintf(o->spool, sizeof(o->spool), "%s", v);
	o->have_spool = 1;
	return 0;
}

static int
opt_mention(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	struct opts *o = ctx;
	(void)d;
	if (strlen(v) > DISCORD_MAX_CONTENT)
		return gw_err_set(e, "--mention: longer than %d characters",
		    DISCORD_MAX_CONTENT);
	o->mention = v;
	return 0;
}

static int
opt_max_clients(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	struct opts *o = ctx;
	char *end;

	(void)d;
	errno = 0;
	o->max_clients = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' ||
	    o->max_clients < 1 || o->max_clients > 65536)
		return gw_err_set(e, "--max-clients: a whole number from 1 to "
		    "65536");
	return 0;
}

static int
opt_source(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	struct opts *o = ctx;
	(void)d;
	(void)e;
	o->source = v;
	o->have_source = 1;
	return 0;
}

static int
opt_component(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	struct opts *o = ctx;
	(void)d;
	(void)e;
	o->component = v;
	o->have_component = 1;
	return 0;
}

static int
opt_log_format(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	struct opts *o = ctx;
	(void)e;
	o->log_format_arg = v;
	o->log_format_from = d->flag;
	return 0;
}

static int
opt_help(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	(void)ctx;
	(void)d;
	(void)v;
	(void)e;
	usage(stdout);
	exit(0);
}

static int
opt_version(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	(void)ctx;
	(void)d;
	(void)v;
	(void)e;
	printf(PROG " " VERSION "\n");
	exit(0);
}

#define ARG required_argument
#define NOARG no_argument
static const struct opt_def optdefs[] = {
	{ "--listen", 0, ARG, opt_listen, 0, 0, 0, 0 },
	{ "--no-listen", 0, NOARG, opt_flag, FIELD(no_listen), 0, 0 },
	{ "--no-stdin", 0, NOARG, opt_flag, FIELD(no_stdin), 0, 0 },
	{ "--once", 0, NOARG, opt_flag, FIELD(once), 0, 0 },
	{ "--spool", 0, ARG, opt_spool, 0, 0, 0, 0 },
	{ "--webhook-file", 0, ARG, opt_ptr, FIELD(webhook_file), 0, 0 },
	{ "--allow-insecure-url", 0, NOARG, opt_flag, FIELD(allow_insecure), 0,
	    0 },
	{ "--dry-run", 0, NOARG, opt_flag, FIELD(dry_run), 0, 0 },
	{ "--mention", 0, ARG, opt_mention, 0, 0, 0, 0 },
	{ "--coalesce-window", 0, ARG, opt_seconds, FIELD(window_s), 0, 86400 },
	{ "--max-age", 0, ARG, opt_seconds, FIELD(max_age_s), 1, 31536000 },
	{ "--park-retry", 0, ARG, opt_seconds, FIELD(park_retry_s), 0.1, 86400 },
	{ "--drain-timeout", 0, ARG, opt_seconds, FIELD(drain_s), 0, 3600 },
	{ "--timeout", 0, ARG, opt_seconds, FIELD(timeout_s), 0.001, 86400 },
	{ "--send", 0, ARG, opt_ptr, FIELD(send_level), 0, 0 },
	{ "--source", 0, ARG, opt_source, 0, 0, 0, 0 },
	{ "--component", 0, ARG, opt_component, 0, 0, 0, 0 },
	{ "--event", 0, ARG, opt_ptr, FIELD(event_name), 0, 0 },
	{ "--stats", 0, NOARG, opt_flag, FIELD(stats), 0, 0 },
	{ "--log-level", 0, ARG, opt_ptr, FIELD(log_level_arg), 0, 0 },
	{ "--max-clients", 0, ARG, opt_max_clients, 0, 0, 0, 0 },
	{ "--client-timeout", 0, ARG, opt_seconds, FIELD(client_timeout_s), 0.1,
	    86400 },
	{ "--text", 0, NOARG, opt_flag, FIELD(text), 0, 0 },
	{ "--default-level", 0, ARG, opt_ptr, FIELD(default_level_arg), 0, 0 },
	{ "--log-format", 0, ARG, opt_log_format, 0, 0, 0, 0 },
	{ NULL, 'n', NOARG, opt_flag, FIELD(check_only), 0, 0 },
	{ "--help", 'h', NOARG, opt_help, 0, 0, 0, 0 },
	{ "--version", 'V', NOARG, opt_version, 0, 0, 0, 0 },
};
#define N_OPTDEFS (sizeof(optdefs) / sizeof(optdefs[0]))
static const struct opt_set optset = { "", "", "", "--help", optdefs,
    N_OPTDEFS };

static void
parse_options(int argc, char **argv, struct opts *o)
{
	char q[GW_QUOTE_MAX], rd[900];
	struct gw_err e;

	memset(o, 0, sizeof(*o));
	o->window_s = 60;
	o->max_age_s = 86400;
	o->park_retry_s = 600;
	o->drain_s = 5;
	o->timeout_s = 30;
	o->client_timeout_s = CLIENT_TIMEOUT_S;
	o->max_clients = MAX_CLIENTS;
	o->source = PROG;
	o->component = "cli";
	o->event_name = "notify.message";
	o->default_level = GW_WARNING;
	o->log_level_arg = cfg_env_str("LOG_LEVEL", "info");
	o->log_format_arg = cfg_env_str("LOG_FORMAT", "auto");
	o->log_format_from = "LOG_FORMAT";
	if (opt_parse(argc, argv, &optset, o, &e) < 0)
		errx(EX_USAGE, "%s", e.msg);
	if (gw_level_parse(o->log_level_arg, &o->log_level) < 0)
		errx(EX_USAGE, "log level '%s' is not one of debug, info, warning, "
		    "error, critical", quoted(q, sizeof(q), o->log_level_arg));
	if (gw_log_format_parse(o->log_format_arg, &o->log_format) < 0)
		errx(EX_USAGE, "%s: '%s' is not one of json, text, auto",
		    o->log_format_from, quoted(q, sizeof(q), o->log_format_arg));
	if (o->default_level_arg != NULL) {
		if (gw_level_parse(o->default_level_arg, &o->default_level) < 0)
			errx(EX_USAGE, "--default-level: '%s' is not one of debug, info, "
			    "warning, error, critical",
			    quoted(q, sizeof(q), o->default_level_arg));
		o->have_default_level = 1;
	}
	if (o->send_level != NULL) {
		if (optind + 1 != argc)
			errx(EX_USAGE, "--send LEVEL MESSAGE: give the message as one argument");
		o->send_message = argv[optind++];
	}
	if (optind < argc)
		errx(EX_USAGE, "'%s': unexpected argument (see --help)",
		    quoted(q, sizeof(q), argv[optind]));
	if (o->send_level != NULL && o->stats)
		errx(EX_USAGE, "--send and --stats do not go together");
	if (o->text && (o->send_level != NULL || o->stats || o->no_stdin))
		errx(EX_USAGE, "--text reads stdin: not with --send, --stats or "
		    "--no-stdin");
	if (!o->have_listen || !o->have_spool) {
		if (rundir_path(rd, sizeof(rd), &e) < 0)
			errx(EX_USAGE, "%s", e.msg);
		if (!o->have_listen && snprintf(o->listen, sizeof(o->listen),
		    "%s/notify.sock", rd) >= (int)sizeof(o->listen))
			errx(EX_USAGE, "runtime directory %s is too long for a socket "
			    "path; use --listen", rd);
		if (!o->have_spool)
			snprintf(o->spool, sizeof(o->spool), "%s/notify-spool", rd);
	}
}

/* The webhook URL: --webhook-file, DISCORD_WEBHOOK_URL_FILE, then
 * DISCORD_WEBHOOK_URL. The URL is secret: messages never quote it. */
static int
load_webhook(const struct opts *o, struct discord_webhook *wh, struct gw_err *err)
{
	const char *file = o->webhook_file ? o->webhook_file :
	    cfg_env_str("DISCORD_WEBHOOK_URL_FILE", NULL);
	const char *what = o->webhook_file ? "--webhook-file" : "DISCORD_WEBHOOK_URL_FILE";
	char buf[4096], q[128];
	struct gw_err e;
	size_t n;
	FILE *f;

	if (file != NULL) {
		if ((f = fopen(file, "r")) == NULL)
			return gw_err_set(err, "%s: cannot open %s: %s", what,
			    quoted(q, sizeof(q), file), strerror(errno));
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		while (n > 0 && strchr(" \t\r\n", buf[n - 1]) != NULL)
			buf[--n] = '\0';
		if (discord_webhook_parse(buf, o->allow_insecure, wh, &e) < 0) {
			memset(buf, 0, sizeof(buf));
			return gw_err_set(err, "%s: %s", what, e.msg);
		}
		memset(buf, 0, sizeof(buf));
		return 1;
	}
	file = cfg_env_str("DISCORD_WEBHOOK_URL", NULL);
	if (file == NULL)
		return 0;
	if (discord_webhook_parse(file, o->allow_insecure, wh, &e) < 0)
		return gw_err_set(err, "DISCORD_WEBHOOK_URL: %s", e.msg);
	return 1;
}

/* 1 when path is dir or inside it. */
static int
in_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* ---------- ending ---------- */

/* The spool a run uses: a dry run's throwaway one, else --spool's. */
static const char *
spool_in_use(const struct ctx *c)
{
	return c->dry_dir[0] != '\0' ? c->dry_dir : c->o.spool;
}

/* The webhook refused us (401/403/404) and the notifier parked it: a
 * --send, or a --once whose input has ended, stops now (exit 77) rather
 * than wait out --timeout for a webhook that will not take anything. */
static void
refused_exit(struct ctx *c)
{
	size_t left = notifier_pending(c->n);

	if (c->exit_code == EXIT_REFUSED)
		return;		/* said once */
	c->exit_code = EXIT_REFUSED;
	warnx("%s: the webhook %s refused us with HTTP %ld%s%s "
	    "(token invalid or webhook deleted): %zu event%s kept in %s; fix the "
	    "webhook and run again", c->my_seq != 0 ? "--send" : "--once",
	    c->url_shown, c->refused_status, c->refused_msg[0] ? " " : "",
	    c->refused_msg, left, left == 1 ? "" : "s", spool_in_use(c));
	event_base_loopexit(c->base, NULL);
}

static void
maybe_finish(struct ctx *c)
{
	if (c->refused_status != 0 && !c->draining &&
	    (c->my_seq != 0 || (c->o.once && c->stdin_eof))) {
		refused_exit(c);
		return;
	}
	if (notifier_pending(c->n) > 0 || notifier_busy(c->n))
		return;
	if (c->draining || ((c->o.once || c->finish_at_eof) && c->stdin_eof)) {
		c->exit_code = 0;
		event_base_loopexit(c->base, NULL);
	}
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *c = arg;
	size_t left = notifier_pending(c->n);

	(void)fd;
	(void)what;
	if (c->my_seq != 0 || c->o.once) {
		c->exit_code = left ? EX_TEMPFAIL : 0;
		if (left)
			warnx("%zu event%s not delivered within %g s%s; "
			    "kept in %s for the next run", left, left == 1 ? "" : "s",
			    c->o.timeout_s, c->my_seq != 0 ? "" : " of the end of the input",
			    spool_in_use(c));
	} else {
		c->exit_code = 0;	/* drain over: the rest stays spooled */
	}
	event_base_loopexit(c->base, NULL);
}

static void
arm_deadline(struct ctx *c, double s)
{
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };

	evtimer_add(c->deadline, &tv);
}

static void close_inputs(struct ctx *c);

static void
start_drain(struct ctx *c)
{
	if (c->draining)
		return;
	c->draining = 1;
	close_inputs(c);
	gw_log_event(c->log, GW_INFO, "notify", "notify.draining",
	    json_pack("{s:i, s:f}", "queued", (int)notifier_pending(c->n),
	    "timeout_s", c->o.drain_s),
	    "stopping: no new input; delivering for up to %g s, the rest stays spooled",
	    c->o.drain_s);
	arm_deadline(c, c->o.drain_s);
	maybe_finish(c);
}

/* ---------- socket clients and lines ---------- */

/* Queue one reply line. A client that does not read its replies is not
 * read either once OUT_HIGH bytes wait (lineserv resumes it below
 * OUT_LOW; --client-timeout without progress disconnects it). Above
 * 4 * OUT_HIGH a reply is dropped: only a closing client gets there. */
static void
reply(struct client *cl, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (s != NULL)
		(void)lineserv_reply(cl->lc, s, strlen(s));
	free(s);
}

/* The reply to a waiting "send" is queued (or its wait_ms ran out): the
 * client's next lines are handled, from the loop, never from inside the
 * ack that answered it. */
static void
client_wait_ended(struct client *cl)
{
	cl->wait_seq = 0;
	lineserv_release(cl->lc);
}

static void
on_wait_timer(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;

	(void)fd;
	(void)what;
	if (cl->wait_seq == 0)
		return;
	reply(cl, json_pack("{s:b, s:b, s:s}", "ok", 1, "delivered", 0,
	    "status", "spooled"));	/* wait_ms ran out */
	client_wait_ended(cl);
}

/* Submit one event line. A rejected one is logged by the notifier; it is
 * also said on stderr, for whoever feeds us, and its reason put in why
 * (a line that decodes was refused by the spool instead: logged critical,
 * why says so). Returns notifier_submit's result. */
static int
submit_line(struct ctx *c, const char *line, size_t len, const char *origin,
    unsigned long lineno, uint64_t *seq, char *why, size_t whysz)
{
	struct gw_event ev;
	struct gw_err e;

	if (notifier_submit(c->n, line, len, origin, lineno, seq) == 0)
		return 0;
	if (gw_event_decode(line, len, &ev, &e) < 0) {
		warnx("rejected line %lu from %s: %s", lineno,
		    origin, e.msg);
		fflush(stderr);
		snprintf(why, whysz, "event rejected: %s", e.msg);
	} else {
		snprintf(why, whysz, "the spool cannot be written: event not accepted");
	}
	gw_event_clear(&ev);
	return -1;
}

/* The answer to a send request while the webhook refuses us. */
static json_t *
parked_reply(const struct ctx *c)
{
	return json_pack("{s:b, s:b, s:s, s:i, s:s}", "ok", 1, "delivered", 0,
	    "status", "parked", "http_status", (int)c->refused_status,
	    "discord", c->refused_msg);
}

/* A command line from a socket client: {"cmd":"stats"} or
 * {"cmd":"send","event":{...},"wait_ms":N}. */
static void
client_command(struct ctx *c, struct client *cl, json_t *o)
{
	const char *cmd = json_string_value(json_object_get(o, "cmd"));
	json_t *ev = json_object_get(o, "event");
	json_int_t wait_ms = 0;
	char *line, why[GW_WHY_MAX];
	uint64_t seq;

	if (cmd != NULL && strcmp(cmd, "stats") == 0) {
		json_t *s = notifier_stats_json(c->n);

		reply(cl, json_pack("{s:b, s:o}", "ok", 1, "stats", s));
		return;
	}
	if (cmd == NULL || strcmp(cmd, "send") != 0 || !json_is_object(ev)) {
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
		    "unknown command (stats, or send with an event object)"));
		return;
	}
	json_unpack(o, "{s?:I}", "wait_ms", &wait_ms);
	line = json_dumps(ev, JSON_COMPACT);
	if (line == NULL || submit_line(c, line, strlen(line), "send request",
	    1, &seq, why, sizeof(why)) < 0) {
		free(line);
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error", line == NULL ?
		    "out of memory" : why));
		return;
	}
	free(line);
	if (notifier_commit(c->n) < 0) {	/* not durable: not accepted */
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
		    "the spool cannot be synced: event not accepted"));
		return;
	}
	if (wait_ms > 0 && c->refused_status != 0) {	/* no use waiting */
		reply(cl, parked_reply(c));
		return;
	}
	/* held: its next lines wait; not while it is being evicted */
	if (wait_ms <= 0 || lineserv_hold(cl->lc) < 0) {
		reply(cl, json_pack("{s:b, s:b, s:s}", "ok", 1, "delivered", 0,
		    "status", "spooled"));
		return;
	}
	if (wait_ms > 86400000)
		wait_ms = 86400000;
	cl->wait_seq = seq;
	{
		struct timeval tv = { (time_t)(wait_ms / 1000),
		    (suseconds_t)((wait_ms % 1000) * 1000) };
		evtimer_add(cl->wait_timer, &tv);
	}
}

/* Reject a line: counted and logged by the notifier, and one line on
 * stderr for whoever feeds us. */
static void
reject_line(struct ctx *c, const struct input *in, unsigned long lineno,
    const char *reason)
{
	notifier_reject(c->n, in->origin, lineno, reason);
	warnx("rejected line %lu from %s: %s", lineno,
	    in->origin, reason);
	fflush(stderr);
}

/* A line of plain text as a message event (--text, --default-level). */
static void
text_line(struct ctx *c, struct input *in, const char *line, size_t len)
{
	struct gw_event ev;
	struct gw_err e;
	char *msg = strndup(line, len), *enc = NULL, why[GW_WHY_MAX];

	if (msg == NULL || memchr(line, '\0', len) != NULL) {
		reject_line(c, in, in->lineno, msg == NULL ? "out of memory" :
		    "text line holds a NUL byte");
		free(msg);
		return;
	}
	if (gw_event_init(&ev, c->o.default_level, c->o.have_source ?
	    c->o.source : "text", c->o.have_component ? c->o.component :
	    in->is_stdin ? "stdin" : "socket", c->o.event_name, msg, NULL,
	    &e) < 0) {
		free(msg);
		reject_line(c, in, in->lineno, e.msg);
		return;
	}
	free(msg);
	enc = gw_event_encode(&ev);
	gw_event_clear(&ev);
	if (enc == NULL) {
		reject_line(c, in, in->lineno, "text line too long once written "
		    "as an event (64 KiB)");
		return;
	}
	(void)submit_line(c, enc, strlen(enc), in->origin, in->lineno, NULL,
	    why, sizeof(why));
	free(enc);
}

/* One complete line from an input. */
static void
handle_line(struct ctx *c, struct input *in, struct client *cl,
    const char *line, size_t len)
{
	char why[GW_WHY_MAX];
	size_t ws;

	in->lineno++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return;		/* blank lines are not records */
	for (ws = 0; ws < len && strchr(" \t\f\v", line[ws]) != NULL; ws++)
		;
	if ((in->is_stdin && c->o.text) || (c->o.have_default_level &&
	    (ws >= len || line[ws] != '{'))) {
		text_line(c, in, line, len);
		return;
	}
	if (cl != NULL && line[0] == '{' && memmem(line, len, "\"cmd\"", 5) != NULL) {
		json_t *o = json_loadb(line, len, 0, NULL);

		if (o != NULL && json_is_string(json_object_get(o, "cmd"))) {
			client_command(c, cl, o);
			json_decref(o);
			return;
		}
		json_decref(o);
	}
	(void)submit_line(c, line, len, in->origin, in->lineno, NULL, why,
	    sizeof(why));
}

/* Take every complete line out of stdin's buffer; at eof the rest is a
 * line too. (A socket client's lines come from lineserv, cut the same
 * way.) */
static void
drain_lines(struct ctx *c, struct input *in, int eof)
{
	struct evbuffer_ptr p;
	size_t len;

	for (;;) {
		len = evbuffer_get_length(in->buf);
		if (len == 0)
			break;
		p = evbuffer_search_eol(in->buf, NULL, NULL, EVBUFFER_EOL_LF);
		if (p.pos < 0) {
			if (len > GW_EVENT_MAX_LINE + 1 || (eof && in->skipping)) {
				if (!in->skipping) {	/* report once per overlong line */
					in->lineno++;
					reject_line(c, in, in->lineno,
					    "line longer than 65536 bytes");
				}
				evbuffer_drain(in->buf, len);
				in->skipping = !eof;
				continue;
			}
			if (!eof)
				break;
			p.pos = (ev_ssize_t)len;	/* last line without newline */
		}
		if (in->skipping) {
			evbuffer_drain(in->buf, (size_t)p.pos + 1);
			in->skipping = 0;
			continue;
		}
		if ((size_t)p.pos > GW_EVENT_MAX_LINE + 1) {
			in->lineno++;
			reject_line(c, in, in->lineno, "line longer than 65536 bytes");
			evbuffer_drain(in->buf, (size_t)p.pos + 1);
			continue;
		}
		{
			char *line = (char *)evbuffer_pullup(in->buf, p.pos + ((size_t)p.pos < len));

			handle_line(c, in, NULL, line ? line : "", (size_t)p.pos);
			evbuffer_drain(in->buf, (size_t)p.pos + ((size_t)p.pos < len));
		}
	}
	notifier_commit(c->n);	/* one fsync for everything just read */
}

/* ---------- the socket's owner side (lib/lineserv callbacks) ---------- */

static void
client_line(struct lineserv_client *lc, const char *line, size_t len,
    int eol, void *arg)
{
	struct client *cl = lineserv_client_data(lc);

	(void)eol;	/* a last line without newline is a line too */
	handle_line(arg, &cl->in, cl, line, len);
}

static void
client_overlong(struct lineserv_client *lc, void *arg)
{
	struct client *cl = lineserv_client_data(lc);

	cl->in.lineno++;	/* reported once per overlong line */
	reject_line(arg, &cl->in, cl->in.lineno, "line longer than 65536 bytes");
}

static void
client_batch(struct lineserv_client *lc, void *arg)
{
	struct ctx *c = arg;

	(void)lc;
	notifier_commit(c->n);	/* one fsync for everything just read */
}

static int
client_connect(struct lineserv_client *lc, void *arg)
{
	struct ctx *c = arg;
	struct client *cl = calloc(1, sizeof(*cl));

	if (cl == NULL || (cl->wait_timer = evtimer_new(c->base, on_wait_timer,
	    cl)) == NULL) {
		free(cl);
		return -1;
	}
	cl->c = c;
	cl->lc = lc;
	snprintf(cl->in.origin, sizeof(cl->in.origin), "%s",
	    lineserv_client_origin(lc));
	lineserv_client_set_data(lc, cl);
	LIST_INSERT_HEAD(&c->clients, cl, link);
	gw_log_event(c->log, GW_DEBUG, "notify", "notify.client_connected",
	    json_pack("{s:s, s:i}", "origin", cl->in.origin, "connected",
	    (int)lineserv_count(c->ls)), "%s connected", cl->in.origin);
	return 0;
}

/* At --max-clients: logged once per episode. victim is the least recently
 * active client neither waiting for a send reply nor closing (lineserv
 * hands over its lines, then closes it), or NULL: the new one is
 * refused. */
static void
client_full(struct lineserv *ls, struct lineserv_client *victim, void *arg)
{
	struct ctx *c = arg;
	const char *origin;

	if (!c->limit_episode) {	/* once per episode */
		c->limit_episode = 1;
		gw_log_event(c->log, GW_ERROR, "notify", "notify.client_limit",
		    json_pack("{s:i}", "connected", (int)lineserv_count(ls)),
		    "%zu socket clients connected (the limit): each new one "
		    "replaces the least recently active idle one",
		    lineserv_count(ls));
	}
	if (victim == NULL) {	/* all wait for a send reply */
		c->refused++;
		return;
	}
	c->evicted++;
	origin = ((struct client *)lineserv_client_data(victim))->in.origin;
	gw_log_event(c->log, GW_DEBUG, "notify", "notify.client_evicted",
	    json_pack("{s:s}", "origin", origin), "%s evicted to make room", origin);
}

static void
client_closed(struct lineserv_client *lc, enum lineserv_why why, void *arg)
{
	struct ctx *c = arg;
	struct client *cl = lineserv_client_data(lc);

	if (why == LINESERV_IDLE || why == LINESERV_IDLE_HALF_LINE ||
	    why == LINESERV_IDLE_UNREAD) {
		if (why == LINESERV_IDLE_HALF_LINE && lineserv_client_partial(lc) > 0)
			reject_line(c, &cl->in, cl->in.lineno + 1,
			    "unterminated line dropped: the client was idle");
		gw_log_event(c->log, GW_INFO, "notify", "notify.client_idle",
		    json_pack("{s:s, s:f}", "origin", cl->in.origin, "timeout_s",
		    c->o.client_timeout_s),
		    "%s: no progress for %g s (%s); disconnected", cl->in.origin,
		    c->o.client_timeout_s, lineserv_why_str(why));
	}
	LIST_REMOVE(cl, link);
	event_free(cl->wait_timer);
	free(cl);
	if (c->limit_episode &&
	    lineserv_count(c->ls) < (size_t)c->o.max_clients * 3 / 4) {
		c->limit_episode = 0;
		gw_log_event(c->log, GW_INFO, "notify", "notify.client_limit",
		    json_pack("{s:i, s:i, s:i}", "connected",
		    (int)lineserv_count(c->ls), "evicted", (int)c->evicted,
		    "refused", (int)c->refused),
		    "below the socket client limit again (%lu evicted, %lu refused)",
		    c->evicted, c->refused);
		c->evicted = c->refused = 0;
	}
}

static const struct lineserv_ops client_ops = {
	.on_line = client_line,
	.on_overlong = client_overlong,
	.on_batch = client_batch,
	.on_connect = client_connect,
	.on_full = client_full,
	.on_close = client_closed,
};

/* The socket: event lines and requests. Lines are cut at 64 KiB (and a
 * CR): a client sending without newlines gets rejected overlong lines,
 * never buffered without bound; what a client sent before it was evicted
 * or reset is kept. */
static int
open_socket(struct ctx *c, struct gw_err *err)
{
	struct lineserv_config lc = {
		.path = c->o.listen,
		.backlog = 128,
		.max_line = GW_EVENT_MAX_LINE + 1,
		.max_clients = (size_t)c->o.max_clients,
		.full = LINESERV_EVICT,
		.idle_s = c->o.client_timeout_s,
		.out_high = OUT_HIGH,
		.out_low = OUT_LOW,
		.deliver_at_error = 1,
	};

	c->ls = lineserv_new(c->base, &lc, &client_ops, c, err);
	return c->ls != NULL ? 0 : -1;
}

/* --send waiters and the standalone --send both learn of delivery here. */
static void
on_ack(void *arg, const uint64_t *seqs, size_t k, int delivered)
{
	struct ctx *c = arg;
	struct client *cl;
	size_t i;

	for (i = 0; i < k; i++) {
		LIST_FOREACH(cl, &c->clients, link) {
			if (cl->wait_seq != seqs[i])
				continue;
			evtimer_del(cl->wait_timer);
			reply(cl, !delivered ? json_pack("{s:b, s:b, s:s}", "ok", 1,
			    "delivered", 0, "status", "dead-lettered") : c->dry ?
			    json_pack("{s:b, s:b, s:s}", "ok", 1, "delivered", 0,
			    "status", "printed") : json_pack("{s:b, s:b}", "ok", 1,
			    "delivered", 1));
			client_wait_ended(cl);
		}
		if (c->my_seq != 0 && c->my_seq == seqs[i]) {
			c->exit_code = delivered ? 0 : EX_TEMPFAIL;
			if (!delivered)
				warnx("Discord refused the message; "
				    "see %s/dead-letter.jsonl", spool_in_use(c));
			event_base_loopexit(c->base, NULL);
		}
	}
	maybe_finish(c);
}

/* ---------- stdin ---------- */

static void
on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *c = arg;
	int n;

	(void)what;
	(void)fd;	/* -1 for stdin read like a file */
	n = evbuffer_read(c->stdin_in.buf, 0, 65536);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (c->stdin_regular)
			event_active(c->stdin_ev, EV_READ, 0);
		return;
	}
	if (n <= 0) {
		if (n < 0)
			gw_log_event(c->log, GW_ERROR, "notify", "notify.stdin_error", NULL,
			    "reading stdin failed: %s", strerror(errno));
		drain_lines(c, &c->stdin_in, 1);
		event_del(c->stdin_ev);
		c->stdin_eof = 1;
		if (c->o.once)	/* --timeout counts from the end of the input */
			arm_deadline(c, c->o.timeout_s);
		maybe_finish(c);
		return;
	}
	drain_lines(c, &c->stdin_in, 0);
	if (c->stdin_regular)	/* a file is always readable: next chunk later */
		event_active(c->stdin_ev, EV_READ, 0);
}

/* Pipes and sockets are watched by the event loop; anything else (a file,
 * /dev/null, another device epoll refuses) is read like a file: a chunk
 * per loop turn until end of file. */
static int
open_stdin(struct ctx *c)
{
	struct stat st;
	int fl;

	if (c->o.no_stdin || isatty(0) || fstat(0, &st) < 0)
		return 0;
	c->stdin_in.buf = evbuffer_new();
	snprintf(c->stdin_in.origin, sizeof(c->stdin_in.origin), "stdin");
	c->stdin_in.is_stdin = 1;
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		evutil_make_socket_nonblocking(0);
		c->stdin_ev = event_new(c->base, 0, EV_READ | EV_PERSIST, on_stdin, c);
		if (c->stdin_ev != NULL && event_add(c->stdin_ev, NULL) == 0)
			goto out;
		if (c->stdin_ev != NULL)	/* not pollable after all */
			event_free(c->stdin_ev);
		if ((fl = fcntl(0, F_GETFL)) >= 0)
			(void)fcntl(0, F_SETFL, fl & ~O_NONBLOCK);
	}
	c->stdin_regular = 1;
	c->stdin_ev = event_new(c->base, -1, 0, on_stdin, c);
	if (c->stdin_ev != NULL)
		event_active(c->stdin_ev, EV_READ, 0);
out:
	return c->stdin_ev != NULL && c->stdin_in.buf != NULL ? 0 : -1;
}

static void
close_inputs(struct ctx *c)
{
	if (c->ls != NULL) {	/* unlinks the socket, frees the clients */
		lineserv_free(c->ls);
		c->ls = NULL;
	}
	if (c->stdin_ev != NULL) {
		event_free(c->stdin_ev);
		c->stdin_ev = NULL;
	}
}

/* ---------- signals ---------- */

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ctx *c = arg;
	json_t *s;
	char *line;

	(void)what;
	switch (sig) {
	case SIGUSR1:
		s = notifier_stats_json(c->n);
		line = s ? json_dumps(s, JSON_COMPACT) : NULL;
		if (line != NULL)
			fprintf(stderr, "%s\n", line);
		fflush(stderr);
		free(line);
		json_decref(s);
		break;
	case SIGHUP:
		gw_log_event(c->log, GW_INFO, "notify", "notify.sighup", NULL,
		    "SIGHUP ignored (restart to change the configuration)");
		break;
	default:	/* TERM, INT */
		if (c->my_seq != 0) {	/* --send: stop now, the event stays spooled */
			c->exit_code = EX_TEMPFAIL;
			event_base_loopexit(c->base, NULL);
		} else {
			start_drain(c);
		}
		break;
	}
}

/* ---------- the transport glue ---------- */

/* The webhook's answer (body and error already redacted by http.c). A
 * 401/403/404 parks the webhook in the notifier; here it also answers the
 * send requests waiting for delivery, and ends a --send (refused_exit). */
static void
on_http_done(void *arg, const struct discord_response *r, const char *body,
    size_t len, const char *error)
{
	struct ctx *c = arg;
	enum discord_outcome o = r->status == 0 ? DISCORD_TRANSIENT :
	    discord_classify(r->status);
	struct client *cl;

	if (o == DISCORD_PARK) {
		c->refused_status = r->status;
		c->refused_msg[0] = '\0';
		if (body != NULL)
			discord_error_message(body, len, c->refused_msg,
			    sizeof(c->refused_msg));
	} else if (o == DISCORD_DELIVERED) {
		c->refused_status = 0;
	}
	notifier_response(c->n, r, body, len, error);
	if (c->refused_status != 0) {
		LIST_FOREACH(cl, &c->clients, link) {
			if (cl->wait_seq == 0)
				continue;
			evtimer_del(cl->wait_timer);
			reply(cl, parked_reply(c));
			client_wait_ended(cl);
		}
	}
	maybe_finish(c);
}

static int
transport_post(void *tctx, const char *body, size_t len, struct gw_err *err)
{
	struct ctx *c = tctx;

	return http_post(c->http, body, len, on_http_done, c, err);
}

/* Dry run (or no webhook): the "transport" prints the payload as one line
 * {"dry_run":true,"payload":{...}} on stdout and reports back from the
 * loop (never from inside post). */
static int
transport_print(void *tctx, const char *body, size_t len, struct gw_err *err)
{
	struct ctx *c = tctx;
	json_t *o = json_loadb(body, len, 0, NULL);
	json_t *line = json_pack("{s:b, s:o}", "dry_run", 1, "payload",
	    o ? o : json_null());
	char *s = line ? json_dumps(line, JSON_COMPACT) : NULL;

	(void)err;
	json_decref(line);
	c->print_status = s != NULL && printf("%s\n", s) > 0 && fflush(stdout) == 0 ?
	    200 : 0;
	free(s);
	event_active(c->printed, EV_TIMEOUT, 0);
	return 0;
}

static void
on_printed(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *c = arg;
	struct discord_response r;

	(void)fd;
	(void)what;
	memset(&r, 0, sizeof(r));
	r.status = c->print_status;
	notifier_response(c->n, &r, NULL, 0, r.status ? NULL :
	    "cannot print the payload");
	maybe_finish(c);
}

/* A dry run's spool: a fresh private directory, removed at exit, so that
 * printing never consumes the real spool. */
static void
dry_spool_remove(struct ctx *c)
{
	static const char *const files[] = { "spool.jsonl", "spool.jsonl.tmp",
	    "spool.lock", "dead-letter.jsonl" };
	char path[1100];
	size_t i;

	if (c->dry_dir[0] == '\0')
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", c->dry_dir, files[i]);
		(void)unlink(path);
	}
	(void)rmdir(c->dry_dir);
	c->dry_dir[0] = '\0';
}

/* ---------- client modes: --stats and --send through a running daemon ---------- */

/* The client modes ask the daemon through lib/dclient: one deadline for
 * connecting, the request and the reply (they block up to that long); a
 * reply is one JSON object on one line, at most this long. */
#define DAEMON_REPLY_MAX (1024 * 1024)
#define STATS_TIMEOUT_MS 5000

static int
run_stats(const struct opts *o)
{
	struct dclient_reply rep;
	struct gw_err e;
	json_t *s;
	char *out;

	if (dclient_ask(o->listen, "{\"cmd\":\"stats\"}", STATS_TIMEOUT_MS,
	    DAEMON_REPLY_MAX, &rep, &e) < 0 && rep.fail != DCLIENT_FAIL_JSON) {
		if (rep.fail == DCLIENT_FAIL_TIMEOUT)
			warnx("--stats: %s (%d ms)", e.msg,
			    STATS_TIMEOUT_MS);
		else
			warnx("--stats: %s", e.msg);
		return EX_UNAVAILABLE;
	}
	s = json_object_get(rep.obj, "stats");	/* obj NULL: not JSON */
	out = s ? json_dumps(s, JSON_COMPACT) : NULL;
	dclient_reply_clear(&rep);
	if (out == NULL) {
		warnx("--stats: unexpected reply");
		return EX_UNAVAILABLE;
	}
	printf("%s\n", out);
	free(out);
	return 0;
}

/* The --send event (validated like any input line). */
static int
build_send_event(const struct opts *o, struct gw_event *ev)
{
	struct gw_err e;
	enum gw_level lvl;
	char q[GW_QUOTE_MAX];

	if (gw_level_parse(o->send_level, &lvl) < 0)
		errx(EX_USAGE, "--send: level '%s' is not one of debug, info, "
		    "warning, error, critical", quoted(q, sizeof(q), o->send_level));
	if (gw_event_init(ev, lvl, o->source, o->component, o->event_name,
	    o->send_message, NULL, &e) < 0)
		errx(EX_USAGE, "--send: %s", e.msg);
	return 0;
}

/* Returns an exit code, or -1 when the daemon did not take the event (then
 * --send spools and delivers it itself): no daemon (why empty), or one that
 * dropped the connection, did not answer or refused (why says so). */
static int
send_via_daemon(const struct opts *o, const struct gw_event *ev, char *why,
    size_t whysz)
{
	char *line = gw_event_encode(ev), *req;
	struct dclient_reply rep;
	struct gw_err e;
	const char *st;
	json_t *j;
	int code, r;
	long ms = (long)(o->timeout_s * 1000);

	why[0] = '\0';
	if (line == NULL || asprintf(&req, "{\"cmd\":\"send\",\"wait_ms\":%ld,\"event\":%s}",
	    ms, line) < 0) {
		free(line);
		return EX_SOFTWARE;
	}
	free(line);
	if (access(o->listen, F_OK) != 0) {
		free(req);
		return -1;
	}
	r = dclient_ask(o->listen, req, ms + 2000, DAEMON_REPLY_MAX, &rep, &e);
	free(req);
	if (r < 0 && rep.fail != DCLIENT_FAIL_JSON) {
		/* no connection: no daemon took it, deliver ourselves (why
		 * stays empty) */
		if (rep.fail == DCLIENT_FAIL_TIMEOUT)
			snprintf(why, whysz, "%s (%ld ms)", e.msg, ms + 2000);
		else if (rep.fail != DCLIENT_FAIL_CONNECT)
			snprintf(why, whysz, "%s", e.msg);
		dclient_reply_clear(&rep);
		return -1;
	}
	j = rep.obj;	/* NULL for a reply that is not JSON: not accepted */
	if (!json_is_true(json_object_get(j, "ok"))) {
		const char *m = json_string_value(json_object_get(j, "error"));

		snprintf(why, whysz, "the daemon did not accept it: %s", m ? m : "no reason given");
		dclient_reply_clear(&rep);
		return -1;
	}
	code = json_is_true(json_object_get(j, "delivered")) ? 0 : EX_TEMPFAIL;
	st = json_string_value(json_object_get(j, "status"));
	if (st != NULL && strcmp(st, "parked") == 0) {
		const char *m = json_string_value(json_object_get(j, "discord"));

		code = EXIT_REFUSED;
		warnx("--send: the webhook refused the daemon with "
		    "HTTP %d%s%s (token invalid or webhook deleted); the daemon keeps "
		    "the event spooled and tries again every --park-retry",
		    (int)json_integer_value(json_object_get(j, "http_status")),
		    m && *m ? " " : "", m ? m : "");
	} else if (code != 0) {
		warnx("--send: not delivered within %g s; the daemon "
		    "keeps it spooled", o->timeout_s);
	}
	dclient_reply_clear(&rep);
	return code;
}

/* ---------- main ---------- */

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct notifier_config nc;
	struct notifier_transport tr;
	struct gw_event send_ev;
	struct ctx c;
	struct gw_err e;
	char rd[1024];
	size_t skipped, i;
	int r, fd;
	char why[GW_WHY_MAX] = "";

	/* fds 0-2 must be open: a closed one would be taken by the first
	 * descriptor we open (the event loop's, the spool's) and read from or
	 * written to as stdin, stdout or stderr */
	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ?
		    O_RDONLY : O_WRONLY) != fd)
			return EX_SOFTWARE;

	/* before anything can write to a socket (--send, --stats) */
	signal(SIGPIPE, SIG_IGN);

	/* options and configuration */
	memset(&c, 0, sizeof(c));
	memset(&send_ev, 0, sizeof(send_ev));
	parse_options(argc, argv, &c.o);
	if (c.o.stats)
		return run_stats(&c.o);
	if (c.o.send_level != NULL)
		build_send_event(&c.o, &send_ev);
	r = load_webhook(&c.o, &c.wh, &e);
	if (r < 0)
		errx(EX_CONFIG, "%s", e.msg);
	c.have_webhook = r == 1 && !c.o.dry_run;
	c.dry = !c.have_webhook;
	if (c.have_webhook)
		snprintf(c.url_shown, sizeof(c.url_shown), "%s", c.wh.redacted);
	if (c.o.text || c.o.have_default_level) {	/* text events will build */
		struct gw_event t;

		if (gw_event_init(&t, c.o.default_level, c.o.have_source ?
		    c.o.source : "text", c.o.have_component ? c.o.component :
		    "stdin", c.o.event_name, "", NULL, &e) < 0)
			errx(EX_USAGE, "text messages: %s", e.msg);
		gw_event_clear(&t);
	}
	if (c.o.dry_run && !c.o.have_listen)
		c.o.no_listen = 1;	/* a dry run listens only when asked to */
	if (c.o.text && !c.o.have_listen)	/* a pipeline: some-script | ... */
		c.o.no_listen = c.o.once = 1;
	if (c.o.check_only) {
		printf("configuration OK\n");
		return 0;
	}
	if (c.o.send_level != NULL) {
		int code = c.o.dry_run ? -1 : send_via_daemon(&c.o, &send_ev, why,
		    sizeof(why));

		if (code >= 0) {
			gw_event_clear(&send_ev);
			return code;
		}
		if (c.dry && !c.o.dry_run)
			errx(EX_CONFIG, "--send: no webhook configured (DISCORD_WEBHOOK_URL, "
			    "DISCORD_WEBHOOK_URL_FILE or --webhook-file)%s%s; the event was "
			    "not sent", why[0] ? " and the daemon did not take it: " :
			    " and no daemon answers", why);
		c.o.no_listen = c.o.no_stdin = 1;	/* standalone: just this event */
		c.o.log_level = c.o.log_level < GW_WARNING ? GW_WARNING : c.o.log_level;
	}

	/* context: log, event loop, signals */
	c.exit_code = EX_SOFTWARE;
	LIST_INIT(&c.clients);
	if ((c.log = gw_log_new(PROG, stdout, c.o.log_level)) != NULL)
		gw_log_set_format(c.log, c.o.log_format, STDOUT_FILENO);
	if (c.log == NULL ||
	    (c.base = event_base_new()) == NULL ||
	    (c.deadline = evtimer_new(c.base, on_deadline, &c)) == NULL ||
	    (c.printed = evtimer_new(c.base, on_printed, &c)) == NULL)
		errx(EX_SOFTWARE, "cannot set up the event loop");
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		c.sig[i] = evsignal_new(c.base, sigs[i], on_signal, &c);
		if (c.sig[i] == NULL || evsignal_add(c.sig[i], NULL) < 0)
			errx(EX_SOFTWARE, "cannot handle signal %d", sigs[i]);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		errx(EX_SOFTWARE, "cannot initialise libcurl");

	/* modules: runtime dir, spool, transport, notifier, inputs */
	/* the runtime directory, when the spool or the socket is in it (a dry
	 * run's spool never is) */
	if (rundir_path(rd, sizeof(rd), &e) == 0 &&
	    ((!c.dry && in_dir(c.o.spool, rd)) ||
	    (!c.o.no_listen && in_dir(c.o.listen, rd))) &&
	    rundir_ensure(rd, sizeof(rd), &e) < 0)
		errx(EX_CANTCREAT, "%s", e.msg);
	if (c.dry) {	/* printing is not delivery: leave the real spool alone */
		const char *tmp = getenv("TMPDIR");

		if (tmp == NULL || *tmp != '/' || strlen(tmp) > 900)
			tmp = "/tmp";
		snprintf(c.dry_dir, sizeof(c.dry_dir), "%s/discord-notify-dry-XXXXXX", tmp);
		if (mkdtemp(c.dry_dir) == NULL)
			errx(EX_CANTCREAT, "cannot create a dry-run spool in %s: %s", tmp,
			    strerror(errno));
	}
	c.spool = spool_open(c.dry ? c.dry_dir : c.o.spool, &skipped, &e);
	if (c.spool == NULL) {
		int busy = errno == EWOULDBLOCK;

		dry_spool_remove(&c);
		if (busy && c.o.send_level != NULL && why[0] != '\0')
			errx(EX_UNAVAILABLE, "--send: the daemon on %s did not take the "
			    "event (%s) and holds the spool; the event was NOT spooled",
			    c.o.listen, why);
		if (busy && c.o.send_level != NULL)
			errx(EX_UNAVAILABLE, "--send: %s (not answering on %s); the event "
			    "was NOT spooled", e.msg, c.o.listen);
		errx(EX_CANTCREAT, "%s", e.msg);
	}
	if (skipped > 0)
		gw_log_event(c.log, GW_ERROR, "notify", "notify.spool_damaged",
		    json_pack("{s:i}", "lines", (int)skipped),
		    "%zu damaged line%s in the spool (unreadable, or a seq out of "
		    "order or range) went to its dead-letter file, never delivered",
		    skipped, skipped == 1 ? "" : "s");
	if (c.have_webhook) {
		c.http = http_new(c.base, &c.wh, c.o.allow_insecure, REQUEST_TIMEOUT_MS, &e);
		if (c.http == NULL)
			errx(EX_SOFTWARE, "%s", e.msg);
	} else if (!c.o.dry_run) {
		gw_log_event(c.log, GW_WARNING, "notify", "notify.no_webhook", NULL,
		    "no webhook configured (DISCORD_WEBHOOK_URL, DISCORD_WEBHOOK_URL_FILE "
		    "or --webhook-file): printing the payloads instead of sending; "
		    "the spool %s is left for a run with a webhook", c.o.spool);
	}
	memset(&nc, 0, sizeof(nc));
	nc.redacted_url = c.have_webhook ? c.url_shown : NULL;
	nc.mention = c.o.mention;
	nc.window_s = c.o.window_s;
	nc.max_age_s = c.o.max_age_s;
	nc.park_retry_s = c.o.park_retry_s;
	nc.backoff_initial_s = 1;
	nc.backoff_cap_s = 300;
	tr.post = c.dry ? transport_print : transport_post;
	tr.tctx = &c;
	c.n = notifier_new(c.base, c.spool, c.log, &nc, &tr, &e);
	if (c.n == NULL)
		errx(EX_SOFTWARE, "%s", e.msg);
	notifier_on_ack(c.n, on_ack, &c);
	if (!c.o.no_listen) {
		if (open_socket(&c, &e) < 0)
			errx(EX_CANTCREAT, "--listen: %s", e.msg);
	}
	if (open_stdin(&c) < 0)
		errx(EX_SOFTWARE, "cannot read stdin");
	gw_log_event(c.log, GW_INFO, "notify", "notify.started",
	    json_pack("{s:s, s:s?, s:s, s:b, s:b}", "webhook", c.have_webhook ?
	    c.url_shown : "none (printing payloads)", "socket",
	    c.o.no_listen ? NULL : c.o.listen, "spool", spool_in_use(&c),
	    "stdin", c.stdin_ev != NULL, "dry_run", c.dry),
	    "delivering to %s; spool %s", c.have_webhook ? c.url_shown :
	    c.o.dry_run ? "stdout (dry run)" : "stdout (no webhook)",
	    spool_in_use(&c));
	if (c.o.send_level != NULL) {
		if (why[0] != '\0')
			gw_log_event(c.log, GW_WARNING, "notify", "notify.send_fallback",
			    NULL, "--send: the daemon did not take the event (%s); "
			    "delivering it from here", why);
		if (notifier_submit_event(c.n, &send_ev, &c.my_seq) < 0 ||
		    notifier_commit(c.n) < 0) {
			c.my_seq = 0;
			c.exit_code = EX_CANTCREAT;
			warnx("--send: the event could not be spooled");
			goto out;
		}
		arm_deadline(&c, c.o.timeout_s);
	} else if (c.o.once || (c.dry && c.o.no_listen)) {
		/* a dry run with no socket is done when its stdin is */
		c.finish_at_eof = !c.o.once;
		if (c.stdin_ev == NULL)
			c.stdin_eof = 1;
		if (c.o.once && c.stdin_eof)	/* else from the end of stdin */
			arm_deadline(&c, c.o.timeout_s);
	}
	notifier_commit(c.n);	/* also starts what the spool held */
	maybe_finish(&c);

	/* dispatch */
	event_base_dispatch(c.base);
out:

	/* free in reverse */
	gw_log_event(c.log, GW_INFO, "notify", "notify.stopped",
	    json_pack("{s:i}", "spooled", (int)notifier_pending(c.n)),
	    "stopped; %zu event%s left in the spool", notifier_pending(c.n),
	    notifier_pending(c.n) == 1 ? "" : "s");
	close_inputs(&c);
	notifier_free(c.n);
	http_free(c.http);
	spool_close(c.spool);
	dry_spool_remove(&c);
	curl_global_cleanup();
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(c.sig[i]);
	event_free(c.deadline);
	event_free(c.printed);
	event_base_free(c.base);
	if (c.stdin_in.buf != NULL)
		evbuffer_free(c.stdin_in.buf);
	gw_log_free(c.log);
	gw_event_clear(&send_ev);
	memset(&c.wh, 0, sizeof(c.wh));
	return c.exit_code;
}
