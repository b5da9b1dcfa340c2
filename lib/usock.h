/*
 * usock: Unix domain stream sockets with safe permissions and stale-socket
 * handling (docs/runtime.md). Short system calls only
 * (usock_connect may block, see there); the callers hand the listening fd
 * to libevent.
 */
#ifndef GW_USOCK_H
#define GW_USOCK_H

#include "gw_err.h"

/* Longest path usock accepts (sizeof sun_path minus the NUL). */
#define USOCK_PATH_MAX 107

/*
 * Create a listening socket at path, mode 0600, non-blocking and
 * close-on-exec. A missing parent directory is created with mode 0700 (with
 * any missing ancestors). An existing socket at path that refuses connections
 * is stale and replaced; one that accepts them, or whose backlog is full, is
 * "already in use" (error); anything that is not a socket is left alone
 * (error). The probe is a non-blocking connect: this never waits on a peer.
 * Returns the fd (the caller owns it and unlinks path when done), or -1.
 */
int usock_listen(const char *path, int backlog, struct gw_err *err);

/* Connect to the socket at path (blocking, close-on-exec). Returns the fd
 * or -1 (reason in err; errno is kept for the caller). */
int usock_connect(const char *path, struct gw_err *err);

#endif
