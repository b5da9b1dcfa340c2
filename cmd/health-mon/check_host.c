/*
 * check_host: the host check (docs/health-mon.md "CHECKS"). One run reads
 * the load average (per CPU, 1-minute), MemAvailable, the free disk of
 * each configured path and the RSS of each configured process, all under
 * cfg.proc_root through hostinfo; the worst reading decides: a critical
 * threshold passed is unhealthy, a warning one degraded. The reason names
 * every threshold passed, in that order, joined by "; ":
 *   "load 5.1 per CPU above 4.0; /data 3% free below 5%"
 * A configured process that is not found is degraded, never unhealthy (it
 * may be restarting): "gateway JVM not found". A reading that fails (a
 * broken /proc, a missing path) is degraded too, with its error. With a
 * pid file the pid file names the process, and a name, when also set,
 * must match its Name (a reused pid is not the gateway).
 *
 * Input: the host's /proc files and pid files, untrusted bytes (hostinfo
 * decodes them). The readings are small file reads and statvfs: quick
 * enough for the loop, so a run does them in one zero-timeout event and
 * ends there with check_done(), never inside start.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "check_int.h"
#include "hostinfo.h"

struct host_state {
	struct event *run;		/* the zero-timeout event of a run */
};

struct host_run {
	enum hs_status status;
	char reason[HS_REASON_MAX + 1];
	size_t rlen;
	json_t *fields;
};

/* Add one finding at status st to the run: the worst status wins and the
 * reason lists every finding. */
static void
finding(struct host_run *r, enum hs_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
finding(struct host_run *r, enum hs_status st, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (st > r->status)
		r->status = st;
	if (r->rlen >= sizeof(r->reason) - 1)
		return;			/* full: the first findings stay */
	if (r->rlen > 0) {
		n = snprintf(r->reason + r->rlen, sizeof(r->reason) - r->rlen,
		    "; ");
		r->rlen += (size_t)n;
		if (r->rlen >= sizeof(r->reason) - 1) {
			r->rlen = sizeof(r->reason) - 1;
			return;
		}
	}
	va_start(ap, fmt);
	n = vsnprintf(r->reason + r->rlen, sizeof(r->reason) - r->rlen, fmt,
	    ap);
	va_end(ap);
	if (n > 0)
		r->rlen += (size_t)n;
	if (r->rlen > sizeof(r->reason) - 1)
		r->rlen = sizeof(r->reason) - 1;
}

/* v (>= 0) rounded to `decimals` places: readings are judged as they are
 * shown, so "1536 MiB above 1536 MiB" cannot happen. */
static double
rounded(double v, int decimals)
{
	double scale = 1;

	while (decimals-- > 0)
		scale *= 10;
	return (double)(long long)(v * scale + 0.5) / scale;
}

/* v with at most 2 decimals, trailing zeros dropped down to min. */
static const char *
num(char *b, size_t n, double v, int min)
{
	size_t len, dot;

	snprintf(b, n, "%.2f", v);
	len = strlen(b);
	dot = len - 3;
	while (len > dot + 1 + (size_t)min && b[len - 1] == '0')
		len--;
	if (len == dot + 1)
		len--;
	b[len] = '\0';
	return b;
}

/* The status of a reading above (warn, crit); 0 turns a threshold off. */
static enum hs_status
above(double v, double warn, double crit, double *passed)
{
	if (crit > 0 && v > crit) {
		*passed = crit;
		return HS_UNHEALTHY;
	}
	if (warn > 0 && v > warn) {
		*passed = warn;
		return HS_DEGRADED;
	}
	return HS_HEALTHY;
}

/* The status of a reading below (warn, crit). */
static enum hs_status
below(double v, double warn, double crit, double *passed)
{
	if (v < crit) {
		*passed = crit;
		return HS_UNHEALTHY;
	}
	if (v < warn) {
		*passed = warn;
		return HS_DEGRADED;
	}
	return HS_HEALTHY;
}

static void
check_load(const struct check_config *cfg, const char *root,
    struct host_run *r)
{
	struct hostinfo_load l;
	struct gw_err e;
	enum hs_status st;
	double per, t = 0;
	char a[32], b[32];
	int cpus = hostinfo_cpus(root);

	json_object_set_new(r->fields, "cpus", json_integer(cpus));
	if (hostinfo_load(root, &l, &e) < 0) {
		json_object_set_new(r->fields, "load1", json_null());
		json_object_set_new(r->fields, "load5", json_null());
		json_object_set_new(r->fields, "load15", json_null());
		finding(r, HS_DEGRADED, "%s", e.msg);
		return;
	}
	per = rounded(l.avg1 / cpus, 2);
	json_object_set_new(r->fields, "load1", json_real(l.avg1));
	json_object_set_new(r->fields, "load5", json_real(l.avg5));
	json_object_set_new(r->fields, "load15", json_real(l.avg15));
	json_object_set_new(r->fields, "load_per_cpu", json_real(per));
	if ((st = above(per, cfg->load_warn, cfg->load_crit, &t)) != HS_HEALTHY)
		finding(r, st, "load %s per CPU above %s",
		    num(a, sizeof(a), per, 1), num(b, sizeof(b), t, 1));
}

static void
check_mem(const struct check_config *cfg, const char *root,
    struct host_run *r)
{
	struct hostinfo_mem m;
	struct gw_err e;
	enum hs_status st;
	double mib, t = 0;
	char a[32], b[32];

	if (hostinfo_mem(root, &m, &e) < 0) {
		json_object_set_new(r->fields, "mem_available_mib", json_null());
		finding(r, HS_DEGRADED, "%s", e.msg);
		return;
	}
	mib = rounded((double)m.available_kib / 1024, 1);
	json_object_set_new(r->fields, "mem_available_mib", json_real(mib));
	json_object_set_new(r->fields, "mem_total_mib",
	    json_real(rounded((double)m.total_kib / 1024, 1)));
	st = below(mib, cfg->mem_warn_mib, cfg->mem_crit_mib, &t);
	if (st != HS_HEALTHY)
		finding(r, st, "memory %s MiB available below %s MiB",
		    num(a, sizeof(a), mib, 0), num(b, sizeof(b), t, 0));
}

static void
check_disks(const struct check_config *cfg, struct host_run *r)
{
	json_t *disk = json_object();
	struct gw_err e;
	enum hs_status st;
	double pct, t = 0;
	char a[32], b[32];
	size_t i;

	for (i = 0; i < cfg->n_disk_paths && i < CHECK_MAX_PATHS; i++) {
		const char *path = cfg->disk_paths[i];

		if (hostinfo_disk_free_pct(path, &pct, &e) < 0) {
			json_object_set_new(disk, path, json_null());
			finding(r, HS_DEGRADED, "%s", e.msg);
			continue;
		}
		pct = rounded(pct, 1);
		json_object_set_new(disk, path, json_real(pct));
		st = below(pct, cfg->disk_warn_pct, cfg->disk_crit_pct, &t);
		if (st != HS_HEALTHY)
			finding(r, st, "%s %s%% free below %s%%", path,
			    num(a, sizeof(a), pct, 0), num(b, sizeof(b), t, 0));
	}
	json_object_set_new(r->fields, "disk", disk);
}

/* Find p's process: 0 with its status; -1 after adding the finding. */
static int
find_proc(const struct check_proc *p, const char *label, const char *root,
    struct host_run *r, struct hostinfo_status *s)
{
	struct gw_err e;
	char q[GW_QUOTE_MAX];
	pid_t pid;
	int rc;

	if (p->pidfile[0] == '\0') {
		if (p->name[0] == '\0') {
			finding(r, HS_DEGRADED, "%s: neither a name nor a pid "
			    "file", label);
			return -1;
		}
		rc = hostinfo_find_by_name(root, p->name, &pid, s, &e);
		if (rc == 1)
			finding(r, HS_DEGRADED, "%s not found", label);
		else if (rc < 0)
			finding(r, HS_DEGRADED, "%s not found: %s", label,
			    e.msg);
		return rc == 0 ? 0 : -1;
	}
	if (hostinfo_read_pidfile(p->pidfile, &pid, &e) < 0) {
		finding(r, HS_DEGRADED, "%s not found: %s", label, e.msg);
		return -1;
	}
	if ((rc = hostinfo_proc_status(root, pid, s, &e)) != 0) {
		if (rc == 1)
			finding(r, HS_DEGRADED, "%s not found: no process %ld "
			    "(%s)", label, (long)pid, p->pidfile);
		else
			finding(r, HS_DEGRADED, "%s: %s", label, e.msg);
		return -1;
	}
	if (p->name[0] != '\0' && strcmp(s->name, p->name) != 0) {
		gw_err_quote(q, sizeof(q), s->name, strlen(s->name));
		finding(r, HS_DEGRADED, "%s not found: pid %ld is '%s', not "
		    "'%s' (%s)", label, (long)pid, q, p->name, p->pidfile);
		return -1;
	}
	if (!s->has_rss) {
		finding(r, HS_DEGRADED, "%s not found: pid %ld has no memory "
		    "(a zombie?)", label, (long)pid);
		return -1;
	}
	return 0;
}

static void
check_procs(const struct check_config *cfg, const char *root,
    struct host_run *r)
{
	json_t *procs = json_object();
	struct hostinfo_status s;
	enum hs_status st;
	double mib, t = 0;
	char a[32], b[32];
	size_t i;

	for (i = 0; i < cfg->n_procs && i < CHECK_MAX_PROCS; i++) {
		const struct check_proc *p = &cfg->procs[i];
		const char *label = p->label[0] != '\0' ? p->label :
		    p->name[0] != '\0' ? p->name : p->pidfile;

		if (find_proc(p, label, root, r, &s) < 0) {
			json_object_set_new(procs, label, json_null());
			continue;
		}
		mib = rounded((double)s.rss_kib / 1024, 1);
		json_object_set_new(procs, label, json_real(mib));
		st = above(mib, p->rss_warn_mib, p->rss_crit_mib, &t);
		if (st != HS_HEALTHY)
			finding(r, st, "%s RSS %s MiB above %s MiB", label,
			    num(a, sizeof(a), mib, 0), num(b, sizeof(b), t, 0));
	}
	json_object_set_new(r->fields, "procs", procs);
}

static void
host_run_cb(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	const struct check_config *cfg = &c->cfg;
	const char *root = cfg->proc_root[0] != '\0' ? cfg->proc_root :
	    HOSTINFO_PROC_ROOT;
	struct host_run r;

	(void)fd;
	(void)what;
	memset(&r, 0, sizeof(r));
	r.status = HS_HEALTHY;
	if ((r.fields = json_object()) == NULL) {
		check_done(c, HS_UNHEALTHY, "out of memory", NULL);
		return;
	}
	check_load(cfg, root, &r);
	check_mem(cfg, root, &r);
	check_disks(cfg, &r);
	check_procs(cfg, root, &r);
	/* The last use of c: check_done may free it. */
	check_done(c, r.status, r.reason, r.fields);
}

static int
host_start(struct check *c, struct gw_err *err)
{
	static const struct timeval now = { 0, 0 };
	struct host_state *s = c->kind_state;

	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return gw_err_set(err, "out of memory");
		if ((s->run = evtimer_new(c->base, host_run_cb, c)) == NULL) {
			free(s);
			return gw_err_set(err, "cannot create the host "
			    "check's event");
		}
		c->kind_state = s;
	}
	if (evtimer_add(s->run, &now) < 0)
		return gw_err_set(err, "cannot schedule the host check");
	return 0;
}

static void
host_cancel(struct check *c)
{
	struct host_state *s = c->kind_state;

	if (s != NULL)
		evtimer_del(s->run);
}

static void
host_free(struct check *c)
{
	struct host_state *s = c->kind_state;

	if (s == NULL)
		return;
	event_free(s->run);
	free(s);
	c->kind_state = NULL;
}

const struct check_ops check_host_ops = {
	.start = host_start,
	.cancel = host_cancel,
	.free = host_free,
};
