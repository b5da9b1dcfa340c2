/*
 * loopctx: the event loop, resolver, log and signal events a daemon opens
 * first (see loopctx.h). Trusted input: the program's own settings.
 */
#include <stdlib.h>
#include <unistd.h>

#include <event2/dns.h>

#include "loopctx.h"

#define LOOPCTX_MAX_SIGS 8

struct loopctx {
	struct event_base *base;
	struct evdns_base *dns;
	struct gw_log *log;
	struct event *sig[LOOPCTX_MAX_SIGS];
	size_t nsig;
};

struct loopctx *
loopctx_new(const char *prog, enum gw_level min, enum gw_log_format fmt,
    const int *sigs, size_t n, event_callback_fn on_signal, void *arg,
    struct gw_err *err)
{
	struct loopctx *lc;

	if (n > LOOPCTX_MAX_SIGS) {
		gw_err_set(err, "more than %d signals", LOOPCTX_MAX_SIGS);
		return NULL;
	}
	if ((lc = calloc(1, sizeof(*lc))) == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	if ((lc->base = event_base_new()) == NULL) {
		gw_err_set(err, "cannot set up the event loop");
		goto fail;
	}
	if ((lc->dns = evdns_base_new(lc->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (lc->dns = evdns_base_new(lc->base, 0)) == NULL) {
		gw_err_set(err, "cannot set up name resolution");
		goto fail;
	}
	if ((lc->log = gw_log_new(prog, stdout, min)) == NULL) {
		gw_err_set(err, "cannot set up the log");
		goto fail;
	}
	gw_log_set_format(lc->log, fmt, STDOUT_FILENO);
	for (lc->nsig = 0; lc->nsig < n; lc->nsig++) {
		struct event *ev = evsignal_new(lc->base, sigs[lc->nsig],
		    on_signal, arg);

		if (ev == NULL || evsignal_add(ev, NULL) < 0) {
			if (ev != NULL)
				event_free(ev);
			gw_err_set(err, "cannot handle signal %d", sigs[lc->nsig]);
			goto fail;
		}
		lc->sig[lc->nsig] = ev;
	}
	return lc;
fail:
	loopctx_free(lc);
	return NULL;
}

struct event_base *
loopctx_base(const struct loopctx *lc)
{
	return lc->base;
}

struct evdns_base *
loopctx_dns(const struct loopctx *lc)
{
	return lc->dns;
}

struct gw_log *
loopctx_log(const struct loopctx *lc)
{
	return lc->log;
}

void
loopctx_free(struct loopctx *lc)
{
	size_t i;

	if (lc == NULL)
		return;
	for (i = 0; i < lc->nsig; i++)
		event_free(lc->sig[i]);
	gw_log_free(lc->log);
	if (lc->dns != NULL)
		evdns_base_free(lc->dns, 0);
	if (lc->base != NULL)
		event_base_free(lc->base);
	free(lc);
}
