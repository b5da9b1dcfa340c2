/*
 * Unit tests for bot-core's gwconn against the real simulator, run
 * in-process: gw-sim's module (sim.h) on the same event base, so each test
 * switches faults, restarts and upstream notices at the moment it chooses.
 * Intervals are tens of milliseconds; every wait is a loop with a deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "clock.h"
#include "gwconn.h"
#include "log.h"
#include "sim.h"
#include "sim_int.h"

#define MAX_SEEN 4096

struct fx {
	struct event_base *base;
	FILE *devnull;
	struct gw_log *log;
	struct sim *sim;
	struct sim_config scfg;
	struct gwconn *g;
	struct gwconn_config cfg;
	int port;
	/* what gwconn reported */
	int n[GWC_ORDER_BAD + 1];
	enum gwconn_event_type seen[MAX_SEEN];
	int n_seen;
	char verdict[64], reason[512];
	int last_code;
	int codes[64], n_codes;
	double delay_s;
	int attempt;
	long costly, suppressed_sum;
	double att_delay;		/* the last ATTEMPT_FAILED's */
	int reported, cheap_seen, costly_seen;
	double first_loss_delay;
	long ticks_aaa, ticks_bbb;
	int64_t ready_ms;
	int free_in_cb;
	struct event *poll;
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
on_ev(struct gwconn *g, const struct gwconn_event *ev, void *arg)
{
	struct fx *fx = arg;

	assert_ptr_equal(g, fx->g);
	fx->n[ev->type]++;
	if (fx->n_seen < MAX_SEEN)
		fx->seen[fx->n_seen++] = ev->type;
	switch (ev->type) {
	case GWC_ATTEMPT_FAILED:
		fx->costly = ev->costly;
		fx->att_delay = ev->delay_s;
		if (ev->report) {
			fx->reported++;
			fx->suppressed_sum += ev->suppressed;
		}
		if (ev->cheap)
			fx->cheap_seen++;
		else
			fx->costly_seen++;
		assert_true(ev->outage_s >= 0);
		/* FALLTHROUGH */
	case GWC_GAVE_UP:
		snprintf(fx->verdict, sizeof(fx->verdict), "%s", ev->verdict);
		snprintf(fx->reason, sizeof(fx->reason), "%s", ev->reason);
		fx->attempt = ev->attempt;
		fx->delay_s = ev->delay_s;
		break;
	case GWC_READY:
		snprintf(fx->verdict, sizeof(fx->verdict), "%s", ev->verdict);
		fx->ready_ms = clock_mono_ms();
		break;
	case GWC_LOST:
		if (fx->n[GWC_LOST] == 1)
			fx->first_loss_delay = ev->delay_s;
		/* FALLTHROUGH */
	case GWC_RECONNECT_LIMITED:
		snprintf(fx->reason, sizeof(fx->reason), "%s", ev->reason);
		fx->delay_s = ev->delay_s;
		break;
	case GWC_NOTICE:
		fx->last_code = ev->code;
		if (fx->n_codes < 64)
			fx->codes[fx->n_codes++] = ev->code;
		break;
	case GWC_TICK:
		if (strcmp(ev->quote->symbol, "AAA") == 0)
			fx->ticks_aaa++;
		else if (strcmp(ev->quote->symbol, "BBB") == 0)
			fx->ticks_bbb++;
		else
			fail_msg("tick for %s", ev->quote->symbol);
		break;
	case GWC_HEARTBEAT_OK:
		assert_true(ev->rtt_ms >= 0);
		break;
	case GWC_ORDER:
		assert_non_null(ev->order);
		break;
	case GWC_ORDER_BAD:
		assert_non_null(ev->reason);
		break;
	}
	if (fx->free_in_cb && ev->type == GWC_READY) {
		gwconn_free(g);
		fx->g = NULL;
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
	struct gw_err err;

	assert_non_null(fx);
	fx->base = event_base_new();
	fx->devnull = fopen("/dev/null", "w");
	fx->log = gw_log_new("gw-sim", fx->devnull, GW_CRITICAL);
	assert_non_null(fx->base);
	assert_non_null(fx->log);
	fx->poll = event_new(fx->base, -1, EV_PERSIST, on_poll, NULL);
	fx->port = free_port();
	sim_config_init(&fx->scfg);
	fx->scfg.port = fx->port;
	fx->scfg.tick_ms = 10;
	gwconn_config_init(&fx->cfg);
	fx->cfg.port = fx->port;
	fx->cfg.retry_interval_s = 0.02;
	fx->cfg.retry_cap_s = 0.08;
	fx->cfg.connect_timeout_s = 0.3;
	fx->cfg.heartbeat_interval_s = 0.03;
	fx->cfg.heartbeat_timeout_s = 0.1;
	fx->cfg.startup_timeout_s = 5;
	(void)err;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	gwconn_free(fx->g);
	sim_free(fx->sim);
	/* one turn so that a cancelled dial's callback runs before the base
	 * goes (dialer.h) */
	event_base_loop(fx->base, EVLOOP_NONBLOCK);
	event_free(fx->poll);
	gw_log_free(fx->log);
	fclose(fx->devnull);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

static void
sim_up(struct fx *fx)
{
	struct gw_err err = { "" };

	fx->sim = sim_new(fx->base, &fx->scfg, fx->log, &err);
	assert_non_null(fx->sim);
	assert_int_equal(sim_start(fx->sim, &err), 0);
}

static void
conn_new(struct fx *fx)
{
	struct gw_err err = { "" };

	fx->g = gwconn_new(fx->base, NULL, &fx->cfg, on_ev, fx, &err);
	if (fx->g == NULL)
		fail_msg("gwconn_new: %s", err.msg);
}

static void
subscribe2(struct fx *fx)
{
	const char *syms[] = { "AAA", "BBB" };
	struct gw_err err = { "" };

	assert_int_equal(gwconn_subscribe(fx->g, syms, 2, &err), 0);
}

static void
conn_start(struct fx *fx)
{
	struct gw_err err = { "" };

	assert_int_equal(gwconn_start(fx->g, &err), 0);
}


/* Run the loop until cond (an expression over f_) holds or ms pass; the
 * value of cond at the end. A 5 ms poll timer bounds each turn. */
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
test_config_check(void **state)
{
	struct gwconn_config c;
	struct gw_err err = { "" };

	(void)state;
	gwconn_config_init(&c);
	assert_int_equal(gwconn_config_check(&c, &err), 0);
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(c.port, 4002);
	assert_int_equal(c.market_data_type, 3);
	c.port = 0;
	assert_int_equal(gwconn_config_check(&c, &err), -1);
	assert_string_equal(err.msg, "GATEWAY_PORT: 0 is not in 1..65535");
	gwconn_config_init(&c);
	c.market_data_type = 5;
	assert_int_equal(gwconn_config_check(&c, &err), -1);
	assert_string_equal(err.msg, "MARKET_DATA_TYPE: 5 is not in 1..4");
	gwconn_config_init(&c);
	c.heartbeat_timeout_s = 0;
	assert_int_equal(gwconn_config_check(&c, &err), -1);
	assert_string_equal(err.msg, "HEARTBEAT_TIMEOUT: 0 is not a number of "
	    "seconds in (0, 86400]");
	gwconn_config_init(&c);
	c.max_retries = 0;
	assert_int_equal(gwconn_config_check(&c, &err), -1);
	assert_string_equal(err.msg, "GATEWAY_MAX_RETRIES: 0 is not in 1..100000");
	gwconn_config_init(&c);
	assert_true(c.fast_poll_s == 0.1);
	c.fast_poll_s = 0.01;
	assert_int_equal(gwconn_config_check(&c, &err), -1);
	assert_string_equal(err.msg, "GATEWAY_FAST_POLL: 0.01 is neither 0 (off) "
	    "nor in 0.05..60 seconds");
	c.fast_poll_s = 61;
	assert_int_equal(gwconn_config_check(&c, &err), -1);
	c.fast_poll_s = 0;
	assert_int_equal(gwconn_config_check(&c, &err), 0);
	c.fast_poll_s = 0.05;
	assert_int_equal(gwconn_config_check(&c, &err), 0);
	gwconn_config_init(&c);
	c.host[0] = '\0';
	assert_int_equal(gwconn_config_check(&c, &err), -1);
	assert_string_equal(err.msg, "GATEWAY_HOST: must be 1..253 characters");
}

/* EC-15: a gateway already up is used at once, not after a retry delay. */
static void
test_ready_at_once(void **state)
{
	struct fx *fx = *state;
	int64_t t0;

	sim_up(fx);
	fx->cfg.retry_interval_s = 10;
	conn_new(fx);
	assert_int_equal(gwconn_validated(fx->g), 0);
	t0 = clock_mono_ms();
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == 1, 9000));
	assert_true(fx->ready_ms - t0 < 8000);	/* not after a retry delay */
	assert_int_equal(fx->n[GWC_ATTEMPT_FAILED], 0);
	assert_string_equal(fx->verdict, "ready");
	assert_int_equal(gwconn_validated(fx->g), 1);
	assert_int_equal(gwconn_connected(fx->g), 1);
	assert_int_equal(gwconn_server_version(fx->g), 176);
	assert_string_equal(gwconn_accounts(fx->g), "DU1234567");
	assert_true(gwconn_last_check_ms(fx->g) > 0);
	/* the heartbeat runs */
	assert_true(RUN_UNTIL(fx, f_->n[GWC_HEARTBEAT_OK] >= 2, 1000));
	assert_int_equal(fx->n[GWC_LOST], 0);
}

/* EC-02: the API port opens late (login delay): failed attempts with
 * their verdict, then READY. */
static void
test_late_gateway(void **state)
{
	struct fx *fx = *state;

	fx->scfg.login_delay = 1;
	sim_up(fx);
	conn_new(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_ATTEMPT_FAILED] >= 1, 1000));
	assert_string_equal(fx->verdict, "unreachable");
	assert_true(fx->delay_s > 0);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == 1, 3000));
	assert_int_equal(fx->n[GWC_GAVE_UP], 0);
	assert_int_equal(fx->seen[0], GWC_ATTEMPT_FAILED);
}

/* EC-01, fast polling off (the policy before lib/gwretry): every attempt
 * counts, max_retries attempts, then GAVE_UP once. */
static void
test_give_up_retries(void **state)
{
	struct fx *fx = *state;

	fx->cfg.max_retries = 3;
	fx->cfg.fast_poll_s = 0;
	conn_new(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_GAVE_UP] == 1, 2000));
	assert_int_equal(fx->n[GWC_ATTEMPT_FAILED], 3);
	assert_int_equal(fx->attempt, 3);
	assert_string_equal(fx->verdict, "unreachable");
	assert_non_null(strstr(fx->reason, "after 3 attempts"));
	/* nothing more happens */
	assert_false(RUN_UNTIL(fx, f_->n_seen > 4, 200));
	assert_int_equal(fx->seen[3], GWC_GAVE_UP);
	assert_int_equal(fx->reported, 3);	/* every one has its line */
	assert_int_equal(fx->costly, 3);
}

/* Cheap failures (a closed port) are polled every fast_poll and do not
 * count against max_retries: the start-up budget ends the wait. Their
 * lines are rate-limited: the first, then one per 5 s, and the last. */
static void
test_cheap_not_counted(void **state)
{
	struct fx *fx = *state;

	fx->cfg.max_retries = 3;
	fx->cfg.fast_poll_s = 0.05;
	fx->cfg.retry_interval_s = 10;	/* would be the delay if costly */
	fx->cfg.startup_timeout_s = 0.6;
	conn_new(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_GAVE_UP] == 1, 5000));
	assert_true(fx->n[GWC_ATTEMPT_FAILED] > 3);	/* beyond max_retries */
	assert_int_equal(fx->costly_seen, 0);
	assert_int_equal(fx->costly, 0);
	assert_string_equal(fx->verdict, "unreachable");
	assert_true(fx->att_delay == -1);	/* the last: giving up */
	/* the first and the last have a line, those between are counted */
	assert_int_equal(fx->reported, 2);
	assert_int_equal(fx->reported + fx->suppressed_sum,
	    fx->n[GWC_ATTEMPT_FAILED]);
}

/* After a lost session the first look is immediate, cheap
 * attempts follow at that pace while the port is closed, and they never
 * count against reconnect_max; with fast polling off the first delay is
 * the retry interval. */
static void
test_lost_fast_cheap_unlimited(void **state)
{
	struct fx *fx = *state;
	struct gw_err err = { "" };

	sim_up(fx);
	fx->cfg.fast_poll_s = 0.05;
	fx->cfg.retry_interval_s = 5;
	fx->cfg.reconnect_max = 1;
	fx->cfg.reconnect_window_s = 60;
	conn_new(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == 1, 1500));
	assert_int_equal(sim_set_login_delay(fx->sim, 1, &err), 0);
	assert_int_equal(sim_restart(fx->sim, &err), 0);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_LOST] == 1, 1000));
	assert_true(fx->first_loss_delay == 0);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == 2, 4000));
	assert_true(fx->n[GWC_ATTEMPT_FAILED] >= 2);	/* > reconnect_max */
	assert_int_equal(fx->costly_seen, 0);
	assert_int_equal(fx->n[GWC_RECONNECT_LIMITED], 0);
	/* the session was costly: the next loss is over the limit */
	assert_int_equal(sim_restart(fx->sim, &err), 0);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_RECONNECT_LIMITED] == 1, 2000));
}

static void
test_lost_fast_off(void **state)
{
	struct fx *fx = *state;
	struct gw_err err = { "" };

	sim_up(fx);
	fx->cfg.fast_poll_s = 0;
	fx->cfg.retry_interval_s = 0.2;
	conn_new(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == 1, 1500));
	assert_int_equal(sim_restart(fx->sim, &err), 0);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_LOST] == 1, 1000));
	assert_true(fx->first_loss_delay == 0.2);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == 2, 3000));
}

/* Costly failures back off whatever the fast-poll interval (a gateway
 * not logged in gets no more handshakes than the backoff allows). */
static void
test_costly_backoff(void **state)
{
	struct fx *fx = *state;

	fx->scfg.fault = SIM_FAULT_NOT_LOGGED_IN;
	sim_up(fx);
	fx->cfg.fast_poll_s = 0.05;
	fx->cfg.retry_interval_s = 0.2;
	fx->cfg.retry_cap_s = 0.4;
	fx->cfg.connect_timeout_s = 0.1;
	fx->cfg.max_retries = 3;
	conn_new(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_GAVE_UP] == 1, 5000));
	assert_int_equal(fx->n[GWC_ATTEMPT_FAILED], 3);
	assert_int_equal(fx->costly, 3);
	assert_int_equal(fx->reported, 3);
	assert_string_equal(fx->verdict, "not-logged-in");
}

/* The start-up budget ends the wait before max_retries. */
static void
test_give_up_timeout(void **state)
{
	struct fx *fx = *state;
	int64_t t0 = clock_mono_ms();

	fx->cfg.max_retries = 10000;
	fx->cfg.startup_timeout_s = 0.3;
	conn_new(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_GAVE_UP] == 1, 5000));
	/* within the budget, not attempts later (generous: CI is loaded) */
	assert_true(clock_mono_ms() - t0 <= 300 + 2500);
	assert_true(fx->n[GWC_ATTEMPT_FAILED] >= 3);
	assert_false(RUN_UNTIL(fx, f_->n[GWC_ATTEMPT_FAILED] + 1 < f_->n_seen, 150));
}

/* EC-05: a wedged gateway is caught by the heartbeat deadline; when it
 * answers again, the session comes back. */
static void
test_wedged_heartbeat(void **state)
{
	struct fx *fx = *state;
	struct gw_err err = { "" };
	int64_t t0;

	sim_up(fx);
	fx->cfg.connect_timeout_s = 0.1;
	conn_new(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_HEARTBEAT_OK] >= 1, 1500));
	assert_int_equal(sim_set_fault(fx->sim, SIM_FAULT_WEDGED, &err), 0);
	t0 = clock_mono_ms();
	assert_true(RUN_UNTIL(fx, f_->n[GWC_LOST] == 1, 5000));
	/* the heartbeat's deadline, not the next attempt's (generous upper
	 * bound: the figure itself is measured in make bench) */
	assert_true(clock_mono_ms() - t0 <= 30 + 100 + 2500);
	assert_non_null(strstr(fx->reason, "heartbeat"));
	assert_int_equal(gwconn_validated(fx->g), 0);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_ATTEMPT_FAILED] >= 1, 1500));
	assert_string_equal(fx->verdict, "handshake-timeout");
	assert_int_equal(sim_set_fault(fx->sim, SIM_FAULT_NONE, &err), 0);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == 2, 2000));
	assert_int_equal(fx->n[GWC_GAVE_UP], 0);
}

/* EC-09: the daily restart: LOST, READY again, and the market data
 * resubscribed (live tick ids with type 1). */
static void
test_restart_resubscribes(void **state)
{
	struct fx *fx = *state;
	struct gw_err err = { "" };
	const struct gwconn_quote *q;

	sim_up(fx);
	fx->cfg.market_data_type = 1;
	conn_new(fx);
	subscribe2(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->ticks_aaa > 5 && f_->ticks_bbb > 5, 1500));
	q = gwconn_quote(fx->g, "AAA");
	assert_non_null(q);
	assert_false(isnan(q->bid));
	assert_false(isnan(q->ask));
	assert_false(isnan(q->last));
	assert_true(q->bid < q->ask);
	assert_true(q->bid_size > 0 && q->ask_size > 0 && q->last_size > 0);
	assert_true(q->volume > 0);
	assert_true(q->ts_ms > 0);
	assert_null(gwconn_quote(fx->g, "ZZZ"));
	assert_int_equal(sim_restart(fx->sim, &err), 0);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_LOST] == 1, 1000));
	fx->ticks_aaa = fx->ticks_bbb = 0;
	assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == 2, 2000));
	assert_true(RUN_UNTIL(fx, f_->ticks_aaa > 5 && f_->ticks_bbb > 5, 1500));
}

/* 1100 stops the data (notice passed on); 1101 (data lost) makes gwconn
 * request the lines again (delayed ids with type 3). */
static void
test_upstream_1101_resubscribes(void **state)
{
	struct fx *fx = *state;
	struct gw_err err = { "" };
	int i, saw1100 = 0, saw1101 = 0;

	sim_up(fx);
	conn_new(fx);
	subscribe2(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->ticks_aaa > 3 && f_->ticks_bbb > 3, 1500));
	assert_int_equal(sim_upstream(fx->sim, 1100, &err), 0);
	assert_true(RUN_UNTIL(fx, f_->last_code == 1100, 1000));
	fx->ticks_aaa = 0;
	assert_false(RUN_UNTIL(fx, f_->ticks_aaa > 0, 100));
	assert_int_equal(sim_upstream(fx->sim, 1101, &err), 0);
	assert_true(RUN_UNTIL(fx, f_->ticks_aaa > 3 && f_->ticks_bbb > 3, 1500));
	for (i = 0; i < fx->n_codes; i++) {
		saw1100 |= fx->codes[i] == 1100;
		saw1101 |= fx->codes[i] == 1101;
		assert_int_not_equal(fx->codes[i], 322);	/* no duplicate id */
	}
	assert_true(saw1100 && saw1101);
	assert_int_equal(fx->n[GWC_LOST], 0);
}

/* EC-10: repeated restarts: at most reconnect_max attempts per window. */
static void
test_reconnect_limited(void **state)
{
	struct fx *fx = *state;
	struct gw_err err = { "" };
	int i;

	sim_up(fx);
	fx->cfg.reconnect_max = 2;
	fx->cfg.reconnect_window_s = 10;
	conn_new(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == 1, 1500));
	for (i = 0; i < 2; i++) {
		assert_int_equal(sim_restart(fx->sim, &err), 0);
		assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == i + 2, 2000));
	}
	assert_int_equal(sim_restart(fx->sim, &err), 0);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_RECONNECT_LIMITED] == 1, 1000));
	assert_true(fx->delay_s > 5 && fx->delay_s <= 10);
	/* and no attempt meanwhile */
	assert_false(RUN_UNTIL(fx, f_->n[GWC_READY] == 4 ||
	    f_->n[GWC_ATTEMPT_FAILED] > 0, 300));
	assert_int_equal(gwconn_validated(fx->g), 0);
}

/* 326 (client id in use, EC-16): every attempt fails with its verdict. */
static void
test_client_id_in_use(void **state)
{
	struct fx *fx = *state;

	fx->scfg.client_ids_in_use[0] = 1;
	fx->scfg.n_client_ids = 1;
	sim_up(fx);
	fx->cfg.max_retries = 2;
	conn_new(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_GAVE_UP] == 1, 2000));
	assert_string_equal(fx->verdict, "client-id-in-use");
	assert_int_equal(fx->n[GWC_READY], 0);
}

/* gwconn_stop: no event after it; the sim sees the session end. */
static void
test_stop(void **state)
{
	struct fx *fx = *state;
	int n;

	sim_up(fx);
	conn_new(fx);
	subscribe2(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->ticks_aaa > 0, 1500));
	gwconn_stop(fx->g);
	n = fx->n_seen;
	assert_int_equal(gwconn_validated(fx->g), 0);
	assert_true(RUN_UNTIL(fx, ({ json_t *j_ = sim_status(f_->sim);
	    int s_ = (int)json_integer_value(json_object_get(j_, "sessions"));
	    json_decref(j_); s_ == 0; }), 1000));
	assert_false(RUN_UNTIL(fx, f_->n_seen > n, 100));
}

/* Freed from its own callback: nothing breaks, nothing more arrives. */
static void
test_free_in_callback(void **state)
{
	struct fx *fx = *state;
	int n;

	sim_up(fx);
	fx->free_in_cb = 1;
	conn_new(fx);
	subscribe2(fx);
	conn_start(fx);
	assert_true(RUN_UNTIL(fx, f_->n[GWC_READY] == 1, 1500));
	assert_null(fx->g);
	n = fx->n_seen;
	assert_int_equal(fx->seen[n - 1], GWC_READY);
	assert_false(RUN_UNTIL(fx, f_->n_seen > n, 100));
}

static void
test_subscribe_checks(void **state)
{
	struct fx *fx = *state;
	const char *bad[] = { "AA A" };
	const char *many[GWCONN_MAX_SYMBOLS + 1];
	struct gw_err err = { "" };
	size_t i;

	conn_new(fx);
	assert_int_equal(gwconn_subscribe(fx->g, bad, 1, &err), -1);
	assert_string_equal(err.msg, "gwconn: symbol 1 is not 1..31 printable "
	    "characters");
	for (i = 0; i < GWCONN_MAX_SYMBOLS + 1; i++)
		many[i] = "X";
	assert_int_equal(gwconn_subscribe(fx->g, many, GWCONN_MAX_SYMBOLS + 1,
	    &err), -1);
	assert_int_equal(gwconn_subscribe(fx->g, many, 1, &err), 0);
	assert_non_null(gwconn_quote(fx->g, "X"));
	assert_true(isnan(gwconn_quote(fx->g, "X")->bid));
	assert_int_equal(gwconn_quote(fx->g, "X")->volume, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_check),
		cmocka_unit_test_setup_teardown(test_ready_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_up_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cheap_not_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_fast_cheap_unlimited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_fast_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_costly_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_up_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wedged_heartbeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_resubscribes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upstream_1101_resubscribes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_id_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscribe_checks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
