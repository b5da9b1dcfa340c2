/*
 * actions: restart actions performed for the supervisor (see actions.h).
 * The supervisor logs the verdict as given here: "IBC: <reply>" or
 * "IBC RESTART failed: <reason>" ("IBC STOP failed" for a login), the
 * reply already quoted by ibc.c (IBC's bytes are untrusted).
 *
 * RESTART is IBC's soft restart: the session's token is kept, no second
 * factor. IBC has no command for a cold login; the nearest is STOP (a
 * tidy shutdown, exit 0; IbcAlpha/IBC CommandServer.java), which a cold
 * login (ctl login, a "login" schedule) sends: with no autorestart file,
 * ibcstart.sh then leaves its loop, the gateway container ends and its
 * restart policy (compose `restart: always`) starts it again with a full
 * login (IbcAlpha/IBC resources/scripts/ibcstart.sh; gnzsnz/
 * ib-gateway-docker run.sh). With an autorestart file ibcstart.sh
 * relaunches with it instead; after Sunday's token reset that relaunch is
 * refused ("Soft token=0") and IBC cold-restarts into a full login.
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
	const char *command;	/* "RESTART", "STOP" */
};

/* IBC answered (or did not): tell the supervisor, then the exchange is
 * over (ibc allows freeing its object from this callback). */
static void
on_ibc_done(void *arg, int ok, const char *text)
{
	struct ibc_restart *x = arg;
	char msg[IBC_MAX_LINE + 64];

	if (ok)
		snprintf(msg, sizeof(msg), "IBC: %s", text);
	else
		snprintf(msg, sizeof(msg), "IBC %s failed: %s", x->command, text);
	x->done(x->token, ok, msg);
	ibc_cmd_free(x->cmd);
	free(x);
}

static void *
ibc_send(void *arg, const struct svc_action *a, const char *command,
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
	x->command = command;
	x->cmd = ibc_cmd_new(arg, a->ibc_host, a->ibc_port, command,
	    (int)(a->timeout_s * 1000), on_ibc_done, x, &e);
	if (x->cmd == NULL) {
		gw_err_set(err, "IBC: %s", e.msg);
		free(x);
		return NULL;
	}
	return x;
}

static void *
ibc_restart_start(void *arg, const struct svc_action *a,
    super_action_done done, void *token, struct gw_err *err)
{
	return ibc_send(arg, a, "RESTART", done, token, err);
}

static void *
ibc_login_start(void *arg, const struct svc_action *a,
    super_action_done done, void *token, struct gw_err *err)
{
	return ibc_send(arg, a, "STOP", done, token, err);
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
		.login = ibc_login_start,
		.login_how = "IBC STOP: the container's restart policy brings "
		    "it back with a full login",
		.arg = base,
	};

	return super_set_action(s, SVC_ACTION_IBC, &ibc, err);
}
