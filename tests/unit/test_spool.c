/* Unit tests for lib/spool: durability across reopen, acks, torn tails,
 * damaged lines, the lock, compaction and the dead-letter file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "spool.h"

#define EV "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\",\"source\":\"a\"," \
    "\"component\":\"b\",\"event\":\"x.y\",\"message\":\"m\"}"

static int
setup(void **state)
{
	char *dir = strdup("/tmp/gwkit-test-spool-XXXXXX");

	assert_non_null(mkdtemp(dir));
	*state = dir;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	assert_int_equal(system(cmd), 0);
	free(*state);
	return 0;
}

static void
append_raw(const char *dir, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/spool.jsonl", dir);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Read the whole live set into the window, then list it. */
static size_t
live(struct spool *sp, const struct spool_rec **r)
{
	struct gw_err e;

	assert_true(spool_fill(sp, SIZE_MAX, SIZE_MAX, &e) >= 0);
	return spool_live(sp, r);
}

static void
test_reopen_keeps_unacked(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	uint64_t seq, ack1 = 1;
	size_t skipped;
	int i;

	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	for (i = 0; i < 3; i++)
		assert_int_equal(spool_append(sp, EV, 1000 + i, &seq, &e), 0);
	assert_int_equal(seq, 3);
	assert_int_equal(spool_sync(sp, &e), 0);
	assert_int_equal(spool_ack(sp, &ack1, 1, &e), 0);
	assert_int_equal(live(sp, &r), 2);
	spool_close(sp);

	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(skipped, 0);
	assert_int_equal(live(sp, &r), 2);
	assert_int_equal(r[0].seq, 2);
	assert_int_equal(r[0].t_ms, 1001);
	assert_string_equal(r[0].line, EV);
	assert_int_equal(spool_append(sp, EV, 2000, &seq, &e), 0);
	assert_int_equal(seq, 4);	/* numbering goes on */
	spool_close(sp);
}

static void
test_torn_tail_and_damage(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	uint64_t seq;
	size_t skipped;
	struct stat st;
	char path[256];

	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(spool_append(sp, EV, 1, &seq, &e), 0);
	spool_close(sp);
	append_raw(dir, "this line is damaged\n");
	append_raw(dir, "{\"seq\":9,\"t\":1,\"ev\":{\"ts\":");	/* torn: no newline */
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(skipped, 1);
	assert_int_equal(live(sp, &r), 1);
	snprintf(path, sizeof(path), "%s/spool.jsonl", dir);
	assert_int_equal(stat(path, &st), 0);
	/* the torn end was cut: appending now starts a fresh line */
	assert_int_equal(spool_append(sp, EV, 2, &seq, &e), 0);
	assert_int_equal(seq, 2);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(live(sp, &r), 2);
	spool_close(sp);
}

static void
test_lock(void **state)
{
	const char *dir = *state;
	struct gw_err e;
	struct spool *a, *b;
	size_t skipped;

	a = spool_open(dir, &skipped, &e);
	assert_non_null(a);
	b = spool_open(dir, &skipped, &e);
	assert_null(b);
	assert_non_null(strstr(e.msg, "is in use by another discord-notify"));
	spool_close(a);
	b = spool_open(dir, &skipped, &e);
	assert_non_null(b);
	spool_close(b);
}

static void
test_compaction(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	uint64_t seqs[300], seq;
	struct gw_err e;
	struct spool *sp;
	size_t skipped, i;
	struct stat st;
	char path[256];

	sp = spool_open(dir, &skipped, &e);
	for (i = 0; i < 300; i++) {
		assert_int_equal(spool_append(sp, EV, 1, &seqs[i], &e), 0);
	}
	assert_int_equal(spool_sync(sp, &e), 0);
	assert_int_equal(spool_ack(sp, seqs, 299, &e), 0);	/* compacts */
	snprintf(path, sizeof(path), "%s/spool.jsonl", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < 400);	/* one live record left */
	assert_int_equal(spool_append(sp, EV, 1, &seq, &e), 0);
	assert_int_equal(seq, 301);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(live(sp, &r), 2);
	assert_int_equal(r[0].seq, 300);
	assert_int_equal(r[1].seq, 301);
	spool_close(sp);
}

static void
test_dead_letter(void **state)
{
	const char *dir = *state;
	struct gw_err e;
	struct spool *sp;
	size_t skipped;
	char path[256], line[1024];
	FILE *f;

	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(spool_dead_letter(sp, EV, "Discord refused it: \"x\"", &e), 0);
	spool_close(sp);
	snprintf(path, sizeof(path), "%s/dead-letter.jsonl", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(strstr(line, "\"reason\":\"Discord refused it: \\\"x\\\"\""));
	assert_non_null(strstr(line, "\"ev\":" EV "}"));
}

/* The exact bytes of each event come back after a reopen and after a
 * compaction: non-ASCII text is not re-escaped (which could push a line
 * near the limit past 64 KiB), escapes and number spellings are kept. */
static void
test_exact_bytes_kept(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	uint64_t seqs[300], seq;
	size_t skipped, i, n = 20000;
	char *big = malloc(n * 2 + 200);
	static const char odd[] = "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\","
	    "\"source\":\"a\",\"component\":\"b\",\"event\":\"x.y\",\"message\":"
	    "\"tab\\t \\u00e9 \\/\",\"fields\":{\"n\":1.50,\"u\":\"\xe2\x82\xac\"}}";

	assert_non_null(big);
	i = (size_t)sprintf(big, "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\","
	    "\"source\":\"a\",\"component\":\"b\",\"event\":\"x.y\",\"message\":\"");
	for (seq = 0; seq < n; seq++, i += 2)
		memcpy(big + i, "\xc3\xa9", 2);	/* é */
	strcpy(big + i, "\"}");
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(spool_append(sp, big, 1, &seq, &e), 0);
	assert_int_equal(spool_append(sp, odd, 2, &seq, &e), 0);
	for (i = 0; i < 300; i++)	/* enough acked ones to compact */
		assert_int_equal(spool_append(sp, EV, 3, &seqs[i], &e), 0);
	assert_int_equal(spool_sync(sp, &e), 0);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(skipped, 0);
	assert_int_equal(live(sp, &r), 302);
	assert_string_equal(r[0].line, big);
	assert_string_equal(r[1].line, odd);
	assert_int_equal(spool_ack(sp, seqs, 300, &e), 0);	/* compacts */
	assert_int_equal(spool_append(sp, EV, 4, &seq, &e), 0);	/* new file */
	assert_int_equal(spool_sync(sp, &e), 0);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(live(sp, &r), 3);
	assert_string_equal(r[0].line, big);
	assert_string_equal(r[1].line, odd);
	assert_int_equal(r[2].seq, 303);
	spool_close(sp);
	free(big);
}

/* A record that is valid JSON but not in our own layout is re-encoded
 * (as UTF-8, not \u-escaped). */
static void
test_foreign_layout(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	size_t skipped;

	append_raw(dir, "{\"t\":5, \"seq\":7, \"ev\":{\"message\":\"\\u00e9\"}}\n");
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(live(sp, &r), 1);
	assert_int_equal(r[0].seq, 7);
	assert_string_equal(r[0].line, "{\"message\":\"\xc3\xa9\"}");
	spool_close(sp);
}

static void
test_busy_errno(void **state)
{
	const char *dir = *state;
	struct gw_err e;
	struct spool *a;
	size_t skipped;

	a = spool_open(dir, &skipped, &e);
	assert_non_null(a);
	errno = 0;
	assert_null(spool_open(dir, &skipped, &e));
	assert_int_equal(errno, EWOULDBLOCK);
	spool_close(a);
}

/* A write cut short (here by RLIMIT_FSIZE, as by a full disk) leaves
 * nothing of the record behind: the next record starts a line. */
static void
test_partial_write_cut_back(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	struct rlimit old, lim;
	struct stat st;
	uint64_t seq, s1;
	size_t skipped;
	char path[256];

	signal(SIGXFSZ, SIG_IGN);
	snprintf(path, sizeof(path), "%s/spool.jsonl", dir);
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(spool_append(sp, EV, 1, &s1, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(spool_append(sp, EV, 2, &seq, &e), -1);
	assert_int_equal(spool_ack(sp, &s1, 1, &e), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, lim.rlim_cur - 10);	/* cut back */
	assert_int_equal(spool_append(sp, EV, 3, &seq, &e), 0);
	assert_int_equal(spool_sync(sp, &e), 0);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(skipped, 0);
	assert_int_equal(live(sp, &r), 2);	/* the ack did not land */
	assert_int_equal(r[1].t_ms, 3);
	spool_close(sp);
}

static void
test_bad_dir(void **state)
{
	struct gw_err e;
	size_t skipped;

	(void)state;
	assert_null(spool_open("/proc/version/x", &skipped, &e));
	assert_non_null(strstr(e.msg, "cannot create /proc/version"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reopen_keeps_unacked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_and_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_letter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_bytes_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_errno, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_write_cut_back, setup, teardown),
		cmocka_unit_test(test_bad_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
