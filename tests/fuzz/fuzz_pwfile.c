/* libFuzzer target for pwfile_find_user and pwfile_add_groups: any bytes.
 * The first byte chooses: bit 0 the file (0 passwd, 1 group); bits 1-2 the
 * name ("root", "bob", "1000", or 3: the input's next bytes up to a
 * newline, at most 300); bit 3 (group) start with no groups rather than
 * {gid}. The rest is the file. Printable first bytes: ' ' passwd root,
 * '"' passwd bob, '$' passwd 1000, '&' passwd NAME\n, '!' '#' '%' '\''
 * the same for group, '+' group bob from no groups.
 * A refusal must say why and leave u as it was; a found user must be what
 * pwfile.h promises (ids in range, strings terminated, the name and home
 * from the file, one group, the primary); a group set must hold the
 * primary, no duplicates, at most PWFILE_MAX_GROUPS. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pwfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ID_MAX 2147483647U

static const char *const names[] = { "root", "bob", "1000" };

static int
terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static int
in_input(const uint8_t *data, size_t size, const char *s)
{
	return s[0] == '\0' || memmem(data, size, s, strlen(s)) != NULL;
}

/* The uid a numeric name asks for, or -1 (not numeric or too long to
 * check here). */
static long
numeric(const char *name)
{
	size_t n = strlen(name);
	long v = 0;
	size_t i;

	if (n == 0 || n > 9 || strspn(name, "0123456789") != n)
		return -1;
	for (i = 0; i < n; i++)
		v = v * 10 + (name[i] - '0');
	return v;
}

static void
check_user(const struct pwfile_user *u, const char *name,
    const uint8_t *data, size_t size)
{
	long want = numeric(name);

	if (!terminated(u->name, sizeof(u->name)) ||
	    !terminated(u->home, sizeof(u->home)) ||
	    u->uid > ID_MAX || u->gid > ID_MAX ||
	    u->n_groups != 1 || u->groups[0] != u->gid)
		__builtin_trap();
	if (!in_input(data, size, u->name) || !in_input(data, size, u->home))
		__builtin_trap();
	if (strspn(name, "0123456789") != strlen(name)) {
		if (strcmp(u->name, name) != 0)
			__builtin_trap();	/* exact match only */
	} else {
		if (want >= 0 && u->uid != (uid_t)want)
			__builtin_trap();
		if (u->name[0] == '\0' &&
		    (u->gid != u->uid || u->home[0] != '\0'))
			__builtin_trap();
	}
}

static void
check_groups(const struct pwfile_user *u)
{
	size_t i, k;

	if (u->n_groups < 1 || u->n_groups > PWFILE_MAX_GROUPS ||
	    u->groups[0] != u->gid)
		__builtin_trap();	/* the primary, first in both cases */
	for (i = 0; i < u->n_groups; i++) {
		if (u->groups[i] > ID_MAX)
			__builtin_trap();
		for (k = 0; k < i; k++)
			if (u->groups[k] == u->groups[i])
				__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pwfile_user u, before;
	struct gw_err e;
	char name[301];
	const char *file;
	size_t n, len;
	int rc, group, from_empty;

	if (size < 1)
		return 0;
	group = data[0] & 1;
	from_empty = group && (data[0] & 8);
	file = (const char *)data + 1;
	len = size - 1;
	if (((data[0] >> 1) & 3) == 3) {
		const char *nl = memchr(file, '\n', len);

		n = nl != NULL ? (size_t)(nl - file) : len;
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, file, n);
		name[n] = '\0';		/* a NUL in it ends it early */
		if (nl != NULL && (size_t)(nl - file) == n) {
			file += n + 1;
			len -= n + 1;
		} else {
			file += n;
			len -= n;
		}
	} else {
		strcpy(name, names[(data[0] >> 1) & 3]);
	}

	memset(&u, 0x5a, sizeof(u));
	if (group) {
		u.gid = 1000;
		u.groups[0] = 1000;
		u.n_groups = from_empty ? 0 : 1;
	}
	memcpy(&before, &u, sizeof(u));
	e.msg[0] = '\0';
	if (group)
		rc = pwfile_add_groups(file, len, "fuzz", name, &u, &e);
	else
		rc = pwfile_find_user(file, len, "fuzz", name, &u, &e);
	if (rc != 0) {
		if (rc != -1 || e.msg[0] == '\0' ||
		    !terminated(e.msg, sizeof(e.msg)) ||
		    memcmp(&u, &before, sizeof(u)) != 0)
			__builtin_trap();	/* says why, changes nothing */
		return 0;
	}
	if (group)
		check_groups(&u);
	else
		check_user(&u, name, data, size);
	return 0;
}
