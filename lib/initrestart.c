/*
 * initrestart: the restart file stack-init writes and its programs read.
 * The decoder is pure over untrusted bytes (fuzzed:
 * tests/fuzz/fuzz_initrestart.c).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "clock.h"
#include "initrestart.h"
#include "rundir.h"

static const char *const state_names[IR_STATE_COUNT] = {
	[IR_UNKNOWN] = "unknown",
	[IR_NONE] = "none",
	[IR_IN_PROGRESS] = "in_progress",
	[IR_COMPLETED] = "completed",
	[IR_FAILED] = "failed",
	[IR_NOT_READY] = "not_ready",
};

const char *
initrestart_state_name(enum initrestart_state s)
{
	return (unsigned)s < IR_STATE_COUNT ? state_names[s] : "unknown";
}

static int
copy_word(json_t *o, const char *key, char *dst, size_t sz,
    struct gw_err *err)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return gw_err_set(err, "restart.%s is not a string", key);
	s = json_string_value(v);
	if (strlen(s) >= sz)
		return gw_err_set(err, "restart.%s is too long", key);
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.'))
			return gw_err_set(err, "restart.%s is not a name", key);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int
get_time(json_t *o, const char *key, int required, int64_t *out,
    struct gw_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return gw_err_set(err, "restart.%s is missing", key);
		return 0;
	}
	if (!json_is_string(v) || clock_parse_utc_ms(json_string_value(v), out) < 0)
		return gw_err_set(err, "restart.%s is not an RFC 3339 UTC time",
		    key);
	return 0;
}

static int
decode_obj(json_t *r, int64_t now_ms, struct initrestart *out,
    struct gw_err *err)
{
	json_t *st;
	const char *name;
	int i;

	if (!json_is_object(r))
		return gw_err_set(err, "restart: not a JSON object");
	st = json_object_get(r, "state");
	if (!json_is_string(st))
		return gw_err_set(err, "restart.state is not a string");
	name = json_string_value(st);
	for (i = IR_IN_PROGRESS; i < IR_STATE_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0)
			break;
	if (i == IR_STATE_COUNT)
		return gw_err_set(err, "restart.state '%.40s' is unknown", name);
	if (copy_word(r, "service", out->service, sizeof(out->service), err) < 0 ||
	    copy_word(r, "trigger", out->trigger, sizeof(out->trigger), err) < 0 ||
	    copy_word(r, "method", out->method, sizeof(out->method), err) < 0 ||
	    get_time(r, "began", 1, &out->began_ms, err) < 0 ||
	    get_time(r, "ended", i != IR_IN_PROGRESS, &out->ended_ms, err) < 0 ||
	    get_time(r, "deadline", i == IR_IN_PROGRESS, &out->deadline_ms,
	    err) < 0)
		return -1;
	if (out->service[0] == '\0')
		return gw_err_set(err, "restart.service is missing");
	if (i == IR_IN_PROGRESS && out->ended_ms != 0)
		return gw_err_set(err, "restart.ended is set while in progress");
	if (out->ended_ms != 0 && out->ended_ms < out->began_ms)
		return gw_err_set(err, "restart.ended is before restart.began");
	if (out->deadline_ms != 0 && out->deadline_ms < out->began_ms)
		return gw_err_set(err, "restart.deadline is before restart.began");
	if (out->deadline_ms - out->began_ms > INITRESTART_DEADLINE_MAX_MS)
		return gw_err_set(err, "restart.deadline is more than a week "
		    "after restart.began");
	if (i == IR_IN_PROGRESS && now_ms > out->deadline_ms)
		return gw_err_set(err, "restart of %s is stale: in progress past "
		    "its deadline (stack-init gone?)", out->service);
	out->state = (enum initrestart_state)i;
	return 0;
}

int
initrestart_decode(const char *buf, size_t len, int64_t now_ms,
    struct initrestart *out, struct gw_err *err)
{
	json_error_t je;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	out->state = IR_UNKNOWN;
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return gw_err_set(err, "restart: not JSON: %s", je.text);
	rc = decode_obj(root, now_ms, out, err);
	json_decref(root);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		out->state = IR_UNKNOWN;
	}
	return rc;
}

static json_t *
utc_or_null(int64_t ms)
{
	char buf[32];

	if (ms <= 0 || clock_format_utc_ms(ms, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

static json_t *
word_or_null(const char *s)
{
	return s[0] == '\0' ? json_null() : json_string(s);
}

json_t *
initrestart_json(const struct initrestart *r)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
	    "service", r->service, "state", initrestart_state_name(r->state),
	    "trigger", word_or_null(r->trigger), "method", word_or_null(r->method),
	    "began", utc_or_null(r->began_ms), "ended", utc_or_null(r->ended_ms),
	    "deadline", utc_or_null(r->state == IR_IN_PROGRESS ?
	    r->deadline_ms : 0));
}

int
initrestart_read(const char *path, int64_t now_ms, struct initrestart *out,
    struct gw_err *err)
{
	char buf[INITRESTART_FILE_MAX + 1];
	size_t have = 0;
	ssize_t n;
	int fd;

	memset(out, 0, sizeof(*out));
	out->state = IR_UNKNOWN;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT) {
			out->state = IR_NONE;
			return 0;
		}
		return gw_err_set(err, "%s: %s", path, strerror(errno));
	}
	{
		struct stat st;

		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return gw_err_set(err, "%s: not a regular file", path);
		}
	}
	while (have < sizeof(buf) &&
	    (n = read(fd, buf + have, sizeof(buf) - have)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			gw_err_set(err, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		have += (size_t)n;
	}
	close(fd);
	if (have > INITRESTART_FILE_MAX)
		return gw_err_set(err, "%s: longer than %d bytes", path,
		    INITRESTART_FILE_MAX);
	if (initrestart_decode(buf, have, now_ms, out, err) < 0) {
		char why[GW_ERR_MAX];

		snprintf(why, sizeof(why), "%s", err ? err->msg : "");
		return gw_err_set(err, "%s: %s", path, why);
	}
	return 0;
}

int
initrestart_write(const char *path, const struct initrestart *r,
    struct gw_err *err)
{
	char tmp[PATH_MAX];
	json_t *o = initrestart_json(r);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	size_t len;
	ssize_t n = 0;
	int fd, rc = -1;

	json_decref(o);
	if (s == NULL)
		return gw_err_set(err, "%s: cannot encode the restart", path);
	len = strlen(s);
	s[len++] = '\n';	/* json_dumps left room: we replace the NUL */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		free(s);
		return gw_err_set(err, "%s: path too long", path);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		gw_err_set(err, "%s: %s", tmp, strerror(errno));
	} else if ((n = write(fd, s, len)) != (ssize_t)len || fsync(fd) < 0) {
		gw_err_set(err, "%s: %s", tmp, n >= 0 && n != (ssize_t)len ?
		    "short write" : strerror(errno));
		close(fd);
		unlink(tmp);
	} else if (close(fd) < 0 || rename(tmp, path) < 0) {
		gw_err_set(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
	} else {
		rc = 0;
	}
	free(s);
	return rc;
}

int
initrestart_path(const char *service, char *buf, size_t sz,
    struct gw_err *err)
{
	char dir[PATH_MAX];

	if (rundir_path(dir, sizeof(dir), err) < 0)
		return -1;
	if ((size_t)snprintf(buf, sz, "%s/restart-%s.json", dir, service) >= sz)
		return gw_err_set(err, "%s/restart-%s.json: path too long", dir,
		    service);
	return 0;
}
