/*
 * sim_ctl: the decoder of gw-sim's control-socket lines. A line is plain
 * text, "cmd [arg]", or a JSON object {"cmd": "...", "arg": "..."|N}.
 * Pure: no I/O, no globals. Input is untrusted bytes from a socket.
 */
#ifndef GW_SIM_CTL_H
#define GW_SIM_CTL_H

#include <stddef.h>

#include "gw_err.h"

#define SIM_CTL_LINE_MAX 4096

struct sim_ctl_cmd {
	char name[32];
	char arg[SIM_CTL_LINE_MAX + 1];
	int has_arg;
};

/* Decode one line of len bytes (no newline; at most SIM_CTL_LINE_MAX).
 * Returns 0, or -1 with the reason in err: NUL inside, too long, bad JSON,
 * a JSON value that is not {"cmd": string, "arg"?: string|integer}, a
 * command name over 31 bytes. The name is not checked against the known
 * commands here. */
int sim_ctl_parse(const char *line, size_t len, struct sim_ctl_cmd *c,
    struct gw_err *err);

#endif
