/*
 * pwfile: who a user is (uid, primary gid, supplementary groups, home),
 * read from the bytes of /etc/passwd and /etc/group. For static programs,
 * which must not call getpwnam/initgroups: glibc would load NSS modules at
 * run time. The decoders are pure functions over bytes; pwfile_lookup is
 * the one that reads files.
 *
 * Both files: lines end at '\n' (the last may lack it); empty lines, lines
 * starting with '#' and NIS compat lines starting with '+' or '-' are
 * skipped; fields are split at ':', nothing is trimmed; ids are decimal
 * 0..2147483647 (no sign, no space). Only the lines for the request are
 * checked, fully, and a bad one is an error (never a guessed uid); any other
 * line, however broken, is skipped, as glibc's files module does.
 */
#ifndef GW_PWFILE_H
#define GW_PWFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "gw_err.h"

#define PWFILE_PASSWD "/etc/passwd"
#define PWFILE_GROUP "/etc/group"
#define PWFILE_MAX_GROUPS 64
#define PWFILE_NAME_MAX 256		/* with the NUL */
#define PWFILE_HOME_MAX 256		/* with the NUL */
#define PWFILE_MAX_FILE (1024 * 1024)	/* pwfile_lookup refuses larger files */

struct pwfile_user {
	char name[PWFILE_NAME_MAX];	/* the entry's name; "" for a numeric
					 * uid without an entry */
	uid_t uid;
	gid_t gid;			/* primary */
	gid_t groups[PWFILE_MAX_GROUPS];	/* the primary first, then the
						 * groups listing the user, in
						 * file order, no duplicates */
	size_t n_groups;
	char home[PWFILE_HOME_MAX];	/* "" when the entry has none */
};

/*
 * Find user `name` in the bytes of an /etc/passwd file (any bytes; buf
 * need not be NUL-terminated). The first entry with that exact name wins.
 * A name of digits only is a uid: the first entry with that uid, or when
 * there is none uid = gid = N, name and home "". On success u is filled
 * with groups = {gid}. Returns 0, or -1 with err and u untouched:
 *   "no user 'bob' in /etc/passwd"
 *   "/etc/passwd:3: uid 'abc' is not a number"   (the entry asked for)
 *   "/etc/passwd:3: expected 7 fields, found 5"
 *   "uid '4294967296' is out of range"           (a numeric name)
 * `path` (NULL: "/etc/passwd") is only used in messages.
 */
int pwfile_find_user(const char *buf, size_t len, const char *path,
    const char *name, struct pwfile_user *u, struct gw_err *err);

/*
 * Add to u->groups the gid of every entry of an /etc/group file (bytes, as
 * above) whose comma-separated member list names `name` exactly; u->gid is
 * added first when missing. Returns 0, or -1 with err and u untouched:
 *   "/etc/group:7: gid 'x' is not a number"        (a group listing name)
 *   "/etc/group:70: user 'bob' is in more than 64 groups"
 * `path` (NULL: "/etc/group") is only used in messages.
 */
int pwfile_add_groups(const char *buf, size_t len, const char *path,
    const char *name, struct pwfile_user *u, struct gw_err *err);

/*
 * Both of the above on files of at most PWFILE_MAX_FILE bytes (blocking
 * reads); NULL paths mean /etc/passwd and /etc/group. The groups are those
 * of the entry's name (a numeric uid without an entry has its primary group
 * only); a missing group file is not an error (primary group only).
 * Returns 0, or -1 with err ("/etc/passwd: No such file or directory",
 * "/etc/group: larger than 1048576 bytes", or a decoder's message) and u
 * untouched.
 */
int pwfile_lookup(const char *name, const char *passwd_path,
    const char *group_path, struct pwfile_user *u, struct gw_err *err);

#endif
