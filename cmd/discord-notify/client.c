/*
 * client: discord-notify's client modes (see client.h). The daemon's reply
 * is untrusted: dclient caps it at DAEMON_REPLY_MAX bytes and parses it
 * as one JSON object; fields are read with type checks.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "dclient.h"

/* The client modes ask the daemon through lib/dclient: one deadline for
 * connecting, the request and the reply (they block up to that long); a
 * reply is one JSON object on one line, at most this long. */
#define DAEMON_REPLY_MAX (1024 * 1024)
#define STATS_TIMEOUT_MS 5000
#define SEND_GRACE_MS 2000	/* --send: past the daemon's own wait */

int
client_stats(const char *path, FILE *out, client_warn_fn warn)
{
	struct dclient_reply rep;
	struct gw_err e;
	json_t *s;
	char *line;

	if (dclient_ask(path, "{\"cmd\":\"stats\"}", STATS_TIMEOUT_MS,
	    DAEMON_REPLY_MAX, &rep, &e) < 0 && rep.fail != DCLIENT_FAIL_JSON) {
		if (rep.fail == DCLIENT_FAIL_TIMEOUT)
			warn("--stats: %s (%d ms)", e.msg, STATS_TIMEOUT_MS);
		else
			warn("--stats: %s", e.msg);
		return EX_UNAVAILABLE;
	}
	s = json_object_get(rep.obj, "stats");	/* obj NULL: not JSON */
	line = s ? json_dumps(s, JSON_COMPACT) : NULL;
	dclient_reply_clear(&rep);
	if (line == NULL) {
		warn("--stats: unexpected reply");
		return EX_UNAVAILABLE;
	}
	fprintf(out, "%s\n", line);
	free(line);
	return 0;
}

int
client_send_event(const char *level, const char *source,
    const char *component, const char *event_name, const char *message,
    struct gw_event *ev, struct gw_err *err)
{
	enum gw_level lvl;
	char q[GW_QUOTE_MAX];

	if (gw_level_parse(level, &lvl) < 0) {
		gw_err_quote(q, sizeof(q), level, strlen(level));
		return gw_err_set(err, "level '%s' is not one of debug, info, "
		    "warning, error, critical", q);
	}
	return gw_event_init(ev, lvl, source, component, event_name, message,
	    NULL, err);
}

int
client_send(const char *path, const struct gw_event *ev, double timeout_s,
    char *why, size_t whysz, client_warn_fn warn)
{
	char *line = gw_event_encode(ev), *req;
	struct dclient_reply rep;
	struct gw_err e;
	const char *st;
	json_t *j;
	int code, r;
	long ms = (long)(timeout_s * 1000);

	why[0] = '\0';
	if (line == NULL || asprintf(&req, "{\"cmd\":\"send\",\"wait_ms\":%ld,\"event\":%s}",
	    ms, line) < 0) {
		free(line);
		return EX_SOFTWARE;
	}
	free(line);
	if (access(path, F_OK) != 0) {
		free(req);
		return -1;
	}
	r = dclient_ask(path, req, ms + SEND_GRACE_MS, DAEMON_REPLY_MAX, &rep, &e);
	free(req);
	if (r < 0 && rep.fail != DCLIENT_FAIL_JSON) {
		/* no connection: no daemon took it, deliver ourselves (why
		 * stays empty) */
		if (rep.fail == DCLIENT_FAIL_TIMEOUT)
			snprintf(why, whysz, "%s (%ld ms)", e.msg, ms + SEND_GRACE_MS);
		else if (rep.fail != DCLIENT_FAIL_CONNECT)
			snprintf(why, whysz, "%s", e.msg);
		dclient_reply_clear(&rep);
		return -1;
	}
	j = rep.obj;	/* NULL for a reply that is not JSON: not accepted */
	if (!json_is_true(json_object_get(j, "ok"))) {
		const char *m = json_string_value(json_object_get(j, "error"));

		snprintf(why, whysz, "the daemon did not accept it: %s", m ? m : "no reason given");
		dclient_reply_clear(&rep);
		return -1;
	}
	code = json_is_true(json_object_get(j, "delivered")) ? 0 : EX_TEMPFAIL;
	st = json_string_value(json_object_get(j, "status"));
	if (st != NULL && strcmp(st, "printed") == 0) {
		/* a daemon in dry run printed it: what a dry run delivers
		 * (docs/discord-notify.md, exit 0) */
		code = 0;
	} else if (st != NULL && strcmp(st, "parked") == 0) {
		const char *m = json_string_value(json_object_get(j, "discord"));

		code = EXIT_REFUSED;
		warn("--send: the webhook refused the daemon with "
		    "HTTP %d%s%s (token invalid or webhook deleted); the daemon keeps "
		    "the event spooled and tries again every --park-retry",
		    (int)json_integer_value(json_object_get(j, "http_status")),
		    m && *m ? " " : "", m ? m : "");
	} else if (code != 0) {
		warn("--send: not delivered within %g s; the daemon "
		    "keeps it spooled", timeout_s);
	}
	dclient_reply_clear(&rep);
	return code;
}
