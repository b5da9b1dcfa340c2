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
    double timeout_s, FILE *out, ctl_client_warn_fn warn)
{
	json_t *req = json_pack("{s:s, s:s*}", "cmd", verb, "service", name);
	struct dclient_reply rep;
	const char *msg = NULL;
	json_error_t je;
	struct gw_err e;
	char *line;
	int ok = 0, busy = 0, rc = EX_UNAVAILABLE;
	long ms = (long)(timeout_s * 1000.0 + 0.5);

	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (line == NULL || strlen(line) + 1 > CTL_LINE_MAX) {
		rc = line != NULL ? EX_USAGE : EX_SOFTWARE;
		warn("ctl: %s", line ? "the service name is "
		    "too long for a request" : "cannot encode the request");
		free(line);
		return rc;
	}
	if (dclient_ask(path, line, ms, CTL_REPLY_MAX, &rep, &e) < 0) {
		if (rep.fail == DCLIENT_FAIL_JSON)
			warn("ctl: %s: a reply that is not a JSON "
			    "object with \"ok\": %s", path, rep.jerr.text);
		else
			warn("ctl: %s%s", e.msg, rep.fail ==
			    DCLIENT_FAIL_TIMEOUT ? " (--timeout)" : "");
		goto out;
	}
	if (json_unpack_ex(rep.obj, &je, 0, "{s:b, s?:s, s?:b}", "ok", &ok,
	    "error", &msg, "busy", &busy) < 0) {
		warn("ctl: %s: a reply that is not a JSON object "
		    "with \"ok\": %s", path, je.text);
		goto out;
	}
	if (fprintf(out, "%s\n", rep.line) < 0 || fflush(out) == EOF) {
		warn("ctl: cannot write the reply to stdout: %s",
		    strerror(errno));
		rc = EX_IOERR;
		goto out;
	}
	if (busy) {
		warn("ctl: %s: %s; try again", path,
		    msg ? msg : "busy");
		goto out;	/* 69: not answered */
	}
	if (!ok)
		warn("ctl %s: %s", verb, msg ? msg :
		    "failed (no error text)");
	rc = ok ? 0 : EXIT_CTL_REFUSED;
out:
	dclient_reply_clear(&rep);
	free(line);
	return rc;
}
