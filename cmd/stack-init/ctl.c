/*
 * ctl: stack-init's control socket server (see ctl.h). Request bytes are
 * untrusted: lineserv caps a request at CTL_LINE_MAX bytes (and a CR),
 * the clients at MAX_CTL_CLIENTS (one more is told "busy") and a client
 * silent for CTL_IDLE_S is dropped; a request is parsed once, strictly.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include "lineserv.h"
#include "super.h"

#define CTL_IDLE_S 5.0		/* a client silent this long goes */

const struct ctl_verb ctl_verbs[] = {
	{ "status", CTL_OPT_NAME },
	{ "reload", CTL_NO_NAME },
	{ "start", CTL_NEEDS_NAME },
	{ "stop", CTL_NEEDS_NAME },
	{ "restart", CTL_NEEDS_NAME },
	{ "login", CTL_NEEDS_NAME },
	{ NULL, CTL_NO_NAME },
};

struct ctl {
	struct lineserv *ls;
	struct super *sup;
	struct gw_log *log;
	ctl_reload_fn reload;
	void *reload_arg;
};

int
ctl_verb_find(const char *verb)
{
	size_t i;

	for (i = 0; ctl_verbs[i].verb != NULL; i++)
		if (strcmp(verb, ctl_verbs[i].verb) == 0)
			return (int)i;
	return -1;
}

/* The one reply: one request per connection, closed once it is out. */
static void
ctl_send(struct lineserv_client *cl, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	static const char fallback[] = "{\"ok\":false,\"error\":\"internal: cannot encode the reply\"}";

	json_decref(o);
	if (s != NULL)
		lineserv_reply(cl, s, strlen(s));
	else
		lineserv_reply(cl, fallback, sizeof(fallback) - 1);
	free(s);
	lineserv_close(cl);
}

/* The audit line of a request that changes something (every verb but
 * status): who asked what, and how it went. */
static void
ctl_audit(struct ctl *ctl, struct lineserv_client *cl, const char *cmd,
    const char *svc, const char *error)
{
	char qc[48], qs[80];
	long uid, pid;

	lineserv_client_peer(cl, &uid, &pid);
	gw_err_quote(qc, sizeof(qc), cmd, strlen(cmd));
	gw_err_quote(qs, sizeof(qs), svc ? svc : "", svc ? strlen(svc) : 0);
	gw_log_event(ctl->log, GW_INFO, "init", "init.ctl",
	    json_pack("{s:s, s:s*, s:I, s:I, s:s, s:s*}", "verb", cmd, "service",
	    svc, "uid", (json_int_t)uid, "pid", (json_int_t)pid, "result",
	    error ? "error" : "ok", "error", error),
	    "ctl %s%s%s from uid %ld pid %ld: %s%s", qc, svc ? " " : "", qs,
	    uid, pid, error ? "error: " : "ok", error ? error : "");
}

/* status [NAME]: {"ok":true,"services":[...]}, or NAME's object with
 * "ok":true added. */
static json_t *
ctl_status(struct ctl *ctl, const char *svc)
{
	json_t *a = super_status(ctl->sup), *v, *r = NULL;
	struct gw_err e;
	char q[48];
	size_t i;

	if (a == NULL)
		return NULL;
	if (svc == NULL) {
		r = json_pack("{s:b, s:O}", "ok", 1, "services", a);
	} else {
		json_array_foreach(a, i, v) {
			const char *name = json_string_value(json_object_get(v, "name"));

			if (name != NULL && strcmp(name, svc) == 0) {
				r = json_incref(v);
				json_object_set_new(r, "ok", json_true());
				break;
			}
		}
		if (r == NULL) {
			gw_err_quote(q, sizeof(q), svc, strlen(svc));
			gw_err_set(&e, "unknown service '%s'", q);
			r = json_pack("{s:b, s:s}", "ok", 0, "error", e.msg);
		}
	}
	json_decref(a);
	return r;
}

static void
ctl_too_long(struct lineserv_client *cl)
{
	ctl_send(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
	    "request longer than 1024 bytes"));
}

/* One request line (or what came before EOF: a request without its
 * newline is answered, the write side is still open): one reply line. */
static void
ctl_request(struct lineserv_client *cl, const char *line, size_t len,
    int eol, void *arg)
{
	struct ctl *ctl = arg;
	const char *cmd = NULL, *svc = NULL;
	int force = 0, pending = 0;
	json_error_t je;
	struct gw_err e;
	json_t *o;
	char q[48];

	/* lineserv lets CTL_LINE_MAX + 1 bytes through for a CR, which is
	 * not counted: without one, that is a byte too many */
	if (eol && len > 0 && line[len - 1] == '\r')
		len--;
	if (len > CTL_LINE_MAX) {
		ctl_too_long(cl);
		return;
	}
	o = json_loadb(line, len, 0, &je);
	if (o == NULL || json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s?:s, s?:b}",
	    "cmd", &cmd, "service", &svc, "force", &force) < 0) {
		ctl_send(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
		    "expected {\"cmd\": \"" CTL_VERB_LIST "\", \"service\": NAME}"));
		json_decref(o);
		return;
	}
	e.msg[0] = '\0';
	if (ctl_verb_find(cmd) < 0) {
		gw_err_quote(q, sizeof(q), cmd, strlen(cmd));
		gw_err_set(&e, "unknown command '%s' (" CTL_VERB_LIST ")", q);
	} else if (strcmp(cmd, "status") == 0) {
		json_t *r = ctl_status(ctl, svc);

		ctl_send(cl, r);	/* NULL: the fallback error */
		json_decref(o);
		return;
	} else if (strcmp(cmd, "reload") == 0) {
		json_t *sum;

		if (svc != NULL) {
			gw_err_set(&e, "reload takes no service name");
		} else if ((sum = ctl->reload(ctl->reload_arg, &e)) != NULL) {
			json_object_set_new(sum, "ok", json_true());
			ctl_audit(ctl, cl, cmd, NULL, NULL);
			ctl_send(cl, sum);
			json_decref(o);
			return;
		}
	} else if (force && strcmp(cmd, "login") != 0) {
		gw_err_set(&e, "\"force\" goes with login only");
	} else if (svc == NULL) {
		gw_err_set(&e, "%s needs a service name", cmd);
	} else if (strcmp(cmd, "login") == 0) {
		pending = super_login(ctl->sup, svc, force, &e) == 1;
	} else {
		(void)super_ctl(ctl->sup, cmd, svc, &e);
	}
	ctl_audit(ctl, cl, cmd, svc, e.msg[0] ? e.msg : NULL);
	if (e.msg[0] && pending)	/* refused: a login is pending */
		ctl_send(cl, json_pack("{s:b, s:s, s:b}", "ok", 0, "error", e.msg,
		    "pending", 1));
	else if (e.msg[0])
		ctl_send(cl, json_pack("{s:b, s:s}", "ok", 0, "error", e.msg));
	else
		ctl_send(cl, json_pack("{s:b}", "ok", 1));
	json_decref(o);
}

static void
ctl_overlong(struct lineserv_client *cl, void *arg)
{
	(void)arg;
	ctl_too_long(cl);
}

static const struct lineserv_ops ctl_ops = {
	.on_line = ctl_request,
	.on_overlong = ctl_overlong,
};

struct ctl *
ctl_new(struct event_base *base, const char *path, struct super *sup,
    struct gw_log *log, ctl_reload_fn reload, void *arg, struct gw_err *err)
{
	struct lineserv_config lc = {
		.path = path,
		.backlog = 16,
		.max_line = CTL_LINE_MAX + 1,	/* and a CR */
		.max_clients = MAX_CTL_CLIENTS,
		.full = LINESERV_REFUSE,
		.busy_line = "{\"ok\":false,\"error\":\"too many control clients\","
		    "\"busy\":true}",
		.idle_s = CTL_IDLE_S,
	};
	struct ctl *ctl = calloc(1, sizeof(*ctl));

	if (ctl == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	ctl->sup = sup;
	ctl->log = log;
	ctl->reload = reload;
	ctl->reload_arg = arg;
	if ((ctl->ls = lineserv_new(base, &lc, &ctl_ops, ctl, err)) == NULL) {
		free(ctl);
		return NULL;
	}
	return ctl;
}

void
ctl_stop_listening(struct ctl *ctl)
{
	if (ctl != NULL)
		lineserv_stop_listening(ctl->ls);
}

void
ctl_free(struct ctl *ctl)
{
	if (ctl == NULL)
		return;
	lineserv_free(ctl->ls);
	free(ctl);
}
