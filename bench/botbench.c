/*
 * botbench: the small programs bench/bot.sh needs around bot-core, one per
 * mode. Input is trusted (bot-core's lines, the bench's own arguments); a
 * line it does not recognise is skipped. Times are CLOCK_REALTIME, the
 * clock of bash's $EPOCHREALTIME and of bot-core's ts_ms, so stamps taken
 * by different processes compare.
 *
 *   botbench stamp
 *	stdin to stdout, each line prefixed with "<unix µs> ": the moment
 *	the read that completed the line returned (an upper bound on when
 *	the writer wrote it).
 *   botbench relay PORT UPSTREAM_PORT STAMPS
 *	a TCP relay on 127.0.0.1:PORT to 127.0.0.1:UPSTREAM_PORT (gw-sim),
 *	one connection at a time. Each chunk it reads from upstream is
 *	written on at once; the µs taken just before that write is appended
 *	to STAMPS (one number a line): when the client got the bytes.
 *   botbench feed PERIOD_MS PER_PERIOD STAMPS
 *	tick lines shaped like bot-core's, PER_PERIOD of them in one write()
 *	every PERIOD_MS (as gw-sim's ticks reach bot-core: a burst at once),
 *	ts_ms the whole ms of the µs taken just before the write, which is
 *	appended to STAMPS; until EPIPE.
 *   botbench ticks N OUT STAMPS [PID]
 *	a strategy (or any reader of tick lines): for each tick line, the µs
 *	at which its read() returned. At the end each line is matched to the
 *	chunk of STAMPS it came from (the latest burst of chunks written
 *	before it arrived and in or before its ts_ms; a burst is chunks less
 *	than 1 ms apart, and its first counts) and its latency is arrival
 *	minus that write. After 200 ticks of warm-up, over the next N:
 *	p50/p99/max, the rate, and the CPU time and VmHWM of PID (default:
 *	the parent, i.e. bot-core when run as STRATEGY_CMD='exec botbench
 *	...'). One line to OUT; then, as a strategy (no PID), it reads on
 *	until EOF (a strategy that exits is restarted and would start
 *	again), else it exits.
 *   botbench flood N OUT [--ready SYMBOL]
 *	a strategy: N intents (SYMBOL, BUY/SELL alternately, 1 share, MKT)
 *	as fast as the pipe takes them, while counting the lines that come
 *	back with their ids. With --ready it first waits for the gate open,
 *	strategy A or B and a tick of SYMBOL with an ask, and after its line
 *	to OUT reads on until EOF, as ticks does.
 *   botbench ctl SOCKET LINE
 *	one request on a Unix socket: prints "<unix µs before write> reply".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define WARM		200
#define DEADLINE_MS	60000	/* every wait gives up after this */
#define LINE_MAX_LEN	8192

struct reader {
	int fd;
	char buf[65536];
	size_t have;
	int64_t when_us;	/* the read that completed the current line */
};

static int64_t
now_us(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* A complete line already buffered: copied into line (NUL-terminated,
 * without LF, cut to cap) and 1; else 0. */
static int
next_line(struct reader *r, char *line, size_t cap)
{
	char *lf;
	size_t len;

	if ((lf = memchr(r->buf, '\n', r->have)) == NULL) {
		if (r->have == sizeof(r->buf))
			r->have = 0;	/* a monster line: dropped */
		return 0;
	}
	len = (size_t)(lf - r->buf);
	memcpy(line, r->buf, len < cap ? len : cap - 1);
	line[len < cap ? len : cap - 1] = '\0';
	r->have -= len + 1;
	memmove(r->buf, lf + 1, r->have);
	return 1;
}

/* One read(); when_us is stamped as it returns. 1, 0 at EOF, -1. */
static int
fill(struct reader *r)
{
	ssize_t n;

	do
		n = read(r->fd, r->buf + r->have, sizeof(r->buf) - r->have);
	while (n < 0 && errno == EINTR);
	r->when_us = now_us(CLOCK_REALTIME);
	if (n > 0)
		r->have += (size_t)n;
	return n > 0 ? 1 : (int)n;
}

/* The next line, waiting at most DEADLINE_MS for it: 1, 0 at EOF, -1. */
static int
read_line(struct reader *r, char *line, size_t cap)
{
	int rc;

	while (!next_line(r, line, cap)) {
		struct pollfd p = { r->fd, POLLIN, 0 };

		if (poll(&p, 1, DEADLINE_MS) == 0) {
			fprintf(stderr, "botbench: nothing to read for %d s\n",
			    DEADLINE_MS / 1000);
			return -1;
		}
		if ((rc = fill(r)) <= 0)
			return rc;
	}
	return 1;
}

/* A strategy stays until bot-core stops it (its stdin's EOF). */
static void
drain(struct reader *r)
{
	while (fill(r) > 0)
		r->have = 0;
}

/* The integer after "KEY": in line, or -1 (absent, null). */
static int64_t
field_int(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(line, pat)) == NULL)
		return -1;
	p += strlen(pat);
	if (*p < '0' || *p > '9')
		return -1;
	return strtoll(p, NULL, 10);
}

static int
do_stamp(void)
{
	static struct reader r = { .fd = 0 };
	static char line[LINE_MAX_LEN];
	int rc;

	/* No deadline: bot-core may be quiet for long; its exit ends this. */
	while ((rc = fill(&r)) > 0) {
		while (next_line(&r, line, sizeof(line)))
			printf("%" PRId64 " %s\n", r.when_us, line);
		fflush(stdout);
	}
	return rc < 0;
}

/*
 * The CPU time pid has used, in ms, and its VmHWM in KiB; -1 when
 * unreadable. /proc/PID/schedstat's first field (ns on the CPU, exact) when
 * the kernel keeps it; else utime+stime of /proc/PID/stat, which count in
 * clock ticks (10 ms) and are sampled, so they need a long window.
 */
static int
proc_usage(long pid, double *cpu_ms, long *hwm_kib, const char **src)
{
	char path[64], buf[2048], *p;
	unsigned long long ns;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	*cpu_ms = -1;
	*hwm_kib = -1;
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%llu", &ns) == 1 && ns > 0) {
			*cpu_ms = (double)ns / 1e6;
			*src = "schedstat";
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (*cpu_ms < 0 && (f = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* after the command name, which may hold spaces: utime and
		 * stime are fields 14 and 15, the 12th and 13th after ')' */
		if ((p = strrchr(buf, ')')) != NULL && sscanf(p + 2,
		    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		    &ut, &st) == 2) {
			*cpu_ms = (double)(ut + st) * 1000.0 /
			    (double)sysconf(_SC_CLK_TCK);
			*src = "stat";
		}
	}
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (sscanf(buf, "VmHWM: %ld", hwm_kib) == 1)
			break;
	fclose(f);
	return *cpu_ms < 0 ? -1 : 0;
}

/* STAMPS: the write times, in order. NULL when unreadable. */
static int64_t *
load_stamps(const char *path, size_t *n)
{
	int64_t *v = NULL, *nv, t;
	size_t cap = 0;
	FILE *f;

	*n = 0;
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	while (fscanf(f, "%" SCNd64, &t) == 1) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		v[(*n)++] = t;
	}
	fclose(f);
	return v;
}

/* The latency of a line that arrived at arr_us with ts_ms: arrival minus
 * the first chunk of the latest burst written by then (and by the end of
 * its ts_ms: bot-core decoded it in that ms); -1 when none matches. */
static int64_t
match(const int64_t *w, size_t nw, int64_t arr_us, int64_t ts_ms)
{
	int64_t by = ts_ms * 1000 + 999 < arr_us ? ts_ms * 1000 + 999 : arr_us;
	size_t lo = 0, hi = nw;

	while (lo < hi) {	/* the first stamp after by */
		size_t mid = (lo + hi) / 2;

		if (w[mid] <= by)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	for (lo--; lo > 0 && w[lo] - w[lo - 1] < 1000; lo--)
		;
	return arr_us - w[lo];
}

static int
do_ticks(long n, const char *out, const char *stamps, long pid, int stay)
{
	static struct reader r = { .fd = 0 };
	static char line[LINE_MAX_LEN];
	int64_t *arr, *ts, *lat, *w, t0 = 0, c, coalesced = 0;
	long seen = 0, k = 0, m = 0, i;
	double cpu0 = -1, cpu1, secs;
	const char *src = "none";
	size_t nw;
	long hwm;
	FILE *f;

	arr = calloc((size_t)n, sizeof(*arr));
	ts = calloc((size_t)n, sizeof(*ts));
	lat = calloc((size_t)n, sizeof(*lat));
	if (arr == NULL || ts == NULL || lat == NULL)
		return 1;
	while (k < n) {
		if (read_line(&r, line, sizeof(line)) <= 0)
			return 1;
		if (strstr(line, "\"type\":\"tick\"") == NULL)
			continue;
		if (++seen == WARM) {
			t0 = now_us(CLOCK_MONOTONIC);
			proc_usage(pid, &cpu0, &hwm, &src);
		}
		if (seen <= WARM || (ts[k] = field_int(line, "ts_ms")) < 0)
			continue;
		if ((c = field_int(line, "coalesced")) > 0)
			coalesced += c;
		arr[k++] = r.when_us;
	}
	secs = (double)(now_us(CLOCK_MONOTONIC) - t0) / 1e6;
	proc_usage(pid, &cpu1, &hwm, &src);
	if ((w = load_stamps(stamps, &nw)) == NULL)
		return 1;
	for (i = 0; i < n; i++)
		if ((lat[m] = match(w, nw, arr[i], ts[i])) >= 0)
			m++;
	if (m == 0)
		return 1;
	qsort(lat, (size_t)m, sizeof(*lat), cmp64);
	if ((f = fopen(out, "w")) == NULL)
		return 1;
	fprintf(f, "ticks=%ld matched=%ld coalesced=%" PRId64 " secs=%.3f "
	    "rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f cpu_ms=%.3f "
	    "cpu_src=%s hwm_kib=%ld pid=%ld\n", n, m, coalesced, secs,
	    (double)n / secs, (double)lat[m / 2] / 1e3,
	    (double)lat[(m * 99 + 99) / 100 - 1] / 1e3,
	    (double)lat[m - 1] / 1e3, cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1,
	    src, hwm, pid);
	fclose(f);
	free(w);
	free(lat);
	free(ts);
	free(arr);
	if (stay)
		drain(&r);
	return 0;
}

/* Append one stamp; the file is only read once the run is over. */
static void
put_stamp(int fd, int64_t t)
{
	char s[32];
	int len = snprintf(s, sizeof(s), "%" PRId64 "\n", t);

	(void)!write(fd, s, (size_t)len);
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
do_feed(long period_ms, long per, const char *stamps)
{
	static const char *const sym[] = { "SPY", "QQQ", "IWM", "DIA" };
	static char burst[65536];
	size_t at[200];		/* where each line's ts_ms digits are */
	struct timespec next;
	char ms[32];
	size_t len;
	long i, j = 0;
	int64_t t;
	int sf;

	if (per < 1 || per > 200 || period_ms < 1 ||
	    (sf = open(stamps, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
	    0600)) < 0)
		return 64;
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		for (i = 0, len = 0; i < per; i++, j++) {
			len += (size_t)snprintf(burst + len, sizeof(burst) - len,
			    "{\"type\":\"tick\",\"symbol\":\"%s\",\"bid\":450.12,"
			    "\"ask\":450.13,\"last\":450.125,\"bid_size\":300,"
			    "\"ask_size\":200,\"last_size\":100,\"volume\":%ld,"
			    "\"ts_ms\":", sym[j % 4], 123456789 + j);
			at[i] = len;
			len += (size_t)snprintf(burst + len, sizeof(burst) - len,
			    "0000000000000,\"coalesced\":0}\n");
		}
		/* the stamp is taken just before the write, and the lines'
		 * ts_ms (13 digits until the year 2286) patched in */
		t = now_us(CLOCK_REALTIME);
		snprintf(ms, sizeof(ms), "%013" PRId64, t / 1000);
		for (i = 0; i < per; i++)
			memcpy(burst + at[i], ms, 13);
		if (write_all(1, burst, len) < 0)
			return 0;	/* the reader is done */
		put_stamp(sf, t);
		next.tv_nsec += period_ms * 1000000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
}

static int
tcp_local(int port, int listening)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1;

	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (listening) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(fd, 4) < 0) {
			close(fd);
			return -1;
		}
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
do_relay(int port, int up_port, const char *stamps)
{
	static char buf[65536];
	int lfd, cfd, ufd, sf, one = 1;
	ssize_t n;
	int64_t t;

	signal(SIGPIPE, SIG_IGN);
	if ((sf = open(stamps, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
	    0600)) < 0 || (lfd = tcp_local(port, 1)) < 0) {
		perror("botbench: relay");
		return 1;
	}
	/* Runs until the bench kills it: it serves bot-core's reconnects. */
	for (;;) {
		if ((cfd = accept(lfd, NULL, NULL)) < 0)
			continue;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((ufd = tcp_local(up_port, 0)) < 0) {
			close(cfd);
			continue;
		}
		for (;;) {
			struct pollfd p[2] = { { ufd, POLLIN, 0 },
			    { cfd, POLLIN, 0 } };

			if (poll(p, 2, -1) < 0 && errno != EINTR)
				break;
			if (p[0].revents) {
				if ((n = read(ufd, buf, sizeof(buf))) <= 0)
					break;
				t = now_us(CLOCK_REALTIME);
				if (write_all(cfd, buf, (size_t)n) < 0)
					break;
				put_stamp(sf, t);
			}
			if (p[1].revents) {
				if ((n = read(cfd, buf, sizeof(buf))) <= 0 ||
				    write_all(ufd, buf, (size_t)n) < 0)
					break;
			}
		}
		close(ufd);
		close(cfd);
	}
}

/* Wait for a gate open, strategy A or B, and a tick of sym with an ask. */
static int
wait_ready(struct reader *r, const char *sym)
{
	static char line[LINE_MAX_LEN];
	char want[64];
	int open = 0, trading = 0, priced = 0;

	snprintf(want, sizeof(want), "\"symbol\":\"%s\"", sym);
	while (!(open && trading && priced)) {
		if (read_line(r, line, sizeof(line)) <= 0)
			return -1;
		if (strstr(line, "\"type\":\"gate\"") != NULL)
			open = strstr(line, "\"open\":true") != NULL;
		else if (strstr(line, "\"type\":\"strategy\"") != NULL)
			trading = strstr(line, "\"active\":\"C\"") == NULL;
		else if (strstr(line, "\"type\":\"tick\"") != NULL &&
		    strstr(line, want) != NULL && field_int(line, "ask") >= 0)
			priced = 1;
	}
	return 0;
}

static int
do_flood(long n, const char *out, const char *ready)
{
	static struct reader r = { .fd = 0 };
	static char line[LINE_MAX_LEN];
	const char *sym = ready ? ready : "SPY";
	size_t cap = (size_t)n * 128, len = 0, off = 0;
	long i, back = 0, accepted = 0;
	int64_t t0, t1;
	char *buf;
	FILE *f;

	signal(SIGPIPE, SIG_IGN);
	if (ready != NULL && wait_ready(&r, ready) < 0)
		return 1;
	if ((buf = malloc(cap)) == NULL)
		return 1;
	for (i = 1; i <= n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "{\"type\":"
		    "\"intent\",\"id\":\"b%ld\",\"symbol\":\"%s\",\"side\":\"%s\","
		    "\"quantity\":1,\"order_type\":\"MKT\"}\n", i, sym,
		    i % 2 ? "BUY" : "SELL");
	fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	t0 = now_us(CLOCK_MONOTONIC);
	while (back < n) {
		struct pollfd p[2] = { { 0, POLLIN, 0 },
		    { off < len ? 1 : -1, POLLOUT, 0 } };

		while (next_line(&r, line, sizeof(line))) {
			if (strstr(line, "\"id\":\"b") == NULL)
				continue;
			back++;
			if (strstr(line, "\"accepted\":true") != NULL)
				accepted++;
		}
		if (back == n)
			break;
		if (poll(p, 2, DEADLINE_MS) == 0) {
			fprintf(stderr, "botbench: flood stalled\n");
			break;
		}
		if (p[1].revents & (POLLOUT | POLLERR)) {
			ssize_t w = write(1, buf + off, len - off);

			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				break;
		}
		if ((p[0].revents & (POLLIN | POLLHUP)) && fill(&r) <= 0)
			break;
	}
	t1 = now_us(CLOCK_MONOTONIC);
	if ((f = fopen(out, "w")) == NULL)
		return 1;
	fprintf(f, "intents=%ld back=%ld accepted=%ld secs=%.3f rate=%.0f\n",
	    n, back, accepted, (double)(t1 - t0) / 1e6,
	    (double)back * 1e6 / (double)(t1 - t0));
	fclose(f);
	free(buf);
	if (ready != NULL)
		drain(&r);
	return back == n ? 0 : 1;
}

static int
do_ctl(const char *path, const char *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct reader r;
	char line[LINE_MAX_LEN], msg[4200];
	int64_t t;
	int fd, len;

	if (strlen(path) >= sizeof(sa.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return 1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("botbench: connect");
		return 1;
	}
	len = snprintf(msg, sizeof(msg), "%s\n", req);
	t = now_us(CLOCK_REALTIME);
	if (write(fd, msg, (size_t)len) != len)
		return 1;
	r.fd = fd;
	r.have = 0;
	if (read_line(&r, line, sizeof(line)) <= 0)
		return 1;
	printf("%" PRId64 " %s\n", t, line);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (strcmp(m, "stamp") == 0 && argc == 2)
		return do_stamp();
	if (strcmp(m, "ticks") == 0 && (argc == 5 || argc == 6) &&
	    atol(argv[2]) > 0)
		return do_ticks(atol(argv[2]), argv[3], argv[4],
		    argc == 6 ? atol(argv[5]) : (long)getppid(), argc == 5);
	if (strcmp(m, "feed") == 0 && argc == 5)
		return do_feed(atol(argv[2]), atol(argv[3]), argv[4]);
	if (strcmp(m, "relay") == 0 && argc == 5)
		return do_relay(atoi(argv[2]), atoi(argv[3]), argv[4]);
	if (strcmp(m, "flood") == 0 && atol(argc > 2 ? argv[2] : "0") > 0 &&
	    (argc == 4 || (argc == 6 && strcmp(argv[4], "--ready") == 0)))
		return do_flood(atol(argv[2]), argv[3],
		    argc == 6 ? argv[5] : NULL);
	if (strcmp(m, "ctl") == 0 && argc == 4)
		return do_ctl(argv[2], argv[3]);
	fprintf(stderr, "usage: botbench stamp | relay PORT UPSTREAM_PORT STAMPS "
	    "| feed PERIOD_MS PER_PERIOD STAMPS | ticks N OUT STAMPS [PID] | "
	    "flood N OUT [--ready SYMBOL] | ctl SOCKET LINE\n");
	return 64;
}
