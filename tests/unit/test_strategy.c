/*
 * Unit tests for bot-core's strategy runner with real child processes
 * (`sh -c` one-liners): messages, bad lines, exits and restarts, stderr,
 * a strategy that does not read (ticks coalesce, must-send lines wait and
 * arrive), and a stop that needs SIGKILL. Every wait is a loop with a
 * deadline; nothing sleeps in the test process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>
#include <jansson.h>

#include "clock.h"
#include "strategy.h"


struct fx {
	struct event_base *base;
	struct event *poll;
	struct strategy *s;
	struct strategy_config cfg;
	int starts, messages, bad, exits, done;
	pid_t pid;
	char last_id[80], bad_reason[300], exit_why[400];
	int exit_status;
	double restart_in[16];
	long stderr_lines, must_lines;
	char last_err[256];
};

/* Does a process of group pgid run (zombies do not count: PID 1 here may
 * not reap the orphans)? */
static int
group_alive(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int alive = 0;

	assert_non_null(d);
	while (!alive && (de = readdir(d)) != NULL) {
		char path[300], buf[512], *p, st;
		int pg;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %c %*d %d", &st, &pg) == 2)
			alive = pg == pgid && st != 'Z';
		fclose(f);
	}
	closedir(d);
	return alive;
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

#define RUN_UNTIL(fx, cond, ms) ({					\
	struct fx *f_ = (fx);						\
	int64_t dl_ = clock_mono_ms() + (ms);				\
	struct timeval tv_ = { 0, 5000 };				\
	evtimer_add(f_->poll, &tv_);					\
	while (!(cond) && clock_mono_ms() < dl_)			\
		event_base_loop(f_->base, EVLOOP_ONCE);			\
	evtimer_del(f_->poll);						\
	(cond);								\
})

static void
cb_start(void *arg, pid_t pid)
{
	struct fx *fx = arg;

	fx->starts++;
	fx->pid = pid;
}

static void
cb_message(void *arg, const struct sm_msg *m)
{
	struct fx *fx = arg;

	fx->messages++;
	if (m->type == SM_INTENT)
		snprintf(fx->last_id, sizeof(fx->last_id), "%s", m->u.intent.id);
}

static void
cb_bad(void *arg, const char *reason)
{
	struct fx *fx = arg;

	fx->bad++;
	snprintf(fx->bad_reason, sizeof(fx->bad_reason), "%s", reason);
}

static void
cb_stderr(void *arg, const char *line, size_t len)
{
	struct fx *fx = arg;

	fx->stderr_lines++;
	if (len >= 4 && memcmp(line, "MUST", 4) == 0)
		fx->must_lines++;
	snprintf(fx->last_err, sizeof(fx->last_err), "%.*s", (int)len, line);
}

static void
cb_exit(void *arg, int status, const char *why, double restart_in)
{
	struct fx *fx = arg;

	if (fx->exits < 16)
		fx->restart_in[fx->exits] = restart_in;
	fx->exits++;
	fx->exit_status = status;
	snprintf(fx->exit_why, sizeof(fx->exit_why), "%s", why);
}

static void
cb_done(void *arg)
{
	struct fx *fx = arg;

	fx->done++;
}

static const struct strategy_cbs cbs = {
	cb_start, cb_message, cb_bad, cb_stderr, cb_exit,
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	signal(SIGPIPE, SIG_IGN);	/* as bot-core's main does */
	fx->base = event_base_new();
	assert_non_null(fx->base);
	fx->poll = event_new(fx->base, -1, EV_PERSIST, on_poll, NULL);
	fx->cfg.restart_min_s = 0.05;
	fx->cfg.restart_max_s = 0.4;
	fx->cfg.stop_timeout_s = 0.3;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	strategy_free(fx->s);
	event_free(fx->poll);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

static void
run(struct fx *fx, const char *cmd)
{
	struct gw_err err = { "" };

	fx->cfg.cmd = cmd;
	fx->s = strategy_new(fx->base, &fx->cfg, &cbs, fx, &err);
	if (fx->s == NULL)
		fail_msg("strategy_new: %s", err.msg);
	assert_int_equal(strategy_start(fx->s, &err), 0);
	assert_int_equal(fx->starts, 1);
	assert_true(fx->pid > 0);
	assert_int_equal(strategy_running(fx->s), 1);
}

static void
test_config(void **state)
{
	struct fx *fx = *state;
	struct gw_err err = { "" };

	fx->cfg.cmd = "";
	assert_null(strategy_new(fx->base, &fx->cfg, &cbs, fx, &err));
	assert_string_equal(err.msg, "STRATEGY_CMD: empty");
	fx->cfg.cmd = "true";
	fx->cfg.restart_max_s = 0.01;
	assert_null(strategy_new(fx->base, &fx->cfg, &cbs, fx, &err));
}

#define INTENT "{\"type\":\"intent\",\"id\":\"a1\",\"symbol\":\"SPY\"," \
	"\"side\":\"BUY\",\"quantity\":1,\"order_type\":\"MKT\"}"

/* A valid intent reaches on_message; a stop ends it without a restart. */
static void
test_intent_then_stop(void **state)
{
	struct fx *fx = *state;

	run(fx, "echo '" INTENT "'; exec cat >/dev/null");
	assert_true(RUN_UNTIL(fx, f_->messages == 1, 3000));
	assert_string_equal(fx->last_id, "a1");
	assert_int_equal(fx->bad, 0);
	strategy_stop(fx->s, cb_done, fx);
	assert_true(RUN_UNTIL(fx, f_->done == 1, 3000));
	assert_int_equal(fx->exits, 1);
	assert_true(fx->restart_in[0] < 0);
	assert_int_equal(strategy_running(fx->s), 0);
	/* no restart follows */
	assert_false(RUN_UNTIL(fx, f_->starts > 1, 200));
	assert_int_equal(strategy_restarts(fx->s), 0);
	/* stopping what is not running: done at once */
	strategy_stop(fx->s, cb_done, fx);
	assert_int_equal(fx->done, 2);
}

/* The last line of a strategy that exits right away is not lost. */
static void
test_last_line_at_exit(void **state)
{
	struct fx *fx = *state;

	run(fx, "printf '%s' '" INTENT "'");
	assert_true(RUN_UNTIL(fx, f_->exits == 1, 3000));
	assert_int_equal(fx->messages, 1);
	assert_string_equal(fx->last_id, "a1");
}

/* Garbage: on_bad_line, the process goes, and comes back with backoff. */
static void
test_garbage_restarts(void **state)
{
	struct fx *fx = *state;

	run(fx, "echo garbage; exec cat >/dev/null");
	assert_true(RUN_UNTIL(fx, f_->bad == 1, 3000));
	assert_non_null(strstr(fx->bad_reason, "not JSON"));
	assert_true(RUN_UNTIL(fx, f_->exits == 1, 3000));
	assert_non_null(strstr(fx->exit_why, "bad line: "));
	assert_true(fabs(fx->restart_in[0] - 0.05) < 1e-9);
	assert_true(RUN_UNTIL(fx, f_->starts == 2, 3000));
	assert_int_equal(strategy_restarts(fx->s), 1);
}

/* An exiting strategy: on_exit with its status and a doubling delay. */
static void
test_exit_backoff(void **state)
{
	struct fx *fx = *state;

	run(fx, "exit 3");
	assert_true(RUN_UNTIL(fx, f_->exits == 3, 5000));
	assert_true(WIFEXITED(fx->exit_status));
	assert_int_equal(WEXITSTATUS(fx->exit_status), 3);
	assert_string_equal(fx->exit_why, "exited with status 3");
	assert_true(fabs(fx->restart_in[0] - 0.05) < 1e-9);
	assert_true(fabs(fx->restart_in[1] - 0.1) < 1e-9);
	assert_true(fabs(fx->restart_in[2] - 0.2) < 1e-9);
	assert_true(strategy_restarts(fx->s) >= 2);
}

/* Overlong output is a bad line too. */
static void
test_overlong_line(void **state)
{
	struct fx *fx = *state;

	run(fx, "head -c 5000 /dev/zero | tr '\\0' x; exec cat >/dev/null");
	assert_true(RUN_UNTIL(fx, f_->bad == 1, 3000));
	assert_string_equal(fx->bad_reason, "line longer than 4096 bytes");
}

static void
test_stderr_lines(void **state)
{
	struct fx *fx = *state;

	run(fx, "echo oops >&2; printf 'two\\r\\n' >&2; exec cat >/dev/null");
	assert_true(RUN_UNTIL(fx, f_->stderr_lines == 2, 3000));
	assert_string_equal(fx->last_err, "two");
	assert_int_equal(fx->bad, 0);
	assert_int_equal(fx->exits, 0);
}

/* A strategy that does not read for a while: 10000 ticks for 3 symbols
 * coalesce (memory stays bounded: nearly all are folded, not queued);
 * the must-send lines sent after them all arrive once it reads. */
static void
test_slow_reader(void **state)
{
	struct fx *fx = *state;
	static const char *syms[] = { "AAA", "BBB", "CCC" };
	char line[64];
	int i;

	/* the strategy itself is slow: it reads only after a second */
	run(fx, "sleep 1; exec grep --line-buffered MUST >&2");
	for (i = 0; i < 10000; i++) {
		struct sm_tick t = { syms[i % 3], 100 + i * 0.01, 100.02 + i * 0.01,
		    100.01, 100, 200, 10, 1000 + i, 0, 0 };

		assert_int_equal(strategy_send_tick(fx->s, &t), 0);
	}
	/* a 64 KiB pipe holds a few hundred lines: the rest coalesced */
	assert_true(strategy_ticks_coalesced(fx->s) > 9000);
	for (i = 0; i < 100; i++) {
		int n = snprintf(line, sizeof(line), "MUST %d\n", i);

		assert_int_equal(strategy_send(fx->s, line, (size_t)n), 0);
	}
	assert_true(RUN_UNTIL(fx, f_->must_lines == 100, 8000));
	assert_string_equal(fx->last_err, "MUST 99");
	assert_int_equal(fx->exits, 0);
}

/* The must-send queue is bounded: beyond it the strategy is stuck and
 * goes (then restarts). */
static void
test_stuck_queue(void **state)
{
	struct fx *fx = *state;
	static char big[64 * 1024];
	int i, rc = 0;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	run(fx, "exec sleep 30");
	for (i = 0; i < 40 && rc == 0; i++)
		rc = strategy_send(fx->s, big, sizeof(big));
	assert_int_equal(rc, -1);
	assert_true(i > 16);	/* 1 MiB queued before */
	assert_true(RUN_UNTIL(fx, f_->exits == 1, 3000));
	assert_non_null(strstr(fx->exit_why, "stuck"));
	assert_true(fx->restart_in[0] > 0);
}

/* A strategy that ignores SIGTERM is killed after stop_timeout_s. */
static void
test_stop_kills(void **state)
{
	struct fx *fx = *state;
	int64_t t0;

	run(fx, "trap '' TERM; echo ready >&2; sleep 30; exit 0");
	assert_true(RUN_UNTIL(fx, f_->stderr_lines == 1, 3000));
	t0 = clock_mono_ms();
	strategy_stop(fx->s, cb_done, fx);
	assert_true(RUN_UNTIL(fx, f_->done == 1, 3000));
	assert_true(clock_mono_ms() - t0 >= 250);	/* the loop's cached time may lag t0 */
	assert_true(WIFSIGNALED(fx->exit_status));
	assert_int_equal(WTERMSIG(fx->exit_status), SIGKILL);
	assert_true(fx->restart_in[0] < 0);
	/* its sleep went with it (same process group; once reaped by init) */
	assert_true(RUN_UNTIL(fx, !group_alive(f_->pid), 2000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intent_then_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_line_at_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stderr_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stuck_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_kills, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
