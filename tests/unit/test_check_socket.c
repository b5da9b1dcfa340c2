/* Unit tests for health-mon's socket checks (cmd/health-mon/check_socket.c)
 * through the check API (check_new, check_run_once): a forked fake daemon
 * per run checks the request line and answers a canned reply (bot-core's
 * status, stack-init's status, discord-notify's stats); none for the
 * unreachable cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "check_int.h"
#include "clock.h"

/* ---------- the fake daemons ---------- */

struct fixture {
	char dir[64];
	char path[128];		/* dir/d.sock */
	int lfd;		/* the listener, -1 */
	pid_t pid;		/* the daemon of this run, 0 */
	struct event_base *base;
	/* the last result */
	int calls;
	enum hs_status status;
	char reason[HS_REASON_MAX + 1];
	json_t *fields;		/* a copy */
	int held[2];		/* the daemon's "request received" pipe */
	struct check *c;	/* test_free_during_run */
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_check_socket.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/d.sock", fx->dir);
	fx->lfd = -1;
	fx->base = event_base_new();
	if (pipe(fx->held) < 0)
		return -1;
	*state = fx;
	return fx->base != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->pid > 0) {
		kill(fx->pid, SIGKILL);
		waitpid(fx->pid, NULL, 0);
	}
	if (fx->lfd >= 0)
		close(fx->lfd);
	unlink(fx->path);
	rmdir(fx->dir);
	json_decref(fx->fields);
	close(fx->held[0]);
	close(fx->held[1]);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

/* One connection: the request must be want, the answer is reply (a line
 * with its newline); reply NULL: tell the test through held_fd that the
 * request came, and answer nothing until the client leaves. Exits 0 when
 * all went as expected. */
static void
serve(int lfd, const char *want, const char *reply, int held_fd)
{
	char line[256];
	size_t n = 0;
	int c;

	signal(SIGPIPE, SIG_IGN);
	if ((c = accept(lfd, NULL, NULL)) < 0)
		_exit(10);
	while (n < sizeof(line) - 1) {
		ssize_t r = read(c, line + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(11);
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	if (strcmp(line, want) != 0)
		_exit(12);
	if (reply == NULL) {
		if (write(held_fd, "r", 1) != 1)
			_exit(14);
		_exit(read(c, line, sizeof(line)) == 0 ? 0 : 15);
	}
	n = strlen(reply);
	while (n > 0) {
		ssize_t w = write(c, reply, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			_exit(13);
		reply += w;
		n -= (size_t)w;
	}
	_exit(0);
}

/* Start the daemon for one run (listening first, so no race). */
static void
daemon_once(struct fixture *fx, const char *want, const char *reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (fx->lfd < 0) {
		fx->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fx->lfd >= 0);
		memcpy(sa.sun_path, fx->path, strlen(fx->path) + 1);
		assert_int_equal(bind(fx->lfd, (struct sockaddr *)&sa,
		    sizeof(sa)), 0);
		assert_int_equal(listen(fx->lfd, 4), 0);
	}
	fx->pid = fork();
	assert_true(fx->pid >= 0);
	if (fx->pid == 0)
		serve(fx->lfd, want, reply, fx->held[1]);
}

static void
daemon_done(struct fixture *fx)
{
	int st;

	assert_int_equal(waitpid(fx->pid, &st, 0), fx->pid);
	fx->pid = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
on_result(struct check *c, const struct check_result *r, void *arg)
{
	struct fixture *fx = arg;

	(void)c;
	fx->calls++;
	fx->status = r->status;
	snprintf(fx->reason, sizeof(fx->reason), "%s", r->reason);
	json_decref(fx->fields);
	fx->fields = json_deep_copy(r->fields);
	event_base_loopbreak(fx->base);
}

static void
on_guard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* A check of kind on fx->path with cfg's thresholds. */
static struct check *
new_check(struct fixture *fx, enum check_kind kind)
{
	struct check_config cfg;
	struct gw_err e = { "" };
	struct check *c;

	check_config_init(&cfg, kind, fx->dir);
	assert_true(strlen(fx->path) < sizeof(cfg.socket));
	memcpy(cfg.socket, fx->path, strlen(fx->path) + 1);
	cfg.timeout_s = 5;
	cfg.stale_s = 120;
	cfg.backlog_warn = 20;
	cfg.oldest_warn_s = 600;
	c = check_new(fx->base, NULL, &cfg, on_result, fx, &e);
	assert_non_null(c);
	return c;
}

/* One run to its result (within a guard of 10 s). */
static void
run(struct fixture *fx, struct check *c)
{
	struct timeval gtv = { 10, 0 };
	struct event *guard = evtimer_new(fx->base, on_guard, fx->base);
	struct gw_err e = { "" };
	int before = fx->calls;

	assert_non_null(guard);
	evtimer_add(guard, &gtv);
	assert_int_equal(check_run_once(c, &e), 0);
	assert_int_equal(fx->calls, before);	/* never from inside start */
	event_base_dispatch(fx->base);
	event_free(guard);
	assert_int_equal(fx->calls, before + 1);
}

/* One check of kind against a daemon answering reply. */
static void
ask(struct fixture *fx, enum check_kind kind, const char *reply)
{
	struct check *c = new_check(fx, kind);

	daemon_once(fx, kind == CHECK_NOTIFIER ? "{\"cmd\":\"stats\"}" :
	    "{\"cmd\":\"status\"}", reply);
	run(fx, c);
	daemon_done(fx);
	check_free(c);
}

static const char *
field_s(const struct fixture *fx, const char *k)
{
	return json_string_value(json_object_get(fx->fields, k));
}

/* ---------- bot ---------- */

/* RFC 3339 UTC of now minus ago_s, as bot-core writes it. */
static void
ts_ago(char *buf, size_t sz, int ago_s)
{
	time_t t = time(NULL) - ago_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%S.250Z", &tm);
}

/* bot-core's status line with these values (the rest as usual). */
static void
bot_reply(char *buf, size_t sz, int gate_open, const char *gate_reason,
    const char *last, const char *active, const char *active_reason,
    int halted)
{
	snprintf(buf, sz, "{\"ok\":true,\"gateway_connected\":true,"
	    "\"gateway_validated\":true,\"gate_open\":%s,\"gate_reason\":\"%s\","
	    "\"gate_detail\":\"\",\"last_gateway_check\":%s%s%s,"
	    "\"server_version\":\"176\",\"accounts\":[\"DU1\"],"
	    "\"uptime_seconds\":3600,\"strategy_active\":\"%s\","
	    "\"strategy_reason\":\"%s\",\"dry_run\":true,\"trading_mode\":"
	    "\"paper\",\"positions\":{},\"pnl\":-12.5,\"intents_accepted\":3,"
	    "\"intents_rejected\":1,\"last_error\":\"\",\"halted\":%s,"
	    "\"strategy_running\":true,\"ticks_coalesced\":0}\n",
	    gate_open ? "true" : "false", gate_reason, last ? "\"" : "",
	    last ? last : "null", last ? "\"" : "", active, active_reason,
	    halted ? "true" : "false");
}

static void
test_bot_healthy(void **state)
{
	struct fixture *fx = *state;
	char ts[40], reply[1024];

	ts_ago(ts, sizeof(ts), 5);
	bot_reply(reply, sizeof(reply), 1, "open", ts, "A", "gameplan", 0);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_HEALTHY);
	assert_string_equal(fx->reason, "");
	/* the reply's fields, copied */
	assert_true(json_is_true(json_object_get(fx->fields, "gate_open")));
	assert_string_equal(field_s(fx, "gate_reason"), "open");
	assert_string_equal(field_s(fx, "strategy_active"), "A");
	assert_string_equal(field_s(fx, "last_gateway_check"), ts);
	assert_true(json_real_value(json_object_get(fx->fields, "pnl")) ==
	    -12.5);
	assert_true(json_is_false(json_object_get(fx->fields, "halted")));
	assert_true(json_is_true(json_object_get(fx->fields, "reachable")));
	assert_true(json_real_value(json_object_get(fx->fields,
	    "gateway_check_age_s")) >= 4);
	assert_null(json_object_get(fx->fields, "positions"));	/* not copied */
}

static void
test_bot_unreachable(void **state)
{
	struct fixture *fx = *state;
	struct check *c = new_check(fx, CHECK_BOT);
	char want[512];

	run(fx, c);
	assert_int_equal(fx->status, HS_UNHEALTHY);
	snprintf(want, sizeof(want), "bot-core not reachable: cannot connect to "
	    "%s: No such file or directory", fx->path);
	assert_string_equal(fx->reason, want);
	assert_true(json_is_false(json_object_get(fx->fields, "reachable")));
	check_free(c);
}

static void
test_bot_stale(void **state)
{
	struct fixture *fx = *state;
	char ts[40], reply[1024];

	ts_ago(ts, sizeof(ts), 600);
	bot_reply(reply, sizeof(reply), 1, "open", ts, "A", "gameplan", 0);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_true(strcmp(fx->reason, "stale: last gateway check 600 s ago") ==
	    0 || strcmp(fx->reason, "stale: last gateway check 601 s ago") == 0);
	/* never checked, an hour after the start */
	bot_reply(reply, sizeof(reply), 0, "not-validated", NULL, "A",
	    "gameplan", 0);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason, "stale: no gateway check in 3600 s "
	    "since bot-core started; gate closed: not-validated");
}

/* The daily restart window closes the gate on purpose: no alarm. */
static void
test_bot_restart_window(void **state)
{
	struct fixture *fx = *state;
	char ts[40], reply[1024];

	ts_ago(ts, sizeof(ts), 5);
	bot_reply(reply, sizeof(reply), 0, "restart-window", ts, "A", "gameplan", 0);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_HEALTHY);
	assert_string_equal(fx->reason, "");
	bot_reply(reply, sizeof(reply), 0, "not-validated", ts, "A", "gameplan", 0);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_DEGRADED);
}

static void
test_bot_halted(void **state)
{
	struct fixture *fx = *state;
	char ts[40], reply[1024];

	ts_ago(ts, sizeof(ts), 5);
	bot_reply(reply, sizeof(reply), 0, "halted", ts, "C", "halted", 1);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason, "halted by the operator");
	assert_true(json_is_true(json_object_get(fx->fields, "halted")));
}

static void
test_bot_gate_closed(void **state)
{
	struct fixture *fx = *state;
	char ts[40], reply[1024];

	ts_ago(ts, sizeof(ts), 5);
	bot_reply(reply, sizeof(reply), 0, "connectivity-lost", ts, "A",
	    "gameplan", 0);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason, "gate closed: connectivity-lost");
	/* one that needs a person */
	bot_reply(reply, sizeof(reply), 0, "live-account-refused", ts, "C",
	    "live-account-refused", 0);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_UNHEALTHY);
	assert_string_equal(fx->reason, "gate closed: live-account-refused");
	bot_reply(reply, sizeof(reply), 0, "client-id-in-use", ts, "A",
	    "gameplan", 0);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_UNHEALTHY);
	assert_string_equal(fx->reason, "gate closed: client-id-in-use");
}

static void
test_bot_strategy_c(void **state)
{
	struct fixture *fx = *state;
	char ts[40], reply[1024];

	ts_ago(ts, sizeof(ts), 5);
	/* the gameplan says C: as planned */
	bot_reply(reply, sizeof(reply), 0, "strategy-c", ts, "C", "gameplan", 0);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_HEALTHY);
	/* C for another cause */
	bot_reply(reply, sizeof(reply), 0, "strategy-c", ts, "C", "loss-limit",
	    0);
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason,
	    "Strategy C instead of the gameplan's: loss-limit");
}

/* bot-core's usual status, open on plan A, with "pnl" and the loss
 * fields replaced by members (JSON text). */
static void
bot_reply_loss(char *buf, size_t sz, const char *members)
{
	static const char pnl[] = "\"pnl\":-12.5,";
	char ts[40], base[1024], *at;

	ts_ago(ts, sizeof(ts), 5);
	bot_reply(base, sizeof(base), 1, "open", ts, "A", "gameplan", 0);
	at = strstr(base, pnl);
	assert_non_null(at);
	*at = '\0';
	assert_true((size_t)snprintf(buf, sz, "%s%s,%s", base, members,
	    at + sizeof(pnl) - 1) < sz);
}

static void
test_bot_loss_near_limit(void **state)
{
	struct fixture *fx = *state;
	char reply[1024];

	/* 85% of the 2000 limit lost: near */
	bot_reply_loss(reply, sizeof(reply), "\"pnl\":-1700.5,"
	    "\"starting_capital\":100000.0,\"max_daily_loss\":2000.0");
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason,
	    "loss near the limit: P&L -1700.50 of -2000.00");
	assert_true(json_number_value(json_object_get(fx->fields,
	    "max_daily_loss")) == 2000);
	assert_true(json_number_value(json_object_get(fx->fields,
	    "starting_capital")) == 100000);
	/* exactly 80%, integers as a producer may write them */
	bot_reply_loss(reply, sizeof(reply), "\"pnl\":-1600,"
	    "\"starting_capital\":100000,\"max_daily_loss\":2000");
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason,
	    "loss near the limit: P&L -1600.00 of -2000.00");
	/* far from it, a gain, no limit: healthy */
	bot_reply_loss(reply, sizeof(reply), "\"pnl\":-500.0,"
	    "\"starting_capital\":100000.0,\"max_daily_loss\":2000.0");
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_HEALTHY);
	assert_string_equal(fx->reason, "");
	bot_reply_loss(reply, sizeof(reply), "\"pnl\":1900.0,"
	    "\"starting_capital\":100000.0,\"max_daily_loss\":2000.0");
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_HEALTHY);
	bot_reply_loss(reply, sizeof(reply), "\"pnl\":-1900.0,"
	    "\"starting_capital\":0.0,\"max_daily_loss\":null");
	ask(fx, CHECK_BOT, reply);
	assert_int_equal(fx->status, HS_HEALTHY);
}

static void
test_bot_bad_replies(void **state)
{
	struct fixture *fx = *state;

	ask(fx, CHECK_BOT, "{\"ok\":true,\"gate_open\":\"yes\"}\n");
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_non_null(strstr(fx->reason, "bot-core status not understood: "));
	ask(fx, CHECK_BOT,
	    "{\"ok\":false,\"error\":\"too many clients\",\"busy\":true}\n");
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason,
	    "bot-core too busy for our request: too many clients");
	ask(fx, CHECK_BOT, "not json\n");
	assert_int_equal(fx->status, HS_UNHEALTHY);
	assert_non_null(strstr(fx->reason, "bot-core not answering: "));
	assert_true(json_is_true(json_object_get(fx->fields, "reachable")));
}

/* ---------- init ---------- */

#define SVC(name, state, restarts, last_exit)				\
	"{\"name\":\"" name "\",\"state\":\"" state "\",\"pid\":null,"	\
	"\"uptime_s\":null,\"restarts\":" #restarts ",\"last_exit\":"	\
	last_exit ",\"ready\":false,\"external\":false,"		\
	"\"next_restart\":null}"

static void
test_init_all_running(void **state)
{
	struct fixture *fx = *state;

	ask(fx, CHECK_INIT, "{\"ok\":true,\"services\":["
	    SVC("gateway", "ready", 1, "{\"signal\":\"TERM\",\"code\":143}") ","
	    SVC("setup", "exited", 0, "{\"code\":0}") ","
	    SVC("bot", "ready", 0, "null") "]}\n");
	assert_int_equal(fx->status, HS_HEALTHY);
	assert_string_equal(fx->reason, "");
	assert_int_equal(json_array_size(json_object_get(fx->fields,
	    "services")), 3);
	assert_int_equal(json_integer_value(json_object_get(fx->fields,
	    "services_ready")), 2);
}

static void
test_init_fatal(void **state)
{
	struct fixture *fx = *state;

	ask(fx, CHECK_INIT, "{\"ok\":true,\"services\":["
	    SVC("gateway", "fatal", 5, "{\"code\":1}") ","
	    SVC("bot", "held", 0, "null") "]}\n");
	assert_int_equal(fx->status, HS_UNHEALTHY);
	assert_string_equal(fx->reason, "gateway fatal (exit code 1)");
}

static void
test_init_not_running(void **state)
{
	struct fixture *fx = *state;

	ask(fx, CHECK_INIT, "{\"ok\":true,\"services\":["
	    SVC("gateway", "backoff", 3, "{\"signal\":\"KILL\",\"code\":137}") ","
	    SVC("bot", "paused", 0, "null") ","
	    SVC("notify", "held", 0, "null") ","
	    SVC("mon", "starting", 0, "null") ","
	    SVC("job", "exited", 0, "{\"code\":2}") "]}\n");
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason, "gateway restarting after a failure "
	    "(signal KILL), 3 restarts; bot paused; notify held; "
	    "job not running: exited (exit code 2)");	/* mon: starting, under way */
}

/* Restarts growing by two or more between runs: a crash loop, even when
 * the service happens to be up at the moment of the check. */
static void
test_init_crash_loop(void **state)
{
	struct fixture *fx = *state;
	struct check *c = new_check(fx, CHECK_INIT);

	daemon_once(fx, "{\"cmd\":\"status\"}", "{\"ok\":true,\"services\":["
	    SVC("bot", "ready", 1, "{\"code\":1}") "]}\n");
	run(fx, c);
	daemon_done(fx);
	assert_int_equal(fx->status, HS_HEALTHY);
	daemon_once(fx, "{\"cmd\":\"status\"}", "{\"ok\":true,\"services\":["
	    SVC("bot", "ready", 4, "{\"code\":1}") "]}\n");
	run(fx, c);
	daemon_done(fx);
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason, "bot crash-looping: 3 restarts since "
	    "the last check (exit code 1)");
	check_free(c);
}

static void
test_init_unreachable(void **state)
{
	struct fixture *fx = *state;
	struct check *c = new_check(fx, CHECK_INIT);

	run(fx, c);
	assert_int_equal(fx->status, HS_UNHEALTHY);
	assert_non_null(strstr(fx->reason, "stack-init not reachable: "));
	check_free(c);
}

/* ---------- notifier ---------- */

#define STATS(queued, state, extra)					\
	"{\"ok\":true,\"stats\":{\"received\":10,\"rejected\":0,"	\
	"\"spooled\":10,\"delivered\":8,\"retried\":0,\"rate_limited\":0,"\
	"\"dead_lettered\":0,\"parked\":1,\"spool_errors\":0,\"queued\":"	\
	#queued ",\"state\":\"" state "\"" extra "}}\n"

static void
test_notifier_healthy(void **state)
{
	struct fixture *fx = *state;

	ask(fx, CHECK_NOTIFIER, STATS(2, "idle", ""));
	assert_int_equal(fx->status, HS_HEALTHY);
	assert_int_equal(json_integer_value(json_object_get(fx->fields,
	    "queued")), 2);
	assert_int_equal(json_integer_value(json_object_get(fx->fields,
	    "delivered")), 8);
	assert_string_equal(field_s(fx, "state"), "idle");
}

static void
test_notifier_parked(void **state)
{
	struct fixture *fx = *state;

	ask(fx, CHECK_NOTIFIER, STATS(2, "parked", ""));
	assert_int_equal(fx->status, HS_UNHEALTHY);
	assert_string_equal(fx->reason, "webhook refused (parked)");
	ask(fx, CHECK_NOTIFIER, STATS(2, "parked", ",\"http_status\":401"));
	assert_int_equal(fx->status, HS_UNHEALTHY);
	assert_string_equal(fx->reason, "webhook refused: HTTP 401");
}

static void
test_notifier_backlog(void **state)
{
	struct fixture *fx = *state;

	ask(fx, CHECK_NOTIFIER, STATS(50, "sending", ""));
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason, "backlog: 50 undelivered events");
	ask(fx, CHECK_NOTIFIER, STATS(20, "sending", ",\"oldest_s\":900.5"));
	assert_int_equal(fx->status, HS_DEGRADED);
	assert_string_equal(fx->reason, "oldest undelivered event 900 s old");
}

static void
test_notifier_unreachable(void **state)
{
	struct fixture *fx = *state;
	struct check *c = new_check(fx, CHECK_NOTIFIER);

	run(fx, c);
	assert_int_equal(fx->status, HS_UNHEALTHY);
	assert_non_null(strstr(fx->reason, "discord-notify not reachable: "));
	assert_true(json_is_false(json_object_get(fx->fields, "reachable")));
	check_free(c);
}

static void
on_held(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *fx = arg;
	char b;

	(void)what;
	assert_int_equal(read(fd, &b, 1), 1);
	check_free(fx->c);
	fx->c = NULL;
}

/* Freed with a run under way (the deadline, or health-mon stopping): no
 * result, nothing left on the loop, the daemon sees the connection
 * close. */
static void
test_free_during_run(void **state)
{
	struct fixture *fx = *state;
	struct gw_err e = { "" };
	struct event *ev;

	fx->c = new_check(fx, CHECK_BOT);
	daemon_once(fx, "{\"cmd\":\"status\"}", NULL);
	ev = event_new(fx->base, fx->held[0], EV_READ, on_held, fx);
	assert_non_null(ev);
	event_add(ev, NULL);
	assert_int_equal(check_run_once(fx->c, &e), 0);
	/* ends when no event is left: the free took the request's */
	assert_int_equal(event_base_dispatch(fx->base), 1);
	assert_null(fx->c);
	assert_int_equal(fx->calls, 0);
	event_free(ev);
	daemon_done(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bot_healthy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bot_unreachable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bot_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bot_restart_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bot_halted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bot_gate_closed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bot_strategy_c, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bot_loss_near_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bot_bad_replies, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_init_all_running, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_init_fatal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_not_running, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_init_crash_loop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_init_unreachable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_notifier_healthy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_notifier_parked, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_notifier_backlog, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_notifier_unreachable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_free_during_run, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
