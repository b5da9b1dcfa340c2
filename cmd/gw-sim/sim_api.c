/*
 * sim_api: the simulator's API listener. It listens at start, or after the
 * login delay (the gateway still logging in), and again after a restart;
 * it refuses connections above SIM_MAX_SESSIONS and hands the others to
 * sim_sess. When accept() fails (EMFILE...), every listener of the
 * simulator pauses a while rather than spin. Peers are untrusted; nothing
 * is read here.
 */
#include "control.h"

#include "sim_int.h"
#include "clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#define SIM_ACCEPT_PAUSE_MS 100	/* after accept() fails (EMFILE...) */

static void
format_peer(const struct sockaddr *sa, char *out, size_t outsz)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		evutil_inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(out, outsz, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(out, outsz, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		snprintf(out, outsz, "unknown");
	}
}

static void
api_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct sim *sim = arg;
	char peer[64];

	(void)l;
	(void)salen;
	sim->accept_failing = 0;
	format_peer(sa, peer, sizeof(peer));
	if (sim->n_sessions >= SIM_MAX_SESSIONS) {
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.connection_limit",
		    json_pack("{s:s, s:i}", "peer", peer, "limit", SIM_MAX_SESSIONS),
		    "refusing %s: %d connections already open", peer,
		    SIM_MAX_SESSIONS);
		evutil_closesocket(fd);
		return;
	}
	sim_sess_accept(sim, fd, peer);
}

/*
 * accept() failed on a listener (EMFILE, ENFILE, ENOBUFS...): it would fail
 * again at once, and again. Pause accepting until a connection is freed or
 * SIM_ACCEPT_PAUSE_MS pass; log once per episode (until an accept works).
 */
void
sim_accept_failed(struct sim *sim, const char *which, int e)
{
	struct timeval tv = clock_tv_ms((double)(SIM_ACCEPT_PAUSE_MS));

	evtimer_add(sim->accept_timer, &tv);
	if (sim->accept_failing)
		return;
	sim->accept_failing = 1;
	gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.accept_error",
	    json_pack("{s:s, s:s, s:i}", "listener", which, "error",
	    evutil_socket_error_to_string(e), "retry_ms", SIM_ACCEPT_PAUSE_MS),
	    "accept on the %s socket failed: %s (pausing; logged once until an "
	    "accept works)", which, evutil_socket_error_to_string(e));
}

void
sim_accept_error_cb(struct evconnlistener *l, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();

	evconnlistener_disable(l);
	sim_accept_failed(arg, "API", e);
}

void
sim_accept_ok(struct sim *sim)
{
	sim->accept_failing = 0;
}

void
sim_conn_freed(struct sim *sim)
{
	if (evtimer_pending(sim->accept_timer, NULL))
		sim_accept_resume(sim);
}

/* Re-enable the listeners paused by sim_accept_error_cb, after the pause
 * or as soon as a connection is freed. Enabling a listener that is not
 * paused does nothing. */
void
sim_accept_resume(struct sim *sim)
{
	evtimer_del(sim->accept_timer);
	if (sim->api != NULL)
		evconnlistener_enable(sim->api);
	control_accept_resume(sim->ctl);
}

void
sim_accept_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sim_accept_resume(arg);
}

static int
api_listen(struct sim *sim, struct gw_err *err)
{
	struct sockaddr_storage ss;
	int len;

	if (sim_bind_sockaddr(sim->cfg.bind_addr, sim->cfg.port, &ss, &len) < 0)
		return gw_err_set(err, "bad bind address '%s'", sim->cfg.bind_addr);
	sim->api = evconnlistener_new_bind(sim->base, api_accept_cb, sim,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    128, (struct sockaddr *)&ss, len);
	if (sim->api == NULL) {
		int e = EVUTIL_SOCKET_ERROR();

		gw_err_set(err, "cannot listen on %s:%d: %s", sim->cfg.bind_addr,
		    sim->cfg.port, evutil_socket_error_to_string(e));
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.listen_failed",
		    json_pack("{s:s, s:i, s:s}", "bind", sim->cfg.bind_addr, "port",
		    sim->cfg.port, "error", evutil_socket_error_to_string(e)),
		    "%s", err->msg);
		return -1;
	}
	evconnlistener_set_error_cb(sim->api, sim_accept_error_cb);
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.listening",
	    json_pack("{s:s, s:i}", "bind", sim->cfg.bind_addr, "port",
	    sim->cfg.port), "API port %s:%d is listening", sim->cfg.bind_addr,
	    sim->cfg.port);
	return 0;
}

void
sim_api_login_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim *sim = arg;

	(void)fd;
	(void)what;
	if (api_listen(sim, &sim->fail) < 0) {
		sim->failed = 1;
		event_base_loopbreak(sim->base);
	}
}

/* Listen now, or after the login delay (the gateway still logging in). */
int
sim_api_open(struct sim *sim, struct gw_err *err)
{
	struct timeval tv = { sim->cfg.login_delay, 0 };

	if (sim->cfg.login_delay == 0)
		return api_listen(sim, err);
	evtimer_add(sim->login_timer, &tv);
	return 0;
}

/* Stop listening (restart, stop); a pending login delay is cancelled. */
void
sim_api_close(struct sim *sim)
{
	if (sim->api != NULL) {
		evconnlistener_free(sim->api);
		sim->api = NULL;
	}
	evtimer_del(sim->login_timer);
}
