/*
 * gw-sim: a TWS API gateway simulator with scriptable faults, for tests,
 * benchmarks and the demo (docs/gw-sim.md). This file only parses options,
 * builds the configuration and wires the simulator (sim.h) to the event
 * loop. Options and environment are untrusted text.
 */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "cfg.h"
#include "gw_err.h"
#include "log.h"
#include "opt.h"
#include "sim.h"

#define PROG "gw-sim"
#define VERSION "gwkit 0.1.0"

static const int handled_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
    SIGUSR2 };
#define N_SIGNALS (sizeof(handled_signals) / sizeof(handled_signals[0]))

/* Everything the signal callbacks need: no globals. */
struct ctx {
	struct gw_log *log;
	struct event_base *base;
	struct event *sigev[N_SIGNALS];
	struct sim *sim;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: " PROG " [options]\n"
	    "A TWS API gateway simulator with scriptable faults.\n"
	    "\n"
	    "  --port N                 API port, 1..65535 (default %d)\n"
	    "  --bind ADDR              numeric IPv4/IPv6 address (default %s)\n"
	    "  --max-version N          highest server version, %d..%d (default %d)\n"
	    "  --login-delay S          API port closed for S seconds after start\n"
	    "  --fault F                none|relay-dead|wedged|not-logged-in|slow\n"
	    "  --slow-ms N              delay every reply by N ms (implies slow)\n"
	    "  --client-ids-in-use LIST client ids answered with error 326\n"
	    "  --accounts LIST          managedAccounts (default %s)\n"
	    "  --seed N                 random-walk seed (default 1)\n"
	    "  --tick-ms N              market-data tick period (default %d)\n"
	    "  --control PATH           control Unix socket (mode 0600)\n"
	    "  --paper-cash N           paper account's starting cash (default 1000000)\n"
	    "  --partial-above N        orders of more shares fill in parts of N\n"
	    "                           (default 0: never)\n"
	    "  --commission-per-share X commission per share, >= 0 (default 0.005)\n"
	    "  --log-level LEVEL        debug|info|warning|error|critical\n"
	    "  --log-format F           json|text|auto (LOG_FORMAT, default auto:\n"
	    "                           text on a terminal, else JSON lines)\n"
	    "  -n                       check the configuration and exit\n"
	    "  -h, --help               this help\n"
	    "  -V, --version            print the version\n"
	    "\n"
	    "Signals: HUP restart, USR1 upstream lost, USR2 upstream restored,\n"
	    "TERM/INT stop. See docs/gw-sim.md.\n",
	    SIM_DEFAULT_PORT, SIM_DEFAULT_BIND, SIM_MIN_MAX_VERSION,
	    SIM_MAX_MAX_VERSION, SIM_DEFAULT_MAX_VERSION, SIM_DEFAULT_ACCOUNTS,
	    SIM_DEFAULT_TICK_MS);
}

/* optarg and the like are untrusted: quote them for messages. */
static const char *
quote(char *buf, size_t sz, const char *s)
{
	gw_err_quote(buf, sz, s, strlen(s));
	return buf;
}

struct options {
	int stop;		/* -h or -V (opt_stop) */
	struct sim_config cfg;
	enum gw_level level;
	enum gw_log_format format;
	int check_only;
};

/*
 * The command line is one table: a row per option, with the handler that
 * takes its value and, for the generic handlers, the field and range it
 * sets. Handlers check syntax only (sim_config_check owns the rules) and
 * return -1 with the one-line message in err: exit 64.
 */
#define FIELD(m) OPT_FIELD(struct options, m)

static int
opt_fault(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *err)
{
	struct options *o = ctx;

	struct gw_err e;

	if (sim_fault_parse(v, &o->cfg.fault, &e) < 0)
		return gw_err_set(err, "%s: %s", d->flag, e.msg);
	return 0;
}

static int
opt_client_ids(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *err)
{
	struct options *o = ctx;

	struct gw_err e;

	if (sim_parse_client_ids(v, o->cfg.client_ids_in_use,
	    &o->cfg.n_client_ids, &e) < 0)
		return gw_err_set(err, "%s: %s", d->flag, e.msg);
	return 0;
}

static int
opt_seed(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *err)
{
	struct options *o = ctx;

	long seed;

	if (cfg_long(d->flag, v, 0, LONG_MAX, &seed, err) < 0)
		return -1;
	o->cfg.seed = (uint64_t)seed;
	return 0;
}

/* --paper-cash, --partial-above, --commission-per-share: a number here,
 * its range in sim_config_check. */
static int
opt_amount(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *err)
{
	struct options *o = ctx;
	double *dst;

	if (strcmp(d->flag, "--paper-cash") == 0)
		dst = &o->cfg.paper_cash;
	else if (strcmp(d->flag, "--partial-above") == 0)
		dst = &o->cfg.partial_above;
	else
		dst = &o->cfg.commission_per_share;
	return sim_parse_amount(d->flag, v, dst, err);
}

static int
opt_log_level(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *err)
{
	struct options *o = ctx;

	char q[GW_QUOTE_MAX];

	if (gw_level_parse(v, &o->level) < 0)
		return gw_err_set(err, "%s: '%s' is not one of debug, info, "
		    "warning, error, critical", d->flag, quote(q, sizeof(q), v));
	return 0;
}

static int
opt_log_format(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *err)
{
	struct options *o = ctx;

	char q[GW_QUOTE_MAX];

	if (gw_log_format_parse(v, &o->format) < 0)
		return gw_err_set(err, "%s: '%s' is not one of json, text, auto",
		    d->flag, quote(q, sizeof(q), v));
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
	{ "--port", 0, ARG, opt_int, FIELD(cfg.port), 1, 65535 },
	{ "--bind", 0, ARG, opt_str, FIELD(cfg.bind_addr), 0, 0 },
	{ "--max-version", 0, ARG, opt_int, FIELD(cfg.max_version),
	    SIM_MIN_MAX_VERSION, SIM_MAX_MAX_VERSION },
	{ "--login-delay", 0, ARG, opt_int, FIELD(cfg.login_delay), 0,
	    SIM_MAX_LOGIN_DELAY },
	{ "--fault", 0, ARG, opt_fault, 0, 0, 0, 0 },
	{ "--slow-ms", 0, ARG, opt_int, FIELD(cfg.slow_ms), 0, SIM_MAX_SLOW_MS },
	{ "--client-ids-in-use", 0, ARG, opt_client_ids, 0, 0, 0, 0 },
	{ "--accounts", 0, ARG, opt_str, FIELD(cfg.accounts), 0, 0 },
	{ "--seed", 0, ARG, opt_seed, 0, 0, 0, 0 },
	{ "--tick-ms", 0, ARG, opt_int, FIELD(cfg.tick_ms), SIM_MIN_TICK_MS,
	    SIM_MAX_TICK_MS },
	{ "--control", 0, ARG, opt_str, FIELD(cfg.control_path), 0, 0 },
	{ "--paper-cash", 0, ARG, opt_amount, 0, 0, 0, 0 },
	{ "--partial-above", 0, ARG, opt_amount, 0, 0, 0, 0 },
	{ "--commission-per-share", 0, ARG, opt_amount, 0, 0, 0, 0 },
	{ "--log-level", 0, ARG, opt_log_level, 0, 0, 0, 0 },
	{ "--log-format", 0, ARG, opt_log_format, 0, 0, 0, 0 },
	{ NULL, 'n', NOARG, opt_flag, FIELD(check_only), 0, 0 },
	{ "--help", 'h', NOARG, opt_stop, FIELD(stop), 0, 0 },
	{ "--version", 'V', NOARG, opt_stop, FIELD(stop), 0, 0 },
};
#define N_OPTDEFS (sizeof(optdefs) / sizeof(optdefs[0]))
static const struct opt_set optset = { "", "", "", "--help", optdefs,
    N_OPTDEFS };

/* Defaults, then LOG_LEVEL and LOG_FORMAT (exit 78 when bad). */
static void
options_init(struct options *o)
{
	const char *level_env = getenv("LOG_LEVEL");
	const char *format_env = getenv("LOG_FORMAT");
	char q[GW_QUOTE_MAX];

	sim_config_init(&o->cfg);
	o->level = GW_INFO;
	o->check_only = 0;
	if (level_env != NULL && level_env[0] != '\0' &&
	    gw_level_parse(level_env, &o->level) < 0)
		errx(EX_CONFIG, "LOG_LEVEL: '%s' is not one of debug, info, warning, "
		    "error, critical", quote(q, sizeof(q), level_env));
	o->format = GW_LOG_AUTO;
	if (format_env != NULL && format_env[0] != '\0' &&
	    gw_log_format_parse(format_env, &o->format) < 0)
		errx(EX_CONFIG, "LOG_FORMAT: '%s' is not one of json, text, auto",
		    quote(q, sizeof(q), format_env));
}

/* The flags over the defaults and the environment; exits 64 on the first
 * bad one. */
static void
parse_options(int argc, char **argv, struct options *o)
{
	char q[GW_QUOTE_MAX];
	struct gw_err err;

	options_init(o);
	switch (opt_parse(argc, argv, &optset, o, &err)) {
	case OPT_STOP:
		stop_option(o->stop);
	case 0:
		break;
	default:
		errx(EX_USAGE, "%s", err.msg);
	}
	if (optind < argc)
		errx(EX_USAGE, "'%s': unexpected argument (see --help)",
		    quote(q, sizeof(q), argv[optind]));
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ctx *ctx = arg;
	struct gw_err err;

	(void)what;
	/* Failures are logged by the sim; a failed restart ends the loop. */
	switch (sig) {
	case SIGHUP:
		sim_restart(ctx->sim, &err);
		break;
	case SIGUSR1:
		sim_upstream(ctx->sim, 1100, &err);
		break;
	case SIGUSR2:
		sim_upstream(ctx->sim, 1102, &err);
		break;
	default:
		event_base_loopexit(ctx->base, NULL);
		break;
	}
}

/* Signals are events: HUP restart, USR1/USR2 upstream, TERM/INT stop. */
static int
watch_signals(struct ctx *ctx)
{
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < N_SIGNALS; i++) {
		ctx->sigev[i] = evsignal_new(ctx->base, handled_signals[i], on_signal,
		    ctx);
		if (ctx->sigev[i] == NULL || evsignal_add(ctx->sigev[i], NULL) < 0) {
			warnx("cannot watch signal %d",
			    handled_signals[i]);
			return -1;
		}
	}
	return 0;
}

/* Create and start the simulator: 0, or the exit code (70, or 71 when a
 * socket cannot be opened). */
static int
start_sim(struct ctx *ctx, const struct options *opt)
{
	struct gw_err err;

	ctx->sim = sim_new(ctx->base, &opt->cfg, ctx->log, &err);
	if (ctx->sim == NULL) {
		warnx("%s", err.msg);
		return EX_SOFTWARE;
	}
	if (sim_start(ctx->sim, &err) < 0) {
		warnx("%s", err.msg);
		return EX_OSERR;
	}
	return 0;
}

/* Run until a stop signal, or until the simulator fails (exit 71). */
static int
run(struct ctx *ctx)
{
	struct gw_err err;

	event_base_dispatch(ctx->base);
	if (sim_failed(ctx->sim, &err) < 0) {
		warnx("%s", err.msg);
		return EX_OSERR;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctx ctx;
	struct options opt;
	struct gw_err err;
	int rc = EX_SOFTWARE;
	size_t i;

	/* options -> config (-n stops here) */
	parse_options(argc, argv, &opt);
	if (sim_config_check(&opt.cfg, &err) < 0)
		errx(EX_USAGE, "%s", err.msg);
	if (opt.check_only) {
		printf("configuration OK\n");
		return 0;
	}

	/* context, event base */
	memset(&ctx, 0, sizeof(ctx));
	ctx.log = gw_log_new(PROG, stdout, opt.level);
	ctx.base = event_base_new();
	if (ctx.log != NULL)
		gw_log_set_format(ctx.log, opt.format, STDOUT_FILENO);
	if (ctx.log == NULL || ctx.base == NULL) {
		warnx("cannot create the event loop");
		goto out;
	}

	/* signals, modules, dispatch */
	if (watch_signals(&ctx) < 0)
		goto out;
	if ((rc = start_sim(&ctx, &opt)) != 0)
		goto out;
	rc = run(&ctx);

out:	/* free in reverse */
	sim_free(ctx.sim);
	for (i = N_SIGNALS; i-- > 0;)
		if (ctx.sigev[i] != NULL)
			event_free(ctx.sigev[i]);
	if (ctx.base != NULL)
		event_base_free(ctx.base);
	gw_log_free(ctx.log);
	return rc;
}
