/* Unit tests for lib/outq: records reach a pipe, a socket, a file and a tty
 * whole and in order; a stalled reader never blocks the writer, drops are
 * counted and told once the queue drains; the fd's own flags stay blocking;
 * the drain callback, a vanished reader and flush at exit. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "outq.h"

#define NOTICE_TAIL "output lines dropped: the log reader was too slow\n"

struct fx {
	struct event_base *base;
	int p[2];		/* [0] the test reads, [1] the queue writes */
	struct outq *q;
	struct evbuffer *got;	/* what the reader read */
	struct event *rd;
	struct event *deadline;
	int late;
	/* the loop stops at the first of these that is set and met */
	size_t want_len;
	const char *want_str;
	int want_drains;
	int drains;
	char dir[64], file[128];
};

static int
done(struct fx *f)
{
	size_t n = evbuffer_get_length(f->got);

	return (f->want_len > 0 && n >= f->want_len) ||
	    (f->want_str != NULL && evbuffer_search(f->got, f->want_str,
	    strlen(f->want_str), NULL).pos >= 0) ||
	    (f->want_drains > 0 && f->drains >= f->want_drains);
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;
	char buf[4096];
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		evbuffer_add(f->got, buf, (size_t)n);
	if (done(f))
		event_base_loopexit(f->base, NULL);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;

	(void)fd; (void)what;
	f->late = 1;
	event_base_loopexit(f->base, NULL);
}

static void
on_drained(void *arg)
{
	struct fx *f = arg;

	f->drains++;
	if (done(f))
		event_base_loopexit(f->base, NULL);
}

/* Run the loop until done(f), failing after 5 s. */
static void
run(struct fx *f)
{
	struct timeval five = { 5, 0 };

	f->late = 0;
	if (!done(f)) {
		evtimer_add(f->deadline, &five);
		event_base_dispatch(f->base);
		evtimer_del(f->deadline);
	}
	if (f->late)
		fail_msg("not done within the 5 s deadline (read %zu bytes)",
		    evbuffer_get_length(f->got));
}

/* The test's reader on its own end of the fd (its own description). */
static void
reader_start(struct fx *f)
{
	assert_int_equal(fcntl(f->p[0], F_SETFL,
	    fcntl(f->p[0], F_GETFL) | O_NONBLOCK), 0);
	if (f->rd == NULL)
		f->rd = event_new(f->base, f->p[0], EV_READ | EV_PERSIST,
		    on_readable, f);
	assert_int_equal(event_add(f->rd, NULL), 0);
}

static int
added_events(struct fx *f)
{
	return event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED);
}

/* Record i: "rec <i> xxx...\n", width bytes; width 0: it varies with i, so
 * that a shorter record may still fit where a longer one was dropped. */
static size_t
make_rec(char *buf, size_t sz, int i, size_t width)
{
	int k = snprintf(buf, sz, "rec %d ", i);

	if (width == 0)
		width = 40 + (size_t)(i * 37) % 200;
	assert_true(width < sz && (size_t)k < width);
	memset(buf + k, 'x', width - 1 - (size_t)k);
	buf[width - 1] = '\n';
	return width;
}

/* Write count records of width bytes (0: varying) through the queue, each
 * accepted; with want, also append them there. Returns the bytes written. */
static size_t
write_recs(struct fx *f, int count, size_t width, struct evbuffer *want)
{
	char rec[600];
	size_t n, total = 0;
	int i;

	for (i = 0; i < count; i++) {
		n = make_rec(rec, sizeof(rec), i, width);
		assert_int_equal(outq_write(f->q, rec, n), 0);
		if (want != NULL)
			evbuffer_add(want, rec, n);
		total += n;
	}
	return total;
}

static void
assert_got(struct fx *f, struct evbuffer *want)
{
	size_t n = evbuffer_get_length(want);

	assert_int_equal(evbuffer_get_length(f->got), n);
	assert_memory_equal(evbuffer_pullup(f->got, -1),
	    evbuffer_pullup(want, -1), n);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->base = event_base_new();
	f->got = evbuffer_new();
	f->deadline = evtimer_new(f->base, on_deadline, f);
	f->p[0] = f->p[1] = -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	outq_free(f->q);
	if (f->rd != NULL)
		event_free(f->rd);
	event_free(f->deadline);
	if (f->p[0] >= 0)
		close(f->p[0]);
	if (f->p[1] >= 0)
		close(f->p[1]);
	if (f->file[0] != '\0')
		unlink(f->file);
	if (f->dir[0] != '\0')
		rmdir(f->dir);
	evbuffer_free(f->got);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void
new_queue(struct fx *f, int fd, size_t cap)
{
	struct gw_err e = { "" };

	f->q = outq_new(f->base, fd, cap, &e);
	if (f->q == NULL)
		fail_msg("outq_new: %s", e.msg);
	outq_set_name(f->q, "stack-init");
}

static void
small_pipe(struct fx *f)
{
	assert_int_equal(pipe2(f->p, O_CLOEXEC), 0);
	assert_int_equal(fcntl(f->p[1], F_SETPIPE_SZ, 4096), 4096);
}

/* 2000 records of 100 bytes, more than the fd holds: most wait in the
 * queue, then all come out in order, byte for byte. */
static void
check_in_order(struct fx *f)
{
	struct evbuffer *want = evbuffer_new();

	new_queue(f, f->p[1], 256 * 1024);
	write_recs(f, 2000, 100, want);
	assert_true(outq_pending(f->q) > 0);
	assert_int_equal(added_events(f), 1);	/* the queue's EV_WRITE */
	reader_start(f);
	f->want_len = evbuffer_get_length(want);
	run(f);
	assert_got(f, want);
	assert_int_equal(outq_pending(f->q), 0);
	assert_int_equal(outq_dropped(f->q), 0);
	assert_int_equal(added_events(f), 1);	/* the reader's only */
	evbuffer_free(want);
}

/* Nobody reads: records are queued up to the cap, then dropped whole, and
 * outq_write returns each time (a watchdog kills the test if it blocks).
 * Then the reader starts: the accepted records arrive whole and in order,
 * followed by the notice with the number dropped. */
static void
check_stall_then_drain(struct fx *f, size_t cap)
{
	struct evbuffer *want = evbuffer_new();
	unsigned long long drops = 0;
	char rec[256];
	size_t n;
	int i;

	assert_int_equal(alarm(20), 0);
	for (i = 0; drops < 25; i++) {
		assert_true(i < 100000);
		n = make_rec(rec, sizeof(rec), i, 0);
		if (outq_write(f->q, rec, n) == 0)
			evbuffer_add(want, rec, n);
		else
			drops++;
		assert_true(outq_pending(f->q) <= cap);
	}
	alarm(0);
	assert_int_equal(outq_dropped(f->q), 25);
	assert_true(outq_pending(f->q) > 0);
	evbuffer_add_printf(want, "stack-init: 25 " NOTICE_TAIL);

	reader_start(f);
	f->want_str = NOTICE_TAIL;
	run(f);
	assert_got(f, want);
	assert_int_equal(outq_pending(f->q), 0);
	assert_int_equal(outq_dropped(f->q), 25);
	evbuffer_free(want);
}

static void
test_pipe_in_order(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pipe2(f->p, O_CLOEXEC), 0);
	check_in_order(f);
}

static void
test_pipe_stalled(void **state)
{
	struct fx *f = *state;

	small_pipe(f);
	new_queue(f, f->p[1], 8 * 1024);
	check_stall_then_drain(f, 8 * 1024);
	/* drained: no write event left behind (no busy loop) */
	assert_int_equal(added_events(f), 1);
}

/* A pipe that cannot be opened again through /proc (here: mode 0, as for
 * another user's pipe) is written with poll, then at most PIPE_BUF bytes:
 * the same results. Root opens it anyway: skipped. */
static void
test_pipe_poll_fallback(void **state)
{
	struct fx *f = *state;
	char path[64];
	int fd;

	small_pipe(f);
	assert_int_equal(fchmod(f->p[1], 0), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->p[1]);
	if ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) >= 0) {
		close(fd);
		print_message("the pipe opens again (root?): skipped\n");
		skip();
	}
	new_queue(f, f->p[1], 8 * 1024);
	check_stall_then_drain(f, 8 * 1024);
	assert_false(fcntl(f->p[1], F_GETFL) & O_NONBLOCK);
}

/* Children share the fd's open file description: it must stay blocking,
 * even after the queue has written into a full pipe. */
static void
test_pipe_flags_unchanged(void **state)
{
	struct fx *f = *state;
	char rec[256];
	size_t n;
	int fl, i;

	small_pipe(f);
	fl = fcntl(f->p[1], F_GETFL);
	assert_false(fl & O_NONBLOCK);
	new_queue(f, f->p[1], 8 * 1024);
	assert_int_equal(fcntl(f->p[1], F_GETFL), fl);
	for (i = 0; outq_dropped(f->q) == 0; i++) {
		assert_true(i < 10000);
		n = make_rec(rec, sizeof(rec), i, 100);
		outq_write(f->q, rec, n);
	}
	assert_int_equal(fcntl(f->p[1], F_GETFL), fl);
	outq_free(f->q);
	f->q = NULL;
	assert_int_equal(fcntl(f->p[1], F_GETFL), fl);
}

static void
test_on_drain(void **state)
{
	struct fx *f = *state;
	size_t total;

	small_pipe(f);
	new_queue(f, f->p[1], 64 * 1024);
	outq_on_drain(f->q, 1024, on_drained, f);
	total = write_recs(f, 20, 500, NULL);
	assert_true(outq_pending(f->q) > 1024);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	assert_int_equal(f->drains, 0);	/* nothing has been read */

	reader_start(f);
	f->want_drains = 1;
	run(f);
	assert_int_equal(f->drains, 1);
	assert_true(outq_pending(f->q) <= 1024);

	/* the rest drains, then a record written at once never goes above
	 * low: no second call */
	f->want_drains = 0;
	f->want_len = total;
	run(f);
	assert_int_equal(outq_pending(f->q), 0);
	assert_int_equal(outq_write(f->q, "tail.\n", 6), 0);
	assert_int_equal(outq_pending(f->q), 0);
	f->want_len = total + 6;
	run(f);
	assert_int_equal(f->drains, 1);

	/* above low again, then below: a second call */
	event_del(f->rd);
	write_recs(f, 20, 500, NULL);
	assert_true(outq_pending(f->q) > 1024);
	assert_int_equal(f->drains, 1);
	reader_start(f);
	f->want_len = 0;
	f->want_drains = 2;
	run(f);
	assert_int_equal(f->drains, 2);
}

static void
test_socket_in_order(void **state)
{
	struct fx *f = *state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    f->p), 0);
	check_in_order(f);
}

static void
test_socket_stalled(void **state)
{
	struct fx *f = *state;
	int sz = 4096, fl;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    f->p), 0);
	assert_int_equal(setsockopt(f->p[1], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	fl = fcntl(f->p[1], F_GETFL);
	new_queue(f, f->p[1], 8 * 1024);
	check_stall_then_drain(f, 8 * 1024);
	assert_int_equal(fcntl(f->p[1], F_GETFL), fl);
	assert_false(fl & O_NONBLOCK);
}

static void
read_file(struct fx *f)
{
	char buf[1024];
	ssize_t n;
	off_t off = 0;

	evbuffer_drain(f->got, evbuffer_get_length(f->got));
	while ((n = pread(f->p[1], buf, sizeof(buf), off)) > 0) {
		evbuffer_add(f->got, buf, (size_t)n);
		off += n;
	}
	assert_int_equal(n, 0);
}

/* Regular file: written at once, nothing waits, no event. A record larger
 * than the cap is dropped even into an empty queue, and the notice (which
 * is itself over this cap) follows at once. */
static void
test_regular_file(void **state)
{
	struct fx *f = *state;
	struct evbuffer *want = evbuffer_new();
	char big[100];

	snprintf(f->dir, sizeof(f->dir), "/tmp/gwkit-outq-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->file, sizeof(f->file), "%s/out.log", f->dir);
	f->p[1] = open(f->file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(f->p[1] >= 0);
	new_queue(f, f->p[1], 64);

	assert_int_equal(outq_write(f->q, "one\n", 4), 0);
	assert_int_equal(outq_write(f->q, "two\n", 4), 0);
	assert_int_equal(outq_pending(f->q), 0);
	memset(big, 'b', sizeof(big));
	assert_int_equal(outq_write(f->q, big, sizeof(big)), -1);
	assert_int_equal(outq_dropped(f->q), 1);
	assert_int_equal(outq_pending(f->q), 0);
	assert_int_equal(outq_write(f->q, "three\n", 6), 0);
	assert_int_equal(outq_flush(f->q, 1000), 0);
	assert_int_equal(added_events(f), 0);

	evbuffer_add_printf(want, "one\ntwo\nstack-init: 1 " NOTICE_TAIL
	    "three\n");
	read_file(f);
	assert_got(f, want);
	evbuffer_free(want);
}

static void
test_bad_fd(void **state)
{
	struct fx *f = *state;
	struct gw_err e = { "" };
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	close(fd);
	assert_null(outq_new(f->base, fd, 1024, &e));
	assert_true(strstr(e.msg, "outq: fd ") == e.msg);
	assert_non_null(strstr(e.msg, ": Bad file descriptor"));
}

/* The reader is gone before the queue is made (the private description
 * cannot be opened then: the poll fallback): records are dropped and
 * counted. */
static void
test_reader_gone_before(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pipe2(f->p, O_CLOEXEC), 0);
	close(f->p[0]);
	f->p[0] = -1;
	new_queue(f, f->p[1], 1024);
	assert_int_equal(outq_write(f->q, "lost\n", 5), 0);
	assert_int_equal(outq_pending(f->q), 0);
	assert_int_equal(outq_write(f->q, "lost too\n", 9), 0);
	assert_int_equal(outq_pending(f->q), 0);
	assert_int_equal(outq_dropped(f->q), 2);
	assert_int_equal(outq_flush(f->q, 100), -1);
	assert_int_equal(added_events(f), 0);
}

/* The reader goes while records wait: the loop finds EPIPE, discards them
 * and tells the paused producers to go on (pending fell to <= low). */
static void
test_reader_gone_while_pending(void **state)
{
	struct fx *f = *state;

	small_pipe(f);
	new_queue(f, f->p[1], 64 * 1024);
	outq_on_drain(f->q, 0, on_drained, f);
	size_t waiting;

	write_recs(f, 100, 100, NULL);
	waiting = outq_pending(f->q);
	assert_true(waiting > 0);
	close(f->p[0]);
	f->p[0] = -1;
	f->want_drains = 1;
	run(f);
	assert_int_equal(f->drains, 1);
	assert_int_equal(outq_pending(f->q), 0);
	/* every record with its newline still waiting is counted (the
	 * first may have gone out in part) */
	assert_int_equal(outq_dropped(f->q), (waiting + 99) / 100);
	write_recs(f, 10, 100, NULL);	/* each returns 0, dropped */
	assert_int_equal(outq_pending(f->q), 0);
	assert_int_equal(outq_dropped(f->q), (waiting + 99) / 100 + 10);
	assert_int_equal(outq_flush(f->q, 100), -1);
	assert_int_equal(added_events(f), 0);
}

/* A FIFO whose reader goes and comes back (a log shipper restarting):
 * what was written meanwhile is counted, and the new reader hears about
 * it before the next line. */
static void
test_reader_comes_back(void **state)
{
	struct fx *f = *state;
	char dir[] = "/tmp/test_outq.XXXXXX", path[64], buf[512];
	int r, w;
	ssize_t n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_true((r = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) >= 0);
	assert_true((w = open(path, O_WRONLY | O_CLOEXEC)) >= 0);
	new_queue(f, w, 4096);
	outq_set_name(f->q, "stack-init");
	assert_int_equal(outq_write(f->q, "one\n", 4), 0);
	assert_int_equal(read(r, buf, sizeof(buf)), 4);
	close(r);
	assert_int_equal(outq_write(f->q, "two\n", 4), 0);
	assert_int_equal(outq_write(f->q, "three\n", 6), 0);
	assert_int_equal(outq_dropped(f->q), 2);
	assert_int_equal(outq_pending(f->q), 0);
	assert_true((r = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) >= 0);
	assert_int_equal(outq_write(f->q, "four\n", 5), 0);
	n = read(r, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "stack-init: 2 output lines dropped: the log "
	    "reader was too slow\nfour\n");
	assert_int_equal(outq_flush(f->q, 100), 0);
	outq_free(f->q);
	f->q = NULL;
	close(r);
	close(w);
	unlink(path);
	rmdir(dir);
}

/* A child process reads at its own pace: flush blocks until all is out. */
static void
test_flush_all(void **state)
{
	struct fx *f = *state;
	struct evbuffer *want = evbuffer_new();
	size_t len, got = 0;
	ssize_t n;
	char *all, buf[4096];
	pid_t pid;
	int status;

	small_pipe(f);
	new_queue(f, f->p[1], 256 * 1024);
	len = write_recs(f, 300, 0, want);
	all = (char *)evbuffer_pullup(want, -1);
	assert_true(outq_pending(f->q) > 0);
	if ((pid = fork()) == 0) {
		/* reads the exact length: the write ends stay open in both
		 * processes, so no EOF comes */
		alarm(30);
		while (got < len && (n = read(f->p[0], buf, sizeof(buf))) > 0) {
			if (got + (size_t)n > len ||
			    memcmp(all + got, buf, (size_t)n) != 0)
				_exit(1);
			got += (size_t)n;
		}
		_exit(got == len ? 0 : 2);
	}
	assert_true(pid > 0);
	close(f->p[0]);
	f->p[0] = -1;
	assert_int_equal(outq_flush(f->q, 20000), 0);
	assert_int_equal(outq_pending(f->q), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	evbuffer_free(want);
}

/* Nobody reads: flush gives up after the timeout (the upper bound only
 * rules out waiting for ever, with room for a loaded machine). */
static void
test_flush_stalled(void **state)
{
	struct fx *f = *state;
	struct timespec t0, t1;
	long ms;

	small_pipe(f);
	new_queue(f, f->p[1], 256 * 1024);
	write_recs(f, 200, 0, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(outq_flush(f->q, 200), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 190);
	assert_true(ms < 3000);
	assert_true(outq_pending(f->q) > 0);
}

static int
open_pty(struct fx *f)
{
	struct termios t;

	if ((f->p[0] = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return -1;
	assert_int_equal(grantpt(f->p[0]), 0);
	assert_int_equal(unlockpt(f->p[0]), 0);
	f->p[1] = open(ptsname(f->p[0]), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(f->p[1] >= 0);
	/* raw: no "\n" -> "\r\n", so that bytes compare exactly */
	assert_int_equal(tcgetattr(f->p[1], &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(f->p[1], TCSANOW, &t), 0);
	return 0;
}

static void
test_tty(void **state)
{
	struct fx *f = *state;
	struct evbuffer *want = evbuffer_new();
	int fl;

	if (open_pty(f) < 0) {
		print_message("no pty (posix_openpt: %s): skipped\n",
		    strerror(errno));
		evbuffer_free(want);
		skip();
	}
	fl = fcntl(f->p[1], F_GETFL);
	new_queue(f, f->p[1], 8 * 1024);
	assert_int_equal(outq_write(f->q, "hello tty\n", 10), 0);
	assert_int_equal(outq_write(f->q, "second\n", 7), 0);
	evbuffer_add_printf(want, "hello tty\nsecond\n");
	reader_start(f);
	f->want_len = evbuffer_get_length(want);
	run(f);
	assert_got(f, want);
	assert_int_equal(fcntl(f->p[1], F_GETFL), fl);
	assert_false(fl & O_NONBLOCK);
	evbuffer_free(want);
}

static void
test_tty_stalled(void **state)
{
	struct fx *f = *state;

	if (open_pty(f) < 0) {
		print_message("no pty (posix_openpt: %s): skipped\n",
		    strerror(errno));
		skip();
	}
	new_queue(f, f->p[1], 8 * 1024);
	check_stall_then_drain(f, 8 * 1024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pipe_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipe_stalled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipe_poll_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipe_flags_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_on_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_stalled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regular_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_gone_before, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_comes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_gone_while_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_stalled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tty_stalled, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);	/* as the program does */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
