/*
 * actions: restart actions performed for the supervisor (see actions.h).
 * The supervisor logs the verdict as given here: "IBC: <reply>" or
 * "IBC restart failed: <reason>", the reply already quoted by ibc.c (IBC's
 * bytes are untrusted).
 */
#include "actions.h"

#include <stdio.h>
#include <stdlib.h>

#include "ibc.h"
#include "super.h"

struct ibc_restart {
	struct ibc_cmd *cmd;
	super_action_done done;
	void *token;
};

/* IBC answered (or did not): tell the supervisor, then the exchange is
 * over (ibc allows freeing its object from this callback). */
static void
on_ibc_done(void *arg, int ok, const char *text)
{
	struct ibc_restart *x = arg;
	char msg[IBC_MAX_LINE + 64];

	snprintf(msg, sizeof(msg), ok ? "IBC: %s" : "IBC restart failed: %s", text);
	x->done(x->token, ok, msg);
	ibc_cmd_free(x->cmd);
	free(x);
}

static void *
ibc_restart_start(void *arg, const struct svc_action *a,
    super_action_done done, void *token, struct gw_err *err)
{
	struct ibc_restart *x = calloc(1, sizeof(*x));
	struct gw_err e;

	if (x == NULL) {
		gw_err_set(err, "IBC: out of memory");
		return NULL;
	}
	x->done = done;
	x->token = token;
	x->cmd = ibc_cmd_new(arg, a->ibc_host, a->ibc_port, "RESTART",
	    (int)(a->timeout_s * 1000), on_ibc_done, x, &e);
	if (x->cmd == NULL) {
		gw_err_set(err, "IBC: %s", e.msg);
		free(x);
		return NULL;
	}
	return x;
}

static void
ibc_restart_cancel(void *handle)
{
	struct ibc_restart *x = handle;

	ibc_cmd_free(x->cmd);
	free(x);
}

int
actions_register(struct super *s, struct event_base *base, struct gw_err *err)
{
	const struct super_action ibc = {
		.method = "ibc",
		.how = "IBC RESTART",
		.start = ibc_restart_start,
		.cancel = ibc_restart_cancel,
		.arg = base,
	};

	return super_set_action(s, SVC_ACTION_IBC, &ibc, err);
}
