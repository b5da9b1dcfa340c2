/*
 * Unit tests for health-mon's checks (cmd/health-mon/check*.c): the shared
 * part (defaults, interval, deadline, the result line, freeing from the
 * callback), the gateway check against gw-sim run in-process on the same
 * event base (faults switched with sim_set_fault) and behind a fake relay,
 * and the command check with real programs. Deadlines are fractions of a
 * second; every wait is a loop with a deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "check.h"
#include "check_int.h"
#include "clock.h"
#include "log.h"
#include "sim.h"

#define MAX_RESULTS 64

struct fx {
	struct event_base *base;
	FILE *devnull;
	struct gw_log *log;
	struct sim *sim;
	int port;
	struct event *poll;
	struct evconnlistener *relay;
	struct check *c;
	struct check_config cfg;
	int n;
	enum hs_status status[MAX_RESULTS];
	char reason[HS_REASON_MAX + 1];
	json_t *fields;			/* the last result's line */
	double duration_ms;
	int free_in_cb;
};

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void
on_result(struct check *c, const struct check_result *r, void *arg)
{
	struct fx *fx = arg;

	assert_ptr_equal(c, fx->c);
	if (fx->n < MAX_RESULTS)
		fx->status[fx->n] = r->status;
	fx->n++;
	snprintf(fx->reason, sizeof(fx->reason), "%s", r->reason);
	fx->duration_ms = r->duration_ms;
	json_decref(fx->fields);
	fx->fields = json_deep_copy(r->fields);
	if (fx->free_in_cb) {
		check_free(c);
		fx->c = NULL;
	}
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct timeval tv = { 0, 5000 };

	assert_non_null(fx);
	fx->base = event_base_new();
	fx->devnull = fopen("/dev/null", "w");
	fx->log = gw_log_new("gw-sim", fx->devnull, GW_CRITICAL);
	assert_non_null(fx->base);
	assert_non_null(fx->log);
	/* wakes the loop so every wait can check its deadline */
	fx->poll = event_new(fx->base, -1, EV_PERSIST, on_poll, NULL);
	event_add(fx->poll, &tv);
	fx->port = free_port();
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	check_free(fx->c);
	sim_free(fx->sim);
	if (fx->relay != NULL)
		evconnlistener_free(fx->relay);
	/* one turn: a deferred free, a cancelled dial's callback (dialer.h) */
	event_base_loop(fx->base, EVLOOP_NONBLOCK);
	event_free(fx->poll);
	json_decref(fx->fields);
	gw_log_free(fx->log);
	fclose(fx->devnull);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

/* Turn the loop until fx->n reaches n or ms pass; 1 when reached. */
static int
wait_results(struct fx *fx, int n, int64_t ms)
{
	int64_t end = clock_mono_ms() + ms;

	while (fx->n < n && clock_mono_ms() < end)
		event_base_loop(fx->base, EVLOOP_ONCE);
	return fx->n >= n;
}

/* Turn the loop for ms (to see that nothing more happens). */
static void
spin(struct fx *fx, int64_t ms)
{
	int64_t end = clock_mono_ms() + ms;

	while (clock_mono_ms() < end)
		event_base_loop(fx->base, EVLOOP_ONCE);
}

static void
sim_up(struct fx *fx, enum sim_fault fault)
{
	struct sim_config scfg;
	struct gw_err err = { "" };

	sim_config_init(&scfg);
	scfg.port = fx->port;
	fx->sim = sim_new(fx->base, &scfg, fx->log, &err);
	if (fx->sim == NULL)
		fail_msg("sim_new: %s", err.msg);
	assert_int_equal(sim_start(fx->sim, &err), 0);
	assert_int_equal(sim_set_fault(fx->sim, fault, &err), 0);
}

static void
new_check(struct fx *fx)
{
	struct gw_err err = { "" };

	fx->c = check_new(fx->base, NULL, &fx->cfg, on_result, fx, &err);
	if (fx->c == NULL)
		fail_msg("check_new: %s", err.msg);
}

static void
run_once(struct fx *fx, int64_t ms)
{
	struct gw_err err = { "" };

	new_check(fx);
	assert_int_equal(check_run_once(fx->c, &err), 0);
	assert_int_equal(fx->n, 0);	/* reported from the loop only */
	assert_true(wait_results(fx, 1, ms));
}

static const char *
field_str(const struct fx *fx, const char *key)
{
	const char *s = json_string_value(json_object_get(fx->fields, key));

	if (s == NULL)
		fail_msg("no string field %s", key);
	return s;
}

/* The fields every line carries, in the original monitor's order. */
static void
assert_common(const struct fx *fx, const char *component, const char *status)
{
	const char *ts = field_str(fx, "timestamp");
	void *it = json_object_iter(fx->fields);

	assert_int_equal(strlen(ts), 24);	/* 2026-02-10T14:15:00.123Z */
	assert_int_equal(ts[10], 'T');
	assert_int_equal(ts[23], 'Z');
	assert_string_equal(json_object_iter_key(it), "timestamp");
	it = json_object_iter_next(fx->fields, it);
	assert_string_equal(json_object_iter_key(it), "component");
	it = json_object_iter_next(fx->fields, it);
	assert_string_equal(json_object_iter_key(it), "status");
	assert_string_equal(field_str(fx, "component"), component);
	assert_string_equal(field_str(fx, "status"), status);
	assert_true(json_is_number(json_object_get(fx->fields, "duration_ms")));
	if (strcmp(status, "healthy") == 0)
		assert_null(json_object_get(fx->fields, "reason"));
	else
		assert_string_equal(field_str(fx, "reason"), fx->reason);
}

/* --- shared part --- */

static void
test_defaults(void **state)
{
	struct check_config cfg;

	(void)state;
	check_config_init(&cfg, CHECK_GATEWAY, "/run/gwkit");
	assert_string_equal(cfg.name, "gateway");
	assert_string_equal(cfg.host, "127.0.0.1");
	assert_int_equal(cfg.port, 4002);
	assert_int_equal(cfg.client_id, 919);
	assert_int_equal(cfg.backend_port, 0);
	assert_true(cfg.interval_s == 60 && cfg.timeout_s == 10);
	check_config_init(&cfg, CHECK_BOT, "/run/gwkit");
	assert_string_equal(cfg.name, "bot");
	assert_string_equal(cfg.socket, "/run/gwkit/bot.sock");
	check_config_init(&cfg, CHECK_INIT, "/run/gwkit");
	assert_string_equal(cfg.socket, "/run/gwkit/init.sock");
	check_config_init(&cfg, CHECK_NOTIFIER, "/tmp/x");
	assert_string_equal(cfg.name, "notifier");
	assert_string_equal(cfg.socket, "/tmp/x/notify.sock");
	check_config_init(&cfg, CHECK_HOST, "/run/gwkit");
	assert_string_equal(cfg.proc_root, "/proc");
	assert_true(cfg.load_warn == 2.0 && cfg.load_crit == 4.0);
	assert_true(cfg.mem_warn_mib == 256 && cfg.mem_crit_mib == 128);
	assert_true(cfg.disk_warn_pct == 10 && cfg.disk_crit_pct == 5);
	assert_int_equal(cfg.n_procs, 0);
	assert_true(cfg.procs[0].rss_warn_mib == 1536);
	assert_true(cfg.procs[CHECK_MAX_PROCS - 1].rss_crit_mib == 1740);
	assert_string_equal(check_kind_name(CHECK_COMMAND), "command");
	assert_string_equal(check_kind_name(CHECK_HOST), "host");
	assert_string_equal(check_kind_name((enum check_kind)99), "unknown");
}

static void
test_bad_config(void **state)
{
	struct fx *fx = *state;
	struct check_config cfg;
	struct gw_err err = { "" };

	check_config_init(&cfg, CHECK_GATEWAY, "/r");
	cfg.port = 0;
	assert_null(check_new(fx->base, NULL, &cfg, on_result, fx, &err));
	assert_string_equal(err.msg, "gateway: port 0 is not in 1..65535");
	check_config_init(&cfg, CHECK_GATEWAY, "/r");
	cfg.interval_s = 0;
	assert_null(check_new(fx->base, NULL, &cfg, on_result, fx, &err));
	assert_string_equal(err.msg, "gateway: interval must be above 0 s");
	check_config_init(&cfg, CHECK_COMMAND, "/r");
	assert_null(check_new(fx->base, NULL, &cfg, on_result, fx, &err));
	assert_string_equal(err.msg, "command: no program");
}

/* --- gateway --- */

static void
gw_config(struct fx *fx, double timeout_s)
{
	check_config_init(&fx->cfg, CHECK_GATEWAY, "/r");
	fx->cfg.port = fx->port;
	fx->cfg.timeout_s = timeout_s;
}

static void
test_gateway_ready(void **state)
{
	struct fx *fx = *state;
	json_t *acc, *tm;

	sim_up(fx, SIM_FAULT_NONE);
	gw_config(fx, 3);
	run_once(fx, 5000);
	assert_int_equal(fx->status[0], HS_HEALTHY);
	assert_string_equal(fx->reason, "");
	assert_common(fx, "gateway", "healthy");
	assert_true(json_is_true(json_object_get(fx->fields, "port_responding")));
	assert_string_equal(field_str(fx, "verdict"), "ready");
	assert_int_equal(json_integer_value(json_object_get(fx->fields,
	    "server_version")), 176);
	acc = json_object_get(fx->fields, "accounts");
	assert_int_equal(json_array_size(acc), 1);
	assert_string_equal(json_string_value(json_array_get(acc, 0)),
	    "DU1234567");
	tm = json_object_get(fx->fields, "timings_ms");
	assert_true(json_is_number(json_object_get(tm, "connect")));
	assert_true(json_is_number(json_object_get(tm, "ready")));
	assert_true(json_is_number(json_object_get(tm, "total")));
	assert_null(json_object_get(fx->fields, "backend"));
}

static void
test_gateway_not_logged_in(void **state)
{
	struct fx *fx = *state;

	sim_up(fx, SIM_FAULT_NOT_LOGGED_IN);
	gw_config(fx, 0.5);
	run_once(fx, 3000);
	assert_int_equal(fx->status[0], HS_UNHEALTHY);
	assert_common(fx, "gateway", "unhealthy");
	assert_string_equal(field_str(fx, "verdict"), "not-logged-in");
	assert_true(strncmp(fx->reason, "not-logged-in: ", 15) == 0);
	assert_true(json_is_true(json_object_get(fx->fields, "port_responding")));
	assert_int_equal(json_integer_value(json_object_get(fx->fields,
	    "server_version")), 176);
}

static void
test_gateway_wedged(void **state)
{
	struct fx *fx = *state;

	sim_up(fx, SIM_FAULT_WEDGED);
	gw_config(fx, 0.4);
	run_once(fx, 3000);
	assert_int_equal(fx->status[0], HS_UNHEALTHY);
	assert_string_equal(field_str(fx, "verdict"), "handshake-timeout");
	assert_true(strncmp(fx->reason, "handshake-timeout: ", 19) == 0);
	assert_true(fx->duration_ms < 400);	/* the probe's, not the deadline */
	assert_true(json_is_true(json_object_get(fx->fields, "port_responding")));
}

static void
test_gateway_unreachable(void **state)
{
	struct fx *fx = *state;

	gw_config(fx, 1);	/* nothing listens on fx->port */
	run_once(fx, 3000);
	assert_int_equal(fx->status[0], HS_UNHEALTHY);
	assert_string_equal(field_str(fx, "verdict"), "unreachable");
	assert_true(strncmp(fx->reason, "unreachable: ", 13) == 0);
	assert_true(json_is_false(json_object_get(fx->fields, "port_responding")));
	assert_true(json_is_null(json_object_get(fx->fields, "server_version")));
}

/* A relay whose backend is dead: accept, close at once (as socat does). */
static void
on_relay(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int len, void *arg)
{
	(void)l;
	(void)sa;
	(void)len;
	(void)arg;
	evutil_closesocket(fd);
}

static int
relay_up(struct fx *fx)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fx->relay = evconnlistener_new_bind(fx->base, on_relay, fx,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&a, sizeof(a));
	assert_non_null(fx->relay);
	assert_int_equal(getsockname(evconnlistener_get_fd(fx->relay),
	    (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

static void
test_gateway_relay_up_gateway_down(void **state)
{
	struct fx *fx = *state;
	char want[64];
	json_t *be;

	gw_config(fx, 2);
	fx->cfg.port = relay_up(fx);
	fx->cfg.backend_port = fx->port;	/* closed */
	run_once(fx, 4000);
	assert_int_equal(fx->status[0], HS_UNHEALTHY);
	snprintf(want, sizeof(want),
	    "relay up, gateway down: backend %d unreachable", fx->port);
	if (strncmp(fx->reason, want, strlen(want)) != 0)
		fail_msg("reason: %s", fx->reason);
	assert_non_null(strstr(fx->reason, "front relay-closed"));
	assert_string_equal(field_str(fx, "verdict"), "relay-closed");
	assert_true(json_is_true(json_object_get(fx->fields, "port_responding")));
	be = json_object_get(fx->fields, "backend");
	assert_string_equal(json_string_value(json_object_get(be, "verdict")),
	    "unreachable");
	assert_int_equal(json_integer_value(json_object_get(be, "port")),
	    fx->port);
	assert_true(json_is_false(json_object_get(be, "port_responding")));
}

static void
test_gateway_relay_down_gateway_up(void **state)
{
	struct fx *fx = *state;
	char want[64];

	sim_up(fx, SIM_FAULT_NONE);
	gw_config(fx, 2);
	fx->cfg.backend_port = fx->port;
	fx->cfg.port = free_port();	/* the relay is gone */
	run_once(fx, 4000);
	assert_int_equal(fx->status[0], HS_UNHEALTHY);
	assert_true(strncmp(fx->reason, "relay down, gateway up: front unreachable",
	    41) == 0);
	snprintf(want, sizeof(want), "backend %d ready", fx->port);
	assert_non_null(strstr(fx->reason, want));
}

/* A ready front is not followed by the backend's probe. */
static void
test_gateway_ready_skips_backend(void **state)
{
	struct fx *fx = *state;

	sim_up(fx, SIM_FAULT_NONE);
	gw_config(fx, 2);
	fx->cfg.backend_port = free_port();
	run_once(fx, 4000);
	assert_int_equal(fx->status[0], HS_HEALTHY);
	assert_null(json_object_get(fx->fields, "backend"));
}

/* Freed from the callback (inside the probe's report chain). */
static void
test_gateway_free_in_cb(void **state)
{
	struct fx *fx = *state;
	struct gw_err err = { "" };

	sim_up(fx, SIM_FAULT_NONE);
	gw_config(fx, 2);
	fx->cfg.interval_s = 0.02;
	fx->free_in_cb = 1;
	new_check(fx);
	assert_int_equal(check_start(fx->c, &err), 0);
	assert_true(wait_results(fx, 1, 4000));
	assert_null(fx->c);
	spin(fx, 100);
	assert_int_equal(fx->n, 1);
}

/* A gateway check that repeats: one run after another against the sim,
 * with the fault switched between them. */
static void
test_gateway_interval_follows_fault(void **state)
{
	struct fx *fx = *state;
	struct gw_err err = { "" };

	sim_up(fx, SIM_FAULT_NONE);
	gw_config(fx, 0.5);
	fx->cfg.interval_s = 0.05;
	new_check(fx);
	assert_int_equal(check_start(fx->c, &err), 0);
	assert_true(wait_results(fx, 1, 3000));
	assert_int_equal(fx->status[0], HS_HEALTHY);
	assert_int_equal(sim_set_fault(fx->sim, SIM_FAULT_RELAY_DEAD, &err), 0);
	assert_true(wait_results(fx, fx->n + 2, 3000));
	assert_int_equal(fx->status[fx->n - 1], HS_UNHEALTHY);
	assert_string_equal(field_str(fx, "verdict"), "relay-closed");
	assert_int_equal(sim_set_fault(fx->sim, SIM_FAULT_NONE, &err), 0);
	assert_true(wait_results(fx, fx->n + 2, 3000));
	assert_int_equal(fx->status[fx->n - 1], HS_HEALTHY);
}

/* --- command --- */

static void
cmd_config(struct fx *fx, double timeout_s, const char *const *argv)
{
	size_t i;

	check_config_init(&fx->cfg, CHECK_COMMAND, "/r");
	snprintf(fx->cfg.name, sizeof(fx->cfg.name), "disk");
	fx->cfg.timeout_s = timeout_s;
	for (i = 0; argv[i] != NULL && i < CHECK_MAX_ARGV; i++)
		fx->cfg.argv[i] = (char *)(uintptr_t)argv[i];	/* borrowed */
	fx->cfg.argv[i] = NULL;
}

/* No child of ours is left, not even a zombie. */
static void
assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void
test_command_true(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "true", NULL };

	cmd_config(fx, 3, argv);
	run_once(fx, 5000);
	assert_int_equal(fx->status[0], HS_HEALTHY);
	assert_common(fx, "disk", "healthy");
	assert_int_equal(json_integer_value(json_object_get(fx->fields,
	    "exit_code")), 0);
	assert_no_children();
}

static void
test_command_degraded(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "sh", "-c", "echo slow disk; echo more; exit 1", NULL };

	cmd_config(fx, 3, argv);
	run_once(fx, 5000);
	assert_int_equal(fx->status[0], HS_DEGRADED);
	assert_string_equal(fx->reason, "slow disk");
	assert_common(fx, "disk", "degraded");
	assert_string_equal(field_str(fx, "output"), "slow disk");
	assert_int_equal(json_integer_value(json_object_get(fx->fields,
	    "exit_code")), 1);
	assert_no_children();
}

static void
test_command_unhealthy(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "sh", "-c", "printf 'disk \\001full\\r\\n'; exit 2", NULL };

	cmd_config(fx, 3, argv);
	run_once(fx, 5000);
	assert_int_equal(fx->status[0], HS_UNHEALTHY);
	assert_string_equal(fx->reason, "disk ?full");	/* quoted, no CR */
	assert_int_equal(json_integer_value(json_object_get(fx->fields,
	    "exit_code")), 2);
}

static void
test_command_other_status_no_output(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "sh", "-c", "exit 3", NULL };

	cmd_config(fx, 3, argv);
	run_once(fx, 5000);
	assert_int_equal(fx->status[0], HS_UNHEALTHY);
	assert_string_equal(fx->reason, "sh exited 3");
}

static void
test_command_signal(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "sh", "-c", "echo going; kill -TERM $$", NULL };

	cmd_config(fx, 3, argv);
	run_once(fx, 5000);
	assert_int_equal(fx->status[0], HS_UNHEALTHY);
	assert_string_equal(fx->reason, "sh killed by signal 15: going");
	assert_int_equal(json_integer_value(json_object_get(fx->fields,
	    "signal")), 15);
}

/* The deadline kills the whole process group, and the line says so. */
static void
test_command_deadline(void **state)
{
	struct fx *fx = *state;
	char tmpl[] = "/tmp/test_check.XXXXXX", script[512];
	const char *argv[] = { "sh", "-c", script, NULL };
	int64_t t0, end;
	FILE *f;
	long pid = 0;
	char path[64];
	int gone = 0;

	assert_non_null(mkdtemp(tmpl));
	snprintf(script, sizeof(script),
	    "sleep 30 & echo $! > %s/pid; wait", tmpl);
	cmd_config(fx, 0.3, argv);
	t0 = clock_mono_ms();
	run_once(fx, 5000);
	assert_true(clock_mono_ms() - t0 < 2000);
	assert_int_equal(fx->status[0], HS_UNHEALTHY);
	assert_string_equal(fx->reason, "no answer within 0.3 s");
	assert_common(fx, "disk", "unhealthy");
	assert_no_children();
	/* the grandchild (sleep) went with the group */
	snprintf(path, sizeof(path), "%s/pid", tmpl);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	unlink(path);
	rmdir(tmpl);
	end = clock_mono_ms() + 2000;
	while (!gone && clock_mono_ms() < end) {
		char st[256], *p;

		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) == NULL) {
			gone = 1;	/* reaped by its new parent */
			break;
		}
		if (fgets(st, sizeof(st), f) != NULL &&
		    (p = strrchr(st, ')')) != NULL && p[1] == ' ' &&
		    (p[2] == 'Z' || p[2] == 'X'))
			gone = 1;	/* dead, not yet reaped */
		fclose(f);
		if (!gone)
			event_base_loop(fx->base, EVLOOP_ONCE);
	}
	assert_true(gone);
}

static void
test_command_missing(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "/nonexistent/health-probe", "-x", NULL };

	cmd_config(fx, 3, argv);
	run_once(fx, 5000);
	assert_int_equal(fx->status[0], HS_UNHEALTHY);
	assert_string_equal(fx->reason,
	    "cannot run /nonexistent/health-probe: No such file or directory");
	assert_common(fx, "disk", "unhealthy");
	assert_no_children();
}

/* A program that exits while a child it left holds the pipe open. */
static void
test_command_orphan_holds_pipe(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "sh", "-c", "echo early; (sleep 3 &) ; exit 1", NULL };
	int64_t t0 = clock_mono_ms();

	cmd_config(fx, 5, argv);
	run_once(fx, 5000);
	assert_true(clock_mono_ms() - t0 < 2000);
	assert_int_equal(fx->status[0], HS_DEGRADED);
	assert_string_equal(fx->reason, "early");
}

/* check_start runs at once and again every interval, never two at once. */
static void
test_interval(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "true", NULL };
	struct gw_err err = { "" };
	int i;

	cmd_config(fx, 2, argv);
	fx->cfg.interval_s = 0.03;
	new_check(fx);
	assert_int_equal(check_start(fx->c, &err), 0);
	assert_int_equal(check_start(fx->c, &err), -1);
	assert_string_equal(err.msg, "disk: already started");
	assert_true(wait_results(fx, 4, 5000));
	for (i = 0; i < 4; i++)
		assert_int_equal(fx->status[i], HS_HEALTHY);
	check_free(fx->c);
	fx->c = NULL;
	assert_no_children();
}

static void
test_interval_no_overlap(void **state)
{
	struct fx *fx = *state;
	const char *slow[] = { "sh", "-c", "sleep 0.25", NULL };
	struct gw_err err = { "" };
	int64_t t0;

	cmd_config(fx, 5, slow);
	fx->cfg.interval_s = 0.02;
	new_check(fx);
	t0 = clock_mono_ms();
	assert_int_equal(check_start(fx->c, &err), 0);
	assert_true(wait_results(fx, 3, 5000));
	/* three runs of 0.25 s one after another, not a pile of them */
	assert_true(clock_mono_ms() - t0 >= 3 * 250);
	assert_true(fx->duration_ms >= 250);
	assert_int_equal(fx->status[2], HS_HEALTHY);
}

static void
test_command_free_in_cb(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "sh", "-c", "echo bad; exit 2", NULL };
	struct gw_err err = { "" };

	cmd_config(fx, 2, argv);
	fx->cfg.interval_s = 0.01;
	fx->free_in_cb = 1;
	new_check(fx);
	assert_int_equal(check_start(fx->c, &err), 0);
	assert_true(wait_results(fx, 1, 4000));
	assert_null(fx->c);
	spin(fx, 100);
	assert_int_equal(fx->n, 1);
	assert_no_children();
}

/* Freed while the program runs: it is killed and reaped, no callback. */
static void
test_command_free_while_running(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "sleep", "30", NULL };
	struct gw_err err = { "" };

	cmd_config(fx, 5, argv);
	new_check(fx);
	assert_int_equal(check_run_once(fx->c, &err), 0);
	spin(fx, 50);
	assert_int_equal(fx->n, 0);
	check_free(fx->c);
	fx->c = NULL;
	assert_no_children();
	spin(fx, 50);
	assert_int_equal(fx->n, 0);
}

/* Freed from the callback of a deadline's report. */
static void
test_free_in_deadline_cb(void **state)
{
	struct fx *fx = *state;
	const char *argv[] = { "sleep", "30", NULL };

	cmd_config(fx, 0.1, argv);
	fx->free_in_cb = 1;
	run_once(fx, 3000);
	assert_string_equal(fx->reason, "no answer within 0.1 s");
	assert_null(fx->c);
	spin(fx, 50);
	assert_int_equal(fx->n, 1);
	assert_no_children();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		T(test_bad_config),
		T(test_gateway_ready),
		T(test_gateway_not_logged_in),
		T(test_gateway_wedged),
		T(test_gateway_unreachable),
		T(test_gateway_relay_up_gateway_down),
		T(test_gateway_relay_down_gateway_up),
		T(test_gateway_ready_skips_backend),
		T(test_gateway_free_in_cb),
		T(test_gateway_interval_follows_fault),
		T(test_command_true),
		T(test_command_degraded),
		T(test_command_unhealthy),
		T(test_command_other_status_no_output),
		T(test_command_signal),
		T(test_command_deadline),
		T(test_command_missing),
		T(test_command_orphan_holds_pipe),
		T(test_interval),
		T(test_interval_no_overlap),
		T(test_command_free_in_cb),
		T(test_command_free_while_running),
		T(test_free_in_deadline_cb),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
