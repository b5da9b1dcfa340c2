/* Unit tests for health-mon's host check (check_host_ops) on a fake proc
 * tree in a temporary directory (loadavg, meminfo, cpuinfo with 2 CPUs,
 * fake PID directories with a status): healthy; load above the warning
 * and critical thresholds; memory below them; a disk path forced either
 * way by thresholds above 100% or at 0; the gateway JVM (the original
 * monitor's 1536 / 1740 MiB) found by name and by pid file; a process not
 * found; a broken /proc file; every finding named in one reason; the run
 * ending from the loop, never inside start; a run cancelled by a free.
 *
 * The check is driven through check.h (check_new, check_run_once,
 * check_free) on a real event base. Until check.c exists, minimal
 * test-local stand-ins of those and of check_done are compiled in below;
 * they vanish once it lands, and the same tests then run on the real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <event2/event.h>
#include <jansson.h>

#include "check_int.h"
#include "hostinfo.h"

#define JVM "gateway JVM"
#define MIB 1024		/* kB per MiB */

struct fx {
	char root[64];
	char pidfile[128];
	struct check_config cfg;
	/* the one result of a run */
	int n;
	enum hs_status status;
	char reason[HS_REASON_MAX + 1];
	json_t *fields;
	struct event_base *base;
};

static void
put(const char *root, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
put(const char *root, const char *rel, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_non_null(f = fopen(path, "w"));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

static void
set_load(struct fx *f, const char *avg1)
{
	put(f->root, "loadavg", "%s 0.50 0.25 1/200 4242\n", avg1);
}

static void
set_mem(struct fx *f, unsigned long avail_kib)
{
	put(f->root, "meminfo", "MemTotal:       16384000 kB\n"
	    "MemFree:         1000000 kB\nMemAvailable:   %lu kB\n"
	    "Buffers:            4384 kB\n", avail_kib);
}

/* A fake process pid named name with rss_kib resident. */
static void
add_proc(struct fx *f, int pid, const char *name, unsigned long rss_kib)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "%s/%d", f->root, pid);
	assert_int_equal(mkdir(rel, 0755), 0);
	snprintf(rel, sizeof(rel), "%d/status", pid);
	put(f->root, rel, "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\n"
	    "Pid:\t%d\nVmPeak:\t 4120000 kB\nVmRSS:\t %lu kB\nThreads:\t61\n",
	    name, pid, rss_kib);
}

static void
add_jvm(struct fx *f, const char *name, const char *pidfile, double warn,
    double crit)
{
	struct check_proc *p = &f->cfg.procs[f->cfg.n_procs++];

	snprintf(p->label, sizeof(p->label), "%s", JVM);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->pidfile, sizeof(p->pidfile), "%s", pidfile);
	p->rss_warn_mib = warn;
	p->rss_crit_mib = crit;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->root, "/tmp/test_check_host.XXXXXX");
	if (mkdtemp(f->root) == NULL)
		return -1;
	snprintf(f->pidfile, sizeof(f->pidfile), "%s/gw.pid", f->root);
	f->cfg.kind = CHECK_HOST;
	strcpy(f->cfg.name, "host");
	f->cfg.interval_s = 60;
	f->cfg.timeout_s = 10;
	snprintf(f->cfg.proc_root, sizeof(f->cfg.proc_root), "%s", f->root);
	f->cfg.load_warn = 2;
	f->cfg.load_crit = 4;
	f->cfg.mem_warn_mib = 512;
	f->cfg.mem_crit_mib = 256;
	snprintf(f->cfg.disk_paths[0], sizeof(f->cfg.disk_paths[0]), "%s",
	    f->root);
	f->cfg.n_disk_paths = 1;
	f->cfg.disk_warn_pct = 0;	/* free below 0%: never */
	f->cfg.disk_crit_pct = 0;
	put(f->root, "cpuinfo", "processor\t: 0\nvendor_id\t: x\n\n"
	    "processor\t: 1\nvendor_id\t: x\n\n");
	set_load(f, "0.50");
	set_mem(f, 8192 * MIB);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	json_decref(f->fields);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
on_result(struct check *c, const struct check_result *r, void *arg)
{
	struct fx *f = arg;

	(void)c;
	f->n++;
	f->status = r->status;
	snprintf(f->reason, sizeof(f->reason), "%s", r->reason);
	json_decref(f->fields);
	f->fields = r->fields != NULL ? json_incref(r->fields) : NULL;
	event_base_loopbreak(f->base);
}

/* One run of the host check on the loop: exactly one result, and not
 * from inside start. */
static void
run(struct fx *f)
{
	struct timeval guard = { 5, 0 };
	struct check *c;
	struct gw_err e;

	f->n = 0;
	assert_non_null(f->base = event_base_new());
	c = check_new(f->base, NULL, &f->cfg, on_result, f, &e);
	if (c == NULL)
		fail_msg("check_new: %s", e.msg);
	if (check_run_once(c, &e) < 0)
		fail_msg("check_run_once: %s", e.msg);
	assert_int_equal(f->n, 0);
	event_base_loopexit(f->base, &guard);
	event_base_dispatch(f->base);
	assert_int_equal(f->n, 1);
	check_free(c);
	event_base_free(f->base);
	f->base = NULL;
	assert_non_null(f->fields);
}

static void
expect_(struct fx *f, enum hs_status st, const char *reason, int line)
{
	run(f);
	if (f->status != st || strcmp(f->reason, reason) != 0)
		fail_msg("line %d: want %d '%s'\n  got %d '%s'", line, st, reason,
		    f->status, f->reason);
}
#define EXPECT(f, st, reason) expect_(f, st, reason, __LINE__)

static double
num_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		fail_msg("field %s is not a number", key);
	return json_number_value(v);
}

static void
test_healthy(void **state)
{
	struct fx *f = *state;
	json_t *disk, *procs;
	double pct;

	EXPECT(f, HS_HEALTHY, "");
	assert_true(num_field(f->fields, "load1") == 0.5);
	assert_true(num_field(f->fields, "load5") == 0.5);
	assert_true(num_field(f->fields, "load15") == 0.25);
	assert_true(json_integer_value(json_object_get(f->fields, "cpus")) == 2);
	assert_true(num_field(f->fields, "mem_available_mib") == 8192);
	disk = json_object_get(f->fields, "disk");
	assert_int_equal(json_object_size(disk), 1);
	pct = num_field(disk, f->root);
	assert_true(pct >= 0 && pct <= 100);
	procs = json_object_get(f->fields, "procs");
	assert_true(json_is_object(procs) && json_object_size(procs) == 0);
}

static void
test_load(void **state)
{
	struct fx *f = *state;

	set_load(f, "6.00");		/* 3.0 per CPU */
	EXPECT(f, HS_DEGRADED, "load 3.0 per CPU above 2.0");
	assert_true(num_field(f->fields, "load1") == 6.0);
	set_load(f, "8.00");		/* 4.0: not above 4 */
	EXPECT(f, HS_DEGRADED, "load 4.0 per CPU above 2.0");
	set_load(f, "10.20");
	EXPECT(f, HS_UNHEALTHY, "load 5.1 per CPU above 4.0");
	set_load(f, "4.00");		/* 2.0: not above 2 */
	EXPECT(f, HS_HEALTHY, "");
	f->cfg.load_warn = f->cfg.load_crit = 0;	/* off */
	set_load(f, "1000");
	EXPECT(f, HS_HEALTHY, "");
}

static void
test_memory(void **state)
{
	struct fx *f = *state;

	set_mem(f, 400 * MIB);
	EXPECT(f, HS_DEGRADED, "memory 400 MiB available below 512 MiB");
	assert_true(num_field(f->fields, "mem_available_mib") == 400);
	set_mem(f, 200 * MIB + 512);
	EXPECT(f, HS_UNHEALTHY, "memory 200.5 MiB available below 256 MiB");
	set_mem(f, 256 * MIB);		/* not below 256 */
	EXPECT(f, HS_DEGRADED, "memory 256 MiB available below 512 MiB");
	set_mem(f, 512 * MIB);
	EXPECT(f, HS_HEALTHY, "");
}

/* The reason for the temporary directory's disk: "<root> N% free below
 * T%" with N what the field says. */
static void
expect_disk(struct fx *f, enum hs_status st, const char *thr)
{
	char want[HS_REASON_MAX + 1];
	double pct;

	run(f);
	assert_int_equal(f->status, st);
	pct = num_field(json_object_get(f->fields, "disk"), f->root);
	snprintf(want, sizeof(want), "%s %.1f", f->root, pct);
	if (strlen(want) > 2 && strcmp(want + strlen(want) - 2, ".0") == 0)
		want[strlen(want) - 2] = '\0';
	strcat(want, "% free below ");
	strcat(want, thr);
	assert_string_equal(f->reason, want);
}

static void
test_disk(void **state)
{
	struct fx *f = *state;
	char want[300];

	f->cfg.disk_warn_pct = 101;	/* free below 101%: always */
	expect_disk(f, HS_DEGRADED, "101%");
	f->cfg.disk_crit_pct = 100.5;
	expect_disk(f, HS_UNHEALTHY, "100.5%");
	f->cfg.disk_warn_pct = f->cfg.disk_crit_pct = 0;
	EXPECT(f, HS_HEALTHY, "");

	/* a path that does not exist: degraded, null */
	snprintf(f->cfg.disk_paths[1], sizeof(f->cfg.disk_paths[1]),
	    "%s/none", f->root);
	f->cfg.n_disk_paths = 2;
	snprintf(want, sizeof(want), "%s/none: No such file or directory",
	    f->root);
	EXPECT(f, HS_DEGRADED, want);
	assert_true(json_is_null(json_object_get(json_object_get(f->fields,
	    "disk"), f->cfg.disk_paths[1])));
}

static void
test_proc_by_name(void **state)
{
	struct fx *f = *state;

	add_proc(f, 4242, "java", 1600 * MIB);
	add_proc(f, 4243, "bash", 9000 * MIB);
	add_jvm(f, "java", "", 1536, 1740);
	EXPECT(f, HS_DEGRADED, JVM " RSS 1600 MiB above 1536 MiB");
	assert_true(num_field(json_object_get(f->fields, "procs"), JVM) ==
	    1600);
	put(f->root, "4242/status", "Name:\tjava\nVmRSS:\t %d kB\n",
	    1800 * MIB);
	EXPECT(f, HS_UNHEALTHY, JVM " RSS 1800 MiB above 1740 MiB");
	put(f->root, "4242/status", "Name:\tjava\nVmRSS:\t %d kB\n",
	    1536 * MIB);		/* not above 1536 */
	EXPECT(f, HS_HEALTHY, "");
	assert_true(num_field(json_object_get(f->fields, "procs"), JVM) ==
	    1536);
}

static void
test_proc_by_pidfile(void **state)
{
	struct fx *f = *state;
	char want[300];

	add_proc(f, 4242, "java", 1741 * MIB);
	add_proc(f, 4243, "java", 1600 * MIB);
	put(f->root, "gw.pid", "4243\n");
	add_jvm(f, "", f->pidfile, 1536, 1740);
	EXPECT(f, HS_DEGRADED, JVM " RSS 1600 MiB above 1536 MiB");
	put(f->root, "gw.pid", "4242");
	EXPECT(f, HS_UNHEALTHY, JVM " RSS 1741 MiB above 1740 MiB");

	/* the pid file's process must have the name, when one is set */
	put(f->root, "gw.pid", "4244\n");
	add_proc(f, 4244, "bash", 10 * MIB);
	strcpy(f->cfg.procs[0].name, "java");
	snprintf(want, sizeof(want), JVM " not found: pid 4244 is 'bash', "
	    "not 'java' (%s)", f->pidfile);
	EXPECT(f, HS_DEGRADED, want);
	assert_true(json_is_null(json_object_get(json_object_get(f->fields,
	    "procs"), JVM)));
}

static void
test_proc_not_found(void **state)
{
	struct fx *f = *state;
	char want[300];

	add_proc(f, 4243, "bash", 10 * MIB);
	add_jvm(f, "java", "", 1536, 1740);
	EXPECT(f, HS_DEGRADED, JVM " not found");
	assert_true(json_is_null(json_object_get(json_object_get(f->fields,
	    "procs"), JVM)));

	/* by pid file: no file, a bad one, a pid that is gone */
	f->cfg.procs[0].name[0] = '\0';
	strcpy(f->cfg.procs[0].pidfile, f->pidfile);
	snprintf(want, sizeof(want), JVM " not found: %s: No such file or "
	    "directory", f->pidfile);
	EXPECT(f, HS_DEGRADED, want);
	put(f->root, "gw.pid", "java\n");
	snprintf(want, sizeof(want), JVM " not found: %s: 'java' is not a pid",
	    f->pidfile);
	EXPECT(f, HS_DEGRADED, want);
	put(f->root, "gw.pid", "999\n");
	snprintf(want, sizeof(want), JVM " not found: no process 999 (%s)",
	    f->pidfile);
	EXPECT(f, HS_DEGRADED, want);

	/* without a label: the name */
	f->cfg.procs[0].label[0] = '\0';
	f->cfg.procs[0].pidfile[0] = '\0';
	strcpy(f->cfg.procs[0].name, "java");
	EXPECT(f, HS_DEGRADED, "java not found");
}

/* Every finding is named, in order; the worst decides. */
static void
test_all_findings(void **state)
{
	struct fx *f = *state;
	char want[HS_REASON_MAX + 1];

	set_load(f, "10.20");
	set_mem(f, 300 * MIB);
	add_jvm(f, "java", "", 1536, 1740);
	f->cfg.disk_warn_pct = 101;
	run(f);
	assert_int_equal(f->status, HS_UNHEALTHY);
	snprintf(want, sizeof(want), "load 5.1 per CPU above 4.0; memory 300 "
	    "MiB available below 512 MiB; %s ", f->root);
	assert_true(strncmp(f->reason, want, strlen(want)) == 0);
	assert_non_null(strstr(f->reason, "% free below 101%; " JVM
	    " not found"));
}

static void
test_broken_proc(void **state)
{
	struct fx *f = *state;
	char want[300];

	put(f->root, "loadavg", "0.50 0.50");
	snprintf(want, sizeof(want), "%s/loadavg: truncated (no end of line)",
	    f->root);
	EXPECT(f, HS_DEGRADED, want);
	assert_true(json_is_null(json_object_get(f->fields, "load1")));
	put(f->root, "loadavg", "0.50 0.50 0.50\n");
	put(f->root, "meminfo", "MemTotal: 1 kB\n");
	snprintf(want, sizeof(want), "%s/meminfo: no MemAvailable line",
	    f->root);
	EXPECT(f, HS_DEGRADED, want);
	assert_true(json_is_null(json_object_get(f->fields,
	    "mem_available_mib")));
}

/* A run freed before the loop runs ends without a result (and without a
 * leak under ASan). */
static void
test_cancel(void **state)
{
	struct fx *f = *state;
	struct check *c;
	struct gw_err e;

	assert_non_null(f->base = event_base_new());
	assert_non_null(c = check_new(f->base, NULL, &f->cfg, on_result, f,
	    &e));
	assert_int_equal(check_run_once(c, &e), 0);
	check_free(c);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	assert_int_equal(f->n, 0);
	event_base_free(f->base);
	f->base = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_by_name, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proc_by_pidfile, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proc_not_found, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_all_findings, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_broken_proc, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
