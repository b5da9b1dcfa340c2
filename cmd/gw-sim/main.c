/*
 * gw-sim: a TWS API gateway simulator with scriptable faults, for tests,
 * benchmarks and the demo (docs/gw-sim.md). This file only parses options,
 * builds the configuration and wires lib/sim to the event loop.
 */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "cfg.h"
#include "gw_err.h"
#include "log.h"
#include "sim.h"

#define PROG "gw-sim"
#define VERSION "gwkit 0.1.0"

/* Everything the signal callbacks need: no globals. */
struct ctx {
	struct event_base *base;
	struct sim *sim;
};

static const int handled_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
    SIGUSR2 };
#define N_SIGNALS (sizeof(handled_signals) / sizeof(handled_signals[0]))

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

/* Syntax only: an integer that fits; sim_config_check owns the rules. */
static int
int_arg(const char *flag, const char *v, long min, long max)
{
	struct gw_err err;
	long n;

	if (cfg_long(flag, v, min, max, &n, &err) < 0)
		errx(EX_USAGE, "%s", err.msg);
	return (int)n;
}

/* Copy a string value; too long for its field is a syntax error. */
static void
str_arg(const char *flag, const char *v, char *dst, size_t dstsz)
{
	char q[64];

	if (v[0] == '\0')
		errx(EX_USAGE, "%s: empty value", flag);
	if (strlen(v) >= dstsz)
		errx(EX_USAGE, "%s: '%s' is longer than %zu bytes", flag,
		    quote(q, sizeof(q), v), dstsz - 1);
	memcpy(dst, v, strlen(v) + 1);
}

enum {
	OPT_PORT = 256, OPT_BIND, OPT_MAX_VERSION, OPT_LOGIN_DELAY, OPT_FAULT,
	OPT_SLOW_MS, OPT_CLIENT_IDS, OPT_ACCOUNTS, OPT_SEED, OPT_TICK_MS,
	OPT_CONTROL, OPT_LOG_LEVEL, OPT_LOG_FORMAT,
};

static const struct option long_options[] = {
	{ "port", required_argument, NULL, OPT_PORT },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "max-version", required_argument, NULL, OPT_MAX_VERSION },
	{ "login-delay", required_argument, NULL, OPT_LOGIN_DELAY },
	{ "fault", required_argument, NULL, OPT_FAULT },
	{ "slow-ms", required_argument, NULL, OPT_SLOW_MS },
	{ "client-ids-in-use", required_argument, NULL, OPT_CLIENT_IDS },
	{ "accounts", required_argument, NULL, OPT_ACCOUNTS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "tick-ms", required_argument, NULL, OPT_TICK_MS },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	struct sim_config cfg;
	enum gw_level level;
	enum gw_log_format format;
	int check_only;
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	const char *level_env = getenv("LOG_LEVEL");
	const char *format_env = getenv("LOG_FORMAT");
	struct sim_config *cfg = &o->cfg;
	struct gw_err err;
	char q[64];
	long seed;
	int c;

	sim_config_init(cfg);
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

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":nhV", long_options, NULL)) != -1) {
		const char *flag = argv[optind - 1];

		switch (c) {
		case OPT_PORT:
			cfg->port = int_arg("--port", optarg, 1, 65535);
			break;
		case OPT_BIND:
			str_arg("--bind", optarg, cfg->bind_addr,
			    sizeof(cfg->bind_addr));
			break;
		case OPT_MAX_VERSION:
			cfg->max_version = int_arg("--max-version", optarg,
			    SIM_MIN_MAX_VERSION, SIM_MAX_MAX_VERSION);
			break;
		case OPT_LOGIN_DELAY:
			cfg->login_delay = int_arg("--login-delay", optarg, 0,
			    SIM_MAX_LOGIN_DELAY);
			break;
		case OPT_FAULT:
			if (sim_fault_parse(optarg, &cfg->fault, &err) < 0)
				errx(EX_USAGE, "--fault: %s", err.msg);
			break;
		case OPT_SLOW_MS:
			cfg->slow_ms = int_arg("--slow-ms", optarg, 0, SIM_MAX_SLOW_MS);
			break;
		case OPT_CLIENT_IDS:
			if (sim_parse_client_ids(optarg, cfg->client_ids_in_use,
			    &cfg->n_client_ids, &err) < 0)
				errx(EX_USAGE, "--client-ids-in-use: %s", err.msg);
			break;
		case OPT_ACCOUNTS:
			str_arg("--accounts", optarg, cfg->accounts,
			    sizeof(cfg->accounts));
			break;
		case OPT_SEED:
			if (cfg_long("--seed", optarg, 0, LONG_MAX, &seed, &err) < 0)
				errx(EX_USAGE, "%s", err.msg);
			cfg->seed = (uint64_t)seed;
			break;
		case OPT_TICK_MS:
			cfg->tick_ms = int_arg("--tick-ms", optarg, SIM_MIN_TICK_MS,
			    SIM_MAX_TICK_MS);
			break;
		case OPT_CONTROL:
			str_arg("--control", optarg, cfg->control_path,
			    sizeof(cfg->control_path));
			break;
		case OPT_LOG_LEVEL:
			if (gw_level_parse(optarg, &o->level) < 0)
				errx(EX_USAGE, "--log-level: '%s' is not one of debug, info, "
				    "warning, error, critical", quote(q, sizeof(q), optarg));
			break;
		case OPT_LOG_FORMAT:
			if (gw_log_format_parse(optarg, &o->format) < 0)
				errx(EX_USAGE, "--log-format: '%s' is not one of json, "
				    "text, auto", quote(q, sizeof(q), optarg));
			break;
		case 'n':
			o->check_only = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf(PROG " " VERSION "\n");
			exit(0);
		case ':':
			errx(EX_USAGE, "%s: missing value", quote(q, sizeof(q), flag));
		default:
			/* the wording of gw-probe, stack-init and discord-notify */
			if (optopt > 0 && optopt < 128 && optopt != '?' &&
			    strncmp(flag, "--", 2) != 0)
				errx(EX_USAGE, "-%c: unknown option (see --help)", optopt);
			if (optopt > 0 && strchr(flag, '=') != NULL)
				errx(EX_USAGE, "%s: this option takes no value",
				    quote(q, sizeof(q), flag));
			errx(EX_USAGE, "%s: unknown option (see --help)",
			    quote(q, sizeof(q), flag));
		}
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

int
main(int argc, char **argv)
{
	struct event *sigev[N_SIGNALS] = { NULL };
	struct ctx ctx = { NULL, NULL };
	struct gw_log *log = NULL;
	struct options opt;
	struct gw_err err;
	int rc = EX_SOFTWARE;
	size_t i;

	/* options -> config */
	parse_options(argc, argv, &opt);
	if (sim_config_check(&opt.cfg, &err) < 0)
		errx(EX_USAGE, "%s", err.msg);
	if (opt.check_only) {
		printf("configuration OK\n");
		return 0;
	}

	/* context, event base */
	log = gw_log_new(PROG, stdout, opt.level);
	ctx.base = event_base_new();
	if (log != NULL)
		gw_log_set_format(log, opt.format, STDOUT_FILENO);
	if (log == NULL || ctx.base == NULL) {
		fprintf(stderr, PROG ": cannot create the event loop\n");
		goto out;
	}

	/* signals */
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < N_SIGNALS; i++) {
		sigev[i] = evsignal_new(ctx.base, handled_signals[i], on_signal, &ctx);
		if (sigev[i] == NULL || evsignal_add(sigev[i], NULL) < 0) {
			fprintf(stderr, PROG ": cannot watch signal %d\n",
			    handled_signals[i]);
			goto out;
		}
	}

	/* modules */
	ctx.sim = sim_new(ctx.base, &opt.cfg, log, &err);
	if (ctx.sim == NULL) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		goto out;
	}
	if (sim_start(ctx.sim, &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		rc = EX_OSERR;
		goto out;
	}

	/* dispatch */
	event_base_dispatch(ctx.base);
	if (sim_failed(ctx.sim, &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		rc = EX_OSERR;
	} else {
		rc = 0;
	}

out:	/* free in reverse */
	sim_free(ctx.sim);
	for (i = N_SIGNALS; i-- > 0;)
		if (sigev[i] != NULL)
			event_free(sigev[i]);
	if (ctx.base != NULL)
		event_base_free(ctx.base);
	gw_log_free(log);
	return rc;
}
