/*
 * gw-probe: API-level readiness verdict for a TWS API gateway endpoint.
 * One attempt (or --wait: retries until ready, cheap failures polled fast
 * and costly ones backed off, lib/gwretry.h), one line or JSON per
 * reported attempt, the verdict as the exit code. See docs/gw-probe.md.
 * Input: the command line and environment (untrusted: every value is
 * checked) and the gateway's bytes (decoded in lib/, untrusted).
 */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <jansson.h>

#include "cfg.h"
#include "clock.h"
#include "gwretry.h"
#include "opt.h"
#include "probe.h"

#define GWKIT_VERSION "0.1.0"
/* Fixed and distinct from bot-core's CLIENT_ID (default 1). */
#define PROBE_DEFAULT_CLIENT_ID 917
#define MIN_ATTEMPT_S 0.05

struct opts {
	int stop;		/* -h or -V (opt_stop) */
	char host[256];
	long port;
	long client_id;
	double timeout;
	int wait;
	double retry_interval;
	double retry_cap;
	double fast_poll;	/* 0 (off: the old policy) or 0.05..60 */
	long max_retries;
	double startup_timeout;
	int heartbeat;
	int json;
	int quiet;
	int check_only;
	const char *max_retries_from;	/* the setting that gave max_retries */
	const char *host_arg;	/* --host as given; NULL: none */
	long port_arg;		/* --port as given; 0: none */
};

struct ctx {
	struct opts o;
	struct event_base *base;
	struct probe *probe;
	struct event *retry_timer;
	struct event *sig_int, *sig_term;
	struct gwretry retry;
	int64_t start_ns;	/* clock_mono_ns() at start */
	long attempts;		/* all attempts, cheap and costly */
	int exit_code;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: gw-probe [options]\n"
"Tell whether a TWS API gateway is usable now (API-level, not just TCP).\n"
"\n"
"  --host H[:P]          gateway host, [IPv6]:P too (GATEWAY_HOST, default 127.0.0.1)\n"
"  --port P              gateway port (GATEWAY_PORT, default 4002)\n"
"  --client-id N         API client id for the probe (default %d)\n"
"  --timeout S           per-attempt deadline in seconds (default 5)\n"
"  --heartbeat           also require one reqCurrentTime round trip\n"
"  --wait                retry until ready:\n"
"    --fast-poll S       delay after unreachable/relay-closed (GATEWAY_FAST_POLL,\n"
"                        default 0.1; 0 = off: every failure backs off)\n"
"    --retry-interval S  first delay after a costly failure\n"
"                        (GATEWAY_RETRY_INTERVAL, default 5)\n"
"    --retry-cap S       delay cap (GATEWAY_RETRY_CAP, default 30)\n"
"    --max-retries N     costly attempts at most (GATEWAY_MAX_RETRIES, default 30)\n"
"    --startup-timeout S total budget (GATEWAY_STARTUP_TIMEOUT, default 300)\n"
"  --json                one JSON object per attempt\n"
"  -q, --quiet           no output (stderr too); the exit code says it all\n"
"  -n                    check the configuration and exit\n"
"  -h, --help            this help\n"
"  -V, --version         print the version\n"
"\n"
"exit: 0 ready, 10 unreachable, 11 relay-closed, 12 handshake-timeout,\n"
"      13 not-logged-in, 14 client-id-in-use, 15 upstream-down, 16 not-api,\n"
"      64 usage\n",
	    PROBE_DEFAULT_CLIENT_ID);
}

static const char *
quoted(char *buf, size_t sz, const char *s)
{
	gw_err_quote(buf, sz, s, strlen(s));
	return buf;
}

static _Noreturn void
die_usage(const struct gw_err *e)
{
	warnx("%s", e->msg);
	exit(EX_USAGE);
}

/*
 * The command line is one table: a row per option, with the handler that
 * takes its value and, for the generic handlers, the field and range it
 * sets. A handler returns -1 with the one-line message in err: exit 64.
 */
#define FIELD(m) OPT_FIELD(struct opts, m)

/* --max-retries also names itself in the give-up message. */
static int
opt_max_retries(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	struct opts *o = ctx;

	o->max_retries_from = d->flag;
	return opt_long(o, d, v, e);
}

/* --fast-poll: 0 (off) or GWRETRY_FAST_MIN..MAX, the error naming the
 * flag (the same rule as GATEWAY_FAST_POLL). */
static int
opt_fast_poll(void *ctx, const struct opt_def *d, const char *v,
    struct gw_err *e)
{
	struct opts *o = ctx;

	return gwretry_parse_fast(d->flag, v, &o->fast_poll, e);
}

/* --help or --version (opt_stop): print it, exit 0. */
static _Noreturn void
stop_option(int letter)
{
	if (letter == 'h')
		usage(stdout);
	else
		printf("gw-probe gwkit %s\n", GWKIT_VERSION);
	exit(0);
}

#define ARG required_argument
#define NOARG no_argument
static const struct opt_def optdefs[] = {
	{ "--host", 0, ARG, opt_ptr, FIELD(host_arg), 0, 0 },
	{ "--port", 0, ARG, opt_long, FIELD(port_arg), 1, 65535 },
	{ "--client-id", 0, ARG, opt_long, FIELD(client_id), 0, 2147483647 },
	{ "--timeout", 0, ARG, opt_seconds, FIELD(timeout), 0.001, 86400 },
	{ "--wait", 0, NOARG, opt_flag, FIELD(wait), 0, 0 },
	{ "--retry-interval", 0, ARG, opt_seconds, FIELD(retry_interval), 0.01,
	    86400 },
	{ "--retry-cap", 0, ARG, opt_seconds, FIELD(retry_cap), 0.01, 86400 },
	{ "--fast-poll", 0, ARG, opt_fast_poll, FIELD(fast_poll), 0, 0 },
	{ "--max-retries", 0, ARG, opt_max_retries, FIELD(max_retries), 1,
	    1000000 },
	{ "--startup-timeout", 0, ARG, opt_seconds, FIELD(startup_timeout),
	    0.001, 31536000 },
	{ "--heartbeat", 0, NOARG, opt_flag, FIELD(heartbeat), 0, 0 },
	{ "--json", 0, NOARG, opt_flag, FIELD(json), 0, 0 },
	{ "--quiet", 'q', NOARG, opt_flag, FIELD(quiet), 0, 0 },
	{ NULL, 'n', NOARG, opt_flag, FIELD(check_only), 0, 0 },
	{ "--help", 'h', NOARG, opt_stop, FIELD(stop), 0, 0 },
	{ "--version", 'V', NOARG, opt_stop, FIELD(stop), 0, 0 },
};
#define N_OPTDEFS (sizeof(optdefs) / sizeof(optdefs[0]))
static const struct opt_set optset = { "", "", "", "--help", optdefs,
    N_OPTDEFS };

/* The endpoint: host[:port]. A flag overrides the environment (--port
 * beats a port in GATEWAY_HOST, a port in --host beats GATEWAY_PORT); two
 * settings of one level that disagree are an error. */
static void
resolve_endpoint(struct opts *o, long env_port)
{
	const char *host_from = o->host_arg != NULL ? "--host" : "GATEWAY_HOST";
	const char *host = o->host_arg;
	long host_port, flag_port = o->port_arg;
	struct gw_err e;
	char q[GW_QUOTE_MAX];

	if (host == NULL)
		host = cfg_env_str("GATEWAY_HOST", "127.0.0.1");
	if (host[0] == '\0' || strlen(host) > 253) {
		gw_err_set(&e, "%s: must be 1..253 characters", host_from);
		die_usage(&e);
	}
	if (cfg_endpoint(host_from, host, o->host, sizeof(o->host), &host_port,
	    &e) < 0)
		die_usage(&e);
	if (host_port != 0 && flag_port != 0 && host_port != flag_port &&
	    strcmp(host_from, "--host") == 0) {
		gw_err_set(&e, "--host '%s' says port %ld but --port says %ld",
		    quoted(q, sizeof(q), host), host_port, flag_port);
		die_usage(&e);
	}
	if (host_port != 0 && flag_port == 0 && env_port != 0 &&
	    host_port != env_port && strcmp(host_from, "GATEWAY_HOST") == 0) {
		gw_err_set(&e, "GATEWAY_HOST '%s' says port %ld but GATEWAY_PORT "
		    "says %ld", quoted(q, sizeof(q), host), host_port, env_port);
		die_usage(&e);
	}
	o->port = flag_port != 0 ? flag_port : host_port != 0 ? host_port :
	    env_port != 0 ? env_port : 4002;
}

/* Environment first, then flags override. Exits 64 on any bad value. */
static void
parse_options(int argc, char **argv, struct opts *o)
{
	char q[GW_QUOTE_MAX];
	long env_port = 0;
	struct gw_err e;

	memset(o, 0, sizeof(*o));
	o->max_retries_from = "GATEWAY_MAX_RETRIES";
	o->client_id = PROBE_DEFAULT_CLIENT_ID;
	o->timeout = 5;
	if (cfg_env_long("GATEWAY_PORT", 0, 1, 65535, &env_port, &e) < 0 ||
	    cfg_env_seconds("GATEWAY_RETRY_CAP", 30, 0.01, 86400,
	    &o->retry_cap, &e) < 0 ||
	    cfg_env_seconds("GATEWAY_RETRY_INTERVAL", 5, 0.01, 86400,
	    &o->retry_interval, &e) < 0 ||
	    cfg_env_long("GATEWAY_MAX_RETRIES", 30, 1, 1000000, &o->max_retries,
	    &e) < 0 ||
	    cfg_env_seconds("GATEWAY_STARTUP_TIMEOUT", 300, 0.001, 31536000,
	    &o->startup_timeout, &e) < 0 ||
	    gwretry_env_fast("GATEWAY_FAST_POLL", GWRETRY_FAST_DEFAULT,
	    &o->fast_poll, &e) < 0)
		die_usage(&e);

	switch (opt_parse(argc, argv, &optset, o, &e)) {
	case OPT_STOP:
		stop_option(o->stop);
	case 0:
		break;
	default:
		die_usage(&e);
	}
	if (optind < argc) {
		gw_err_set(&e, "'%s': unexpected argument (see --help)",
		    quoted(q, sizeof(q), argv[optind]));
		die_usage(&e);
	}
	resolve_endpoint(o, env_port);
}

static double
elapsed_s(int64_t t0_ns)
{
	return clock_since_ms(t0_ns) / 1e3;
}

/* What --wait adds to an attempt's output. */
struct wait_info {
	double next;		/* delay before the next attempt; -1: none */
	const char *gave_up;	/* why the last attempt is the last, or NULL */
	long suppressed;	/* attempts not shown since the last line */
};

/* Fast polling off is the policy gwkit had before, in full: every failure
 * backs off, counts against --max-retries and has its line. */
static int
fast_on(const struct ctx *c)
{
	return c->o.fast_poll > 0;
}

/* The attempts --max-retries bounds. */
static long
counted_attempts(const struct ctx *c)
{
	return fast_on(c) ? c->retry.costly : c->attempts;
}

static void
report_json(struct ctx *c, const struct probe_result *r,
    const struct wait_info *w)
{
	json_t *o = probe_result_json(r);
	char *s;

	if (o != NULL && c->o.wait) {
		json_object_set_new(o, "attempt", json_integer(c->attempts));
		json_object_set_new(o, "max_attempts", json_integer(c->o.max_retries));
		json_object_set_new(o, "costly_attempts",
		    json_integer(c->retry.costly));
		json_object_set_new(o, "suppressed", json_integer(w->suppressed));
		json_object_set_new(o, "next_attempt_s", w->next < 0 ?
		    json_null() : json_real(w->next));
		json_object_set_new(o, "gave_up", w->gave_up == NULL ?
		    json_null() : json_string(w->gave_up));
	}
	s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_REAL_PRECISION(6)) : NULL;
	if (s != NULL)
		printf("%s\n", s);
	else	/* never a silent empty output */
		printf("{\"verdict\":\"%s\",\"error\":\"cannot encode the result\"}\n",
		    tws_verdict_name(r->verdict));
	free(s);
	json_decref(o);
}

/* The human line; under --wait a failed attempt that is not the last says
 * its number and the delay, and any line says how many attempts before it
 * went unshown (docs/gw-probe.md OUTPUT). */
static void
report_text(struct ctx *c, const struct probe_result *r,
    const struct wait_info *w)
{
	char line[1024], more[64] = "";

	probe_result_line(r, line, sizeof(line));
	if (w->suppressed > 0)
		snprintf(more, sizeof(more), " (%ld earlier attempt%s not shown)",
		    w->suppressed, w->suppressed == 1 ? "" : "s");
	if (!c->o.wait || w->next < 0)
		printf("%s%s\n", line, more);
	else if (fast_on(c))
		printf("%s; attempt %ld (%ld costly of %ld), next in %g s%s\n",
		    line, c->attempts, c->retry.costly, c->o.max_retries,
		    w->next, more);
	else
		printf("%s; attempt %ld/%ld, next in %g s%s\n", line,
		    c->attempts, c->o.max_retries, w->next, more);
	fflush(stdout);
	if (w->gave_up != NULL)
		warnx("%s", w->gave_up);
}

static void
report(struct ctx *c, const struct probe_result *r, const struct wait_info *w)
{
	if (c->o.quiet)
		return;
	if (c->o.json)
		report_json(c, r, w);
	else
		report_text(c, r, w);
	fflush(stdout);
}

/* After a failed --wait attempt with verdict v (counted here): the delay
 * before the next one in w->next, or -1 and why not in w->gave_up (buf). */
static void
plan_retry(struct ctx *c, enum tws_verdict v, struct wait_info *w,
    char *buf, size_t bufsz)
{
	double left, delay = gwretry_next(&c->retry, v);
	long n = counted_attempts(c);

	w->next = -1;
	if (n >= c->o.max_retries) {
		snprintf(buf, bufsz, "giving up after %ld %sattempt%s (%s)", n,
		    fast_on(c) ? "costly " : "", n == 1 ? "" : "s",
		    c->o.max_retries_from);
		w->gave_up = buf;
		return;
	}
	/* Retry only if an attempt still fits in the budget after the delay
	 * (MIN_ATTEMPT_S: shorter attempts could not succeed). This bounds
	 * the cheap attempts, which --max-retries does not count. */
	left = c->o.startup_timeout - elapsed_s(c->start_ns);
	if (left - delay < MIN_ATTEMPT_S) {
		snprintf(buf, bufsz, "giving up: startup timeout %g s spent after "
		    "%ld attempt%s", c->o.startup_timeout, c->attempts,
		    c->attempts == 1 ? "" : "s");
		w->gave_up = buf;
		return;
	}
	w->next = delay;
}

/* Whether this --wait attempt gets its line (gwretry_report's rule), with
 * how many went unshown before it in w->suppressed. The last attempt is
 * always shown; a ready one is never cheap, so gwretry_report says yes. */
static int
should_show(struct ctx *c, enum tws_verdict v, struct wait_info *w)
{
	int say;

	if (!fast_on(c))
		return 1;
	say = gwretry_report(&c->retry, v, clock_mono_ms(), &w->suppressed);
	if (say)
		return 1;
	if (w->next >= 0)
		return 0;
	/* a last cheap attempt gwretry_report would not show: it counted
	 * this one among the unshown */
	w->suppressed--;
	return 1;
}

static void start_attempt(struct ctx *c);

static void
on_result(struct probe *p, const struct probe_result *r, void *arg)
{
	struct ctx *c = arg;
	struct wait_info w = { -1, NULL, 0 };
	char gave_up[160];
	int show = 1;

	(void)p;
	c->exit_code = probe_exit_code(r->verdict);
	if (c->o.wait) {
		if (r->verdict != TWS_READY)
			plan_retry(c, r->verdict, &w, gave_up, sizeof(gave_up));
		show = should_show(c, r->verdict, &w);
	}
	if (show)
		report(c, r, &w);
	if (w.next < 0) {
		event_base_loopexit(c->base, NULL);
		return;
	}
	struct timeval tv = { (time_t)w.next,
	    (suseconds_t)((w.next - (double)(time_t)w.next) * 1e6) };
	evtimer_add(c->retry_timer, &tv);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	start_attempt(arg);
}

static void
start_attempt(struct ctx *c)
{
	struct gw_err e;
	int budget_ms = 0;

	c->attempts++;
	if (c->o.wait) {	/* never run past --startup-timeout */
		/* 64-bit: a budget of up to a year in ms does not fit an int;
		 * one above INT_MAX ms caps nothing (an attempt is <= 1 day). */
		int64_t left = (int64_t)((c->o.startup_timeout -
		    elapsed_s(c->start_ns)) * 1000);

		budget_ms = left > INT_MAX ? 0 : left < 1 ? 1 : (int)left;
	}
	if (probe_start(c->probe, budget_ms, &e) < 0) {
		warnx("%s", e.msg);
		c->exit_code = EX_SOFTWARE;
		event_base_loopexit(c->base, NULL);
	}
}

/* libevent's own messages ("Nameserver ... has failed") go through the
 * program's stderr line, prefixed; -q installs the silent pair. libevent
 * takes plain function pointers, so the choice is the function itself. */
static void
libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_MSG)
		warnx("libevent: %s", msg);
}

static void
libevent_log_quiet(int severity, const char *msg)
{
	(void)severity;
	(void)msg;
}

/* evdns hands its debug lines to a log function too (is_warning 0):
 * only its warnings ("Nameserver ... has failed") are worth a line. */
static void
evdns_log(int is_warning, const char *msg)
{
	if (is_warning)
		warnx("libevent: %s", msg);
}

static void
evdns_log_quiet(int is_warning, const char *msg)
{
	(void)is_warning;
	(void)msg;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ctx *c = arg;

	(void)what;
	c->exit_code = 128 + (int)sig;
	/* Lines were rate-limited: say how far the wait got, so that a
	 * Ctrl-C does not hide the attempts that went unshown. */
	if (c->o.wait && !c->o.quiet && c->attempts > 0)
		warnx("stopped by %s after %ld attempt%s (%ld costly, %ld not "
		    "shown)", sig == SIGINT ? "SIGINT" : "SIGTERM", c->attempts,
		    c->attempts == 1 ? "" : "s", c->retry.costly,
		    c->retry.suppressed);
	event_base_loopexit(c->base, NULL);
}

/* The per-attempt deadline (each --wait attempt is further capped by what
 * the total budget leaves, in start_attempt). */
static struct probe_config
probe_config_from(const struct opts *o)
{
	struct probe_config pc;
	int ms = (int)(o->timeout * 1000);

	if (ms < 1)
		ms = 1;
	memset(&pc, 0, sizeof(pc));
	pc.session.host = o->host;
	pc.session.port = (int)o->port;
	pc.session.client_id = (int)o->client_id;
	pc.session.connect_timeout_ms = ms;
	pc.session.version_timeout_ms = ms;
	pc.session.ready_timeout_ms = ms;
	pc.session.total_timeout_ms = ms;
	pc.heartbeat = o->heartbeat;
	pc.heartbeat_timeout_ms = ms;
	return pc;
}

/* The probe's configuration from the options: exits 64 when it is bad,
 * 0 after "configuration OK" for -n. */
static void
check_config(const struct opts *o, struct probe_config *pc)
{
	struct gw_err e;

	*pc = probe_config_from(o);
	if (tws_session_config_check(&pc->session, &e) < 0)
		die_usage(&e);
	if (o->check_only) {
		printf("configuration OK\n");
		exit(0);
	}
}

/* libevent's and evdns's own messages: prefixed lines, or none with -q. */
static void
route_libevent_logs(int quiet)
{
	event_set_log_callback(quiet ? libevent_log_quiet : libevent_log);
	evdns_set_log_fn(quiet ? evdns_log_quiet : evdns_log);
}

/* The event base, SIGINT and SIGTERM as events, the retry timer; -1 after
 * a message. */
static int
open_loop(struct ctx *c)
{
	struct gwretry_policy pol = { c->o.fast_poll, c->o.retry_interval,
		c->o.retry_cap };

	signal(SIGPIPE, SIG_IGN);
	c->start_ns = clock_mono_ns();
	gwretry_init(&c->retry, &pol);
	if ((c->base = event_base_new()) == NULL) {
		warnx("cannot create the event loop");
		return -1;
	}
	c->sig_int = evsignal_new(c->base, SIGINT, on_signal, c);
	c->sig_term = evsignal_new(c->base, SIGTERM, on_signal, c);
	c->retry_timer = evtimer_new(c->base, on_retry, c);
	if (c->sig_int == NULL || c->sig_term == NULL || c->retry_timer == NULL ||
	    evsignal_add(c->sig_int, NULL) < 0 ||
	    evsignal_add(c->sig_term, NULL) < 0) {
		warnx("cannot set up signals and timers");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct probe_config pc;
	struct gw_err e;
	struct ctx c;

	/* options -> config (-n stops here) */
	memset(&c, 0, sizeof(c));
	parse_options(argc, argv, &c.o);
	check_config(&c.o, &pc);

	/* logging of libevent itself, before it can say anything */
	route_libevent_logs(c.o.quiet);

	/* context, event base, signals */
	c.exit_code = EX_SOFTWARE;
	if (open_loop(&c) < 0)
		return EX_SOFTWARE;

	/* modules */
	c.probe = probe_new(c.base, NULL, &pc, on_result, &c, &e);
	if (c.probe == NULL) {
		warnx("%s", e.msg);
		return EX_USAGE;
	}

	/* dispatch */
	start_attempt(&c);
	event_base_dispatch(c.base);

	/* free in reverse; one more loop turn runs the deferred callback of a
	 * cancelled name lookup so that it can free its request */
	probe_free(c.probe);
	event_base_loop(c.base, EVLOOP_NONBLOCK);
	event_free(c.retry_timer);
	event_free(c.sig_term);
	event_free(c.sig_int);
	event_base_free(c.base);
	return c.exit_code;
}
