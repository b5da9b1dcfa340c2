/*
 * check_command: a program whose exit status is the health (the Nagios
 * plugin convention): 0 healthy, 1 degraded, 2 or any other status
 * unhealthy, and so is death by a signal. The first line of its standard
 * output is the reason. It runs in its own process group with stdin and
 * stderr on /dev/null; on the deadline the group gets SIGKILL. The end is
 * seen without a SIGCHLD handler (the process has at most one, and it is
 * not ours): EOF on its stdout, then waitpid(WNOHANG) on its pid on a short
 * timer; a slow timer also runs meanwhile, for a program that leaves a
 * child holding the pipe. Input: the program's output (untrusted: cut to
 * one line and quoted).
 */
#include "check_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include <event2/event.h>

#include "clock.h"

#define CMD_POLL_SLOW_MS 100	/* until EOF */
#define CMD_POLL_FAST_MS 1	/* after EOF, doubling up to the slow one */

struct cmd_state {
	pid_t pid;
	int out_fd;
	struct event *rd;
	struct event *poll;
	double poll_ms;
	int eof;
	int got_line;			/* the first line is complete */
	size_t len;
	char line[HS_REASON_MAX + 1];
};

static void
close_out(struct cmd_state *s)
{
	if (s->rd != NULL) {
		event_free(s->rd);
		s->rd = NULL;
	}
	if (s->out_fd >= 0) {
		close(s->out_fd);
		s->out_fd = -1;
	}
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
child(int out_w, int report, char *const argv[])
{
	sigset_t none;
	int null, hi, e;

	(void)setpgid(0, 0);	/* the deadline's SIGKILL reaches its children */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGPIPE, SIG_DFL);		/* ignored ones survive exec */
	(void)signal(SIGCHLD, SIG_DFL);
	/* Above 2 first, so that no dup2 overwrites an end still needed. */
	if ((e = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    (null = fcntl(e, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (hi = fcntl(out_w, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    dup2(null, 0) < 0 || dup2(hi, 1) < 0 || dup2(null, 2) < 0)
		goto fail;
	execvp(argv[0], argv);
fail:
	e = errno;
	(void)!write(report, &e, sizeof(e));
	_exit(127);
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void
kill_and_reap(struct cmd_state *s)
{
	int st;

	if (s->pid <= 0)
		return;
	kill(-s->pid, SIGKILL);
	kill(s->pid, SIGKILL);
	/* SIGKILL ends it at once: the wait is bounded. */
	while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
		;
	s->pid = -1;
}

/* The program ended with status st: judge it. */
static void
finish(struct check *c, int st)
{
	struct cmd_state *s = c->kind_state;
	char reason[2 * HS_REASON_MAX];	/* check_done cuts it */
	enum hs_status status;
	json_t *f = json_object();

	s->pid = -1;
	if (s->poll != NULL)
		evtimer_del(s->poll);
	close_out(s);
	s->line[s->len] = '\0';
	json_object_set_new(f, "output", json_string(s->line));
	if (WIFEXITED(st)) {
		int code = WEXITSTATUS(st);

		json_object_set_new(f, "exit_code", json_integer(code));
		status = code == 0 ? HS_HEALTHY : code == 1 ? HS_DEGRADED :
		    HS_UNHEALTHY;
		if (s->len > 0)
			snprintf(reason, sizeof(reason), "%s", s->line);
		else
			snprintf(reason, sizeof(reason), "%s exited %d",
			    c->cfg.argv[0], code);
	} else {
		int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;

		json_object_set_new(f, "exit_code", json_null());
		json_object_set_new(f, "signal", json_integer(sig));
		status = HS_UNHEALTHY;
		snprintf(reason, sizeof(reason), "%s killed by signal %d%s%s",
		    c->cfg.argv[0], sig, s->len > 0 ? ": " : "", s->line);
	}
	check_done(c, status, reason, f);
}

/* Reaped: 1 (and the run is over), else 0. */
static int
try_reap(struct check *c)
{
	struct cmd_state *s = c->kind_state;
	pid_t r;
	int st;

	while ((r = waitpid(s->pid, &st, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r != s->pid)
		return 0;
	finish(c, st);
	return 1;
}

static void
arm_poll(struct cmd_state *s, double ms)
{
	struct timeval tv = clock_tv_ms(ms);

	s->poll_ms = ms;
	evtimer_add(s->poll, &tv);
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	struct cmd_state *s = c->kind_state;
	double next;

	(void)fd;
	(void)what;
	if (try_reap(c))
		return;
	next = s->eof ? s->poll_ms * 2 : CMD_POLL_SLOW_MS;
	arm_poll(s, next > CMD_POLL_SLOW_MS ? CMD_POLL_SLOW_MS : next);
}

/* Keep the first line (printable bytes only), drain the rest. */
static void
take(struct cmd_state *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !s->got_line; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\n') {
			s->got_line = 1;
			break;
		}
		if (ch == '\r')
			continue;
		if (s->len < sizeof(s->line) - 1)
			s->line[s->len++] = (ch >= 0x20 && ch < 0x7f) ||
			    ch == '\t' ? (char)ch : '?';
	}
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	struct cmd_state *s = c->kind_state;
	char buf[4096];
	ssize_t n;

	(void)what;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			take(s, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break;		/* EOF or an error: the output is over */
	}
	close_out(s);
	s->eof = 1;
	if (try_reap(c))
		return;
	evtimer_del(s->poll);
	arm_poll(s, CMD_POLL_FAST_MS);
}

static int
cmd_start(struct check *c, struct gw_err *err)
{
	struct cmd_state *s = c->kind_state;
	int out[2] = { -1, -1 }, rep[2] = { -1, -1 }, e = 0, st;
	ssize_t n;
	pid_t pid;

	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return gw_err_set(err, "out of memory");
		s->pid = -1;
		s->out_fd = -1;
		c->kind_state = s;
		if ((s->poll = evtimer_new(c->base, on_poll, c)) == NULL)
			return gw_err_set(err, "cannot create a timer");
	}
	s->eof = s->got_line = 0;
	s->len = 0;
	s->line[0] = '\0';
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		gw_err_set(err, "cannot run %s: pipe: %s", c->cfg.argv[0],
		    strerror(errno));
		goto fail;
	}
	if ((pid = fork()) < 0) {
		gw_err_set(err, "cannot run %s: fork: %s", c->cfg.argv[0],
		    strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(out[1], rep[1], c->cfg.argv);
	(void)setpgid(pid, pid);	/* either side may win the race */
	close(out[1]);
	close(rep[1]);
	out[1] = rep[1] = -1;
	/* The report pipe closes at exec: this read waits only for the exec
	 * itself, not for the program. */
	while ((n = read(rep[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(rep[0]);
	rep[0] = -1;
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		gw_err_set(err, "cannot run %s: %s", c->cfg.argv[0],
		    strerror(e));
		goto fail;
	}
	s->pid = pid;
	s->out_fd = out[0];
	out[0] = -1;
	s->rd = event_new(c->base, s->out_fd, EV_READ | EV_PERSIST, on_read, c);
	if (set_nonblock(s->out_fd) < 0 || s->rd == NULL ||
	    event_add(s->rd, NULL) < 0) {
		gw_err_set(err, "cannot watch %s's output", c->cfg.argv[0]);
		kill_and_reap(s);
		close_out(s);
		return -1;
	}
	arm_poll(s, CMD_POLL_SLOW_MS);
	return 0;
fail:
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (rep[0] >= 0)
		close(rep[0]);
	if (rep[1] >= 0)
		close(rep[1]);
	return -1;
}

static void
cmd_cancel(struct check *c)
{
	struct cmd_state *s = c->kind_state;

	if (s == NULL)
		return;
	kill_and_reap(s);
	if (s->poll != NULL)
		evtimer_del(s->poll);
	close_out(s);
}

static void
cmd_free(struct check *c)
{
	struct cmd_state *s = c->kind_state;

	if (s == NULL)
		return;
	cmd_cancel(c);
	if (s->poll != NULL)
		event_free(s->poll);
	free(s);
	c->kind_state = NULL;
}

const struct check_ops check_command_ops = {
	.start = cmd_start,
	.cancel = cmd_cancel,
	.free = cmd_free,
};
