/*
 * stack-init: a tiny init for the trading stack: start order with
 * readiness, restart policy, scheduled (DST-correct) restarts, PID-1
 * duties (reaping, signal forwarding, ordered shutdown) and a control
 * socket. See docs/stack-init.md. Control-socket bytes are untrusted.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "actions.h"
#include "cfg.h"
#include "clock.h"
#include "ctl.h"
#include "ctl_client.h"
#include "evsend.h"
#include "log.h"
#include "opt.h"
#include "outq.h"
#include "rundir.h"
#include "super.h"
#include "svcconf.h"
#include "usock.h"

#define PROG "stack-init"
#define VERSION "gwkit 0.1.0"
#define CTL_TIMEOUT 5.0		/* ctl: default deadline of the whole exchange */
#define OUT_CAP (256 * 1024)	/* bytes of output that may wait for a slow reader */
#define FLUSH_MS 2000		/* at exit, how long the rest may take */

struct opts {
	const char *config;
	char sock[USOCK_PATH_MAX + 1];
	char notify[USOCK_PATH_MAX + 1];
	enum gw_level notify_level;
	int no_notify;
	int check_only;
	int no_control;
	enum gw_level log_level;
	enum gw_log_format log_format;
	int ctl;		/* "ctl" mode */
	int ctl_force;		/* ctl login --force */
	const char *ctl_verb, *ctl_name;	/* ctl_name may be NULL */
	double ctl_timeout;	/* seconds for the whole exchange */
};

/* The signals stack-init handles (on_signal). */
static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1,
    SIGUSR2, SIGQUIT };
#define N_SIGS (sizeof(sigs) / sizeof(sigs[0]))

struct ctx {
	struct opts o;
	struct svcconf *conf;
	struct gw_log *log;
	struct event_base *base;
	struct super *sup;
	struct evsend *evs;
	struct ctl *ctl;		/* the control socket, NULL with --no-control */
	struct outq *out, *err;	/* our stdout and stderr, never blocking */
	FILE *logf;		/* the log's lines, into out */
	struct event *sig[N_SIGS];
	int exit_code;
	int stopping;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: stack-init [options] CONFIG.json      run the stack\n"
"       stack-init -n CONFIG.json              check the configuration\n"
"       stack-init ctl [--control PATH] [--timeout SECS] VERB [NAME]\n"
"                                              ask a running stack-init (ctl --help)\n"
"\n"
"  --control PATH     control socket (default $RUNTIME/init.sock)\n"
"  --no-control       no control socket\n"
"  --notify PATH      send own events to discord-notify (default $RUNTIME/notify.sock)\n"
"  --notify-level L   lowest level sent there (default warning)\n"
"  --no-notify        do not send events to discord-notify\n"
"  --log-level LEVEL  debug|info|warning|error|critical (LOG_LEVEL, default info)\n"
"  --log-format F     json|text|auto: own events as JSON lines or readable\n"
"                     lines; auto is text on a terminal (LOG_FORMAT, default auto)\n"
"  -n                 check the configuration, print \"configuration OK\"\n"
"  -h, --help; -V, --version\n"
"\n"
"exit: 0 all stopped cleanly, 64 usage, 69 ctl: no stack-init answering,\n"
"      70 internal error, 73 control socket unusable, 78 bad configuration;\n"
"      a critical service that went fatal gives its own exit code\n");
}

static void
ctl_usage(FILE *f)
{
	fprintf(f,
"usage: stack-init ctl [--control PATH] [--timeout SECS] VERB [NAME] [--force]\n"
"\n"
"  status [NAME]      every service, {\"ok\":true,\"services\":[...]}, or the\n"
"                     service NAME alone, {\"name\":NAME,\"state\":...,\"ok\":true}\n"
"  reload             read the configuration file again\n"
"  start NAME | stop NAME | restart NAME\n"
"  login NAME [--force] a fresh login of a gateway with \"ibc_log\" (a new\n"
"                     push to the phone); refused while a login is pending\n"
"                     unless --force\n"
"\n"
"  --control PATH     control socket (default $RUNTIME/init.sock)\n"
"  --timeout SECS     deadline of the whole exchange (default 5)\n"
"  -h, --help         this text\n"
"\n"
"The reply is one JSON object on one line on stdout; errors are also told\n"
"on stderr.\n"
"exit: 0 ok, 1 the request failed (\"ok\":false, e.g. an unknown service),\n"
"      75 ctl login refused: a login is pending (approve it, or --force),\n"
"      64 usage, 69 no answer (no stack-init at PATH, too many control\n"
"      clients, no reply within the deadline, a reply that is not JSON),\n"
"      70 internal error, 74 the reply cannot be written to stdout\n");
}

/* ---------- options ---------- */

/* What the option handlers fill in: the options, and what is decided
 * once all are read. */
struct optstate {
	struct opts *o;
	int stop;		/* -h or -V (opt_stop) */
	const char *prefix;	/* of messages: "" or "ctl: " */
	int have_sock, have_notify;
	const char *lvl, *nlvl, *fmt, *fmt_from;
};

static int
opt_control(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	struct optstate *st = ctx;

	(void)d;
	if (*arg == '\0' || strlen(arg) > USOCK_PATH_MAX)
		return gw_err_set(err, "%s--control: a socket path of 1..%d bytes",
		    st->prefix, USOCK_PATH_MAX);
	snprintf(st->o->sock, sizeof(st->o->sock), "%s", arg);
	st->have_sock = 1;
	return 0;
}

static int
opt_notify(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	struct optstate *st = ctx;

	(void)d;
	if (*arg == '\0' || strlen(arg) > USOCK_PATH_MAX)
		return gw_err_set(err, "--notify: a socket path of 1..%d bytes",
		    USOCK_PATH_MAX);
	snprintf(st->o->notify, sizeof(st->o->notify), "%s", arg);
	st->have_notify = 1;
	return 0;
}

static int
opt_log_format(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	struct optstate *st = ctx;

	(void)d;
	(void)err;
	st->fmt = arg;
	st->fmt_from = "--log-format";
	return 0;
}

/* A flag of struct opts (the generic handlers see struct optstate). */
static int
opt_opts_flag(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	struct optstate *st = ctx;

	return opt_flag(st->o, d, arg, err);
}

static int
opt_ctl_timeout(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	struct optstate *st = ctx;

	(void)d;
	return cfg_seconds("ctl: --timeout", arg, 0.001, 86400,
	    &st->o->ctl_timeout, err);
}

#define ARG required_argument
#define NOARG no_argument
#define OPTS(m) OPT_FIELD(struct opts, m)
#define STATE(m) OPT_FIELD(struct optstate, m)
static const struct opt_def main_opts[] = {
	{ "--control", 0, ARG, opt_control, 0, 0, 0, 0 },
	{ "--no-control", 0, NOARG, opt_opts_flag, OPTS(no_control), 0, 0 },
	{ "--log-level", 0, ARG, opt_ptr, STATE(lvl), 0, 0 },
	{ "--log-format", 0, ARG, opt_log_format, 0, 0, 0, 0 },
	{ "--notify", 0, ARG, opt_notify, 0, 0, 0, 0 },
	{ "--notify-level", 0, ARG, opt_ptr, STATE(nlvl), 0, 0 },
	{ "--no-notify", 0, NOARG, opt_opts_flag, OPTS(no_notify), 0, 0 },
	{ "--help", 'h', NOARG, opt_stop, STATE(stop), 0, 0 },
	{ "--version", 'V', NOARG, opt_stop, STATE(stop), 0, 0 },
	{ NULL, 'n', NOARG, opt_opts_flag, OPTS(check_only), 0, 0 },
};

static const struct opt_def ctl_opts[] = {
	{ "--control", 0, ARG, opt_control, 0, 0, 0, 0 },
	{ "--force", 0, NOARG, opt_opts_flag, OPTS(ctl_force), 0, 0 },
	{ "--timeout", 0, ARG, opt_ctl_timeout, 0, 0, 0, 0 },
	{ "--help", 'h', NOARG, opt_stop, STATE(stop), 0, 0 },
};

/* The options of set from argv (from optind on); a missing value, an
 * unknown option or a bad value exits 64. */
static void
parse_set(int argc, char **argv, const struct opt_set *set, struct optstate *st)
{
	struct gw_err e;

	st->prefix = set->prefix;
	switch (opt_parse(argc, argv, set, st, &e)) {
	case OPT_STOP:		/* --help, --version: print, exit 0 */
		if (st->stop == 'V')
			printf(PROG " " VERSION "\n");
		else if (st->prefix[0] != '\0')
			ctl_usage(stdout);
		else
			usage(stdout);
		exit(0);
	case 0:
		break;
	default:
		errx(EX_USAGE, "%s", e.msg);
	}
}

/* "ctl" mode: argv[0] is "ctl". Options may come before or after the
 * words (GNU getopt permutes). */
static void
parse_ctl(int argc, char **argv, struct optstate *st)
{
	static const struct opt_set set = { "", "ctl: ", "'",
	    "stack-init ctl --help", ctl_opts, sizeof(ctl_opts) / sizeof(ctl_opts[0]) };
	struct opts *o = st->o;
	char q[GW_QUOTE_MAX];
	int v, n;

	o->ctl = 1;
	o->ctl_timeout = CTL_TIMEOUT;
	optind = 0;	/* GNU: start over, permuting */
	parse_set(argc, argv, &set, st);
	n = argc - optind;
	if (n == 0)
		errx(EX_USAGE, "ctl: a verb is needed: " CTL_VERB_LIST
		    " (see stack-init ctl --help)");
	o->ctl_verb = argv[optind];
	o->ctl_name = n > 1 ? argv[optind + 1] : NULL;
	if ((v = ctl_verb_find(o->ctl_verb)) < 0) {
		gw_err_quote(q, sizeof(q), o->ctl_verb, strlen(o->ctl_verb));
		errx(EX_USAGE, "ctl: unknown verb '%s': one of " CTL_VERB_LIST
		    " (see stack-init ctl --help)", q);
	}
	if (n > 2 || (n == 2 && ctl_verbs[v].arg == CTL_NO_NAME))
		errx(EX_USAGE, "ctl %s: %s", o->ctl_verb, ctl_verbs[v].arg ==
		    CTL_NO_NAME ? "takes no service name" : "takes one service name");
	if (n == 1 && ctl_verbs[v].arg == CTL_NEEDS_NAME)
		errx(EX_USAGE, "ctl %s: a service name is needed", o->ctl_verb);
	if (o->ctl_force && strcmp(o->ctl_verb, "login") != 0)
		errx(EX_USAGE, "ctl %s: --force goes with login only", o->ctl_verb);
}

static void
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct opt_set set = { "+", "", "", "--help", main_opts,
	    sizeof(main_opts) / sizeof(main_opts[0]) };
	struct optstate st = { .o = o, .lvl = cfg_env_str("LOG_LEVEL", "info"),
	    .nlvl = "warning", .fmt = cfg_env_str("LOG_FORMAT", "auto"),
	    .fmt_from = "LOG_FORMAT" };
	char rd[900], q[GW_QUOTE_MAX];
	struct gw_err e;

	memset(o, 0, sizeof(*o));
	parse_set(argc, argv, &set, &st);
	if (gw_level_parse(st.lvl, &o->log_level) < 0) {
		gw_err_quote(q, sizeof(q), st.lvl, strlen(st.lvl));
		errx(EX_USAGE, "log level '%s' is not one of debug, info, warning, "
		    "error, critical", q);
	}
	if (gw_log_format_parse(st.fmt, &o->log_format) < 0) {
		gw_err_quote(q, sizeof(q), st.fmt, strlen(st.fmt));
		errx(EX_USAGE, "%s: '%s' is not one of json, text, auto",
		    st.fmt_from, q);
	}
	if (gw_level_parse(st.nlvl, &o->notify_level) < 0) {
		gw_err_quote(q, sizeof(q), st.nlvl, strlen(st.nlvl));
		errx(EX_USAGE, "--notify-level: '%s' is not one of debug, info, "
		    "warning, error, critical", q);
	}
	if (optind < argc && strcmp(argv[optind], "ctl") == 0)
		parse_ctl(argc - optind, argv + optind, &st);
	if (!st.have_sock || (!st.have_notify && !o->ctl)) {
		if (rundir_path(rd, sizeof(rd), &e) < 0)
			errx(EX_USAGE, "%s", e.msg);
		if (!st.have_sock && snprintf(o->sock, sizeof(o->sock), "%s/init.sock",
		    rd) >= (int)sizeof(o->sock))
			errx(EX_USAGE, "runtime directory too long for a socket path; "
			    "use --control");
		if (!st.have_notify && snprintf(o->notify, sizeof(o->notify),
		    "%s/notify.sock", rd) >= (int)sizeof(o->notify))
			o->no_notify = 1;	/* cannot be reached: do without */
	}
	if (o->ctl)
		return;
	if (optind + 1 != argc)
		errx(EX_USAGE, "give exactly one CONFIG.json (see --help)");
	o->config = argv[optind];
}

/* ---------- reload (SIGHUP and ctl reload) ---------- */

/* Re-read the configuration file and hand it to the supervisor. Returns
 * the summary (new reference), or NULL with err; errors are logged. */
static json_t *
reload(void *arg, struct gw_err *err)
{
	struct ctx *c = arg;
	struct svcconf *next;
	json_t *sum = NULL;
	struct gw_err e;

	if ((next = svcconf_load(c->o.config, &e)) == NULL) {
		if (strncmp(e.msg, c->o.config, strlen(c->o.config)) == 0)
			gw_err_set(err, "%s", e.msg);
		else
			gw_err_set(err, "%s: %s", c->o.config, e.msg);
	} else if (super_reload(c->sup, next, &sum, &e) < 0) {
		svcconf_free(next);	/* not now: nothing wrong with the file */
		gw_err_set(err, "reload: %s", e.msg);
		gw_log_event(c->log, GW_INFO, "init", "init.reload_refused", NULL,
		    "configuration not reloaded: %s", e.msg);
		return NULL;
	} else {
		return sum;
	}
	gw_log_event(c->log, GW_ERROR, "init", "init.reload_failed", NULL,
	    "configuration not reloaded: %s", err->msg);
	return NULL;
}

/* ---------- output ---------- */

/* The log writes whole lines through stdio (one fflush per line) into this
 * cookie: each call is one record for the queue. */
static ssize_t
log_cookie_write(void *arg, const char *buf, size_t len)
{
	outq_write(arg, buf, len);	/* a drop is counted and reported */
	return (ssize_t)len;
}

/* stdout and stderr as bounded queues that never block stack-init, and a
 * FILE for the log that writes into the stdout queue. */
static int
open_output(struct ctx *c, struct gw_err *err)
{
	static const cookie_io_functions_t io = { .write = log_cookie_write };

	if ((c->out = outq_new(c->base, 1, OUT_CAP, err)) == NULL ||
	    (c->err = outq_new(c->base, 2, OUT_CAP, err)) == NULL)
		return -1;
	outq_set_name(c->out, PROG);
	outq_set_name(c->err, PROG);
	if ((c->logf = fopencookie(c->out, "w", io)) == NULL ||
	    setvbuf(c->logf, NULL, _IOFBF, 65536) != 0)
		return gw_err_set(err, "cannot open the log stream");
	return 0;
}

/* At exit: FLUSH_MS in all for what waits, then give up on a stalled
 * reader. */
static void
flush_output(struct ctx *c)
{
	int64_t deadline = clock_mono_ms() + FLUSH_MS;

	outq_flush(c->out, FLUSH_MS);
	outq_flush(c->err, (int)clock_ms_left(deadline));
}

/* ---------- signals ---------- */

static void
on_down(void *arg)
{
	struct ctx *c = arg;

	c->exit_code = super_exit_code(c->sup);
	gw_log_event(c->log, GW_INFO, "init", "init.exit", json_pack("{s:i}",
	    "code", c->exit_code), "all services down; exiting with %d", c->exit_code);
	event_base_loopexit(c->base, NULL);
}

static void
begin_shutdown(struct ctx *c)
{
	if (c->stopping)
		return;
	c->stopping = 1;
	ctl_stop_listening(c->ctl);
	super_shutdown(c->sup, on_down, c);
}

/* Shutdown, before the notifier service is signalled: the alerts that
 * wait get FLUSH_MS to reach it. */
static void
hold_for_alerts(void *arg, void (*resume)(void *), void *rarg)
{
	struct ctx *c = arg;

	evsend_flush(c->evs, FLUSH_MS, resume, rarg);
}

static void
on_critical(void *arg)
{
	begin_shutdown(arg);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ctx *c = arg;
	struct gw_err e;

	(void)what;
	if (sig == SIGCHLD) {
		super_reap(c->sup);
		return;
	}
	switch (svcconf_signal_action(super_config(c->sup), (int)sig)) {
	case SVC_SIG_SHUTDOWN:
		gw_log_event(c->log, GW_INFO, "init", "init.signal", NULL,
		    "SIG%s: ordered shutdown", sigabbrev_np((int)sig));
		begin_shutdown(c);
		break;
	case SVC_SIG_FORWARD:
		gw_log_event(c->log, GW_DEBUG, "init", "init.signal", NULL,
		    "SIG%s: forwarded", sigabbrev_np((int)sig));
		super_forward(c->sup, (int)sig);
		break;
	case SVC_SIG_RELOAD:
		gw_log_event(c->log, GW_INFO, "init", "init.signal", NULL,
		    "SIG%s: reloading %s", sigabbrev_np((int)sig), c->o.config);
		json_decref(reload(c, &e));
		break;
	case SVC_SIG_IGNORE:
		gw_log_event(c->log, GW_DEBUG, "init", "init.signal", NULL,
		    "SIG%s: ignored (configured)", sigabbrev_np((int)sig));
		break;
	}
}

/* ---------- the phases of main ---------- */

/* fds 0-2 must be open: a closed one would be taken by the first
 * descriptor we open (the event loop's) and written to as output. */
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

/* The configuration file; dies (78) when it is not right. */
static void
configure(struct ctx *c)
{
	struct gw_err e;

	if ((c->conf = svcconf_load(c->o.config, &e)) == NULL) {
		/* syntax errors carry "PATH:LINE:COL"; name the file for the rest */
		if (strncmp(e.msg, c->o.config, strlen(c->o.config)) == 0)
			errx(EX_CONFIG, "%s", e.msg);
		errx(EX_CONFIG, "%s: %s", c->o.config, e.msg);
	}
}

/* Context: PID-1 duties, the event base, our output and log, signals. */
static void
open_context(struct ctx *c)
{
	struct gw_err e;
	size_t i;

	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		errx(EX_SOFTWARE, "cannot become a child subreaper: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	c->exit_code = EX_SOFTWARE;
	if ((c->base = event_base_new()) == NULL)
		errx(EX_SOFTWARE, "cannot set up the event loop");
	if (open_output(c, &e) < 0)
		errx(EX_SOFTWARE, "output: %s", e.msg);
	if ((c->log = gw_log_new(PROG, c->logf, c->o.log_level)) == NULL)
		errx(EX_SOFTWARE, "cannot set up the log");
	/* the log's stream is a cookie over our stdout queue: ask fd 1 */
	gw_log_set_format(c->log, c->o.log_format, STDOUT_FILENO);
	for (i = 0; i < N_SIGS; i++) {
		c->sig[i] = evsignal_new(c->base, sigs[i], on_signal, c);
		if (c->sig[i] == NULL || evsignal_add(c->sig[i], NULL) < 0)
			errx(EX_SOFTWARE, "cannot handle signal %d", sigs[i]);
	}
}

/* Modules: alerts to discord-notify, the supervisor and its restart
 * actions, the control socket. */
static void
open_modules(struct ctx *c)
{
	struct gw_err e;
	char rd[1024];

	if (!c->o.no_notify) {
		if ((c->evs = evsend_new(c->base, c->o.notify, c->o.notify_level,
		    &e)) == NULL)
			errx(EX_USAGE, "--notify: %s", e.msg);
		gw_log_set_sink(c->log, evsend_line, c->evs);
	}
	if ((c->sup = super_new(c->base, c->conf, c->log, &e)) == NULL)
		errx(EX_SOFTWARE, "%s", e.msg);
	c->conf = NULL;	/* the supervisor's now */
	if (actions_register(c->sup, c->base, &e) < 0)
		errx(EX_SOFTWARE, "%s", e.msg);
	super_on_critical(c->sup, on_critical, c);
	super_on_hold(c->sup, hold_for_alerts, c);
	super_set_output(c->sup, c->out, c->err);
	if (!c->o.no_control) {
		if (rundir_path(rd, sizeof(rd), &e) == 0 &&
		    strncmp(c->o.sock, rd, strlen(rd)) == 0 &&
		    rundir_ensure(rd, sizeof(rd), &e) < 0)
			errx(EX_CANTCREAT, "%s", e.msg);
		if ((c->ctl = ctl_new(c->base, c->o.sock, c->sup, c->log, reload, c,
		    &e)) == NULL)
			errx(EX_CANTCREAT, "--control: %s", e.msg);
	}
}

/* The services start: first the children we inherited that already
 * exited are reaped. */
static void
start(struct ctx *c)
{
	size_t n = super_config(c->sup)->n;

	gw_log_event(c->log, GW_INFO, "init", "init.started", json_pack("{s:i, s:i, s:s?}",
	    "services", (int)n, "pid", (int)getpid(), "control",
	    c->o.no_control ? NULL : c->o.sock), "supervising %zu service%s from %s",
	    n, n == 1 ? "" : "s", c->o.config);
	super_reap(c->sup);
	super_start(c->sup);
}

/* Free in reverse; the output that waits gets FLUSH_MS to go out. */
static void
teardown(struct ctx *c)
{
	size_t i;

	ctl_free(c->ctl);
	super_free(c->sup);
	gw_log_set_sink(c->log, NULL, NULL);
	evsend_free(c->evs);
	for (i = 0; i < N_SIGS; i++)
		event_free(c->sig[i]);
	gw_log_free(c->log);
	fclose(c->logf);
	flush_output(c);
	outq_free(c->out);
	outq_free(c->err);
	event_base_free(c->base);
	svcconf_free(c->conf);
}

/* ---------- main ---------- */

int
main(int argc, char **argv)
{
	struct ctx c;

	if (std_fds_open() < 0)
		return EX_SOFTWARE;
	memset(&c, 0, sizeof(c));

	/* options; the client mode ctl */
	parse_options(argc, argv, &c.o);
	if (c.o.ctl)
		return ctl_client_run(c.o.sock, c.o.ctl_verb, c.o.ctl_name,
		    c.o.ctl_force, c.o.ctl_timeout, stdout, warnx);

	/* configuration (-n stops here) */
	configure(&c);
	if (c.o.check_only) {
		printf("configuration OK\n");
		svcconf_free(c.conf);
		return 0;
	}

	/* context, event base, signals; modules */
	open_context(&c);
	open_modules(&c);

	/* dispatch */
	start(&c);
	event_base_dispatch(c.base);

	/* free in reverse */
	teardown(&c);
	return c.exit_code;
}
