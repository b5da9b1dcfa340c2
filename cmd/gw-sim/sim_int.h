/*
 * sim_int: what the files of the simulator share, and nothing outside
 * cmd/gw-sim/ sees (sim.h is the API). One simulator is one struct sim;
 * its files are:
 *
 *   sim.c         life cycle (sim_new .. sim_free) and the control socket
 *   sim_config.c  configuration: defaults, checks, fault names, parsing
 *   sim_api.c     the API listener: accept, login delay, accept errors
 *   sim_sess.c    one API session: handshake, requests, replies, close
 *   sim_mkt.c     market data: symbols' random walks, subscriptions, ticks
 *   sim_ord.c     orders: the paper broker (broker.c) on the wire
 *   sim_switch.c  run-time switches: faults, restart, upstream
 *
 * Nothing here is a contract for other programs; functions are declared
 * here only when another of these files calls them.
 */
#ifndef GW_SIM_INT_H
#define GW_SIM_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

#include <event2/util.h>
#include <jansson.h>

#include "gw_err.h"
#include "log.h"
#include "sim.h"

struct broker;
struct bufferevent;
struct event;
struct event_base;
struct evconnlistener;
struct sockaddr_storage;
struct tws_out_msg;
struct tws_order_req;
struct sim_owner;

#define COMPONENT "sim"
#define SIM_MSG_CAP 1024		/* one encoded reply */
#define SIM_SYMBOL_MAX 31
#define SIM_N_FAULTS ((unsigned)SIM_FAULT_SLOW + 1)

#define TEXT_1100 "Connectivity between IB and Trader Workstation has been lost."

/* A session's life (one API connection). */
enum sess_state {
	SESS_HELLO,		/* waiting for "API\0" + version range */
	SESS_STARTING,		/* server version sent, waiting for startApi */
	SESS_READY,		/* startApi answered: requests are served */
	SESS_NOT_LOGGED_IN,	/* startApi swallowed (not-logged-in fault) */
	SESS_CLOSING,		/* flushing the last replies, then FIN */
	SESS_DRAINING,		/* FIN sent; discarding input until EOF */
};

/* A reply held back by the slow fault, due at a monotonic time. */
struct pending {
	TAILQ_ENTRY(pending) link;
	long long due_ms;
	size_t len;
	uint8_t data[];
};

/* One symbol's random walk, shared by every line that streams it. */
struct sym {
	TAILQ_ENTRY(sym) link;
	char name[SIM_SYMBOL_MAX + 1];
	uint64_t rng;
	long cents;
	int bid_size, ask_size, last_size;
	long long volume;
	int refs;
	int ordered;		/* one of refs is the paper broker's */
};

/* One market-data line of a session. */
struct sub {
	long long req_id;
	int type;		/* market data type when requested */
	struct sym *sym;
};

struct sess {
	TAILQ_ENTRY(sess) link;
	struct sim *sim;
	struct bufferevent *bev;
	unsigned long long no;	/* connection number, for logs */
	char peer[64];
	enum sess_state state;
	int version;
	int client_id;
	int mkt_data_type;
	struct sub subs[SIM_MAX_SUBSCRIPTIONS];
	size_t n_subs;
	TAILQ_HEAD(, pending) pending;
	size_t pending_bytes;	/* payload and struct pending */
	long long last_due_ms;
	struct event *slow_timer;
	struct event *deadline;	/* the drain deadline (conn_fin) */
	char why[192];		/* close reason once closing */
	int peer_eof;		/* the client closed its side */
	unsigned long n_ignored;	/* requests before startApi, etc. */
	int positions_sub;	/* reqPositions until cancelPositions */
	int dead;		/* closed; freed by the reaper */
};

struct sim {
	struct event_base *base;
	struct gw_log *log;
	struct sim_config cfg;
	struct evconnlistener *api;	/* NULL while not listening */
	struct control *ctl;		/* the control socket (control.c) */
	struct event *login_timer;
	struct event *tick_timer;
	struct event *reaper;
	struct event *accept_timer;	/* re-enables paused listeners */
	int accept_failing;		/* sim.accept_error logged this episode */
	TAILQ_HEAD(, sess) sessions;
	size_t n_sessions;
	TAILQ_HEAD(, sym) syms;
	struct broker *broker;		/* the paper book (sim_ord.c) */
	struct sim_owner *owners;	/* order id -> client id, by id */
	unsigned exec_swallow;		/* reqExecutions left unanswered */
	size_t n_owners, cap_owners;
	unsigned long long conn_no;
	int upstream_lost;
	int started;
	int stopped;
	int failed;
	struct gw_err fail;
};

/* sim_config.c: a numeric IPv4 or IPv6 address and port into ss; -1 when
 * addr is neither. */
int sim_bind_sockaddr(const char *addr, int port, struct sockaddr_storage *ss,
    int *len);

/* sim_api.c: the API listener. sim_api_open listens now, or arms the login
 * timer (sim_api_login_cb) for the login delay; -1 with the reason in err
 * when an immediate listen fails. sim_api_close stops listening and
 * cancels a pending login. sim_accept_error_cb pauses a listener whose
 * accept() fails (any listener of sim); sim_accept_resume re-enables them
 * all, at once when a descriptor is freed or from sim_accept_timer_cb. */
int sim_api_open(struct sim *sim, struct gw_err *err);
void sim_api_close(struct sim *sim);
void sim_api_login_cb(evutil_socket_t fd, short what, void *arg);
void sim_accept_error_cb(struct evconnlistener *l, void *arg);
void sim_accept_resume(struct sim *sim);
void sim_accept_timer_cb(evutil_socket_t fd, short what, void *arg);

/* sim_sess.c: API sessions. sim_sess_accept starts a session on fd (closed
 * on failure), below SIM_MAX_SESSIONS (the listener's check), and logs
 * sim.connection; peer is the address for logs. */
void sim_sess_accept(struct sim *sim, evutil_socket_t fd, const char *peer);
/* {"peer", "conn"} for a log record; NULL on allocation failure. */
json_t *sim_sess_fields(const struct sess *s);
/* Queue one encoded reply of n bytes (n < 0: the encoder failed, e says
 * why: logged as our bug). Nothing is sent under the wedged fault. */
void sim_sess_sent(struct sess *s, ssize_t n, const uint8_t *buf,
    const struct gw_err *e);
void sim_sess_send_error(struct sess *s, long long req_id, int code,
    const char *text);
/* The slow fault ended: every held-back reply is due now, in order. */
void sim_sess_release_pending(struct sess *s);
/* Kill and free every session at once (restart, stop). */
void sim_sess_close_all(struct sim *sim, const char *reason);
/* Frees the sessions killed since it last ran (sim->reaper's callback). */
void sim_sess_reap_cb(evutil_socket_t fd, short what, void *arg);

/* sim_mkt.c: market data. A request or cancel of a ready session; drop
 * every line of a session; the tick timer's callback. */
void sim_mkt_request(struct sess *s, const struct tws_out_msg *m);
void sim_mkt_cancel(struct sess *s, long long req_id);
void sim_mkt_drop(struct sess *s);
void sim_mkt_tick_cb(evutil_socket_t fd, short what, void *arg);
/* The walk of a symbol with an order: created (is_new 1) or found, and
 * held for the simulator's life from its first order on (the broker's
 * positions need marks). NULL when memory runs out. The walk's bid and
 * ask (last -/+ 0.01). Release every held walk (sim_free). */
struct sym *sim_mkt_order_sym(struct sim *sim, const char *name, int *is_new);
void sim_mkt_bid_ask(const struct sym *y, double *bid, double *ask);
void sim_mkt_release_orders(struct sim *sim);

/* sim_ord.c: orders. sim_ord_new creates the paper broker from sim->cfg
 * (-1 with err); sim_ord_free frees it. sim_ord_min_version is the lowest
 * server version at which gw-sim serves order request msg_id, 0 when
 * msg_id is not an order request; sim_ord_name its name. A decoded order
 * request of a ready session; one refused for its version (error 503 or
 * 321, id order_id or -1). A quote of an ordered symbol (every tick). */
int sim_ord_new(struct sim *sim, struct gw_err *err);
void sim_ord_free(struct sim *sim);
long long sim_ord_next_valid_id(const struct sim *sim);
int sim_ord_min_version(int msg_id);
const char *sim_ord_name(int msg_id);
void sim_ord_request(struct sess *s, const struct tws_order_req *r);
void sim_ord_unsupported(struct sess *s, int msg_id, long long order_id);
void sim_ord_quote(struct sim *sim, const struct sym *y);
/* The control socket's "book" reply (new reference; NULL on no memory). */
json_t *sim_ord_book(struct sim *sim);

/* sim_switch.c: the client ids in use as a JSON array (new reference). */
json_t *sim_ids_json(const struct sim *sim);

/* For control.c (the control socket, on lib/lineserv): sim.c's status
 * reply, {"ok": true, "fault": ...} (a new reference; NULL only when memory
 * runs out); sim_api.c's accept-error episode: sim_accept_failed logs
 * sim.accept_error once per episode for the listener named which ("API",
 * "control"), which the caller has paused, and resumes the paused
 * listeners after a pause; sim_accept_ok ends the episode; sim_conn_freed
 * resumes paused listeners at once. */
json_t *sim_status(struct sim *sim);
void sim_accept_failed(struct sim *sim, const char *which, int errnum);
void sim_accept_ok(struct sim *sim);
void sim_conn_freed(struct sim *sim);

#endif
