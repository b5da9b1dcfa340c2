/*
 * hmconf: health-mon's configuration (see hmconf.h). The environment and
 * the file are untrusted: every value is checked once here, and an error
 * names the variable, or the file with line and column, or the key.
 */
#include "hmconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cfg.h"
#include "sched.h"
#include "usock.h"

#define DEFAULT_WINDOW "16:29-16:36"

/* key: message, into err. */
static int
bad(struct gw_err *err, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct gw_err *err, const char *key, const char *fmt, ...)
{
	char m[GW_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return gw_err_set(err, "%s: %s", key, m);
}

/* A number member of o in [min, max] into *out (absent: unchanged). */
static int
num(const json_t *o, const char *key, const char *where, double min,
    double max, double *out, struct gw_err *err)
{
	const json_t *v = json_object_get(o, key);
	char k[96];

	if (v == NULL)
		return 0;
	snprintf(k, sizeof(k), "%s%s", where, key);
	if (!json_is_number(v))
		return bad(err, k, "expected a number");
	if (json_number_value(v) < min || json_number_value(v) > max)
		return bad(err, k, "%g is not in %g..%g", json_number_value(v),
		    min, max);
	*out = json_number_value(v);
	return 0;
}

static int
inum(const json_t *o, const char *key, const char *where, int min, int max,
    int *out, struct gw_err *err)
{
	double d = *out;
	char k[96];

	if (num(o, key, where, min, max, &d, err) < 0)
		return -1;
	if (d != (double)(int)d) {
		snprintf(k, sizeof(k), "%s%s", where, key);
		return bad(err, k, "%g is not a whole number", d);
	}
	*out = (int)d;
	return 0;
}

static int
str(const json_t *o, const char *key, const char *where, char *out,
    size_t outsz, struct gw_err *err)
{
	const json_t *v = json_object_get(o, key);
	char k[96];

	if (v == NULL)
		return 0;
	snprintf(k, sizeof(k), "%s%s", where, key);
	if (!json_is_string(v))
		return bad(err, k, "expected a string");
	if (json_string_length(v) == 0 || json_string_length(v) >= outsz)
		return bad(err, k, "a string of 1..%zu bytes", outsz - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Only the keys in names (NULL-terminated) may appear in o. */
static int
known(const json_t *o, const char *where, const char *const *names,
    struct gw_err *err)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)o, key, v) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (names[i] == NULL)
			return gw_err_set(err, "%s%s: unknown key", where, key);
	}
	(void)v;
	return 0;
}

static int
kind_of(const char *s, enum check_kind *k)
{
	static const enum check_kind all[] = { CHECK_GATEWAY, CHECK_BOT,
	    CHECK_INIT, CHECK_NOTIFIER, CHECK_HOST, CHECK_COMMAND };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, check_kind_name(all[i])) == 0) {
			*k = all[i];
			return 0;
		}
	return -1;
}

/* The environment's part of a gateway check. */
static int
env_gateway(struct check_config *cc, struct gw_err *err)
{
	const char *host = cfg_env_str("GATEWAY_HOST", "127.0.0.1");
	long port = 0, env_port;

	if (cfg_endpoint("GATEWAY_HOST", host, cc->host, sizeof(cc->host), &port,
	    err) < 0)
		return -1;
	if (cfg_env_long("GATEWAY_PORT", 4002, 1, 65535, &env_port, err) < 0)
		return -1;
	cc->port = (int)(port != 0 ? port : env_port);
	return 0;
}

static int
add(struct hmconf *c, enum check_kind kind, const char *rd, double interval,
    struct check_config **out, struct gw_err *err)
{
	struct check_config *cc;

	if (c->n_checks >= HMCONF_MAX_CHECKS)
		return gw_err_set(err, "checks: more than %d", HMCONF_MAX_CHECKS);
	cc = &c->checks[c->n_checks++];
	check_config_init(cc, kind, rd);
	cc->interval_s = interval;
	if (kind == CHECK_GATEWAY && env_gateway(cc, err) < 0)
		return -1;
	*out = cc;
	return 0;
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* One member of "checks". */
static int
file_check(struct hmconf *c, const json_t *o, size_t idx, double interval,
    struct gw_err *err)
{
	static const char *const names[] = { "kind", "name", "interval",
	    "timeout", "host", "port", "client_id", "backend_port", "socket",
	    "stale", "backlog_warn", "oldest_warn", "load_warn", "load_crit",
	    "mem_warn_mib", "mem_crit_mib", "disks", "disk_warn_pct",
	    "disk_crit_pct", "procs", "argv", "proc_root", NULL };
	struct check_config *cc;
	enum check_kind kind;
	const json_t *v, *e;
	char where[48], k[96];
	size_t i;

	snprintf(where, sizeof(where), "checks[%zu].", idx);
	if (!json_is_object(o))
		return gw_err_set(err, "checks[%zu]: expected an object", idx);
	if (known(o, where, names, err) < 0)
		return -1;
	v = json_object_get(o, "kind");
	if (!json_is_string(v) || kind_of(json_string_value(v), &kind) < 0)
		return gw_err_set(err, "%skind: expected one of gateway, bot, init, "
		    "notifier, host, command", where);
	if (add(c, kind, c->rundir, interval, &cc, err) < 0)
		return -1;
	if (str(o, "name", where, cc->name, sizeof(cc->name), err) < 0 ||
	    num(o, "interval", where, 0.05, 86400, &cc->interval_s, err) < 0 ||
	    num(o, "timeout", where, 0.05, 3600, &cc->timeout_s, err) < 0 ||
	    str(o, "host", where, cc->host, sizeof(cc->host), err) < 0 ||
	    inum(o, "port", where, 1, 65535, &cc->port, err) < 0 ||
	    inum(o, "client_id", where, 0, 2147483647, &cc->client_id, err) < 0 ||
	    inum(o, "backend_port", where, 0, 65535, &cc->backend_port, err) < 0 ||
	    str(o, "socket", where, cc->socket, sizeof(cc->socket), err) < 0 ||
	    num(o, "stale", where, 0.1, 86400, &cc->stale_s, err) < 0 ||
	    num(o, "backlog_warn", where, 0, 1e9, &cc->backlog_warn, err) < 0 ||
	    num(o, "oldest_warn", where, 0, 1e9, &cc->oldest_warn_s, err) < 0 ||
	    num(o, "load_warn", where, 0, 1e6, &cc->load_warn, err) < 0 ||
	    num(o, "load_crit", where, 0, 1e6, &cc->load_crit, err) < 0 ||
	    num(o, "mem_warn_mib", where, 0, 1e9, &cc->mem_warn_mib, err) < 0 ||
	    num(o, "mem_crit_mib", where, 0, 1e9, &cc->mem_crit_mib, err) < 0 ||
	    num(o, "disk_warn_pct", where, 0, 100, &cc->disk_warn_pct, err) < 0 ||
	    num(o, "disk_crit_pct", where, 0, 100, &cc->disk_crit_pct, err) < 0 ||
	    str(o, "proc_root", where, cc->proc_root, sizeof(cc->proc_root),
	    err) < 0)
		return -1;
	if ((v = json_object_get(o, "disks")) != NULL) {
		snprintf(k, sizeof(k), "%sdisks", where);
		if (!json_is_array(v) || json_array_size(v) > CHECK_MAX_PATHS)
			return bad(err, k, "expected an array of at most %d paths",
			    CHECK_MAX_PATHS);
		cc->n_disk_paths = 0;
		json_array_foreach(v, i, e) {
			if (!json_is_string(e) || json_string_length(e) == 0 ||
			    json_string_length(e) >= sizeof(cc->disk_paths[0]))
				return bad(err, k, "item %zu: a path of 1..%zu bytes",
				    i, sizeof(cc->disk_paths[0]) - 1);
			memcpy(cc->disk_paths[cc->n_disk_paths++],
			    json_string_value(e), json_string_length(e) + 1);
		}
	}
	if ((v = json_object_get(o, "procs")) != NULL) {
		static const char *const pnames[] = { "name", "label",
		    "pidfile", "rss_warn_mib", "rss_crit_mib", NULL };

		snprintf(k, sizeof(k), "%sprocs", where);
		if (!json_is_array(v) || json_array_size(v) > CHECK_MAX_PROCS)
			return bad(err, k, "expected an array of at most %d "
			    "objects", CHECK_MAX_PROCS);
		cc->n_procs = 0;
		json_array_foreach(v, i, e) {
			struct check_proc *p = &cc->procs[cc->n_procs++];
			char pw[96];

			snprintf(pw, sizeof(pw), "%sprocs[%zu].", where, i);
			if (!json_is_object(e))
				return gw_err_set(err, "%s: expected an object", k);
			memset(p, 0, sizeof(*p));
			p->rss_warn_mib = 1536;		/* the original monitor's */
			p->rss_crit_mib = 1740;
			if (known(e, pw, pnames, err) < 0 ||
			    str(e, "name", pw, p->name, sizeof(p->name), err) < 0 ||
			    str(e, "label", pw, p->label, sizeof(p->label), err) < 0 ||
			    str(e, "pidfile", pw, p->pidfile, sizeof(p->pidfile),
			    err) < 0 ||
			    num(e, "rss_warn_mib", pw, 0, 1e9, &p->rss_warn_mib,
			    err) < 0 ||
			    num(e, "rss_crit_mib", pw, 0, 1e9, &p->rss_crit_mib,
			    err) < 0)
				return -1;
			if (p->name[0] == '\0' && p->pidfile[0] == '\0')
				return gw_err_set(err, "%s: a name or a pidfile", pw);
		}
	}
	if ((v = json_object_get(o, "argv")) != NULL) {
		snprintf(k, sizeof(k), "%sargv", where);
		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    json_array_size(v) > CHECK_MAX_ARGV)
			return bad(err, k, "expected 1..%d strings", CHECK_MAX_ARGV);
		json_array_foreach(v, i, e) {
			char **grown;

			if (!json_is_string(e) || json_string_length(e) == 0)
				return bad(err, k, "item %zu: a non-empty string", i);
			grown = realloc(c->owned, (c->n_owned + 1) * sizeof(*grown));
			if (grown == NULL)
				return gw_err_set(err, "out of memory");
			c->owned = grown;
			if ((c->owned[c->n_owned] = strdup(json_string_value(e))) ==
			    NULL)
				return gw_err_set(err, "out of memory");
			cc->argv[i] = c->owned[c->n_owned++];
		}
		cc->argv[json_array_size(v)] = NULL;
	}
	if (kind == CHECK_COMMAND && cc->argv[0] == NULL)
		return gw_err_set(err, "%sargv: a command check needs one", where);
	if ((kind == CHECK_BOT || kind == CHECK_INIT || kind == CHECK_NOTIFIER) &&
	    strlen(cc->socket) > USOCK_PATH_MAX)
		return gw_err_set(err, "%ssocket: longer than %d bytes", where,
		    USOCK_PATH_MAX);
	return 0;
}

/* "login.weekly": {"day", "at", "tz", "window"} */
static int
login_weekly(struct login_config *lc, const json_t *v, struct gw_err *err)
{
	static const char *const names[] = { "day", "at", "tz", "window",
	    NULL };
	char day[16] = "sun", at[16] = "", tz[128] = LOGIN_ET;
	struct gw_err e;

	if (!json_is_object(v))
		return gw_err_set(err, "login.weekly: expected an object "
		    "{\"day\", \"at\", \"tz\"}");
	if (known(v, "login.weekly.", names, err) < 0 ||
	    str(v, "day", "login.weekly.", day, sizeof(day), err) < 0 ||
	    str(v, "at", "login.weekly.", at, sizeof(at), err) < 0 ||
	    str(v, "tz", "login.weekly.", tz, sizeof(tz), err) < 0 ||
	    num(v, "window", "login.weekly.", 60, 86400, &lc->weekly_window_s,
	    err) < 0)
		return -1;
	if (at[0] == '\0')
		return gw_err_set(err, "login.weekly.at: missing (\"HH:MM\", "
		    "the planned login's time)");
	if (sched_day(day) < 0)
		return gw_err_set(err, "login.weekly.day: '%s' is not one of sun "
		    "mon tue wed thu fri sat", day);
	if (sched_parse(at, tz, day, &lc->weekly, &e) < 0)
		return gw_err_set(err, "login.weekly: %s", e.msg);
	lc->has_weekly = 1;
	return 0;
}

/* "login.reset_windows": [{"days", "from", "to", "tz"}, ...] */
static int
login_resets(struct login_config *lc, const json_t *v, struct gw_err *err)
{
	static const char *const names[] = { "days", "from", "to", "tz",
	    NULL };
	const json_t *e;
	struct gw_err e2;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > LOGIN_MAX_WINDOWS)
		return gw_err_set(err, "login.reset_windows: expected an array "
		    "of at most %d objects", LOGIN_MAX_WINDOWS);
	lc->n_reset = 0;	/* the file's list replaces the default */
	json_array_foreach(v, i, e) {
		char where[48], days[64] = "daily", from[16] = "", to[16] = "";
		char tz[128] = LOGIN_ET;

		snprintf(where, sizeof(where), "login.reset_windows[%zu].", i);
		if (!json_is_object(e))
			return gw_err_set(err, "login.reset_windows[%zu]: expected "
			    "an object {\"days\", \"from\", \"to\"}", i);
		if (known(e, where, names, err) < 0 ||
		    str(e, "days", where, days, sizeof(days), err) < 0 ||
		    str(e, "from", where, from, sizeof(from), err) < 0 ||
		    str(e, "to", where, to, sizeof(to), err) < 0 ||
		    str(e, "tz", where, tz, sizeof(tz), err) < 0)
			return -1;
		if (from[0] == '\0' || to[0] == '\0')
			return gw_err_set(err, "%s%s: missing (\"HH:MM\")", where,
			    from[0] == '\0' ? "from" : "to");
		if (login_window_parse(&lc->reset[lc->n_reset], days, from, to,
		    tz, &e2) < 0)
			return gw_err_set(err, "login.reset_windows[%zu]: %s", i,
			    e2.msg);
		lc->n_reset++;
	}
	return 0;
}

/* "login": the login component. */
static int
file_login(struct hmconf *c, const json_t *v, struct gw_err *err)
{
	static const char *const names[] = { "ibc_log", "weekly",
	    "warn_before", "twofa_window", "max_attempts", "restart_budget",
	    "reset_windows", "upstream_warn", "upstream_crit", NULL };
	struct login_config *lc = &c->login.cfg;
	const json_t *w, *e;
	size_t i;

	if (!json_is_object(v))
		return gw_err_set(err, "login: expected an object");
	c->login.enabled = 1;
	if (known(v, "login.", names, err) < 0 ||
	    str(v, "ibc_log", "login.", c->login.ibc_log,
	    sizeof(c->login.ibc_log), err) < 0 ||
	    num(v, "twofa_window", "login.", 1, 3600, &lc->twofa_window_s,
	    err) < 0 ||
	    inum(v, "max_attempts", "login.", 1, 100, &lc->max_attempts,
	    err) < 0 ||
	    num(v, "restart_budget", "login.", 1, 86400, &lc->restart_budget_s,
	    err) < 0 ||
	    num(v, "upstream_warn", "login.", 0, 86400, &lc->upstream_warn_s,
	    err) < 0 ||
	    num(v, "upstream_crit", "login.", 0, 86400, &lc->upstream_crit_s,
	    err) < 0)
		return -1;
	if (lc->upstream_crit_s < lc->upstream_warn_s)
		return gw_err_set(err, "login.upstream_crit: %g is below "
		    "upstream_warn (%g)", lc->upstream_crit_s,
		    lc->upstream_warn_s);
	if ((w = json_object_get(v, "weekly")) != NULL &&
	    login_weekly(lc, w, err) < 0)
		return -1;
	if ((w = json_object_get(v, "warn_before")) != NULL) {
		if (!json_is_array(w) || json_array_size(w) > LOGIN_MAX_WARN)
			return gw_err_set(err, "login.warn_before: expected an array "
			    "of at most %d numbers of seconds", LOGIN_MAX_WARN);
		lc->n_warn = 0;
		json_array_foreach(w, i, e) {
			if (!json_is_number(e) || json_number_value(e) < 1 ||
			    json_number_value(e) > 604800)
				return gw_err_set(err, "login.warn_before[%zu]: "
				    "expected seconds in 1..604800", i);
			lc->warn_before_s[lc->n_warn++] = json_number_value(e);
		}
	}
	if ((w = json_object_get(v, "reset_windows")) != NULL &&
	    login_resets(lc, w, err) < 0)
		return -1;
	return 0;
}

/* "restart_file" (a path, or "" for off: str() refuses "") and
 * "restart_grace". */
static int
file_restart(struct hmconf *c, const json_t *root, struct gw_err *err)
{
	const json_t *v = json_object_get(root, "restart_file");

	if (v != NULL) {
		if (!json_is_string(v))
			return bad(err, "restart_file", "expected a path (a "
			    "string; \"\" for off)");
		if (json_string_length(v) >= sizeof(c->restart_file))
			return bad(err, "restart_file", "a path of at most %zu "
			    "bytes", sizeof(c->restart_file) - 1);
		if (strlen(json_string_value(v)) != json_string_length(v))
			return bad(err, "restart_file", "a NUL in the path");
		memcpy(c->restart_file, json_string_value(v),
		    json_string_length(v) + 1);
	}
	return num(root, "restart_grace", "", 0, 3600, &c->restart_grace_s,
	    err);
}

static int
load_file(struct hmconf *c, const char *path, double interval,
    struct gw_err *err)
{
	static const char *const names[] = { "interval", "thresholds", "checks",
	    "action", "http", "state", "login", "restart_file", "restart_grace",
	    NULL };
	static const char *const tnames[] = { "fail", "ok", "reminder",
	    "cooldown", "max_alerts", NULL };
	static const char *const anames[] = { "restart_gateway", "after",
	    "max_per_hour", "service", "socket", NULL };
	json_error_t je;
	json_t *root, *v, *e;
	struct gw_err e2;
	size_t i;
	int rc = -1;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (je.line <= 0)
			return gw_err_set(err, "%s: %s", path, je.text);
		return gw_err_set(err, "%s:%d:%d: %s", path, je.line, je.column,
		    je.text);
	}
	if (!json_is_object(root)) {
		gw_err_set(&e2, "expected an object");
		goto out;
	}
	if (known(root, "", names, &e2) < 0 ||
	    num(root, "interval", "", 0.05, 86400, &interval, &e2) < 0)
		goto out;
	if ((v = json_object_get(root, "thresholds")) != NULL) {
		if (!json_is_object(v) || known(v, "thresholds.", tnames, &e2) < 0 ||
		    inum(v, "fail", "thresholds.", 1, 1000,
		    &c->thresholds.fail_threshold, &e2) < 0 ||
		    inum(v, "ok", "thresholds.", 1, 1000,
		    &c->thresholds.ok_threshold, &e2) < 0 ||
		    num(v, "reminder", "thresholds.", 1, 31536000,
		    &c->thresholds.reminder_s, &e2) < 0 ||
		    num(v, "cooldown", "thresholds.", 0, 86400,
		    &c->thresholds.cooldown_s, &e2) < 0 ||
		    inum(v, "max_alerts", "thresholds.", 1, 1000,
		    &c->thresholds.max_alerts, &e2) < 0) {
			if (!json_is_object(v))
				gw_err_set(&e2, "thresholds: expected an object");
			goto out;
		}
	}
	if ((v = json_object_get(root, "checks")) != NULL) {
		if (!json_is_array(v)) {
			gw_err_set(&e2, "checks: expected an array");
			goto out;
		}
		c->n_checks = 0;	/* the file's list replaces the default */
		json_array_foreach(v, i, e)
			if (file_check(c, e, i, interval, &e2) < 0)
				goto out;
	} else {
		for (i = 0; i < c->n_checks; i++)
			c->checks[i].interval_s = interval;
	}
	if ((v = json_object_get(root, "action")) != NULL) {
		const json_t *b = json_object_get(v, "restart_gateway");

		if (!json_is_object(v) || known(v, "action.", anames, &e2) < 0) {
			if (!json_is_object(v))
				gw_err_set(&e2, "action: expected an object");
			goto out;
		}
		if (b != NULL && !json_is_boolean(b)) {
			gw_err_set(&e2, "action.restart_gateway: expected true or "
			    "false");
			goto out;
		}
		c->action.enabled = json_is_true(b);
		if (inum(v, "after", "action.", 1, 1000, &c->action.after, &e2) < 0 ||
		    inum(v, "max_per_hour", "action.", 1, 60,
		    &c->action.max_per_hour, &e2) < 0 ||
		    str(v, "service", "action.", c->action.service,
		    sizeof(c->action.service), &e2) < 0 ||
		    str(v, "socket", "action.", c->action.init_socket,
		    sizeof(c->action.init_socket), &e2) < 0)
			goto out;
	}
	if ((v = json_object_get(root, "login")) != NULL &&
	    file_login(c, v, &e2) < 0)
		goto out;
	snprintf(c->login.cfg.service, sizeof(c->login.cfg.service), "%s",
	    c->action.service);
	if (str(root, "http", "", c->http, sizeof(c->http), &e2) < 0 ||
	    str(root, "state", "", c->state_path, sizeof(c->state_path), &e2) < 0 ||
	    file_restart(c, root, &e2) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		gw_err_set(err, "%s: %s", path, e2.msg);
	json_decref(root);
	return rc;
}

int
hmconf_load(struct hmconf *c, const char *path, const char *rundir,
    struct gw_err *err)
{
	struct check_config *cc;
	const char *rf;
	double interval;
	char sock[1100];
	size_t i;
	static const enum check_kind socks[] = { CHECK_BOT, CHECK_INIT,
	    CHECK_NOTIFIER };

	memset(c, 0, sizeof(*c));
	snprintf(c->rundir, sizeof(c->rundir), "%s", rundir);
	hs_config_init(&c->thresholds);
	if (cfg_env_seconds("HEALTH_INTERVAL", 60, 0.05, 86400, &interval,
	    err) < 0)
		return -1;
	c->action.after = 3;
	c->action.max_per_hour = 2;
	snprintf(c->action.service, sizeof(c->action.service), "gateway");
	snprintf(c->action.init_socket, sizeof(c->action.init_socket),
	    "%.95s/init.sock", rundir);
	if (sched_window_parse("RESTART_WINDOW", getenv("RESTART_WINDOW"),
	    DEFAULT_WINDOW, &c->action.window_start_min,
	    &c->action.window_end_min, err) < 0)
		return -1;
	snprintf(c->state_path, sizeof(c->state_path), "%s/health-mon.state",
	    rundir);
	/* stack-init gives a follower its leader's restart file; the file's
	 * "restart_file" wins */
	rf = cfg_env_str("GWKIT_RESTART_FILE", "");
	if (strlen(rf) >= sizeof(c->restart_file))
		return gw_err_set(err, "GWKIT_RESTART_FILE: a path of at most %zu "
		    "bytes", sizeof(c->restart_file) - 1);
	memcpy(c->restart_file, rf, strlen(rf) + 1);
	c->restart_grace_s = 30;
	login_config_init(&c->login.cfg);
	if (add(c, CHECK_GATEWAY, rundir, interval, &cc, err) < 0 ||
	    add(c, CHECK_HOST, rundir, interval, &cc, err) < 0)
		return -1;
	for (i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		struct check_config probe;

		check_config_init(&probe, socks[i], rundir);
		snprintf(sock, sizeof(sock), "%s", probe.socket);
		if (exists(sock) && add(c, socks[i], rundir, interval, &cc,
		    err) < 0)
			return -1;
	}
	if (path != NULL && load_file(c, path, interval, err) < 0) {
		hmconf_free(c);
		return -1;
	}
	return 0;
}

void
hmconf_free(struct hmconf *c)
{
	size_t i;

	for (i = 0; i < c->n_owned; i++)
		free(c->owned[i]);
	free(c->owned);
	c->owned = NULL;
	c->n_owned = 0;
}
