/*
 * ibc: a one-shot client of IBC's command server on libevent. A small state
 * machine (start -> resolving -> connecting -> awaiting the reply -> done)
 * under one deadline. Every byte from the server is untrusted: lines are
 * capped before they are copied and quoted before they are reported.
 *
 * The protocol, as read in IBC's source (github.com/IbcAlpha/IBC,
 * src/ibcalpha/ibc/):
 * - CommandChannel.java reads a command with BufferedReader.readLine() (a
 *   line ends with LF, CR or CRLF; blank lines are skipped, the server then
 *   waits for another line) and answers with one line: "OK " + info
 *   (writeAck), "ERROR " + info (writeNack), or "INFO " + info (writeInfo;
 *   only with SuppressInfoMessages=no, which is not the default), each ended
 *   by BufferedWriter.newLine(), i.e. "\n" on Linux ("\r\n" on Windows, so a
 *   trailing CR is stripped here). A configured CommandPrompt is written with
 *   no line ending after each command (older versions also on connect), so
 *   this client expects CommandPrompt empty, the default.
 * - CommandDispatcher.java loops over commands until EXIT; RESTART runs
 *   RestartTask.java, which answers "OK RESTART in progress" (or "OK RESTART
 *   at hh:mm a" when it schedules the restart) or "ERROR RESTART already in
 *   progress", and then closes the channel. After other commands the server
 *   keeps the connection open for the next one, so the client takes the
 *   first non-INFO line as the answer and closes; it never waits for EOF.
 * - CommandServer.java accepts a client that ControlFrom does not allow and
 *   closes it at once: that shows here as "connection closed without a reply".
 */
#include "ibc.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#define REASON_MAX (IBC_MAX_LINE + 64)

enum state {
	ST_START,		/* waiting for the loop to run the start event */
	ST_RESOLVING,
	ST_CONNECTING,
	ST_AWAIT_REPLY,
	ST_DONE,
};

/* A pending name lookup. libevent may run its callback after the command is
 * gone (cancelled callbacks are deferred), so it points back at the command
 * and the command clears that pointer instead of freeing it. It may also run
 * inside evdns_getaddrinfo() itself (hosts file, errors): then it only
 * records the answer for the caller to handle. */
struct dns_req {
	struct ibc_cmd *c;
	struct evdns_getaddrinfo_request *req;
	int in_call;
	int answered;
	int result;
	struct evutil_addrinfo *res;
};

struct ibc_cmd {
	struct event_base *base;
	struct evdns_base *dns;		/* owned; only for names */
	char host[256];
	char host_q[256];		/* quoted for messages */
	char port[8];
	char command[IBC_MAX_COMMAND + 2];	/* with its "\n" */
	int timeout_ms;
	ibc_done_cb done;
	void *arg;

	enum state state;
	struct event *start_ev;
	struct event *deadline;
	struct dns_req *dns_req;
	struct evutil_addrinfo *ai;	/* resolved addresses, tried in order */
	struct evutil_addrinfo *ai_next;
	int last_errno;			/* of the last failed connect */
	int refused_now;		/* connect() itself said ECONNREFUSED */
	struct bufferevent *bev;
};

static void on_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

int
ibc_reply_ok(const char *line, size_t len)
{
	if (len < 2 || line[0] != 'O' || line[1] != 'K')
		return 0;
	if (len == 2)
		return 1;
	return line[2] == ' ' || line[2] == '\t' || line[2] == '\r' ||
	    line[2] == '\n';
}

static int
check_args(const char *host, int port, const char *command, int timeout_ms,
    ibc_done_cb done, struct gw_err *err)
{
	size_t i, n;
	int blank = 1;

	if (host == NULL || host[0] == '\0' || strlen(host) > 253)
		return gw_err_set(err, "ibc: host must be 1..253 characters");
	if (port < 1 || port > 65535)
		return gw_err_set(err, "ibc: port %d not in 1..65535", port);
	if (command == NULL || (n = strlen(command)) == 0 || n > IBC_MAX_COMMAND)
		return gw_err_set(err, "ibc: command must be 1..%d characters",
		    IBC_MAX_COMMAND);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)command[i];

		/* A CR or LF would smuggle in a second command. */
		if (ch < 0x20 || ch > 0x7e)
			return gw_err_set(err,
			    "ibc: command must be printable ASCII (byte %zu is 0x%02x)",
			    i, ch);
		if (ch != ' ')
			blank = 0;
	}
	if (blank)
		return gw_err_set(err, "ibc: command is blank");
	if (timeout_ms < 1 || timeout_ms > IBC_MAX_TIMEOUT_MS)
		return gw_err_set(err, "ibc: timeout %d ms not in 1..%d", timeout_ms,
		    IBC_MAX_TIMEOUT_MS);
	if (done == NULL)
		return gw_err_set(err, "ibc: a done callback is required");
	return 0;
}

static void
cancel_dns(struct ibc_cmd *c)
{
	struct dns_req *d = c->dns_req;

	if (d == NULL)
		return;
	c->dns_req = NULL;
	d->c = NULL;		/* the callback frees d when it runs */
	if (d->req != NULL)
		evdns_getaddrinfo_cancel(d->req);
}

static void
drop_connection(struct ibc_cmd *c)
{
	cancel_dns(c);
	if (c->ai != NULL) {
		evutil_freeaddrinfo(c->ai);
		c->ai = c->ai_next = NULL;
	}
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (c->deadline != NULL)
		evtimer_del(c->deadline);
	if (c->start_ev != NULL)
		event_del(c->start_ev);
}

/* End the exchange and report. The callback may free c: nothing touches c
 * after it, and the text lives on this stack frame. */
static void
finish(struct ibc_cmd *c, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
finish(struct ibc_cmd *c, int ok, const char *fmt, ...)
{
	char text[REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	drop_connection(c);
	c->state = ST_DONE;
	c->done(c->arg, ok, text);
}

static void
fail_connect(struct ibc_cmd *c)
{
	if (c->last_errno == ECONNREFUSED)
		finish(c, 0, "connection refused");
	else
		finish(c, 0, "cannot connect: %s", c->last_errno ?
		    evutil_socket_error_to_string(c->last_errno) : "no address");
}

/* Try the next resolved address; report the last failure when none is left. */
static void
connect_next(struct ibc_cmd *c)
{
	while (c->ai_next != NULL) {
		struct evutil_addrinfo *ai = c->ai_next;
		int fd;

		c->ai_next = ai->ai_next;
		/* a close-on-exec socket: a process spawned meanwhile must
		 * not inherit the connection */
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		c->bev = fd < 0 ? NULL : bufferevent_socket_new(c->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		if (c->bev == NULL) {
			c->last_errno = fd < 0 ? errno : ENOMEM;
			if (fd >= 0)
				close(fd);
			continue;
		}
		bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
		/* A refusal, even an immediate one, arrives through on_event;
		 * for an immediate one (loopback on BSD) libevent reports no
		 * errno then, so keep the one connect() left. */
		EVUTIL_SET_SOCKET_ERROR(0);
		if (bufferevent_socket_connect(c->bev, ai->ai_addr,
		    (int)ai->ai_addrlen) == 0) {
			c->refused_now = EVUTIL_SOCKET_ERROR() == ECONNREFUSED;
			return;
		}
		c->last_errno = EVUTIL_SOCKET_ERROR();
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	fail_connect(c);
}

static void
handle_resolved(struct ibc_cmd *c, int result, struct evutil_addrinfo *res)
{
	if (result != 0 || res == NULL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		finish(c, 0, "cannot resolve '%s': %s", c->host_q,
		    evutil_gai_strerror(result));
		return;
	}
	c->ai = c->ai_next = res;
	c->state = ST_CONNECTING;
	connect_next(c);
}

static void
on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct dns_req *d = arg;
	struct ibc_cmd *c = d->c;

	if (d->in_call) {		/* answered inside evdns_getaddrinfo() */
		d->answered = 1;
		d->result = result;
		d->res = res;
		return;
	}
	free(d);
	if (c == NULL || result == EVUTIL_EAI_CANCEL) {	/* abandoned */
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	c->dns_req = NULL;
	handle_resolved(c, result, res);
}

static void
resolve_name(struct ibc_cmd *c, const struct evutil_addrinfo *numeric_hints)
{
	struct evutil_addrinfo hints = *numeric_hints;
	struct evdns_getaddrinfo_request *req;
	struct dns_req *d;

	c->dns = evdns_base_new(c->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (c->dns == NULL) {
		finish(c, 0, "cannot resolve '%s': no DNS resolver", c->host_q);
		return;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		finish(c, 0, "cannot resolve '%s': out of memory", c->host_q);
		return;
	}
	d->c = c;
	d->in_call = 1;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV | EVUTIL_AI_ADDRCONFIG;
	c->state = ST_RESOLVING;
	req = evdns_getaddrinfo(c->dns, c->host, c->port, &hints, on_resolved, d);
	d->in_call = 0;
	if (d->answered) {
		int result = d->result;
		struct evutil_addrinfo *res = d->res;

		free(d);
		handle_resolved(c, result, res);
		return;
	}
	d->req = req;
	c->dns_req = d;
}

static void
on_start(evutil_socket_t fd, short what, void *arg)
{
	struct ibc_cmd *c = arg;
	struct evutil_addrinfo hints, *res = NULL;

	(void)fd;
	(void)what;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV;
	/* A numeric address needs no resolver and never blocks. */
	if (evutil_getaddrinfo(c->host, c->port, &hints, &res) == 0) {
		handle_resolved(c, 0, res);
		return;
	}
	resolve_name(c, &hints);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct ibc_cmd *c = arg;

	(void)fd;
	(void)what;
	switch (c->state) {
	case ST_AWAIT_REPLY:
		finish(c, 0, "no reply within %d ms", c->timeout_ms);
		break;
	case ST_START:
	case ST_RESOLVING:
	case ST_CONNECTING:
		finish(c, 0, "no connection within %d ms", c->timeout_ms);
		break;
	case ST_DONE:
		break;
	}
}

static void
on_connected(struct ibc_cmd *c)
{
	evutil_make_socket_closeonexec(bufferevent_getfd(c->bev));
	if (bufferevent_write(c->bev, c->command, strlen(c->command)) < 0) {
		finish(c, 0, "connection error: out of memory");
		return;
	}
	c->state = ST_AWAIT_REPLY;
	bufferevent_enable(c->bev, EV_READ);
}

/* Take one line (without LF, a trailing CR removed) off the input. Returns
 * 1 with the line in buf, 0 when more bytes are needed, -1 when the line
 * is over the cap. At EOF (eof = 1) what is left counts as a line. */
static int
take_line(struct evbuffer *in, int eof, char *buf, size_t *len)
{
	size_t have = evbuffer_get_length(in), n;
	struct evbuffer_ptr p;
	int eol = 1;

	p = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	if (p.pos < 0) {
		if (have > IBC_MAX_LINE)
			return -1;
		if (!eof || have == 0)
			return 0;
		n = have;
		eol = 0;
	} else {
		n = (size_t)p.pos;
		if (n > IBC_MAX_LINE)
			return -1;
	}
	evbuffer_remove(in, buf, n);
	if (eol)
		evbuffer_drain(in, 1);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 1;
}

static int
is_info(const char *line, size_t len)
{
	return len >= 4 && memcmp(line, "INFO", 4) == 0 &&
	    (len == 4 || line[4] == ' ');
}

/* Read what has arrived; returns 1 when the exchange ended (c may be gone). */
static int
process_input(struct ibc_cmd *c, int eof)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	char line[IBC_MAX_LINE + 1], q[IBC_MAX_LINE + 1];
	size_t len;
	int r;

	while ((r = take_line(in, eof, line, &len)) == 1) {
		if (is_info(line, len))
			continue;
		gw_err_quote(q, sizeof(q), line, len);
		if (ibc_reply_ok(line, len))
			finish(c, 1, "%s", q);
		else
			finish(c, 0, "IBC answered: %s", q);
		return 1;
	}
	if (r < 0) {
		finish(c, 0, "reply longer than %d bytes", IBC_MAX_LINE);
		return 1;
	}
	return 0;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	process_input(arg, 0);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct ibc_cmd *c = arg;
	int e = EVUTIL_SOCKET_ERROR();	/* libevent sets it from SO_ERROR */

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		on_connected(c);
		return;
	}
	if (c->state == ST_CONNECTING) {	/* this address failed: next one */
		c->last_errno = c->refused_now ? ECONNREFUSED : e;
		bufferevent_free(c->bev);
		c->bev = NULL;
		connect_next(c);
		return;
	}
	/* EOF or error after connect: a last unterminated line still counts. */
	if (process_input(c, 1))
		return;
	if (what & BEV_EVENT_EOF)
		finish(c, 0, "connection closed without a reply");
	else if (e == ECONNRESET || e == EPIPE)
		finish(c, 0, "connection closed without a reply");
	else
		finish(c, 0, "connection error: %s",
		    evutil_socket_error_to_string(e));
}

struct ibc_cmd *
ibc_cmd_new(struct event_base *base, const char *host, int port,
    const char *command, int timeout_ms, ibc_done_cb done, void *arg,
    struct gw_err *err)
{
	struct ibc_cmd *c;
	struct timeval tv;

	if (check_args(host, port, command, timeout_ms, done, err) < 0)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		gw_err_set(err, "ibc: out of memory");
		return NULL;
	}
	c->base = base;
	snprintf(c->host, sizeof(c->host), "%s", host);
	gw_err_quote(c->host_q, sizeof(c->host_q), c->host, strlen(c->host));
	snprintf(c->port, sizeof(c->port), "%d", port);
	snprintf(c->command, sizeof(c->command), "%s\n", command);
	c->timeout_ms = timeout_ms;
	c->done = done;
	c->arg = arg;
	c->state = ST_START;
	/* Start from the loop, so that done never runs inside this call. */
	c->start_ev = event_new(base, -1, 0, on_start, c);
	c->deadline = evtimer_new(base, on_deadline, c);
	if (c->start_ev == NULL || c->deadline == NULL) {
		gw_err_set(err, "ibc: cannot create events");
		ibc_cmd_free(c);
		return NULL;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(c->deadline, &tv);
	event_active(c->start_ev, EV_TIMEOUT, 1);
	return c;
}

void
ibc_cmd_free(struct ibc_cmd *c)
{
	if (c == NULL)
		return;
	drop_connection(c);
	if (c->start_ev != NULL)
		event_free(c->start_ev);
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->dns != NULL)
		evdns_base_free(c->dns, 1);
	free(c);
}
