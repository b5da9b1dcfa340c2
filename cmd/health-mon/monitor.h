/*
 * monitor: health-mon's core (docs/health-mon.md). It owns the checks and
 * one state machine per component (hstate), prints one JSON line per
 * check result on stdout, raises alerts on transitions (events through
 * the log, whose sink sends them to discord-notify), keeps the state file,
 * and runs the optional gateway restart through stack-init. One object
 * on the event loop; nothing here blocks or exits.
 */
#ifndef HM_MONITOR_H
#define HM_MONITOR_H

#include <stdio.h>

#include "gw_err.h"
#include "hmconf.h"
#include "log.h"

struct event_base;
struct evdns_base;
struct monitor;

/* conf is borrowed (it must outlive the monitor); lines go to out. */
struct monitor *monitor_new(struct event_base *base, struct evdns_base *dns,
    const struct hmconf *conf, struct gw_log *log, FILE *out,
    struct gw_err *err);

/* Every check on its interval (the state file is read first). */
int monitor_start(struct monitor *m, struct gw_err *err);

/* --once: every check once; done(arg, all_healthy) when all have
 * answered. No alerts, no state file. */
int monitor_once(struct monitor *m, void (*done)(void *arg, int healthy),
    void *arg, struct gw_err *err);

/* The components' state, for the HTTP side (n components). */
const struct hs_component *monitor_components(const struct monitor *m,
    size_t *n);

/* What the HTTP side shows (httpd.h): valid while the monitor lives. */
struct httpd_view;
const struct httpd_view *monitor_view(const struct monitor *m);

void monitor_free(struct monitor *m);

#endif
