/*
 * ctl_client: `stack-init ctl` (see ctl_client.h). The reply is untrusted:
 * dclient caps it at CTL_REPLY_MAX bytes and parses it as one JSON object;
 * it is then unpacked once, its "ok" a boolean or the answer is unusable.
 */
#include "ctl_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "ctl.h"
#include "dclient.h"

#define CTL_REPLY_MAX (4 * 1024 * 1024)	/* longest reply the client takes */

int
ctl_client_run(const char *path, const char *verb, const char *name,
    int force, double timeout_s, FILE *out, ctl_client_warn_fn warn)
{
	json_t *req = json_pack("{s:s, s:s*}", "cmd", verb, "service", name);
	struct dclient_reply rep;
	const char *msg = NULL;
	enum dclient_verdict v;
	struct gw_err e;
	char *line;
	int rc = EX_UNAVAILABLE;
	long ms = (long)(timeout_s * 1000.0 + 0.5);

	if (req != NULL && force)
		json_object_set_new(req, "force", json_true());
	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (line == NULL || strlen(line) + 1 > CTL_LINE_MAX) {
		rc = line != NULL ? EX_USAGE : EX_SOFTWARE;
		warn("ctl: %s", line ? "the service name is "
		    "too long for a request" : "cannot encode the request");
		free(line);
		return rc;
	}
	v = dclient_request(path, line, ms, CTL_REPLY_MAX, &rep, &msg, &e);
	if (v == DCLIENT_NO_ANSWER) {
		warn("ctl: %s", e.msg);
		goto out;
	}
	if (fprintf(out, "%s\n", rep.line) < 0 || fflush(out) == EOF) {
		warn("ctl: cannot write the reply to stdout: %s",
		    strerror(errno));
		rc = EX_IOERR;
		goto out;
	}
	if (v == DCLIENT_BUSY) {
		warn("ctl: %s: %s; try again", path,
		    msg ? msg : "busy");
		goto out;	/* 69: not answered */
	}
	if (v == DCLIENT_REFUSED)
		warn("ctl %s: %s", verb, msg ? msg :
		    "failed (no error text)");
	rc = v == DCLIENT_DONE ? 0 : json_is_true(json_object_get(rep.obj,
	    "pending")) ? EXIT_CTL_PENDING : EXIT_CTL_REFUSED;
out:
	dclient_reply_clear(&rep);
	free(line);
	return rc;
}
