/*
 * super_output: the children's output (see super_int.h). Each stdout or
 * stderr of a service, check or restart command is a pipe read on the
 * loop; its lines go to our stdout/stderr queues (outq) prefixed
 * "name | ". A backlog there pauses the reading, so that slow log readers
 * slow the children, never stack-init. The bytes are the children's:
 * untrusted, passed on as lines of at most 4096 bytes, never parsed here
 * (a service with "ibc_log": true has its lines read by lib/ibclog's pure
 * decoder too, super_login.c).
 */
#include "super_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "outq.h"

/* Write the first len bytes of p's buffer as one "name | text" line (a
 * newline added when missing) and drop them from the buffer. */
static void
pass_line(struct pipe_out *p, size_t len)
{
	char line[4200];
	int nl = len > 0 && p->buf[len - 1] == '\n';
	int k = snprintf(line, sizeof(line), "%s | %.*s%s", p->tag,
	    (int)len, p->buf, nl ? "" : "\n");

	if (k >= (int)sizeof(line))
		k = (int)sizeof(line) - 1;	/* cannot happen: len <= 4096 */
	/* "ibc_log": true: the service's own lines are IBC's log */
	if ((p == &p->r->out || p == &p->r->err) &&
	    p->r->svc->login.ibc_log == SVC_IBC_LOG_OUTPUT)
		svclogin_line(p->r, p->buf, nl ? len - 1 : len);
	if (p->r->s->q[p->to] != NULL)
		outq_write(p->r->s->q[p->to], line, (size_t)k);	/* drops are counted and reported */
	else if (write(p->to, line, (size_t)k) < 0)
		(void)0;	/* our stdout is gone: nothing to do */
	memmove(p->buf, p->buf + len, p->len - len);
	p->len -= len;
}

/* Pass on a last partial line, stop watching the pipe and close it. */
static void
shut_output(struct pipe_out *p)
{
	if (p->len > 0 && p->r != NULL)
		pass_line(p, p->len);
	if (p->ev != NULL) {
		event_free(p->ev);
		p->ev = NULL;
	}
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	p->len = 0;
}

static struct pipe_out *
run_pipe(struct run *r, size_t k)
{
	struct pipe_out *po[] = { &r->out, &r->err, &r->check_err, &r->act_out,
	    &r->act_err };

	return k < sizeof(po) / sizeof(po[0]) ? po[k] : NULL;
}

/* Our stdout (to = 1) or stderr (2) has a backlog: stop reading the
 * children's pipes to it. They fill and their writers block, as they
 * would on a slow terminal; stack-init itself never does. */
static void
pause_outputs(struct super *s, int to)
{
	struct pipe_out *p;
	size_t i, k;

	if (s->out_paused[to])
		return;
	s->out_paused[to] = 1;
	for (i = 0; i < s->n; i++)
		for (k = 0; (p = run_pipe(s->runs[i], k)) != NULL; k++)
			if (p->to == to && p->ev != NULL)
				event_del(p->ev);
}

static void
resume_outputs(struct super *s, int to)
{
	struct pipe_out *p;
	size_t i, k;

	if (!s->out_paused[to])
		return;
	s->out_paused[to] = 0;
	for (i = 0; i < s->n; i++)
		for (k = 0; (p = run_pipe(s->runs[i], k)) != NULL; k++)
			if (p->to == to && p->ev != NULL)
				event_add(p->ev, NULL);
}

static void
on_drain_out(void *arg)
{
	resume_outputs(arg, 1);
}

static void
on_drain_err(void *arg)
{
	resume_outputs(arg, 2);
}

/* One read from a child's pipe, its whole lines passed on. Returns 1
 * when bytes came, 0 at EOF or an error (the pipe is shut), -1 when there
 * is nothing now. */
static int
read_output(struct pipe_out *p)
{
	ssize_t n;
	char *nl;

	do
		n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -1;
	if (n <= 0) {
		shut_output(p);
		return 0;
	}
	p->len += (size_t)n;
	while ((nl = memchr(p->buf, '\n', p->len)) != NULL || p->len == sizeof(p->buf))
		pass_line(p, nl ? (size_t)(nl - p->buf) + 1 : p->len);
	return 1;
}

static void
on_output(evutil_socket_t fd, short what, void *arg)
{
	struct pipe_out *p = arg;
	struct outq *q;

	(void)fd;
	(void)what;
	if (read_output(p) > 0 && (q = p->r->s->q[p->to]) != NULL &&
	    outq_pending(q) > OUT_HIGH)
		pause_outputs(p->r->s, p->to);
}

/* At most 1 MiB: a writer that left the service's process group may go
 * on forever. */
void
output_drain(struct pipe_out *p)
{
	int i;

	for (i = 0; i < 256 && p->fd >= 0 && read_output(p) > 0; i++)
		;
}

void
output_close(struct pipe_out *p)
{
	if (p->fd >= 0)
		output_drain(p);
	shut_output(p);
}

int
output_open(struct run *r, struct pipe_out *p, int to, const char *suffix)
{
	int fds[2];

	output_close(p);	/* what a previous run left */
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	p->r = r;
	p->to = to;
	snprintf(p->tag, sizeof(p->tag), "%s%s", r->svc->name, suffix);
	p->ev = event_new(r->s->base, fds[0], EV_READ | EV_PERSIST, on_output, p);
	if (p->ev == NULL || (!r->s->out_paused[to] && event_add(p->ev, NULL) < 0)) {
		if (p->ev != NULL)
			event_free(p->ev);
		p->ev = NULL;
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	p->fd = fds[0];
	return fds[1];
}

void
super_set_output(struct super *s, struct outq *out, struct outq *err)
{
	s->q[1] = out;
	s->q[2] = err;
	if (out != NULL)
		outq_on_drain(out, OUT_LOW, on_drain_out, s);
	if (err != NULL)
		outq_on_drain(err, OUT_LOW, on_drain_err, s);
}
