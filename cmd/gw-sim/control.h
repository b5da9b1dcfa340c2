/*
 * control: gw-sim's control socket (docs/gw-sim.md "Control socket"): one
 * command per line, "cmd [arg]" or {"cmd": ..., "arg": ...}, one JSON
 * reply line each. Served by lib/lineserv on the simulator's event loop;
 * never blocks, prints or exits.
 */
#ifndef GW_SIM_CONTROL_H
#define GW_SIM_CONTROL_H

#include "gw_err.h"
#include "log.h"

struct event_base;
struct sim;
struct control;

/* Listen on path (mode 0600; a stale socket is replaced) for sim (borrowed;
 * it must outlive the control socket). NULL with the reason in err. */
struct control *control_new(struct event_base *base, struct sim *sim,
    struct gw_log *log, const char *path, struct gw_err *err);

/* Accept again after an accept error paused it. NULL-safe. */
void control_accept_resume(struct control *ctl);

/* Close every client and the socket, unlink it. NULL-safe. */
void control_free(struct control *ctl);

#endif
