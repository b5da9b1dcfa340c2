/*
 * usock: listen on / connect to Unix domain stream sockets.
 * Input is trusted (paths come from our own flags and environment), but the
 * file system is not: an existing path is probed with a non-blocking
 * connect (a busy listener cannot stall us), never blindly unlinked.
 */
#include "usock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int
fill_addr(struct sockaddr_un *sa, const char *path, struct gw_err *err)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n == 0)
		return gw_err_set(err, "socket path is empty");
	if (n > USOCK_PATH_MAX || n >= sizeof(sa->sun_path))
		return gw_err_set(err, "socket path is %zu bytes long, the limit is %d",
		    n, USOCK_PATH_MAX);
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

/* mkdir -p of path's parent directory; directories we create are 0700. */
static int
make_parent(const char *path, struct gw_err *err)
{
	char dir[USOCK_PATH_MAX + 1];
	struct stat st;
	char *slash, *p, c;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;		/* "sock" or "/sock": the parent exists */
	*slash = '\0';
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return gw_err_set(err, "%s is not a directory", dir);
		return 0;
	}
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return gw_err_set(err, "cannot create directory %s: %s", dir,
			    strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

int
usock_connect(const char *path, struct gw_err *err)
{
	struct sockaddr_un sa;
	int fd, e;

	if (fill_addr(&sa, path, err) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return gw_err_set(err, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(fd);
		gw_err_set(err, "cannot connect to %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	return fd;
}

/* Is something listening at sa? A non-blocking connect never waits: it
 * succeeds, or fails with EAGAIN when the listener's backlog is full, both
 * meaning "in use"; ECONNREFUSED (or ENOENT) means stale. 1, 0 or -1. */
static int
probe_live(const struct sockaddr_un *sa, const char *path, struct gw_err *err)
{
	int fd, rc, e;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return gw_err_set(err, "socket: %s", strerror(errno));
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS)
		return 1;
	if (e == ECONNREFUSED || e == ENOENT)
		return 0;
	return gw_err_set(err, "cannot probe %s: %s", path, strerror(e));
}

/* An existing path: replace it when it is a stale socket, else fail. */
static int
clear_stale(const struct sockaddr_un *sa, const char *path,
    struct gw_err *err)
{
	struct stat st;
	int live;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return gw_err_set(err, "cannot stat %s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return gw_err_set(err, "%s exists and is not a socket", path);
	if ((live = probe_live(sa, path, err)) < 0)
		return -1;
	if (live)
		return gw_err_set(err, "%s is already in use by a running process",
		    path);
	if (unlink(path) < 0 && errno != ENOENT)
		return gw_err_set(err, "cannot remove stale socket %s: %s", path,
		    strerror(errno));
	return 0;
}

int
usock_listen(const char *path, int backlog, struct gw_err *err)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, rc, e;

	if (fill_addr(&sa, path, err) < 0 || make_parent(path, err) < 0 ||
	    clear_stale(&sa, path, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return gw_err_set(err, "socket: %s", strerror(errno));
	/* The socket file is created by bind with mode 0777 & ~umask: narrow
	 * the umask around it so the file never exists with wider bits. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old);
	if (rc < 0) {
		close(fd);
		return gw_err_set(err, "cannot bind %s: %s", path, strerror(e));
	}
	if (chmod(path, 0600) < 0 || listen(fd, backlog) < 0) {
		e = errno;
		close(fd);
		unlink(path);
		return gw_err_set(err, "cannot listen on %s: %s", path, strerror(e));
	}
	return fd;
}
