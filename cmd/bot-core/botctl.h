/*
 * botctl: bot-core's control socket, $GWKIT_RUNTIME_DIR/bot.sock (mode
 * 0600; docs/bot-core.md "CONTROL SOCKET"). A request is one line: a verb
 * ("status", "halt", "resume", "reload") or {"cmd": VERB}; the reply is
 * one JSON line, {"ok": true, ...} or {"ok": false, "error": "..."}.
 * Several requests may share a connection. halt, resume and reload are
 * logged with the caller's uid and pid (bot.ctl). Served by lineserv on
 * the loop; nothing here blocks or prints.
 */
#ifndef BOT_BOTCTL_H
#define BOT_BOTCTL_H

#include "gw_err.h"
#include "log.h"

struct event_base;
struct bot;
struct botctl;

#define BOTCTL_LINE_MAX 1024
#define BOTCTL_MAX_CLIENTS 16
#define BOTCTL_VERBS "status, halt, resume, reload, flatten"

/* Index of verb among the verbs above, or -1. */
int botctl_verb_find(const char *verb);

struct botctl *botctl_new(struct event_base *base, const char *path,
    struct bot *bot, struct gw_log *log, struct gw_err *err);
void botctl_free(struct botctl *ctl);

#endif
