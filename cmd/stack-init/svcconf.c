/*
 * svcconf: stack-init's service table. The file is untrusted input (a typo
 * must give one clear line, never a crash): parsed once with jansson,
 * copied into struct svcconf, the json_t dropped, then checked as a whole
 * (dependency names, conditions, cycles, start order).
 *
 * Format (seconds are JSON numbers >= 0, at most 86400; indices 0-based):
 *   {"services": [SERVICE, ...],                1..64 services
 *    "signals": {"TERM": "shutdown", "INT": "shutdown", "HUP": "forward",
 *                "USR1": "forward", "USR2": "forward", "QUIT": "forward"}}
 *               each "shutdown" | "forward" | "reload" | "ignore"
 *   SERVICE = {
 *     "name": "gateway",                        1..31 of [A-Za-z0-9_.-], unique
 *     "argv": ["prog", "arg"],                  1..256 non-empty strings;
 *                                               required unless external
 *     "external": false,                        not started here (no argv)
 *     "critical": false, "prefix_output": true,
 *     "env": {"K": "V"}, "cwd": "/dir", "user": "name",
 *     "depends_on": ["svc", {"service": "svc", "condition": "started"|"ready"}],
 *     "ready": {"argv": [...], "interval": 2, "timeout": 5, "start_period": 60,
 *               "user": "name", "fast_exit": [10, 11], "fast_interval": 0.1}
 *              | {"notify_fd": 3..63},      fast_exit: 1..16 distinct codes
 *                                           1..255; fast_interval 0.05..60,
 *                                           only with fast_exit
 *     "restart": "no" | "on-failure" | "always" | "unless-stopped",
 *     "backoff": {"initial": 0.1, "max": 60, "reset_after": 10} | 0,
 *     "crash_loop": {"failures": 5, "window": 60, "give_up": false},
 *     "stop_signal": "TERM" | "SIGTERM" | 15, "stop_timeout": 10,
 *     "schedule": [{"at": "16:30", "tz": "America/New_York",
 *                   "days": "mon-fri" | ["mon", "wed"], "action": "restart"}],
 *     "restart_action": {"signal": "TERM"} | {"argv": [...]}
 *                       | {"ibc": "host:port"}, each with "timeout": 30,
 *                       (argv also "user": "name"),
 *     "ready_after_restart": 300, "restart_settle": 5,
 *     "health": {"argv": [...], "interval": 30, "timeout": 5, "retries": 3,
 *                "action": "alert" | "restart", "user": "name"}
 *               (no argv: the ready check's command),
 *     "notifier": false,                        at most one; not external
 *     "follows": "svc" | {"service": "svc", "mode": "restart"|"stop"|"pause"},
 *     "forward_signals": ["HUP", ...],          default: all forwarded ones
 *     "ibc_log": true | "PATH",                 IBC's log: own output or a file
 *     "login": {"max_cold_per_hour": 3, "remind": 300, "twofa_window": 180}}
 *                                               only with ibc_log
 *   a schedule's "action" may also be "login" (the planned cold login:
 *   needs ibc_log; an external service needs an ibc restart_action)
 * Unknown keys are errors everywhere.
 */
#include "svcconf.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#define QUOTE_MAX 40	/* bytes of input an error message may quote */
#define SECONDS_MAX 86400.0
#define POSITIVE 0.01	/* least value of a period that must not be 0 */

/* Who an error is about: "service 'NAME'", or "services[N]" until the
 * name is known to be good. */
struct ctx {
	struct gw_err *err;
	char who[48];
};

/* q must hold QUOTE_MAX + 1 bytes. */
static const char *
quote(char *q, const char *s)
{
	gw_err_quote(q, QUOTE_MAX + 1, s, strlen(s));
	return q;
}

/* "WHO: KEY: problem", or "WHO: problem" without a key. */
static int __attribute__((format(printf, 3, 4)))
fail(struct ctx *x, const char *key, const char *fmt, ...)
{
	char m[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (key == NULL)
		return gw_err_set(x->err, "%s: %s", x->who, m);
	return gw_err_set(x->err, "%s: %s: %s", x->who, key, m);
}

static int
oom(struct ctx *x)
{
	return gw_err_set(x->err, "out of memory");
}

static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < SVC_NAME_MAX &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") == n;
}

static int
var_ok(const char *s)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";

	return s[0] != '\0' && strchr(alpha, s[0]) != NULL &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
	    "0123456789") == strlen(s);
}

/* After a JSON_STRICT json_unpack_ex of "{s?o, ...}" over an object
 * failed: the only cause is a key outside names. Name the first one in
 * file order (jansson's own text lists them in hash order). */
static int
unknown_key(struct ctx *x, const char *key, const json_t *obj,
    const char *const *names)
{
	const char *k;
	json_t *v;
	char q[QUOTE_MAX + 1];
	size_t i;

	json_object_foreach((json_t *)obj, k, v) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(k, names[i]) == 0)
				break;
		if (names[i] == NULL)
			return fail(x, key, "unknown key '%s'", quote(q, k));
	}
	return fail(x, key, "unexpected content");	/* not reached */
}

static int
get_seconds(struct ctx *x, const char *key, const json_t *v, double min,
    double *out)
{
	double d;

	if (!json_is_number(v) || (d = json_number_value(v)) < min ||
	    d > SECONDS_MAX)
		return fail(x, key, "expected a number of seconds from %g to %g",
		    min, SECONDS_MAX);
	*out = d;
	return 0;
}

static int
get_bool(struct ctx *x, const char *key, const json_t *v, int *out)
{
	if (!json_is_boolean(v))
		return fail(x, key, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

static int
get_string(struct ctx *x, const char *key, const json_t *v, char **out)
{
	if (!json_is_string(v) || json_string_length(v) == 0)
		return fail(x, key, "expected a non-empty string");
	if ((*out = strdup(json_string_value(v))) == NULL)
		return oom(x);
	return 0;
}

static void
strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* An argv: checked whole before anything is allocated. */
static int
get_argv(struct ctx *x, const char *key, const json_t *v, char ***out)
{
	char k[64];
	size_t i, n;

	if (!json_is_array(v) || (n = json_array_size(v)) < 1 ||
	    n > SVC_MAX_ARGV)
		return fail(x, key, "expected an array of 1..%d non-empty strings",
		    SVC_MAX_ARGV);
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);

		if (!json_is_string(e) || json_string_length(e) == 0) {
			snprintf(k, sizeof(k), "%s[%zu]", key, i);
			return fail(x, k, "expected a non-empty string");
		}
	}
	if ((*out = calloc(n + 1, sizeof(**out))) == NULL)
		return oom(x);
	for (i = 0; i < n; i++)
		if (((*out)[i] = strdup(json_string_value(json_array_get(v,
		    i)))) == NULL)
			return oom(x);
	return 0;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ABRT", SIGABRT }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "WINCH", SIGWINCH }, { "PWR", SIGPWR },
};

/* "TERM", "SIGTERM" (any case) or a number 1..64. */
static int
get_signal(struct ctx *x, const char *key, const json_t *v, int *out)
{
	char q[QUOTE_MAX + 1];
	const char *s;
	size_t i;

	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n < 1 || n > 64)
			return fail(x, key, "%" JSON_INTEGER_FORMAT
			    " is not a signal number from 1 to 64", n);
		*out = (int)n;
		return 0;
	}
	if (!json_is_string(v))
		return fail(x, key, "expected a signal name like TERM or a "
		    "number from 1 to 64");
	s = json_string_value(v);
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (strcasecmp(s, signals[i].name) == 0) {
			*out = signals[i].sig;
			return 0;
		}
	}
	return fail(x, key, "unknown signal '%s' (HUP INT QUIT ABRT KILL USR1 "
	    "USR2 ALRM TERM WINCH PWR, or a number)",
	    quote(q, json_string_value(v)));
}

/* A dependency's or follows's target as written: a name it cannot be is
 * reported as the unknown service it is. */
static int
get_target(struct ctx *x, const char *key, const char *s, char *out)
{
	char q[QUOTE_MAX + 1];

	if (!name_ok(s))
		return fail(x, key, "unknown service '%s'", quote(q, s));
	snprintf(out, SVC_NAME_MAX, "%s", s);
	return 0;
}

static int
h_argv(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_argv(x, "argv", v, &s->argv);
}

static int
h_env(struct ctx *x, struct svc *s, const json_t *v)
{
	char q[QUOTE_MAX + 1], k[80];
	const char *name;
	json_t *val;
	size_t n = 0;

	if (!json_is_object(v))
		return fail(x, "env", "expected an object of string values");
	json_object_foreach((json_t *)v, name, val) {
		if (!var_ok(name))
			return fail(x, "env", "'%s' is not a variable name "
			    "[A-Za-z_][A-Za-z0-9_]*", quote(q, name));
		if (!json_is_string(val)) {
			snprintf(k, sizeof(k), "env.%s", quote(q, name));
			return fail(x, k, "expected a string");
		}
	}
	if ((s->env = calloc(json_object_size(v) + 1, sizeof(*s->env))) == NULL)
		return oom(x);
	json_object_foreach((json_t *)v, name, val) {
		if (asprintf(&s->env[n], "%s=%s", name,
		    json_string_value(val)) < 0) {
			s->env[n] = NULL;
			return oom(x);
		}
		n++;
	}
	return 0;
}

static int
h_cwd(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_string(x, "cwd", v, &s->cwd);
}

static int
h_user(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_string(x, "user", v, &s->user);
}

static int
h_external(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_bool(x, "external", v, &s->external);
}

static int
h_critical(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_bool(x, "critical", v, &s->critical);
}

static int
h_prefix_output(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_bool(x, "prefix_output", v, &s->prefix_output);
}

static int
h_depends_on(struct ctx *x, struct svc *s, const json_t *v)
{
	static const char *const names[] = { "service", "condition", NULL };
	char k[64], q[QUOTE_MAX + 1];
	json_error_t jerr;
	size_t i, j;

	if (!json_is_array(v) || json_array_size(v) > SVC_MAX_DEPS)
		return fail(x, "depends_on", "expected an array of up to %d "
		    "dependencies", SVC_MAX_DEPS);
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		struct svc_dep *d = &s->deps[i];
		json_t *svc = NULL, *cond = NULL;

		snprintf(k, sizeof(k), "depends_on[%zu]", i);
		if (json_is_string(e)) {
			svc = (json_t *)e;
		} else if (!json_is_object(e)) {
			return fail(x, k, "expected a service name or {\"service\": "
			    "NAME, \"condition\": \"started\"|\"ready\"}");
		} else if (json_unpack_ex((json_t *)e, &jerr, JSON_STRICT,
		    "{s?o, s?o}", names[0], &svc, names[1], &cond) < 0) {
			return unknown_key(x, k, e, names);
		}
		if (svc == NULL)
			return fail(x, k, "missing \"service\"");
		if (!json_is_string(svc))
			return fail(x, k, "\"service\": expected a service name");
		if (get_target(x, "depends_on", json_string_value(svc),
		    d->service) < 0)
			return -1;
		d->condition = SVC_DEP_STARTED;
		d->index = -1;
		if (cond != NULL) {
			const char *c = json_is_string(cond) ?
			    json_string_value(cond) : "";

			if (strcmp(c, "ready") == 0)
				d->condition = SVC_DEP_READY;
			else if (strcmp(c, "started") != 0)
				return fail(x, k, "\"condition\": expected "
				    "\"started\" or \"ready\"");
		}
		if (strcmp(d->service, s->name) == 0)
			return fail(x, "depends_on", "a service cannot depend on "
			    "itself");
		for (j = 0; j < i; j++)
			if (strcmp(s->deps[j].service, d->service) == 0)
				return fail(x, "depends_on", "'%s' is listed twice",
				    quote(q, d->service));
		s->n_deps = i + 1;
	}
	return 0;
}

#define FAST_INTERVAL_MIN 0.05
#define FAST_INTERVAL_MAX 60.0

/* ready.fast_exit: 1..SVC_MAX_FAST_EXIT distinct exit codes 1..255. */
static int
get_fast_exit(struct ctx *x, const json_t *v, struct svc_ready *r)
{
	char k[48];
	size_t i, j, n;

	if (!json_is_array(v) || (n = json_array_size(v)) < 1 ||
	    n > SVC_MAX_FAST_EXIT)
		return fail(x, "ready.fast_exit", "expected an array of 1..%d "
		    "exit codes from 1 to 255", SVC_MAX_FAST_EXIT);
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		json_int_t c = json_is_integer(e) ? json_integer_value(e) : 0;

		snprintf(k, sizeof(k), "ready.fast_exit[%zu]", i);
		if (c < 1 || c > 255)
			return fail(x, k, "expected an exit code from 1 to 255");
		for (j = 0; j < i; j++)
			if (r->fast_exit[j] == c)
				return fail(x, k, "%d is listed twice", (int)c);
		r->fast_exit[i] = (unsigned char)c;
	}
	r->n_fast_exit = n;
	return 0;
}

static int
h_ready(struct ctx *x, struct svc *s, const json_t *v)
{
	static const char *const names[] = { "argv", "interval", "timeout",
	    "start_period", "notify_fd", "user", "fast_exit", "fast_interval",
	    NULL };
	json_t *argv = NULL, *in = NULL, *to = NULL, *sp = NULL, *fd = NULL,
	    *user = NULL, *fe = NULL, *fi = NULL;
	json_error_t jerr;
	struct svc_ready *r = &s->ready;

	if (!json_is_object(v))
		return fail(x, "ready", "expected {\"argv\": [...], \"interval\": "
		    "S, \"timeout\": S, \"start_period\": S} or {\"notify_fd\": N}");
	if (json_unpack_ex((json_t *)v, &jerr, JSON_STRICT,
	    "{s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o}", names[0], &argv,
	    names[1], &in, names[2], &to, names[3], &sp, names[4], &fd,
	    names[5], &user, names[6], &fe, names[7], &fi) < 0)
		return unknown_key(x, "ready", v, names);
	if (fd != NULL) {
		json_int_t n = json_is_integer(fd) ? json_integer_value(fd) : 0;

		if (argv != NULL || in != NULL || to != NULL || user != NULL)
			return fail(x, "ready", "notify_fd cannot be combined with "
			    "argv, interval, timeout or user");
		if (fe != NULL || fi != NULL)
			return fail(x, "ready", "notify_fd cannot be combined with "
			    "fast_exit or fast_interval (they are about check "
			    "commands)");
		if (n < 3 || n > 63)
			return fail(x, "ready.notify_fd", "expected an integer from "
			    "3 to 63");
		if (sp != NULL && get_seconds(x, "ready.start_period", sp, POSITIVE,
		    &r->start_period_s) < 0)
			return -1;
		r->kind = SVC_READY_NOTIFY;
		r->notify_fd = (int)n;
		return 0;
	}
	if (argv == NULL)
		return fail(x, "ready", "expected \"argv\" (a check command) or "
		    "\"notify_fd\"");
	if ((in != NULL && get_seconds(x, "ready.interval", in, POSITIVE,
	    &r->interval_s) < 0) ||
	    (to != NULL && get_seconds(x, "ready.timeout", to, POSITIVE,
	    &r->timeout_s) < 0) ||
	    (sp != NULL && get_seconds(x, "ready.start_period", sp, POSITIVE,
	    &r->start_period_s) < 0) ||
	    (user != NULL && get_string(x, "ready.user", user, &r->user) < 0) ||
	    (fe != NULL && get_fast_exit(x, fe, r) < 0))
		return -1;
	if (fi != NULL) {
		double d;

		if (fe == NULL)
			return fail(x, "ready.fast_interval", "only with "
			    "\"fast_exit\" (the exit codes it applies to)");
		if (!json_is_number(fi) || (d = json_number_value(fi)) <
		    FAST_INTERVAL_MIN || d > FAST_INTERVAL_MAX)
			return fail(x, "ready.fast_interval", "expected a number "
			    "of seconds from %g to %g", FAST_INTERVAL_MIN,
			    FAST_INTERVAL_MAX);
		r->fast_interval_s = d;
	}
	if (get_argv(x, "ready.argv", argv, &r->argv) < 0)
		return -1;
	r->kind = SVC_READY_COMMAND;
	return 0;
}

static int
h_restart(struct ctx *x, struct svc *s, const json_t *v)
{
	static const char *const names[] = { "no", "on-failure", "always",
	    "unless-stopped" };
	const char *t = json_is_string(v) ? json_string_value(v) : "";
	int i;

	for (i = 0; i < 4; i++) {
		if (strcmp(t, names[i]) == 0) {
			s->restart = (enum svc_restart)i;
			return 0;
		}
	}
	return fail(x, "restart", "expected \"no\", \"on-failure\", \"always\" "
	    "or \"unless-stopped\"");
}

static int
h_backoff(struct ctx *x, struct svc *s, const json_t *v)
{
	static const char *const names[] = { "initial", "max", "reset_after",
	    NULL };
	json_t *in = NULL, *mx = NULL, *ra = NULL;
	struct svc_backoff *b = &s->backoff;
	json_error_t jerr;

	if (json_is_number(v) && json_number_value(v) == 0) {
		b->initial_s = 0;
		return 0;
	}
	if (!json_is_object(v))
		return fail(x, "backoff", "expected 0 or {\"initial\": S, \"max\": "
		    "S, \"reset_after\": S}");
	if (json_unpack_ex((json_t *)v, &jerr, JSON_STRICT, "{s?o, s?o, s?o}",
	    names[0], &in, names[1], &mx, names[2], &ra) < 0)
		return unknown_key(x, "backoff", v, names);
	if ((in != NULL && get_seconds(x, "backoff.initial", in, 0,
	    &b->initial_s) < 0) ||
	    (mx != NULL && get_seconds(x, "backoff.max", mx, 0, &b->max_s) < 0) ||
	    (ra != NULL && get_seconds(x, "backoff.reset_after", ra, 0,
	    &b->reset_after_s) < 0))
		return -1;
	if (b->initial_s > b->max_s)
		return fail(x, "backoff", "initial (%g) is greater than max (%g)",
		    b->initial_s, b->max_s);
	return 0;
}

static int
h_crash_loop(struct ctx *x, struct svc *s, const json_t *v)
{
	static const char *const names[] = { "failures", "window", "give_up",
	    NULL };
	json_t *fa = NULL, *wi = NULL, *gu = NULL;
	struct svc_crash_loop *c = &s->crash_loop;
	json_error_t jerr;

	if (!json_is_object(v))
		return fail(x, "crash_loop", "expected {\"failures\": N, "
		    "\"window\": S, \"give_up\": BOOL}");
	if (json_unpack_ex((json_t *)v, &jerr, JSON_STRICT, "{s?o, s?o, s?o}",
	    names[0], &fa, names[1], &wi, names[2], &gu) < 0)
		return unknown_key(x, "crash_loop", v, names);
	if (fa != NULL) {
		json_int_t n = json_is_integer(fa) ? json_integer_value(fa) : 0;

		if (n < 1 || n > 1000)
			return fail(x, "crash_loop.failures", "expected an integer "
			    "from 1 to 1000");
		c->failures = (int)n;
	}
	if ((wi != NULL && get_seconds(x, "crash_loop.window", wi, POSITIVE,
	    &c->window_s) < 0) ||
	    (gu != NULL && get_bool(x, "crash_loop.give_up", gu,
	    &c->give_up) < 0))
		return -1;
	return 0;
}

static int
h_stop_signal(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_signal(x, "stop_signal", v, &s->stop_signal);
}

static int
h_stop_timeout(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_seconds(x, "stop_timeout", v, 0, &s->stop_timeout_s);
}

/* days: a string for sched_parse, or an array of day names joined with
 * commas into buf. */
static int
get_days(struct ctx *x, const char *key, const json_t *v, char *buf,
    size_t bufsz, const char **out)
{
	char k[96], q[QUOTE_MAX + 1];
	size_t i, n, o = 0;

	if (json_is_string(v)) {
		*out = json_string_value(v);
		return 0;
	}
	if (!json_is_array(v) || (n = json_array_size(v)) < 1 || n > 7)
		return fail(x, key, "expected a string like \"mon-fri\" or an "
		    "array of 1..7 day names");
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		const char *d = json_is_string(e) ? json_string_value(e) : "";

		if (sched_day(d) < 0) {
			snprintf(k, sizeof(k), "%s[%zu]", key, i);
			if (!json_is_string(e))
				return fail(x, k, "expected a day name (sun mon "
				    "tue wed thu fri sat)");
			return fail(x, k, "'%s' is not a day name (sun mon tue "
			    "wed thu fri sat)", quote(q, d));
		}
		o += (size_t)snprintf(buf + o, bufsz - o, "%s%s",
		    i > 0 ? "," : "", d);	/* 7 * 4 bytes fit */
	}
	*out = buf;
	return 0;
}

static int
h_schedule(struct ctx *x, struct svc *s, const json_t *v)
{
	static const char *const names[] = { "at", "tz", "days", "action",
	    NULL };
	char k[64], kk[80], days_buf[40];
	json_error_t jerr;
	struct gw_err e;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > SVC_MAX_SCHEDULES)
		return fail(x, "schedule", "expected an array of up to %d entries",
		    SVC_MAX_SCHEDULES);
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *o = json_array_get(v, i);
		struct svc_schedule *sc = &s->schedule[i];
		json_t *at = NULL, *tz = NULL, *days = NULL, *act = NULL;
		const char *d = "daily";

		snprintf(k, sizeof(k), "schedule[%zu]", i);
		if (!json_is_object(o))
			return fail(x, k, "expected {\"at\": \"HH:MM\", \"tz\": "
			    "ZONE, \"days\": DAYS, \"action\": \"restart\"}");
		if (json_unpack_ex((json_t *)o, &jerr, JSON_STRICT,
		    "{s?o, s?o, s?o, s?o}", names[0], &at, names[1], &tz,
		    names[2], &days, names[3], &act) < 0)
			return unknown_key(x, k, o, names);
		if (at == NULL || !json_is_string(at)) {
			snprintf(kk, sizeof(kk), "%s.at", k);
			return fail(x, kk, at == NULL ? "missing" :
			    "expected a string \"HH:MM\"");
		}
		if (tz == NULL || !json_is_string(tz)) {
			snprintf(kk, sizeof(kk), "%s.tz", k);
			return fail(x, kk, tz == NULL ? "missing" : "expected a "
			    "tz database name like \"America/New_York\"");
		}
		snprintf(kk, sizeof(kk), "%s.days", k);
		if (days != NULL && get_days(x, kk, days, days_buf,
		    sizeof(days_buf), &d) < 0)
			return -1;
		if (act == NULL || !json_is_string(act) ||
		    (strcmp(json_string_value(act), "restart") != 0 &&
		    strcmp(json_string_value(act), "login") != 0)) {
			snprintf(kk, sizeof(kk), "%s.action", k);
			return fail(x, kk, act == NULL ? "missing" :
			    "expected \"restart\" or \"login\"");
		}
		if (sched_parse(json_string_value(at), json_string_value(tz), d,
		    &sc->when, &e) < 0)
			return fail(x, k, "%s", e.msg);
		/* sched_parse took it: "HH:MM" or "HH:MM:SS" */
		snprintf(sc->at, sizeof(sc->at), "%s", json_string_value(at));
		sc->action_login = strcmp(json_string_value(act), "login") == 0;
		sc->action_restart = !sc->action_login;
		s->n_schedule = i + 1;
	}
	return 0;
}

/* "host:port" or "[v6addr]:port"; the host is not resolved here. */
static int
get_hostport(struct ctx *x, const char *key, const json_t *v,
    struct svc_action *a)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	const char *colon = strrchr(s, ':'), *h = s;
	char q[QUOTE_MAX + 1], *end;
	size_t hlen, i;
	long port;

	if (colon == NULL)
		goto bad;
	hlen = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hlen < 3 || s[hlen - 1] != ']')
			goto bad;
		h = s + 1;
		hlen -= 2;
	} else if (memchr(s, ':', hlen) != NULL) {
		goto bad;	/* a bare IPv6 address needs brackets */
	}
	if (hlen == 0 || hlen >= sizeof(a->ibc_host))
		goto bad;
	for (i = 0; i < hlen; i++)
		if ((unsigned char)h[i] <= 0x20 || (unsigned char)h[i] >= 0x7f ||
		    h[i] == '[' || h[i] == ']')
			goto bad;
	if (colon[1] < '0' || colon[1] > '9')
		goto bad;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port < 1 || port > 65535)
		goto bad;
	memcpy(a->ibc_host, h, hlen);
	a->ibc_host[hlen] = '\0';
	a->ibc_port = (int)port;
	return 0;
bad:
	if (!json_is_string(v))
		return fail(x, key, "expected \"host:port\" with port 1..65535");
	return fail(x, key, "'%s' is not host:port with port 1..65535",
	    quote(q, s));
}

static int
h_restart_action(struct ctx *x, struct svc *s, const json_t *v)
{
	static const char *const names[] = { "signal", "argv", "ibc", "timeout",
	    "user", NULL };
	json_t *sig = NULL, *argv = NULL, *ibc = NULL, *to = NULL, *user = NULL;
	struct svc_action *a = &s->restart_action;
	json_error_t jerr;

	if (!json_is_object(v))
		return fail(x, "restart_action", "expected {\"signal\": NAME}, "
		    "{\"argv\": [...]} or {\"ibc\": \"host:port\"}");
	if (json_unpack_ex((json_t *)v, &jerr, JSON_STRICT,
	    "{s?o, s?o, s?o, s?o, s?o}", names[0], &sig, names[1], &argv, names[2],
	    &ibc, names[3], &to, names[4], &user) < 0)
		return unknown_key(x, "restart_action", v, names);
	if (user != NULL && argv == NULL)
		return fail(x, "restart_action.user", "only with \"argv\"");
	if ((sig != NULL) + (argv != NULL) + (ibc != NULL) != 1)
		return fail(x, "restart_action", "expected exactly one of "
		    "\"signal\", \"argv\" or \"ibc\"");
	if (to != NULL && get_seconds(x, "restart_action.timeout", to, POSITIVE,
	    &a->timeout_s) < 0)
		return -1;
	if (sig != NULL) {
		a->kind = SVC_ACTION_SIGNAL;
		return get_signal(x, "restart_action.signal", sig, &a->signal);
	}
	if (argv != NULL) {
		a->kind = SVC_ACTION_ARGV;
		if (user != NULL && get_string(x, "restart_action.user", user,
		    &a->user) < 0)
			return -1;
		return get_argv(x, "restart_action.argv", argv, &a->argv);
	}
	a->kind = SVC_ACTION_IBC;
	if (a->timeout_s > 600)	/* lib/ibc's limit for one exchange */
		return fail(x, "restart_action.timeout", "at most 600 seconds with ibc");
	return get_hostport(x, "restart_action.ibc", ibc, a);
}

static int
h_ready_after_restart(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_seconds(x, "ready_after_restart", v, POSITIVE,
	    &s->ready_after_restart_s);
}

static int
h_restart_settle(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_seconds(x, "restart_settle", v, 0, &s->restart_settle_s);
}

static int
h_notifier(struct ctx *x, struct svc *s, const json_t *v)
{
	return get_bool(x, "notifier", v, &s->notifier);
}

static int
h_health(struct ctx *x, struct svc *s, const json_t *v)
{
	static const char *const names[] = { "argv", "interval", "timeout",
	    "retries", "action", "user", NULL };
	json_t *argv = NULL, *in = NULL, *to = NULL, *re = NULL, *act = NULL,
	    *user = NULL;
	json_error_t jerr;
	struct svc_health *h = &s->health;
	char q[QUOTE_MAX + 1];

	if (!json_is_object(v))
		return fail(x, "health", "expected {\"argv\": [...], \"interval\": "
		    "S, \"timeout\": S, \"retries\": N, \"action\": "
		    "\"alert\"|\"restart\"}");
	if (json_unpack_ex((json_t *)v, &jerr, JSON_STRICT,
	    "{s?o, s?o, s?o, s?o, s?o, s?o}", names[0], &argv, names[1], &in,
	    names[2], &to, names[3], &re, names[4], &act, names[5], &user) < 0)
		return unknown_key(x, "health", v, names);
	if (re != NULL) {
		json_int_t n = json_is_integer(re) ? json_integer_value(re) : 0;

		if (n < 1 || n > 1000)
			return fail(x, "health.retries", "expected an integer from "
			    "1 to 1000");
		h->retries = (int)n;
	}
	if (act != NULL) {
		const char *a = json_is_string(act) ? json_string_value(act) : "";

		if (strcmp(a, "alert") == 0)
			h->action = SVC_HEALTH_ALERT;
		else if (strcmp(a, "restart") == 0)
			h->action = SVC_HEALTH_RESTART;
		else
			return fail(x, "health.action", "expected \"alert\" or "
			    "\"restart\"%s%s%s", *a ? ", not '" : "",
			    *a ? quote(q, a) : "", *a ? "'" : "");
	}
	if ((in != NULL && get_seconds(x, "health.interval", in, POSITIVE,
	    &h->interval_s) < 0) ||
	    (to != NULL && get_seconds(x, "health.timeout", to, POSITIVE,
	    &h->timeout_s) < 0) ||
	    (user != NULL && get_string(x, "health.user", user, &h->user) < 0) ||
	    (argv != NULL && get_argv(x, "health.argv", argv, &h->argv) < 0))
		return -1;
	h->enabled = 1;
	return 0;
}

static int
h_follows(struct ctx *x, struct svc *s, const json_t *v)
{
	static const char *const names[] = { "service", "mode", NULL };
	static const char *const modes[] = { "restart", "stop", "pause" };
	json_t *svc = NULL, *mode = NULL;
	json_error_t jerr;
	char q[QUOTE_MAX + 1];
	int i;

	if (json_is_object(v)) {
		if (json_unpack_ex((json_t *)v, &jerr, JSON_STRICT, "{s?o, s?o}",
		    names[0], &svc, names[1], &mode) < 0)
			return unknown_key(x, "follows", v, names);
		if (svc == NULL)
			return fail(x, "follows.service", "missing");
		if (mode != NULL) {
			const char *m = json_is_string(mode) ?
			    json_string_value(mode) : "";

			for (i = 0; i < 3 && strcmp(m, modes[i]) != 0; i++)
				;
			if (i == 3)
				return fail(x, "follows.mode", "expected \"restart\", "
				    "\"stop\" or \"pause\"%s%s%s", *m ? ", not '" : "",
				    *m ? quote(q, m) : "", *m ? "'" : "");
			s->follow_mode = (enum svc_follow_mode)i;
		}
		v = svc;
	}
	if (!json_is_string(v))
		return fail(x, "follows", "expected a service name or "
		    "{\"service\": NAME, \"mode\": \"restart\"|\"stop\"|\"pause\"}");
	if (get_target(x, "follows", json_string_value(v), s->follows) < 0)
		return -1;
	if (strcmp(s->follows, s->name) == 0)
		return fail(x, "follows", "a service cannot follow itself");
	return 0;
}

/* The handled signals, in slot order (svcconf.h). */
static const int handled[SVC_N_SIGNALS] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
	SIGUSR2, SIGQUIT };

/* A handled signal's name ("TERM", "SIGterm") -> signal; -1 otherwise. */
static int
handled_signal(const char *s)
{
	static const char *const names[SVC_N_SIGNALS] = { "TERM", "INT", "HUP",
	    "USR1", "USR2", "QUIT" };
	int i;

	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < SVC_N_SIGNALS; i++)
		if (strcasecmp(s, names[i]) == 0)
			return handled[i];
	return -1;
}

static int
h_forward_signals(struct ctx *x, struct svc *s, const json_t *v)
{
	char k[48], q[QUOTE_MAX + 1];
	const json_t *e;
	size_t i;
	int sig;

	if (!json_is_array(v))
		return fail(x, "forward_signals", "expected an array of signal "
		    "names (TERM INT HUP USR1 USR2 QUIT)");
	s->forward_signals = 0;
	json_array_foreach((json_t *)v, i, e) {
		snprintf(k, sizeof(k), "forward_signals[%zu]", i);
		if (!json_is_string(e))
			return fail(x, k, "expected a signal name");
		if ((sig = handled_signal(json_string_value(e))) < 0)
			return fail(x, k, "'%s' is not one of TERM INT HUP USR1 "
			    "USR2 QUIT", quote(q, json_string_value(e)));
		s->forward_signals |= 1ULL << sig;
	}
	return 0;
}

/* "ibc_log": true (the service's own output) or "PATH" (a file). */
static int
h_ibc_log(struct ctx *x, struct svc *s, const json_t *v)
{
	struct svc_login *l = &s->login;

	if (json_is_boolean(v)) {
		l->ibc_log = json_is_true(v) ? SVC_IBC_LOG_OUTPUT : SVC_IBC_LOG_NONE;
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) >= SVC_IBC_LOG_PATH_MAX)
		return fail(x, "ibc_log", "expected true (IBC runs here: its "
		    "output) or the path of IBC's log file (1..%d bytes)",
		    SVC_IBC_LOG_PATH_MAX - 1);
	if (get_string(x, "ibc_log", v, &l->path) < 0)
		return -1;
	l->ibc_log = SVC_IBC_LOG_FILE;
	return 0;
}

/* "login": {"max_cold_per_hour": N, "remind": S, "twofa_window": S}. */
static int
h_login(struct ctx *x, struct svc *s, const json_t *v)
{
	static const char *const names[] = { "max_cold_per_hour", "remind",
	    "twofa_window", NULL };
	json_t *mc = NULL, *re = NULL, *tw = NULL;
	struct svc_login *l = &s->login;
	json_error_t jerr;

	if (!json_is_object(v))
		return fail(x, "login", "expected {\"max_cold_per_hour\": N, "
		    "\"remind\": S, \"twofa_window\": S}");
	if (json_unpack_ex((json_t *)v, &jerr, JSON_STRICT, "{s?o, s?o, s?o}",
	    names[0], &mc, names[1], &re, names[2], &tw) < 0)
		return unknown_key(x, "login", v, names);
	if (mc != NULL) {
		json_int_t n = json_is_integer(mc) ? json_integer_value(mc) : -1;

		if (n < 0 || n > 60)
			return fail(x, "login.max_cold_per_hour", "expected an "
			    "integer from 0 to 60");
		l->max_cold_per_hour = (int)n;
	}
	if ((re != NULL && get_seconds(x, "login.remind", re, 1,
	    &l->remind_s) < 0) ||
	    (tw != NULL && get_seconds(x, "login.twofa_window", tw, 1,
	    &l->twofa_window_s) < 0))
		return -1;
	l->given = 1;
	return 0;
}

/* After every key: the login keys fit the rest of the service. */
static int
check_login(struct ctx *x, const struct svc *s)
{
	const struct svc_login *l = &s->login;
	char k[64];
	size_t i;

	if (l->ibc_log == SVC_IBC_LOG_NONE && l->given)
		return fail(x, "login", "only with \"ibc_log\" (stack-init must "
		    "read IBC's log to know the login)");
	if (l->ibc_log == SVC_IBC_LOG_OUTPUT && s->external)
		return fail(x, "ibc_log", "true means IBC's output is this "
		    "service's own, but an external service has no output here: "
		    "give the path of its IBC log");
	if (l->ibc_log == SVC_IBC_LOG_OUTPUT && !s->prefix_output)
		return fail(x, "ibc_log", "true needs \"prefix_output\": true "
		    "(stack-init reads a service's output only then)");
	for (i = 0; i < s->n_schedule; i++) {
		if (!s->schedule[i].action_login)
			continue;
		snprintf(k, sizeof(k), "schedule[%zu].action", i);
		if (l->ibc_log == SVC_IBC_LOG_NONE)
			return fail(x, k, "\"login\" needs \"ibc_log\" "
			    "(stack-init must read IBC's log to know the login)");
		if (s->external && s->restart_action.kind != SVC_ACTION_IBC)
			return fail(x, k, "\"login\" of an external service "
			    "needs restart_action {\"ibc\": \"host:port\"} "
			    "(stack-init sends IBC STOP)");
	}
	return 0;
}

static const struct {
	const char *key;
	int (*fn)(struct ctx *, struct svc *, const json_t *);
} handlers[] = {
	{ "name", NULL },	/* read first, by decode_service */
	{ "argv", h_argv },
	{ "env", h_env },
	{ "cwd", h_cwd },
	{ "user", h_user },
	{ "external", h_external },
	{ "critical", h_critical },
	{ "depends_on", h_depends_on },
	{ "ready", h_ready },
	{ "restart", h_restart },
	{ "backoff", h_backoff },
	{ "crash_loop", h_crash_loop },
	{ "stop_signal", h_stop_signal },
	{ "stop_timeout", h_stop_timeout },
	{ "schedule", h_schedule },
	{ "restart_action", h_restart_action },
	{ "ready_after_restart", h_ready_after_restart },
	{ "follows", h_follows },
	{ "restart_settle", h_restart_settle },
	{ "health", h_health },
	{ "notifier", h_notifier },
	{ "prefix_output", h_prefix_output },
	{ "forward_signals", h_forward_signals },
	{ "ibc_log", h_ibc_log },
	{ "login", h_login },
};

static void
svc_defaults(struct svc *s)
{
	s->ready.interval_s = 2;
	s->ready.timeout_s = 5;
	s->ready.start_period_s = 60;
	s->ready.fast_interval_s = 0.1;
	s->restart = SVC_RESTART_ON_FAILURE;
	s->backoff.initial_s = 0.1;
	s->backoff.max_s = 60;
	s->backoff.reset_after_s = 10;
	s->crash_loop.failures = 5;
	s->crash_loop.window_s = 60;
	s->stop_signal = SIGTERM;
	s->stop_timeout_s = 10;
	s->restart_action.kind = SVC_ACTION_SIGNAL;
	s->restart_action.signal = SIGTERM;
	s->restart_action.timeout_s = 30;
	s->ready_after_restart_s = 300;
	s->restart_settle_s = 5;
	s->health.interval_s = 30;
	s->health.timeout_s = 5;
	s->health.retries = 3;
	s->follows_index = -1;
	s->prefix_output = 1;
	s->forward_signals = ~0ULL;
	s->login.max_cold_per_hour = 3;
	s->login.remind_s = 300;
	s->login.twofa_window_s = 180;
}

/* Service i into c->svc[i]; c->n counts it first, so that svcconf_free
 * releases whatever it got on any failure. */
static int
decode_service(struct svcconf *c, size_t i, const json_t *o,
    struct gw_err *err)
{
	struct svc *s = &c->svc[i];
	struct ctx x = { err, "" };
	char q[QUOTE_MAX + 1];
	const char *key, *name;
	json_t *v;
	size_t j, h;

	c->n = i + 1;
	svc_defaults(s);
	snprintf(x.who, sizeof(x.who), "services[%zu]", i);
	if (!json_is_object(o))
		return fail(&x, NULL, "expected an object");
	v = json_object_get(o, "name");
	if (v == NULL)
		return fail(&x, "name", "missing");
	if (!json_is_string(v))
		return fail(&x, "name", "expected a string");
	name = json_string_value(v);
	if (!name_ok(name))
		return fail(&x, "name", "'%s' is not 1..31 bytes of "
		    "[A-Za-z0-9_.-]", quote(q, name));
	for (j = 0; j < i; j++)
		if (strcmp(c->svc[j].name, name) == 0)
			return fail(&x, "name", "'%s' is already the name of "
			    "services[%zu]", name, j);
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(x.who, sizeof(x.who), "service '%s'", s->name);

	json_object_foreach((json_t *)o, key, v) {
		for (h = 0; h < sizeof(handlers) / sizeof(handlers[0]); h++)
			if (strcmp(key, handlers[h].key) == 0)
				break;
		if (h == sizeof(handlers) / sizeof(handlers[0]))
			return fail(&x, NULL, "unknown key '%s'", quote(q, key));
		if (handlers[h].fn != NULL && handlers[h].fn(&x, s, v) < 0)
			return -1;
	}
	if (s->external && s->argv != NULL)
		return fail(&x, "argv", "not allowed for an external service");
	if (!s->external && s->argv == NULL)
		return fail(&x, "argv", "missing (required unless \"external\": "
		    "true)");
	if (s->external && s->ready.kind == SVC_READY_NOTIFY)
		return fail(&x, "ready", "an external service cannot use "
		    "notify_fd (use a check command)");
	if (s->health.enabled && s->health.argv == NULL &&
	    s->ready.kind != SVC_READY_COMMAND)
		return fail(&x, "health", "expected \"argv\" (a check command): "
		    "there is no ready check command to reuse");
	if (s->external && s->notifier)
		return fail(&x, "notifier", "an external service has no process "
		    "here to stop last");
	for (j = 0; j < i; j++)
		if (s->notifier && c->svc[j].notifier)
			return fail(&x, "notifier", "'%s' is already the notifier "
			    "(at most one)", c->svc[j].name);
	return check_login(&x, s);
}

/* "signals": {"HUP": "reload", ...}; the rest keep their defaults. */
static int
decode_signals(const json_t *v, struct svcconf *c, struct gw_err *err)
{
	static const char *const acts[] = { "shutdown", "forward", "reload",
	    "ignore" };
	struct ctx x = { err, "signals" };
	char q[QUOTE_MAX + 1], q2[QUOTE_MAX + 1];
	const char *name;
	json_t *a;
	int sig, i;

	if (!json_is_object(v))
		return fail(&x, NULL, "expected an object like {\"HUP\": "
		    "\"reload\"}");
	json_object_foreach((json_t *)v, name, a) {
		const char *t = json_is_string(a) ? json_string_value(a) : "";

		if ((sig = handled_signal(name)) < 0)
			return fail(&x, NULL, "'%s' is not one of TERM INT HUP USR1 "
			    "USR2 QUIT", quote(q, name));
		for (i = 0; i < 4 && strcmp(t, acts[i]) != 0; i++)
			;
		if (i == 4)
			return fail(&x, quote(q, name), "expected \"shutdown\", "
			    "\"forward\", \"reload\" or \"ignore\"%s%s%s",
			    *t ? ", not '" : "", *t ? quote(q2, t) : "", *t ? "'" : "");
		c->on_signal[svcconf_signal_slot(sig)] = (enum svc_sig_action)i;
	}
	return 0;
}

static int
decode(const json_t *root, struct svcconf *c, struct gw_err *err)
{
	static const char *const names[] = { "services", "signals", NULL };
	struct ctx x = { err, "top level" };
	json_t *arr = NULL, *sigs = NULL;
	json_error_t jerr;
	size_t i;

	if (!json_is_object(root))
		return fail(&x, NULL, "expected an object {\"services\": [...]}");
	if (json_unpack_ex((json_t *)root, &jerr, JSON_STRICT, "{s?o, s?o}",
	    names[0], &arr, names[1], &sigs) < 0)
		return unknown_key(&x, NULL, root, names);
	for (i = 0; i < SVC_N_SIGNALS; i++)
		c->on_signal[i] = i < 2 ? SVC_SIG_SHUTDOWN : SVC_SIG_FORWARD;
	if (sigs != NULL && decode_signals(sigs, c, err) < 0)
		return -1;
	if (arr == NULL)
		return gw_err_set(err, "services: missing");
	if (!json_is_array(arr) || json_array_size(arr) < 1 ||
	    json_array_size(arr) > SVC_MAX_SERVICES)
		return gw_err_set(err, "services: expected an array of 1..%d "
		    "services", SVC_MAX_SERVICES);
	for (i = 0; i < json_array_size(arr); i++)
		if (decode_service(c, i, json_array_get(arr, i), err) < 0)
			return -1;
	return 0;
}

/* Depth-first from i; on a back edge, name the cycle from the stack. */
static int
find_cycle(const struct svcconf *c, size_t i, int *color, size_t *stack,
    size_t depth, struct gw_err *err)
{
	const struct svc *s = &c->svc[i];
	size_t k, p, o;
	char m[256];

	color[i] = 1;
	stack[depth] = i;
	for (k = 0; k < s->n_deps; k++) {
		size_t j = (size_t)s->deps[k].index;

		if (color[j] == 2)
			continue;
		if (color[j] == 0) {
			if (find_cycle(c, j, color, stack, depth + 1, err) < 0)
				return -1;
			continue;
		}
		for (p = 0; stack[p] != j; p++)
			;
		o = (size_t)snprintf(m, sizeof(m), "dependency cycle: ");
		for (; p <= depth + 1; p++) {
			const char *n = c->svc[p <= depth ? stack[p] : j].name;

			/* 64 names may not fit: end with whole names and "..." */
			if (o + strlen(n) + 4 + sizeof("...") > sizeof(m)) {
				memcpy(m + o, "...", sizeof("..."));
				break;
			}
			o += (size_t)snprintf(m + o, sizeof(m) - o, "%s%s", n,
			    p <= depth ? " -> " : "");
		}
		return gw_err_set(err, "%s", m);
	}
	color[i] = 2;
	return 0;
}

/* Each service follows at most one: walk each chain; one that comes back
 * to where it started is a cycle (its restarts would chase each other
 * forever). Named from its first service in the file. */
static int
follows_cycle(const struct svcconf *c, struct gw_err *err)
{
	size_t i, k, o;
	int j;
	char m[256];

	for (i = 0; i < c->n; i++) {
		for (j = c->svc[i].follows_index, k = 0; j >= 0 && j != (int)i &&
		    k < c->n; j = c->svc[j].follows_index, k++)
			;
		if (j != (int)i)
			continue;
		o = (size_t)snprintf(m, sizeof(m), "follows cycle: %s",
		    c->svc[i].name);
		for (j = c->svc[i].follows_index; ; j = c->svc[j].follows_index) {
			const char *n = c->svc[j].name;

			if (o + strlen(n) + 4 + sizeof("...") > sizeof(m)) {
				memcpy(m + o, " -> ...", sizeof(" -> ..."));
				break;
			}
			o += (size_t)snprintf(m + o, sizeof(m) - o, " -> %s", n);
			if (j == (int)i)
				break;
		}
		return gw_err_set(err, "%s", m);
	}
	return 0;
}

/* 1 when service a depends on b, directly or through others (the graph
 * has no cycles). */
static int
needs(const struct svcconf *c, size_t a, size_t b, int *seen)
{
	size_t k;

	if (seen[a])
		return 0;
	seen[a] = 1;
	for (k = 0; k < c->svc[a].n_deps; k++) {
		size_t d = (size_t)c->svc[a].deps[k].index;

		if (d == b || needs(c, d, b, seen))
			return 1;
	}
	return 0;
}

static int
resolve(struct svcconf *c, struct gw_err *err)
{
	int color[SVC_MAX_SERVICES] = { 0 }, placed[SVC_MAX_SERVICES] = { 0 };
	size_t stack[SVC_MAX_SERVICES];
	size_t i, k, pos;

	for (i = 0; i < c->n; i++) {
		struct svc *s = &c->svc[i];
		struct ctx x = { err, "" };

		snprintf(x.who, sizeof(x.who), "service '%s'", s->name);
		for (k = 0; k < s->n_deps; k++) {
			struct svc_dep *d = &s->deps[k];

			d->index = svcconf_find(c, d->service);
			if (d->index < 0)
				return fail(&x, "depends_on", "unknown service "
				    "'%s'", d->service);
			if (d->condition == SVC_DEP_READY &&
			    c->svc[d->index].ready.kind == SVC_READY_NONE)
				return fail(&x, NULL, "depends_on '%s' with "
				    "condition ready, but '%s' has no ready check",
				    d->service, d->service);
		}
		if (s->follows[0] != '\0' &&
		    (s->follows_index = svcconf_find(c, s->follows)) < 0)
			return fail(&x, "follows", "unknown service '%s'",
			    s->follows);
		/* a signal cannot reach a process that is not our child */
		if (s->external && s->restart_action.kind == SVC_ACTION_SIGNAL) {
			if (s->n_schedule > 0)
				return fail(&x, "schedule", "an external service "
				    "needs a restart_action with argv or ibc");
			if (s->follows[0] != '\0')
				return fail(&x, "follows", "an external service "
				    "needs a restart_action with argv or ibc");
		}
		if (s->external && s->follows[0] != '\0' &&
		    s->follow_mode != SVC_FOLLOW_RESTART)
			return fail(&x, "follows.mode", "an external service can "
			    "only follow with \"restart\" (it has no process here)");
	}
	for (i = 0; i < c->n; i++)
		if (color[i] == 0 && find_cycle(c, i, color, stack, 0, err) < 0)
			return -1;
	if (follows_cycle(c, err) < 0)
		return -1;
	/* no cycles: a follower held down or frozen during its leader's
	 * restart must not be something the leader needs to come back */
	for (i = 0; i < c->n; i++) {
		const struct svc *f = &c->svc[i];
		int seen[SVC_MAX_SERVICES] = { 0 };

		if (f->follows_index >= 0 && f->follow_mode != SVC_FOLLOW_RESTART &&
		    needs(c, (size_t)f->follows_index, i, seen)) {
			struct ctx x = { err, "" };

			snprintf(x.who, sizeof(x.who), "service '%s'", f->name);
			return fail(&x, "follows.mode", "'%s' depends on '%s': "
			    "stopping or pausing it during the restart would keep "
			    "'%s' from coming back (use \"restart\")", f->follows,
			    f->name, f->follows);
		}
	}
	/* deps first; among the startable, the earliest in the file */
	for (pos = 0; pos < c->n; pos++) {
		for (i = 0; i < c->n; i++) {
			if (placed[i])
				continue;
			for (k = 0; k < c->svc[i].n_deps; k++)
				if (!placed[c->svc[i].deps[k].index])
					break;
			if (k == c->svc[i].n_deps)
				break;
		}
		if (i == c->n)	/* not reached: find_cycle found none */
			return gw_err_set(err, "dependency cycle");
		placed[i] = 1;
		c->order[pos] = i;
	}
	return 0;
}

/* jansson's text may quote up to 20 bytes of input: pass it through
 * gw_err_quote. */
static int
syntax_error(const char *name, const json_error_t *jerr, struct gw_err *err)
{
	char text[JSON_ERROR_TEXT_LENGTH];

	gw_err_quote(text, sizeof(text), jerr->text, strlen(jerr->text));
	if (jerr->line < 0)
		return gw_err_set(err, "%s: %s", name, text);
	return gw_err_set(err, "%s:%d:%d: %s", name, jerr->line, jerr->column,
	    text);
}

struct svcconf *
svcconf_parse(const char *buf, size_t len, const char *name,
    struct gw_err *err)
{
	struct svcconf *c;
	json_error_t jerr;
	json_t *root;

	if (name == NULL)
		name = "(config)";
	if (buf == NULL)
		len = 0;
	root = json_loadb(len > 0 ? buf : "", len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (root == NULL) {
		syntax_error(name, &jerr, err);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		gw_err_set(err, "out of memory");
	} else if (decode(root, c, err) < 0) {
		svcconf_free(c);
		c = NULL;
	}
	json_decref(root);
	if (c != NULL && resolve(c, err) < 0) {
		svcconf_free(c);
		c = NULL;
	}
	return c;
}

struct svcconf *
svcconf_load(const char *path, struct gw_err *err)
{
	struct svcconf *c = NULL;
	char *buf = NULL;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rbe")) == NULL) {
		gw_err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(SVCCONF_MAX_FILE + 1)) == NULL) {
		gw_err_set(err, "out of memory");
		goto out;
	}
	n = fread(buf, 1, SVCCONF_MAX_FILE + 1, f);
	if (ferror(f))
		gw_err_set(err, "%s: %s", path, strerror(errno));
	else if (n > SVCCONF_MAX_FILE)
		gw_err_set(err, "%s: larger than %d bytes", path,
		    SVCCONF_MAX_FILE);
	else
		c = svcconf_parse(buf, n, path, err);
out:
	free(buf);
	fclose(f);
	return c;
}

void
svcconf_free(struct svcconf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n && i < SVC_MAX_SERVICES; i++) {
		struct svc *s = &c->svc[i];

		strv_free(s->health.argv);
		free(s->health.user);
		strv_free(s->restart_action.argv);
		free(s->restart_action.user);
		strv_free(s->ready.argv);
		free(s->ready.user);
		free(s->user);
		free(s->cwd);
		strv_free(s->env);
		strv_free(s->argv);
		free(s->login.path);
	}
	free(c);
}

int
svcconf_find(const struct svcconf *c, const char *name)
{
	size_t i;

	if (c == NULL || name == NULL)
		return -1;
	for (i = 0; i < c->n && i < SVC_MAX_SERVICES; i++)
		if (strcmp(c->svc[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
svcconf_signal_at(int slot)
{
	return slot >= 0 && slot < SVC_N_SIGNALS ? handled[slot] : -1;
}

int
svcconf_signal_slot(int sig)
{
	int i;

	for (i = 0; i < SVC_N_SIGNALS; i++)
		if (handled[i] == sig)
			return i;
	return -1;
}

enum svc_sig_action
svcconf_signal_action(const struct svcconf *c, int sig)
{
	int i = svcconf_signal_slot(sig);

	return i < 0 ? SVC_SIG_IGNORE : c->on_signal[i];
}

static int
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
strv_eq(char *const *a, char *const *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	for (i = 0; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return a[i] == NULL && b[i] == NULL;
}

int
svcconf_svc_equal(const struct svc *a, const struct svc *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || !strv_eq(a->argv, b->argv) ||
	    !strv_eq(a->env, b->env) || !str_eq(a->cwd, b->cwd) ||
	    !str_eq(a->user, b->user) || a->external != b->external ||
	    a->critical != b->critical || a->n_deps != b->n_deps ||
	    a->restart != b->restart || a->stop_signal != b->stop_signal ||
	    a->stop_timeout_s != b->stop_timeout_s ||
	    a->n_schedule != b->n_schedule ||
	    a->ready_after_restart_s != b->ready_after_restart_s ||
	    a->restart_settle_s != b->restart_settle_s ||
	    a->notifier != b->notifier ||
	    a->health.enabled != b->health.enabled ||
	    !strv_eq(a->health.argv, b->health.argv) ||
	    a->health.interval_s != b->health.interval_s ||
	    a->health.timeout_s != b->health.timeout_s ||
	    a->health.retries != b->health.retries ||
	    a->health.action != b->health.action ||
	    !str_eq(a->health.user, b->health.user) ||
	    strcmp(a->follows, b->follows) != 0 ||
	    a->follow_mode != b->follow_mode ||
	    a->forward_signals != b->forward_signals ||
	    a->prefix_output != b->prefix_output ||
	    a->login.ibc_log != b->login.ibc_log ||
	    !str_eq(a->login.path, b->login.path) ||
	    a->login.max_cold_per_hour != b->login.max_cold_per_hour ||
	    a->login.remind_s != b->login.remind_s ||
	    a->login.twofa_window_s != b->login.twofa_window_s ||
	    memcmp(&a->backoff, &b->backoff, sizeof(a->backoff)) != 0 ||
	    a->crash_loop.failures != b->crash_loop.failures ||
	    a->crash_loop.window_s != b->crash_loop.window_s ||
	    a->crash_loop.give_up != b->crash_loop.give_up)
		return 0;
	for (i = 0; i < a->n_deps; i++)
		if (strcmp(a->deps[i].service, b->deps[i].service) != 0 ||
		    a->deps[i].condition != b->deps[i].condition)
			return 0;
	if (a->ready.kind != b->ready.kind || !strv_eq(a->ready.argv, b->ready.argv) ||
	    a->ready.interval_s != b->ready.interval_s ||
	    a->ready.timeout_s != b->ready.timeout_s ||
	    a->ready.start_period_s != b->ready.start_period_s ||
	    a->ready.notify_fd != b->ready.notify_fd ||
	    a->ready.n_fast_exit != b->ready.n_fast_exit ||
	    memcmp(a->ready.fast_exit, b->ready.fast_exit,
	    sizeof(a->ready.fast_exit)) != 0 ||
	    a->ready.fast_interval_s != b->ready.fast_interval_s ||
	    !str_eq(a->ready.user, b->ready.user))
		return 0;
	if (a->restart_action.kind != b->restart_action.kind ||
	    a->restart_action.signal != b->restart_action.signal ||
	    !strv_eq(a->restart_action.argv, b->restart_action.argv) ||
	    strcmp(a->restart_action.ibc_host, b->restart_action.ibc_host) != 0 ||
	    a->restart_action.ibc_port != b->restart_action.ibc_port ||
	    a->restart_action.timeout_s != b->restart_action.timeout_s ||
	    !str_eq(a->restart_action.user, b->restart_action.user))
		return 0;
	for (i = 0; i < a->n_schedule; i++)
		if (strcmp(a->schedule[i].at, b->schedule[i].at) != 0 ||
		    a->schedule[i].when.hour != b->schedule[i].when.hour ||
		    a->schedule[i].when.minute != b->schedule[i].when.minute ||
		    a->schedule[i].when.second != b->schedule[i].when.second ||
		    a->schedule[i].when.days != b->schedule[i].when.days ||
		    strcmp(a->schedule[i].when.tz, b->schedule[i].when.tz) != 0 ||
		    a->schedule[i].action_restart != b->schedule[i].action_restart ||
		    a->schedule[i].action_login != b->schedule[i].action_login)
			return 0;
	return 1;
}
