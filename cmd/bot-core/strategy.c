/*
 * strategy: runs the strategy process (`sh -c STRATEGY_CMD`) on three
 * pipes and keeps it fed without ever blocking (strategy.h). Its stdout and
 * stderr are untrusted: lines are cut at STRATMSG_MAX_LINE and decoded by
 * stratmsg_decode.
 *
 * The pipes use plain events and evbuffers rather than bufferevents: a
 * tick must be written at once when the pipe takes it (or else coalesced),
 * and at the child's exit what it left in its pipes is read without
 * waiting for an EOF that a grandchild holding them could delay forever.
 *
 * The owner ignores SIGPIPE (every gwkit program does): a strategy that
 * closes its stdin makes our writes fail with EPIPE, not kill bot-core.
 */
#include "strategy.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "backoff.h"
#include "clock.h"
#include "lineserv.h"

#define MAX_SLOTS 256		/* symbols whose latest tick can wait */
#define READ_CHUNK 4096		/* bytes per read: lineserv_cut's bound */

struct slot {
	char symbol[STRATMSG_SYMBOL_MAX + 1];
	struct sm_tick t;
	int pending;
};

struct strategy {
	struct event_base *base;
	struct strategy_config cfg;
	char *cmd;
	struct strategy_cbs cbs;
	void *arg;

	pid_t pid;			/* 0: not running; also its pgid */
	int64_t started_ms;
	int in_fd, out_fd, err_fd;
	struct event *in_ev, *out_ev, *err_ev;
	struct evbuffer *inq, *outb, *errb;
	int out_skip, err_skip;
	struct event *sigchld, *restart_timer, *kill_timer;
	struct backoff bo;

	int killing;			/* we asked it to go; why says why */
	char why[GW_WHY_MAX];
	int bad;			/* a bad line: ignore the rest */
	int stopping;
	void (*done)(void *);
	void *done_arg;

	struct slot slots[MAX_SLOTS];
	size_t n_slots, n_pending;
	unsigned long coalesced, restarts;
};

static void on_in(evutil_socket_t fd, short what, void *arg);
static void on_out(evutil_socket_t fd, short what, void *arg);
static void on_err(evutil_socket_t fd, short what, void *arg);
static void on_sigchld(evutil_socket_t fd, short what, void *arg);
static void on_restart(evutil_socket_t fd, short what, void *arg);
static void on_kill(evutil_socket_t fd, short what, void *arg);

struct strategy *
strategy_new(struct event_base *base, const struct strategy_config *cfg,
    const struct strategy_cbs *cbs, void *arg, struct gw_err *err)
{
	struct strategy *s;

	if (cfg->cmd == NULL || cfg->cmd[0] == '\0') {
		gw_err_set(err, "STRATEGY_CMD: empty");
		return NULL;
	}
	if (!(cfg->restart_min_s > 0) || !(cfg->restart_max_s >= cfg->restart_min_s) ||
	    !(cfg->stop_timeout_s > 0)) {
		gw_err_set(err, "strategy: restart delays and stop timeout must "
		    "be positive (min <= max)");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		gw_err_set(err, "strategy: out of memory");
		return NULL;
	}
	s->base = base;
	s->cfg = *cfg;
	s->cbs = *cbs;
	s->arg = arg;
	s->in_fd = s->out_fd = s->err_fd = -1;
	backoff_init(&s->bo, cfg->restart_min_s, cfg->restart_max_s);
	s->cmd = strdup(cfg->cmd);
	s->cfg.cmd = s->cmd;
	s->inq = evbuffer_new();
	s->outb = evbuffer_new();
	s->errb = evbuffer_new();
	/* bot-core has no other children: SIGCHLD is ours. */
	s->sigchld = evsignal_new(base, SIGCHLD, on_sigchld, s);
	s->restart_timer = evtimer_new(base, on_restart, s);
	s->kill_timer = evtimer_new(base, on_kill, s);
	if (s->cmd == NULL || s->inq == NULL || s->outb == NULL ||
	    s->errb == NULL || s->sigchld == NULL || s->restart_timer == NULL ||
	    s->kill_timer == NULL || evsignal_add(s->sigchld, NULL) < 0) {
		gw_err_set(err, "strategy: out of memory");
		strategy_free(s);
		return NULL;
	}
	return s;
}

static void
close_fd(int *fd, struct event **ev)
{
	if (*ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Forget what was queued for this process: the next one gets hello and
 * the state from the owner. */
static void
close_stdin(struct strategy *s)
{
	size_t i;

	close_fd(&s->in_fd, &s->in_ev);
	evbuffer_drain(s->inq, evbuffer_get_length(s->inq));
	for (i = 0; i < s->n_slots; i++)
		s->slots[i].pending = 0;
	s->n_pending = 0;
}

static void
close_pipes(struct strategy *s)
{
	close_stdin(s);
	close_fd(&s->out_fd, &s->out_ev);
	close_fd(&s->err_fd, &s->err_ev);
	evbuffer_drain(s->outb, evbuffer_get_length(s->outb));
	evbuffer_drain(s->errb, evbuffer_get_length(s->errb));
	s->out_skip = s->err_skip = 0;
}

void
strategy_free(struct strategy *s)
{
	if (s == NULL)
		return;
	if (s->pid > 0) {
		/* SIGKILL ends it at once: the wait is bounded. */
		int st;

		kill(-s->pid, SIGKILL);
		while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	close_pipes(s);
	if (s->kill_timer != NULL)
		event_free(s->kill_timer);
	if (s->restart_timer != NULL)
		event_free(s->restart_timer);
	if (s->sigchld != NULL)
		event_free(s->sigchld);
	if (s->errb != NULL)
		evbuffer_free(s->errb);
	if (s->outb != NULL)
		evbuffer_free(s->outb);
	if (s->inq != NULL)
		evbuffer_free(s->inq);
	free(s->cmd);
	free(s);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
child(int in_r, int out_w, int err_w, int report, const char *cmd)
{
	sigset_t none;
	int fds[3] = { in_r, out_w, err_w }, hi[3], i, e;

	/* Its own process group: a stop reaches what its shell started. */
	(void)setpgid(0, 0);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGPIPE, SIG_DFL);		/* ignored ones survive exec */
	(void)signal(SIGCHLD, SIG_DFL);
	/* Above 2 first, so that no dup2 overwrites an end still needed. */
	for (i = 0; i < 3; i++)
		if ((hi[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
			goto fail;
	for (i = 0; i < 3; i++)
		if (dup2(hi[i], i) < 0)
			goto fail;
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
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

/* Fork and exec `sh -c cmd`; every descriptor of ours is close-on-exec. */
static int
spawn(struct strategy *s, struct gw_err *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
	int rep[2] = { -1, -1 }, e = 0, st;
	ssize_t n;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(er, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		gw_err_set(err, "strategy: pipe: %s", strerror(errno));
		goto fail;
	}
	if ((pid = fork()) < 0) {
		gw_err_set(err, "strategy: fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(in[0], out[1], er[1], rep[1], s->cmd);
	(void)setpgid(pid, pid);	/* either side may win the race */
	close(in[0]);
	close(out[1]);
	close(er[1]);
	close(rep[1]);
	in[0] = out[1] = er[1] = rep[1] = -1;
	/* The report pipe closes at exec: this read waits only for the exec
	 * itself, not for the strategy. */
	while ((n = read(rep[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(rep[0]);
	rep[0] = -1;
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		gw_err_set(err, "strategy: cannot run /bin/sh: %s", strerror(e));
		goto fail;
	}
	s->in_fd = in[1];
	s->out_fd = out[0];
	s->err_fd = er[0];
	in[1] = out[0] = er[0] = -1;
	s->pid = pid;
	s->started_ms = clock_mono_ms();
	s->killing = s->bad = 0;
	s->why[0] = '\0';
	s->in_ev = event_new(s->base, s->in_fd, EV_WRITE, on_in, s);
	s->out_ev = event_new(s->base, s->out_fd, EV_READ | EV_PERSIST, on_out, s);
	s->err_ev = event_new(s->base, s->err_fd, EV_READ | EV_PERSIST, on_err, s);
	if (set_nonblock(s->in_fd) < 0 || set_nonblock(s->out_fd) < 0 ||
	    set_nonblock(s->err_fd) < 0 || s->in_ev == NULL ||
	    s->out_ev == NULL || s->err_ev == NULL ||
	    event_add(s->out_ev, NULL) < 0 || event_add(s->err_ev, NULL) < 0) {
		/* Ours failed, not its: it is killed and reaped by SIGCHLD. */
		gw_err_set(err, "strategy: cannot watch its pipes");
		kill(-pid, SIGKILL);
		s->killing = 1;
		snprintf(s->why, sizeof(s->why), "%s", err->msg);
		return -1;
	}
	if (s->cbs.on_start != NULL)
		s->cbs.on_start(s->arg, pid);
	return 0;
fail:
	for (st = 0; st < 2; st++) {
		if (in[st] >= 0)
			close(in[st]);
		if (out[st] >= 0)
			close(out[st]);
		if (er[st] >= 0)
			close(er[st]);
		if (rep[st] >= 0)
			close(rep[st]);
	}
	return -1;
}

int
strategy_start(struct strategy *s, struct gw_err *err)
{
	if (s->pid > 0)
		return gw_err_set(err, "strategy: already running");
	s->stopping = 0;
	evtimer_del(s->restart_timer);
	return spawn(s, err);
}

/* Ask it to go (close stdin, SIGTERM, SIGKILL after stop_timeout_s); the
 * exit is handled when SIGCHLD reaps it. */
static void
terminate(struct strategy *s, const char *why)
{
	struct timeval tv = clock_tv_ms(s->cfg.stop_timeout_s * 1000);

	if (s->pid <= 0 || s->killing)
		return;
	s->killing = 1;
	snprintf(s->why, sizeof(s->why), "%s", why);
	close_stdin(s);
	kill(-s->pid, SIGTERM);
	evtimer_add(s->kill_timer, &tv);
}

static void
on_kill(evutil_socket_t fd, short what, void *arg)
{
	struct strategy *s = arg;

	(void)fd;
	(void)what;
	if (s->pid > 0)
		kill(-s->pid, SIGKILL);
}

/* Write what is queued; when the queue is empty, the ticks that waited
 * (latest per symbol) go next. */
static void
flush(struct strategy *s)
{
	size_t i;

	while (s->in_fd >= 0) {
		if (evbuffer_get_length(s->inq) == 0 && s->n_pending > 0) {
			for (i = 0; i < s->n_slots; i++) {
				struct slot *sl = &s->slots[i];
				size_t len;
				char *line;

				if (!sl->pending)
					continue;
				sl->pending = 0;
				line = stratmsg_tick(&sl->t, &len);
				if (line != NULL)
					evbuffer_add(s->inq, line, len);
				free(line);
			}
			s->n_pending = 0;
		}
		if (evbuffer_get_length(s->inq) == 0)
			break;
		if (evbuffer_write(s->inq, s->in_fd) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				event_add(s->in_ev, NULL);
				return;
			}
			if (errno == EINTR)
				continue;
			/* EPIPE: it closed its stdin; its exit tells the rest. */
			close_stdin(s);
			return;
		}
	}
}

static void
on_in(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

int
strategy_send(struct strategy *s, const char *line, size_t len)
{
	if (s->pid <= 0 || s->in_fd < 0)
		return -1;
	if (evbuffer_get_length(s->inq) + len > STRATEGY_MAX_QUEUED) {
		char why[96];

		snprintf(why, sizeof(why), "stuck: more than %d bytes of "
		    "messages unread", STRATEGY_MAX_QUEUED);
		terminate(s, why);
		return -1;
	}
	if (evbuffer_add(s->inq, line, len) < 0)
		return -1;
	flush(s);
	return 0;
}

int
strategy_send_tick(struct strategy *s, const struct sm_tick *t)
{
	struct slot *sl = NULL;
	size_t i, len;
	char *line;

	if (s->pid <= 0 || s->in_fd < 0 || t->symbol == NULL ||
	    strlen(t->symbol) > STRATMSG_SYMBOL_MAX)
		return -1;
	if (evbuffer_get_length(s->inq) == 0 && s->n_pending == 0) {
		if ((line = stratmsg_tick(t, &len)) == NULL)
			return -1;
		evbuffer_add(s->inq, line, len);
		free(line);
		flush(s);
		return 0;
	}
	/* The pipe is full: this tick waits, replacing the one waiting. */
	for (i = 0; i < s->n_slots && sl == NULL; i++)
		if (strcmp(s->slots[i].symbol, t->symbol) == 0)
			sl = &s->slots[i];
	if (sl == NULL && s->n_slots < MAX_SLOTS) {
		sl = &s->slots[s->n_slots++];
		snprintf(sl->symbol, sizeof(sl->symbol), "%s", t->symbol);
	}
	if (sl == NULL) {		/* more symbols than slots: dropped */
		s->coalesced++;
		return 0;
	}
	if (sl->pending) {
		s->coalesced++;
		sl->t.coalesced++;
		i = sl->t.coalesced;
	} else {
		i = 0;
		sl->pending = 1;
		s->n_pending++;
	}
	sl->t = *t;
	sl->t.symbol = sl->symbol;
	sl->t.coalesced = i;
	return 0;
}

static void
bad_line(struct strategy *s, const char *reason)
{
	char why[GW_WHY_MAX];

	s->bad = 1;
	if (s->cbs.on_bad_line != NULL)
		s->cbs.on_bad_line(s->arg, reason);
	snprintf(why, sizeof(why), "bad line: %s", reason);
	terminate(s, why);
}

/* Hand on every whole line of its stdout (at eof, the rest too). */
static void
cut_out(struct strategy *s, int eof)
{
	struct lineserv_cut cut;
	enum lineserv_cut_what w;
	struct sm_msg m;
	struct gw_err e;

	while ((w = lineserv_cut(s->outb, STRATMSG_MAX_LINE, eof, &s->out_skip,
	    &cut)) != LINESERV_CUT_NONE) {
		if (s->bad) {
			if (w == LINESERV_CUT_LINE)
				evbuffer_drain(s->outb, cut.used);
			continue;
		}
		if (w == LINESERV_CUT_OVERLONG) {
			char why[64];

			snprintf(why, sizeof(why), "line longer than %d bytes",
			    STRATMSG_MAX_LINE);
			bad_line(s, why);
			continue;
		}
		if (stratmsg_decode(cut.line, cut.len, &m, &e) < 0) {
			evbuffer_drain(s->outb, cut.used);
			bad_line(s, e.msg);
			continue;
		}
		evbuffer_drain(s->outb, cut.used);
		if (s->cbs.on_message != NULL)
			s->cbs.on_message(s->arg, &m);
	}
}

static void
cut_err(struct strategy *s, int eof)
{
	struct lineserv_cut cut;
	enum lineserv_cut_what w;

	while ((w = lineserv_cut(s->errb, STRATMSG_MAX_LINE, eof, &s->err_skip,
	    &cut)) != LINESERV_CUT_NONE) {
		size_t len = cut.len;

		if (w == LINESERV_CUT_OVERLONG) {
			static const char msg[] = "(a stderr line longer than "
			    "4096 bytes was dropped)";

			if (s->cbs.on_stderr != NULL)
				s->cbs.on_stderr(s->arg, msg, sizeof(msg) - 1);
			continue;
		}
		if (len > 0 && cut.line[len - 1] == '\r')
			len--;
		if (s->cbs.on_stderr != NULL)
			s->cbs.on_stderr(s->arg, cut.line, len);
		evbuffer_drain(s->errb, cut.used);
	}
}

/* One bounded read; 1 while the pipe may have more, 0 at EOF/error or
 * when it is empty for now. */
static int
read_some(struct strategy *s, int *fd, struct event **ev,
    struct evbuffer *b, int is_out)
{
	int n = evbuffer_read(b, *fd, READ_CHUNK);
	int eof = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR &&
	    errno != EWOULDBLOCK);

	if (is_out)
		cut_out(s, eof);
	else
		cut_err(s, eof);
	if (eof) {
		close_fd(fd, ev);
		return 0;
	}
	return n > 0;
}

static void
on_out(evutil_socket_t fd, short what, void *arg)
{
	struct strategy *s = arg;

	(void)fd;
	(void)what;
	(void)read_some(s, &s->out_fd, &s->out_ev, s->outb, 1);
}

static void
on_err(evutil_socket_t fd, short what, void *arg)
{
	struct strategy *s = arg;

	(void)fd;
	(void)what;
	(void)read_some(s, &s->err_fd, &s->err_ev, s->errb, 0);
}

static void
describe(int st, char *buf, size_t sz)
{
	if (WIFEXITED(st))
		snprintf(buf, sz, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sz, "killed by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(buf, sz, "ended (status 0x%x)", (unsigned)st);
}

/* Arm the next start; the delay. A process that ran for restart_max_s
 * was healthy: the backoff starts over. */
static double
schedule_restart(struct strategy *s, int64_t ran_ms)
{
	struct timeval tv;
	double d;

	if ((double)ran_ms >= s->cfg.restart_max_s * 1000)
		backoff_reset(&s->bo);
	d = backoff_next(&s->bo);
	tv = clock_tv_ms(d * 1000);
	evtimer_add(s->restart_timer, &tv);
	return d;
}

static void
exited(struct strategy *s, int st)
{
	char why[GW_WHY_MAX + 128], how[96];
	double restart_in = -1;
	void (*done)(void *) = NULL;
	void *done_arg = s->done_arg;
	pid_t pid = s->pid;

	/* What it wrote before going is still in the pipes: read it now,
	 * without waiting (a grandchild may hold them open). */
	while (s->out_fd >= 0 && read_some(s, &s->out_fd, &s->out_ev, s->outb, 1))
		;
	if (s->out_fd >= 0)
		cut_out(s, 1);
	while (s->err_fd >= 0 && read_some(s, &s->err_fd, &s->err_ev, s->errb, 0))
		;
	if (s->err_fd >= 0)
		cut_err(s, 1);
	close_pipes(s);
	evtimer_del(s->kill_timer);
	/* Whatever it left running in its group goes with it. */
	kill(-pid, SIGKILL);
	s->pid = 0;
	describe(st, how, sizeof(how));
	if (s->killing)
		snprintf(why, sizeof(why), "%s; %s", s->why, how);
	else
		snprintf(why, sizeof(why), "%s", how);
	if (s->stopping) {
		done = s->done;
		s->done = NULL;
	} else {
		restart_in = schedule_restart(s, clock_mono_ms() - s->started_ms);
	}
	if (s->cbs.on_exit != NULL)
		s->cbs.on_exit(s->arg, st, why, restart_in);
	if (done != NULL)
		done(done_arg);
}

static void
on_sigchld(evutil_socket_t fd, short what, void *arg)
{
	struct strategy *s = arg;
	pid_t r;
	int st;

	(void)fd;
	(void)what;
	if (s->pid <= 0)
		return;
	while ((r = waitpid(s->pid, &st, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == s->pid)
		exited(s, st);
}

static void
on_restart(evutil_socket_t fd, short what, void *arg)
{
	struct strategy *s = arg;
	struct gw_err e;

	(void)fd;
	(void)what;
	if (s->stopping || s->pid > 0)
		return;
	s->restarts++;
	if (spawn(s, &e) < 0 && s->pid <= 0) {
		double d = schedule_restart(s, 0);

		if (s->cbs.on_exit != NULL)
			s->cbs.on_exit(s->arg, -1, e.msg, d);
	}
}

int
strategy_running(const struct strategy *s)
{
	return s->pid > 0;
}

unsigned long
strategy_ticks_coalesced(const struct strategy *s)
{
	return s->coalesced;
}

unsigned long
strategy_restarts(const struct strategy *s)
{
	return s->restarts;
}

void
strategy_stop(struct strategy *s, void (*done)(void *arg), void *arg)
{
	s->stopping = 1;
	evtimer_del(s->restart_timer);
	if (s->pid <= 0) {
		if (done != NULL)
			done(arg);
		return;
	}
	s->done = done;
	s->done_arg = arg;
	terminate(s, "stopped");
}
