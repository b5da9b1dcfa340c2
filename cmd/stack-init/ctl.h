/*
 * ctl: stack-init's control socket server (docs/stack-init.md "CONTROL
 * SOCKET"): one JSON request line per connection, {"cmd": VERB,
 * "service": NAME}, one JSON reply line, then the connection closes.
 * Served by lineserv on the event loop; never blocks, prints or exits.
 * The verb table is shared with the command line of `stack-init ctl`
 * (main.c); ctl_client.c is the client.
 */
#ifndef STACK_INIT_CTL_H
#define STACK_INIT_CTL_H

#include <jansson.h>

#include "gw_err.h"
#include "log.h"

struct event_base;
struct super;
struct ctl;

#define CTL_LINE_MAX 1024	/* longest request */
#define MAX_CTL_CLIENTS 32

/* The control socket's verbs and whether they take a service name.
 * "login" also takes "force": true (`ctl login NAME --force`). */
enum ctl_arg { CTL_NO_NAME, CTL_OPT_NAME, CTL_NEEDS_NAME };
struct ctl_verb {
	const char *verb;
	enum ctl_arg arg;
};
extern const struct ctl_verb ctl_verbs[];
#define CTL_VERB_LIST "status, reload, start, stop, restart, login"

/* Index of verb in ctl_verbs, or -1. */
int ctl_verb_find(const char *verb);

/* Re-read the configuration and hand it to the supervisor: the summary
 * (a new reference), or NULL with err (already logged). */
typedef json_t *(*ctl_reload_fn)(void *arg, struct gw_err *err);

/*
 * Listen on path (mode 0600; a stale socket is replaced) and serve
 * requests against sup, logging init.ctl audit lines to log (both
 * borrowed, they must outlive the server). Returns NULL with the reason
 * in err (usock's, or "cannot watch PATH").
 */
struct ctl *ctl_new(struct event_base *base, const char *path,
    struct super *sup, struct gw_log *log, ctl_reload_fn reload, void *arg,
    struct gw_err *err);

/* Stop accepting and unlink the socket (shutdown); requests under way
 * are answered. Idempotent. */
void ctl_stop_listening(struct ctl *ctl);

/* Close everything, unlink the socket. NULL-safe. */
void ctl_free(struct ctl *ctl);

#endif
