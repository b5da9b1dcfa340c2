/*
 * sim_switch: the simulator's run-time switches, reached from signals and
 * the control socket: the fault, the slow delay, the login delay, the
 * client ids in use, the daily restart, upstream lost and restored. Values
 * arrive parsed but unchecked: each is checked here against its range.
 */
#include "sim_int.h"

#include <string.h>

#include <event2/event.h>

#define TEXT_1101 "Connectivity between IB and Trader Workstation has been " \
	"restored - data lost."
#define TEXT_1102 "Connectivity between IB and Trader Workstation has been " \
	"restored - data maintained."

static void
log_config(struct sim *sim, const char *what, json_t *value)
{
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.config",
	    json_pack("{s:s, s:o}", "setting", what, "value", value),
	    "%s changed", what);
}

int
sim_set_fault(struct sim *sim, enum sim_fault fault, struct gw_err *err)
{
	enum sim_fault old = sim->cfg.fault;
	struct sess *s;

	if ((unsigned)fault >= SIM_N_FAULTS)
		return gw_err_set(err, "unknown fault %d", (int)fault);
	if (fault == SIM_FAULT_SLOW && sim->cfg.slow_ms == 0)
		sim->cfg.slow_ms = SIM_DEFAULT_SLOW_MS;
	sim->cfg.fault = fault;
	/* Held-back replies are due now (dropped as they fall due if wedged). */
	if (old == SIM_FAULT_SLOW && fault != SIM_FAULT_SLOW)
		TAILQ_FOREACH(s, &sim->sessions, link)
			if (!s->dead)
				sim_sess_release_pending(s);
	if (old != fault)
		gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.fault",
		    json_pack("{s:s, s:s, s:i}", "fault", sim_fault_name(fault),
		    "previous", sim_fault_name(old), "slow_ms", sim->cfg.slow_ms),
		    "fault %s (was %s)", sim_fault_name(fault), sim_fault_name(old));
	return 0;
}

int
sim_set_slow_ms(struct sim *sim, int ms, struct gw_err *err)
{
	if (ms < 0 || ms > SIM_MAX_SLOW_MS)
		return gw_err_set(err, "slow-ms %d is not in 0..%d", ms,
		    SIM_MAX_SLOW_MS);
	sim->cfg.slow_ms = ms;
	log_config(sim, "slow_ms", json_integer(ms));
	/* "--slow-ms N" alone means the slow fault; 0 switches it off. */
	if (ms > 0)
		return sim_set_fault(sim, SIM_FAULT_SLOW, err);
	if (sim->cfg.fault == SIM_FAULT_SLOW)
		return sim_set_fault(sim, SIM_FAULT_NONE, err);
	return 0;
}

int
sim_set_login_delay(struct sim *sim, int seconds, struct gw_err *err)
{
	if (seconds < 0 || seconds > SIM_MAX_LOGIN_DELAY)
		return gw_err_set(err, "login delay %d is not in 0..%d", seconds,
		    SIM_MAX_LOGIN_DELAY);
	sim->cfg.login_delay = seconds;
	log_config(sim, "login_delay", json_integer(seconds));
	return 0;
}

json_t *
sim_ids_json(const struct sim *sim)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < sim->cfg.n_client_ids; i++)
		json_array_append_new(a, json_integer(sim->cfg.client_ids_in_use[i]));
	return a;
}

int
sim_set_client_ids(struct sim *sim, const int *ids, size_t n,
    struct gw_err *err)
{
	if (n > SIM_MAX_CLIENT_IDS)
		return gw_err_set(err, "more than %d client ids", SIM_MAX_CLIENT_IDS);
	if (n > 0)
		memcpy(sim->cfg.client_ids_in_use, ids, n * sizeof(ids[0]));
	sim->cfg.n_client_ids = n;
	log_config(sim, "client_ids_in_use", sim_ids_json(sim));
	return 0;
}

int
sim_restart(struct sim *sim, struct gw_err *err)
{
	size_t n = sim->n_sessions;

	if (!sim->started || sim->stopped)
		return gw_err_set(err, "the simulator is not running");
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.restart",
	    json_pack("{s:i, s:i}", "login_delay", sim->cfg.login_delay,
	    "sessions", (int)n), "restart: dropping %zu connections, listening "
	    "again in %d s", n, sim->cfg.login_delay);
	sim_sess_close_all(sim, "closed by the simulator: restart");
	sim->upstream_lost = 0;
	sim_api_close(sim);
	sim_accept_resume(sim);
	sim->accept_failing = 0;
	if (sim_api_open(sim, err) < 0) {
		sim->failed = 1;
		sim->fail = *err;
		event_base_loopbreak(sim->base);
		return -1;
	}
	return 0;
}

int
sim_upstream(struct sim *sim, int code, struct gw_err *err)
{
	const char *text;
	struct sess *s;
	int n = 0;

	switch (code) {
	case 1100: text = TEXT_1100; break;
	case 1101: text = TEXT_1101; break;
	case 1102: text = TEXT_1102; break;
	default:
		return gw_err_set(err, "upstream code %d is not 1100, 1101 or 1102",
		    code);
	}
	sim->upstream_lost = code == 1100;
	TAILQ_FOREACH(s, &sim->sessions, link) {
		if (s->dead || s->state != SESS_READY)
			continue;
		sim_sess_send_error(s, -1, code, text);
		if (code == 1101)
			sim_mkt_drop(s);	/* data lost: clients re-request */
		n++;
	}
	gw_log_event(sim->log, code == 1100 ? GW_WARNING : GW_INFO, COMPONENT,
	    code == 1100 ? "sim.upstream_lost" : "sim.upstream_restored",
	    json_pack("{s:i, s:i}", "code", code, "sessions", n),
	    "upstream %s: %d sent to %d sessions",
	    code == 1100 ? "lost" : "restored", code, n);
	return 0;
}
