/*
 * fake-ibc: a stand-in for IBC's command server (CommandServerPort), for
 * tests of anything that sends it RESTART. Loopback only; what clients send
 * is untrusted and logged quoted.
 *
 *   fake-ibc --port P [--reply TEXT]... [--silent | --close] [--log FILE]
 *
 * Listens on 127.0.0.1:P (0 picks a free port) and prints one line,
 * {"event":"fake.listening","port":P}, on stdout. For each connection it
 * reads one line (LF-ended, a CR before it dropped, at most 4096 bytes, else
 * the connection is closed) and appends it as one line to --log (truncated
 * at start, flushed at once). Then, by default, it answers each --reply TEXT
 * (default "OK RESTART command accepted"; repeat the flag for several lines,
 * e.g. an "INFO ..." line first) followed by "\n", and closes. --silent:
 * never answer and keep the connection open, even after the client's EOF,
 * until exit (a wedged IBC). --close: close without answering (what IBC does
 * to a host its ControlFrom denies). SIGTERM or SIGINT: exit 0. Exit 64: bad
 * flags; 73: the log cannot be created; 69: cannot listen; 71: event loop.
 *
 * By hand, with socat (one fake at a time; stop it by its PID):
 *   bin/tests/fake-ibc --port 7462 --log /tmp/ibc.log & pid=$!
 *   printf 'RESTART\n' | socat -t 2 - TCP:127.0.0.1:7462
 *       -> OK RESTART command accepted      (/tmp/ibc.log: RESTART)
 *   kill $pid; wait $pid                    # exit status 0
 *   bin/tests/fake-ibc --port 7462 --reply 'ERROR Command invalid' & pid=$!
 *       -> the same socat line prints: ERROR Command invalid
 *   bin/tests/fake-ibc --port 7462 --silent & pid=$!
 *       -> socat prints nothing and gives up after its -t 2 seconds
 *   bin/tests/fake-ibc --port 7462 --close & pid=$!
 *       -> socat prints nothing and exits at once
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sysexits.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "gw_err.h"

#define PROG		"fake-ibc"
#define DEFAULT_REPLY	"OK RESTART command accepted"
#define MAX_LINE	4096
#define MAX_REPLIES	16

enum mode { MODE_REPLY, MODE_SILENT, MODE_CLOSE };

struct conn {
	TAILQ_ENTRY(conn) link;
	struct ctx *ctx;
	struct bufferevent *bev;
	int answered;			/* close once the answer is flushed */
};

struct ctx {
	struct event_base *base;
	struct evconnlistener *lis;
	struct event *sig_term, *sig_int;
	enum mode mode;
	const char *replies[MAX_REPLIES];
	int n_replies;
	FILE *log;
	TAILQ_HEAD(, conn) conns;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROG " --port P [--reply TEXT]... [--silent | --close] [--log FILE]\n");
}

static void
conn_free(struct conn *k)
{
	TAILQ_REMOVE(&k->ctx->conns, k, link);
	bufferevent_free(k->bev);
	free(k);
}

static void
log_command(struct ctx *ctx, const char *line, size_t n)
{
	char q[MAX_LINE + 1];

	if (ctx->log == NULL)
		return;
	gw_err_quote(q, sizeof(q), line, n);
	fprintf(ctx->log, "%s\n", q);
	fflush(ctx->log);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct conn *k = arg;
	struct ctx *ctx = k->ctx;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr p;
	char line[MAX_LINE + 1];
	size_t n;
	int i;

	if (k->answered) {		/* ignore anything after the command */
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	p = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	if (p.pos < 0) {
		if (evbuffer_get_length(in) > MAX_LINE)
			conn_free(k);
		return;
	}
	if ((size_t)p.pos > MAX_LINE) {
		conn_free(k);
		return;
	}
	n = (size_t)p.pos;
	evbuffer_remove(in, line, n);
	evbuffer_drain(in, 1);
	if (n > 0 && line[n - 1] == '\r')
		n--;
	log_command(ctx, line, n);
	k->answered = 1;
	switch (ctx->mode) {
	case MODE_SILENT:
		return;
	case MODE_CLOSE:
		conn_free(k);
		return;
	case MODE_REPLY:
		for (i = 0; i < ctx->n_replies; i++) {
			bufferevent_write(bev, ctx->replies[i], strlen(ctx->replies[i]));
			bufferevent_write(bev, "\n", 1);
		}
		/* on_write closes once the answer is out */
		return;
	}
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct conn *k = arg;

	if (k->answered && k->ctx->mode == MODE_REPLY &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(k);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *k = arg;

	/* A wedged IBC does not notice the client's half-close either. */
	if ((what & BEV_EVENT_EOF) && k->ctx->mode == MODE_SILENT) {
		bufferevent_disable(bev, EV_READ);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(k);
}

static void
on_accept(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct ctx *ctx = arg;
	struct conn *k;

	(void)lis;
	(void)sa;
	(void)salen;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	k->ctx = ctx;
	k->bev = bufferevent_socket_new(ctx->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (k->bev == NULL) {
		evutil_closesocket(fd);
		free(k);
		return;
	}
	TAILQ_INSERT_TAIL(&ctx->conns, k, link);
	bufferevent_setcb(k->bev, on_read, on_write, on_event, k);
	bufferevent_enable(k->bev, EV_READ | EV_WRITE);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ctx *ctx = arg;

	(void)sig;
	(void)what;
	event_base_loopbreak(ctx->base);
}

static int
parse_port(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 65535)
		return -1;
	return (int)v;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "reply", required_argument, NULL, 'r' },
		{ "silent", no_argument, NULL, 's' },
		{ "close", no_argument, NULL, 'c' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx ctx;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	const char *log_path = NULL;
	int port = -1, ch, rc = 0, silent = 0, close_ = 0;

	memset(&ctx, 0, sizeof(ctx));
	TAILQ_INIT(&ctx.conns);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if ((port = parse_port(optarg)) < 0) {
				fprintf(stderr, PROG ": --port: '%s' not in 0..65535\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'r':
			if (ctx.n_replies == MAX_REPLIES) {
				fprintf(stderr, PROG ": at most %d --reply lines\n", MAX_REPLIES);
				return EX_USAGE;
			}
			if (strchr(optarg, '\n') != NULL) {
				fprintf(stderr, PROG ": --reply: one line each (repeat the flag)\n");
				return EX_USAGE;
			}
			ctx.replies[ctx.n_replies++] = optarg;
			break;
		case 's':
			silent = 1;
			break;
		case 'c':
			close_ = 1;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc || port < 0 || silent + close_ > 1 ||
	    ((silent || close_) && ctx.n_replies > 0)) {
		usage(stderr);
		return EX_USAGE;
	}
	ctx.mode = silent ? MODE_SILENT : close_ ? MODE_CLOSE : MODE_REPLY;
	if (ctx.n_replies == 0)
		ctx.replies[ctx.n_replies++] = DEFAULT_REPLY;
	if (log_path != NULL && (ctx.log = fopen(log_path, "we")) == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", log_path, strerror(errno));
		return EX_CANTCREAT;
	}
	signal(SIGPIPE, SIG_IGN);

	if ((ctx.base = event_base_new()) == NULL) {
		fprintf(stderr, PROG ": cannot create an event base\n");
		rc = EX_OSERR;
		goto out;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ctx.lis = evconnlistener_new_bind(ctx.base, on_accept, &ctx,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (ctx.lis == NULL) {
		fprintf(stderr, PROG ": cannot listen on 127.0.0.1:%d: %s\n", port,
		    strerror(errno));
		rc = EX_UNAVAILABLE;
		goto out;
	}
	if (getsockname(evconnlistener_get_fd(ctx.lis), (struct sockaddr *)&sin,
	    &slen) < 0) {
		fprintf(stderr, PROG ": getsockname: %s\n", strerror(errno));
		rc = EX_UNAVAILABLE;
		goto out;
	}
	ctx.sig_term = evsignal_new(ctx.base, SIGTERM, on_signal, &ctx);
	ctx.sig_int = evsignal_new(ctx.base, SIGINT, on_signal, &ctx);
	if (ctx.sig_term == NULL || ctx.sig_int == NULL ||
	    evsignal_add(ctx.sig_term, NULL) < 0 ||
	    evsignal_add(ctx.sig_int, NULL) < 0) {
		fprintf(stderr, PROG ": cannot watch signals\n");
		rc = EX_OSERR;
		goto out;
	}
	printf("{\"event\":\"fake.listening\",\"port\":%d}\n", ntohs(sin.sin_port));
	fflush(stdout);
	if (event_base_dispatch(ctx.base) < 0) {
		fprintf(stderr, PROG ": event loop failed\n");
		rc = EX_OSERR;
	}
out:
	while (!TAILQ_EMPTY(&ctx.conns))
		conn_free(TAILQ_FIRST(&ctx.conns));
	if (ctx.sig_int != NULL)
		event_free(ctx.sig_int);
	if (ctx.sig_term != NULL)
		event_free(ctx.sig_term);
	if (ctx.lis != NULL)
		evconnlistener_free(ctx.lis);
	if (ctx.base != NULL)
		event_base_free(ctx.base);
	if (ctx.log != NULL)
		fclose(ctx.log);
	return rc;
}
