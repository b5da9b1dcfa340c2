/* libFuzzer target for svcconf_parse: any bytes, any length. A refusal
 * must say why and own nothing (LeakSanitizer); an accepted table must
 * hold what svcconf.h promises: unique good names, argv iff not external,
 * resolved dependency and follows indices, and an order that is a
 * permutation with every dependency before its dependant; follow modes,
 * forwarded signals and signal actions within their ranges; no cycle in
 * follows; health checks with a command to run and retries in range; at
 * most one notifier, never external. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "svcconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
strv_ok(char **v, size_t min)
{
	size_t n = 0;

	if (v == NULL)
		return 0;
	for (; v[n] != NULL; n++)
		if (v[n][0] == '\0')
			return 0;
	return n >= min && n <= SVC_MAX_ARGV;
}

static int
svc_ok(const struct svcconf *c, size_t i)
{
	const struct svc *s = &c->svc[i];
	size_t k;
	int d;

	if (memchr(s->name, '\0', sizeof(s->name)) == NULL ||
	    s->name[0] == '\0' || svcconf_find(c, s->name) != (int)i)
		return 0;
	if (s->external ? s->argv != NULL : !strv_ok(s->argv, 1))
		return 0;
	if (s->n_deps > SVC_MAX_DEPS || s->n_schedule > SVC_MAX_SCHEDULES)
		return 0;
	for (k = 0; k < s->n_deps; k++) {
		const struct svc_dep *d = &s->deps[k];

		if (d->index < 0 || (size_t)d->index >= c->n ||
		    d->index == (int)i ||
		    strcmp(c->svc[d->index].name, d->service) != 0 ||
		    (d->condition == SVC_DEP_READY &&
		    c->svc[d->index].ready.kind == SVC_READY_NONE))
			return 0;
	}
	if (s->follows[0] == '\0' ? s->follows_index != -1 :
	    (s->follows_index < 0 || (size_t)s->follows_index >= c->n ||
	    s->follows_index == (int)i ||
	    strcmp(c->svc[s->follows_index].name, s->follows) != 0))
		return 0;
	if (s->ready.kind == SVC_READY_COMMAND && !strv_ok(s->ready.argv, 1))
		return 0;
	if (s->ready.kind == SVC_READY_NOTIFY &&
	    (s->ready.notify_fd < 3 || s->ready.notify_fd > 63))
		return 0;
	if (s->restart_action.kind == SVC_ACTION_ARGV &&
	    !strv_ok(s->restart_action.argv, 1))
		return 0;
	if (s->restart_action.kind == SVC_ACTION_IBC &&
	    (s->restart_action.ibc_host[0] == '\0' ||
	    s->restart_action.ibc_port < 1 || s->restart_action.ibc_port > 65535))
		return 0;
	if (s->backoff.initial_s < 0 || s->backoff.initial_s > s->backoff.max_s ||
	    s->stop_signal < 1 || s->stop_signal > 64 ||
	    s->crash_loop.failures < 1)
		return 0;
	if (s->follow_mode > SVC_FOLLOW_PAUSE ||
	    (s->external && s->follow_mode != SVC_FOLLOW_RESTART))
		return 0;
	if (s->forward_signals != ~0ULL) {
		unsigned long long all = 0;

		for (k = 0; k < SVC_N_SIGNALS; k++)
			all |= 1ULL << svcconf_signal_at((int)k);
		if (s->forward_signals & ~all)
			return 0;
	}
	if (s->health.enabled && (s->health.retries < 1 ||
	    s->health.retries > 1000 || s->health.interval_s <= 0 ||
	    s->health.timeout_s <= 0 || (s->health.argv == NULL ?
	    s->ready.kind != SVC_READY_COMMAND : !strv_ok(s->health.argv, 1))))
		return 0;
	if (s->restart_settle_s < 0 || (s->notifier && s->external))
		return 0;
	/* the follows chain from here ends within n steps: no cycle */
	for (k = 0, d = s->follows_index; d >= 0 && k <= c->n;
	    d = c->svc[d].follows_index, k++)
		;
	if (d >= 0)
		return 0;
	if (!svcconf_svc_equal(s, s))
		return 0;
	for (k = 0; k < s->n_schedule; k++)
		if (s->schedule[k].when.days == 0 ||
		    s->schedule[k].when.days > SCHED_DAILY)
			return 0;
	return 1;
}

static int
order_ok(const struct svcconf *c)
{
	int pos[SVC_MAX_SERVICES];
	size_t i, k;

	for (i = 0; i < c->n; i++)
		pos[i] = -1;
	for (i = 0; i < c->n; i++) {
		if (c->order[i] >= c->n || pos[c->order[i]] != -1)
			return 0;
		pos[c->order[i]] = (int)i;
	}
	for (i = 0; i < c->n; i++)
		for (k = 0; k < c->svc[i].n_deps; k++)
			if (pos[c->svc[i].deps[k].index] >= pos[i])
				return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svcconf *c;
	struct gw_err e;
	size_t i, notifiers;

	e.msg[0] = '\0';
	c = svcconf_parse((const char *)data, size, "fuzz.json", &e);
	if (c == NULL) {
		if (e.msg[0] == '\0' || memchr(e.msg, '\0', sizeof(e.msg)) == NULL)
			__builtin_trap();	/* every refusal says why */
		return 0;
	}
	if (c->n < 1 || c->n > SVC_MAX_SERVICES || !order_ok(c))
		__builtin_trap();
	for (i = 0; i < SVC_N_SIGNALS; i++)
		if (c->on_signal[i] > SVC_SIG_IGNORE)
			__builtin_trap();
	for (i = 0, notifiers = 0; i < c->n; i++) {
		if (!svc_ok(c, i))
			__builtin_trap();
		notifiers += c->svc[i].notifier != 0;
	}
	if (notifiers > 1)
		__builtin_trap();
	svcconf_free(c);
	return 0;
}
