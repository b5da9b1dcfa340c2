/*
 * health-mon: watches the gateway (at API level), bot-core, stack-init,
 * discord-notify, the host and commands; alerts on state changes through
 * discord-notify; serves /healthz, /metrics and a status page
 * (docs/health-mon.md).
 *
 *   health-mon [options]          run
 *   health-mon --once             every check once: exit 0 when healthy
 *   health-mon -n                 check the configuration
 *
 * The environment, the flags and the configuration file are untrusted.
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <jansson.h>

#include "cfg.h"
#include "evsend.h"
#include "hmconf.h"
#include "httpd.h"
#include "log.h"
#include "loopctx.h"
#include "monitor.h"
#include "opt.h"
#include "rundir.h"
#include "usock.h"

#define PROG "health-mon"
#define VERSION "gwkit 0.1.0"
#define EXIT_UNHEALTHY 1	/* --once: a component is not healthy */
#define FLUSH_MS 2000

struct opts {
	int stop;
	const char *config;
	const char *http;
	const char *ibc_log;
	char notify[USOCK_PATH_MAX + 1];
	int no_notify, once, check_only;
	const char *log_level_arg, *log_format_arg, *notify_level_arg;
	enum gw_level log_level, notify_level;
	enum gw_log_format log_format;
};

struct ctx {
	struct opts o;
	struct hmconf conf;
	struct event_base *base;
	struct evdns_base *dns;
	struct gw_log *log;
	struct evsend *evs;
	struct monitor *mon;
	struct httpd *http;
	struct loopctx *lc;	/* the loop, resolver, log and signals */
	int exit_code;
};

static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
#define N_SIGS (sizeof(sigs) / sizeof(sigs[0]))

/* ---------- options ---------- */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [options]\n"
"       " PROG " --once [options]\n"
"       " PROG " -n [options]\n"
"\n"
"Watches the gateway at API level, bot-core, stack-init, discord-notify,\n"
"the host and commands; alerts on changes through discord-notify.\n"
"\n"
"  --config FILE          checks, thresholds, action, HTTP (HEALTH_CONFIG)\n"
"  --once                 every check once, its lines on stdout; exit 0 when\n"
"                         all are healthy, 1 otherwise\n"
"  --http ADDR:PORT       serve /healthz, /metrics and / (loopback)\n"
"  --ibc-log PATH|-       follow IBC's log (a file, or - for stdin) for the\n"
"                         gateway's login states (the file's login.ibc_log)\n"
"  --notify PATH          discord-notify's socket (RUNTIME/notify.sock)\n"
"  --notify-level LEVEL   alerts at or above LEVEL go there (warning)\n"
"  --no-notify            send no alerts\n"
"  --log-level LEVEL      debug, info, warning, error, critical (LOG_LEVEL)\n"
"  --log-format FMT       json, text, auto (LOG_FORMAT)\n"
"  -n                     check the configuration, print \"configuration OK\"\n"
"  -h, --help             this text\n"
"  -V, --version          the version\n"
"\n"
"environment: GATEWAY_HOST GATEWAY_PORT HEALTH_INTERVAL (60)\n"
"  HEALTH_CONFIG RESTART_WINDOW LOG_LEVEL LOG_FORMAT GWKIT_RUNTIME_DIR\n"
"  GWKIT_RESTART_FILE (stack-init's restart file: alerts quiet during it)\n"
"\n"
"exit: 0 stopped by a signal (--once: all healthy), 1 (--once) a component\n"
"      is not healthy, 64 usage, 70 internal, 73 the HTTP port cannot be\n"
"      bound, 78 configuration\n");
}

static _Noreturn void
stop_option(int letter)
{
	if (letter == 'h')
		usage(stdout);
	else
		printf(PROG " " VERSION "\n");
	exit(0);
}

static int
opt_sock(void *ctx, const struct opt_def *d, const char *v, struct gw_err *e)
{
	if (v[0] == '\0' || strlen(v) > USOCK_PATH_MAX)
		return gw_err_set(e, "%s: a socket path of 1..%d bytes", d->flag,
		    USOCK_PATH_MAX);
	return opt_str(ctx, d, v, e);
}

#define ARG required_argument
#define NOARG no_argument
#define FIELD(m) OPT_FIELD(struct opts, m)
static const struct opt_def optdefs[] = {
	{ "--config", 0, ARG, opt_ptr, FIELD(config), 0, 0 },
	{ "--once", 0, NOARG, opt_flag, FIELD(once), 0, 0 },
	{ "--http", 0, ARG, opt_ptr, FIELD(http), 0, 0 },
	{ "--ibc-log", 0, ARG, opt_ptr, FIELD(ibc_log), 0, 0 },
	{ "--notify", 0, ARG, opt_sock, FIELD(notify), 0, 0 },
	{ "--notify-level", 0, ARG, opt_ptr, FIELD(notify_level_arg), 0, 0 },
	{ "--no-notify", 0, NOARG, opt_flag, FIELD(no_notify), 0, 0 },
	{ "--log-level", 0, ARG, opt_ptr, FIELD(log_level_arg), 0, 0 },
	{ "--log-format", 0, ARG, opt_ptr, FIELD(log_format_arg), 0, 0 },
	{ NULL, 'n', NOARG, opt_flag, FIELD(check_only), 0, 0 },
	{ "--help", 'h', NOARG, opt_stop, FIELD(stop), 0, 0 },
	{ "--version", 'V', NOARG, opt_stop, FIELD(stop), 0, 0 },
};
static const struct opt_set optset = { "", "", "", "--help", optdefs,
    sizeof(optdefs) / sizeof(optdefs[0]) };

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

static void
parse_options(int argc, char **argv, struct opts *o)
{
	struct gw_err e;
	char q[GW_QUOTE_MAX];

	memset(o, 0, sizeof(*o));
	o->log_level_arg = cfg_env_str("LOG_LEVEL", "info");
	o->log_format_arg = cfg_env_str("LOG_FORMAT", "auto");
	o->notify_level_arg = "warning";
	switch (opt_parse(argc, argv, &optset, o, &e)) {
	case OPT_STOP:
		stop_option(o->stop);
	case 0:
		break;
	default:
		errx(EX_USAGE, "%s", e.msg);
	}
	if (optind < argc) {
		gw_err_quote(q, sizeof(q), argv[optind], strlen(argv[optind]));
		errx(EX_USAGE, "'%s': unexpected argument (see --help)", q);
	}
	if (o->config == NULL && getenv("HEALTH_CONFIG") != NULL &&
	    getenv("HEALTH_CONFIG")[0] != '\0')
		o->config = getenv("HEALTH_CONFIG");
	parse_level("--log-level", o->log_level_arg, &o->log_level);
	parse_level("--notify-level", o->notify_level_arg, &o->notify_level);
	if (gw_log_format_parse(o->log_format_arg, &o->log_format) < 0) {
		gw_err_quote(q, sizeof(q), o->log_format_arg,
		    strlen(o->log_format_arg));
		errx(EX_USAGE, "--log-format: '%s' is not one of json, text, auto",
		    q);
	}
}

/* ---------- configuration ---------- */

static void
configure(struct ctx *c)
{
	struct gw_err e;
	char rd[1024];

	if (rundir_path(rd, sizeof(rd), &e) < 0)
		errx(EX_CONFIG, "%s", e.msg);
	if (c->o.notify[0] == '\0' && snprintf(c->o.notify, sizeof(c->o.notify),
	    "%s/notify.sock", rd) >= (int)sizeof(c->o.notify))
		c->o.no_notify = 1;
	if (hmconf_load(&c->conf, c->o.config, rd, &e) < 0)
		errx(EX_CONFIG, "%s", e.msg);
	if (c->o.http != NULL)
		snprintf(c->conf.http, sizeof(c->conf.http), "%s", c->o.http);
	if (c->o.ibc_log != NULL) {
		if (c->o.ibc_log[0] == '\0' || strlen(c->o.ibc_log) >=
		    sizeof(c->conf.login.ibc_log))
			errx(EX_USAGE, "--ibc-log: a path of 1..%zu bytes, or - "
			    "for stdin", sizeof(c->conf.login.ibc_log) - 1);
		snprintf(c->conf.login.ibc_log, sizeof(c->conf.login.ibc_log),
		    "%s", c->o.ibc_log);
		c->conf.login.enabled = 1;
	}
}

/* ---------- running ---------- */

static void
on_flushed(void *arg)
{
	struct ctx *c = arg;

	event_base_loopexit(c->base, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ctx *c = arg;

	(void)what;
	if (sig == SIGHUP)
		return;		/* nothing to reload yet: restart to re-read */
	gw_log_event(c->log, GW_INFO, "health", "health.stopping", NULL,
	    "stopping on signal %d", (int)sig);
	c->exit_code = 0;
	evsend_flush(c->evs, FLUSH_MS, on_flushed, c);
}

static void
on_once(void *arg, int healthy)
{
	struct ctx *c = arg;

	c->exit_code = healthy ? 0 : EXIT_UNHEALTHY;
	event_base_loopexit(c->base, NULL);
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

/* --http ADDR:PORT (a numeric address: no blocking lookup). */
static void
open_http(struct ctx *c)
{
	struct httpd_config hc;
	struct gw_err e;
	long port = 0;

	httpd_config_init(&hc);
	if (cfg_endpoint("--http", c->conf.http, hc.addr, sizeof(hc.addr), &port,
	    &e) < 0)
		errx(EX_USAGE, "%s", e.msg);
	if (port == 0)
		errx(EX_USAGE, "--http: '%s' needs a port (ADDR:PORT)",
		    c->conf.http);
	hc.port = (int)port;
	if ((c->http = httpd_new(c->base, &hc, monitor_view(c->mon), &e)) == NULL)
		errx(EX_CANTCREAT, "--http: %s", e.msg);
	gw_log_event(c->log, GW_INFO, "health", "health.http",
	    json_pack("{s:s, s:i}", "addr", hc.addr, "port", httpd_port(c->http)),
	    "serving /healthz, /metrics and / on %s:%d", hc.addr,
	    httpd_port(c->http));
}

/* Alerts to discord-notify: those at --notify-level and above, and the
 * login's "ready" that resolves login alerts (info, but the person paged
 * about a 2FA push must hear that it is over). Our own lines are strict
 * (docs/events.md), so the event's key and value appear exactly so. */
static void
notify_sink(void *arg, enum gw_level level, const char *line, size_t len)
{
	static const char resolves[] = "\"event\":\"health.login.ready\"";
	struct ctx *c = arg;

	if (level < c->o.notify_level && memmem(line, len, resolves,
	    sizeof(resolves) - 1) != NULL)
		level = c->o.notify_level;
	evsend_line(c->evs, level, line, len);
}

static void
open_modules(struct ctx *c)
{
	struct gw_err e;
	char rd[1024];

	if (!c->o.no_notify && !c->o.once) {
		if ((c->evs = evsend_new(c->base, c->o.notify, c->o.notify_level,
		    &e)) == NULL)
			errx(EX_USAGE, "--notify: %s", e.msg);
		gw_log_set_sink(c->log, notify_sink, c);
	}
	if (!c->o.once && rundir_ensure(rd, sizeof(rd), &e) < 0)
		errx(EX_CANTCREAT, "%s", e.msg);
	if ((c->mon = monitor_new(c->base, c->dns, &c->conf, c->log, stdout,
	    &e)) == NULL)
		errx(EX_SOFTWARE, "%s", e.msg);
	if (c->conf.http[0] != '\0')
		open_http(c);
}

static void
teardown(struct ctx *c)
{
	httpd_free(c->http);
	monitor_free(c->mon);
	gw_log_set_sink(c->log, NULL, NULL);
	evsend_free(c->evs);
	loopctx_free(c->lc);
	hmconf_free(&c->conf);
}

int
main(int argc, char **argv)
{
	struct ctx c;
	struct gw_err e;

	memset(&c, 0, sizeof(c));

	/* options, configuration (-n stops here) */
	parse_options(argc, argv, &c.o);
	configure(&c);
	if (c.o.check_only) {
		printf("configuration OK\n");
		hmconf_free(&c.conf);
		return 0;
	}

	/* context, event base, signals; modules */
	open_context(&c);
	open_modules(&c);

	/* dispatch */
	if (c.o.once ? monitor_once(c.mon, on_once, &c, &e) :
	    monitor_start(c.mon, &e))
		errx(EX_SOFTWARE, "%s", e.msg);
	event_base_dispatch(c.base);

	/* free in reverse */
	teardown(&c);
	return c.exit_code;
}
