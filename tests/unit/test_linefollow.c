/* Unit tests for lib/linefollow: a temp file appended to, truncated,
 * renamed and recreated, missing then created, an overlong line, CRLF; a
 * pipe to EOF. The loop runs with EVLOOP_ONCE until the expected lines are
 * in or a deadline passes (a 20 ms tick keeps it from blocking forever). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "gw_err.h"
#include "linefollow.h"

#define MAXL 64

struct ctx {
	struct event_base *base;
	struct event *tick;
	struct linefollow *lf;
	char dir[64];
	char path[128];
	char *lines[MAXL];
	size_t lens[MAXL];
	int n;
	char notes[8][GW_ERR_MAX];
	int n_notes;
	int eof;
	int free_after;		/* linefollow_free after this many lines */
};

static void
on_line(void *arg, const char *line, size_t len)
{
	struct ctx *c = arg;

	assert_true(c->n < MAXL);
	c->lines[c->n] = malloc(len + 1);
	assert_non_null(c->lines[c->n]);
	memcpy(c->lines[c->n], line, len);
	c->lines[c->n][len] = '\0';
	c->lens[c->n++] = len;
	if (c->free_after > 0 && c->n == c->free_after) {
		linefollow_free(c->lf);
		c->lf = NULL;
	}
}

static void
on_eof(void *arg)
{
	((struct ctx *)arg)->eof++;
}

static void
on_note(void *arg, const char *msg)
{
	struct ctx *c = arg;

	if (c->n_notes < 8)
		snprintf(c->notes[c->n_notes], GW_ERR_MAX, "%s", msg);
	c->n_notes++;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void
quiet(int severity, const char *msg)
{
	(void)severity;
	(void)msg;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the loop until c->n >= want lines (or EOF seen, when want < 0), or
 * ms pass. Returns whether the condition was met. */
static int
run_until(struct ctx *c, int want, int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end) {
		if (want >= 0 ? c->n >= want : c->eof > 0)
			return 1;
		event_base_loop(c->base, EVLOOP_ONCE);
	}
	return want >= 0 ? c->n >= want : c->eof > 0;
}

/* Run the loop for ms (to show that nothing more arrives). */
static void
run_for(struct ctx *c, int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end)
		event_base_loop(c->base, EVLOOP_ONCE);
}

static int
setup(void **state)
{
	static const struct timeval tv = { 0, 20000 };
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	snprintf(c->dir, sizeof(c->dir), "/tmp/test_linefollow.XXXXXX");
	if (mkdtemp(c->dir) == NULL)
		return -1;
	snprintf(c->path, sizeof(c->path), "%s/ibc.log", c->dir);
	c->base = event_base_new();
	c->tick = event_new(c->base, -1, EV_PERSIST, on_tick, NULL);
	if (c->base == NULL || c->tick == NULL || event_add(c->tick, &tv) < 0)
		return -1;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;
	char p[192];
	int i;

	linefollow_free(c->lf);
	for (i = 0; i < c->n; i++)
		free(c->lines[i]);
	event_free(c->tick);
	event_base_free(c->base);
	unlink(c->path);
	snprintf(p, sizeof(p), "%s.1", c->path);
	unlink(p);
	rmdir(c->dir);
	free(c);
	return 0;
}

static void
append(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, n), (ssize_t)n);
	close(fd);
}

#define APPEND(p, s) append((p), (s), strlen(s))

static void
start(struct ctx *c, const char *path, int fd, int from_start, size_t max)
{
	struct linefollow_config cfg = { 0 };
	struct gw_err e = { "" };

	cfg.path = path;
	cfg.fd = fd;
	cfg.poll_ms = 10;
	cfg.max_line = max;
	cfg.from_start = from_start;
	cfg.on_line = on_line;
	cfg.on_eof = on_eof;
	cfg.on_note = on_note;
	cfg.arg = c;
	c->lf = linefollow_new(c->base, &cfg, &e);
	if (c->lf == NULL)
		fail_msg("linefollow_new: %s", e.msg);
}

static void
test_existing_from_end(void **state)
{
	struct ctx *c = *state;

	APPEND(c->path, "old history\n");
	start(c, c->path, -1, 0, 0);
	run_for(c, 50);
	assert_int_equal(c->n, 0);
	APPEND(c->path, "new1\nnew2\n");
	assert_true(run_until(c, 2, 3000));
	assert_string_equal(c->lines[0], "new1");
	assert_string_equal(c->lines[1], "new2");
	assert_int_equal(linefollow_bytes(c->lf), 10);
	assert_int_equal(c->n_notes, 0);
}

static void
test_existing_from_start(void **state)
{
	struct ctx *c = *state;

	APPEND(c->path, "old history\n");
	start(c, c->path, -1, 1, 0);
	assert_true(run_until(c, 1, 3000));
	assert_string_equal(c->lines[0], "old history");
}

/* A half-written line waits for its newline; CRLF ends a line too. */
static void
test_partial_and_crlf(void **state)
{
	struct ctx *c = *state;

	start(c, c->path, -1, 0, 0);
	APPEND(c->path, "Login has comp");
	run_for(c, 60);
	assert_int_equal(linefollow_bytes(c->lf), 14);	/* read, held */
	assert_int_equal(c->n, 0);
	APPEND(c->path, "leted\r\nsecond\r\n\n");
	assert_true(run_until(c, 3, 3000));
	assert_string_equal(c->lines[0], "Login has completed");
	assert_string_equal(c->lines[1], "second");
	assert_int_equal(c->lens[2], 0);
}

static void
test_truncated(void **state)
{
	struct ctx *c = *state;
	int fd;

	start(c, c->path, -1, 0, 0);
	APPEND(c->path, "a long line before the truncation\nhalf");
	assert_true(run_until(c, 1, 3000));
	fd = open(c->path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "after\n", 6), 6);
	close(fd);
	assert_true(run_until(c, 2, 3000));
	assert_string_equal(c->lines[1], "after");	/* "half" dropped */
	assert_int_equal(c->n_notes, 1);
	assert_non_null(strstr(c->notes[0], "truncated"));
}

/* Renamed away and recreated: the old file's last bytes (even without a
 * newline) come first, then the new file from its start. */
static void
test_rotated(void **state)
{
	struct ctx *c = *state;
	char old[192];

	snprintf(old, sizeof(old), "%s.1", c->path);
	start(c, c->path, -1, 0, 0);
	APPEND(c->path, "one\n");
	assert_true(run_until(c, 1, 3000));
	APPEND(c->path, "two\nunterminated");
	assert_int_equal(rename(c->path, old), 0);
	APPEND(old, " tail");	/* the writer still had it open */
	run_for(c, 50);		/* path gone: the old file is still read */
	APPEND(c->path, "fresh1\nfresh2\n");
	assert_true(run_until(c, 5, 3000));
	assert_string_equal(c->lines[1], "two");
	assert_string_equal(c->lines[2], "unterminated tail");
	assert_string_equal(c->lines[3], "fresh1");
	assert_string_equal(c->lines[4], "fresh2");
	assert_int_equal(c->n_notes, 1);
	assert_non_null(strstr(c->notes[0], "rotated"));
}

/* Missing at the start: waited for, then read from its start. */
static void
test_missing_then_created(void **state)
{
	struct ctx *c = *state;

	start(c, c->path, -1, 0, 0);
	run_for(c, 60);
	assert_int_equal(c->n + c->n_notes, 0);	/* no error for a missing file */
	APPEND(c->path, "Starting session\nLogin attempt: 1\n");
	assert_true(run_until(c, 2, 3000));
	assert_string_equal(c->lines[0], "Starting session");
	assert_string_equal(c->lines[1], "Login attempt: 1");
}

/* A 10 KB line with max_line 4096: three pieces, one note. */
static void
test_overlong(void **state)
{
	struct ctx *c = *state;
	char big[10240 + 1];

	memset(big, 'A', 10240);
	big[10240] = '\n';
	start(c, c->path, -1, 0, 4096);
	append(c->path, big, sizeof(big));
	APPEND(c->path, "short\n");
	/* exactly max_line bytes is not overlong */
	memset(big, 'B', 4096);
	big[4096] = '\n';
	append(c->path, big, 4097);
	assert_true(run_until(c, 5, 3000));
	run_for(c, 30);
	assert_int_equal(c->n, 5);
	assert_int_equal(c->lens[0], 4096);
	assert_int_equal(c->lens[1], 4096);
	assert_int_equal(c->lens[2], 2048);
	assert_string_equal(c->lines[3], "short");
	assert_int_equal(c->lens[4], 4096);
	assert_int_equal(c->lines[4][0], 'B');
	assert_int_equal(c->n_notes, 1);
	assert_non_null(strstr(c->notes[0], "longer than 4096"));
}

/* "-": lines as they come, the unterminated rest at EOF, then on_eof. */
static void
test_pipe(void **state)
{
	struct ctx *c = *state;
	int p[2];

	assert_int_equal(pipe(p), 0);
	start(c, "-", p[0], 0, 0);
	assert_int_equal(write(p[1], "p1\r\np2\npar", 10), 10);
	assert_true(run_until(c, 2, 3000));
	assert_string_equal(c->lines[0], "p1");
	assert_string_equal(c->lines[1], "p2");
	assert_int_equal(write(p[1], "tial", 4), 4);
	run_for(c, 40);
	assert_int_equal(c->n, 2);
	close(p[1]);
	assert_true(run_until(c, -1, 3000));
	assert_int_equal(c->n, 3);
	assert_string_equal(c->lines[2], "partial");
	assert_int_equal(c->eof, 1);
	assert_int_equal(linefollow_bytes(c->lf), 14);
	linefollow_free(c->lf);
	c->lf = NULL;
	close(p[0]);	/* the fd is the caller's */
}

/* Freed from inside on_line: no more callbacks, nothing leaks. */
static void
test_free_in_callback(void **state)
{
	struct ctx *c = *state;
	int p[2];

	assert_int_equal(pipe(p), 0);
	c->free_after = 1;
	start(c, "-", p[0], 0, 0);
	assert_int_equal(write(p[1], "a\nb\nc\n", 6), 6);
	assert_true(run_until(c, 1, 3000));
	close(p[1]);
	run_for(c, 40);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->eof, 0);
	close(p[0]);
}

static void
test_bad_config(void **state)
{
	struct ctx *c = *state;
	struct linefollow_config cfg = { 0 };
	struct gw_err e = { "" };
	char longp[PATH_MAX + 8];
	int fd;

	cfg.path = "-";
	cfg.fd = -1;
	assert_null(linefollow_new(c->base, &cfg, &e));
	assert_string_equal(e.msg, "linefollow: \"-\" needs an fd, got -1");
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	cfg.path = longp;
	assert_null(linefollow_new(c->base, &cfg, &e));
	assert_non_null(strstr(e.msg, "path longer than"));
	cfg.path = NULL;
	assert_null(linefollow_new(c->base, &cfg, &e));
	assert_string_equal(e.msg, "linefollow: no path");
	/* epoll cannot watch a regular file: said so, not a silent hang */
	if (strcmp(event_base_get_method(c->base), "epoll") == 0) {
		event_set_log_callback(quiet);	/* libevent's own warning */
		APPEND(c->path, "x\n");
		fd = open(c->path, O_RDONLY);
		cfg.path = "-";
		cfg.fd = fd;
		assert_null(linefollow_new(c->base, &cfg, &e));
		event_set_log_callback(NULL);
		assert_non_null(strstr(e.msg, "cannot be watched"));
		close(fd);
	}
	linefollow_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_existing_from_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_from_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_and_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_then_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
