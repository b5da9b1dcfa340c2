/*
 * rundir: gwkit's runtime directory (docs/runtime.md):
 * $GWKIT_RUNTIME_DIR, else $XDG_RUNTIME_DIR/gwkit, else /run/gwkit for
 * root, else /tmp/gwkit-$UID; created with mode 0700 when missing, and
 * refused when it is not a directory owned by us or is open to others.
 */
#ifndef GW_RUNDIR_H
#define GW_RUNDIR_H

#include <stddef.h>

#include "gw_err.h"

/* Write the directory path into buf (no creation). */
int rundir_path(char *buf, size_t sz, struct gw_err *err);
/* rundir_path, then create it (0700) and check owner and mode. */
int rundir_ensure(char *buf, size_t sz, struct gw_err *err);

#endif
