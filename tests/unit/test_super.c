/* Unit tests for lib/super, driven as stack-init drives it: an event base,
 * SIGCHLD as an event that calls super_reap(), the event log in a memory
 * stream whose JSON lines are read back, and super_status(). Services are
 * short shell commands. Every wait is run_until(): the loop runs until a
 * predicate over the log, the status or a file holds, or a deadline passes
 * (the failure then shows the status and the last events). Teardown shuts
 * the supervisor down and fails when any child outlives its test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "log.h"
#include "super.h"
#include "super_int.h"	/* proc_spawn: the child's setup */
#include "svcconf.h"

struct fx {
	struct event_base *base;
	struct event *chld;	/* SIGCHLD -> super_reap */
	struct event *tick;	/* bounds one loop pass in run_until */
	FILE *logf;		/* memory stream the log writes to */
	char *logbuf;
	size_t loglen, parsed;
	struct gw_log *log;
	json_t *events;		/* every event record so far, in order */
	struct super *s;
	char dir[64];		/* scratch files of the services */
	int shut;		/* super_shutdown was called */
	int done;		/* its done callback ran (count) */
	int criticals;		/* on_critical calls */
	int shutdown_on_critical;	/* the callback shuts down, as main does */
	/* super_on_hold: calls, what ran then, and the resume for later */
	int holds;
	char hold_running[256];	/* names of the services with a pid then */
	void (*resume)(void *);
	void *resume_arg;
};

/* ---------- fixture ---------- */

static double
mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
on_chld(evutil_socket_t sig, short what, void *arg)
{
	struct fx *f = arg;

	(void)sig;
	(void)what;
	if (f->s != NULL)
		super_reap(f->s);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void
on_done(void *arg)
{
	struct fx *f = arg;

	f->done++;
}

static void
on_critical(void *arg)
{
	struct fx *f = arg;

	f->criticals++;
	if (f->shutdown_on_critical && !f->shut) {
		f->shut = 1;
		super_shutdown(f->s, on_done, f);
	}
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwkit-super-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* the restart files go there too (removed with the rest) */
	assert_int_equal(setenv("GWKIT_RUNTIME_DIR", f->dir, 1), 0);
	assert_non_null(f->base = event_base_new());
	assert_non_null(f->logf = open_memstream(&f->logbuf, &f->loglen));
	assert_non_null(f->log = gw_log_new("stack-init", f->logf, GW_DEBUG));
	assert_non_null(f->events = json_array());
	assert_non_null(f->chld = evsignal_new(f->base, SIGCHLD, on_chld, f));
	assert_int_equal(evsignal_add(f->chld, NULL), 0);
	assert_non_null(f->tick = evtimer_new(f->base, on_tick, f));
	*state = f;
	return 0;
}

/* Read the log lines written since the last call into f->events. */
static void
pump(struct fx *f)
{
	fflush(f->logf);
	while (f->parsed < f->loglen) {
		char *start = f->logbuf + f->parsed;
		char *nl = memchr(start, '\n', f->loglen - f->parsed);
		json_error_t je;
		json_t *o;

		if (nl == NULL)
			break;
		o = json_loadb(start, (size_t)(nl - start), 0, &je);
		if (o == NULL)
			fail_msg("log line is not JSON (%s): %.*s", je.text,
			    (int)(nl - start), start);
		json_array_append_new(f->events, o);
		f->parsed = (size_t)(nl - f->logbuf) + 1;
	}
}

/* ---------- events and status ---------- */

static const char *
ev_name(const json_t *e)
{
	return json_string_value(json_object_get(e, "event"));
}

static const char *
ev_svc(const json_t *e)
{
	return json_string_value(json_object_get(json_object_get(e, "fields"),
	    "service"));
}

/* Index in f->events of the nth (0-based) event named event about service
 * svc (NULL: any), or -1. */
static int
ev_find(struct fx *f, const char *event, const char *svc, int nth)
{
	size_t i;
	json_t *e;

	json_array_foreach(f->events, i, e) {
		const char *n = ev_name(e), *v = ev_svc(e);

		if (n == NULL || strcmp(n, event) != 0)
			continue;
		if (svc != NULL && (v == NULL || strcmp(v, svc) != 0))
			continue;
		if (nth-- == 0)
			return (int)i;
	}
	return -1;
}

static int
ev_count(struct fx *f, const char *event, const char *svc)
{
	int n = 0;

	while (ev_find(f, event, svc, n) >= 0)
		n++;
	return n;
}

/* The nth such event (borrowed); fails the test when there is none. */
static json_t *
ev_get_(struct fx *f, const char *event, const char *svc, int nth, int line)
{
	int i = ev_find(f, event, svc, nth);

	if (i < 0)
		fail_msg("line %d: no event %s #%d of %s", line, event, nth,
		    svc ? svc : "(any)");
	return json_array_get(f->events, (size_t)i);
}
#define ev_get(f, event, svc, nth) ev_get_((f), (event), (svc), (nth), __LINE__)
#define EV_IDX(f, event, svc, nth) ev_find((f), (event), (svc), (nth))

static json_t *
ev_field(const json_t *e, const char *key)
{
	return json_object_get(json_object_get(e, "fields"), key);
}

/* The record's wall-clock "ts" (RFC 3339 UTC, milliseconds) in seconds. */
static double
ev_ts(const json_t *e)
{
	const char *ts = json_string_value(json_object_get(e, "ts"));
	struct tm tm;
	int ms = 0;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(ts);
	assert_int_equal(sscanf(ts, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms), 7);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm) + ms / 1000.0;
}

/* Seconds between the ts of two events. */
static double
ev_gap(const json_t *a, const json_t *b)
{
	return ev_ts(b) - ev_ts(a);
}

/* The status object of service name (new reference), or NULL. */
static json_t *
status_of(struct fx *f, const char *name)
{
	json_t *a = super_status(f->s), *v, *found = NULL;
	size_t i;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(json_object_get(v, "name")), name) == 0)
			found = json_incref(v);
	json_decref(a);
	return found;
}

static int
state_is(struct fx *f, const char *name, const char *st)
{
	json_t *o = status_of(f, name);
	int r = o != NULL && strcmp(json_string_value(json_object_get(o, "state")),
	    st) == 0;

	json_decref(o);
	return r;
}

/* Its pid, 0 when it has none (null); fails when there is no such service. */
static long
pid_of(struct fx *f, const char *name)
{
	json_t *o = status_of(f, name);
	long pid;

	if (o == NULL)
		fail_msg("no service %s in the status", name);
	pid = (long)json_integer_value(json_object_get(o, "pid"));
	json_decref(o);
	return pid;
}

static long
restarts_of(struct fx *f, const char *name)
{
	json_t *o = status_of(f, name);
	long n;

	assert_non_null(o);
	n = (long)json_integer_value(json_object_get(o, "restarts"));
	json_decref(o);
	return n;
}

/* Fails unless the service's status key holds exactly the JSON text want. */
static void
assert_status_key_(struct fx *f, const char *name, const char *key,
    const char *want, int line)
{
	json_t *o = status_of(f, name), *w = json_loads(want, JSON_DECODE_ANY, NULL);
	char *got;

	assert_non_null(w);
	if (o == NULL)
		fail_msg("line %d: no service %s", line, name);
	if (!json_equal(json_object_get(o, key), w)) {
		got = json_dumps(o, JSON_COMPACT);
		fail_msg("line %d: %s.%s: want %s, status %s", line, name, key, want, got);
	}
	json_decref(o);
	json_decref(w);
}
#define assert_status_key(f, name, key, want) \
	assert_status_key_((f), (name), (key), (want), __LINE__)

static void
assert_json_is_(const json_t *got, const char *want, int line)
{
	json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);

	assert_non_null(w);
	if (!json_equal(got, w)) {
		char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

		fail_msg("line %d: want %s, got %s", line, want, g ? g : "(nothing)");
	}
	json_decref(w);
}
#define assert_json_is(got, want) assert_json_is_((got), (want), __LINE__)

/* The 'S' state letter of /proc/PID/stat, or 0. */
static char
proc_state(long pid)
{
	char path[64], buf[512], *p;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2];
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "re");
	char *buf = calloc(1, 4096);
	size_t n;

	assert_non_null(buf);
	if (fp == NULL) {
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, 4095, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* ---------- waiting ---------- */

/* What run_until waits for; one predicate reads the fields it needs. */
struct want {
	const char *event, *svc, *state, *path, *text;
	int n;
	long pid;
	char proc;
};

static int
p_events(struct fx *f, const struct want *w)
{
	return ev_count(f, w->event, w->svc) >= w->n;
}

static int
p_state(struct fx *f, const struct want *w)
{
	return state_is(f, w->svc, w->state);
}

static int
p_file_has(struct fx *f, const struct want *w)
{
	char *s = slurp(w->path);
	int r = s != NULL && strstr(s, w->text) != NULL;

	(void)f;
	free(s);
	return r;
}

static int
p_done(struct fx *f, const struct want *w)
{
	(void)w;
	return f->done > 0;
}

static int
p_criticals(struct fx *f, const struct want *w)
{
	return f->criticals >= w->n;
}

static int
p_proc_is(struct fx *f, const struct want *w)
{
	(void)f;
	return proc_state(w->pid) == w->proc;
}

static int
p_proc_is_not(struct fx *f, const struct want *w)
{
	(void)f;
	return proc_state(w->pid) != w->proc;
}

/* An init.reaped event for the pid written in file w->path. */
static int
p_reaped_pid(struct fx *f, const struct want *w)
{
	char *s = slurp(w->path);
	long pid = s ? strtol(s, NULL, 10) : 0;
	int i, hit = 0;

	free(s);
	for (i = 0; pid > 0 && !hit && ev_find(f, "init.reaped", NULL, i) >= 0; i++)
		hit = json_integer_value(ev_field(ev_get(f, "init.reaped", NULL, i),
		    "pid")) == pid;
	return hit;
}

static void
describe_failure(struct fx *f, const char *what, const struct want *w, int ms,
    int line)
{
	json_t *st = f->s ? super_status(f->s) : NULL;
	char *sts = st ? json_dumps(st, JSON_COMPACT) : NULL;
	char tail[4096];
	size_t i, n = json_array_size(f->events), len = 0;

	tail[0] = '\0';
	for (i = n > 20 ? n - 20 : 0; i < n && len < sizeof(tail) - 200; i++) {
		json_t *e = json_array_get(f->events, i);
		int k = snprintf(tail + len, sizeof(tail) - len, "  %s %s: %s\n",
		    json_string_value(json_object_get(e, "ts")), ev_name(e),
		    json_string_value(json_object_get(e, "message")));

		if (k > 0)
			len += (size_t)k;
	}
	print_error("line %d: %s (event %s, service %s, n %d, state %s, file %s, "
	    "text %s, pid %ld) not true within %d ms\nstatus: %s\nlast events:\n%s",
	    line, what, w->event ? w->event : "-", w->svc ? w->svc : "-", w->n,
	    w->state ? w->state : "-", w->path ? w->path : "-",
	    w->text ? w->text : "-", w->pid, ms, sts ? sts : "(no supervisor)", tail);
	free(sts);
	json_decref(st);
}

/* Run the loop until pred holds or ms pass. Returns 1 when it held; on the
 * deadline fails the test (fatal) or returns 0. */
static int
run_until_(struct fx *f, int (*pred)(struct fx *, const struct want *),
    const struct want *w, int ms, int fatal, const char *what, int line)
{
	double end = mono() + ms / 1000.0;

	for (;;) {
		struct timeval tv = { 0, 20000 };
		double left;

		pump(f);
		if (pred(f, w))
			return 1;
		if ((left = end - mono()) <= 0)
			break;
		if (left < 0.02)
			tv.tv_usec = (suseconds_t)(left * 1e6);
		evtimer_add(f->tick, &tv);
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	if (fatal != 2)	/* 2: an expected timeout, nothing to describe */
		describe_failure(f, what, w, ms, line);
	if (fatal == 1)
		fail();
	return 0;
}
/* run_until(f, predicate, deadline_ms, designated initializers of the want) */
#define run_until(f, pred, ms, ...) \
	run_until_((f), (pred), &(const struct want){ __VA_ARGS__ }, (ms), 1, \
	    #pred, __LINE__)
#define WAIT_EVENTS(f, ev, svc_, n_, ms) \
	run_until((f), p_events, (ms), .event = (ev), .svc = (svc_), .n = (n_))
#define WAIT_STATE(f, svc_, st, ms) \
	run_until((f), p_state, (ms), .svc = (svc_), .state = (st))
#define WAIT_FILE_HAS(f, path_, text_, ms) \
	run_until((f), p_file_has, (ms), .path = (path_), .text = (text_))
#define WAIT_DONE(f, ms) run_until((f), p_done, (ms), .n = 0)

/* Every child of ours gone within ms (SIGCHLD blocked and waited for, no
 * polling); otherwise name them, kill them and return -1. */
static int
reap_all(int ms)
{
	double end = mono() + ms / 1000.0;
	sigset_t set, old;
	int rc = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (;;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);
		double left = end - mono();
		struct timespec ts;

		if (p > 0 || (p < 0 && errno == EINTR))
			continue;
		if (p < 0)	/* ECHILD: none left */
			break;
		if (left <= 0) {
			DIR *d = opendir("/proc");
			struct dirent *de;

			rc = -1;
			while (d != NULL && (de = readdir(d)) != NULL) {
				char path[300], buf[512], *q;
				long pid = strtol(de->d_name, NULL, 10), ppid = 0;
				FILE *fp;
				size_t n;

				snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
				if (pid <= 0 || (fp = fopen(path, "re")) == NULL)
					continue;
				n = fread(buf, 1, sizeof(buf) - 1, fp);
				fclose(fp);
				buf[n] = '\0';
				if ((q = strrchr(buf, ')')) != NULL)
					sscanf(q + 2, "%*c %ld", &ppid);
				if (ppid == (long)getpid()) {
					print_error("child still running after the test: %s\n", buf);
					kill((pid_t)pid, SIGKILL);
				}
			}
			if (d != NULL)
				closedir(d);
			while (waitpid(-1, NULL, 0) > 0)
				;
			break;
		}
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		sigtimedwait(&set, NULL, &ts);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int rc = 0;
	DIR *d;
	struct dirent *de;

	if (f->s != NULL) {
		if (!f->shut) {
			f->shut = 1;
			super_shutdown(f->s, on_done, f);
		}
		if (!run_until_(f, p_done, &(const struct want){ .n = 0 }, 15000, 0,
		    "teardown: shutdown done", __LINE__))
			rc = -1;
		super_free(f->s);
		f->s = NULL;
	}
	event_free(f->chld);
	event_free(f->tick);
	if (reap_all(5000) < 0)
		rc = -1;
	event_base_free(f->base);
	gw_log_free(f->log);
	fclose(f->logf);
	free(f->logbuf);
	json_decref(f->events);
	if ((d = opendir(f->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char p[400];

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return rc;
}

/* ---------- configurations ---------- */

/* A configuration from JSON text written with ' for " and @ for the
 * scratch directory (printf-formatted first). No shell command here needs
 * a quote: traps call shell functions. */
static struct svcconf *
conf_of(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static struct svcconf *
conf_of(struct fx *f, const char *fmt, ...)
{
	char raw[8192], json[16384];
	struct gw_err e;
	struct svcconf *c;
	size_t i, n = 0;
	va_list ap;

	va_start(ap, fmt);
	assert_true((size_t)vsnprintf(raw, sizeof(raw), fmt, ap) < sizeof(raw));
	va_end(ap);
	for (i = 0; raw[i] != '\0'; i++) {
		assert_true(n + sizeof(f->dir) + 1 < sizeof(json));
		if (raw[i] == '@') {
			memcpy(json + n, f->dir, strlen(f->dir));
			n += strlen(f->dir);
		} else {
			json[n++] = raw[i] == '\'' ? '"' : raw[i];
		}
	}
	json[n] = '\0';
	e.msg[0] = '\0';
	if ((c = svcconf_parse(json, n, "t.json", &e)) == NULL)
		fail_msg("configuration refused: %s\n  %s", e.msg, json);
	return c;
}

/* Supervise c (owned from here) and start it. */
static void
start(struct fx *f, struct svcconf *c)
{
	struct gw_err e;

	e.msg[0] = '\0';
	f->s = super_new(f->base, c, f->log, &e);
	if (f->s == NULL) {
		svcconf_free(c);
		fail_msg("super_new: %s", e.msg);
	}
	super_on_critical(f->s, on_critical, f);
	super_reap(f->s);
	super_start(f->s);
	pump(f);
}

/* The shells below send their stderr to /dev/null: a signal that kills
 * their loop's sleep would make them say so on every run. */

/* A shell that records its signals: each of HUP USR1 USR2 appends its name
 * to @/NAME.log; it touches @/NAME.up once the traps are set. */
#define RECORDER(name) "'sh','-c','exec 2>/dev/null; " \
	"h() { echo HUP >> @/" name ".log; }; " \
	"u() { echo USR1 >> @/" name ".log; }; " \
	"v() { n=$((n+1)); echo USR2.$n >> @/" name ".log; }; n=0; trap h HUP; trap u USR1; trap v USR2; touch @/" name ".up; " \
	"while :; do sleep 0.05; done'"
#define READY_FILE(name) "'ready':{'argv':['test','-e','@/" name "'],'interval':0.05}"
/* Ignores TERM (its sleep dies of it; the loop goes on). */
#define STUBBORN(name) "'sh','-c','exec 2>/dev/null; trap : TERM; touch @/" name ".up; " \
	"while :; do sleep 0.05; done'"

/* ---------- tests ---------- */

/* b waits for a to be ready (a check that passes once a has made its file,
 * 0.3 s in); c only for a to be started. */
static void
test_dependency_order(void **state)
{
	struct fx *f = *state;
	json_t *a_started, *a_ready, *b_started;

	start(f, conf_of(f, "{'services':["
	    "{'name':'b','argv':['sleep','30'],"
	    " 'depends_on':[{'service':'a','condition':'ready'}]},"
	    "{'name':'c','argv':['sleep','30'],"
	    " 'depends_on':[{'service':'a','condition':'started'}]},"
	    "{'name':'a','argv':['sh','-c','sleep 0.3; touch @/a.up; exec sleep 30'],"
	    " " READY_FILE("a.up") "}]}"));
	/* super_start started a, and c with it; b waits */
	assert_true(state_is(f, "a", "starting"));
	assert_true(state_is(f, "c", "ready"));
	assert_true(state_is(f, "b", "waiting"));
	assert_int_equal(pid_of(f, "b"), 0);
	WAIT_EVENTS(f, "init.started", "b", 1, 5000);
	assert_true(EV_IDX(f, "init.started", "a", 0) < EV_IDX(f, "init.started", "c", 0));
	assert_true(EV_IDX(f, "init.started", "c", 0) < EV_IDX(f, "init.ready", "a", 0));
	assert_true(EV_IDX(f, "init.ready", "a", 0) < EV_IDX(f, "init.started", "b", 0));
	a_started = ev_get(f, "init.started", "a", 0);
	a_ready = ev_get(f, "init.ready", "a", 0);
	b_started = ev_get(f, "init.started", "b", 0);
	assert_true(ev_gap(a_started, b_started) >= 0.29);
	assert_true(json_real_value(ev_field(a_ready, "after_s")) >= 0.29);
	assert_int_equal(json_integer_value(ev_field(b_started, "pid")), pid_of(f, "b"));
	WAIT_STATE(f, "b", "ready", 2000);
}

/* "no" after exit 1 and "on-failure" after exit 0 both end in exited, with
 * last_exit {"code": N}; neither is started again. */
static void
test_restart_no_and_on_failure_after_success(void **state)
{
	struct fx *f = *state;

	start(f, conf_of(f, "{'services':["
	    "{'name':'no','argv':['sh','-c','exit 1'],'restart':'no'},"
	    "{'name':'ok','argv':['true'],'restart':'on-failure'}]}"));
	WAIT_STATE(f, "no", "exited", 3000);
	WAIT_STATE(f, "ok", "exited", 3000);
	assert_status_key(f, "no", "last_exit", "{\"code\": 1}");
	assert_status_key(f, "ok", "last_exit", "{\"code\": 0}");
	assert_status_key(f, "no", "pid", "null");
	assert_json_is(ev_field(ev_get(f, "init.exited", "no", 0), "exit"), "{\"code\": 1}");
	assert_int_equal(ev_count(f, "init.started", "no"), 1);
	assert_int_equal(ev_count(f, "init.started", "ok"), 1);
	assert_int_equal(ev_count(f, "init.backoff", NULL), 0);
	assert_int_equal(restarts_of(f, "no"), 0);
}

/* "on-failure" restarts after exit 1, through backoff. */
static void
test_restart_on_failure_after_failure(void **state)
{
	struct fx *f = *state;

	start(f, conf_of(f, "{'services':["
	    "{'name':'bad','argv':['sh','-c','exit 1'],'restart':'on-failure'}]}"));
	WAIT_EVENTS(f, "init.started", "bad", 2, 3000);
	assert_true(EV_IDX(f, "init.exited", "bad", 0) < EV_IDX(f, "init.backoff", "bad", 0));
	assert_true(EV_IDX(f, "init.backoff", "bad", 0) < EV_IDX(f, "init.started", "bad", 1));
	assert_true(restarts_of(f, "bad") >= 1);
	assert_status_key(f, "bad", "last_exit", "{\"code\": 1}");
}

/* "always" restarts after exit 0 too. */
static void
test_restart_always_after_success(void **state)
{
	struct fx *f = *state;

	start(f, conf_of(f, "{'services':["
	    "{'name':'t','argv':['true'],'restart':'always'}]}"));
	WAIT_EVENTS(f, "init.started", "t", 3, 3000);
	assert_json_is(ev_field(ev_get(f, "init.exited", "t", 0), "exit"), "{\"code\": 0}");
	assert_true(restarts_of(f, "t") >= 2);
	assert_status_key(f, "t", "last_exit", "{\"code\": 0}");
}

/* A death by signal: last_exit {"signal": "KILL", "code": 137}. */
static void
test_last_exit_by_signal(void **state)
{
	struct fx *f = *state;

	start(f, conf_of(f, "{'services':["
	    "{'name':'k','argv':['sh','-c','kill -KILL $$'],'restart':'no'}]}"));
	WAIT_STATE(f, "k", "exited", 3000);
	assert_status_key(f, "k", "last_exit", "{\"signal\": \"KILL\", \"code\": 137}");
	assert_json_is(ev_field(ev_get(f, "init.exited", "k", 0), "exit"),
	    "{\"signal\": \"KILL\", \"code\": 137}");
}

/* Backoff starts at 0.1 s and doubles up to max: the logged delays are
 * exact, the gaps between starts at least as long (lower bounds only). */
static void
test_backoff_doubles_to_max(void **state)
{
	struct fx *f = *state;
	double g[3], c3;
	int i;

	start(f, conf_of(f, "{'services':["
	    "{'name':'d','argv':['false'],'restart':'always',"
	    " 'backoff':{'initial':0.1,'max':10},'crash_loop':{'failures':100}},"
	    "{'name':'capped','argv':['false'],'restart':'always',"
	    " 'backoff':{'initial':0.1,'max':0.25},'crash_loop':{'failures':100}}]}"));
	WAIT_EVENTS(f, "init.started", "d", 4, 5000);
	WAIT_EVENTS(f, "init.started", "capped", 4, 5000);
	for (i = 0; i < 3; i++)
		g[i] = ev_gap(ev_get(f, "init.started", "d", i),
		    ev_get(f, "init.started", "d", i + 1));
	assert_float_equal(json_real_value(ev_field(ev_get(f, "init.backoff", "d", 0),
	    "delay_s")), 0.1, 1e-9);
	assert_float_equal(json_real_value(ev_field(ev_get(f, "init.backoff", "d", 1),
	    "delay_s")), 0.2, 1e-9);
	assert_float_equal(json_real_value(ev_field(ev_get(f, "init.backoff", "d", 2),
	    "delay_s")), 0.4, 1e-9);
	if (!(g[0] >= 0.095 && g[1] >= 0.19 && g[2] >= 0.39 && g[1] > g[0] &&
	    g[2] > g[1]))
		fail_msg("gaps between starts %.3f %.3f %.3f", g[0], g[1], g[2]);
	assert_float_equal(json_real_value(ev_field(ev_get(f, "init.backoff", "capped",
	    2), "delay_s")), 0.25, 1e-9);
	c3 = ev_gap(ev_get(f, "init.started", "capped", 2),
	    ev_get(f, "init.started", "capped", 3));
	if (c3 < 0.24)
		fail_msg("capped: third gap %.3f", c3);
}

/* crash_loop with give_up: fatal after `failures` failures, CRITICAL
 * init.crash_loop, not critical for the stack; ctl start tries again. */
static void
test_crash_loop_give_up(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	json_t *cl;

	start(f, conf_of(f, "{'services':["
	    "{'name':'x','argv':['sh','-c','exit 3'],'backoff':0,"
	    " 'crash_loop':{'failures':3,'window':60,'give_up':true}}]}"));
	WAIT_STATE(f, "x", "fatal", 3000);
	assert_int_equal(ev_count(f, "init.started", "x"), 3);
	assert_int_equal(ev_count(f, "init.crash_loop", "x"), 1);
	cl = ev_get(f, "init.crash_loop", "x", 0);
	assert_string_equal(json_string_value(json_object_get(cl, "level")), "critical");
	assert_int_equal(json_integer_value(ev_field(cl, "failures")), 3);
	assert_true(json_is_true(ev_field(cl, "give_up")));
	assert_status_key(f, "x", "last_exit", "{\"code\": 3}");
	assert_int_equal(super_critical_failed(f->s), 0);
	assert_int_equal(f->criticals, 0);
	assert_int_equal(super_ctl(f->s, "start", "x", &e), 0);
	WAIT_EVENTS(f, "init.started", "x", 4, 3000);
	WAIT_STATE(f, "x", "fatal", 3000);	/* and gives up again, */
	assert_int_equal(ev_count(f, "init.started", "x"), 6);	/* its count reset */
	super_shutdown(f->s, on_done, f);
	f->shut = 1;
	WAIT_DONE(f, 3000);
	assert_int_equal(super_exit_code(f->s), 0);
}

/* A critical service that goes fatal: critical_failed, its exit code, the
 * callback (which shuts down, as stack-init does); the code survives the
 * shutdown. */
static void
test_crash_loop_critical(void **state)
{
	struct fx *f = *state;

	f->shutdown_on_critical = 1;
	start(f, conf_of(f, "{'services':["
	    "{'name':'crit','argv':['sh','-c','exit 3'],'critical':true,'backoff':0,"
	    " 'crash_loop':{'failures':2,'give_up':true}},"
	    "{'name':'other','argv':['sleep','30']}]}"));
	assert_int_equal(super_critical_failed(f->s), 0);
	run_until(f, p_criticals, 3000, .n = 1);
	assert_int_equal(super_critical_failed(f->s), 1);
	assert_int_equal(super_exit_code(f->s), 3);
	assert_true(state_is(f, "crit", "fatal"));
	WAIT_DONE(f, 5000);
	assert_int_equal(f->criticals, 1);
	assert_int_equal(ev_count(f, "init.started", "crit"), 2);
	assert_true(EV_IDX(f, "init.stopped", "other", 0) >= 0);
	assert_int_equal(super_exit_code(f->s), 3);
	assert_true(state_is(f, "crit", "fatal"));
}

/* A critical service killed by a signal: the exit code is 128 + N. */
static void
test_crash_loop_critical_by_signal(void **state)
{
	struct fx *f = *state;

	start(f, conf_of(f, "{'services':["
	    "{'name':'crit','argv':['sh','-c','kill -KILL $$'],'critical':true,"
	    " 'crash_loop':{'failures':1,'give_up':true}}]}"));
	run_until(f, p_criticals, 3000, .n = 1);
	assert_int_equal(super_exit_code(f->s), 137);
	assert_int_equal(super_critical_failed(f->s), 1);
}

/* Without give_up: after the crash loop the service keeps retrying, at the
 * backoff cap. */
static void
test_crash_loop_retries_at_cap(void **state)
{
	struct fx *f = *state;
	json_t *cl;

	start(f, conf_of(f, "{'services':["
	    "{'name':'x','argv':['false'],'restart':'always',"
	    " 'backoff':{'initial':0.05,'max':0.3},'crash_loop':{'failures':2}}]}"));
	WAIT_EVENTS(f, "init.started", "x", 3, 3000);
	cl = ev_get(f, "init.crash_loop", "x", 0);
	assert_true(json_is_false(ev_field(cl, "give_up")));
	assert_true(EV_IDX(f, "init.started", "x", 1) < EV_IDX(f, "init.crash_loop", "x", 0));
	assert_true(EV_IDX(f, "init.crash_loop", "x", 0) < EV_IDX(f, "init.started", "x", 2));
	assert_float_equal(json_real_value(ev_field(ev_get(f, "init.backoff", "x", 0),
	    "delay_s")), 0.05, 1e-9);
	assert_float_equal(json_real_value(ev_field(ev_get(f, "init.backoff", "x", 1),
	    "delay_s")), 0.3, 1e-9);
	assert_int_equal(super_critical_failed(f->s), 0);
}

/* Shutdown: c (depends on b) stops before b, b before a; a TERM-ignoring
 * service is killed after its stop_timeout; done runs once; exit code 0. */
static void
test_shutdown_order_and_kill(void **state)
{
	struct fx *f = *state;
	json_t *a, *st;
	size_t i;

	start(f, conf_of(f, "{'services':["
	    "{'name':'a','argv':['sleep','30']},"
	    "{'name':'b','argv':['sleep','30'],'depends_on':['a']},"
	    "{'name':'c','argv':['sleep','30'],'depends_on':['b']},"
	    "{'name':'stubborn','argv':[" STUBBORN("s") "],'stop_timeout':0.5,"
	    " " READY_FILE("s.up") "},"
	    "{'name':'bo','argv':['false'],'restart':'always','backoff':{'initial':0.3}}]}"));
	WAIT_STATE(f, "c", "ready", 3000);
	WAIT_STATE(f, "bo", "backoff", 3000);
	WAIT_STATE(f, "stubborn", "ready", 3000);
	super_shutdown(f->s, on_done, f);
	f->shut = 1;
	pump(f);
	assert_true(EV_IDX(f, "init.stopping", "c", 0) >= 0);
	assert_int_equal(EV_IDX(f, "init.stopping", "b", 0), -1);
	assert_int_equal(EV_IDX(f, "init.stopping", "a", 0), -1);
	WAIT_DONE(f, 5000);
	assert_int_equal(f->done, 1);
	assert_int_equal(super_exit_code(f->s), 0);
	assert_true(EV_IDX(f, "init.stopped", "c", 0) < EV_IDX(f, "init.stopping", "b", 0));
	assert_true(EV_IDX(f, "init.stopped", "b", 0) < EV_IDX(f, "init.stopping", "a", 0));
	assert_true(EV_IDX(f, "init.stopped", "a", 0) >= 0);
	assert_true(ev_gap(ev_get(f, "init.stopping", "stubborn", 0),
	    ev_get(f, "init.killed", "stubborn", 0)) >= 0.49);
	assert_int_equal(ev_count(f, "init.killed", NULL), 1);
	assert_int_equal(ev_count(f, "init.started", "bo"), 1);	/* no respawn */
	assert_json_is(ev_field(ev_get(f, "init.stopped", "stubborn", 0), "exit"),
	    "{\"signal\": \"KILL\", \"code\": 137}");
	assert_json_is(ev_field(ev_get(f, "init.stopped", "c", 0), "exit"),
	    "{\"signal\": \"TERM\", \"code\": 143}");
	st = super_status(f->s);
	json_array_foreach(st, i, a) {
		assert_string_equal(json_string_value(json_object_get(a, "state")), "down");
		assert_true(json_is_null(json_object_get(a, "pid")));
	}
	json_decref(st);
}

/* ctl: stop (stays down under "always"), start, restart (new pid, one
 * restart), start on a running service does nothing, errors word for
 * word; after shutdown began, "shutting down". */
static void
test_ctl(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	long p1, p2, p3;
	size_t n;

	start(f, conf_of(f, "{'services':["
	    "{'name':'x','argv':['sleep','30'],'restart':'always'}]}"));
	WAIT_STATE(f, "x", "ready", 3000);
	p1 = pid_of(f, "x");
	assert_true(p1 > 0);

	assert_int_equal(super_ctl(f->s, "stop", "nope", &e), -1);
	assert_string_equal(e.msg, "unknown service 'nope'");
	assert_int_equal(super_ctl(f->s, "reboot", "x", &e), -1);
	assert_string_equal(e.msg, "unknown command 'reboot' (start, stop, restart)");

	n = json_array_size(f->events);
	assert_int_equal(super_ctl(f->s, "start", "x", &e), 0);
	pump(f);
	assert_int_equal(json_array_size(f->events), n);	/* nothing logged */
	assert_int_equal(pid_of(f, "x"), p1);
	assert_true(state_is(f, "x", "ready"));

	assert_int_equal(super_ctl(f->s, "stop", "x", &e), 0);
	WAIT_EVENTS(f, "init.stopped", "x", 1, 3000);
	assert_true(state_is(f, "x", "down"));
	assert_int_equal(pid_of(f, "x"), 0);
	assert_status_key(f, "x", "last_exit", "{\"signal\": \"TERM\", \"code\": 143}");
	assert_int_equal(ev_count(f, "init.started", "x"), 1);

	assert_int_equal(super_ctl(f->s, "start", "x", &e), 0);
	WAIT_STATE(f, "x", "ready", 3000);
	p2 = pid_of(f, "x");
	assert_true(p2 > 0 && p2 != p1);
	assert_int_equal(restarts_of(f, "x"), 0);

	assert_int_equal(super_ctl(f->s, "restart", "x", &e), 0);
	WAIT_EVENTS(f, "init.started", "x", 3, 3000);
	p3 = pid_of(f, "x");
	assert_true(p3 > 0 && p3 != p2);
	assert_int_equal(restarts_of(f, "x"), 1);
	assert_true(EV_IDX(f, "init.stopped", "x", 1) < EV_IDX(f, "init.started", "x", 2));

	super_shutdown(f->s, on_done, f);
	f->shut = 1;
	assert_int_equal(super_ctl(f->s, "start", "x", &e), -1);
	assert_string_equal(e.msg, "shutting down");
	WAIT_DONE(f, 3000);
}

/* ctl stop on a service waiting in backoff: down at once, its respawn
 * cancelled; ctl start starts it without waiting for the backoff. */
static void
test_ctl_stop_in_backoff(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	json_t *bo;
	double t0;

	start(f, conf_of(f, "{'services':["
	    "{'name':'x','argv':['false'],'restart':'always',"
	    " 'backoff':{'initial':5,'max':20}}]}"));
	WAIT_STATE(f, "x", "backoff", 3000);
	assert_int_equal(super_ctl(f->s, "stop", "x", &e), 0);
	assert_true(state_is(f, "x", "down"));
	t0 = mono();
	assert_int_equal(super_ctl(f->s, "start", "x", &e), 0);
	WAIT_EVENTS(f, "init.started", "x", 2, 3000);
	assert_true(mono() - t0 < 4.5);	/* not after the 5 s backoff */
	/* the policy goes on, its backoff reset: 5 s again, not 10 */
	WAIT_EVENTS(f, "init.backoff", "x", 2, 3000);
	bo = ev_get(f, "init.backoff", "x", 1);
	assert_float_equal(json_real_value(ev_field(bo, "delay_s")), 5, 1e-9);
}

/* ctl start while the service is still stopping (ctl stop, a slow stop)
 * must bring it back once it is down (it once returned "already running"
 * and the start was lost). */
static void
test_ctl_start_while_stopping(void **state)
{
	struct fx *f = *state;
	struct gw_err e;

	start(f, conf_of(f, "{'services':["
	    "{'name':'x','argv':[" STUBBORN("x") "],'stop_timeout':0.3,"
	    " " READY_FILE("x.up") "}]}"));
	WAIT_STATE(f, "x", "ready", 3000);
	assert_int_equal(super_ctl(f->s, "stop", "x", &e), 0);
	assert_true(state_is(f, "x", "stopping"));
	assert_int_equal(super_ctl(f->s, "start", "x", &e), 0);
	WAIT_EVENTS(f, "init.stopped", "x", 1, 3000);
	WAIT_EVENTS(f, "init.started", "x", 2, 3000);
}

/* super_forward: a service gets a signal only when its forward_signals
 * include it (default: all). Two direct USR2s to each shell afterwards, the
 * second sent once the first is logged, are the barrier. One is not enough:
 * dash runs pending traps in one pass in signal-number order, so a HUP that
 * arrives while the USR1 trap runs is logged after a USR2 that arrived with
 * it (seen in CI on a loaded machine). Anything pending when the first USR2
 * has been logged has a lower number than USR2 and so is logged before the
 * second. */
static void
test_forward_signals(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = { "u1", "hup", "all", "none" };
	char path[128], *s;
	size_t i, r;

	start(f, conf_of(f, "{'services':["
	    "{'name':'u1','argv':[" RECORDER("u1") "],'forward_signals':['USR1'],"
	    " " READY_FILE("u1.up") "},"
	    "{'name':'hup','argv':[" RECORDER("hup") "],'forward_signals':['HUP'],"
	    " " READY_FILE("hup.up") "},"
	    "{'name':'all','argv':[" RECORDER("all") "]," READY_FILE("all.up") "},"
	    "{'name':'none','argv':[" RECORDER("none") "],'forward_signals':[],"
	    " " READY_FILE("none.up") "}]}"));
	for (i = 0; i < 4; i++)
		WAIT_STATE(f, names[i], "ready", 3000);
	super_forward(f->s, SIGUSR1);
	super_forward(f->s, SIGHUP);
	for (r = 1; r <= 2; r++) {
		for (i = 0; i < 4; i++)
			assert_int_equal(kill((pid_t)pid_of(f, names[i]), SIGUSR2), 0);
		for (i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "%s/%s.log", f->dir, names[i]);
			WAIT_FILE_HAS(f, path, r == 1 ? "USR2.1" : "USR2.2", 3000);
		}
	}
	snprintf(path, sizeof(path), "%s/u1.log", f->dir);
	assert_string_equal(s = slurp(path), "USR1\nUSR2.1\nUSR2.2\n");
	free(s);
	snprintf(path, sizeof(path), "%s/hup.log", f->dir);
	assert_string_equal(s = slurp(path), "HUP\nUSR2.1\nUSR2.2\n");
	free(s);
	snprintf(path, sizeof(path), "%s/none.log", f->dir);
	assert_string_equal(s = slurp(path), "USR2.1\nUSR2.2\n");
	free(s);
	/* both forwarded, each once, in either order, USR2.1 maybe between */
	snprintf(path, sizeof(path), "%s/all.log", f->dir);
	s = slurp(path);
	if (strlen(s) != strlen("HUP\nUSR1\nUSR2.1\nUSR2.2\n") ||
	    (strncmp(s, "HUP\n", 4) != 0 && strstr(s, "\nHUP\n") == NULL) ||
	    (strncmp(s, "USR1\n", 5) != 0 && strstr(s, "\nUSR1\n") == NULL) ||
	    strcmp(s + strlen(s) - 7, "USR2.2\n") != 0)
		fail_msg("all.log: %s", s);
	free(s);
	/* the forwarded signals killed the shells' sleeps, not the services */
	for (i = 0; i < 4; i++)
		assert_int_equal(ev_count(f, "init.exited", names[i]), 0);
}

/* Reload: unchanged keeps its pid, changed gets a new one, removed stops,
 * added starts; the summary; the new table only once the old runs are down
 * (pointer equality). */
static void
test_reload(void **state)
{
	struct fx *f = *state;
	const struct svcconf *old;
	struct svcconf *next;
	struct gw_err e;
	json_t *sum = NULL, *st, *v;
	long pk, pc;
	size_t i;

	start(f, conf_of(f, "{'services':["
	    "{'name':'keep','argv':['sleep','30']},"
	    "{'name':'chg','argv':['sleep','30']},"
	    "{'name':'gone','argv':['sleep','30']}]}"));
	WAIT_STATE(f, "gone", "ready", 3000);
	pk = pid_of(f, "keep");
	pc = pid_of(f, "chg");
	old = super_config(f->s);
	next = conf_of(f, "{'services':["
	    "{'name':'keep','argv':['sleep','30']},"
	    "{'name':'chg','argv':['sleep','31']},"
	    "{'name':'added','argv':['sleep','30']}]}");
	assert_int_equal(super_reload(f->s, next, &sum, &e), 0);
	assert_json_is(sum, "{\"added\":[\"added\"],\"removed\":[\"gone\"],"
	    "\"changed\":[\"chg\"],\"unchanged\":[\"keep\"]}");
	json_decref(sum);
	pump(f);
	v = ev_get(f, "init.reload", NULL, 0);
	assert_json_is(json_object_get(v, "fields"), "{\"added\":[\"added\"],"
	    "\"removed\":[\"gone\"],\"changed\":[\"chg\"],\"unchanged\":1}");
	assert_ptr_equal(super_config(f->s), old);	/* chg and gone still stopping */
	WAIT_EVENTS(f, "init.reloaded", NULL, 1, 3000);
	assert_ptr_equal(super_config(f->s), next);
	assert_json_is(json_object_get(ev_get(f, "init.reloaded", NULL, 0), "fields"),
	    "{\"services\":3,\"kept\":1}");
	WAIT_STATE(f, "added", "ready", 3000);
	WAIT_STATE(f, "chg", "ready", 3000);
	assert_int_equal(pid_of(f, "keep"), pk);
	assert_true(pid_of(f, "chg") != pc && pid_of(f, "chg") > 0);
	assert_int_equal(ev_count(f, "init.started", "keep"), 1);
	assert_true(EV_IDX(f, "init.stopped", "gone", 0) >= 0);
	assert_true(EV_IDX(f, "init.stopped", "chg", 0) < EV_IDX(f, "init.started", "chg", 1));
	st = super_status(f->s);
	assert_int_equal(json_array_size(st), 3);
	json_array_foreach(st, i, v)
		assert_string_not_equal(json_string_value(json_object_get(v, "name")), "gone");
	json_decref(st);
	assert_true(kill((pid_t)pk, 0) == 0);
}

/* A second reload while the first still stops a slow service is refused;
 * once it is through, reloads work again; after shutdown began they are
 * refused with "shutting down". */
static void
test_reload_in_progress_and_shutting_down(void **state)
{
	struct fx *f = *state;
	struct svcconf *n1, *n2, *n3;
	struct gw_err e;

	start(f, conf_of(f, "{'services':["
	    "{'name':'slow','argv':[" STUBBORN("slow") "],'stop_timeout':0.5,"
	    " " READY_FILE("slow.up") "},"
	    "{'name':'keep','argv':['sleep','30']}]}"));
	WAIT_STATE(f, "slow", "ready", 3000);
	n1 = conf_of(f, "{'services':[{'name':'keep','argv':['sleep','30']}]}");
	n2 = conf_of(f, "{'services':[{'name':'keep','argv':['sleep','30']},"
	    "{'name':'other','argv':['sleep','30']}]}");
	assert_int_equal(super_reload(f->s, n1, NULL, &e), 0);
	assert_true(state_is(f, "slow", "stopping"));
	assert_int_equal(super_reload(f->s, n2, NULL, &e), -1);
	assert_string_equal(e.msg, "a reload is already in progress");
	WAIT_EVENTS(f, "init.reloaded", NULL, 1, 3000);
	assert_ptr_equal(super_config(f->s), n1);
	assert_true(EV_IDX(f, "init.killed", "slow", 0) < EV_IDX(f, "init.reloaded", NULL, 0));
	assert_true(ev_gap(ev_get(f, "init.stopping", "slow", 0),
	    ev_get(f, "init.killed", "slow", 0)) >= 0.49);
	/* n2 is still ours, and now goes through */
	assert_int_equal(super_reload(f->s, n2, NULL, &e), 0);
	WAIT_EVENTS(f, "init.reloaded", NULL, 2, 3000);
	assert_ptr_equal(super_config(f->s), n2);
	WAIT_STATE(f, "other", "ready", 3000);
	super_shutdown(f->s, on_done, f);
	f->shut = 1;
	n3 = conf_of(f, "{'services':[{'name':'keep','argv':['sleep','30']}]}");
	assert_int_equal(super_reload(f->s, n3, NULL, &e), -1);
	assert_string_equal(e.msg, "shutting down");
	svcconf_free(n3);
	WAIT_DONE(f, 3000);
}

/* A "pause" follower is SIGSTOPped (state T) while its leader goes through
 * a scheduled restart (a few seconds ahead), continued once the leader is
 * ready again, and keeps its pid. */
static void
test_follower_pause(void **state)
{
	struct fx *f = *state;
	time_t fire = time(NULL) + 3;
	struct tm tm;
	char at[16];
	long p1;

	gmtime_r(&fire, &tm);
	strftime(at, sizeof(at), "%H:%M:%S", &tm);
	start(f, conf_of(f, "{'services':["
	    "{'name':'gw','argv':['sh','-c','exec 2>/dev/null; f() { rm -f @/gw.up; exit 0; }; "
	    "trap f TERM; rm -f @/gw.up; sleep 0.8; touch @/gw.up; "
	    "while :; do sleep 0.05; done'],"
	    " " READY_FILE("gw.up") ",'restart':'always','backoff':0,"
	    " 'schedule':[{'at':'%s','tz':'UTC','days':'daily','action':'restart'}],"
	    " 'ready_after_restart':20},"
	    "{'name':'fol','argv':['sh','-c','while :; do sleep 0.05; done'],"
	    " 'depends_on':[{'service':'gw','condition':'ready'}],"
	    " 'follows':{'service':'gw','mode':'pause'}}]}", at));
	WAIT_STATE(f, "fol", "ready", 3000);
	assert_int_equal(ev_count(f, "init.scheduled_restart", "gw"), 0);
	p1 = pid_of(f, "fol");
	WAIT_EVENTS(f, "init.paused", "fol", 1, 6000);
	assert_true(state_is(f, "fol", "paused"));
	run_until(f, p_proc_is, 700, .pid = p1, .proc = 'T');
	assert_int_equal(ev_count(f, "init.resumed", "fol"), 0);	/* still */
	WAIT_EVENTS(f, "init.resumed", "fol", 1, 5000);
	run_until(f, p_proc_is_not, 2000, .pid = p1, .proc = 'T');
	assert_int_equal(pid_of(f, "fol"), p1);
	assert_true(state_is(f, "fol", "ready"));
	assert_int_equal(restarts_of(f, "fol"), 0);
	assert_int_equal(ev_count(f, "init.started", "fol"), 1);
	assert_true(EV_IDX(f, "init.scheduled_restart", "gw", 0) < EV_IDX(f, "init.paused", "fol", 0));
	assert_true(EV_IDX(f, "init.paused", "fol", 0) < EV_IDX(f, "init.stopped", "gw", 0));
	assert_true(EV_IDX(f, "init.stopped", "gw", 0) < EV_IDX(f, "init.ready", "gw", 1));
	assert_true(EV_IDX(f, "init.restart_completed", "gw", 0) < EV_IDX(f, "init.resumed", "fol", 0));
	assert_true(EV_IDX(f, "init.ready", "gw", 1) < EV_IDX(f, "init.resumed", "fol", 0));
}

/* An external leader restarted through a command that never interrupts
 * its readiness (the check passes throughout): the restart is taken as
 * done once restart_settle (default 5 s) passed and a check passes, and
 * its paused follower is let go then, not after 60 s. The manual restart
 * says it was one, and by which method. */
static void
test_restart_settle_releases_followers(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	json_t *req, *paused, *resumed;
	double gap;

	start(f, conf_of(f, "{'services':["
	    "{'name':'gw','external':true,"
	    " 'ready':{'argv':['true'],'interval':0.1},"
	    " 'restart_action':{'argv':['true']}},"
	    "{'name':'fol','argv':['sh','-c','while :; do sleep 0.05; done'],"
	    " 'depends_on':[{'service':'gw','condition':'ready'}],"
	    " 'follows':{'service':'gw','mode':'pause'}}]}"));
	WAIT_STATE(f, "fol", "ready", 3000);
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	WAIT_EVENTS(f, "init.paused", "fol", 1, 3000);
	WAIT_EVENTS(f, "init.resumed", "fol", 1, 9000);
	paused = ev_get(f, "init.paused", "fol", 0);
	resumed = ev_get(f, "init.resumed", "fol", 0);
	gap = ev_gap(paused, resumed);
	if (gap < 4.9 || gap > 8)
		fail_msg("follower paused for %.3f s, want 5 s (restart_settle) + a check", gap);
	assert_true(EV_IDX(f, "init.restart_completed", "gw", 0) <
	    EV_IDX(f, "init.resumed", "fol", 0));
	/* a manual restart, through the restart command: said so */
	assert_int_equal(ev_count(f, "init.scheduled_restart", NULL), 0);
	req = ev_get(f, "init.restart_requested", "gw", 0);
	assert_json_is(ev_field(req, "trigger"), "\"ctl\"");
	assert_json_is(ev_field(req, "method"), "\"command\"");
	assert_string_equal(json_string_value(json_object_get(req, "message")),
	    "gw: restart requested by ctl (restart command)");
	assert_string_equal(json_string_value(json_object_get(ev_get(f,
	    "init.restart_completed", "gw", 0), "message")),
	    "gw: ready again after its restart (ctl)");
}

/* With restart_settle 0.3 and a restart that does drop readiness for a
 * while, ready again means the check passing after it failed. */
static void
test_restart_settle_after_a_failed_check(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/up", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	start(f, conf_of(f, "{'services':["
	    "{'name':'gw','external':true,'restart_settle':0.3,"
	    " 'ready':{'argv':['test','-e','@/up'],'interval':0.1},"
	    " 'restart_action':{'argv':['rm','@/up']}}]}"));
	WAIT_STATE(f, "gw", "ready", 3000);
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	WAIT_EVENTS(f, "init.restart_action", "gw", 1, 3000);
	WAIT_STATE(f, "gw", "starting", 3000);
	/* long past the settle time: still not ready, the check fails */
	assert_false(run_until_(f, p_events, &(const struct want){ .event =
	    "init.restart_completed", .svc = "gw", .n = 1 }, 1000, 2, "", __LINE__));
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	WAIT_EVENTS(f, "init.restart_completed", "gw", 1, 3000);
	assert_true(state_is(f, "gw", "ready"));
}

/* Events at warning or above so far, named in *first (or NULL). */
static int
loud_events(struct fx *f, const char **first)
{
	size_t i;
	json_t *e;
	int n = 0;

	pump(f);
	*first = NULL;
	json_array_foreach(f->events, i, e) {
		const char *lv = json_string_value(json_object_get(e, "level"));

		if (lv != NULL && strcmp(lv, "debug") != 0 &&
		    strcmp(lv, "info") != 0) {
			if (n++ == 0)
				*first = ev_name(e);
		}
	}
	return n;
}

static void
touch_at(struct fx *f, const char *name)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
}

/* The restart file of an external leader restarted by ctl through a
 * command, with a "stop" follower: it says in_progress when the follower
 * is stopped and when the command runs, completed before the follower is
 * started again; the follower got GWKIT_RESTART_FILE; ctl status shows
 * it; nothing at warning or above is said on the way. */
static void
test_restart_file(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	char path[128], *s;
	const char *loud;
	json_t *o;

	touch_at(f, "up");
	start(f, conf_of(f, "{'services':["
	    "{'name':'gw','external':true,'restart_settle':0.3,"
	    " 'ready':{'argv':['test','-e','@/up'],'interval':0.05},"
	    " 'restart_action':{'argv':['sh','-c','cat @/restart-gw.json > "
	    "@/act.seen; rm -f @/up; echo done > @/act.done']}},"
	    "{'name':'fol','argv':['sh','-c','exec 2>/dev/null; echo "
	    "$GWKIT_RESTART_FILE > @/fol.var; cat $GWKIT_RESTART_FILE >> "
	    "@/fol.start; echo started >> @/fol.start; f() { cat "
	    "@/restart-gw.json > @/fol.stop; exit 0; }; trap f TERM; "
	    "while :; do sleep 0.05; done'],"
	    " 'follows':{'service':'gw','mode':'stop'}}]}"));
	WAIT_STATE(f, "fol", "ready", 3000);
	WAIT_STATE(f, "gw", "ready", 3000);
	snprintf(path, sizeof(path), "%s/fol.start", f->dir);
	WAIT_FILE_HAS(f, path, "started", 3000);
	assert_status_key(f, "gw", "restart", "null");
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	snprintf(path, sizeof(path), "%s/act.seen", f->dir);
	WAIT_FILE_HAS(f, path, "\"state\":\"in_progress\"", 3000);
	s = slurp(path);
	assert_non_null(strstr(s, "\"trigger\":\"ctl\""));
	assert_non_null(strstr(s, "\"method\":\"command\""));
	assert_non_null(strstr(s, "\"ended\":null"));
	free(s);
	snprintf(path, sizeof(path), "%s/fol.stop", f->dir);
	WAIT_FILE_HAS(f, path, "\"state\":\"in_progress\"", 3000);
	o = status_of(f, "gw");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o,
	    "restart"), "state")), "in_progress");
	json_decref(o);
	/* the action has removed "up" (the gateway is down) before it is back */
	snprintf(path, sizeof(path), "%s/act.done", f->dir);
	WAIT_FILE_HAS(f, path, "done", 3000);
	touch_at(f, "up");
	WAIT_EVENTS(f, "init.restart_completed", "gw", 1, 5000);
	snprintf(path, sizeof(path), "%s/fol.start", f->dir);
	WAIT_FILE_HAS(f, path, "\"state\":\"completed\"", 5000);
	snprintf(path, sizeof(path), "%s/restart-gw.json", f->dir);
	s = slurp(path);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"state\":\"completed\""));
	free(s);
	o = status_of(f, "gw");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o,
	    "restart"), "state")), "completed");
	assert_true(json_is_string(json_object_get(json_object_get(o, "restart"),
	    "ended")));
	json_decref(o);
	assert_status_key(f, "fol", "restart", "null");
	snprintf(path, sizeof(path), "%s/fol.var", f->dir);
	s = slurp(path);
	assert_non_null(s);
	snprintf(path, sizeof(path), "%s/restart-gw.json\n", f->dir);
	assert_string_equal(s, path);
	free(s);
	if (loud_events(f, &loud) != 0)
		fail_msg("a restart that went well said %s at warning or above",
		    loud);
}

/* A restart action that fails: the file says failed. */
static void
test_restart_file_failed(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	char path[128];

	start(f, conf_of(f, "{'services':["
	    "{'name':'gw','external':true,"
	    " 'ready':{'argv':['true'],'interval':0.05},"
	    " 'restart_action':{'argv':['false']}}]}"));
	WAIT_STATE(f, "gw", "ready", 3000);
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	WAIT_EVENTS(f, "init.restart_action_failed", "gw", 1, 3000);
	snprintf(path, sizeof(path), "%s/restart-gw.json", f->dir);
	WAIT_FILE_HAS(f, path, "\"state\":\"failed\"", 3000);
	assert_int_equal(ev_count(f, "init.restart_completed", "gw"), 0);
}

/* ctl stop during a restart: it will not complete; the file says failed
 * at once (its readers stop holding their alerts), no critical alert. */
static void
test_restart_file_stopped(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	char path[128];

	touch_at(f, "up");
	start(f, conf_of(f, "{'services':["
	    "{'name':'gw','argv':['sleep','100'],"
	    " 'ready':{'argv':['test','-e','@/up'],'interval':0.05},"
	    " 'restart_action':{'argv':['rm','-f','@/up']}}]}"));
	WAIT_STATE(f, "gw", "ready", 3000);
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	snprintf(path, sizeof(path), "%s/restart-gw.json", f->dir);
	WAIT_FILE_HAS(f, path, "\"state\":\"in_progress\"", 3000);
	WAIT_STATE(f, "gw", "starting", 3000);
	if (super_ctl(f->s, "stop", "gw", &e) != 0)
		fail_msg("ctl stop: %s", e.msg);
	WAIT_FILE_HAS(f, path, "\"state\":\"failed\"", 3000);
	assert_int_equal(ev_count(f, "init.not_ready_after_restart", "gw"), 0);
	assert_int_equal(ev_count(f, "init.restart_completed", "gw"), 0);
}

/* At start-up a file a previous run left for a configured service is
 * removed (another one is not); a ctl restart of a local service (stop
 * signal, respawn) is told too. */
static void
test_restart_file_stale_and_respawn(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	char path[128], other[128];
	json_t *o, *r;

	touch_at(f, "restart-x.json");
	touch_at(f, "restart-other.json");
	snprintf(path, sizeof(path), "%s/restart-x.json", f->dir);
	snprintf(other, sizeof(other), "%s/restart-other.json", f->dir);
	start(f, conf_of(f, "{'services':["
	    "{'name':'x','argv':['sleep','30']}]}"));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(access(other, F_OK), 0);
	assert_int_equal(ev_count(f, "init.restart_file_removed", "x"), 1);
	WAIT_STATE(f, "x", "ready", 3000);
	assert_status_key(f, "x", "restart", "null");
	assert_int_equal(super_ctl(f->s, "restart", "x", &e), 0);
	WAIT_EVENTS(f, "init.ready", "x", 2, 3000);
	WAIT_FILE_HAS(f, path, "\"state\":\"completed\"", 3000);
	o = status_of(f, "x");
	r = json_object_get(o, "restart");
	assert_string_equal(json_string_value(json_object_get(r, "method")),
	    "respawn");
	assert_string_equal(json_string_value(json_object_get(r, "trigger")),
	    "ctl");
	assert_string_equal(json_string_value(json_object_get(r, "service")), "x");
	json_decref(o);
}

/* The file cannot be written (the runtime directory is a file): a
 * warning, and the restart happens all the same. */
static void
test_restart_file_write_fails(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	char path[128];

	touch_at(f, "notadir");
	snprintf(path, sizeof(path), "%s/notadir", f->dir);
	assert_int_equal(setenv("GWKIT_RUNTIME_DIR", path, 1), 0);
	start(f, conf_of(f, "{'services':["
	    "{'name':'x','argv':['sleep','30']}]}"));
	WAIT_STATE(f, "x", "ready", 3000);
	assert_int_equal(super_ctl(f->s, "restart", "x", &e), 0);
	WAIT_EVENTS(f, "init.ready", "x", 2, 3000);
	assert_int_equal(restarts_of(f, "x"), 1);
	assert_true(ev_count(f, "init.restart_file_error", "x") >= 1);
	assert_string_equal(json_string_value(json_object_get(ev_get(f,
	    "init.restart_file_error", "x", 0), "level")), "warning");
}

/* Health checks that fail while the service restarts through its action
 * (the command still running) give no verdict: no init.unhealthy, no
 * warning. */
static void
test_health_quiet_during_restart(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	char path[128];
	const char *loud;

	touch_at(f, "up");
	start(f, conf_of(f, "{'services':["
	    "{'name':'gw','external':true,'restart_settle':0.2,"
	    " 'ready':{'argv':['test','-e','@/up'],'interval':0.05},"
	    " 'health':{'interval':0.05,'retries':1},"
	    " 'restart_action':{'argv':['sh','-c','rm -f @/up; i=0; while [ "
	    "$i -lt 10 ]; do echo x >> @/during; i=$((i+1)); sleep 0.1; done; "
	    "touch @/up']}}]}"));
	WAIT_STATE(f, "gw", "ready", 3000);
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	WAIT_EVENTS(f, "init.restart_completed", "gw", 1, 8000);
	snprintf(path, sizeof(path), "%s/during", f->dir);
	assert_true(access(path, F_OK) == 0);
	assert_int_equal(ev_count(f, "init.unhealthy", "gw"), 0);
	if (loud_events(f, &loud) != 0)
		fail_msg("a restart that went well said %s at warning or above",
		    loud);
}

/* A failing readiness check whose exit status is in fast_exit is run
 * again after fast_interval, not interval: ten runs well within a
 * deadline that interval 2 would need 18 s for. */
static void
test_ready_fast_exit(void **state)
{
	struct fx *f = *state;
	char path[128];
	char *s, *p;
	int n = 0;

	touch_at(f, "runs");
	start(f, conf_of(f, "{'services':["
	    "{'name':'a','argv':['sleep','30'],"
	    " 'ready':{'argv':['sh','-c','echo x >> @/runs; [ $(wc -l < @/runs) "
	    "-ge 10 ] || exit 11'],'interval':2,'fast_exit':[10,11],"
	    "'fast_interval':0.05}}]}"));
	WAIT_STATE(f, "a", "ready", 6000);
	snprintf(path, sizeof(path), "%s/runs", f->dir);
	s = slurp(path);
	for (p = s; p && (p = strchr(p, '\n')) != NULL; p++)
		n++;
	free(s);
	assert_int_equal(n, 10);
}

/* Health checks once ready: after `retries` failures in a row an error
 * (init.unhealthy), a pass after that init.healthy; with action restart
 * the service is restarted through its restart action. */
static void
test_health(void **state)
{
	struct fx *f = *state;
	char path[128];
	json_t *u;
	long p1;

	start(f, conf_of(f, "{'services':["
	    "{'name':'al','argv':['sh','-c','touch @/al.ok; exec sleep 30'],"
	    " 'ready':{'argv':['test','-e','@/al.ok'],'interval':0.05},"
	    " 'health':{'interval':0.1,'retries':3}},"
	    "{'name':'rs','argv':['sh','-c','touch @/rs.ok; exec sleep 30'],"
	    " 'health':{'argv':['test','-e','@/rs.ok'],'interval':0.1,"
	    "'retries':2,'action':'restart'}}]}"));
	WAIT_STATE(f, "al", "ready", 3000);
	WAIT_STATE(f, "rs", "ready", 3000);
	p1 = pid_of(f, "rs");
	/* a few healthy rounds: nothing said */
	assert_false(run_until_(f, p_events, &(const struct want){ .event =
	    "init.unhealthy", .n = 1 }, 600, 2, "", __LINE__));
	snprintf(path, sizeof(path), "%s/al.ok", f->dir);
	unlink(path);
	WAIT_EVENTS(f, "init.unhealthy", "al", 1, 3000);
	u = ev_get(f, "init.unhealthy", "al", 0);
	assert_string_equal(json_string_value(json_object_get(u, "level")), "error");
	assert_json_is(ev_field(u, "failures"), "3");
	assert_json_is(ev_field(u, "action"), "\"alert\"");
	assert_json_is(ev_field(u, "last"), "{\"code\": 1}");
	assert_true(state_is(f, "al", "ready"));	/* alert only */
	assert_int_equal(ev_count(f, "init.unhealthy", "al"), 1);	/* once */
	assert_int_equal(ev_count(f, "init.healthy", "al"), 0);
	{
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fclose(fp);
	}
	WAIT_EVENTS(f, "init.healthy", "al", 1, 3000);
	assert_int_equal(ev_count(f, "init.unhealthy", "al"), 1);
	assert_int_equal(ev_count(f, "init.started", "al"), 1);

	snprintf(path, sizeof(path), "%s/rs.ok", f->dir);
	unlink(path);
	WAIT_EVENTS(f, "init.unhealthy", "rs", 1, 3000);
	assert_json_is(ev_field(ev_get(f, "init.unhealthy", "rs", 0), "action"),
	    "\"restart\"");
	WAIT_EVENTS(f, "init.restart_requested", "rs", 1, 3000);
	assert_json_is(ev_field(ev_get(f, "init.restart_requested", "rs", 0),
	    "trigger"), "\"health\"");
	WAIT_EVENTS(f, "init.started", "rs", 2, 3000);
	WAIT_EVENTS(f, "init.healthy", "rs", 1, 3000);
	assert_true(pid_of(f, "rs") != p1);
	assert_true(EV_IDX(f, "init.unhealthy", "rs", 0) < EV_IDX(f, "init.stopping", "rs", 0));
	WAIT_EVENTS(f, "init.restart_completed", "rs", 1, 3000);
}

/* A follower paused around its leader's restart is not judged by its
 * health check (it is frozen, and the gateway is down): no init.unhealthy,
 * no health restart; once resumed its health checks go on. */
static void
test_health_not_while_paused(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	char up[128], ok[128];
	FILE *fp;

	snprintf(up, sizeof(up), "%s/up", f->dir);
	snprintf(ok, sizeof(ok), "%s/bot.ok", f->dir);
	assert_non_null(fp = fopen(up, "w"));
	fclose(fp);
	assert_non_null(fp = fopen(ok, "w"));
	fclose(fp);
	start(f, conf_of(f, "{'services':["
	    "{'name':'gw','external':true,'restart_settle':0.3,"
	    " 'ready':{'argv':['test','-e','@/up'],'interval':0.1},"
	    " 'restart_action':{'argv':['rm','@/up','@/bot.ok']}},"
	    "{'name':'bot','argv':['sleep','30'],"
	    " 'follows':{'service':'gw','mode':'pause'},"
	    " 'health':{'argv':['test','-e','@/bot.ok'],'interval':0.05,"
	    "'retries':2,'action':'restart'}}]}"));
	WAIT_STATE(f, "gw", "ready", 3000);
	WAIT_STATE(f, "bot", "ready", 3000);
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	WAIT_EVENTS(f, "init.paused", "bot", 1, 3000);
	/* a second past many health intervals: the frozen bot is not judged */
	assert_false(run_until_(f, p_events, &(const struct want){ .event =
	    "init.unhealthy", .svc = "bot", .n = 1 }, 1000, 2, "", __LINE__));
	assert_int_equal(ev_count(f, "init.restart_requested", "bot"), 0);
	assert_non_null(fp = fopen(ok, "w"));
	fclose(fp);
	assert_non_null(fp = fopen(up, "w"));
	fclose(fp);
	WAIT_EVENTS(f, "init.resumed", "bot", 1, 3000);
	/* resumed: its health checks go on */
	unlink(ok);
	WAIT_EVENTS(f, "init.unhealthy", "bot", 1, 3000);
}

/* What is left of a service's group: a warning only when a live process
 * was killed; exited ones waiting to be reaped are routine. */
static void
test_killed_group_only_live(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	int i, k;

	start(f, conf_of(f, "{'services':["
	    "{'name':'w','argv':['sh','-c','sleep 30 & wait']},"
	    "{'name':'s','argv':['sh','-c','exec 2>/dev/null; (trap : TERM; "
	    "while :; do sleep 0.05; done) & exec sleep 30'],'restart':'no'}]}"));
	WAIT_STATE(f, "w", "ready", 3000);
	for (i = 0; i < 6; i++) {
		assert_int_equal(super_ctl(f->s, "restart", "w", &e), 0);
		WAIT_EVENTS(f, "init.started", "w", i + 2, 3000);
	}
	for (i = 0; (k = EV_IDX(f, "init.killed_group", "w", i)) >= 0; i++)
		assert_string_equal(json_string_value(json_object_get(
		    json_array_get(f->events, (size_t)k), "level")), "debug");
	/* a straggler that survives TERM: killed, and a warning */
	WAIT_STATE(f, "s", "ready", 3000);
	usleep(200000);	/* the subshell has set its trap */
	assert_int_equal(super_ctl(f->s, "stop", "s", &e), 0);
	WAIT_EVENTS(f, "init.killed_group", "s", 1, 3000);
	k = EV_IDX(f, "init.killed_group", "s", 0);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(f->events, (size_t)k), "level")), "warning");
	assert_true(json_integer_value(ev_field(json_array_get(f->events,
	    (size_t)k), "processes")) >= 1);
}

static void
on_hold_resume(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;

	(void)fd;
	(void)what;
	f->resume(f->resume_arg);
}

/* The hold: note which services still run; resume 0.3 s later. */
static void
on_hold(void *arg, void (*resume)(void *), void *rarg)
{
	struct fx *f = arg;
	json_t *st = super_status(f->s), *v;
	struct timeval tv = { 0, 300000 };
	size_t i;

	f->holds++;
	f->resume = resume;
	f->resume_arg = rarg;
	f->hold_running[0] = '\0';
	json_array_foreach(st, i, v)
		if (json_integer_value(json_object_get(v, "pid")) > 0) {
			strcat(f->hold_running, json_string_value(json_object_get(v, "name")));
			strcat(f->hold_running, " ");
		}
	json_decref(st);
	event_base_once(f->base, -1, EV_TIMEOUT, on_hold_resume, f, &tv);
}

/* Shutdown with a notifier: everything else stops first (but what the
 * notifier depends on), then the hold (alerts flushed), then the
 * notifier, then its dependency; a stop that is not clean is a warning. */
static void
test_shutdown_notifier_last(void **state)
{
	struct fx *f = *state;
	json_t *st;

	start(f, conf_of(f, "{'services':["
	    "{'name':'base','argv':['sleep','30']},"
	    "{'name':'n','argv':['sleep','30'],'notifier':true,'depends_on':['base']},"
	    "{'name':'a','argv':['sh','-c','exec 2>/dev/null; t() { exit 3; }; trap t TERM; "
	    "while :; do sleep 0.05; done']},"
	    "{'name':'b','argv':['sleep','30'],'depends_on':['a']}]}"));
	WAIT_STATE(f, "b", "ready", 3000);
	WAIT_STATE(f, "n", "ready", 3000);
	super_on_hold(f->s, on_hold, f);
	usleep(100000);	/* a's trap is set */
	super_shutdown(f->s, on_done, f);
	f->shut = 1;
	WAIT_DONE(f, 5000);
	assert_int_equal(f->holds, 1);
	assert_string_equal(f->hold_running, "base n ");
	assert_true(EV_IDX(f, "init.stopped", "a", 0) < EV_IDX(f, "init.stopping", "n", 0));
	assert_true(EV_IDX(f, "init.stopped", "b", 0) < EV_IDX(f, "init.stopping", "n", 0));
	assert_true(EV_IDX(f, "init.stopped", "n", 0) < EV_IDX(f, "init.stopping", "base", 0));
	assert_true(ev_gap(ev_get(f, "init.stopped", "a", 0),
	    ev_get(f, "init.stopping", "n", 0)) >= 0.29);
	st = ev_get(f, "init.stopped", "a", 0);
	assert_string_equal(json_string_value(json_object_get(st, "level")), "warning");
	assert_json_is(ev_field(st, "exit"), "{\"code\": 3}");
	assert_string_equal(json_string_value(json_object_get(ev_get(f,
	    "init.stopped", "b", 0), "level")), "info");
}

/* Without a notifier the hold comes once every service is down, and the
 * shutdown ends only after it. */
static void
test_shutdown_hold_without_notifier(void **state)
{
	struct fx *f = *state;

	start(f, conf_of(f, "{'services':[{'name':'a','argv':['sleep','30']}]}"));
	WAIT_STATE(f, "a", "ready", 3000);
	super_on_hold(f->s, on_hold, f);
	super_shutdown(f->s, on_done, f);
	f->shut = 1;
	WAIT_EVENTS(f, "init.stopped", "a", 1, 3000);
	WAIT_DONE(f, 3000);
	assert_int_equal(f->holds, 1);
	assert_string_equal(f->hold_running, "");
}

/* An orphan adopted by the (subreaper) test process is reaped and logged
 * with its pid; the service itself runs on. */
static void
test_orphan_reaped(void **state)
{
	struct fx *f = *state;
	char path[128];
	long p;

	start(f, conf_of(f, "{'services':["
	    "{'name':'o','argv':['sh','-c','(sleep 0.2 & echo $! > @/gc.pid); "
	    "exec sleep 30']}]}"));
	WAIT_STATE(f, "o", "ready", 3000);
	p = pid_of(f, "o");
	snprintf(path, sizeof(path), "%s/gc.pid", f->dir);
	run_until(f, p_reaped_pid, 3000, .path = path);
	assert_int_equal(pid_of(f, "o"), p);
	assert_int_equal(ev_count(f, "init.exited", "o"), 0);
	assert_int_equal(ev_count(f, "init.started", "o"), 1);
}

/* ---------- restart actions registered by the owner ---------- */

/* A fake action: records what it was asked, and the verdict callback for
 * the test to call; the handle is the fake itself. */
struct fake_act {
	int starts, cancels, fail_start;
	char host[256];
	int port;
	super_action_done done;
	void *token;
};

static void *
fake_start(void *arg, const struct svc_action *a, super_action_done done,
    void *token, struct gw_err *err)
{
	struct fake_act *fa = arg;

	fa->starts++;
	if (fa->fail_start) {
		gw_err_set(err, "fake: cannot start");
		return NULL;
	}
	snprintf(fa->host, sizeof(fa->host), "%s", a->ibc_host);
	fa->port = a->ibc_port;
	fa->done = done;
	fa->token = token;
	return fa;
}

static void
fake_cancel(void *handle)
{
	struct fake_act *fa = handle;

	fa->cancels++;
	fa->done = NULL;
}

static void
fake_register(struct fx *f, struct fake_act *fa)
{
	const struct super_action act = { .method = "fake", .how = "FAKE RESTART",
	    .start = fake_start, .cancel = fake_cancel, .arg = fa };
	struct gw_err e;

	e.msg[0] = '\0';
	if (super_set_action(f->s, SVC_ACTION_IBC, &act, &e) < 0)
		fail_msg("super_set_action: %s", e.msg);
}

static const char *
ev_message(json_t *e)
{
	return json_string_value(json_object_get(e, "message"));
}

#define EXT_GW "{'name':'gw','external':true,'restart_settle':0.2," \
	" 'ready':{'argv':['true'],'interval':0.05}," \
	" 'restart_action':{'ibc':'127.0.0.1:7462','timeout':5}}"

/* The supervisor runs the registered action for the kind and logs its
 * verdict as given; a second restart while it runs is skipped; an action
 * still under way when the supervisor goes is cancelled. */
static void
test_registered_action(void **state)
{
	struct fx *f = *state;
	struct fake_act fa;
	struct gw_err e;
	json_t *req;

	memset(&fa, 0, sizeof(fa));
	start(f, conf_of(f, "{'services':[" EXT_GW "]}"));
	fake_register(f, &fa);
	WAIT_STATE(f, "gw", "ready", 3000);
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	assert_int_equal(fa.starts, 1);
	assert_string_equal(fa.host, "127.0.0.1");
	assert_int_equal(fa.port, 7462);
	pump(f);
	req = ev_get(f, "init.restart_requested", "gw", 0);
	assert_json_is(ev_field(req, "trigger"), "\"ctl\"");
	assert_json_is(ev_field(req, "method"), "\"fake\"");
	assert_string_equal(ev_message(req), "gw: restart requested by ctl (FAKE RESTART)");
	/* under way: another restart is skipped */
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	assert_int_equal(fa.starts, 1);
	pump(f);
	assert_json_is(ev_field(ev_get(f, "init.restart_requested", "gw", 1),
	    "skipped"), "true");
	/* OK: checked again, ready again after restart_settle */
	assert_non_null(fa.done);
	fa.done(fa.token, 1, "FAKE: OK done");
	pump(f);
	assert_string_equal(ev_message(ev_get(f, "init.restart_action", "gw", 0)),
	    "gw: FAKE: OK done");
	WAIT_EVENTS(f, "init.restart_completed", "gw", 1, 3000);
	/* failed: a critical alert, nothing to wait for */
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	assert_int_equal(fa.starts, 2);
	fa.done(fa.token, 0, "FAKE restart failed: nope");
	pump(f);
	assert_string_equal(ev_message(ev_get(f, "init.restart_action_failed",
	    "gw", 0)), "gw: FAKE restart failed: nope");
	assert_true(state_is(f, "gw", "ready"));
	/* under way when the supervisor goes: cancelled, no verdict after */
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	assert_int_equal(fa.starts, 3);
	assert_int_equal(fa.cancels, 0);
	f->shut = 1;
	super_shutdown(f->s, on_done, f);
	WAIT_DONE(f, 5000);
	super_free(f->s);
	f->s = NULL;
	assert_int_equal(fa.cancels, 1);
}

/* A registered action that cannot start, a kind with nothing registered,
 * and kinds that cannot be registered: all refused cleanly. A reload that
 * changes the service cancels the action under way. */
static void
test_registered_action_failures(void **state)
{
	struct fx *f = *state;
	const struct super_action act = { .method = "fake", .how = "FAKE",
	    .start = fake_start, .cancel = fake_cancel, .arg = NULL };
	struct fake_act fa;
	struct gw_err e;
	json_t *req;

	memset(&fa, 0, sizeof(fa));
	start(f, conf_of(f, "{'services':[" EXT_GW "]}"));
	assert_int_equal(super_set_action(f->s, SVC_ACTION_SIGNAL, &act, &e), -1);
	assert_string_equal(e.msg, "restart action kind 0: not one to register");
	assert_int_equal(super_set_action(f->s, SVC_ACTION_ARGV, &act, &e), -1);
	assert_int_equal(super_set_action(f->s, 99, &act, &e), -1);
	WAIT_STATE(f, "gw", "ready", 3000);
	/* nothing registered for its kind */
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	pump(f);
	req = ev_get(f, "init.restart_requested", "gw", 0);
	assert_json_is(ev_field(req, "method"), "\"none\"");
	assert_string_equal(ev_message(ev_get(f, "init.restart_action_failed",
	    "gw", 0)), "gw: no restart action registered for its kind (2)");
	/* registered, but it cannot start */
	fake_register(f, &fa);
	fa.fail_start = 1;
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	pump(f);
	assert_int_equal(fa.starts, 1);
	assert_string_equal(ev_message(ev_get(f, "init.restart_action_failed",
	    "gw", 1)), "gw: fake: cannot start");
	assert_true(state_is(f, "gw", "ready"));
	/* under way when a reload changes the service: cancelled */
	fa.fail_start = 0;
	assert_int_equal(super_ctl(f->s, "restart", "gw", &e), 0);
	assert_int_equal(fa.starts, 2);
	assert_int_equal(super_reload(f->s, conf_of(f, "{'services':["
	    "{'name':'gw','external':true,"
	    " 'restart_action':{'ibc':'127.0.0.1:7463'}}]}"), NULL, &e), 0);
	WAIT_EVENTS(f, "init.reloaded", NULL, 1, 3000);
	assert_int_equal(fa.cancels, 1);
}

/* ---------- the child's setup ---------- */

/* The pid proc_spawn gave, or fails with its message; waits for it. */
static void
spawn_ok(struct spawn_opts *o)
{
	char why[300] = "";
	int status;
	pid_t pid = proc_spawn(o, why, sizeof(why));

	if (pid <= 0)
		fail_msg("proc_spawn: %s", why);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
spawn_fails(struct spawn_opts *o, const char *want)
{
	char why[300] = "";

	assert_int_equal(proc_spawn(o, why, sizeof(why)), -1);
	assert_string_equal(why, want);
}

/* Every step of the child's setup before exec is checked: a bad fd to
 * pass, a cwd it cannot enter, a command that is not there each come back
 * as a message naming the step (and the child is reaped, not left). */
static void
test_spawn_child_errors(void **state)
{
	char t[] = "true", none[] = "/nonexistent-gwkit/cmd";
	char *argv_true[] = { t, NULL }, *argv_none[] = { none, NULL };
	struct spawn_opts o;
	int bad = 999;

	(void)state;
	assert_true(fcntl(bad, F_GETFD) < 0);	/* closed here, so in the child */
	memset(&o, 0, sizeof(o));
	o.argv = argv_true;
	o.out_fd = o.err_fd = o.notify_fd = -1;
	spawn_ok(&o);

	o.out_fd = bad;
	spawn_fails(&o, "cannot set up stdout (dup2): Bad file descriptor");
	o.out_fd = -1;
	o.err_fd = bad;
	spawn_fails(&o, "cannot set up stderr (dup2): Bad file descriptor");
	o.err_fd = -1;
	o.notify_fd = bad;
	o.notify_target = 5;
	spawn_fails(&o, "cannot set up notification fd 5 (dup2): Bad file descriptor");
	o.notify_fd = -1;
	o.cwd = "/nonexistent-gwkit";
	spawn_fails(&o, "cannot enter cwd /nonexistent-gwkit: No such file or directory");
	o.cwd = NULL;
	o.argv = argv_none;
	spawn_fails(&o, "cannot run /nonexistent-gwkit/cmd: No such file or directory");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_dependency_order),
		T(test_restart_no_and_on_failure_after_success),
		T(test_restart_on_failure_after_failure),
		T(test_restart_always_after_success),
		T(test_last_exit_by_signal),
		T(test_backoff_doubles_to_max),
		T(test_crash_loop_give_up),
		T(test_crash_loop_critical),
		T(test_crash_loop_critical_by_signal),
		T(test_crash_loop_retries_at_cap),
		T(test_shutdown_order_and_kill),
		T(test_ctl),
		T(test_ctl_stop_in_backoff),
		T(test_ctl_start_while_stopping),
		T(test_forward_signals),
		T(test_reload),
		T(test_reload_in_progress_and_shutting_down),
		T(test_follower_pause),
		T(test_orphan_reaped),
		T(test_restart_settle_releases_followers),
		T(test_restart_settle_after_a_failed_check),
		T(test_health),
		T(test_health_not_while_paused),
		T(test_killed_group_only_live),
		T(test_shutdown_notifier_last),
		T(test_shutdown_hold_without_notifier),
		T(test_registered_action),
		T(test_registered_action_failures),
		T(test_spawn_child_errors),
		T(test_restart_file),
		T(test_restart_file_failed),
		T(test_restart_file_stopped),
		T(test_restart_file_stale_and_respawn),
		T(test_restart_file_write_fails),
		T(test_health_quiet_during_restart),
		T(test_ready_fast_exit),
#undef T
	};

	/* orphans of the services are re-parented to us, as to stack-init */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("prctl(PR_SET_CHILD_SUBREAPER)");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
