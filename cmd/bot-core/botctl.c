/*
 * botctl: bot-core's control socket (see botctl.h). Request bytes are
 * untrusted: lines are capped at BOTCTL_LINE_MAX, clients at
 * BOTCTL_MAX_CLIENTS (one more is told it is busy), a silent client goes
 * after BOTCTL_IDLE_S; a request is parsed once.
 */
#include "botctl.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bot.h"
#include "lineserv.h"

#define BOTCTL_IDLE_S 30.0
#define BOTCTL_OUT_HIGH (64 * 1024)

static const char *const verbs[] = { "status", "halt", "resume", "reload",
	"flatten" };
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

struct botctl {
	struct lineserv *ls;
	struct bot *bot;
	struct gw_log *log;
};

int
botctl_verb_find(const char *verb)
{
	size_t i;

	for (i = 0; i < N_VERBS; i++)
		if (strcmp(verb, verbs[i]) == 0)
			return (int)i;
	return -1;
}

static void
reply(struct lineserv_client *cl, json_t *o)
{
	static const char fallback[] =
	    "{\"ok\":false,\"error\":\"internal: cannot encode the reply\"}";
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10)) :
	    NULL;

	json_decref(o);
	if (s != NULL)
		lineserv_reply(cl, s, strlen(s));
	else
		lineserv_reply(cl, fallback, sizeof(fallback) - 1);
	free(s);
}

static void
audit(struct botctl *ctl, struct lineserv_client *cl, const char *verb,
    const char *error, char *who, size_t whosz)
{
	long uid, pid;

	lineserv_client_peer(cl, &uid, &pid);
	snprintf(who, whosz, "ctl (uid %ld pid %ld)", uid, pid);
	gw_log_event(ctl->log, GW_INFO, "ctl", "bot.ctl",
	    json_pack("{s:s, s:I, s:I, s:s, s:s*}", "verb", verb, "uid",
	    (json_int_t)uid, "pid", (json_int_t)pid, "result", error ? "error" :
	    "ok", "error", error), "ctl %s from uid %ld pid %ld: %s%s", verb, uid,
	    pid, error ? "error: " : "ok", error ? error : "");
}

static void
on_line(struct lineserv_client *cl, const char *line, size_t len, int eol,
    void *arg)
{
	struct botctl *ctl = arg;
	char verb[32], who[96], q[GW_QUOTE_MAX];
	const char *v = NULL;
	struct gw_err e;
	json_t *o = NULL;
	size_t ws;

	(void)eol;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (ws = 0; ws < len && (line[ws] == ' ' || line[ws] == '\t'); ws++)
		;
	if (ws == len)
		return;		/* blank lines are ignored */
	if (len > BOTCTL_LINE_MAX) {
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
		    "request longer than 1024 bytes"));
		lineserv_close(cl);
		return;
	}
	if (line[ws] == '{') {
		o = json_loadb(line, len, 0, NULL);
		if (o == NULL || json_unpack(o, "{s:s}", "cmd", &v) < 0)
			v = NULL;
	} else if (len - ws < sizeof(verb)) {
		memcpy(verb, line + ws, len - ws);
		verb[len - ws] = '\0';
		verb[strcspn(verb, " \t")] = '\0';
		v = verb;
	}
	if (v == NULL) {
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
		    "expected a verb (" BOTCTL_VERBS ") or {\"cmd\": VERB}"));
		json_decref(o);
		return;
	}
	switch (botctl_verb_find(v)) {
	case 0:
		reply(cl, bot_status(ctl->bot));
		break;
	case 1:
		audit(ctl, cl, "halt", NULL, who, sizeof(who));
		bot_halt(ctl->bot, who);
		reply(cl, json_pack("{s:b}", "ok", 1));
		break;
	case 2:
		audit(ctl, cl, "resume", NULL, who, sizeof(who));
		bot_resume(ctl->bot, who);
		reply(cl, json_pack("{s:b}", "ok", 1));
		break;
	case 3:
		if (bot_reload(ctl->bot, &e) < 0) {
			audit(ctl, cl, "reload", e.msg, who, sizeof(who));
			reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error", e.msg));
		} else {
			audit(ctl, cl, "reload", NULL, who, sizeof(who));
			reply(cl, json_pack("{s:b}", "ok", 1));
		}
		break;
	case 4:
		audit(ctl, cl, "flatten", NULL, who, sizeof(who));
		if (bot_flatten(ctl->bot, who, &e) < 0)
			reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error", e.msg));
		else
			reply(cl, json_pack("{s:b}", "ok", 1));
		break;
	default:
		gw_err_quote(q, sizeof(q), v, strlen(v));
		gw_err_set(&e, "unknown command '%s' (" BOTCTL_VERBS ")", q);
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error", e.msg));
	}
	json_decref(o);
}

static void
on_overlong(struct lineserv_client *cl, void *arg)
{
	(void)arg;
	reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
	    "request longer than 1024 bytes"));
	lineserv_close(cl);
}

struct botctl *
botctl_new(struct event_base *base, const char *path, struct bot *bot,
    struct gw_log *log, struct gw_err *err)
{
	struct botctl *ctl = calloc(1, sizeof(*ctl));
	struct lineserv_config lc;
	/* lineserv keeps a pointer to its ops */
	static const struct lineserv_ops ops = { .on_line = on_line,
	    .on_overlong = on_overlong };

	if (ctl == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	ctl->bot = bot;
	ctl->log = log;
	memset(&lc, 0, sizeof(lc));
	lc.path = path;
	lc.backlog = 16;
	lc.max_line = BOTCTL_LINE_MAX + 1;	/* and a CR */
	lc.max_clients = BOTCTL_MAX_CLIENTS;
	lc.full = LINESERV_REFUSE;
	lc.busy_line = "{\"ok\":false,\"error\":\"too many control clients\","
	    "\"busy\":true}";
	lc.idle_s = BOTCTL_IDLE_S;
	lc.out_high = BOTCTL_OUT_HIGH;
	lc.out_low = BOTCTL_OUT_HIGH / 4;
	if ((ctl->ls = lineserv_new(base, &lc, &ops, ctl, err)) == NULL) {
		free(ctl);
		return NULL;
	}
	return ctl;
}

void
botctl_free(struct botctl *ctl)
{
	if (ctl == NULL)
		return;
	lineserv_free(ctl->ls);
	free(ctl);
}
