/*
 * dialer: one outgoing TCP connection on a libevent base.
 *
 *   start -> resolve (numeric at once, else libevent's resolver) ->
 *   connect to each address in turn -> callback(connected fd | error)
 *
 * Names are resolved by libevent's own resolver (/etc/hosts, then the
 * resolv.conf servers; never glibc's NSS, so static binaries work). Every
 * resolved address is tried in order until one connects; each attempt may
 * have its own deadline, and one total deadline may cover the resolution
 * and all attempts. tws_session (gw-probe) and stack-init's IBC client dial
 * through it.
 */
#ifndef GW_DIALER_H
#define GW_DIALER_H

#include "gw_err.h"

struct event_base;
struct evdns_base;
struct dialer;

struct dialer_config {
	const char *host;	/* numeric IPv4/IPv6 address or name, 1..253
				 * characters; copied */
	int port;		/* 1..65535 */
	int attempt_timeout_ms;	/* one address's connect; 0: none */
	int total_timeout_ms;	/* resolution and every attempt; 0: none */
};

enum dialer_status {
	DIALER_CONNECTED,
	DIALER_ERESOLVE,	/* the name did not resolve; gai_error set */
	DIALER_ECONNECT,	/* every address failed; sys_error is the
				 * last one's errno (ETIMEDOUT for an attempt
				 * deadline), 0 when none could be tried */
	DIALER_ETIMEDOUT,	/* the total deadline passed */
};

struct dialer_result {
	enum dialer_status status;
	int fd;			/* CONNECTED: connected, non-blocking and
				 * close-on-exec; the callback owns it. -1
				 * otherwise */
	int sys_error;
	int gai_error;		/* ERESOLVE: an EVUTIL_EAI_* code; 0 when the
				 * resolver could not even be asked */
	int resolving;		/* ETIMEDOUT: the name was not resolved yet */
	/* Not CONNECTED: the one-line reason, naming the host (quoted) or
	 * host:port and the last failure:
	 *   cannot resolve 'HOST': <resolver error>
	 *   cannot resolve 'HOST' within N ms
	 *   connect to HOST:PORT failed: <last error>
	 *   connect to HOST:PORT timed out after N ms
	 * where an IPv6 address shows as [ADDR]:PORT, and an attempt that hit
	 * its deadline last reads "no answer within N ms". */
	struct gw_err err;
};

/*
 * Called once per dialer_start(), always from the event loop (never inside
 * dialer_start), unless dialer_cancel(), dialer_free() or another
 * dialer_start() came first. r is valid during the call only. The dialer is
 * idle by then: the callback may call dialer_start(), dialer_cancel() or
 * dialer_free() on it.
 */
typedef void (*dialer_cb)(struct dialer *d, const struct dialer_result *r,
    void *arg);

/*
 * Create an idle dialer. dns may be NULL: a resolver is then made (from
 * /etc/resolv.conf) the first time a name needs one, kept for later starts
 * and freed with the dialer. A borrowed dns base must outlive the dialer's
 * lookups, a cancelled one's too: libevent still runs a cancelled lookup's
 * callback on the next turn of the loop, and reads the dns base there. So
 * after dialer_cancel() or dialer_free(), turn the loop once (e.g.
 * event_base_loop(base, EVLOOP_NONBLOCK)) before evdns_base_free(dns, 1).
 * Returns NULL with err when out of memory.
 */
struct dialer *dialer_new(struct event_base *base, struct evdns_base *dns,
    dialer_cb cb, void *arg, struct gw_err *err);

/* Check a configuration without dialing (for -n). */
int dialer_config_check(const struct dialer_config *cfg, struct gw_err *err);

/*
 * Begin dialing; whatever the dialer was doing is cancelled first. Never
 * blocks; the outcome arrives through the callback. Returns -1 with err on
 * a bad configuration or when a timer cannot be armed (no callback then).
 */
int dialer_start(struct dialer *d, const struct dialer_config *cfg,
    struct gw_err *err);

/* Stop dialing; the callback does not run for this start. The dialer can
 * be started again. NULL-safe, and a no-op when idle. */
void dialer_cancel(struct dialer *d);

/* Cancel and free. NULL-safe. While a cancelled lookup's callback is still
 * due, a little memory (and an owned dns base) stays until it runs. */
void dialer_free(struct dialer *d);

#endif
