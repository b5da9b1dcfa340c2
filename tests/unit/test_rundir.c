/* Unit tests for lib/rundir: which directory (environment precedence), its
 * creation with mode 0700, and refusing one that is not a directory, is
 * open to others or (as root) belongs to someone else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "rundir.h"

static char base[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/gwkit-test-rundir-XXXXXX");
	assert_non_null(mkdtemp(base));
	unsetenv("GWKIT_RUNTIME_DIR");
	unsetenv("XDG_RUNTIME_DIR");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_precedence(void **state)
{
	char buf[256], want[128];
	struct gw_err e;

	(void)state;
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	setenv("GWKIT_RUNTIME_DIR", "/srv/gw", 1);
	assert_int_equal(rundir_path(buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "/srv/gw");
	setenv("GWKIT_RUNTIME_DIR", "", 1);	/* empty counts as unset */
	assert_int_equal(rundir_path(buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "/run/user/1000/gwkit");
	unsetenv("GWKIT_RUNTIME_DIR");
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(rundir_path(buf, sizeof(buf), &e), 0);
	if (geteuid() == 0)
		snprintf(want, sizeof(want), "/run/gwkit");
	else
		snprintf(want, sizeof(want), "/tmp/gwkit-%u", (unsigned)geteuid());
	assert_string_equal(buf, want);
}

static void
test_errors(void **state)
{
	char buf[16];
	struct gw_err e;

	(void)state;
	setenv("GWKIT_RUNTIME_DIR", "relative/dir", 1);
	assert_int_equal(rundir_path(buf, sizeof(buf), &e), -1);
	assert_string_equal(e.msg, "GWKIT_RUNTIME_DIR / XDG_RUNTIME_DIR must be an absolute path");
	setenv("GWKIT_RUNTIME_DIR", "/a/very/long/runtime/directory", 1);
	assert_int_equal(rundir_path(buf, sizeof(buf), &e), -1);
	assert_string_equal(e.msg, "runtime directory path is too long");
}

static void
test_created_0700(void **state)
{
	char dir[128], buf[256];
	struct gw_err e;
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/rt", base);
	setenv("GWKIT_RUNTIME_DIR", dir, 1);
	umask(022);
	assert_int_equal(rundir_ensure(buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(rundir_ensure(buf, sizeof(buf), &e), 0);	/* exists: fine */
}

static void
test_refused(void **state)
{
	char dir[128], buf[256], msg[300];
	struct gw_err e;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/open", base);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	setenv("GWKIT_RUNTIME_DIR", dir, 1);
	assert_int_equal(rundir_ensure(buf, sizeof(buf), &e), -1);
	snprintf(msg, sizeof(msg), "runtime directory %s is open to others (mode 755); "
	    "chmod 700 it", dir);
	assert_string_equal(e.msg, msg);

	snprintf(dir, sizeof(dir), "%s/file", base);
	f = fopen(dir, "w");
	assert_non_null(f);
	fclose(f);
	setenv("GWKIT_RUNTIME_DIR", dir, 1);
	assert_int_equal(rundir_ensure(buf, sizeof(buf), &e), -1);
	snprintf(msg, sizeof(msg), "runtime directory %s is not a directory", dir);
	assert_string_equal(e.msg, msg);

	snprintf(dir, sizeof(dir), "%s/link", base);	/* a symlink is not taken */
	assert_int_equal(symlink(base, dir), 0);
	setenv("GWKIT_RUNTIME_DIR", dir, 1);
	assert_int_equal(rundir_ensure(buf, sizeof(buf), &e), -1);

	if (geteuid() != 0) {
		skip();
		return;
	}
	snprintf(dir, sizeof(dir), "%s/theirs", base);	/* root can chown */
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	setenv("GWKIT_RUNTIME_DIR", dir, 1);
	assert_int_equal(rundir_ensure(buf, sizeof(buf), &e), -1);
	snprintf(msg, sizeof(msg), "runtime directory %s is owned by uid 65534, not us", dir);
	assert_string_equal(e.msg, msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_created_0700, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
