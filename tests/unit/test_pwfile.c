/* Unit tests for lib/pwfile: users from /etc/passwd and their groups from
 * /etc/group. Found users, numeric uids, exact name matching, the skipped
 * lines, one test per malformed-entry class with its exact message, the
 * tolerated lines of other users, group sets, and pwfile_lookup on temporary
 * files and on the real /etc/passwd. */
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

#include "pwfile.h"

#define PW "/etc/passwd"
#define GR "/etc/group"

enum file { PASSWD, GROUP };

/* The decoder for file on a copy of in[len] of exactly that length (no NUL
 * after it), so that ASan sees any read past len. */
static int
decode(enum file file, const char *in, size_t len, const char *name,
    struct pwfile_user *u, struct gw_err *e)
{
	char *b = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(b);
	memcpy(b, in, len);
	e->msg[0] = '\0';
	if (file == PASSWD)
		rc = pwfile_find_user(b, len, PW, name, u, e);
	else
		rc = pwfile_add_groups(b, len, GR, name, u, e);
	free(b);
	return rc;
}

/* The decoder refuses in[len] with msg and leaves u as it was (for group:
 * primary gid 1000 and that one group). */
static void
fails_(enum file file, const char *in, size_t len, const char *name,
    const char *msg, int line)
{
	struct pwfile_user u, v;
	struct gw_err e;

	memset(&u, 0xa5, sizeof(u));
	if (file == GROUP) {
		u.gid = u.groups[0] = 1000;
		u.n_groups = 1;
	}
	memcpy(&v, &u, sizeof(v));
	if (decode(file, in, len, name, &u, &e) == 0)
		fail_msg("line %d: '%s' accepted: uid %u, %zu groups", line, name,
		    (unsigned)u.uid, u.n_groups);
	if (strcmp(e.msg, msg) != 0)
		fail_msg("line %d: '%s'\n  want  %s\n  got   %s", line, name, msg,
		    e.msg);
	if (memcmp(&u, &v, sizeof(u)) != 0)
		fail_msg("line %d: u changed on failure", line);
}
#define FIND_FAILS(pw, name, msg) \
	fails_(PASSWD, pw, strlen(pw), name, msg, __LINE__)
#define GROUPS_FAIL(gr, name, msg) \
	fails_(GROUP, gr, strlen(gr), name, msg, __LINE__)

static void
find_ok_(const char *pw, size_t len, const char *name, struct pwfile_user *u,
    int line)
{
	struct gw_err e;

	if (decode(PASSWD, pw, len, name, u, &e) < 0)
		fail_msg("line %d: '%s' not found: %s", line, name, e.msg);
}
#define FIND_OK(pw, name, u) find_ok_(pw, strlen(pw), name, u, __LINE__)

/* name is found in pw[len] as the user (uname, uid, gid, home), with its
 * primary group as its one group. */
static void
found_(const char *pw, size_t len, const char *name, const char *uname,
    unsigned uid, unsigned gid, const char *home, int line)
{
	struct pwfile_user u;

	find_ok_(pw, len, name, &u, line);
	if (strcmp(u.name, uname) != 0 || u.uid != uid || u.gid != gid ||
	    strcmp(u.home, home) != 0 || u.n_groups != 1 || u.groups[0] != gid)
		fail_msg("line %d: '%s': got '%s' %u %u '%s' (%zu groups), want "
		    "'%s' %u %u '%s'", line, name, u.name, (unsigned)u.uid,
		    (unsigned)u.gid, u.home, u.n_groups, uname, uid, gid, home);
}
#define FOUND(pw, name, uname, uid, gid, home) \
	found_(pw, strlen(pw), name, uname, uid, gid, home, __LINE__)

static void
assert_user(const struct pwfile_user *u, const char *name, unsigned uid,
    unsigned gid, const char *home)
{
	assert_string_equal(u->name, name);
	assert_int_equal(u->uid, uid);
	assert_int_equal(u->gid, gid);
	assert_string_equal(u->home, home);
	assert_int_equal(u->n_groups, 1);
	assert_int_equal(u->groups[0], gid);
}

static const char passwd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "bob:x:1000:1000:Bob,,,:/home/bob:/bin/sh\n"
    "bobby:x:1001:100::/home/bobby:/bin/sh\n"
    "nohome:x:1002:1002:::/bin/sh\n"
    "bob2:x:1000:1000::/home/bob2:/bin/sh\n";

static void
test_found(void **state)
{
	(void)state;
	FOUND(passwd, "bob", "bob", 1000, 1000, "/home/bob");
	FOUND(passwd, "root", "root", 0, 0, "/root");
	FOUND(passwd, "bobby", "bobby", 1001, 100, "/home/bobby");
	FOUND(passwd, "nohome", "nohome", 1002, 1002, "");
	/* the first of two entries with one name wins */
	FOUND("a:x:5:6::/one:\na:x:7:8::/two:\n", "a", "a", 5, 6, "/one");
	/* the largest id; leading zeros are decimal */
	FOUND("a:x:2147483647:0010::/:\n", "a", "a", 2147483647, 10, "/");
}

static void
test_numeric(void **state)
{
	(void)state;
	/* with an entry: the first one with that uid, its name and home */
	FOUND(passwd, "1000", "bob", 1000, 1000, "/home/bob");
	FOUND(passwd, "0", "root", 0, 0, "/root");
	FOUND(passwd, "0001001", "bobby", 1001, 100, "/home/bobby");
	/* without one: uid = gid = N, no name, no home */
	FOUND(passwd, "4242", "", 4242, 4242, "");
	FOUND("", "0", "", 0, 0, "");
	FOUND(passwd, "2147483647", "", 2147483647, 2147483647, "");
	FIND_FAILS(passwd, "2147483648", "uid '2147483648' is out of range");
	FIND_FAILS(passwd, "99999999999999999999999",
	    "uid '99999999999999999999999' is out of range");
	/* a line whose uid does not parse is someone else's: skipped */
	FOUND("x:x:12a:1::/x:\ny:x:12:3::/y:\n", "12", "y", 12, 3, "/y");
	FOUND("x:x:-12:1::/x:\nx:x: 12:1::/x:\nx:x\n", "12", "", 12, 12, "");
	/* signs and spaces make a name, not a uid */
	FIND_FAILS(passwd, "-1", "no user '-1' in /etc/passwd");
	FIND_FAILS(passwd, "+0", "no user '+0' in /etc/passwd");
	FIND_FAILS(passwd, " 0", "no user ' 0' in /etc/passwd");
}

static void
test_unknown_user(void **state)
{
	char longname[300];

	(void)state;
	FIND_FAILS(passwd, "alice", "no user 'alice' in /etc/passwd");
	FIND_FAILS("", "alice", "no user 'alice' in /etc/passwd");
	FIND_FAILS("\n\n#\n", "alice", "no user 'alice' in /etc/passwd");
	FIND_FAILS(passwd, "a\tb\x7f", "no user 'a?b?' in /etc/passwd");
	FIND_FAILS(passwd, "", "empty user name");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	FIND_FAILS(passwd, longname, "user name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaa...' longer than 255 bytes");
	longname[255] = '\0';
	FIND_FAILS(passwd, longname, "no user 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaa...' in /etc/passwd");
	/* the path is the caller's */
	{
		struct pwfile_user u;
		struct gw_err e;

		assert_int_equal(pwfile_find_user("", 0, "/x/pw", "a", &u, &e),
		    -1);
		assert_string_equal(e.msg, "no user 'a' in /x/pw");
		assert_int_equal(pwfile_find_user(NULL, 0, NULL, "a", &u, &e),
		    -1);
		assert_string_equal(e.msg, "no user 'a' in /etc/passwd");
	}
}

static void
test_exact_name(void **state)
{
	(void)state;
	FIND_FAILS(passwd, "bo", "no user 'bo' in /etc/passwd");
	FIND_FAILS(passwd, "b", "no user 'b' in /etc/passwd");
	FIND_FAILS(passwd, "bobb", "no user 'bobb' in /etc/passwd");
	FIND_FAILS(passwd, "Bob", "no user 'Bob' in /etc/passwd");
	FIND_FAILS(passwd, "bob:x", "no user 'bob:x' in /etc/passwd");
	FIND_FAILS(" bob:x:1:1::/:\nbob :x:1:1::/:\n", "bob",
	    "no user 'bob' in /etc/passwd");
	FOUND("bobby:x:1:1::/a:\nbob:x:2:2::/b:\n", "bob", "bob", 2, 2, "/b");
	FOUND("bob:x:1:1::/a:\nbobby:x:2:2::/b:\n", "bobby", "bobby", 2, 2, "/b");
}

static void
test_skipped_lines(void **state)
{
	static const char nis[] =
	    "# bob:x:0:0::/root:/bin/sh\n"
	    "#bob:x:0:0::/root:/bin/sh\n"
	    "+bob:x:0:0::/root:/bin/sh\n"
	    "-bob:x:0:0::/root:/bin/sh\n"
	    "+\n"
	    "+@admins\n"
	    "-@x:::::\n"
	    "\n"
	    "\n";

	(void)state;
	FIND_FAILS(nis, "bob", "no user 'bob' in /etc/passwd");
	FIND_FAILS(nis, "+bob", "no user '+bob' in /etc/passwd");
	FIND_FAILS(nis, "#bob", "no user '#bob' in /etc/passwd");
	FOUND(nis, "0", "", 0, 0, "");	/* no entry with uid 0 */
	FOUND("#c\n\n+\nbob:x:3:4::/h:/bin/sh\n", "bob", "bob", 3, 4, "/h");
}

static void
test_no_final_newline(void **state)
{
	static const char pw[] = "a:x:1:1::/a:/bin/sh\nbob:x:7:8::/b:/bin/sh";

	(void)state;
	FOUND(pw, "bob", "bob", 7, 8, "/b");
	FOUND("bob:x:7:8::/b:", "bob", "bob", 7, 8, "/b");
	/* the end is len, not the next NUL or newline */
	found_(pw, strlen(pw) - 7, "bob", "bob", 7, 8, "/b", __LINE__);
	fails_(PASSWD, pw, strlen(pw) - 8, "bob",
	    "/etc/passwd:2: expected 7 fields, found 6", __LINE__);
	fails_(PASSWD, pw, strlen(pw) - 11, "bob",
	    "/etc/passwd:2: expected 7 fields, found 5", __LINE__);
	fails_(PASSWD, pw, strlen(pw) - 14, "bob",
	    "/etc/passwd:2: expected 7 fields, found 3", __LINE__);
	fails_(PASSWD, pw, strlen(pw) - 16, "bob",
	    "/etc/passwd:2: expected 7 fields, found 2", __LINE__);
	fails_(PASSWD, pw, strlen(pw) - 18, "bob",
	    "/etc/passwd:2: expected 7 fields, found 1", __LINE__);
	fails_(PASSWD, pw, strlen(pw) - 20, "bob",
	    "no user 'bob' in /etc/passwd", __LINE__);
}

static void
test_bad_uid(void **state)
{
	(void)state;
	FIND_FAILS("a:x:1:1::/:\nbob:x:abc:1::/:\n", "bob",
	    "/etc/passwd:2: uid 'abc' is not a number");
	FIND_FAILS("bob:x::1::/:\n", "bob",
	    "/etc/passwd:1: uid '' is not a number");
	FIND_FAILS("bob:x:-1:1::/:\n", "bob",
	    "/etc/passwd:1: uid '-1' is not a number");
	FIND_FAILS("bob:x:+1:1::/:\n", "bob",
	    "/etc/passwd:1: uid '+1' is not a number");
	FIND_FAILS("bob:x: 1:1::/:\n", "bob",
	    "/etc/passwd:1: uid ' 1' is not a number");
	FIND_FAILS("bob:x:1 :1::/:\n", "bob",
	    "/etc/passwd:1: uid '1 ' is not a number");
	FIND_FAILS("bob:x:0x10:1::/:\n", "bob",
	    "/etc/passwd:1: uid '0x10' is not a number");
	FIND_FAILS("bob:x:1\t:1::/:\n", "bob",
	    "/etc/passwd:1: uid '1?' is not a number");
	FIND_FAILS("bob:x:2147483648:1::/:\n", "bob",
	    "/etc/passwd:1: uid '2147483648' is out of range");
	FIND_FAILS("bob:x:4294967295:1::/:\n", "bob",
	    "/etc/passwd:1: uid '4294967295' is out of range");
	FIND_FAILS("bob:x:18446744073709551616:1::/:\n", "bob",
	    "/etc/passwd:1: uid '18446744073709551616' is out of range");
	FIND_FAILS("bob:x:123456789012345678901234567890123456789012345678901"
	    ":1::/:\n", "bob", "/etc/passwd:1: uid '1234567890123456789012345"
	    "6789012345678901234...' is out of range");
	/* a bad first entry for bob is an error even with a good one after */
	FIND_FAILS("bob:x:x:1::/:\nbob:x:1:1::/:\n", "bob",
	    "/etc/passwd:1: uid 'x' is not a number");
}

static void
test_bad_gid(void **state)
{
	(void)state;
	FIND_FAILS("#\nbob:x:1:abc::/:\n", "bob",
	    "/etc/passwd:2: gid 'abc' is not a number");
	FIND_FAILS("bob:x:1:::/:\n", "bob",
	    "/etc/passwd:1: gid '' is not a number");
	FIND_FAILS("bob:x:1:-5::/:\n", "bob",
	    "/etc/passwd:1: gid '-5' is not a number");
	FIND_FAILS("bob:x:1: 5::/:\n", "bob",
	    "/etc/passwd:1: gid ' 5' is not a number");
	FIND_FAILS("bob:x:1:2147483648::/:\n", "bob",
	    "/etc/passwd:1: gid '2147483648' is out of range");
	/* the same through a numeric lookup of the entry */
	FIND_FAILS("bob:x:1:-5::/:\n", "1",
	    "/etc/passwd:1: gid '-5' is not a number");
}

static void
test_bad_entry(void **state)
{
	char line[600];

	(void)state;
	FIND_FAILS("bob\n", "bob", "/etc/passwd:1: expected 7 fields, found 1");
	FIND_FAILS("bob:x:1:1::/\n", "bob",
	    "/etc/passwd:1: expected 7 fields, found 6");
	FIND_FAILS("bob:x:1:1::/:/bin/sh:\n", "bob",
	    "/etc/passwd:1: expected 7 fields, found 8");
	fails_(PASSWD, "bob:x:1:1::/\0:/bin/sh\n", 22, "bob",
	    "/etc/passwd:1: NUL byte in entry", __LINE__);
	fails_(PASSWD, "a:x:1:1::/:\n\n\nbob:x:1:\0::/:\n", 28, "bob",
	    "/etc/passwd:4: NUL byte in entry", __LINE__);
	FIND_FAILS("a:x:1:1::/:\n:x:7:7::/:\n", "7",
	    "/etc/passwd:2: empty user name");
	FIND_FAILS("a:x:7:7\n", "7", "/etc/passwd:1: expected 7 fields, "
	    "found 4");
	/* a name of 256 bytes, found through its uid */
	memset(line, 'n', 256);
	snprintf(line + 256, sizeof(line) - 256, ":x:9:9::/:\n");
	FIND_FAILS(line, "9", "/etc/passwd:1: user name longer than 255 bytes");
	/* a home of 256 bytes; 255 is fine */
	snprintf(line, sizeof(line), "bob:x:1:1::/%0255d:/bin/sh\n", 0);
	FIND_FAILS(line, "bob",
	    "/etc/passwd:1: home directory longer than 255 bytes");
	{
		struct pwfile_user u;

		snprintf(line, sizeof(line), "bob:x:1:1::/%0254d:/bin/sh\n", 0);
		FIND_OK(line, "bob", &u);
		assert_int_equal(strlen(u.home), 255);
	}
}

static void
test_other_lines_tolerated(void **state)
{
	char *big;
	size_t n = 5000, i;

	(void)state;
	FOUND("alice:x:abc:1::/:\n"
	    "carol\n"
	    "dave:x:1:-1::/:/bin/sh\n"
	    "erin:x:1:1:/:\n"
	    ":x:::\n"
	    "::::::::::::\n"
	    "bo\n"
	    "bobby:x:99999999999:1::/:\n"
	    "bob:x:3:4::/home/bob:/bin/sh\n", "bob", "bob", 3, 4, "/home/bob");
	/* NUL bytes, junk and a 5000-byte line for other users */
	big = malloc(n + 64);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (char)(i % 251 == 10 ? 0 : i % 251);
	big[n] = '\n';
	memcpy(big + n + 1, "x\0y:x:1:1::/:\nbob:x:3:4::/h:\n", 29);
	found_(big, n + 30, "bob", "bob", 3, 4, "/h", __LINE__);
	free(big);
}

/* --- groups --- */

/* A user with primary gid `gid` and its groups from gr, which must be the
 * n listed in `want`. */
static void
groups_ok_(const char *gr, size_t len, const char *name, gid_t gid,
    const gid_t *want, size_t n, int line)
{
	struct pwfile_user u;
	struct gw_err e;
	size_t i;

	memset(&u, 0, sizeof(u));
	u.gid = u.groups[0] = gid;
	u.n_groups = 1;
	if (decode(GROUP, gr, len, name, &u, &e) < 0)
		fail_msg("line %d: %s", line, e.msg);
	if (u.n_groups != n)
		fail_msg("line %d: %zu groups, want %zu", line, u.n_groups, n);
	for (i = 0; i < n; i++)
		if (u.groups[i] != want[i])
			fail_msg("line %d: groups[%zu] = %u, want %u", line, i,
			    (unsigned)u.groups[i], (unsigned)want[i]);
	assert_int_equal(u.gid, gid);
}
#define GROUPS_OK(gr, name, gid, ...) do { \
	static const gid_t want_[] = { __VA_ARGS__ }; \
	groups_ok_(gr, strlen(gr), name, gid, want_, \
	    sizeof(want_) / sizeof(want_[0]), __LINE__); \
} while (0)

static const char group[] =
    "root:x:0:\n"
    "adm:x:4:syslog,bob\n"
    "bob:x:1000:\n"
    "users:x:100:bob\n"
    "wheel:x:10:alice,bobby\n"
    "docker:x:999:alice,bob,carol\n"
    "bo:x:50:bo\n"
    "staff:x:50:bob\n"
    "video:x:44:,,bob,,\n";

static void
test_groups(void **state)
{
	(void)state;
	/* primary first, then file order */
	GROUPS_OK(group, "bob", 1000, 1000, 4, 100, 999, 50, 44);
	GROUPS_OK(group, "bobby", 100, 100, 10);
	GROUPS_OK(group, "alice", 1001, 1001, 10, 999);
	GROUPS_OK(group, "bo", 1002, 1002, 50);
	GROUPS_OK(group, "b", 1003, 1003);
	GROUPS_OK(group, "syslog", 1004, 1004, 4);
	GROUPS_OK("", "bob", 7, 7);
	/* the primary group listing the user is there once */
	GROUPS_OK("bob:x:1000:bob\nx:x:1000:bob\n", "bob", 1000, 1000);
	GROUPS_OK("a:x:5:bob\nbob:x:1000:bob\n", "bob", 1000, 1000, 5);
}

static void
test_groups_member_match(void **state)
{
	(void)state;
	/* exact members only: no prefixes, no spaces trimmed */
	GROUPS_OK("a:x:1:bobby\nb:x:2:xbob\nc:x:3:bo\nd:x:4: bob\n"
	    "e:x:5:bob \nf:x:6:Bob\n", "bob", 9, 9);
	GROUPS_OK("a:x:1:bobby,bob\nb:x:2:bo,bob,bobby\n", "bob", 9, 9, 1, 2);
	/* the group's own name is not a member */
	GROUPS_OK("bob:x:1:\nbob:x:2:alice\n", "bob", 9, 9);
	/* empty members are ignored */
	GROUPS_OK("a:x:1:,\nb:x:2:,,\nc:x:3:,bob\nd:x:4:bob,\n", "bob", 9, 9,
	    3, 4);
	/* comments and NIS lines are skipped; last line without newline */
	GROUPS_OK("#a:x:1:bob\n+b:x:2:bob\n-c:x:3:bob\n+\n\nd:x:4:bob", "bob",
	    9, 9, 4);
	/* a line with no member list is nobody's */
	GROUPS_OK("bob:x:1\nbob\n", "bob", 9, 9);
}

static void
test_groups_primary_added(void **state)
{
	struct pwfile_user u;
	struct gw_err e;

	(void)state;
	/* n_groups 0: the primary gid goes first */
	memset(&u, 0, sizeof(u));
	u.gid = 1000;
	assert_int_equal(decode(GROUP, "a:x:5:bob\n", 10, "bob", &u, &e), 0);
	assert_int_equal(u.n_groups, 2);
	assert_int_equal(u.groups[0], 1000);
	assert_int_equal(u.groups[1], 5);
	/* a second call adds nothing twice */
	assert_int_equal(decode(GROUP, "a:x:5:bob\nb:x:6:bob\n", 20, "bob",
	    &u, &e), 0);
	assert_int_equal(u.n_groups, 3);
	assert_int_equal(u.groups[2], 6);
}

static void
test_groups_bad(void **state)
{
	(void)state;
	GROUPS_FAIL("a:x:1:alice\nb:x:abc:alice,bob\n", "bob",
	    "/etc/group:2: gid 'abc' is not a number");
	GROUPS_FAIL("b::-1:bob\n", "bob", "/etc/group:1: gid '-1' is not a "
	    "number");
	GROUPS_FAIL("b:::bob\n", "bob", "/etc/group:1: gid '' is not a number");
	GROUPS_FAIL("b:x:2147483648:bob\n", "bob",
	    "/etc/group:1: gid '2147483648' is out of range");
	GROUPS_FAIL("b:x:5:alice:bob\n", "bob",
	    "/etc/group:1: expected 4 fields, found 5");
	GROUPS_FAIL("b:x:5:bob:\n", "bob",
	    "/etc/group:1: expected 4 fields, found 5");
	fails_(GROUP, "#\nb:x:\0:bob\n", 12, "bob",
	    "/etc/group:2: NUL byte in entry", __LINE__);
	fails_(GROUP, "b:x:5:alice\0,bob\n", 17, "bob",
	    "/etc/group:1: NUL byte in entry", __LINE__);
	GROUPS_FAIL("", "", "empty user name");
}

static void
test_groups_others_tolerated(void **state)
{
	(void)state;
	/* broken lines that do not list bob are skipped */
	GROUPS_OK("a:x:abc:alice\n"
	    "b:x:-1:bobby\n"
	    "c:x:7:alice:carol\n"
	    "d\n"
	    "e:x:99999999999:\n"
	    "f:x:3:bob\n", "bob", 9, 9, 3);
	groups_ok_("a:x:\0:alice\nb\0:x:3:bob\0\nf:x:4:bob", 33, "bob", 9,
	    (const gid_t[]){ 9, 4 }, 2, __LINE__);
}

static void
test_groups_too_many(void **state)
{
	char *gr;
	size_t i, o = 0, cap = 80 * 32;
	gid_t want[PWFILE_MAX_GROUPS];

	(void)state;
	gr = malloc(cap);
	assert_non_null(gr);
	/* 63 groups plus the primary: the most there can be */
	want[0] = 1000;
	for (i = 0; i < PWFILE_MAX_GROUPS - 1; i++) {
		o += (size_t)snprintf(gr + o, cap - o, "g%zu:x:%zu:a,bob\n", i,
		    2000 + i);
		want[i + 1] = (gid_t)(2000 + i);
	}
	/* repeats of gids already in do not count */
	o += (size_t)snprintf(gr + o, cap - o, "again:x:2000:bob\n");
	o += (size_t)snprintf(gr + o, cap - o, "prim:x:1000:bob\n");
	groups_ok_(gr, o, "bob", 1000, want, PWFILE_MAX_GROUPS, __LINE__);
	/* one more is an error naming its line */
	o += (size_t)snprintf(gr + o, cap - o, "last:x:5:bob\n");
	fails_(GROUP, gr, o, "bob",
	    "/etc/group:66: user 'bob' is in more than 64 groups", __LINE__);
	free(gr);
}

/* --- pwfile_lookup --- */

static void
write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_lookup_files(void **state)
{
	char dir[] = "/tmp/test_pwfile.XXXXXX", pw[64], gr[64], want[128];
	struct pwfile_user u;
	struct gw_err e;
	FILE *f;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pw, sizeof(pw), "%s/passwd", dir);
	snprintf(gr, sizeof(gr), "%s/group", dir);
	write_file(pw, "root:x:0:0:root:/root:/bin/sh\n"
	    "bob:x:1000:1000::/home/bob:/bin/sh\n");
	write_file(gr, "root:x:0:\nadm:x:4:bob\nbob:x:1000:\nx:x:7:bob,root\n");

	assert_int_equal(pwfile_lookup("bob", pw, gr, &u, &e), 0);
	assert_string_equal(u.name, "bob");
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1000);
	assert_string_equal(u.home, "/home/bob");
	assert_int_equal(u.n_groups, 3);
	assert_int_equal(u.groups[0], 1000);
	assert_int_equal(u.groups[1], 4);
	assert_int_equal(u.groups[2], 7);

	/* a numeric uid with an entry gets that entry's groups */
	assert_int_equal(pwfile_lookup("0", pw, gr, &u, &e), 0);
	assert_string_equal(u.name, "root");
	assert_int_equal(u.n_groups, 2);
	assert_int_equal(u.groups[1], 7);
	/* without one, its primary group only */
	assert_int_equal(pwfile_lookup("77", pw, gr, &u, &e), 0);
	assert_user(&u, "", 77, 77, "");

	/* errors in either file name it */
	assert_int_equal(pwfile_lookup("alice", pw, gr, &u, &e), -1);
	snprintf(want, sizeof(want), "no user 'alice' in %s", pw);
	assert_string_equal(e.msg, want);
	write_file(gr, "\nadm:x:four:bob\n");
	assert_int_equal(pwfile_lookup("bob", pw, gr, &u, &e), -1);
	snprintf(want, sizeof(want), "%s:2: gid 'four' is not a number", gr);
	assert_string_equal(e.msg, want);

	/* a missing group file: the primary group only */
	assert_int_equal(unlink(gr), 0);
	memset(&u, 0, sizeof(u));
	assert_int_equal(pwfile_lookup("bob", pw, gr, &u, &e), 0);
	assert_user(&u, "bob", 1000, 1000, "/home/bob");
	/* a group file that cannot be read is an error */
	assert_int_equal(mkdir(gr, 0700), 0);
	assert_int_equal(pwfile_lookup("bob", pw, gr, &u, &e), -1);
	snprintf(want, sizeof(want), "%s: Is a directory", gr);
	assert_string_equal(e.msg, want);
	assert_int_equal(rmdir(gr), 0);

	/* a missing passwd file is an error, even for a numeric uid */
	assert_int_equal(unlink(pw), 0);
	assert_int_equal(pwfile_lookup("bob", pw, gr, &u, &e), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", pw);
	assert_string_equal(e.msg, want);
	assert_int_equal(pwfile_lookup("0", pw, gr, &u, &e), -1);
	assert_string_equal(e.msg, want);

	/* exactly 1 MiB is read; one byte more is refused */
	f = fopen(pw, "w");
	assert_non_null(f);
	fputs("bob:x:5:6::/h:/bin/sh\n", f);
	for (i = (size_t)ftell(f); i < PWFILE_MAX_FILE; i++)
		fputc('#', f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(pwfile_lookup("bob", pw, gr, &u, &e), 0);
	assert_user(&u, "bob", 5, 6, "/h");
	f = fopen(pw, "a");
	assert_non_null(f);
	fputc('\n', f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(pwfile_lookup("bob", pw, gr, &u, &e), -1);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", pw);
	assert_string_equal(e.msg, want);

	assert_int_equal(unlink(pw), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_lookup_real_root(void **state)
{
	struct pwfile_user u;
	struct gw_err e;

	(void)state;
	if (pwfile_lookup("root", NULL, NULL, &u, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(u.name, "root");
	assert_int_equal(u.uid, 0);
	assert_true(u.n_groups >= 1 && u.n_groups <= PWFILE_MAX_GROUPS);
	assert_int_equal(u.groups[0], u.gid);
	assert_true(u.home[0] == '/');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_unknown_user),
		cmocka_unit_test(test_exact_name),
		cmocka_unit_test(test_skipped_lines),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_bad_uid),
		cmocka_unit_test(test_bad_gid),
		cmocka_unit_test(test_bad_entry),
		cmocka_unit_test(test_other_lines_tolerated),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_groups_member_match),
		cmocka_unit_test(test_groups_primary_added),
		cmocka_unit_test(test_groups_bad),
		cmocka_unit_test(test_groups_others_tolerated),
		cmocka_unit_test(test_groups_too_many),
		cmocka_unit_test(test_lookup_files),
		cmocka_unit_test(test_lookup_real_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
