/* Unit tests for lib/usock: permissions, stale, live and busy sockets,
 * limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "usock.h"

struct fixture {
	char dir[64];		/* a fresh mkdtemp directory */
	char path[256];		/* dir/sub/ctl.sock; sub does not exist yet */
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_usock.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/sub/ctl.sock", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char sub[sizeof(fx->path)];

	unlink(fx->path);
	snprintf(sub, sizeof(sub), "%s/sub", fx->dir);
	unlink(sub);		/* a regular file in one test */
	rmdir(sub);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* A socket file at path whose listener is gone: bind, then close without
 * unlinking (what a killed process leaves behind). */
static void
make_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	close(fd);
}

static void
test_listen_creates_0600_socket_in_0700_dir(void **state)
{
	struct fixture *fx = *state;
	struct gw_err err = { "" };
	char sub[sizeof(fx->path)];
	struct stat st;
	int fd, c, flags;

	fd = usock_listen(fx->path, 4, &err);
	assert_true(fd >= 0);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(sub, sizeof(sub), "%s/sub", fx->dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	flags = fcntl(fd, F_GETFL);
	assert_true(flags & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	c = usock_connect(fx->path, &err);
	assert_true(c >= 0);
	close(c);
	close(fd);
}

static void
test_stale_socket_is_replaced(void **state)
{
	struct fixture *fx = *state;
	struct gw_err err = { "" };
	char sub[sizeof(fx->path)];
	int fd, c;

	snprintf(sub, sizeof(sub), "%s/sub", fx->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	make_stale(fx->path);
	c = usock_connect(fx->path, &err);
	assert_int_equal(c, -1);
	assert_int_equal(errno, ECONNREFUSED);

	fd = usock_listen(fx->path, 4, &err);
	assert_true(fd >= 0);
	c = usock_connect(fx->path, &err);
	assert_true(c >= 0);
	close(c);
	close(fd);
}

static void
test_live_socket_is_refused(void **state)
{
	struct fixture *fx = *state;
	struct gw_err err = { "" };
	int fd, second, c;

	fd = usock_listen(fx->path, 4, &err);
	assert_true(fd >= 0);
	second = usock_listen(fx->path, 4, &err);
	assert_int_equal(second, -1);
	assert_non_null(strstr(err.msg, "already in use"));
	/* the first listener is untouched */
	c = usock_connect(fx->path, &err);
	assert_true(c >= 0);
	close(c);
	close(fd);
}

/* A live listener whose backlog is full: a blocking probe would wait for
 * it forever; the probe must still say "in use", at once. */
static void
test_busy_socket_is_refused_without_blocking(void **state)
{
	struct fixture *fx = *state;
	struct gw_err err = { "" };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, c[256], n = 0;

	fd = usock_listen(fx->path, 0, &err);
	assert_true(fd >= 0);
	memcpy(sa.sun_path, fx->path, strlen(fx->path) + 1);
	for (n = 0; n < 256; n++) {
		c[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(c[n] >= 0);
		if (connect(c[n], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			assert_int_equal(errno, EAGAIN);
			close(c[n]);
			break;
		}
	}
	assert_true(n < 256);		/* the backlog is full now */
	alarm(5);			/* a blocking probe hangs: fail instead */
	assert_int_equal(usock_listen(fx->path, 4, &err), -1);
	alarm(0);
	assert_non_null(strstr(err.msg, "already in use"));
	while (n-- > 0)
		close(c[n]);
	close(fd);
}

static void
test_path_too_long(void **state)
{
	struct gw_err err = { "" };
	char path[USOCK_PATH_MAX + 8];

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(usock_listen(path, 4, &err), -1);
	assert_non_null(strstr(err.msg, "limit is 107"));
	assert_int_equal(usock_connect(path, &err), -1);
	assert_int_equal(usock_listen("", 4, &err), -1);
	assert_string_equal(err.msg, "socket path is empty");
}

static void
test_non_socket_is_left_alone(void **state)
{
	struct fixture *fx = *state;
	struct gw_err err = { "" };
	char sub[sizeof(fx->path)];
	struct stat st;
	int fd;

	snprintf(sub, sizeof(sub), "%s/sub", fx->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	fd = open(fx->path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(usock_listen(fx->path, 4, &err), -1);
	assert_non_null(strstr(err.msg, "is not a socket"));
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

static void
test_parent_is_a_file(void **state)
{
	struct fixture *fx = *state;
	struct gw_err err = { "" };
	char sub[sizeof(fx->path)];
	int fd;

	snprintf(sub, sizeof(sub), "%s/sub", fx->dir);
	fd = open(sub, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(usock_listen(fx->path, 4, &err), -1);
	assert_non_null(strstr(err.msg, "is not a directory"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_listen_creates_0600_socket_in_0700_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_is_replaced,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_socket_is_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_busy_socket_is_refused_without_blocking, setup, teardown),
		cmocka_unit_test(test_path_too_long),
		cmocka_unit_test_setup_teardown(test_non_socket_is_left_alone,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_is_a_file, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
