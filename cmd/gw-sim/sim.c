/*
 * sim: the gw-sim TWS API gateway simulator (docs/gw-sim.md): its life
 * cycle and the status its control socket reports. The other parts are in
 * the files that sim_int.h lists; the control socket is control.c's (on
 * lib/lineserv).
 */
#include "sim_int.h"
#include "control.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

/* The control socket's "status" reply (sim_int.h). */
json_t *
sim_status(struct sim *sim)
{
	const struct sess *s;
	size_t subs = 0;
	int sessions = 0, ready = 0;

	TAILQ_FOREACH(s, &sim->sessions, link) {
		if (s->dead || s->state == SESS_DRAINING)
			continue;
		sessions++;
		ready += s->state == SESS_READY;
		subs += s->n_subs;
	}
	return json_pack("{s:b, s:s, s:b, s:i, s:i, s:s, s:s, s:i, s:i, s:i, s:i,"
	    " s:o, s:s, s:i}",
	    "ok", 1, "fault", sim_fault_name(sim->cfg.fault),
	    "listening", sim->api != NULL, "sessions", sessions, "ready", ready,
	    "upstream", sim->upstream_lost ? "lost" : "ok",
	    "bind", sim->cfg.bind_addr, "port", sim->cfg.port,
	    "max_version", sim->cfg.max_version, "slow_ms", sim->cfg.slow_ms,
	    "login_delay", sim->cfg.login_delay,
	    "client_ids_in_use", sim_ids_json(sim), "accounts", sim->cfg.accounts,
	    "subscriptions", (int)subs);
}

/* ---------- life cycle ---------- */

struct sim *
sim_new(struct event_base *base, const struct sim_config *cfg,
    struct gw_log *log, struct gw_err *err)
{
	struct sim *sim;

	sim = calloc(1, sizeof(*sim));
	if (sim == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	sim->cfg = *cfg;
	if (sim_config_check(&sim->cfg, err) < 0) {
		free(sim);
		return NULL;
	}
	sim->base = base;
	sim->log = log;
	TAILQ_INIT(&sim->sessions);
	TAILQ_INIT(&sim->syms);
	sim->login_timer = evtimer_new(base, sim_api_login_cb, sim);
	sim->tick_timer = event_new(base, -1, EV_PERSIST, sim_mkt_tick_cb, sim);
	sim->reaper = event_new(base, -1, 0, sim_sess_reap_cb, sim);
	sim->accept_timer = evtimer_new(base, sim_accept_timer_cb, sim);
	if (sim_ord_new(sim, err) < 0) {
		sim_free(sim);
		return NULL;
	}
	if (sim->login_timer == NULL || sim->tick_timer == NULL ||
	    sim->reaper == NULL || sim->accept_timer == NULL) {
		gw_err_set(err, "out of memory");
		sim_free(sim);
		return NULL;
	}
	return sim;
}

/* sim_start could not open a socket: sim.stopped must say failed. */
static int
start_failed(struct sim *sim, const struct gw_err *err)
{
	sim->failed = 1;
	sim->fail = *err;
	return -1;
}

int
sim_start(struct sim *sim, struct gw_err *err)
{
	struct timeval tv = clock_tv_ms((double)(sim->cfg.tick_ms));

	if (sim->started)
		return gw_err_set(err, "the simulator was already started");
	sim->started = 1;
	/* The control socket first, so a test that sees sim.started can use
	 * it; sim.started before the login delay starts. */
	if (sim->cfg.control_path[0] != '\0' && (sim->ctl = control_new(sim->base,
	    sim, sim->log, sim->cfg.control_path, err)) == NULL)
		return start_failed(sim, err);
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.started",
	    json_pack("{s:s, s:i, s:i, s:s, s:i, s:s}", "bind", sim->cfg.bind_addr,
	    "port", sim->cfg.port, "login_delay", sim->cfg.login_delay, "fault",
	    sim_fault_name(sim->cfg.fault), "max_version", sim->cfg.max_version,
	    "control", sim->cfg.control_path),
	    "gw-sim starting on %s:%d (login delay %d s, fault %s)",
	    sim->cfg.bind_addr, sim->cfg.port, sim->cfg.login_delay,
	    sim_fault_name(sim->cfg.fault));
	evtimer_add(sim->tick_timer, &tv);
	if (sim_api_open(sim, err) < 0)
		return start_failed(sim, err);
	return 0;
}

int
sim_failed(const struct sim *sim, struct gw_err *err)
{
	if (!sim->failed)
		return 0;
	if (err != NULL)
		*err = sim->fail;
	return -1;
}

void
sim_stop(struct sim *sim)
{
	if (sim == NULL || !sim->started || sim->stopped)
		return;
	sim->stopped = 1;
	sim_sess_close_all(sim, "closed by the simulator: stop");
	control_free(sim->ctl);
	sim->ctl = NULL;
	sim_api_close(sim);
	evtimer_del(sim->tick_timer);
	evtimer_del(sim->accept_timer);
	if (sim->failed)
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.stopped",
		    json_pack("{s:b, s:s}", "failed", 1, "error", sim->fail.msg),
		    "gw-sim stopped: %s", sim->fail.msg);
	else
		gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.stopped",
		    json_pack("{s:b}", "failed", 0), "gw-sim stopped");
}

void
sim_free(struct sim *sim)
{
	if (sim == NULL)
		return;
	sim_stop(sim);
	if (sim->accept_timer != NULL)
		event_free(sim->accept_timer);
	if (sim->reaper != NULL)
		event_free(sim->reaper);
	if (sim->tick_timer != NULL)
		event_free(sim->tick_timer);
	if (sim->login_timer != NULL)
		event_free(sim->login_timer);
	sim_mkt_release_orders(sim);
	sim_ord_free(sim);
	free(sim);
}
