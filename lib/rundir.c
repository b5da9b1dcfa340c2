/* rundir: the runtime directory. Input: environment variables (untrusted). */
#include "rundir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
rundir_path(char *buf, size_t sz, struct gw_err *err)
{
	const char *d = getenv("GWKIT_RUNTIME_DIR"), *x = getenv("XDG_RUNTIME_DIR");
	int n;

	if (d != NULL && *d != '\0')
		n = snprintf(buf, sz, "%s", d);
	else if (x != NULL && *x != '\0')
		n = snprintf(buf, sz, "%s/gwkit", x);
	else if (geteuid() == 0)
		n = snprintf(buf, sz, "/run/gwkit");
	else
		n = snprintf(buf, sz, "/tmp/gwkit-%u", (unsigned)geteuid());
	if (n < 0 || (size_t)n >= sz)
		return gw_err_set(err, "runtime directory path is too long");
	if (buf[0] != '/')
		return gw_err_set(err, "GWKIT_RUNTIME_DIR / XDG_RUNTIME_DIR must be an absolute path");
	return 0;
}

int
rundir_ensure(char *buf, size_t sz, struct gw_err *err)
{
	struct stat st;

	if (rundir_path(buf, sz, err) < 0)
		return -1;
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return gw_err_set(err, "cannot create runtime directory %s: %s", buf,
		    strerror(errno));
	if (lstat(buf, &st) < 0)
		return gw_err_set(err, "cannot stat runtime directory %s: %s", buf,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return gw_err_set(err, "runtime directory %s is not a directory", buf);
	if (st.st_uid != geteuid())
		return gw_err_set(err, "runtime directory %s is owned by uid %u, not us",
		    buf, (unsigned)st.st_uid);
	if ((st.st_mode & 077) != 0)
		return gw_err_set(err, "runtime directory %s is open to others (mode %03o); "
		    "chmod 700 it", buf, (unsigned)(st.st_mode & 0777));
	return 0;
}
