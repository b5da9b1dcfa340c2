/*
 * bot-core: the trading bot's core (docs/bot-core.md). It holds the API
 * session with the gateway, decides at every moment whether trading is
 * allowed, loads the day's gameplan, feeds market data to a strategy
 * process and gates every order intent that comes back. In dry run (the
 * default) no order leaves; with DRY_RUN=false accepted intents become
 * orders on the account the trading mode allows (docs/orders.md).
 *
 *   bot-core [options]            run
 *   bot-core -n                   check env, flags and the gameplan
 *   bot-core ctl VERB             ask a running bot-core (status, halt,
 *                                 resume, reload, flatten)
 *
 * Settings come from the environment, flags override. The environment,
 * the flags and the gameplan are untrusted input.
 */
#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <jansson.h>

#include "bot.h"
#include "botctl.h"
#include "cfg.h"
#include "dclient.h"
#include "evsend.h"
#include "gameplan.h"
#include "gate.h"
#include "gwretry.h"
#include "orderman.h"
#include "tradmode.h"
#include "log.h"
#include "loopctx.h"
#include "opt.h"
#include "rundir.h"
#include "sched.h"
#include "usock.h"

#define PROG "bot-core"
#define VERSION "gwkit 0.1.0"
#define EXIT_GATEWAY 1		/* the gateway never came: the supervisor's
				 * policy applies */
#define EXIT_CTL_REFUSED 1	/* ctl: the reply said "ok": false */
#define CTL_TIMEOUT 5.0
#define CTL_REPLY_MAX (1024 * 1024)
#define FLUSH_MS 2000		/* at exit, alerts get this long */

struct opts {
	int stop;		/* -h or -V (opt_stop) */
	struct bot_config bot;
	const char *host_arg;
	long port_arg, client_id_arg;
	const char *gameplan_arg;
	const char *restart_file_arg;
	char sock[USOCK_PATH_MAX + 1];
	char notify[USOCK_PATH_MAX + 1];
	int no_control, no_notify, check_only;
	const char *log_level_arg, *log_format_arg, *notify_level_arg;
	enum gw_level log_level, notify_level;
	enum gw_log_format log_format;
	/* ctl */
	int ctl;
	const char *ctl_verb;
	double ctl_timeout;
};

struct ctx {
	struct opts o;
	struct event_base *base;
	struct evdns_base *dns;
	struct gw_log *log;
	struct evsend *evs;
	struct bot *bot;
	struct botctl *ctl;
	struct loopctx *lc;	/* the loop, resolver, log and signals */
	int exit_code;
	int exiting;
};

static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
#define N_SIGS (sizeof(sigs) / sizeof(sigs[0]))

/* ---------- options ---------- */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [options]\n"
"       " PROG " -n [options]\n"
"       " PROG " ctl [--control PATH] [--timeout S] status|halt|resume|reload|flatten\n"
"\n"
"The trading bot's core: gateway session, safety gate, gameplan, risk\n"
"limits, strategy pipe. Dry run only in this version.\n"
"\n"
"options (each overrides its environment variable):\n"
"  --host HOST[:PORT]     gateway (GATEWAY_HOST, 127.0.0.1)\n"
"  --port PORT            gateway port (GATEWAY_PORT, 4002)\n"
"  --client-id N          API client id (CLIENT_ID, 1)\n"
"  --gameplan PATH        the day's plan (GAMEPLAN_PATH, /data/gameplan.json)\n"
"  --strategy CMD         strategy process, run with sh -c (STRATEGY_CMD)\n"
"  --restart-file PATH    stack-init's restart file for the gateway\n"
"                         (GWKIT_RESTART_FILE)\n"
"  --control PATH         control socket (RUNTIME/bot.sock)\n"
"  --no-control           no control socket\n"
"  --notify PATH          discord-notify's socket (RUNTIME/notify.sock)\n"
"  --notify-level LEVEL   alerts at or above LEVEL go there (warning)\n"
"  --no-notify            send no alerts\n"
"  --log-level LEVEL      debug, info, warning, error, critical (LOG_LEVEL)\n"
"  --log-format FMT       json, text, auto (LOG_FORMAT)\n"
"  -n                     check the environment, flags and gameplan; print\n"
"                         \"configuration OK\"\n"
"  -h, --help             this text\n"
"  -V, --version          the version\n"
"\n"
"environment: GATEWAY_HOST GATEWAY_PORT GATEWAY_STARTUP_TIMEOUT (300)\n"
"  GATEWAY_MAX_RETRIES (30) GATEWAY_RETRY_INTERVAL (5) GATEWAY_RETRY_CAP (30)\n"
"  GATEWAY_FAST_POLL (0.1, 0 off) CLIENT_ID (1) GWKIT_RESTART_FILE\n"
"  GAMEPLAN_PATH DRY_RUN (true) TRADING_MODE (paper) STRATEGY_CMD\n"
"  HEARTBEAT_INTERVAL (10) HEARTBEAT_TIMEOUT (5) MARKET_DATA_TYPE (3)\n"
"  STARTING_CAPITAL RESTART_WINDOW (16:29-16:36, New York)\n"
"  RESUME_AFTER_RECONNECT (true) RECONNECT_MAX (10) RECONNECT_WINDOW (300)\n"
"  LIVE_TRADING_CONFIRM ORDER_JOURNAL (" BOT_JOURNAL_DEFAULT ")\n"
"  ORDER_ACK_TIMEOUT (5) ORDER_RECONCILE_TIMEOUT (30) ADOPT_POSITIONS (false)\n"
"  MAX_ORDERS_PER_SECOND (5) CLOSE_OUT_TIME (15:59, New York; off)\n"
"  LOG_LEVEL LOG_FORMAT GWKIT_RUNTIME_DIR\n"
"\n"
"exit: 0 stopped by a signal, 1 the gateway never became ready, 64 usage,\n"
"      70 internal error, 73 a socket cannot be created, 78 configuration\n"
"      (a bad environment value, an inconsistent trading mode, a bad\n"
"      gameplan with -n, an order journal that cannot be opened)\n");
}

static void
ctl_usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " ctl [--control PATH] [--timeout S] VERB\n"
"\n"
"Ask the running bot-core one question on its control socket and print\n"
"its reply (one JSON object) on stdout.\n"
"  status   the gateway, the gate, the strategy, positions and P&L\n"
"  halt     the kill switch: gate closed, Strategy C until resume\n"
"  resume   release a halt (and accept a reconciliation problem)\n"
"  reload   re-read and re-validate the gameplan\n"
"  flatten  halt, cancel every open order, close every position with\n"
"           market orders (orders on only)\n"
"\n"
"  --control PATH   the socket (RUNTIME/bot.sock)\n"
"  --timeout S      deadline of the whole exchange (5)\n"
"exit: 0 ok, 1 the request failed (\"ok\":false), 64 usage, 69 no answer,\n"
"      74 the reply cannot be written\n");
}

/* A socket path (--control, --notify) into a char[USOCK_PATH_MAX + 1]. */
static int
opt_sock(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	if (v[0] == '\0' || strlen(v) > USOCK_PATH_MAX)
		return gw_err_set(e, "%s: a socket path of 1..%d bytes", d->flag,
		    USOCK_PATH_MAX);
	return opt_str(ctx, d, v, e);
}

static int
opt_strategy(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	struct opts *o = ctx;

	(void)d;
	(void)e;
	o->bot.strategy_cmd = v;
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
#define FIELD(m) OPT_FIELD(struct opts, m)
static const struct opt_def optdefs[] = {
	{ "--host", 0, ARG, opt_ptr, FIELD(host_arg), 0, 0 },
	{ "--port", 0, ARG, opt_long, FIELD(port_arg), 1, 65535 },
	{ "--client-id", 0, ARG, opt_long, FIELD(client_id_arg), 0, 2147483647 },
	{ "--gameplan", 0, ARG, opt_ptr, FIELD(gameplan_arg), 0, 0 },
	{ "--strategy", 0, ARG, opt_strategy, 0, 0, 0, 0 },
	{ "--restart-file", 0, ARG, opt_ptr, FIELD(restart_file_arg), 0, 0 },
	{ "--control", 0, ARG, opt_sock, FIELD(sock), 0, 0 },
	{ "--no-control", 0, NOARG, opt_flag, FIELD(no_control), 0, 0 },
	{ "--notify", 0, ARG, opt_sock, FIELD(notify), 0, 0 },
	{ "--notify-level", 0, ARG, opt_ptr, FIELD(notify_level_arg), 0, 0 },
	{ "--no-notify", 0, NOARG, opt_flag, FIELD(no_notify), 0, 0 },
	{ "--log-level", 0, ARG, opt_ptr, FIELD(log_level_arg), 0, 0 },
	{ "--log-format", 0, ARG, opt_ptr, FIELD(log_format_arg), 0, 0 },
	{ NULL, 'n', NOARG, opt_flag, FIELD(check_only), 0, 0 },
	{ "--help", 'h', NOARG, opt_stop, FIELD(stop), 0, 0 },
	{ "--version", 'V', NOARG, opt_stop, FIELD(stop), 0, 0 },
};
static const struct opt_set optset = { "+", "", "", "--help", optdefs,
    sizeof(optdefs) / sizeof(optdefs[0]) };

static const struct opt_def ctl_defs[] = {
	{ "--control", 0, ARG, opt_sock, FIELD(sock), 0, 0 },
	{ "--timeout", 0, ARG, opt_seconds, FIELD(ctl_timeout), 0.001, 86400 },
	{ "--help", 'h', NOARG, opt_stop, FIELD(stop), 0, 0 },
};
static const struct opt_set ctl_set = { "", "ctl: ", "'",
    PROG " ctl --help", ctl_defs, sizeof(ctl_defs) / sizeof(ctl_defs[0]) };

/* A level or format named by setting from: 64 (flag) when bad. */
static void
parse_level(const char *from, const char *v, enum gw_level *out)
{
	char q[GW_QUOTE_MAX];

	if (gw_level_parse(v, out) < 0) {
		gw_err_quote(q, sizeof(q), v, strlen(v));
		errx(EX_USAGE, "%s: '%s' is not one of debug, info, warning, "
		    "error, critical", from, q);
	}
}

/* ctl mode: argv[0] is "ctl". */
static void
parse_ctl(int argc, char **argv, struct opts *o)
{
	struct gw_err e;
	char q[GW_QUOTE_MAX];

	o->ctl = 1;
	o->ctl_timeout = CTL_TIMEOUT;
	optind = 0;
	switch (opt_parse(argc, argv, &ctl_set, o, &e)) {
	case OPT_STOP:		/* ctl --help */
		ctl_usage(stdout);
		exit(0);
	case 0:
		break;
	default:
		errx(EX_USAGE, "%s", e.msg);
	}
	if (argc - optind != 1)
		errx(EX_USAGE, "ctl: one verb is needed: " BOTCTL_VERBS
		    " (see " PROG " ctl --help)");
	o->ctl_verb = argv[optind];
	if (botctl_verb_find(o->ctl_verb) < 0) {
		gw_err_quote(q, sizeof(q), o->ctl_verb, strlen(o->ctl_verb));
		errx(EX_USAGE, "ctl: unknown verb '%s': one of " BOTCTL_VERBS
		    " (see " PROG " ctl --help)", q);
	}
}

static void
parse_options(int argc, char **argv, struct opts *o)
{
	struct gw_err e;
	char rd[1024], q[GW_QUOTE_MAX];

	memset(o, 0, sizeof(*o));
	o->client_id_arg = -1;		/* not given */
	o->log_level_arg = cfg_env_str("LOG_LEVEL", "info");
	o->log_format_arg = cfg_env_str("LOG_FORMAT", "auto");
	o->notify_level_arg = "warning";
	optind = 1;
	switch (opt_parse(argc, argv, &optset, o, &e)) {
	case OPT_STOP:
		stop_option(o->stop);
	case 0:
		break;
	default:
		errx(EX_USAGE, "%s", e.msg);
	}
	if (optind < argc && strcmp(argv[optind], "ctl") == 0)
		parse_ctl(argc - optind, argv + optind, o);
	else if (optind < argc) {
		gw_err_quote(q, sizeof(q), argv[optind], strlen(argv[optind]));
		errx(EX_USAGE, "'%s': unexpected argument (see --help)", q);
	}
	if (o->sock[0] == '\0' || o->notify[0] == '\0') {
		if (rundir_path(rd, sizeof(rd), &e) < 0)
			errx(EX_USAGE, "%s", e.msg);
		if (o->sock[0] == '\0' && snprintf(o->sock, sizeof(o->sock),
		    "%s/bot.sock", rd) >= (int)sizeof(o->sock))
			errx(EX_USAGE, "runtime directory too long for a socket "
			    "path; use --control");
		if (o->notify[0] == '\0' && snprintf(o->notify, sizeof(o->notify),
		    "%s/notify.sock", rd) >= (int)sizeof(o->notify))
			o->no_notify = 1;	/* cannot be reached: do without */
	}
	if (o->ctl)
		return;
	parse_level("--log-level", o->log_level_arg, &o->log_level);
	parse_level("--notify-level", o->notify_level_arg, &o->notify_level);
	if (gw_log_format_parse(o->log_format_arg, &o->log_format) < 0) {
		gw_err_quote(q, sizeof(q), o->log_format_arg,
		    strlen(o->log_format_arg));
		errx(EX_USAGE, "--log-format: '%s' is not one of json, text, auto",
		    q);
	}
}

/* ---------- configuration: the environment, then the flags ---------- */

/* A boolean variable (true/false, 1/0, yes/no, on/off): 78 when bad. */
static int
env_bool(const char *var, int def)
{
	const char *v = getenv(var);
	struct gw_err e;
	int b;

	if (v == NULL || v[0] == '\0')
		return def;
	if (cfg_bool(var, v, &b, &e) < 0)
		errx(EX_CONFIG, "%s", e.msg);
	return b;
}

static long
env_long(const char *var, long def, long min, long max)
{
	struct gw_err e;
	long v;

	if (cfg_env_long(var, def, min, max, &v, &e) < 0)
		errx(EX_CONFIG, "%s", e.msg);
	return v;
}

static double env_seconds(const char *var, double def, double min,
    double max);

/* The order path's settings (docs/orders.md), read in dry run too so that
 * -n checks them. */
static void
order_env(struct orderman_config *oc)
{
	const char *v;
	char q[64];
	int h, m, n;

	orderman_config_init(oc);
	v = cfg_env_str("ORDER_JOURNAL", BOT_JOURNAL_DEFAULT);
	if (v[0] == '\0' || strlen(v) >= sizeof(oc->journal_path))
		errx(EX_CONFIG, "ORDER_JOURNAL: a path of 1..%zu bytes",
		    sizeof(oc->journal_path) - 1);
	snprintf(oc->journal_path, sizeof(oc->journal_path), "%s", v);
	oc->ack_timeout_s = env_seconds("ORDER_ACK_TIMEOUT", 5, 0.1, 3600);
	oc->recon_timeout_s = env_seconds("ORDER_RECONCILE_TIMEOUT", 30, 0.5,
	    3600);
	oc->adopt_positions = env_bool("ADOPT_POSITIONS", 0);
	oc->max_orders_per_s = (unsigned)env_long("MAX_ORDERS_PER_SECOND", 5, 1,
	    40);
	v = cfg_env_str("CLOSE_OUT_TIME", "15:59");
	if (strcasecmp(v, "off") == 0)
		oc->closeout_min = -1;
	else if (sscanf(v, "%2d:%2d%n", &h, &m, &n) == 2 && n == 5 &&
	    v[2] == ':' && h >= 0 && h < 24 && m >= 0 && m < 60)
		oc->closeout_min = h * 60 + m;
	else {
		gw_err_quote(q, sizeof(q), v, strlen(v));
		errx(EX_CONFIG, "CLOSE_OUT_TIME: '%s' is not HH:MM (New York) "
		    "or off", q);
	}
}

static double
env_seconds(const char *var, double def, double min, double max)
{
	struct gw_err e;
	double v;

	if (cfg_env_seconds(var, def, min, max, &v, &e) < 0)
		errx(EX_CONFIG, "%s", e.msg);
	return v;
}

/* Every setting from the environment (78 naming the variable when one is
 * bad), then the flags over them (64). */
static void
configure(struct opts *o)
{
	struct bot_config *b = &o->bot;
	struct gwconn_config *g = &b->gw;
	const char *v, *host;
	char q[GW_QUOTE_MAX];
	struct gw_err e;
	long port_in_host = 0;
	const char *cmd = o->bot.strategy_cmd;

	bot_config_init(b);
	b->strategy_cmd = cmd;
	host = o->host_arg != NULL ? o->host_arg :
	    cfg_env_str("GATEWAY_HOST", "127.0.0.1");
	if (cfg_endpoint(o->host_arg != NULL ? "--host" : "GATEWAY_HOST", host,
	    g->host, sizeof(g->host), &port_in_host, &e) < 0)
		errx(o->host_arg != NULL ? EX_USAGE : EX_CONFIG, "%s", e.msg);
	g->port = (int)env_long("GATEWAY_PORT", 4002, 1, 65535);
	if (port_in_host != 0)
		g->port = (int)port_in_host;
	if (o->port_arg != 0)
		g->port = (int)o->port_arg;
	g->client_id = (int)env_long("CLIENT_ID", 1, 0, 2147483647);
	if (o->client_id_arg >= 0)
		g->client_id = (int)o->client_id_arg;
	g->startup_timeout_s = env_seconds("GATEWAY_STARTUP_TIMEOUT", 300, 0.001,
	    31536000);
	g->max_retries = env_long("GATEWAY_MAX_RETRIES", 30, 1, 1000000);
	g->retry_interval_s = env_seconds("GATEWAY_RETRY_INTERVAL", 5, 0.01,
	    86400);
	g->retry_cap_s = env_seconds("GATEWAY_RETRY_CAP", 30, 0.01, 86400);
	g->heartbeat_interval_s = env_seconds("HEARTBEAT_INTERVAL", 10, 0.01,
	    86400);
	g->heartbeat_timeout_s = env_seconds("HEARTBEAT_TIMEOUT", 5, 0.01, 86400);
	g->market_data_type = (int)env_long("MARKET_DATA_TYPE", 3, 1, 4);
	g->reconnect_max = (int)env_long("RECONNECT_MAX", 10, 1, 1000);
	g->reconnect_window_s = env_seconds("RECONNECT_WINDOW", 300, 1, 86400);
	if (gwretry_env_fast("GATEWAY_FAST_POLL", GWRETRY_FAST_DEFAULT,
	    &g->fast_poll_s, &e) < 0)
		errx(EX_CONFIG, "%s", e.msg);
	if (gwconn_config_check(g, &e) < 0)
		errx(EX_CONFIG, "%s", e.msg);
	v = o->gameplan_arg != NULL ? o->gameplan_arg :
	    cfg_env_str("GAMEPLAN_PATH", "/data/gameplan.json");
	if (v[0] == '\0' || strlen(v) >= sizeof(b->gameplan_path))
		errx(o->gameplan_arg ? EX_USAGE : EX_CONFIG, "%s: a path of 1..%zu "
		    "bytes", o->gameplan_arg ? "--gameplan" : "GAMEPLAN_PATH",
		    sizeof(b->gameplan_path) - 1);
	snprintf(b->gameplan_path, sizeof(b->gameplan_path), "%s", v);
	if (b->strategy_cmd == NULL && getenv("STRATEGY_CMD") != NULL &&
	    getenv("STRATEGY_CMD")[0] != '\0')
		b->strategy_cmd = getenv("STRATEGY_CMD");
	if (tradmode_parse(getenv("DRY_RUN"), getenv("TRADING_MODE"),
	    getenv("LIVE_TRADING_CONFIRM"), &b->mode, &e) < 0)
		errx(EX_CONFIG, "%s", e.msg);
	b->dry_run = b->mode.dry_run;
	b->trading_mode = b->mode.live ? "live" : "paper";
	order_env(&b->orders);
	b->orders.client_id = b->gw.client_id;
	v = getenv("STARTING_CAPITAL");
	if (v != NULL && v[0] != '\0') {
		char *end;

		b->starting_capital = strtod(v, &end);
		if (end == v || *end != '\0' || !(b->starting_capital > 0) ||
		    b->starting_capital > 1e12) {
			gw_err_quote(q, sizeof(q), v, strlen(v));
			errx(EX_CONFIG, "STARTING_CAPITAL: '%s' is not an amount in "
			    "(0, 1e12]", q);
		}
	}
	v = cfg_env_str("RESTART_WINDOW", "16:29-16:36");
	if (sched_window_parse("RESTART_WINDOW", v, BOT_WINDOW_DEFAULT,
	    &b->window_start_min, &b->window_end_min,
	    &e) < 0)
		errx(EX_CONFIG, "%s", e.msg);
	b->resume_after_reconnect = env_bool("RESUME_AFTER_RECONNECT", 1);
	/* stack-init sets GWKIT_RESTART_FILE for a follower of the gateway */
	v = o->restart_file_arg != NULL ? o->restart_file_arg :
	    cfg_env_str("GWKIT_RESTART_FILE", "");
	if ((o->restart_file_arg != NULL && v[0] == '\0') ||
	    strlen(v) >= sizeof(b->restart_file))
		errx(o->restart_file_arg ? EX_USAGE : EX_CONFIG, "%s: a path of "
		    "1..%zu bytes", o->restart_file_arg ? "--restart-file" :
		    "GWKIT_RESTART_FILE", sizeof(b->restart_file) - 1);
	snprintf(b->restart_file, sizeof(b->restart_file), "%s", v);
	v = getenv("BOT_TZ");		/* tests only: another zone */
	if (v != NULL && v[0] != '\0')
		b->tz = v;
}

/* -n: the gameplan too (a bad one is 78 here; at run time it is
 * Strategy C with an alert). */
static int
check_only(const struct opts *o)
{
	struct gameplan gp;
	struct gw_err e;
	struct tm tm;
	char today[16] = "";
	int missing = 0;

	if (sched_local(o->bot.tz, time(NULL), &tm, &e) < 0)
		errx(EX_CONFIG, "%s", e.msg);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	if (gameplan_load(o->bot.gameplan_path, today, &gp, &missing, &e) < 0) {
		if (!missing)
			errx(EX_CONFIG, "%s", e.msg);
		warnx("%s: no gameplan: bot-core would hold Strategy C",
		    o->bot.gameplan_path);
	}
	printf("configuration OK\n");
	return 0;
}

/* ---------- ctl: ask the running bot-core ---------- */

static int
run_ctl(const struct opts *o)
{
	struct dclient_reply rep;
	const char *msg = NULL;
	enum dclient_verdict v;
	struct gw_err e;
	char req[64];
	int rc = EX_UNAVAILABLE;

	snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", o->ctl_verb);
	v = dclient_request(o->sock, req, (long)(o->ctl_timeout * 1000 + 0.5),
	    CTL_REPLY_MAX, &rep, &msg, &e);
	if (v == DCLIENT_NO_ANSWER) {
		warnx("ctl: %s", e.msg);
		goto out;
	}
	if (printf("%s\n", rep.line) < 0 || fflush(stdout) == EOF) {
		warnx("ctl: cannot write the reply to stdout");
		rc = EX_IOERR;
		goto out;
	}
	if (v == DCLIENT_BUSY) {
		warnx("ctl: %s: %s; try again", o->sock, msg ? msg : "busy");
		goto out;
	}
	if (v == DCLIENT_REFUSED)
		warnx("ctl %s: %s", o->ctl_verb, msg ? msg : "failed");
	rc = v == DCLIENT_DONE ? 0 : EXIT_CTL_REFUSED;
out:
	dclient_reply_clear(&rep);
	return rc;
}

/* ---------- running ---------- */

static void
on_alerts_flushed(void *arg)
{
	struct ctx *c = arg;

	event_base_loopexit(c->base, NULL);
}

/* The bot is done (0 after a stop, 1 when the gateway never came): the
 * alerts get FLUSH_MS to reach the notifier, then the loop ends. */
static void
on_bot_exit(void *arg, int code)
{
	struct ctx *c = arg;

	if (c->exiting)
		return;
	c->exiting = 1;
	c->exit_code = code == 0 ? 0 : EXIT_GATEWAY;
	evsend_flush(c->evs, FLUSH_MS, on_alerts_flushed, c);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ctx *c = arg;
	struct gw_err e;

	(void)what;
	if (sig == SIGHUP) {
		gw_log_event(c->log, GW_INFO, "bot", "bot.reload_requested", NULL,
		    "SIGHUP: re-reading the gameplan");
		(void)bot_reload(c->bot, &e);
		return;
	}
	if (c->exiting || sig == SIGQUIT) {	/* a second signal: now */
		event_base_loopexit(c->base, NULL);
		return;
	}
	bot_stop(c->bot);
}

static void
open_context(struct ctx *c)
{
	struct gw_err e;

	signal(SIGPIPE, SIG_IGN);
	c->exit_code = EX_SOFTWARE;
	if ((c->lc = loopctx_new(PROG, c->o.log_level, c->o.log_format, sigs,
	    N_SIGS, on_signal, c, &e)) == NULL)
		errx(EX_SOFTWARE, "%s", e.msg);
	c->base = loopctx_base(c->lc);
	c->dns = loopctx_dns(c->lc);
	c->log = loopctx_log(c->lc);
}

static void
open_modules(struct ctx *c)
{
	struct bot_hooks hooks = { on_bot_exit, c };
	struct gw_err e;
	char rd[1024];

	if (!c->o.no_notify) {
		if ((c->evs = evsend_new(c->base, c->o.notify, c->o.notify_level,
		    &e)) == NULL)
			errx(EX_USAGE, "--notify: %s", e.msg);
		gw_log_set_sink(c->log, evsend_line, c->evs);
	}
	if ((c->bot = bot_new(c->base, c->dns, &c->o.bot, c->log, &hooks,
	    &e)) == NULL)
		errx(EX_SOFTWARE, "%s", e.msg);
	if (!c->o.no_control) {
		if (rundir_path(rd, sizeof(rd), &e) == 0 &&
		    strncmp(c->o.sock, rd, strlen(rd)) == 0 &&
		    rundir_ensure(rd, sizeof(rd), &e) < 0)
			errx(EX_CANTCREAT, "%s", e.msg);
		if ((c->ctl = botctl_new(c->base, c->o.sock, c->bot, c->log,
		    &e)) == NULL)
			errx(EX_CANTCREAT, "--control: %s", e.msg);
	}
}

static void
teardown(struct ctx *c)
{
	botctl_free(c->ctl);
	bot_free(c->bot);
	gw_log_set_sink(c->log, NULL, NULL);
	evsend_free(c->evs);
	loopctx_free(c->lc);
}

int
main(int argc, char **argv)
{
	struct ctx c;
	struct gw_err e;
	int rc;

	memset(&c, 0, sizeof(c));

	/* options; the client mode ctl */
	parse_options(argc, argv, &c.o);
	if (c.o.ctl)
		return run_ctl(&c.o);

	/* configuration (-n stops here) */
	configure(&c.o);
	if (c.o.check_only)
		return check_only(&c.o);

	/* context, event base, signals; modules */
	open_context(&c);
	open_modules(&c);

	/* dispatch */
	if ((rc = bot_start(c.bot, &e)) < 0)
		errx(rc == BOT_START_CONFIG ? EX_CONFIG : EX_SOFTWARE, "%s", e.msg);
	event_base_dispatch(c.base);

	/* free in reverse */
	teardown(&c);
	return c.exit_code;
}
