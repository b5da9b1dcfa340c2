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

#include <jansson.h>

#include "spool.h"

#define EV "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\",\"source\":\"a\"," \
    "\"component\":\"b\",\"event\":\"x.y\",\"message\":\"m\"}"

/* Allocation failures on demand (glibc; not under ASan, which has its
 * own allocator): the next realloc() of exactly fail_realloc_size bytes
 * fails. */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_FAULTS 0
static size_t fail_realloc_size;
#else
#define HAVE_FAULTS 1
extern void *__libc_realloc(void *, size_t);
static size_t fail_realloc_size;

void *
realloc(void *p, size_t n)
{
	if (fail_realloc_size != 0 && n == fail_realloc_size) {
		fail_realloc_size = 0;
		return NULL;
	}
	return __libc_realloc(p, n);
}
#endif

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

/* Count the lines of DIR/name; each must be a JSON object. */
static size_t
json_lines(const char *dir, const char *name)
{
	char path[256], line[8192];
	size_t k = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		json_t *o = json_loads(line, 0, NULL);

		assert_non_null(o);
		assert_true(json_is_object(o));
		json_decref(o);
		k++;
	}
	fclose(f);
	return k;
}

/* A dead-letter write that fails part-way (file size limit) is cut back:
 * the file never holds a torn line. */
static void
test_dead_letter_partial_write_cut_back(void **state)
{
	const char *dir = *state;
	struct gw_err e;
	struct spool *sp;
	struct rlimit old, lim;
	struct stat st;
	size_t skipped;
	char path[256];

	signal(SIGXFSZ, SIG_IGN);
	snprintf(path, sizeof(path), "%s/dead-letter.jsonl", dir);
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(spool_dead_letter(sp, EV, "first", &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(spool_dead_letter(sp, EV, "second", &e), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_non_null(strstr(e.msg, "dead-letter.jsonl"));
	assert_int_equal(spool_dead_letter(sp, EV, "third", &e), 0);
	assert_int_equal(json_lines(dir, "dead-letter.jsonl"), 2);
	spool_close(sp);
}

/* A dead-letter file whose last line is torn (an older version, a crash):
 * the next record starts on a new line. */
static void
test_dead_letter_after_torn_line(void **state)
{
	const char *dir = *state;
	struct gw_err e;
	struct spool *sp;
	size_t skipped;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/dead-letter.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"t\":1,\"reason\":\"a\",\"ev\":{}}\n{\"t\":2,\"rea", f);
	fclose(f);
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(spool_dead_letter(sp, EV, "next", &e), 0);
	spool_close(sp);
	f = fopen(path, "r");
	assert_non_null(f);
	{
		char line[4096];
		int n = 0, ok = 0;

		while (fgets(line, sizeof(line), f) != NULL) {
			json_t *o = json_loads(line, 0, NULL);

			n++;
			ok += o != NULL;
			json_decref(o);
		}
		assert_int_equal(n, 3);	/* the torn piece stays on its own line */
		assert_int_equal(ok, 2);
	}
	fclose(f);
}

/* The spool directory must be ours and closed to others. */
static void
test_unsafe_dir_refused(void **state)
{
	const char *dir = *state;
	struct gw_err e;
	struct spool *sp;
	size_t skipped;
	char link[256];

	assert_int_equal(chmod(dir, 0777), 0);
	assert_null(spool_open(dir, &skipped, &e));
	assert_non_null(strstr(e.msg, dir));
	assert_non_null(strstr(e.msg, "writable by group or others"));
	assert_int_equal(chmod(dir, 0720), 0);
	assert_null(spool_open(dir, &skipped, &e));
	assert_int_equal(chmod(dir, 0755), 0);	/* readable is fine */
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	spool_close(sp);
	if (geteuid() == 0) {
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_null(spool_open(dir, &skipped, &e));
		assert_non_null(strstr(e.msg, "owned by uid 65534"));
		assert_int_equal(chown(dir, 0, 0), 0);
	}
	snprintf(link, sizeof(link), "%s.link", dir);
	assert_int_equal(symlink(dir, link), 0);
	assert_null(spool_open(link, &skipped, &e));
	assert_non_null(strstr(e.msg, "symbolic link"));
	unlink(link);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
assert_file(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f) != NULL ? buf : NULL);
	fclose(f);
	assert_string_equal(buf, text);
}

/* No spool file is ever opened through a symbolic link: a planted link
 * (spool.jsonl, spool.lock, dead-letter.jsonl, the compaction's tmp file)
 * never truncates or writes another file. */
static void
test_symlinks_refused(void **state)
{
	const char *dir = *state;
	struct gw_err e;
	struct spool *sp;
	size_t skipped, i;
	uint64_t seqs[300];
	char victim[256], path[256];
	static const char *const names[] = { "spool.jsonl", "spool.lock" };

	snprintf(victim, sizeof(victim), "%s.victim", dir);
	write_file(victim, "precious\n");
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);	/* the lock file from the try before */
		assert_int_equal(symlink(victim, path), 0);
		assert_null(spool_open(dir, &skipped, &e));
		assert_non_null(strstr(e.msg, "symbolic link"));
		assert_non_null(strstr(e.msg, names[i]));
		unlink(path);
	}
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	snprintf(path, sizeof(path), "%s/dead-letter.jsonl", dir);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(spool_dead_letter(sp, EV, "x", &e), -1);
	assert_non_null(strstr(e.msg, "symbolic link"));
	snprintf(path, sizeof(path), "%s/spool.jsonl.tmp", dir);
	assert_int_equal(symlink(victim, path), 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(spool_append(sp, EV, 1, &seqs[i], &e), 0);
	assert_int_equal(spool_sync(sp, &e), 0);
	assert_int_equal(spool_ack(sp, seqs, 299, &e), 0);	/* compacts */
	assert_int_equal(spool_count(sp), 1);
	spool_close(sp);
	assert_file(victim, "precious\n");
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(spool_count(sp), 1);
	spool_close(sp);
	unlink(victim);
}

/* Records that cannot be delivered in order (a duplicate seq, a seq going
 * backwards, out of range, not a record) are dead-lettered with the
 * reason, never dropped; the good ones stay live, in order; a reopen does
 * not dead-letter them again. */
static void
test_damaged_seqs_dead_lettered(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	size_t skipped;
	uint64_t seq;

	append_raw(dir,
	    "{\"seq\":1,\"t\":1,\"ev\":{\"message\":\"one\"}}\n"
	    "{\"seq\":2,\"t\":2,\"ev\":{\"message\":\"two\"}}\n"
	    "{\"seq\":2,\"t\":3,\"ev\":{\"message\":\"dup\"}}\n"
	    "{\"seq\":5,\"t\":4,\"ev\":{\"message\":\"five\"}}\n"
	    "{\"seq\":3,\"t\":5,\"ev\":{\"message\":\"back\"}}\n"
	    "{\"seq\":18446744073709551615,\"t\":6,\"ev\":{\"message\":\"huge\"}}\n"
	    "{\"seq\":0,\"t\":7,\"ev\":{\"message\":\"zero\"}}\n"
	    "{\"ack\":[2]}\n"
	    "not json\n");
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(skipped, 5);
	assert_int_equal(json_lines(dir, "dead-letter.jsonl"), 5);
	assert_int_equal(live(sp, &r), 2);	/* 1 and 5; 2 was acked */
	assert_int_equal(r[0].seq, 1);
	assert_int_equal(r[1].seq, 5);
	assert_int_equal(spool_append(sp, EV, 8, &seq, &e), 0);
	assert_int_equal(seq, 6);
	assert_int_equal(spool_sync(sp, &e), 0);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(skipped, 0);	/* compacted away once dead-lettered */
	assert_int_equal(json_lines(dir, "dead-letter.jsonl"), 5);
	assert_int_equal(live(sp, &r), 3);
	assert_int_equal(r[2].seq, 6);
	spool_close(sp);
	{
		char path[256], line[4096];
		FILE *f;
		int dup = 0, back = 0, huge = 0;

		snprintf(path, sizeof(path), "%s/dead-letter.jsonl", dir);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			dup += strstr(line, "seq 2 is not above 2") != NULL &&
			    strstr(line, "dup") != NULL;
			back += strstr(line, "seq 3 is not above 5") != NULL;
			huge += strstr(line, "out of range") != NULL &&
			    strstr(line, "huge") != NULL;
		}
		fclose(f);
		assert_int_equal(dup, 1);
		assert_int_equal(back, 1);
		assert_int_equal(huge, 1);
	}
}

/* Seqs never wrap: at the maximum, appends are refused (nothing is
 * accepted that a reopen would lose); a drained spool numbers from 1. */
static void
test_seq_max(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	size_t skipped;
	uint64_t seq = 0, top;
	int rc;

	append_raw(dir, "{\"seq\":9223372036854775807,\"t\":1,\"ev\":{\"message\":\"top\"}}\n");
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(live(sp, &r), 1);
	top = r[0].seq;
	assert_true(top == (uint64_t)INT64_MAX);
	rc = spool_append(sp, EV, 2, &seq, &e);
	if (rc == 0)	/* accepted: then it must survive a reopen */
		assert_int_equal(spool_sync(sp, &e), 0);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(live(sp, &r), rc == 0 ? 2 : 1);
	assert_int_equal(rc, -1);
	assert_int_equal(spool_ack(sp, &top, 1, &e), 0);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(spool_append(sp, EV, 3, &seq, &e), 0);
	assert_int_equal(seq, 1);
	spool_close(sp);
}

/* The window holds what is asked; the rest is read forward in order; an
 * ack of a record not read yet is kept; compaction streams the unread part. */
static void
test_window_and_compaction(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	size_t skipped, i, k;
	uint64_t seqs[600], unread = 500;

	sp = spool_open(dir, &skipped, &e);
	for (i = 0; i < 600; i++)
		assert_int_equal(spool_append(sp, EV, (long long)i, &seqs[i], &e), 0);
	assert_int_equal(spool_fill(sp, 10, SIZE_MAX, &e), 0);	/* not synced yet */
	assert_int_equal(spool_sync(sp, &e), 0);
	assert_int_equal(spool_fill(sp, 400, SIZE_MAX, &e), 400);
	assert_int_equal(spool_live(sp, &r), 400);
	assert_int_equal(spool_fill(sp, 1, 1, &e), 0);	/* full */
	assert_int_equal(spool_ack(sp, &unread, 1, &e), 0);	/* not read yet */
	assert_false(spool_is_live(sp, 500));
	assert_true(spool_is_live(sp, 501));
	assert_int_equal(spool_count(sp), 599);
	assert_int_equal(spool_ack(sp, seqs, 350, &e), 0);	/* compacts */
	assert_int_equal(spool_count(sp), 249);
	assert_int_equal(live(sp, &r), 249);
	for (i = 1; i < 249; i++)
		assert_true(r[i].seq > r[i - 1].seq);
	assert_int_equal(r[0].seq, 351);
	assert_int_equal(r[248].seq, 600);
	for (i = 0, k = 0; i < 249; i++)
		k += r[i].seq == 500;
	assert_int_equal(k, 0);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(spool_count(sp), 249);
	assert_int_equal(live(sp, &r), 249);
	assert_int_equal(r[0].seq, 351);
	spool_close(sp);
}

/* An ack counts only for a seq read as a valid record: an ack of a
 * damaged record's seq, or of a seq no longer in the file (compacted
 * away), never makes a live record look delivered, and a start never
 * empties a spool that holds a live record. */
static void
test_ack_of_damaged_seq_loses_nothing(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	size_t skipped;

	append_raw(dir,
	    "{\"seq\":1,\"t\":1,\"ev\":[1]}\n"
	    "{\"seq\":2,\"t\":2,\"ev\":{\"message\":\"two\"}}\n"
	    "{\"ack\":[1]}\n");
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(skipped, 1);
	assert_int_equal(spool_count(sp), 1);
	assert_int_equal(live(sp, &r), 1);
	assert_int_equal(r[0].seq, 2);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(live(sp, &r), 1);
	assert_int_equal(r[0].seq, 2);
	spool_close(sp);
}

/* The same with gaps in the seqs: damaged lines between records, an ack
 * of a seq compacted away long ago. */
static void
test_ack_of_missing_seq_with_gaps(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	size_t skipped;

	append_raw(dir,
	    "{\"seq\":3,\"t\":1,\"ev\":{\"message\":\"three\"}}\n"
	    "{\"seq\":4,\"t\":1,\"ev\":\"x\"}\n"
	    "{\"seq\":6,\"t\":2,\"ev\":{\"message\":\"six\"}}\n"
	    "{\"ack\":[1,2,4,5]}\n"
	    "{\"seq\":8,\"t\":2,\"ev\":{\"message\":\"eight\"}}\n"
	    "{\"ack\":[7,3]}\n");
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(skipped, 1);
	assert_int_equal(spool_count(sp), 2);
	assert_int_equal(live(sp, &r), 2);
	assert_int_equal(r[0].seq, 6);
	assert_int_equal(r[1].seq, 8);
	spool_close(sp);
}

/* A compaction that fails at open (here: a directory where its tmp file
 * goes) does not stop the start: it is reported through spool_warning();
 * the damaged line, dead-lettered once, is not dead-lettered again by the
 * next start. */
static void
test_failed_compaction_at_open(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	size_t skipped;
	const char *w;
	char tmp[256];

	append_raw(dir,
	    "{\"seq\":1,\"t\":1,\"ev\":{\"message\":\"one\"}}\n"
	    "damaged\n"
	    "{\"seq\":2,\"t\":2,\"ev\":{\"message\":\"two\"}}\n");
	snprintf(tmp, sizeof(tmp), "%s/spool.jsonl.tmp", dir);
	assert_int_equal(mkdir(tmp, 0700), 0);
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(skipped, 1);
	w = spool_warning(sp);
	assert_non_null(w);
	assert_non_null(strstr(w, "spool.jsonl.tmp"));
	assert_null(spool_warning(sp));	/* told once */
	assert_int_equal(live(sp, &r), 2);
	assert_int_equal(json_lines(dir, "dead-letter.jsonl"), 1);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(skipped, 0);
	assert_int_equal(json_lines(dir, "dead-letter.jsonl"), 1);
	assert_int_equal(live(sp, &r), 2);
	spool_close(sp);
	assert_int_equal(rmdir(tmp), 0);
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_null(spool_warning(sp));
	assert_int_equal(live(sp, &r), 2);
	assert_int_equal(r[1].seq, 2);
	spool_close(sp);
}

/* A torn last line over SPOOL_LINE_MAX is cut where it starts: the next
 * record starts a line of its own. */
static void
test_long_torn_tail_cut_at_its_start(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	size_t skipped, n = SPOOL_LINE_MAX + SPOOL_LINE_MAX / 2;
	uint64_t seq;
	char *junk = malloc(n + 1);

	assert_non_null(junk);
	memset(junk, 'x', n);
	junk[n] = '\0';
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(spool_append(sp, EV, 1, &seq, &e), 0);
	assert_int_equal(spool_sync(sp, &e), 0);
	spool_close(sp);
	append_raw(dir, "{\"seq\":2,");
	append_raw(dir, junk);	/* torn: no newline */
	free(junk);
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(skipped, 0);
	assert_int_equal(spool_append(sp, EV, 2, &seq, &e), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(spool_sync(sp, &e), 0);
	assert_int_equal(live(sp, &r), 2);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(skipped, 0);
	assert_int_equal(live(sp, &r), 2);
	assert_int_equal(r[1].t_ms, 2);
	spool_close(sp);
}

/* A fill that fails part-way (out of memory growing the window) keeps
 * what it read and loses nothing: the next fill goes on with the record
 * that failed. */
static void
test_fill_error_loses_nothing(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	size_t skipped, i;
	uint64_t seq;

	if (!HAVE_FAULTS)
		skip();
	sp = spool_open(dir, &skipped, &e);
	for (i = 0; i < 100; i++)
		assert_int_equal(spool_append(sp, EV, (long long)i, &seq, &e), 0);
	assert_int_equal(spool_sync(sp, &e), 0);
	fail_realloc_size = 128 * sizeof(struct spool_rec);	/* at the 65th */
	assert_int_equal(spool_fill(sp, SIZE_MAX, SIZE_MAX, &e), -1);
	assert_int_equal(fail_realloc_size, 0);
	assert_int_equal(spool_live(sp, &r), 64);
	assert_int_equal(spool_fill(sp, SIZE_MAX, SIZE_MAX, &e), 36);
	assert_int_equal(spool_live(sp, &r), 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(r[i].seq, i + 1);
	spool_close(sp);
}

/* A compaction that fails after an ack does not fail the ack (the acks
 * are synced): it is reported through spool_warning(), and not tried
 * again on every ack, only once the acked lines have doubled. */
static void
test_failed_compaction_after_ack(void **state)
{
	const char *dir = *state;
	struct gw_err e;
	struct spool *sp;
	size_t skipped, i;
	uint64_t seqs[600];
	struct stat st;
	char tmp[256], path[256];
	const char *w;

	snprintf(tmp, sizeof(tmp), "%s/spool.jsonl.tmp", dir);
	snprintf(path, sizeof(path), "%s/spool.jsonl", dir);
	sp = spool_open(dir, &skipped, &e);
	for (i = 0; i < 300; i++)
		assert_int_equal(spool_append(sp, EV, 1, &seqs[i], &e), 0);
	assert_int_equal(spool_sync(sp, &e), 0);
	assert_int_equal(mkdir(tmp, 0700), 0);
	assert_int_equal(spool_ack(sp, seqs, 299, &e), 0);	/* compaction fails */
	assert_non_null(w = spool_warning(sp));
	assert_non_null(strstr(w, "spool.jsonl.tmp"));
	assert_int_equal(spool_count(sp), 1);
	assert_int_equal(spool_ack(sp, &seqs[299], 1, &e), 0);
	assert_null(spool_warning(sp));	/* not tried again yet */
	assert_int_equal(rmdir(tmp), 0);
	for (i = 300; i < 600; i++)
		assert_int_equal(spool_append(sp, EV, 1, &seqs[i], &e), 0);
	assert_int_equal(spool_sync(sp, &e), 0);
	assert_int_equal(spool_ack(sp, &seqs[300], 299, &e), 0);	/* 599 acked */
	assert_null(spool_warning(sp));
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < 400);	/* compacted: one live record */
	assert_int_equal(spool_count(sp), 1);
	spool_close(sp);
	sp = spool_open(dir, &skipped, &e);
	assert_int_equal(spool_count(sp), 1);
	spool_close(sp);
}

/* A record whose "ev" only looks like an object (our layout's fast path
 * checks the ends of the line) is dead-lettered as valid JSON: its bytes
 * go in as a "line" string. */
static void
test_dead_letter_of_broken_ev(void **state)
{
	const char *dir = *state;
	const struct spool_rec *r;
	struct gw_err e;
	struct spool *sp;
	size_t skipped;
	char path[256], line[1024];
	json_t *o;
	FILE *f;

	append_raw(dir, "{\"seq\":1,\"t\":1,\"ev\":{\"a\":1}\n");
	sp = spool_open(dir, &skipped, &e);
	assert_non_null(sp);
	assert_int_equal(live(sp, &r), 1);
	assert_int_equal(spool_dead_letter(sp, r[0].line, "unreadable", &e), 0);
	assert_int_equal(spool_dead_letter(sp, EV, "refused", &e), 0);
	spool_close(sp);
	assert_int_equal(json_lines(dir, "dead-letter.jsonl"), 2);
	snprintf(path, sizeof(path), "%s/dead-letter.jsonl", dir);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(line, sizeof(line), f));
	o = json_loads(line, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "line")), "{\"a\":1");
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "unreadable");
	json_decref(o);
	assert_non_null(fgets(line, sizeof(line), f));	/* a good one as before */
	assert_non_null(strstr(line, "\"ev\":" EV "}"));
	fclose(f);
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
		cmocka_unit_test_setup_teardown(test_dead_letter_partial_write_cut_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_letter_after_torn_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsafe_dir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_seqs_dead_lettered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_and_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_of_damaged_seq_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_of_missing_seq_with_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_compaction_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_torn_tail_cut_at_its_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill_error_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_compaction_after_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_letter_of_broken_ev, setup, teardown),
		cmocka_unit_test(test_bad_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
