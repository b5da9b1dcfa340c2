/*
 * ibc: a one-shot client of IBC's command server on libevent. A small state
 * machine (dialing, through lib/dialer -> awaiting the reply -> done) under
 * one deadline. Every byte from the server is untrusted: lines are
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "clock.h"
#include "dialer.h"

#define REASON_MAX (IBC_MAX_LINE + 64)

enum state {
	ST_DIALING,		/* resolve + connect (lib/dialer) */
	ST_AWAIT_REPLY,
	ST_DONE,
};

struct ibc_cmd {
	struct event_base *base;
	struct dialer *dialer;		/* owns the resolver, if a name needs one */
	char command[IBC_MAX_COMMAND + 2];	/* with its "\n" */
	int timeout_ms;
	ibc_done_cb done;
	void *arg;

	enum state state;
	struct event *deadline;
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
drop_connection(struct ibc_cmd *c)
{
	dialer_cancel(c->dialer);
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (c->deadline != NULL)
		evtimer_del(c->deadline);
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

static void on_connected(struct ibc_cmd *c);

/* Dialing ended: connected (the command goes out), or the reason in this
 * module's words (ibc.h). */
static void
on_dialed(struct dialer *d, const struct dialer_result *r, void *arg)
{
	struct ibc_cmd *c = arg;

	(void)d;
	switch (r->status) {
	case DIALER_CONNECTED:
		c->bev = bufferevent_socket_new(c->base, r->fd, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev == NULL) {
			close(r->fd);
			finish(c, 0, "cannot connect: %s",
			    evutil_socket_error_to_string(ENOMEM));
			return;
		}
		bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
		on_connected(c);
		break;
	case DIALER_ERESOLVE:	/* "cannot resolve '<host>': <resolver error>" */
		finish(c, 0, "%s", r->err.msg);
		break;
	case DIALER_ECONNECT:
		if (r->sys_error == ECONNREFUSED)
			finish(c, 0, "connection refused");
		else
			finish(c, 0, "cannot connect: %s", r->sys_error ?
			    evutil_socket_error_to_string(r->sys_error) : "no address");
		break;
	case DIALER_ETIMEDOUT:	/* not asked for: the one deadline is ours */
		finish(c, 0, "no connection within %d ms", c->timeout_ms);
		break;
	}
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
	case ST_DIALING:
		finish(c, 0, "no connection within %d ms", c->timeout_ms);
		break;
	case ST_DONE:
		break;
	}
}

static void
on_connected(struct ibc_cmd *c)
{
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
	struct dialer_config dc = { host, port, 0, 0 };
	struct ibc_cmd *c;
	struct timeval tv;

	if (check_args(host, port, command, timeout_ms, done, err) < 0)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		gw_err_set(err, "ibc: out of memory");
		return NULL;
	}
	c->base = base;
	snprintf(c->command, sizeof(c->command), "%s\n", command);
	c->timeout_ms = timeout_ms;
	c->done = done;
	c->arg = arg;
	c->state = ST_DIALING;
	c->deadline = evtimer_new(base, on_deadline, c);
	c->dialer = dialer_new(base, NULL, on_dialed, c, err);
	if (c->deadline == NULL || c->dialer == NULL) {
		if (c->deadline == NULL)
			gw_err_set(err, "ibc: cannot create events");
		ibc_cmd_free(c);
		return NULL;
	}
	/* The dialer answers from the loop, so done never runs in here. */
	tv = clock_tv_ms(timeout_ms);
	if (evtimer_add(c->deadline, &tv) < 0) {
		gw_err_set(err, "ibc: cannot create events");
		ibc_cmd_free(c);
		return NULL;
	}
	if (dialer_start(c->dialer, &dc, err) < 0) {
		ibc_cmd_free(c);
		return NULL;
	}
	return c;
}

void
ibc_cmd_free(struct ibc_cmd *c)
{
	if (c == NULL)
		return;
	drop_connection(c);
	if (c->deadline != NULL)
		event_free(c->deadline);
	dialer_free(c->dialer);
	free(c);
}
