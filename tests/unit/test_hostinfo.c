/* Unit tests for health-mon's hostinfo: each decoder on real samples and
 * on each malformed class (truncated, missing field, non-numeric, out of
 * range) with its exact message; the readers on a fake proc tree in a
 * temporary directory (size cap, FIFO, process by name and pid file) and
 * on the real /proc. */
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

#include "hostinfo.h"

/* cmocka before 1.1.6 has no assert_double_equal. */
#define assert_near(a, b, eps) assert_true((a) - (b) <= (eps) && \
    (b) - (a) <= (eps))

enum dec { LOADAVG, MEMINFO, STATUS, CPUINFO, PID };

union out {
	struct hostinfo_load l;
	struct hostinfo_mem m;
	struct hostinfo_status s;
	int cpus;
	pid_t pid;
};

/* The decoder on a copy of in[len] of exactly that length (no NUL after
 * it), so that ASan sees any read past len. path NULL: the default. */
static int
decode(enum dec d, const char *in, size_t len, union out *o,
    struct gw_err *e)
{
	char *b = malloc(len > 0 ? len : 1);
	int rc = -1;

	assert_non_null(b);
	memcpy(b, in, len);
	e->msg[0] = '\0';
	switch (d) {
	case LOADAVG:
		rc = hostinfo_parse_loadavg(b, len, NULL, &o->l, e);
		break;
	case MEMINFO:
		rc = hostinfo_parse_meminfo(b, len, NULL, &o->m, e);
		break;
	case STATUS:
		rc = hostinfo_parse_status(b, len, "/proc/1/status", &o->s, e);
		break;
	case CPUINFO:
		rc = hostinfo_parse_cpuinfo(b, len, NULL, &o->cpus, e);
		break;
	case PID:
		rc = hostinfo_parse_pid(b, len, "/run/gw.pid", &o->pid, e);
		break;
	}
	free(b);
	return rc;
}

/* The decoder refuses in[len] with exactly msg and leaves its output. */
static void
fails_(enum dec d, const char *in, size_t len, const char *msg, int line)
{
	union out o, before;
	struct gw_err e;

	memset(&o, 0xa5, sizeof(o));
	memcpy(&before, &o, sizeof(o));
	if (decode(d, in, len, &o, &e) == 0)
		fail_msg("line %d: accepted", line);
	if (strcmp(e.msg, msg) != 0)
		fail_msg("line %d:\n  want  %s\n  got   %s", line, msg, e.msg);
	if (memcmp(&o, &before, sizeof(o)) != 0)
		fail_msg("line %d: output changed on failure", line);
}
#define FAILS(d, in, msg) fails_(d, in, sizeof(in) - 1, msg, __LINE__)

static void
ok_(enum dec d, const char *in, size_t len, union out *o, int line)
{
	struct gw_err e;

	if (decode(d, in, len, o, &e) != 0)
		fail_msg("line %d: refused: %s", line, e.msg);
}
#define OK(d, in, o) ok_(d, in, sizeof(in) - 1, o, __LINE__)

/* ---- loadavg ---- */

static void
test_loadavg_valid(void **state)
{
	union out o;

	(void)state;
	OK(LOADAVG, "0.62 0.59 0.71 3/137 22187\n", &o);
	assert_near(o.l.avg1, 0.62, 1e-9);
	assert_near(o.l.avg5, 0.59, 1e-9);
	assert_near(o.l.avg15, 0.71, 1e-9);
	OK(LOADAVG, "12.05 8.00 123.40 1/2 3\n", &o);
	assert_near(o.l.avg1, 12.05, 1e-9);
	assert_near(o.l.avg15, 123.4, 1e-9);
	/* integers, tabs, only three fields, a second line ignored */
	OK(LOADAVG, "1\t2  3\nx\n", &o);
	assert_near(o.l.avg1, 1, 0);
	assert_near(o.l.avg5, 2, 0);
	assert_near(o.l.avg15, 3, 0);
	OK(LOADAVG, "999999999.99 0.0 0\n", &o);
	assert_near(o.l.avg1, 999999999.99, 1e-6);
}

static void
test_loadavg_malformed(void **state)
{
	(void)state;
	/* truncated */
	FAILS(LOADAVG, "", "/proc/loadavg: truncated (no end of line)");
	FAILS(LOADAVG, "0.62 0.59 0.71 3/137 22187",
	    "/proc/loadavg: truncated (no end of line)");
	/* missing field */
	FAILS(LOADAVG, "\n", "/proc/loadavg: expected 3 load averages, found 0");
	FAILS(LOADAVG, "0.62 0.59\n",
	    "/proc/loadavg: expected 3 load averages, found 2");
	FAILS(LOADAVG, "0.62\n0.59 0.71\n",
	    "/proc/loadavg: expected 3 load averages, found 1");
	/* non-numeric */
	FAILS(LOADAVG, "x 0.59 0.71\n",
	    "/proc/loadavg: 1-minute average 'x' is not a number");
	FAILS(LOADAVG, "0.62 -1 0.71\n",
	    "/proc/loadavg: 5-minute average '-1' is not a number");
	FAILS(LOADAVG, "0.62 0.59 1e3\n",
	    "/proc/loadavg: 15-minute average '1e3' is not a number");
	FAILS(LOADAVG, "1. 0.59 0.71\n",
	    "/proc/loadavg: 1-minute average '1.' is not a number");
	FAILS(LOADAVG, ".5 0.59 0.71\n",
	    "/proc/loadavg: 1-minute average '.5' is not a number");
	FAILS(LOADAVG, "1.2.3 0.59 0.71\n",
	    "/proc/loadavg: 1-minute average '1.2.3' is not a number");
	FAILS(LOADAVG, "0.6\0002 0.59 0.71\n",
	    "/proc/loadavg: 1-minute average '0.6?2' is not a number");
	/* out of range */
	FAILS(LOADAVG, "1234567890.00 0.59 0.71\n",
	    "/proc/loadavg: 1-minute average '1234567890.00' is out of range");
}

/* ---- meminfo ---- */

static const char meminfo[] =
    "MemTotal:       24683772 kB\n"
    "MemFree:        23869252 kB\n"
    "MemAvailable:   24254368 kB\n"
    "Buffers:            4384 kB\n"
    "Cached:           529444 kB\n"
    "HugePages_Total:       0\n"
    "Hugepagesize:       2048 kB\n";

static void
test_meminfo_valid(void **state)
{
	union out o;

	(void)state;
	OK(MEMINFO, meminfo, &o);
	assert_int_equal(o.m.total_kib, 24683772);
	assert_int_equal(o.m.available_kib, 24254368);
	/* any order; the first of two lines; other lines unchecked */
	OK(MEMINFO, "Junk: x\nMemAvailable: 0 kB\nMemTotal:1 kB\n"
	    "MemTotal: 2 kB\n", &o);
	assert_int_equal(o.m.total_kib, 1);
	assert_int_equal(o.m.available_kib, 0);
	OK(MEMINFO, "MemTotal: 18014398509481983 kB\nMemAvailable: 1 kB\n",
	    &o);
	assert_int_equal(o.m.total_kib, HOSTINFO_KIB_MAX);
}

static void
test_meminfo_malformed(void **state)
{
	(void)state;
	FAILS(MEMINFO, "", "/proc/meminfo: truncated (no end of line)");
	FAILS(MEMINFO, "MemTotal:       24683772 kB\nMemAvailable:   2425",
	    "/proc/meminfo: truncated (no end of line)");
	FAILS(MEMINFO, "MemFree: 1 kB\nMemAvailable: 1 kB\n",
	    "/proc/meminfo: no MemTotal line");
	FAILS(MEMINFO, "MemTotal: 1 kB\nMemFree: 1 kB\n",
	    "/proc/meminfo: no MemAvailable line");
	/* a key must be the whole key, at the start of the line */
	FAILS(MEMINFO, "MemTotal: 1 kB\n MemAvailable: 1 kB\nMemAvailableX: 1 kB\n",
	    "/proc/meminfo: no MemAvailable line");
	FAILS(MEMINFO, "MemTotal:       24683772 kb\nMemAvailable: 1 kB\n",
	    "/proc/meminfo: MemTotal '24683772 kb' is not a number of kB");
	FAILS(MEMINFO, "MemTotal:       12x kB\nMemAvailable: 1 kB\n",
	    "/proc/meminfo: MemTotal '12x kB' is not a number of kB");
	FAILS(MEMINFO, "MemTotal: 1 kB\nMemAvailable:  kB\n",
	    "/proc/meminfo: MemAvailable 'kB' is not a number of kB");
	FAILS(MEMINFO, "MemTotal: 1 kB\nMemAvailable:\n",
	    "/proc/meminfo: MemAvailable '' is not a number of kB");
	FAILS(MEMINFO, "MemTotal: 1 kB\nMemAvailable: 5\n",
	    "/proc/meminfo: MemAvailable '5' is not a number of kB");
	FAILS(MEMINFO, "MemTotal: 1 kB\nMemAvailable: -5 kB\n",
	    "/proc/meminfo: MemAvailable '-5 kB' is not a number of kB");
	FAILS(MEMINFO, "MemTotal: 1 kB x\nMemAvailable: 5 kB\n",
	    "/proc/meminfo: MemTotal '1 kB x' is not a number of kB");
	FAILS(MEMINFO, "MemTotal: 18014398509481984 kB\nMemAvailable: 1 kB\n",
	    "/proc/meminfo: MemTotal '18014398509481984 kB' is out of range");
	FAILS(MEMINFO, "MemTotal: 1 kB\n"
	    "MemAvailable: 99999999999999999999 kB\n",
	    "/proc/meminfo: MemAvailable '99999999999999999999 kB' is out of "
	    "range");
}

/* ---- status ---- */

static const char status_java[] =
    "Name:\tjava\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t4242\n"
    "Pid:\t4242\n"
    "VmPeak:\t 4120000 kB\n"
    "VmHWM:\t 1700000 kB\n"
    "VmRSS:\t 1638400 kB\n"
    "RssAnon:\t 1600000 kB\n"
    "Threads:\t61\n";

static void
test_status_valid(void **state)
{
	union out o;

	(void)state;
	OK(STATUS, status_java, &o);
	assert_string_equal(o.s.name, "java");
	assert_int_equal(o.s.has_rss, 1);
	assert_int_equal(o.s.rss_kib, 1638400);
	/* a kernel thread: no VmRSS */
	OK(STATUS, "Name:\tkworker/0:1\nState:\tI (idle)\nKthread:\t1\n", &o);
	assert_string_equal(o.s.name, "kworker/0:1");
	assert_int_equal(o.s.has_rss, 0);
	/* an empty name (prctl allows it); spaces kept; the kernel's
	 * escapes kept */
	OK(STATUS, "Name:\t\nVmRSS:\t0 kB\n", &o);
	assert_string_equal(o.s.name, "");
	OK(STATUS, "Name:\t my app\\n\nVmRSS:\t0 kB\n", &o);
	assert_string_equal(o.s.name, " my app\\n");
	/* 63 bytes fit */
	OK(STATUS, "Name:\t"
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk\n",
	    &o);
	assert_int_equal(strlen(o.s.name), 63);
}

static void
test_status_malformed(void **state)
{
	(void)state;
	FAILS(STATUS, "", "/proc/1/status: truncated (no end of line)");
	FAILS(STATUS, "Name:\tjava\nVmRSS:\t 1638",
	    "/proc/1/status: truncated (no end of line)");
	FAILS(STATUS, "State:\tS\nVmRSS:\t1 kB\n", "/proc/1/status: no Name line");
	FAILS(STATUS, "Names:\tjava\n", "/proc/1/status: no Name line");
	FAILS(STATUS, "Name:\t"
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl\n",
	    "/proc/1/status: Name longer than 63 bytes");
	FAILS(STATUS, "Name:\tja\000va\n", "/proc/1/status: NUL byte in Name");
	FAILS(STATUS, "Name:\tjava\nVmRSS:\t 16x kB\n",
	    "/proc/1/status: VmRSS '16x kB' is not a number of kB");
	FAILS(STATUS, "Name:\tjava\nVmRSS:\t 1638400\n",
	    "/proc/1/status: VmRSS '1638400' is not a number of kB");
	FAILS(STATUS, "Name:\tjava\nVmRSS:\t 99999999999999999999 kB\n",
	    "/proc/1/status: VmRSS '99999999999999999999 kB' is out of range");
}

/* ---- cpuinfo ---- */

static const char cpuinfo[] =
    "processor\t: 0\n"
    "vendor_id\t: GenuineIntel\n"
    "model name\t: Intel(R) Xeon(R) CPU\n"
    "flags\t\t: fpu vme de pse\n"
    "\n"
    "processor\t: 1\n"
    "vendor_id\t: GenuineIntel\n"
    "\n";

static void
test_cpuinfo_valid(void **state)
{
	union out o;

	(void)state;
	OK(CPUINFO, cpuinfo, &o);
	assert_int_equal(o.cpus, 2);
	/* arm64 style */
	OK(CPUINFO, "processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\n\n"
	    "processor\t: 2\n\nprocessor\t: 3\n\nHardware\t: x\n", &o);
	assert_int_equal(o.cpus, 4);
}

static void
test_cpuinfo_malformed(void **state)
{
	char *big;
	size_t i, n = 0, cap = (HOSTINFO_CPUS_MAX + 1) * 14 + 1;
	union out o;
	struct gw_err e;

	(void)state;
	FAILS(CPUINFO, "", "/proc/cpuinfo: truncated (no end of line)");
	FAILS(CPUINFO, "processor\t: 0\nvendor_id\t: Genu",
	    "/proc/cpuinfo: truncated (no end of line)");
	/* s390's "processor 0: ..." lines are not counted */
	FAILS(CPUINFO, "vendor_id : IBM/S390\nprocessor 0: version = FF\n",
	    "/proc/cpuinfo: no processor lines");
	FAILS(CPUINFO, "processor\t: x\n",
	    "/proc/cpuinfo: processor 'x' is not a number");
	FAILS(CPUINFO, "processor\t:\n",
	    "/proc/cpuinfo: processor '' is not a number");
	FAILS(CPUINFO, "processor\t: 1234567890\n",
	    "/proc/cpuinfo: processor '1234567890' is out of range");
	big = malloc(cap);
	assert_non_null(big);
	for (i = 0; i <= HOSTINFO_CPUS_MAX; i++)
		n += (size_t)snprintf(big + n, cap - n, "processor : %d\n", 0);
	assert_int_equal(decode(CPUINFO, big, n, &o, &e), -1);
	assert_string_equal(e.msg, "/proc/cpuinfo: more than 65536 processors");
	free(big);
}

/* ---- pid files ---- */

static void
test_pid_valid(void **state)
{
	union out o;

	(void)state;
	OK(PID, "4242\n", &o);
	assert_int_equal(o.pid, 4242);
	OK(PID, "  17", &o);
	assert_int_equal(o.pid, 17);
	OK(PID, "4194304\r\n\n", &o);
	assert_int_equal(o.pid, HOSTINFO_PID_MAX);
	OK(PID, "1", &o);
	assert_int_equal(o.pid, 1);
}

static void
test_pid_malformed(void **state)
{
	(void)state;
	FAILS(PID, "", "/run/gw.pid: empty");
	FAILS(PID, " \n\n", "/run/gw.pid: empty");
	FAILS(PID, "12a\n", "/run/gw.pid: '12a' is not a pid");
	FAILS(PID, "-12\n", "/run/gw.pid: '-12' is not a pid");
	FAILS(PID, "12 13\n", "/run/gw.pid: '12 13' is not a pid");
	FAILS(PID, "12\n13\n", "/run/gw.pid: '12?13' is not a pid");
	FAILS(PID, "12\0003\n", "/run/gw.pid: '12?3' is not a pid");
	FAILS(PID, "0\n", "/run/gw.pid: pid '0' is out of range");
	FAILS(PID, "4194305\n", "/run/gw.pid: pid '4194305' is out of range");
	FAILS(PID, "99999999999999999999999\n",
	    "/run/gw.pid: pid '99999999999999999999999' is out of range");
}

/* ---- readers on a fake tree ---- */

struct tree {
	char root[64];
};

static void
put(const char *root, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void
dir(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int
tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	strcpy(t->root, "/tmp/test_hostinfo.XXXXXX");
	if (mkdtemp(t->root) == NULL)
		return -1;
	*state = t;
	return 0;
}

static int
tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static void
test_read_file(void **state)
{
	struct tree *t = *state;
	char path[512], *buf, *big;
	size_t len;
	struct gw_err e;

	put(t->root, "small", "abc\n");
	snprintf(path, sizeof(path), "%s/small", t->root);
	assert_int_equal(hostinfo_read_file(path, 4, &buf, &len, &e), 0);
	assert_int_equal(len, 4);
	assert_string_equal(buf, "abc\n");
	free(buf);
	assert_int_equal(hostinfo_read_file(path, 3, &buf, &len, &e), -1);
	assert_null(buf);
	snprintf(path, sizeof(path), "%s/small: larger than 3 bytes", t->root);
	assert_string_equal(e.msg, path);

	/* growth past the first block, up to the cap exactly */
	big = malloc(20001);
	assert_non_null(big);
	memset(big, 'x', 20000);
	big[20000] = '\0';
	put(t->root, "big", big);
	snprintf(path, sizeof(path), "%s/big", t->root);
	assert_int_equal(hostinfo_read_file(path, 20000, &buf, &len, &e), 0);
	assert_int_equal(len, 20000);
	assert_memory_equal(buf, big, 20000);
	free(buf);
	free(big);
	assert_int_equal(hostinfo_read_file(path, 19999, &buf, &len, &e), -1);

	put(t->root, "empty", "");
	snprintf(path, sizeof(path), "%s/empty", t->root);
	assert_int_equal(hostinfo_read_file(path, 10, &buf, &len, &e), 0);
	assert_int_equal(len, 0);
	free(buf);

	snprintf(path, sizeof(path), "%s/none", t->root);
	assert_int_equal(hostinfo_read_file(path, 10, &buf, &len, &e), -1);
	snprintf(path, sizeof(path), "%s/none: No such file or directory",
	    t->root);
	assert_string_equal(e.msg, path);

	/* a FIFO would block a plain open: refused at once */
	snprintf(path, sizeof(path), "%s/fifo", t->root);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(hostinfo_read_file(path, 10, &buf, &len, &e), -1);
	snprintf(path, sizeof(path), "%s/fifo: not a regular file", t->root);
	assert_string_equal(e.msg, path);
}

static void
test_fake_tree(void **state)
{
	struct tree *t = *state;
	struct hostinfo_load l;
	struct hostinfo_mem m;
	struct hostinfo_status s;
	struct gw_err e;
	char path[512];
	pid_t pid;

	put(t->root, "loadavg", "4.20 3.10 2.00 2/300 999\n");
	put(t->root, "meminfo", meminfo);
	put(t->root, "cpuinfo", cpuinfo);
	assert_int_equal(hostinfo_load(t->root, &l, &e), 0);
	assert_near(l.avg1, 4.2, 1e-9);
	assert_int_equal(hostinfo_mem(t->root, &m, &e), 0);
	assert_int_equal(m.available_kib, 24254368);
	assert_int_equal(hostinfo_cpus(t->root), 2);

	put(t->root, "loadavg", "4.20 3.10\n");
	assert_int_equal(hostinfo_load(t->root, &l, &e), -1);
	snprintf(path, sizeof(path),
	    "%s/loadavg: expected 3 load averages, found 2", t->root);
	assert_string_equal(e.msg, path);

	/* two java processes (the larger wins), a kernel thread named java,
	 * a broken status, non-pid entries */
	dir(t->root, "100");
	put(t->root, "100/status", "Name:\tjava\nVmRSS:\t 1000 kB\n");
	dir(t->root, "200");
	put(t->root, "200/status", "Name:\tjava\nVmRSS:\t 3000 kB\n");
	dir(t->root, "300");
	put(t->root, "300/status", "Name:\tjava\n");
	dir(t->root, "400");
	put(t->root, "400/status", "Name:\tjava\nVmRSS:\t 9x kB\n");
	dir(t->root, "500");
	put(t->root, "500/status", "Name:\tbash\nVmRSS:\t 9000 kB\n");
	dir(t->root, "self");
	put(t->root, "self/status", "Name:\tjava\nVmRSS:\t 99999 kB\n");
	dir(t->root, "0600");
	assert_int_equal(hostinfo_find_by_name(t->root, "java", &pid, &s, &e),
	    0);
	assert_int_equal(pid, 200);
	assert_int_equal(s.rss_kib, 3000);
	assert_int_equal(hostinfo_find_by_name(t->root, "jav", &pid, &s, &e),
	    1);
	assert_int_equal(hostinfo_find_by_name("/nonexistent", "java", &pid,
	    &s, &e), -1);
	assert_string_equal(e.msg, "/nonexistent: No such file or directory");

	assert_int_equal(hostinfo_proc_status(t->root, 500, &s, &e), 0);
	assert_string_equal(s.name, "bash");
	assert_int_equal(hostinfo_proc_status(t->root, 501, &s, &e), 1);
	assert_int_equal(hostinfo_proc_status(t->root, 400, &s, &e), -1);
	snprintf(path, sizeof(path),
	    "%s/400/status: VmRSS '9x kB' is not a number of kB", t->root);
	assert_string_equal(e.msg, path);

	put(t->root, "gw.pid", "500\n");
	snprintf(path, sizeof(path), "%s/gw.pid", t->root);
	assert_int_equal(hostinfo_read_pidfile(path, &pid, &e), 0);
	assert_int_equal(pid, 500);
	put(t->root, "gw.pid", "abc\n");
	assert_int_equal(hostinfo_read_pidfile(path, &pid, &e), -1);
	snprintf(path, sizeof(path), "%s/gw.pid: 'abc' is not a pid", t->root);
	assert_string_equal(e.msg, path);
}

static void
test_disk(void **state)
{
	struct tree *t = *state;
	struct gw_err e;
	double pct = -1;
	char path[512];

	assert_int_equal(hostinfo_disk_free_pct(t->root, &pct, &e), 0);
	assert_true(pct >= 0 && pct <= 100);
	snprintf(path, sizeof(path), "%s/none", t->root);
	assert_int_equal(hostinfo_disk_free_pct(path, &pct, &e), -1);
	snprintf(path, sizeof(path), "%s/none: No such file or directory",
	    t->root);
	assert_string_equal(e.msg, path);
	assert_int_equal(hostinfo_disk_free_pct("/proc", &pct, &e), -1);
	assert_string_equal(e.msg, "/proc: no blocks (not a disk)");
}

/* The real /proc decodes, and this process is found by its own name. */
static void
test_real_proc(void **state)
{
	struct hostinfo_load l;
	struct hostinfo_mem m;
	struct hostinfo_status s, self;
	struct gw_err e;
	pid_t pid;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	if (hostinfo_load(NULL, &l, &e) < 0 || hostinfo_mem(NULL, &m, &e) < 0)
		fail_msg("%s", e.msg);
	assert_true(l.avg1 >= 0 && m.total_kib > 0 &&
	    m.available_kib <= m.total_kib);
	assert_int_equal(hostinfo_cpus(NULL), n);
	assert_int_equal(hostinfo_proc_status(NULL, getpid(), &self, &e), 0);
	assert_true(self.has_rss && self.rss_kib > 0);
	assert_int_equal(hostinfo_find_by_name("/proc", self.name, &pid, &s,
	    &e), 0);
	assert_string_equal(s.name, self.name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loadavg_valid),
		cmocka_unit_test(test_loadavg_malformed),
		cmocka_unit_test(test_meminfo_valid),
		cmocka_unit_test(test_meminfo_malformed),
		cmocka_unit_test(test_status_valid),
		cmocka_unit_test(test_status_malformed),
		cmocka_unit_test(test_cpuinfo_valid),
		cmocka_unit_test(test_cpuinfo_malformed),
		cmocka_unit_test(test_pid_valid),
		cmocka_unit_test(test_pid_malformed),
		cmocka_unit_test_setup_teardown(test_read_file, tree_setup,
		    tree_teardown),
		cmocka_unit_test_setup_teardown(test_fake_tree, tree_setup,
		    tree_teardown),
		cmocka_unit_test_setup_teardown(test_disk, tree_setup,
		    tree_teardown),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
