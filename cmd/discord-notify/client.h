/*
 * client: discord-notify's client modes, asking a running daemon over its
 * socket through lib/dclient (docs/runtime.md): --stats, and --send's
 * first try (the daemon takes the event and waits for its delivery).
 * Each call blocks up to its deadline. The daemon's reply is untrusted:
 * parsed once, read by field.
 *
 * Messages for the user go through the caller's warn function (main passes
 * warnx), the reply to the caller's stream: the module itself never
 * prints and never exits.
 */
#ifndef DISCORD_NOTIFY_CLIENT_H
#define DISCORD_NOTIFY_CLIENT_H

#include <stddef.h>
#include <stdio.h>
#include <sysexits.h>

#include "event.h"
#include "gw_err.h"

/* Exit code of --send and --once when the webhook refused us (HTTP
 * 401/403/404), the daemon's or ours (docs/discord-notify.md). */
#define EXIT_REFUSED EX_NOPERM

/* How the client modes say something to the user: printf-like, one line,
 * no newline (warnx). */
typedef void (*client_warn_fn)(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * --stats: ask the daemon at path for its counters (5 s deadline) and
 * write them to out as one JSON line. Returns the exit code: 0, or
 * EX_UNAVAILABLE (no daemon answering, or an unexpected reply), said
 * through warn.
 */
int client_stats(const char *path, FILE *out, client_warn_fn warn);

/*
 * The --send event from its command-line parts, validated like any input
 * line. 0 with ev filled (free with gw_event_clear), or -1 with the reason
 * in err (a usage error: the caller adds "--send: ").
 */
int client_send_event(const char *level, const char *source,
    const char *component, const char *event_name, const char *message,
    struct gw_event *ev, struct gw_err *err);

/*
 * --send through the daemon at path: it spools ev and waits up to
 * timeout_s for its delivery (our deadline is 2 s longer). Returns the
 * exit code: 0 delivered, EX_TEMPFAIL not delivered in time (the daemon
 * keeps it spooled), EXIT_REFUSED the webhook refused the daemon,
 * EX_SOFTWARE out of memory; the last three said through warn. Returns -1
 * when the daemon did not take the event, and the caller is to deliver it
 * itself: why is "" when no daemon is there (no socket, or nothing
 * accepting on it), else says why (at most whysz bytes).
 */
int client_send(const char *path, const struct gw_event *ev,
    double timeout_s, char *why, size_t whysz, client_warn_fn warn);

#endif
