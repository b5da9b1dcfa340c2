/*
 * ibc: send one command (e.g. "RESTART") to IBC's command server
 * (CommandServerPort, conventionally 7462) and report its one-line answer.
 *
 *   resolve -> connect -> write "COMMAND\n" -> read lines -> done(ok, text)
 *
 * One deadline covers the whole exchange. IBC answers "OK <info>" or
 * "ERROR <info>"; "INFO <info>" lines (IBC with SuppressInfoMessages=no) are
 * skipped. The reply is untrusted: lines are capped at IBC_MAX_LINE bytes and
 * quoted (gw_err_quote) before they reach the caller. The protocol as
 * observed in IBC's source is described at the top of ibc.c.
 */
#ifndef IBC_H
#define IBC_H

#include <stddef.h>

#include "gw_err.h"

struct event_base;
struct ibc_cmd;

#define IBC_MAX_LINE	1024	/* reply line cap, the '\n' not counted */
#define IBC_MAX_COMMAND	256
#define IBC_MAX_TIMEOUT_MS 600000

/*
 * Called exactly once per ibc_cmd_new() that returned non-NULL, always from
 * the event loop (never from inside ibc_cmd_new), unless ibc_cmd_free() came
 * first. ok = 1: the reply line starts with "OK"; text is that line (quoted,
 * without its line ending). ok = 0: text is the reason, one of
 *   "connection refused"
 *   "cannot connect: <system error>"
 *   "cannot resolve '<host>': <resolver error>"
 *   "no connection within N ms"        (deadline hit before connected)
 *   "no reply within N ms"             (deadline hit after connected)
 *   "IBC answered: <line>"             (e.g. "IBC answered: ERROR Command invalid")
 *   "connection closed without a reply" (also what IBC does to a client
 *                                       that its ControlFrom setting denies)
 *   "reply longer than 1024 bytes"
 *   "connection error: <system error>"
 * where N is the timeout_ms given. text is valid during the call only. The
 * callback may call ibc_cmd_free() on the object (it is finished by then).
 */
typedef void (*ibc_done_cb)(void *arg, int ok, const char *reply_or_reason);

/*
 * Start sending command + "\n" to host:port. host is a numeric IPv4/IPv6
 * address (no resolver involved) or a name, resolved with libevent's own
 * resolver (/etc/hosts, then the resolv.conf servers; never glibc's NSS, so
 * static binaries work). command: 1..IBC_MAX_COMMAND printable ASCII bytes,
 * not all blanks (IBC silently waits for another line after a blank one).
 * timeout_ms: 1..IBC_MAX_TIMEOUT_MS, counted from this call. All strings are
 * copied. Never blocks. Returns NULL with err set on bad arguments or out of
 * memory (done is then never called). The process must ignore SIGPIPE.
 */
struct ibc_cmd *ibc_cmd_new(struct event_base *base, const char *host, int port,
    const char *command, int timeout_ms, ibc_done_cb done, void *arg,
    struct gw_err *err);

/* Cancel (done is not called afterwards) and free. NULL-safe. */
void ibc_cmd_free(struct ibc_cmd *c);

/*
 * Pure: does this reply line mean success? 1 when it starts with "OK"
 * followed by the end, a blank or a line ending ("OK", "OK RESTART in
 * progress", "OK\r\n"); 0 otherwise ("ERROR ...", "OKAY", "ok", "").
 */
int ibc_reply_ok(const char *line, size_t len);

#endif
