/*
 * check: what every kind of check shares (check_int.h): the defaults, the
 * interval timer, the run's deadline and the result line's common fields.
 * A run starts from the loop (never inside check_start/check_run_once), so
 * the callback never runs inside a caller's call. Input: the kinds' results
 * (their own code); the reasons they carry may quote untrusted peers, and
 * are only copied here.
 */
#include "check.h"
#include "check_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"

/* The original monitor's thresholds for the gateway JVM's RSS. */
#define CHECK_JVM_RSS_WARN_MIB 1536
#define CHECK_JVM_RSS_CRIT_MIB 1740

static const char *const kind_names[] = {
	[CHECK_GATEWAY] = "gateway",
	[CHECK_BOT] = "bot",
	[CHECK_INIT] = "init",
	[CHECK_NOTIFIER] = "notifier",
	[CHECK_HOST] = "host",
	[CHECK_COMMAND] = "command",
};

const char *
check_kind_name(enum check_kind kind)
{
	if ((unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "unknown";
}

static void
sock_path(char *dst, size_t sz, const char *rd, const char *name)
{
	if (rd == NULL || *rd == '\0')
		rd = ".";
	if ((size_t)snprintf(dst, sz, "%s/%s", rd, name) >= sz)
		dst[0] = '\0';	/* too long for a socket: the owner's -n says so */
}

void
check_config_init(struct check_config *cfg, enum check_kind kind,
    const char *rd)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = kind;
	snprintf(cfg->name, sizeof(cfg->name), "%s", check_kind_name(kind));
	cfg->interval_s = 60;
	cfg->timeout_s = 10;
	/* gateway */
	snprintf(cfg->host, sizeof(cfg->host), "127.0.0.1");
	cfg->port = 4002;
	cfg->client_id = 919;
	/* sockets */
	switch (kind) {
	case CHECK_BOT:
		sock_path(cfg->socket, sizeof(cfg->socket), rd, "bot.sock");
		break;
	case CHECK_INIT:
		sock_path(cfg->socket, sizeof(cfg->socket), rd, "init.sock");
		break;
	case CHECK_NOTIFIER:
		sock_path(cfg->socket, sizeof(cfg->socket), rd, "notify.sock");
		break;
	default:
		break;
	}
	/* bot-core checks the gateway every 10 s: two monitor intervals
	 * without a fresh check is stale */
	cfg->stale_s = 120;
	cfg->backlog_warn = 100;
	cfg->oldest_warn_s = 300;
	/* host */
	snprintf(cfg->proc_root, sizeof(cfg->proc_root), "/proc");
	cfg->load_warn = 2.0;
	cfg->load_crit = 4.0;
	cfg->mem_warn_mib = 256;
	cfg->mem_crit_mib = 128;
	snprintf(cfg->disk_paths[0], sizeof(cfg->disk_paths[0]), "/");
	cfg->n_disk_paths = 1;
	cfg->disk_warn_pct = 10;
	cfg->disk_crit_pct = 5;
	/* No process is watched by default; one that gets configured starts
	 * with the gateway JVM's thresholds. */
	for (i = 0; i < CHECK_MAX_PROCS; i++) {
		cfg->procs[i].rss_warn_mib = CHECK_JVM_RSS_WARN_MIB;
		cfg->procs[i].rss_crit_mib = CHECK_JVM_RSS_CRIT_MIB;
	}
	cfg->n_procs = 0;
}

static const struct check_ops *
ops_of(enum check_kind kind)
{
	switch (kind) {
	case CHECK_GATEWAY:
		return &check_gateway_ops;
	case CHECK_BOT:
	case CHECK_INIT:
	case CHECK_NOTIFIER:
		return &check_socket_ops;
	case CHECK_HOST:
		return &check_host_ops;
	case CHECK_COMMAND:
		return &check_command_ops;
	}
	return NULL;
}

/* The kind-independent part of the configuration. */
static int
config_ok(const struct check_config *cfg, struct gw_err *err)
{
	const char *k = check_kind_name(cfg->kind);

	if (ops_of(cfg->kind) == NULL)
		return gw_err_set(err, "check: unknown kind %d", (int)cfg->kind);
	if (!isfinite(cfg->interval_s) || cfg->interval_s <= 0)
		return gw_err_set(err, "%s: interval must be above 0 s", k);
	if (!isfinite(cfg->timeout_s) || cfg->timeout_s <= 0)
		return gw_err_set(err, "%s: timeout must be above 0 s", k);
	switch (cfg->kind) {
	case CHECK_GATEWAY:
		if (cfg->host[0] == '\0')
			return gw_err_set(err, "%s: no host", k);
		if (cfg->port < 1 || cfg->port > 65535)
			return gw_err_set(err, "%s: port %d is not in 1..65535",
			    k, cfg->port);
		if (cfg->backend_port < 0 || cfg->backend_port > 65535)
			return gw_err_set(err,
			    "%s: backend port %d is not in 0..65535", k,
			    cfg->backend_port);
		break;
	case CHECK_BOT:
	case CHECK_INIT:
	case CHECK_NOTIFIER:
		if (cfg->socket[0] == '\0')
			return gw_err_set(err, "%s: no socket path", k);
		break;
	case CHECK_COMMAND:
		if (cfg->argv[0] == NULL || cfg->argv[0][0] == '\0')
			return gw_err_set(err, "%s: no program", k);
		break;
	case CHECK_HOST:
		break;
	}
	return 0;
}

static void on_interval(evutil_socket_t fd, short what, void *arg);
static void on_deadline(evutil_socket_t fd, short what, void *arg);
static void on_kick(evutil_socket_t fd, short what, void *arg);
static void destroy(struct check *c);

/*
 * Two more events than check_int.h's: the kick starts a run from the loop,
 * and the reaper frees a check whose owner freed it from the callback.
 * They live in a wrapper so the shared struct stays as the kinds know it.
 */
struct check_full {
	struct check c;
	struct event *kick;
	struct event *reap;
};

static struct check_full *
full(struct check *c)
{
	return (struct check_full *)c;
}

struct check *
check_new(struct event_base *base, struct evdns_base *dns,
    const struct check_config *cfg, check_cb cb, void *arg,
    struct gw_err *err)
{
	struct check_full *f;
	struct check *c;

	if (config_ok(cfg, err) < 0)
		return NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		gw_err_set(err, "%s: out of memory", check_kind_name(cfg->kind));
		return NULL;
	}
	c = &f->c;
	c->base = base;
	c->dns = dns;
	c->cfg = *cfg;
	if (c->cfg.name[0] == '\0')
		snprintf(c->cfg.name, sizeof(c->cfg.name), "%s",
		    check_kind_name(cfg->kind));
	c->ops = ops_of(cfg->kind);
	c->cb = cb;
	c->arg = arg;
	c->timer = event_new(base, -1, EV_PERSIST, on_interval, c);
	c->deadline = evtimer_new(base, on_deadline, c);
	f->kick = evtimer_new(base, on_kick, c);
	f->reap = evtimer_new(base, on_kick, c);	/* see check_free */
	if (c->timer == NULL || c->deadline == NULL || f->kick == NULL ||
	    f->reap == NULL) {
		gw_err_set(err, "%s: cannot create timers", c->cfg.name);
		destroy(c);
		return NULL;
	}
	return c;
}

const struct check_config *
check_config_of(const struct check *c)
{
	return &c->cfg;
}

/* Make the kick run on the loop's next turn. */
static void
kick(struct check *c)
{
	event_active(full(c)->kick, EV_TIMEOUT, 0);
}

int
check_start(struct check *c, struct gw_err *err)
{
	struct timeval tv = clock_tv_ms(c->cfg.interval_s * 1000);

	if (c->repeat)
		return gw_err_set(err, "%s: already started", c->cfg.name);
	if (event_add(c->timer, &tv) < 0)
		return gw_err_set(err, "%s: cannot arm the interval timer",
		    c->cfg.name);
	c->repeat = 1;
	kick(c);
	return 0;
}

int
check_run_once(struct check *c, struct gw_err *err)
{
	(void)err;
	if (!c->running)	/* else the run under way reports */
		kick(c);
	return 0;
}

/* Report the run's result to the owner (the run has ended). */
static void
report(struct check *c, enum hs_status status, const char *reason,
    json_t *kind_fields)
{
	struct check_result r;
	char ts[32];
	json_t *o;

	memset(&r, 0, sizeof(r));
	r.status = status;
	if (status != HS_HEALTHY && reason != NULL)
		snprintf(r.reason, sizeof(r.reason), "%s", reason);
	if (status != HS_HEALTHY && r.reason[0] == '\0')
		snprintf(r.reason, sizeof(r.reason), "%s", hs_status_name(status));
	r.duration_ms = clock_since_ms(c->started_ns);
	gw_log_timestamp(ts);
	/* The original monitor's shape first, then the kind's fields. */
	o = json_object();
	if (o != NULL) {
		json_object_set_new(o, "timestamp", json_string(ts));
		json_object_set_new(o, "component", json_string(c->cfg.name));
		json_object_set_new(o, "status",
		    json_string(hs_status_name(status)));
		json_object_set_new(o, "duration_ms",
		    json_real(floor(r.duration_ms * 1000) / 1000));
		if (status != HS_HEALTHY)
			json_object_set_new(o, "reason", json_string(r.reason));
		if (json_is_object(kind_fields))
			json_object_update_missing(o, kind_fields);
	}
	json_decref(kind_fields);
	r.fields = o;
	c->in_cb = 1;
	c->cb(c, &r, c->arg);
	c->in_cb = 0;
	json_decref(o);
	if (c->dead)	/* freed from the callback: on the loop's next turn */
		event_active(full(c)->reap, EV_TIMEOUT, 0);
}

void
check_done(struct check *c, enum hs_status status, const char *reason,
    json_t *fields)
{
	if (!c->running || c->dead) {	/* late: the deadline answered */
		json_decref(fields);
		return;
	}
	c->running = 0;
	evtimer_del(c->deadline);
	report(c, status, reason, fields);
}

static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	struct timeval tv;
	struct gw_err e = { "" };

	(void)fd;
	(void)what;
	if (c->dead) {		/* the reaper */
		destroy(c);
		return;
	}
	if (c->running)		/* never two runs at once */
		return;
	c->running = 1;
	c->started_ns = clock_mono_ns();
	tv = clock_tv_ms(c->cfg.timeout_s * 1000);
	if (evtimer_add(c->deadline, &tv) < 0) {
		c->running = 0;
		report(c, HS_UNHEALTHY, "cannot arm the deadline", NULL);
		return;
	}
	if (c->ops->start(c, &e) < 0) {
		c->running = 0;
		evtimer_del(c->deadline);
		report(c, HS_UNHEALTHY, e.msg[0] ? e.msg : "cannot start", NULL);
	}
}

static void
on_interval(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	on_kick(-1, 0, arg);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	char why[64];

	(void)fd;
	(void)what;
	if (!c->running)
		return;
	c->ops->cancel(c);
	c->running = 0;
	snprintf(why, sizeof(why), "no answer within %g s", c->cfg.timeout_s);
	report(c, HS_UNHEALTHY, why, NULL);
}

static void
destroy(struct check *c)
{
	struct check_full *f = full(c);

	if (c->running && c->ops != NULL)
		c->ops->cancel(c);
	c->running = 0;
	if (c->ops != NULL)
		c->ops->free(c);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (f->kick != NULL)
		event_free(f->kick);
	if (f->reap != NULL)
		event_free(f->reap);
	free(f);
}

void
check_free(struct check *c)
{
	if (c == NULL || c->dead)
		return;
	if (c->in_cb) {
		/* The kind that called check_done may still touch its own
		 * state on the way out: free on the loop's next turn. */
		c->dead = 1;
		evtimer_del(c->timer);
		return;
	}
	destroy(c);
}
