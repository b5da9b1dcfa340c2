/*
 * ctl_client: `stack-init ctl`, one question to a running stack-init over
 * its control socket (docs/stack-init.md "CONTROL SOCKET"), through
 * lib/dclient: one request line {"cmd": VERB, "service": NAME}, one JSON
 * reply line, one deadline. Blocks up to that deadline. The reply is
 * untrusted: parsed once, success decided from its "ok".
 *
 * The reply goes to the caller's stream, messages through the caller's
 * warn (main passes stdout and warnx): the module itself never prints and
 * never exits.
 */
#ifndef STACK_INIT_CTL_CLIENT_H
#define STACK_INIT_CTL_CLIENT_H

#include <stdio.h>

#define EXIT_CTL_REFUSED 1	/* the reply said "ok": false */
#define EXIT_CTL_PENDING 75	/* ... with "pending": true: ctl login refused
				 * because a login is pending (EX_TEMPFAIL) */

/* How the client says something to the user: printf-like, one line, no
 * newline (warnx). */
typedef void (*ctl_client_warn_fn)(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * Ask the stack-init listening on path to do verb (a ctl_verbs entry) for
 * the service name (NULL: none), with "force": true when force (login),
 * all within timeout_s: print its reply
 * (one JSON object on one line) on out and, for a failed request, its
 * error through warn. Returns the exit code: 0 ok, EXIT_CTL_REFUSED the
 * reply said "ok": false (EXIT_CTL_PENDING when it also said "pending":
 * true), EX_USAGE the request is too long, EX_UNAVAILABLE
 * no (usable) answer or "busy", EX_SOFTWARE the request cannot be
 * encoded, EX_IOERR out cannot be written (the message names stdout).
 */
int ctl_client_run(const char *path, const char *verb, const char *name,
    int force, double timeout_s, FILE *out, ctl_client_warn_fn warn);

#endif
