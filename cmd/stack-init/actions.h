/*
 * actions: the restart actions stack-init registers with its supervisor
 * beyond the supervisor's own (signals, commands): {"ibc": "host:port"}
 * sends RESTART to IBC's command server (ibc.h) and requires OK.
 */
#ifndef GW_ACTIONS_H
#define GW_ACTIONS_H

#include "gw_err.h"

struct event_base;
struct super;

/* Register them with s (super_set_action); base runs their I/O and must
 * outlive s. Returns 0, or -1 with err. */
int actions_register(struct super *s, struct event_base *base,
    struct gw_err *err);

#endif
