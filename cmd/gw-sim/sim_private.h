/*
 * sim_private: what the control socket (control.c) needs from the
 * simulator beyond sim.h. Not for other users.
 */
#ifndef GW_SIM_PRIVATE_H
#define GW_SIM_PRIVATE_H

#include <jansson.h>

#include "sim.h"

#define SIM_COMPONENT "sim"

/* The control socket's "status" reply, {"ok": true, "fault": ...} (a new
 * reference; NULL only when memory runs out). */
json_t *sim_status(struct sim *sim);

/* accept() on the listener named which ("API", "control") failed with
 * errnum; the caller has paused that listener. Logs sim.accept_error once
 * per episode and resumes the paused listeners after a pause. */
void sim_accept_failed(struct sim *sim, const char *which, int errnum);

/* An accept worked: the next failure is a new episode. */
void sim_accept_ok(struct sim *sim);

/* A connection was freed: paused listeners resume at once. */
void sim_conn_freed(struct sim *sim);

#endif
