/*
 * hmconf: health-mon's configuration (docs/health-mon.md
 * "CONFIGURATION"): the environment, then an optional JSON file
 * (etc/health-mon.json) for checks, thresholds, the restart action and
 * HTTP. The file is untrusted text: errors name the file, line and column
 * (bad JSON) or the key ("checks[2].port: 70000 is not in 1..65535").
 */
#ifndef HM_HMCONF_H
#define HM_HMCONF_H

#include <stddef.h>

#include "check.h"
#include "gw_err.h"
#include "hstate.h"
#include "login.h"

#define HMCONF_MAX_CHECKS 32
#define HMCONF_MAX_BYTES (256 * 1024)

struct hmconf_action {
	int enabled;		/* restart the gateway through stack-init */
	int after;		/* consecutive unhealthy gateway checks (3) */
	int max_per_hour;	/* (2) */
	char service[64];	/* stack-init's name for it ("gateway") */
	char init_socket[108];	/* RUNTIME/init.sock */
	int window_start_min, window_end_min;	/* never inside (New York):
						 * RESTART_WINDOW */
};

/* "login": the gateway's login component (docs/health-mon.md "LOGIN"),
 * on when the file has "login" or --ibc-log is given. */
struct hmconf_login {
	int enabled;
	char ibc_log[1024];	/* IBC's log: a path, "-" (stdin), "" none */
	struct login_config cfg;
};

struct hmconf {
	char rundir[1024];
	struct hs_config thresholds;
	struct check_config checks[HMCONF_MAX_CHECKS];
	size_t n_checks;
	struct hmconf_action action;
	struct hmconf_login login;
	char http[128];		/* "ADDR:PORT", "" for none */
	char state_path[1100];	/* "state", else RUNTIME/health-mon.state */
	/* stack-init's restart file for the gateway (lib/initrestart.h):
	 * "restart_file", else $GWKIT_RESTART_FILE; "" off. */
	char restart_file[1024];
	double restart_grace_s;	/* quiet this long after it completed (30) */
	/* argv of command checks: owned here, freed by hmconf_free */
	char **owned;
	size_t n_owned;
};

/*
 * The defaults (HEALTH_INTERVAL, GATEWAY_HOST/PORT, RESTART_WINDOW from the
 * environment) and, when path is not NULL, the file over them. Without a
 * file the checks are the gateway and the host, plus bot-core, stack-init
 * and discord-notify when their socket exists now. rundir is the runtime
 * directory. Returns 0, or -1 with one line in err naming the variable,
 * or the file and what in it is wrong.
 */
int hmconf_load(struct hmconf *c, const char *path, const char *rundir,
    struct gw_err *err);
void hmconf_free(struct hmconf *c);

#endif
