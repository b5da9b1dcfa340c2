/*
 * strategy: the strategy process (STRATEGY_CMD, run with sh -c) and its
 * pipes (docs/strategy-protocol.md). bot-core writes JSON lines on its
 * stdin and reads JSON lines from its stdout; its stderr lines are passed
 * on for logging. A slow strategy never blocks bot-core nor grows its
 * memory: ticks coalesce per symbol (latest wins, counted) while the pipe
 * is full; every other message (hello, gate, strategy, intent_result) is
 * queued and never dropped (bounded by STRATEGY_MAX_QUEUED; beyond that
 * the strategy is stuck: it is killed and restarted). A strategy that
 * exits or writes a line that is not a valid message is reported and
 * restarted with backoff (restart_min_s doubling to restart_max_s).
 */
#ifndef BOT_STRATEGY_H
#define BOT_STRATEGY_H

#include <stddef.h>
#include <sys/types.h>

#include "gw_err.h"
#include "stratmsg.h"

struct event_base;
struct strategy;

#define STRATEGY_MAX_QUEUED (1024 * 1024)	/* bytes of must-send lines */

struct strategy_config {
	const char *cmd;		/* sh -c CMD */
	double restart_min_s;		/* 1 */
	double restart_max_s;		/* 60 */
	double stop_timeout_s;		/* SIGTERM, then SIGKILL after this (5) */
};

struct strategy_cbs {
	/* The process runs (pid); the owner sends hello and the state. */
	void (*on_start)(void *arg, pid_t pid);
	/* A valid message from the strategy. */
	void (*on_message)(void *arg, const struct sm_msg *m);
	/* A line that is not a valid message (it is restarted). */
	void (*on_bad_line)(void *arg, const char *reason);
	/* One line of its stderr (without LF). */
	void (*on_stderr)(void *arg, const char *line, size_t len);
	/* It exited or was killed (status as from waitpid, or -1 with why);
	 * restart_in_s: when it is started again (< 0: not, stopping). */
	void (*on_exit)(void *arg, int status, const char *why,
	    double restart_in_s);
};

struct strategy *strategy_new(struct event_base *base,
    const struct strategy_config *cfg, const struct strategy_cbs *cbs,
    void *arg, struct gw_err *err);
int strategy_start(struct strategy *s, struct gw_err *err);
/* Queue a must-send line (with its LF), e.g. from stratmsg_gate(). -1
 * when it is not running (the next one gets hello and the state through
 * on_start), or when the queue would pass STRATEGY_MAX_QUEUED (it is then
 * stopped and restarted as stuck). The owner ignores SIGPIPE. */
int strategy_send(struct strategy *s, const char *line, size_t len);
/* The latest quote of a symbol: written now if the pipe takes it, else
 * replaces the one waiting for that symbol (counted as coalesced). */
int strategy_send_tick(struct strategy *s, const struct sm_tick *t);
int strategy_running(const struct strategy *s);
unsigned long strategy_ticks_coalesced(const struct strategy *s);
unsigned long strategy_restarts(const struct strategy *s);
/* Stop: close its stdin, SIGTERM, SIGKILL after stop_timeout_s; done is
 * called once it has exited (or at once if not running). No restart. */
void strategy_stop(struct strategy *s, void (*done)(void *arg), void *arg);
/* Not from a callback. A process still running gets SIGKILL and is reaped
 * (a bounded wait). */
void strategy_free(struct strategy *s);

#endif
