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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "cfg.h"
#include "evsend.h"
#include "log.h"
#include "outq.h"
#include "rundir.h"
#include "super.h"
#include "svcconf.h"
#include "usock.h"

#define PROG "stack-init"
#define VERSION "gwkit 0.1.0"
#define EXIT_USAGE 64
#define EXIT_UNAVAILABLE 69
#define EXIT_SOFTWARE 70
#define EXIT_CANTCREAT 73
#define EXIT_CONFIG 78
#define CTL_LINE_MAX 1024
#define OUT_CAP (256 * 1024)	/* bytes of output that may wait for a slow reader */
#define FLUSH_MS 2000		/* at exit, how long the rest may take */
#define MAX_CTL_CLIENTS 32

struct opts {
	const char *config;
	char sock[USOCK_PATH_MAX + 1];
	char notify[USOCK_PATH_MAX + 1];
	enum gw_level notify_level;
	int no_notify;
	int check_only;
	int no_control;
	enum gw_level log_level;
	char **ctl_argv;	/* "ctl" mode: the command words */
	int ctl_argc;
};

struct ctx {
	struct opts o;
	struct svcconf *conf;
	struct gw_log *log;
	struct event_base *base;
	struct super *sup;
	struct evsend *evs;
	struct evconnlistener *lis;
	struct outq *out, *err;	/* our stdout and stderr, never blocking */
	FILE *logf;		/* the log's lines, into out */
	size_t n_ctl;
	struct event *sig[7];
	int exit_code;
	int stopping;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: stack-init [options] CONFIG.json      run the stack\n"
"       stack-init -n CONFIG.json              check the configuration\n"
"       stack-init ctl status | reload | start NAME | stop NAME | restart NAME\n"
"\n"
"  --control PATH     control socket (default $RUNTIME/init.sock)\n"
"  --no-control       no control socket\n"
"  --notify PATH      send own events to discord-notify (default $RUNTIME/notify.sock)\n"
"  --notify-level L   lowest level sent there (default warning)\n"
"  --no-notify        do not send events to discord-notify\n"
"  --log-level LEVEL  debug|info|warning|error|critical (LOG_LEVEL, default info)\n"
"  -n                 check the configuration, print \"configuration OK\"\n"
"  -h, --help; -V, --version\n"
"\n"
"exit: 0 all stopped cleanly, 64 usage, 69 ctl: no stack-init answering,\n"
"      70 internal error, 73 control socket unusable, 78 bad configuration;\n"
"      a critical service that went fatal gives its own exit code\n");
}

static void
parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "no-control", no_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "notify", required_argument, NULL, 'N' },
		{ "notify-level", required_argument, NULL, 'l' },
		{ "no-notify", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *lvl = cfg_env_str("LOG_LEVEL", "info"), *nlvl = "warning";
	char rd[900], q[64];
	struct gw_err e;
	int ch, have_sock = 0, have_notify = 0;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:nhV", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (*optarg == '\0' || strlen(optarg) > USOCK_PATH_MAX)
				errx(EXIT_USAGE, "--control: a socket path of 1..%d bytes",
				    USOCK_PATH_MAX);
			snprintf(o->sock, sizeof(o->sock), "%s", optarg);
			have_sock = 1;
			break;
		case 'C': o->no_control = 1; break;
		case 'N':
			if (*optarg == '\0' || strlen(optarg) > USOCK_PATH_MAX)
				errx(EXIT_USAGE, "--notify: a socket path of 1..%d bytes",
				    USOCK_PATH_MAX);
			snprintf(o->notify, sizeof(o->notify), "%s", optarg);
			have_notify = 1;
			break;
		case 'l': nlvl = optarg; break;
		case 'O': o->no_notify = 1; break;
		case 'L': lvl = optarg; break;
		case 'n': o->check_only = 1; break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf(PROG " " VERSION "\n");
			exit(0);
		case ':':
			errx(EXIT_USAGE, "%s: missing value", argv[optind - 1]);
		default:
			gw_err_quote(q, sizeof(q), argv[optind - 1], strlen(argv[optind - 1]));
			errx(EXIT_USAGE, "%s: unknown option (see --help)", q);
		}
	}
	if (gw_level_parse(lvl, &o->log_level) < 0) {
		gw_err_quote(q, sizeof(q), lvl, strlen(lvl));
		errx(EXIT_USAGE, "log level '%s' is not one of debug, info, warning, "
		    "error, critical", q);
	}
	if (gw_level_parse(nlvl, &o->notify_level) < 0) {
		gw_err_quote(q, sizeof(q), nlvl, strlen(nlvl));
		errx(EXIT_USAGE, "--notify-level: '%s' is not one of debug, info, "
		    "warning, error, critical", q);
	}
	if (!have_sock || !have_notify) {
		if (rundir_path(rd, sizeof(rd), &e) < 0)
			errx(EXIT_USAGE, "%s", e.msg);
		if (!have_sock && snprintf(o->sock, sizeof(o->sock), "%s/init.sock",
		    rd) >= (int)sizeof(o->sock))
			errx(EXIT_USAGE, "runtime directory too long for a socket path; "
			    "use --control");
		if (!have_notify && snprintf(o->notify, sizeof(o->notify),
		    "%s/notify.sock", rd) >= (int)sizeof(o->notify))
			o->no_notify = 1;	/* cannot be reached: do without */
	}
	if (optind < argc && strcmp(argv[optind], "ctl") == 0) {
		o->ctl_argv = argv + optind + 1;
		o->ctl_argc = argc - optind - 1;
		if (o->ctl_argc < 1 || o->ctl_argc > 2)
			errx(EXIT_USAGE, "ctl: status | reload | start NAME | stop NAME | "
			    "restart NAME");
		return;
	}
	if (optind + 1 != argc)
		errx(EXIT_USAGE, "give exactly one CONFIG.json (see --help)");
	o->config = argv[optind];
}

/* ---------- ctl client ---------- */

static int
run_ctl(const struct opts *o)
{
	json_t *req = json_pack("{s:s}", "cmd", o->ctl_argv[0]);
	char *line = NULL, buf[65536];
	struct gw_err e;
	struct pollfd p;
	size_t len = 0;
	int fd, rc = EXIT_UNAVAILABLE;

	if (o->ctl_argc > 1)
		json_object_set_new(req, "service", json_string(o->ctl_argv[1]));
	free(line);
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (line == NULL)
		return EXIT_SOFTWARE;
	if ((fd = usock_connect(o->sock, &e)) < 0) {
		free(line);
		fprintf(stderr, PROG ": ctl: %s\n", e.msg);
		return EXIT_UNAVAILABLE;
	}
	if (write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0) {
		free(line);
		close(fd);
		fprintf(stderr, PROG ": ctl: cannot write to %s\n", o->sock);
		return EXIT_UNAVAILABLE;
	}
	free(line);
	/* replies are JSON lines ending with {"ok":...}; the server closes */
	for (;;) {
		ssize_t n;

		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 5000) <= 0) {
			fprintf(stderr, PROG ": ctl: no reply from %s within 5 s\n", o->sock);
			break;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			char *last;

			buf[len] = '\0';
			fputs(buf, stdout);
			last = len > 1 ? memrchr(buf, '\n', len - 1) : NULL;
			rc = strstr(last ? last : buf, "\"ok\":true") ? 0 : 1;
			break;
		}
		len += (size_t)n;
		if (len == sizeof(buf) - 1) {
			fwrite(buf, 1, len, stdout);
			len = 0;
		}
	}
	close(fd);
	return rc;
}

/* ---------- control socket server ---------- */

struct ctl_client {
	struct ctx *c;
	struct bufferevent *bev;
};

static void
ctl_free(struct ctl_client *cl)
{
	cl->c->n_ctl--;
	bufferevent_free(cl->bev);
	free(cl);
}

static void
ctl_send(struct ctl_client *cl, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	static const char fallback[] = "{\"ok\":false,\"error\":\"internal: cannot encode the reply\"}\n";

	json_decref(o);
	if (s != NULL) {
		bufferevent_write(cl->bev, s, strlen(s));
		bufferevent_write(cl->bev, "\n", 1);
	} else {
		bufferevent_write(cl->bev, fallback, sizeof(fallback) - 1);
	}
	free(s);
}

static void
ctl_written(struct bufferevent *bev, void *arg)
{
	(void)bev;
	ctl_free(arg);	/* one request per connection: done */
}

static void ctl_event(struct bufferevent *bev, short what, void *arg);

/* Re-read the configuration file and hand it to the supervisor. Returns
 * the summary (new reference), or NULL with err; errors are logged. */
static json_t *
reload(struct ctx *c, struct gw_err *err)
{
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

static void
ctl_request(struct ctl_client *cl, const char *line, size_t len)
{
	const char *cmd = NULL, *svc = NULL;
	json_error_t je;
	struct gw_err e;
	json_t *o = json_loadb(line, len, 0, &je);

	if (o == NULL || json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s?:s}", "cmd",
	    &cmd, "service", &svc) < 0) {
		ctl_send(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
		    "expected {\"cmd\": \"status|reload|start|stop|restart\", \"service\": NAME}"));
	} else if (strcmp(cmd, "reload") == 0) {
		json_t *sum = reload(cl->c, &e);

		if (sum == NULL) {
			ctl_send(cl, json_pack("{s:b, s:s}", "ok", 0, "error", e.msg));
		} else {
			json_object_set_new(sum, "ok", json_true());
			ctl_send(cl, sum);
		}
	} else if (strcmp(cmd, "status") == 0) {
		json_t *a = super_status(cl->c->sup), *v;
		size_t i;

		json_array_foreach(a, i, v)
			ctl_send(cl, json_incref(v));
		json_decref(a);
		ctl_send(cl, json_pack("{s:b}", "ok", 1));
	} else if (svc == NULL) {
		ctl_send(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
		    "this command needs a service name"));
	} else if (super_ctl(cl->c->sup, cmd, svc, &e) < 0) {
		ctl_send(cl, json_pack("{s:b, s:s}", "ok", 0, "error", e.msg));
	} else {
		ctl_send(cl, json_pack("{s:b}", "ok", 1));
	}
	json_decref(o);
	bufferevent_setcb(cl->bev, NULL, ctl_written, ctl_event, cl);
}

static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;
	char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);

	if (line == NULL) {
		if (evbuffer_get_length(in) > CTL_LINE_MAX) {
			ctl_send(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
			    "request longer than 1024 bytes"));
			bufferevent_disable(bev, EV_READ);
			bufferevent_setcb(cl->bev, NULL, ctl_written, ctl_event, cl);
		}
		return;
	}
	bufferevent_disable(bev, EV_READ);
	ctl_request(cl, line, n);
	free(line);
}

static void
ctl_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	ctl_free(arg);
}

static void
on_ctl_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct ctx *c = arg;
	struct ctl_client *cl;
	struct timeval tmo = { 5, 0 };

	(void)l;
	(void)sa;
	(void)salen;
	if (c->n_ctl >= MAX_CTL_CLIENTS || (cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	cl->c = c;
	cl->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cl->bev == NULL) {
		free(cl);
		close(fd);
		return;
	}
	c->n_ctl++;
	bufferevent_setwatermark(cl->bev, EV_READ, 0, CTL_LINE_MAX + 2);
	bufferevent_set_timeouts(cl->bev, &tmo, &tmo);	/* idle clients go */
	bufferevent_setcb(cl->bev, ctl_read, NULL, ctl_event, cl);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
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
	struct timespec t0, t1;
	long spent;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	outq_flush(c->out, FLUSH_MS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	spent = (long)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	outq_flush(c->err, spent < FLUSH_MS ? FLUSH_MS - (int)spent : 0);
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
	if (c->lis != NULL) {
		evconnlistener_free(c->lis);
		c->lis = NULL;
		unlink(c->o.sock);
	}
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

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1,
	    SIGUSR2, SIGQUIT };
	struct ctx c;
	struct gw_err e;
	char rd[1024];
	size_t i, n;
	int fd;

	/* fds 0-2 must be open: a closed one would be taken by the first
	 * descriptor we open (the event loop's) and written to as output */
	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ?
		    O_RDONLY : O_WRONLY) != fd)
			return EXIT_SOFTWARE;

	/* options and configuration */
	memset(&c, 0, sizeof(c));
	parse_options(argc, argv, &c.o);
	if (c.o.ctl_argv != NULL)
		return run_ctl(&c.o);
	if ((c.conf = svcconf_load(c.o.config, &e)) == NULL) {
		/* syntax errors carry "PATH:LINE:COL"; name the file for the rest */
		if (strncmp(e.msg, c.o.config, strlen(c.o.config)) == 0)
			errx(EXIT_CONFIG, "%s", e.msg);
		errx(EXIT_CONFIG, "%s: %s", c.o.config, e.msg);
	}
	if (c.o.check_only) {
		printf("configuration OK\n");
		svcconf_free(c.conf);
		return 0;
	}

	/* context: PID-1 duties, log, loop, signals */
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		errx(EXIT_SOFTWARE, "cannot become a child subreaper: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	c.exit_code = EXIT_SOFTWARE;
	if ((c.base = event_base_new()) == NULL)
		errx(EXIT_SOFTWARE, "cannot set up the event loop");
	if (open_output(&c, &e) < 0)
		errx(EXIT_SOFTWARE, "output: %s", e.msg);
	if ((c.log = gw_log_new(PROG, c.logf, c.o.log_level)) == NULL)
		errx(EXIT_SOFTWARE, "cannot set up the log");
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		c.sig[i] = evsignal_new(c.base, sigs[i], on_signal, &c);
		if (c.sig[i] == NULL || evsignal_add(c.sig[i], NULL) < 0)
			errx(EXIT_SOFTWARE, "cannot handle signal %d", sigs[i]);
	}

	/* modules: alerts to discord-notify, supervisor, control socket */
	if (!c.o.no_notify) {
		if ((c.evs = evsend_new(c.base, c.o.notify, c.o.notify_level, &e)) == NULL)
			errx(EXIT_USAGE, "--notify: %s", e.msg);
		gw_log_set_sink(c.log, evsend_line, c.evs);
	}
	if ((c.sup = super_new(c.base, c.conf, c.log, &e)) == NULL)
		errx(EXIT_SOFTWARE, "%s", e.msg);
	c.conf = NULL;	/* the supervisor's now */
	super_on_critical(c.sup, on_critical, &c);
	super_on_hold(c.sup, hold_for_alerts, &c);
	super_set_output(c.sup, c.out, c.err);
	if (!c.o.no_control) {
		if (rundir_path(rd, sizeof(rd), &e) == 0 &&
		    strncmp(c.o.sock, rd, strlen(rd)) == 0 &&
		    rundir_ensure(rd, sizeof(rd), &e) < 0)
			errx(EXIT_CANTCREAT, "%s", e.msg);
		if ((fd = usock_listen(c.o.sock, 16, &e)) < 0)
			errx(EXIT_CANTCREAT, "--control: %s", e.msg);
		c.lis = evconnlistener_new(c.base, on_ctl_accept, &c,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
		if (c.lis == NULL)
			errx(EXIT_CANTCREAT, "--control: cannot watch %s", c.o.sock);
	}
	n = super_config(c.sup)->n;
	gw_log_event(c.log, GW_INFO, "init", "init.started", json_pack("{s:i, s:i, s:s?}",
	    "services", (int)n, "pid", (int)getpid(), "control",
	    c.o.no_control ? NULL : c.o.sock), "supervising %zu service%s from %s",
	    n, n == 1 ? "" : "s", c.o.config);
	super_reap(c.sup);	/* children we inherited that already exited */
	super_start(c.sup);

	/* dispatch */
	event_base_dispatch(c.base);

	/* free in reverse */
	if (c.lis != NULL) {
		evconnlistener_free(c.lis);
		unlink(c.o.sock);
	}
	super_free(c.sup);
	gw_log_set_sink(c.log, NULL, NULL);
	evsend_free(c.evs);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(c.sig[i]);
	gw_log_free(c.log);
	fclose(c.logf);
	flush_output(&c);
	outq_free(c.out);
	outq_free(c.err);
	event_base_free(c.base);
	svcconf_free(c.conf);
	return c.exit_code;
}
