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
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "cfg.h"
#include "client.h"
#include "discord.h"
#include "event.h"
#include "http.h"
#include "inputs.h"
#include "log.h"
#include "opt.h"
#include "notifier.h"
#include "rundir.h"
#include "spool.h"
#include "usock.h"

#define PROG "discord-notify"
#define VERSION "gwkit 0.1.0"
/* Exit codes: the list in usage() and docs/discord-notify.md "EXIT STATUS";
 * EXIT_REFUSED (77, --send/--once: the webhook refused us) is client.h's. */
#define MAX_CLIENTS 256		/* default --max-clients */
#define CLIENT_TIMEOUT_S 60	/* default --client-timeout */
#define REQUEST_TIMEOUT_MS 15000

struct opts {
	int stop;		/* -h or -V (opt_stop) */
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

/* The signals the daemon handles (on_signal). */
static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
#define N_SIGS (sizeof(sigs) / sizeof(sigs[0]))

struct ctx {
	struct opts o;
	struct gw_event send_ev;	/* --send's event */
	char send_why[GW_WHY_MAX];	/* --send: why the daemon did not take it */
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
	struct inputs *in;	/* stdin and the socket */
	int stdin_eof;		/* stdin ended, or is not read */
	struct event *sig[N_SIGS];
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

/* --help or --version (opt_stop): print it, exit 0. */
static _Noreturn void
stop_option(int letter)
{
	if (letter == 'h')
		usage(stdout);
	else
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
	{ "--help", 'h', NOARG, opt_stop, FIELD(stop), 0, 0 },
	{ "--version", 'V', NOARG, opt_stop, FIELD(stop), 0, 0 },
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
	switch (opt_parse(argc, argv, &optset, o, &e)) {
	case OPT_STOP:
		stop_option(o->stop);
	case 0:
		break;
	default:
		errx(EX_USAGE, "%s", e.msg);
	}
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

static void
start_drain(struct ctx *c)
{
	if (c->draining)
		return;
	c->draining = 1;
	inputs_close(c->in);
	gw_log_event(c->log, GW_INFO, "notify", "notify.draining",
	    json_pack("{s:i, s:f}", "queued", (int)notifier_pending(c->n),
	    "timeout_s", c->o.drain_s),
	    "stopping: no new input; delivering for up to %g s, the rest stays spooled",
	    c->o.drain_s);
	arm_deadline(c, c->o.drain_s);
	maybe_finish(c);
}

/* ---------- the inputs' owner side (inputs.h) ---------- */

/* A rejected line (logged by the notifier) is said on stderr too, for
 * whoever feeds us. */
static void
on_reject(void *arg, const char *origin, unsigned long lineno,
    const char *reason)
{
	(void)arg;
	warnx("rejected line %lu from %s: %s", lineno, origin, reason);
	fflush(stderr);
}

static void
on_stdin_end(void *arg)
{
	struct ctx *c = arg;

	c->stdin_eof = 1;
	if (c->o.once)	/* --timeout counts from the end of the input */
		arm_deadline(c, c->o.timeout_s);
	maybe_finish(c);
}

static const struct inputs_ops input_ops = {
	.on_reject = on_reject,
	.on_stdin_end = on_stdin_end,
};

/* --send waiters (inputs) and the standalone --send both learn of
 * delivery here. */
static void
on_ack(void *arg, const uint64_t *seqs, size_t k, int delivered)
{
	struct ctx *c = arg;
	size_t i;

	inputs_ack(c->in, seqs, k, delivered);
	for (i = 0; i < k; i++) {
		if (c->my_seq == 0 || c->my_seq != seqs[i])
			continue;
		c->exit_code = delivered ? 0 : EX_TEMPFAIL;
		if (!delivered)
			warnx("Discord refused the message; "
			    "see %s/dead-letter.jsonl", spool_in_use(c));
		event_base_loopexit(c->base, NULL);
	}
	maybe_finish(c);
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
 * 401/403/404 parks the webhook in the notifier; the inputs then answer
 * the send requests waiting for delivery, and a --send ends
 * (refused_exit). */
static void
on_http_done(void *arg, const struct discord_response *r, const char *body,
    size_t len, const char *error)
{
	struct ctx *c = arg;
	enum discord_outcome o = r->status == 0 ? DISCORD_TRANSIENT :
	    discord_classify(r->status);

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
	inputs_webhook(c->in, c->refused_status, c->refused_msg);
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

/* ---------- the phases of main ---------- */

/* fds 0-2 must be open: a closed one would be taken by the first
 * descriptor we open (the event loop's, the spool's) and read from or
 * written to as stdin, stdout or stderr. */
static int
std_fds_open(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ?
		    O_RDONLY : O_WRONLY) != fd)
			return -1;
	return 0;
}

/* Configuration: --send's event, the webhook, text events, and what the
 * mode implies for the inputs. Dies on a usage (64) or configuration (78)
 * error. */
static void
configure(struct ctx *c)
{
	struct gw_err e;
	int r;

	if (c->o.send_level != NULL && client_send_event(c->o.send_level,
	    c->o.source, c->o.component, c->o.event_name, c->o.send_message,
	    &c->send_ev, &e) < 0)
		errx(EX_USAGE, "--send: %s", e.msg);
	r = load_webhook(&c->o, &c->wh, &e);
	if (r < 0)
		errx(EX_CONFIG, "%s", e.msg);
	c->have_webhook = r == 1 && !c->o.dry_run;
	c->dry = !c->have_webhook;
	if (c->have_webhook)
		snprintf(c->url_shown, sizeof(c->url_shown), "%s", c->wh.redacted);
	if (c->o.text || c->o.have_default_level) {	/* text events will build */
		struct gw_event t;

		if (gw_event_init(&t, c->o.default_level, c->o.have_source ?
		    c->o.source : "text", c->o.have_component ? c->o.component :
		    "stdin", c->o.event_name, "", NULL, &e) < 0)
			errx(EX_USAGE, "text messages: %s", e.msg);
		gw_event_clear(&t);
	}
	if (c->o.dry_run && !c->o.have_listen)
		c->o.no_listen = 1;	/* a dry run listens only when asked to */
	if (c->o.text && !c->o.have_listen)	/* a pipeline: some-script | ... */
		c->o.no_listen = c->o.once = 1;
}

/* --send: a running daemon takes the event first (client_send). Returns
 * the exit code when it did, or -1: this process delivers the event
 * alone (no socket, no stdin). Dies (78) when it cannot: no webhook. */
static int
send_via_daemon(struct ctx *c)
{
	int code = c->o.dry_run ? -1 : client_send(c->o.listen, &c->send_ev,
	    c->o.timeout_s, c->send_why, sizeof(c->send_why), warnx);

	if (code >= 0)
		return code;
	if (c->dry && !c->o.dry_run)
		errx(EX_CONFIG, "--send: no webhook configured (DISCORD_WEBHOOK_URL, "
		    "DISCORD_WEBHOOK_URL_FILE or --webhook-file)%s%s; the event was "
		    "not sent", c->send_why[0] ? " and the daemon did not take it: " :
		    " and no daemon answers", c->send_why);
	c->o.no_listen = c->o.no_stdin = 1;	/* standalone: just this event */
	c->o.log_level = c->o.log_level < GW_WARNING ? GW_WARNING : c->o.log_level;
	return -1;
}

/* Context: the log, the event base and its timers, the signals, libcurl. */
static void
open_context(struct ctx *c)
{
	size_t i;

	c->exit_code = EX_SOFTWARE;
	if ((c->log = gw_log_new(PROG, stdout, c->o.log_level)) != NULL)
		gw_log_set_format(c->log, c->o.log_format, STDOUT_FILENO);
	if (c->log == NULL ||
	    (c->base = event_base_new()) == NULL ||
	    (c->deadline = evtimer_new(c->base, on_deadline, c)) == NULL ||
	    (c->printed = evtimer_new(c->base, on_printed, c)) == NULL)
		errx(EX_SOFTWARE, "cannot set up the event loop");
	for (i = 0; i < N_SIGS; i++) {
		c->sig[i] = evsignal_new(c->base, sigs[i], on_signal, c);
		if (c->sig[i] == NULL || evsignal_add(c->sig[i], NULL) < 0)
			errx(EX_SOFTWARE, "cannot handle signal %d", sigs[i]);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		errx(EX_SOFTWARE, "cannot initialise libcurl");
}

/* The spool: --spool's, or a dry run's fresh private directory (printing
 * is not delivery: the real spool is left alone). */
static void
open_spool(struct ctx *c)
{
	struct gw_err e;
	size_t skipped;
	char rd[1024];

	/* the runtime directory, when the spool or the socket is in it (a dry
	 * run's spool never is) */
	if (rundir_path(rd, sizeof(rd), &e) == 0 &&
	    ((!c->dry && in_dir(c->o.spool, rd)) ||
	    (!c->o.no_listen && in_dir(c->o.listen, rd))) &&
	    rundir_ensure(rd, sizeof(rd), &e) < 0)
		errx(EX_CANTCREAT, "%s", e.msg);
	if (c->dry) {
		const char *tmp = getenv("TMPDIR");

		if (tmp == NULL || *tmp != '/' || strlen(tmp) > 900)
			tmp = "/tmp";
		snprintf(c->dry_dir, sizeof(c->dry_dir), "%s/discord-notify-dry-XXXXXX", tmp);
		if (mkdtemp(c->dry_dir) == NULL)
			errx(EX_CANTCREAT, "cannot create a dry-run spool in %s: %s", tmp,
			    strerror(errno));
	}
	c->spool = spool_open(c->dry ? c->dry_dir : c->o.spool, &skipped, &e);
	if (c->spool == NULL) {
		int busy = errno == EWOULDBLOCK;

		dry_spool_remove(c);
		if (busy && c->o.send_level != NULL && c->send_why[0] != '\0')
			errx(EX_UNAVAILABLE, "--send: the daemon on %s did not take the "
			    "event (%s) and holds the spool; the event was NOT spooled",
			    c->o.listen, c->send_why);
		if (busy && c->o.send_level != NULL)
			errx(EX_UNAVAILABLE, "--send: %s (not answering on %s); the event "
			    "was NOT spooled", e.msg, c->o.listen);
		errx(EX_CANTCREAT, "%s", e.msg);
	}
	if (skipped > 0)
		gw_log_event(c->log, GW_ERROR, "notify", "notify.spool_damaged",
		    json_pack("{s:i}", "lines", (int)skipped),
		    "%zu damaged line%s in the spool (unreadable, or a seq out of "
		    "order or range) went to its dead-letter file, never delivered",
		    skipped, skipped == 1 ? "" : "s");
}

/* Modules: the spool, the transport (libcurl, or printing), the notifier,
 * the inputs (socket and stdin). */
static void
open_modules(struct ctx *c)
{
	struct notifier_config nc;
	struct notifier_transport tr;
	struct inputs_config ic;
	struct gw_err e;

	open_spool(c);
	if (c->have_webhook) {
		c->http = http_new(c->base, &c->wh, c->o.allow_insecure,
		    REQUEST_TIMEOUT_MS, &e);
		if (c->http == NULL)
			errx(EX_SOFTWARE, "%s", e.msg);
	} else if (!c->o.dry_run) {
		gw_log_event(c->log, GW_WARNING, "notify", "notify.no_webhook", NULL,
		    "no webhook configured (DISCORD_WEBHOOK_URL, DISCORD_WEBHOOK_URL_FILE "
		    "or --webhook-file): printing the payloads instead of sending; "
		    "the spool %s is left for a run with a webhook", c->o.spool);
	}
	memset(&nc, 0, sizeof(nc));
	nc.redacted_url = c->have_webhook ? c->url_shown : NULL;
	nc.mention = c->o.mention;
	nc.window_s = c->o.window_s;
	nc.max_age_s = c->o.max_age_s;
	nc.park_retry_s = c->o.park_retry_s;
	nc.backoff_initial_s = 1;
	nc.backoff_cap_s = 300;
	tr.post = c->dry ? transport_print : transport_post;
	tr.tctx = c;
	c->n = notifier_new(c->base, c->spool, c->log, &nc, &tr, &e);
	if (c->n == NULL)
		errx(EX_SOFTWARE, "%s", e.msg);
	notifier_on_ack(c->n, on_ack, c);

	memset(&ic, 0, sizeof(ic));
	ic.text = c->o.text;
	ic.have_default_level = c->o.have_default_level;
	ic.default_level = c->o.default_level;
	ic.source = c->o.have_source ? c->o.source : NULL;
	ic.component = c->o.have_component ? c->o.component : NULL;
	ic.event_name = c->o.event_name;
	ic.listen = c->o.listen;
	ic.max_clients = (size_t)c->o.max_clients;
	ic.client_timeout_s = c->o.client_timeout_s;
	ic.dry = c->dry;
	if ((c->in = inputs_new(c->base, c->n, c->log, &ic, &input_ops, c,
	    &e)) == NULL)
		errx(EX_SOFTWARE, "%s", e.msg);
	if (!c->o.no_listen && inputs_listen(c->in, &e) < 0)
		errx(EX_CANTCREAT, "--listen: %s", e.msg);
	if (!c->o.no_stdin && inputs_read_stdin(c->in) < 0)
		errx(EX_SOFTWARE, "cannot read stdin");
	gw_log_event(c->log, GW_INFO, "notify", "notify.started",
	    json_pack("{s:s, s:s?, s:s, s:b, s:b}", "webhook", c->have_webhook ?
	    c->url_shown : "none (printing payloads)", "socket",
	    c->o.no_listen ? NULL : c->o.listen, "spool", spool_in_use(c),
	    "stdin", inputs_reading_stdin(c->in), "dry_run", c->dry),
	    "delivering to %s; spool %s", c->have_webhook ? c->url_shown :
	    c->o.dry_run ? "stdout (dry run)" : "stdout (no webhook)",
	    spool_in_use(c));
}

/* What ends the run: the standalone --send's event and its deadline, or
 * the end of stdin (--once, a dry run without a socket). Then the spool's
 * records start. -1: --send's event could not be spooled (exit 73, no
 * dispatch). */
static int
start(struct ctx *c)
{
	if (c->o.send_level != NULL) {
		if (c->send_why[0] != '\0')
			gw_log_event(c->log, GW_WARNING, "notify", "notify.send_fallback",
			    NULL, "--send: the daemon did not take the event (%s); "
			    "delivering it from here", c->send_why);
		if (notifier_submit_event(c->n, &c->send_ev, &c->my_seq) < 0 ||
		    notifier_commit(c->n) < 0) {
			c->my_seq = 0;
			c->exit_code = EX_CANTCREAT;
			warnx("--send: the event could not be spooled");
			return -1;
		}
		arm_deadline(c, c->o.timeout_s);
	} else if (c->o.once || (c->dry && c->o.no_listen)) {
		/* a dry run with no socket is done when its stdin is */
		c->finish_at_eof = !c->o.once;
		if (!inputs_reading_stdin(c->in))
			c->stdin_eof = 1;
		if (c->o.once && c->stdin_eof)	/* else from the end of stdin */
			arm_deadline(c, c->o.timeout_s);
	}
	notifier_commit(c->n);	/* also starts what the spool held */
	maybe_finish(c);
	return 0;
}

/* Free in reverse. The inputs close first (no new input), and are freed
 * once nothing can call back into them. */
static void
teardown(struct ctx *c)
{
	size_t i;

	gw_log_event(c->log, GW_INFO, "notify", "notify.stopped",
	    json_pack("{s:i}", "spooled", (int)notifier_pending(c->n)),
	    "stopped; %zu event%s left in the spool", notifier_pending(c->n),
	    notifier_pending(c->n) == 1 ? "" : "s");
	inputs_close(c->in);
	notifier_free(c->n);
	http_free(c->http);
	inputs_free(c->in);
	spool_close(c->spool);
	dry_spool_remove(c);
	curl_global_cleanup();
	for (i = 0; i < N_SIGS; i++)
		event_free(c->sig[i]);
	event_free(c->deadline);
	event_free(c->printed);
	event_base_free(c->base);
	gw_log_free(c->log);
	gw_event_clear(&c->send_ev);
	memset(&c->wh, 0, sizeof(c->wh));
}

/* ---------- main ---------- */

int
main(int argc, char **argv)
{
	struct ctx c;
	int code;

	if (std_fds_open() < 0)
		return EX_SOFTWARE;
	signal(SIGPIPE, SIG_IGN);	/* before anything writes to a socket */
	memset(&c, 0, sizeof(c));

	/* options; the client mode --stats */
	parse_options(argc, argv, &c.o);
	if (c.o.stats)
		return client_stats(c.o.listen, stdout, warnx);

	/* configuration (-n stops here); --send tries a running daemon */
	configure(&c);
	if (c.o.check_only) {
		printf("configuration OK\n");
		return 0;
	}
	if (c.o.send_level != NULL && (code = send_via_daemon(&c)) >= 0) {
		gw_event_clear(&c.send_ev);
		return code;
	}

	/* context, event base, signals; modules */
	open_context(&c);
	open_modules(&c);

	/* dispatch */
	if (start(&c) == 0)
		event_base_dispatch(c.base);

	/* free in reverse */
	teardown(&c);
	return c.exit_code;
}
