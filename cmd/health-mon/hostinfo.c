/*
 * hostinfo: decoders of /proc's loadavg, meminfo, PID/status and cpuinfo
 * and of pid files, and the small readers the host check calls (formats
 * and messages in hostinfo.h). The bytes are untrusted: the kernel's
 * files are well formed, but a fake tree, a truncated read or a pid file
 * written by hand need not be; nothing is read past len, NULs included.
 * The readers block on the file system only (small files, statvfs).
 */
#include "hostinfo.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define QUOTE_MAX 48		/* untrusted text quoted in a message */
#define INT_DIGITS_MAX 9	/* load averages, processor numbers */

enum { NUM_OK, NUM_NAN, NUM_RANGE };

struct span {
	const char *p;
	size_t n;
};

/* The next line from *pos, without its '\n'; 0 at the end. */
static int
next_line(const char *buf, size_t len, size_t *pos, struct span *l)
{
	const char *nl;

	if (*pos >= len)
		return 0;
	l->p = buf + *pos;
	nl = memchr(l->p, '\n', len - *pos);
	l->n = nl != NULL ? (size_t)(nl - l->p) : len - *pos;
	*pos += l->n + 1;
	return 1;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
truncated(const char *buf, size_t len, const char *path, struct gw_err *err)
{
	if (len > 0 && buf[len - 1] == '\n')
		return 0;
	return gw_err_set(err, "%s: truncated (no end of line)", path);
}

/* The line whose key (before ':') is exactly key: 1 with the value after
 * the colon in *v, or 0. */
static int
find_key(const char *buf, size_t len, const char *key, struct span *v)
{
	size_t pos = 0, kn = strlen(key);
	struct span l;

	while (next_line(buf, len, &pos, &l)) {
		if (l.n > kn && l.p[kn] == ':' && memcmp(l.p, key, kn) == 0) {
			v->p = l.p + kn + 1;
			v->n = l.n - kn - 1;
			return 1;
		}
	}
	return 0;
}

/* Digits only, into an unsigned value of at most max: "not a number"
 * wins over "out of range". */
static int
parse_uint(const char *p, size_t n, uint64_t max, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0)
		return NUM_NAN;
	for (i = 0; i < n; i++)
		if (!digit(p[i]))
			return NUM_NAN;
	for (i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(p[i] - '0');

		if (*v > (max - d) / 10)
			return NUM_RANGE;
		*v = *v * 10 + d;
	}
	return NUM_OK;
}

/* A load average: digits, optionally '.' and digits. */
static int
parse_avg(const char *p, size_t n, double *v)
{
	const char *dot = memchr(p, '.', n);
	size_t in = dot != NULL ? (size_t)(dot - p) : n, i;
	uint64_t ip;
	double frac = 0, scale = 1;

	if (in == 0 || (dot != NULL && in + 1 == n))
		return NUM_NAN;
	for (i = 0; i < n; i++)
		if (!digit(p[i]) && p + i != dot)
			return NUM_NAN;
	if (in > INT_DIGITS_MAX)
		return NUM_RANGE;
	parse_uint(p, in, UINT64_MAX, &ip);
	for (i = in + 1; i < n; i++) {
		scale /= 10;
		frac += (p[i] - '0') * scale;
	}
	*v = (double)ip + frac;
	return NUM_OK;
}

/* A kB value: blanks, digits, " kB", nothing after. */
static int
kib_value(struct span v, const char *path, const char *key, uint64_t *kib,
    struct gw_err *err)
{
	const char *p = v.p, *end = v.p + v.n;
	char q[QUOTE_MAX];
	int rc;

	while (p < end && blank(*p))
		p++;
	gw_err_quote(q, sizeof(q), p, (size_t)(end - p));
	if (end - p < 4 || memcmp(end - 3, " kB", 3) != 0)
		return gw_err_set(err, "%s: %s '%s' is not a number of kB",
		    path, key, q);
	rc = parse_uint(p, (size_t)(end - p - 3), HOSTINFO_KIB_MAX, kib);
	if (rc == NUM_NAN)
		return gw_err_set(err, "%s: %s '%s' is not a number of kB",
		    path, key, q);
	if (rc == NUM_RANGE)
		return gw_err_set(err, "%s: %s '%s' is out of range", path,
		    key, q);
	return 0;
}

int
hostinfo_parse_loadavg(const char *buf, size_t len, const char *path,
    struct hostinfo_load *l, struct gw_err *err)
{
	static const char *const what[3] = { "1", "5", "15" };
	struct span line = { buf, 0 }, f;
	double v[3];
	size_t pos = 0, i = 0, k;
	char q[QUOTE_MAX];
	int rc;

	if (path == NULL)
		path = "/proc/loadavg";
	if (truncated(buf, len, path, err) < 0)
		return -1;
	next_line(buf, len, &pos, &line);
	for (k = 0; k < 3; k++) {
		while (i < line.n && blank(line.p[i]))
			i++;
		if (i == line.n)
			return gw_err_set(err, "%s: expected 3 load averages, "
			    "found %zu", path, k);
		f.p = line.p + i;
		while (i < line.n && !blank(line.p[i]))
			i++;
		f.n = (size_t)(line.p + i - f.p);
		if ((rc = parse_avg(f.p, f.n, &v[k])) != NUM_OK) {
			gw_err_quote(q, sizeof(q), f.p, f.n);
			return gw_err_set(err, "%s: %s-minute average '%s' is %s",
			    path, what[k], q, rc == NUM_NAN ? "not a number" :
			    "out of range");
		}
	}
	l->avg1 = v[0];
	l->avg5 = v[1];
	l->avg15 = v[2];
	return 0;
}

int
hostinfo_parse_meminfo(const char *buf, size_t len, const char *path,
    struct hostinfo_mem *m, struct gw_err *err)
{
	struct span v;
	uint64_t total, avail;

	if (path == NULL)
		path = "/proc/meminfo";
	if (truncated(buf, len, path, err) < 0)
		return -1;
	if (!find_key(buf, len, "MemTotal", &v))
		return gw_err_set(err, "%s: no MemTotal line", path);
	if (kib_value(v, path, "MemTotal", &total, err) < 0)
		return -1;
	if (!find_key(buf, len, "MemAvailable", &v))
		return gw_err_set(err, "%s: no MemAvailable line", path);
	if (kib_value(v, path, "MemAvailable", &avail, err) < 0)
		return -1;
	m->total_kib = total;
	m->available_kib = avail;
	return 0;
}

int
hostinfo_parse_status(const char *buf, size_t len, const char *path,
    struct hostinfo_status *s, struct gw_err *err)
{
	struct hostinfo_status r;
	struct span v;

	if (path == NULL)
		path = "status";
	if (truncated(buf, len, path, err) < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	if (!find_key(buf, len, "Name", &v))
		return gw_err_set(err, "%s: no Name line", path);
	if (v.n > 0 && v.p[0] == '\t') {
		v.p++;
		v.n--;
	}
	if (v.n >= sizeof(r.name))
		return gw_err_set(err, "%s: Name longer than %zu bytes", path,
		    sizeof(r.name) - 1);
	if (memchr(v.p, '\0', v.n) != NULL)
		return gw_err_set(err, "%s: NUL byte in Name", path);
	memcpy(r.name, v.p, v.n);
	if (find_key(buf, len, "VmRSS", &v)) {
		if (kib_value(v, path, "VmRSS", &r.rss_kib, err) < 0)
			return -1;
		r.has_rss = 1;
	}
	*s = r;
	return 0;
}

int
hostinfo_parse_cpuinfo(const char *buf, size_t len, const char *path,
    int *cpus, struct gw_err *err)
{
	static const char key[] = "processor";
	const size_t kn = sizeof(key) - 1;
	struct span l;
	size_t pos = 0, i, j;
	uint64_t no;
	char q[QUOTE_MAX];
	int n = 0, rc;

	if (path == NULL)
		path = "/proc/cpuinfo";
	if (truncated(buf, len, path, err) < 0)
		return -1;
	while (next_line(buf, len, &pos, &l)) {
		if (l.n < kn || memcmp(l.p, key, kn) != 0)
			continue;
		for (i = kn; i < l.n && blank(l.p[i]); i++)
			;
		if (i == l.n || l.p[i] != ':')
			continue;	/* "processor 0: ..." (s390) */
		for (i++; i < l.n && blank(l.p[i]); i++)
			;
		for (j = l.n; j > i && blank(l.p[j - 1]); j--)
			;
		rc = parse_uint(l.p + i, j - i, UINT64_MAX, &no);
		if (rc == NUM_OK && j - i > INT_DIGITS_MAX)
			rc = NUM_RANGE;
		if (rc != NUM_OK) {
			gw_err_quote(q, sizeof(q), l.p + i, j - i);
			return gw_err_set(err, "%s: processor '%s' is %s", path,
			    q, rc == NUM_NAN ? "not a number" :
			    "out of range");
		}
		if (n == HOSTINFO_CPUS_MAX)
			return gw_err_set(err, "%s: more than %d processors",
			    path, HOSTINFO_CPUS_MAX);
		n++;
	}
	if (n == 0)
		return gw_err_set(err, "%s: no processor lines", path);
	*cpus = n;
	return 0;
}

int
hostinfo_parse_pid(const char *buf, size_t len, const char *path,
    pid_t *pid, struct gw_err *err)
{
	const char *p = buf, *end = buf + len;
	char q[QUOTE_MAX];
	uint64_t v;
	int rc;

	if (path == NULL)
		path = "pid file";
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p == end)
		return gw_err_set(err, "%s: empty", path);
	gw_err_quote(q, sizeof(q), p, (size_t)(end - p));
	rc = parse_uint(p, (size_t)(end - p), UINT64_MAX, &v);
	if (rc == NUM_NAN)
		return gw_err_set(err, "%s: '%s' is not a pid", path, q);
	if (rc == NUM_RANGE || v < 1 || v > HOSTINFO_PID_MAX)
		return gw_err_set(err, "%s: pid '%s' is out of range", path, q);
	*pid = (pid_t)v;
	return 0;
}

int
hostinfo_read_file(const char *path, size_t cap, char **buf, size_t *len,
    struct gw_err *err)
{
	struct stat st;
	char *b = NULL, *nb;
	size_t n = 0, size = 0;
	ssize_t r;
	int fd, rc = -1, saved = 0;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
		saved = errno;
		gw_err_set(err, "%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		saved = errno;
		gw_err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		gw_err_set(err, "%s: not a regular file", path);
		goto out;
	}
	/* /proc files say size 0: grow by doubling, one byte past the cap
	 * to tell "exactly cap" from "larger". */
	for (;;) {
		if (n == size) {
			size_t want = size == 0 ? 4096 : size * 2;

			if (want > cap + 1)
				want = cap + 1;
			if (want <= size)
				break;
			if ((nb = realloc(b, want + 1)) == NULL) {
				gw_err_set(err, "%s: out of memory", path);
				goto out;
			}
			b = nb;
			size = want;
		}
		r = read(fd, b + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;	/* ESRCH: the process is gone */
			gw_err_set(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > cap) {
		gw_err_set(err, "%s: larger than %zu bytes", path, cap);
		goto out;
	}
	if (b == NULL && (b = malloc(1)) == NULL) {
		gw_err_set(err, "%s: out of memory", path);
		goto out;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
out:
	free(b);
	close(fd);
	errno = saved;		/* for callers telling "gone" from "broken" */
	return rc;
}

static const char *
root_of(const char *proc_root)
{
	return proc_root != NULL && proc_root[0] != '\0' ? proc_root :
	    HOSTINFO_PROC_ROOT;
}

int
hostinfo_load(const char *proc_root, struct hostinfo_load *l,
    struct gw_err *err)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/loadavg", root_of(proc_root));
	if (hostinfo_read_file(path, HOSTINFO_FILE_MAX, &buf, &len, err) < 0)
		return -1;
	rc = hostinfo_parse_loadavg(buf, len, path, l, err);
	free(buf);
	return rc;
}

int
hostinfo_mem(const char *proc_root, struct hostinfo_mem *m,
    struct gw_err *err)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/meminfo", root_of(proc_root));
	if (hostinfo_read_file(path, HOSTINFO_FILE_MAX, &buf, &len, err) < 0)
		return -1;
	rc = hostinfo_parse_meminfo(buf, len, path, m, err);
	free(buf);
	return rc;
}

int
hostinfo_cpus(const char *proc_root)
{
	char path[PATH_MAX], *buf;
	struct gw_err e;
	size_t len;
	long n;
	int cpus;

	snprintf(path, sizeof(path), "%s/cpuinfo", root_of(proc_root));
	if (hostinfo_read_file(path, HOSTINFO_CPUINFO_MAX, &buf, &len, &e) == 0) {
		int rc = hostinfo_parse_cpuinfo(buf, len, path, &cpus, &e);

		free(buf);
		if (rc == 0)
			return cpus;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n >= 1 && n <= HOSTINFO_CPUS_MAX ? (int)n : 1;
}

int
hostinfo_disk_free_pct(const char *path, double *pct, struct gw_err *err)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return gw_err_set(err, "%s: %s", path, strerror(errno));
	if (sv.f_blocks == 0)
		return gw_err_set(err, "%s: no blocks (not a disk)", path);
	*pct = (double)sv.f_bavail * 100.0 / (double)sv.f_blocks;
	return 0;
}

/* Read and decode one status file: 0, 1 when it is gone, -1 with err. */
static int
read_status(const char *path, struct hostinfo_status *s, struct gw_err *err)
{
	char *buf;
	size_t len;
	int rc;

	if (hostinfo_read_file(path, HOSTINFO_FILE_MAX, &buf, &len, err) < 0)
		return errno == ENOENT || errno == ESRCH ? 1 : -1;
	rc = hostinfo_parse_status(buf, len, path, s, err);
	free(buf);
	return rc;
}

int
hostinfo_proc_status(const char *proc_root, pid_t pid,
    struct hostinfo_status *s, struct gw_err *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%ld/status", root_of(proc_root),
	    (long)pid);
	return read_status(path, s, err);
}

int
hostinfo_find_by_name(const char *proc_root, const char *name, pid_t *pid,
    struct hostinfo_status *s, struct gw_err *err)
{
	const char *root = root_of(proc_root);
	struct hostinfo_status st, best;
	struct dirent *d;
	struct gw_err e;
	char path[PATH_MAX];
	pid_t best_pid = 0;
	uint64_t v;
	DIR *dir;

	if ((dir = opendir(root)) == NULL)
		return gw_err_set(err, "%s: %s", root, strerror(errno));
	while ((d = readdir(dir)) != NULL) {
		if (parse_uint(d->d_name, strlen(d->d_name), HOSTINFO_PID_MAX,
		    &v) != NUM_OK || v == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/status", root, d->d_name);
		if (read_status(path, &st, &e) != 0 || !st.has_rss ||
		    strcmp(st.name, name) != 0)
			continue;
		if (best_pid == 0 || st.rss_kib > best.rss_kib) {
			best = st;
			best_pid = (pid_t)v;
		}
	}
	closedir(dir);
	if (best_pid == 0)
		return 1;
	*pid = best_pid;
	*s = best;
	return 0;
}

int
hostinfo_read_pidfile(const char *path, pid_t *pid, struct gw_err *err)
{
	char *buf;
	size_t len;
	int rc;

	if (hostinfo_read_file(path, HOSTINFO_FILE_MAX, &buf, &len, err) < 0)
		return -1;
	rc = hostinfo_parse_pid(buf, len, path, pid, err);
	free(buf);
	return rc;
}
