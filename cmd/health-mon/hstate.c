/*
 * hstate: health-mon's per-component state machine and its state file
 * (hstate.h has the semantics). The state machine is pure: no I/O, no
 * clock, the owner passes the time. The state file is health-mon's own,
 * but a crash, a full disk or an operator's editor may have damaged it, so
 * it is read as untrusted: every field is checked before anything is
 * applied, and a damaged file loads nothing (the owner starts fresh).
 */
#include "hstate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#define HS_FILE_VERSION 1
#define HS_FILE_MAX (1024 * 1024)	/* bytes; ours are a few KiB */
#define QUOTE_MAX 40

static const char *const status_names[] = {
	[HS_UNKNOWN] = "unknown",
	[HS_HEALTHY] = "healthy",
	[HS_DEGRADED] = "degraded",
	[HS_UNHEALTHY] = "unhealthy",
};

void
hs_config_init(struct hs_config *cfg)
{
	cfg->fail_threshold = 2;
	cfg->ok_threshold = 1;
	cfg->reminder_s = 1800;
	cfg->cooldown_s = 300;
	cfg->max_alerts = 4;
}

static void
set_reason(struct hs_component *c, const char *reason)
{
	snprintf(c->reason, sizeof(c->reason), "%s",
	    reason != NULL ? reason : "");
}

void
hs_init(struct hs_component *c, const char *name, int64_t now_ms)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->status = HS_UNKNOWN;
	c->since_ms = now_ms;
}

const char *
hs_status_name(enum hs_status s)
{
	if ((unsigned)s >= sizeof(status_names) / sizeof(status_names[0]))
		return "unknown";
	return status_names[s];
}

static int
at_least_1(int v)
{
	return v < 1 ? 1 : v;
}

/* Some alert was sent since the outage began. */
static int
outage_announced(const struct hs_component *c)
{
	return c->down_since_ms != 0 && c->last_alert_ms != 0 &&
	    c->last_alert_ms >= c->down_since_ms;
}

/* The current (non-healthy) status was announced: its alert, a late
 * announcement or a reminder was sent after it began. */
static int
status_announced(const struct hs_component *c)
{
	return c->last_alert_ms != 0 && c->last_alert_ms >= c->since_ms;
}

static void
record_alert(struct hs_component *c, int64_t now_ms)
{
	if (c->alerts_in_window < INT_MAX)
		c->alerts_in_window++;
	c->last_alert_ms = now_ms;
}

/*
 * The cooldown: may an alert needing `need` free slots (2 for anything
 * but a recovery, keeping one for it) be sent at now_ms? Rolls the window
 * first. Records the alert when it may.
 */
static int
admit(struct hs_component *c, const struct hs_config *cfg, int need,
    int64_t now_ms)
{
	int64_t len_ms;
	int max;

	if (cfg->cooldown_s <= 0) {
		record_alert(c, now_ms);
		return 1;
	}
	len_ms = (int64_t)(cfg->cooldown_s * 1000.0);
	if (c->alerts_in_window == 0 || now_ms < c->window_start_ms ||
	    now_ms - c->window_start_ms >= len_ms) {
		c->window_start_ms = now_ms;
		c->alerts_in_window = 0;
	}
	max = cfg->max_alerts < 2 ? 2 : cfg->max_alerts;
	if (c->alerts_in_window > max - need)
		return 0;
	record_alert(c, now_ms);
	return 1;
}

/* Into DEGRADED or UNHEALTHY from a lesser status. */
static enum hs_alert
enter(struct hs_component *c, const struct hs_config *cfg, enum hs_status s,
    const char *reason, int64_t now_ms)
{
	c->status = s;
	c->since_ms = now_ms;
	set_reason(c, reason);
	if (c->down_since_ms == 0)
		c->down_since_ms = now_ms;
	if (c->quiet)	/* not announced: hs_tick does it once quiet ends */
		return s == HS_UNHEALTHY ? HS_ALERT_UNHEALTHY :
		    HS_ALERT_DEGRADED;
	if (admit(c, cfg, 2, now_ms))
		return s == HS_UNHEALTHY ? HS_ALERT_UNHEALTHY :
		    HS_ALERT_DEGRADED;
	c->suppressed++;
	return HS_ALERT_NONE;
}

static enum hs_alert
recover(struct hs_component *c, const struct hs_config *cfg, int64_t now_ms,
    int64_t *downtime_ms)
{
	int announced = outage_announced(c);
	int64_t down = now_ms - c->down_since_ms;

	c->status = HS_HEALTHY;
	c->since_ms = now_ms;
	c->down_since_ms = 0;
	if (!announced) {
		/* Never a "recovered" for an outage nobody was told of; one
		 * kept quiet on purpose was not held back either. */
		if (!c->quiet)
			c->suppressed++;
		return HS_ALERT_NONE;
	}
	/* The slot reserved when the outage was announced: always sent. */
	if (!admit(c, cfg, 1, now_ms))
		record_alert(c, now_ms);
	if (downtime_ms != NULL)
		*downtime_ms = down < 0 ? 0 : down;
	return HS_ALERT_RECOVERED;
}

enum hs_alert
hs_observe(struct hs_component *c, const struct hs_config *cfg,
    enum hs_status observed, const char *reason, int64_t now_ms,
    int64_t *downtime_ms)
{
	if (downtime_ms != NULL)
		*downtime_ms = 0;
	switch (observed) {
	case HS_UNHEALTHY:
		c->oks = 0;
		if (c->fails < INT_MAX)
			c->fails++;
		if (c->status == HS_UNHEALTHY) {
			set_reason(c, reason);
			return HS_ALERT_NONE;
		}
		if (c->fails < at_least_1(cfg->fail_threshold))
			return HS_ALERT_NONE;
		return enter(c, cfg, HS_UNHEALTHY, reason, now_ms);
	case HS_DEGRADED:
		c->fails = 0;
		c->oks = 0;
		if (c->status == HS_UNHEALTHY)
			return HS_ALERT_NONE;
		if (c->status == HS_DEGRADED) {
			set_reason(c, reason);
			return HS_ALERT_NONE;
		}
		return enter(c, cfg, HS_DEGRADED, reason, now_ms);
	case HS_HEALTHY:
		c->fails = 0;
		if (c->oks < INT_MAX)
			c->oks++;
		if (c->status == HS_HEALTHY)
			return HS_ALERT_NONE;
		if (c->status == HS_UNKNOWN) {
			c->status = HS_HEALTHY;
			c->since_ms = now_ms;
			return HS_ALERT_NONE;
		}
		if (c->oks < at_least_1(cfg->ok_threshold))
			return HS_ALERT_NONE;
		return recover(c, cfg, now_ms, downtime_ms);
	case HS_UNKNOWN:
		break;
	}
	return HS_ALERT_NONE;
}

enum hs_alert
hs_tick(struct hs_component *c, const struct hs_config *cfg, int64_t now_ms)
{
	int64_t every_ms;

	if (c->quiet || (c->status != HS_DEGRADED &&
	    c->status != HS_UNHEALTHY))
		return HS_ALERT_NONE;
	if (!status_announced(c)) {
		/* Held back by the cooldown: announce it once there is room
		 * (it was counted in suppressed when held back). */
		if (!admit(c, cfg, 2, now_ms))
			return HS_ALERT_NONE;
		return c->status == HS_UNHEALTHY ? HS_ALERT_UNHEALTHY :
		    HS_ALERT_DEGRADED;
	}
	if (c->status != HS_UNHEALTHY || cfg->reminder_s <= 0)
		return HS_ALERT_NONE;
	every_ms = (int64_t)(cfg->reminder_s * 1000.0);
	if (now_ms - c->last_alert_ms < every_ms)
		return HS_ALERT_NONE;
	if (!admit(c, cfg, 2, now_ms))
		return HS_ALERT_NONE;	/* due again at the next tick */
	c->last_reminder_ms = now_ms;
	return HS_ALERT_REMINDER;
}

/* ---- the state file ---- */

static const char *const comp_keys[] = {
	"status", "since_ms", "down_since_ms", "last_alert_ms",
	"last_reminder_ms", "window_start_ms", "alerts_in_window", "reason",
	NULL,
};

static json_t *
comp_json(const struct hs_component *c)
{
	char safe[HS_REASON_MAX + 1];
	const char *reason = c->reason;
	json_t *probe;

	/* A reason can come from a command's output in any encoding; JSON
	 * wants UTF-8, and a state file must not fail on it. */
	probe = json_string(reason);
	if (probe == NULL) {
		gw_err_quote(safe, sizeof(safe), reason, strlen(reason));
		reason = safe;
	}
	json_decref(probe);
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:i, s:s}",
	    "status", hs_status_name(c->status),
	    "since_ms", (json_int_t)c->since_ms,
	    "down_since_ms", (json_int_t)c->down_since_ms,
	    "last_alert_ms", (json_int_t)c->last_alert_ms,
	    "last_reminder_ms", (json_int_t)c->last_reminder_ms,
	    "window_start_ms", (json_int_t)c->window_start_ms,
	    "alerts_in_window", c->alerts_in_window,
	    "reason", reason);
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync path's directory, so the rename itself is durable. */
static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
hs_save(const char *path, const struct hs_component *c, size_t n,
    struct gw_err *err)
{
	char tmp[PATH_MAX];
	json_t *root = NULL, *comps;
	char *text = NULL;
	int fd = -1, rc = -1, saved;
	size_t i;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return gw_err_set(err, "%s: path too long", path);
	comps = json_object();
	root = json_pack("{s:i, s:o}", "version", HS_FILE_VERSION,
	    "components", comps);
	if (root == NULL) {
		gw_err_set(err, "%s: out of memory", path);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (json_object_set_new(comps, c[i].name, comp_json(&c[i]))
		    < 0) {
			gw_err_set(err, "%s: cannot encode component %zu",
			    path, i);
			goto out;
		}
	}
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL) {
		gw_err_set(err, "%s: out of memory", path);
		goto out;
	}
	/* A leftover from a crash goes: the new file gets our mode. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		gw_err_set(err, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		gw_err_set(err, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, text, strlen(text)) < 0 ||
	    write_all(fd, "\n", 1) < 0 || fsync(fd) < 0) {
		gw_err_set(err, "%s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		gw_err_set(err, "%s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		gw_err_set(err, "%s: rename: %s", path, strerror(errno));
		goto out_unlink;
	}
	if (sync_dir(path) < 0) {
		/* Renamed: the new state is in place, only not yet durable. */
		gw_err_set(err, "%s: syncing its directory: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
out_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
out:
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(root);
	return rc;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:	return "an object";
	case JSON_ARRAY:	return "an array";
	case JSON_STRING:	return "a string";
	case JSON_INTEGER:	return "an integer";
	case JSON_REAL:		return "a real number";
	case JSON_TRUE:		return "true";
	case JSON_FALSE:	return "false";
	case JSON_NULL:		return "null";
	}
	return "something else";
}

/* The first key of obj not in names, or NULL. */
static const char *
unknown_key(const json_t *obj, const char *const *names)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, k, v) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(k, names[i]) == 0)
				break;
		if (names[i] == NULL)
			return k;
	}
	return NULL;
}

/* A non-negative integer field of entry `where` into *out. */
static int
get_ms(const char *path, const char *where, const json_t *o, const char *key,
    int64_t max, int64_t *out, struct gw_err *err)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return gw_err_set(err, "%s: %s.%s: missing", path, where, key);
	if (!json_is_integer(v))
		return gw_err_set(err, "%s: %s.%s: expected an integer, got %s",
		    path, where, key, type_name(v));
	if (json_integer_value(v) < 0 || json_integer_value(v) > max)
		return gw_err_set(err, "%s: %s.%s: out of range (%lld)", path,
		    where, key, (long long)json_integer_value(v));
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/* One entry of "components" into *c (name already set). */
static int
load_comp(const char *path, const char *name, const json_t *o,
    struct hs_component *c, struct gw_err *err)
{
	char where[QUOTE_MAX + 16], q[QUOTE_MAX + 1];
	const char *k, *s;
	json_t *v;
	int64_t n;
	int i;

	gw_err_quote(q, sizeof(q), name, strlen(name));
	snprintf(where, sizeof(where), "components.%s", q);
	if (!json_is_object(o))
		return gw_err_set(err, "%s: %s: expected an object, got %s",
		    path, where, type_name(o));
	if ((k = unknown_key(o, comp_keys)) != NULL) {
		gw_err_quote(q, sizeof(q), k, strlen(k));
		return gw_err_set(err, "%s: %s: unknown key '%s'", path, where,
		    q);
	}
	v = json_object_get(o, "status");
	if (v == NULL)
		return gw_err_set(err, "%s: %s.status: missing", path, where);
	if (!json_is_string(v))
		return gw_err_set(err, "%s: %s.status: expected a string, "
		    "got %s", path, where, type_name(v));
	s = json_string_value(v);
	for (i = 0; i <= HS_UNHEALTHY; i++)
		if (strcmp(s, status_names[i]) == 0)
			break;
	if (i > HS_UNHEALTHY) {
		gw_err_quote(q, sizeof(q), s, json_string_length(v));
		return gw_err_set(err, "%s: %s.status: unknown status '%s'",
		    path, where, q);
	}
	c->status = (enum hs_status)i;
	if (get_ms(path, where, o, "since_ms", INT64_MAX, &c->since_ms,
	    err) < 0 ||
	    get_ms(path, where, o, "down_since_ms", INT64_MAX,
	    &c->down_since_ms, err) < 0 ||
	    get_ms(path, where, o, "last_alert_ms", INT64_MAX,
	    &c->last_alert_ms, err) < 0 ||
	    get_ms(path, where, o, "last_reminder_ms", INT64_MAX,
	    &c->last_reminder_ms, err) < 0 ||
	    get_ms(path, where, o, "window_start_ms", INT64_MAX,
	    &c->window_start_ms, err) < 0 ||
	    get_ms(path, where, o, "alerts_in_window", INT_MAX, &n, err) < 0)
		return -1;
	c->alerts_in_window = (int)n;
	v = json_object_get(o, "reason");
	if (v == NULL)
		return gw_err_set(err, "%s: %s.reason: missing", path, where);
	if (!json_is_string(v))
		return gw_err_set(err, "%s: %s.reason: expected a string, "
		    "got %s", path, where, type_name(v));
	if (json_string_length(v) > HS_REASON_MAX)
		return gw_err_set(err, "%s: %s.reason: longer than %d bytes",
		    path, where, HS_REASON_MAX);
	/* No NUL inside: jansson refuses \u0000 without JSON_ALLOW_NUL. */
	memcpy(c->reason, json_string_value(v), json_string_length(v) + 1);
	/* down_since_ms marks an outage: set exactly while there is one. */
	if ((c->status == HS_DEGRADED || c->status == HS_UNHEALTHY) &&
	    c->down_since_ms == 0)
		return gw_err_set(err, "%s: %s.down_since_ms: 0 while %s", path,
		    where, status_names[c->status]);
	if ((c->status == HS_HEALTHY || c->status == HS_UNKNOWN) &&
	    c->down_since_ms != 0)
		return gw_err_set(err, "%s: %s.down_since_ms: set while %s",
		    path, where, status_names[c->status]);
	return 0;
}

/* Read path whole (at most HS_FILE_MAX bytes); NULL with errno ENOENT for
 * a missing file (err not set), NULL with err otherwise. */
static char *
read_file(const char *path, size_t *len, struct gw_err *err)
{
	char *buf = NULL;
	ssize_t r;
	size_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			gw_err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(HS_FILE_MAX + 1);
	if (buf == NULL) {
		gw_err_set(err, "%s: out of memory", path);
		goto fail;
	}
	for (;;) {
		r = read(fd, buf + n, HS_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			gw_err_set(err, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > HS_FILE_MAX) {
			gw_err_set(err, "%s: larger than %d bytes", path,
			    HS_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	*len = n;
	return buf;
fail:
	free(buf);
	close(fd);
	errno = EINVAL;
	return NULL;
}

int
hs_load(const char *path, struct hs_component *c, size_t n,
    struct gw_err *err)
{
	static const char *const top_keys[] = { "version", "components",
	    NULL };
	struct hs_component *tmp = NULL;
	char q[QUOTE_MAX + 1];
	json_error_t jerr;
	json_t *root = NULL, *v, *comps, *e;
	const char *k;
	char *text;
	size_t len, i;
	int rc = -1;

	text = read_file(path, &len, err);
	if (text == NULL)
		return errno == ENOENT ? 0 : -1;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (root == NULL) {
		gw_err_set(err, "%s: line %d column %d: %s", path, jerr.line,
		    jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		gw_err_set(err, "%s: expected an object, got %s", path,
		    type_name(root));
		goto out;
	}
	if ((k = unknown_key(root, top_keys)) != NULL) {
		gw_err_quote(q, sizeof(q), k, strlen(k));
		gw_err_set(err, "%s: unknown key '%s'", path, q);
		goto out;
	}
	v = json_object_get(root, "version");
	if (v == NULL) {
		gw_err_set(err, "%s: version: missing", path);
		goto out;
	}
	if (!json_is_integer(v)) {
		gw_err_set(err, "%s: version: expected an integer, got %s",
		    path, type_name(v));
		goto out;
	}
	if (json_integer_value(v) != HS_FILE_VERSION) {
		gw_err_set(err, "%s: version: %lld is not supported (%d is)",
		    path, (long long)json_integer_value(v), HS_FILE_VERSION);
		goto out;
	}
	comps = json_object_get(root, "components");
	if (comps == NULL) {
		gw_err_set(err, "%s: components: missing", path);
		goto out;
	}
	if (!json_is_object(comps)) {
		gw_err_set(err, "%s: components: expected an object, got %s",
		    path, type_name(comps));
		goto out;
	}
	/* Validate every entry into a copy; apply only a whole good file. */
	tmp = calloc(n > 0 ? n : 1, sizeof(*tmp));
	if (tmp == NULL) {
		gw_err_set(err, "%s: out of memory", path);
		goto out;
	}
	if (n > 0)
		memcpy(tmp, c, n * sizeof(*tmp));
	json_object_foreach(comps, k, e) {
		struct hs_component one;

		if (k[0] == '\0' || strlen(k) > HS_NAME_MAX) {
			gw_err_quote(q, sizeof(q), k, strlen(k));
			gw_err_set(err, "%s: components: name '%s' is empty "
			    "or longer than %d bytes", path, q, HS_NAME_MAX);
			goto out;
		}
		memset(&one, 0, sizeof(one));
		if (load_comp(path, k, e, &one, err) < 0)
			goto out;
		for (i = 0; i < n; i++) {
			if (strcmp(tmp[i].name, k) != 0)
				continue;
			tmp[i].status = one.status;
			tmp[i].fails = tmp[i].oks = 0;
			tmp[i].since_ms = one.since_ms;
			tmp[i].down_since_ms = one.down_since_ms;
			tmp[i].last_alert_ms = one.last_alert_ms;
			tmp[i].last_reminder_ms = one.last_reminder_ms;
			tmp[i].window_start_ms = one.window_start_ms;
			tmp[i].alerts_in_window = one.alerts_in_window;
			memcpy(tmp[i].reason, one.reason, sizeof(one.reason));
		}
	}
	if (n > 0)
		memcpy(c, tmp, n * sizeof(*tmp));
	rc = 0;
out:
	free(tmp);
	json_decref(root);
	return rc;
}
