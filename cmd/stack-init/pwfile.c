/*
 * pwfile: user resolution from the bytes of /etc/passwd and /etc/group
 * (format and line rules in pwfile.h). The files are untrusted input: any
 * bytes, no NUL terminator, embedded NULs; nothing is read past len.
 *
 * Malformed-line policy: a line is "for" the request when its key equals
 * it (passwd: the name field, or for a numeric request the uid field when
 * it parses; group: a member of the list). Such a line must be a whole,
 * valid entry without NUL bytes, or the lookup fails naming the line: a
 * service then does not start, rather than start with a guessed uid. Every
 * other line is skipped unchecked: one broken entry for someone else must not
 * stop every service from starting. A member list is split at ',' and, to
 * catch a stray ':', at ':' too, so "g:x:5:a:bob" is an error for bob.
 */
#include "pwfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX 2147483647UL
#define QUOTE_MAX 48		/* untrusted text quoted in a message */
#define PASSWD_FIELDS 7
#define GROUP_FIELDS 4

enum { ID_OK, ID_NAN, ID_RANGE };

struct span {
	const char *p;
	size_t n;
};

/* The next line from *pos, without its '\n'; 0 at the end. */
static int
next_line(const char *buf, size_t len, size_t *pos, struct span *l)
{
	const char *nl;

	if (*pos >= len)
		return 0;
	l->p = buf + *pos;
	nl = memchr(l->p, '\n', len - *pos);
	l->n = nl != NULL ? (size_t)(nl - l->p) : len - *pos;
	*pos += l->n + 1;
	return 1;
}

static int
skipped(struct span l)
{
	return l.n == 0 || l.p[0] == '#' || l.p[0] == '+' || l.p[0] == '-';
}

/* Split a line at ':' into at most max fields; returns how many fields the
 * line has, which may be more than max. */
static size_t
split(struct span l, struct span *f, size_t max)
{
	const char *p = l.p, *end = l.p + l.n, *c;
	size_t k;

	for (k = 0;; k++) {
		c = memchr(p, ':', (size_t)(end - p));
		if (k < max) {
			f[k].p = p;
			f[k].n = (size_t)((c != NULL ? c : end) - p);
		}
		if (c == NULL)
			return k + 1;
		p = c + 1;
	}
}

/* Decimal 0..ID_MAX: digits only; "not a number" wins over "range". */
static int
parse_id(const char *p, size_t n, unsigned long *v)
{
	size_t i;

	*v = 0;
	if (n == 0)
		return ID_NAN;
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return ID_NAN;
	for (i = 0; i < n; i++) {
		unsigned long d = (unsigned long)(p[i] - '0');

		if (*v > (ID_MAX - d) / 10)
			return ID_RANGE;
		*v = *v * 10 + d;
	}
	return ID_OK;
}

static int
line_err(struct gw_err *err, const char *path, size_t no, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
line_err(struct gw_err *err, const char *path, size_t no, const char *fmt,
    ...)
{
	char m[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return gw_err_set(err, "%s:%zu: %s", path, no, m);
}

/* Parse an id field of the entry asked for, or say why not. */
static int
entry_id(struct span f, const char *what, const char *path, size_t no,
    unsigned long *v, struct gw_err *err)
{
	char q[QUOTE_MAX];
	int rc;

	if ((rc = parse_id(f.p, f.n, v)) == ID_OK)
		return 0;
	gw_err_quote(q, sizeof(q), f.p, f.n);
	return line_err(err, path, no, "%s '%s' is %s", what, q,
	    rc == ID_NAN ? "not a number" : "out of range");
}

/* The passwd entry asked for, checked whole, into u (zeroed first). */
static int
passwd_entry(struct span l, const char *path, size_t no,
    struct pwfile_user *u, struct gw_err *err)
{
	struct span f[PASSWD_FIELDS];
	unsigned long uid, gid;
	size_t nf;

	if (memchr(l.p, '\0', l.n) != NULL)
		return line_err(err, path, no, "NUL byte in entry");
	if ((nf = split(l, f, PASSWD_FIELDS)) != PASSWD_FIELDS)
		return line_err(err, path, no, "expected %d fields, found %zu",
		    PASSWD_FIELDS, nf);
	if (f[0].n == 0)
		return line_err(err, path, no, "empty user name");
	if (f[0].n >= PWFILE_NAME_MAX)
		return line_err(err, path, no, "user name longer than %d bytes",
		    PWFILE_NAME_MAX - 1);
	if (entry_id(f[2], "uid", path, no, &uid, err) < 0 ||
	    entry_id(f[3], "gid", path, no, &gid, err) < 0)
		return -1;
	if (f[5].n >= PWFILE_HOME_MAX)
		return line_err(err, path, no, "home directory longer than %d "
		    "bytes", PWFILE_HOME_MAX - 1);
	memset(u, 0, sizeof(*u));
	memcpy(u->name, f[0].p, f[0].n);
	memcpy(u->home, f[5].p, f[5].n);
	u->uid = (uid_t)uid;
	u->gid = u->groups[0] = (gid_t)gid;
	u->n_groups = 1;
	return 0;
}

int
pwfile_find_user(const char *buf, size_t len, const char *path,
    const char *name, struct pwfile_user *u, struct gw_err *err)
{
	struct pwfile_user r;
	struct span l, f[3];
	size_t pos = 0, no = 0, nlen = strlen(name);
	unsigned long want = 0, v;
	char q[QUOTE_MAX];
	int numeric;

	if (path == NULL)
		path = PWFILE_PASSWD;
	gw_err_quote(q, sizeof(q), name, nlen);
	if (nlen == 0)
		return gw_err_set(err, "empty user name");
	if (nlen >= PWFILE_NAME_MAX)
		return gw_err_set(err, "user name '%s' longer than %d bytes", q,
		    PWFILE_NAME_MAX - 1);
	numeric = strspn(name, "0123456789") == nlen;
	if (numeric && parse_id(name, nlen, &want) != ID_OK)
		return gw_err_set(err, "uid '%s' is out of range", q);
	while (next_line(buf, len, &pos, &l)) {
		no++;
		if (skipped(l))
			continue;
		if (numeric) {
			if (split(l, f, 3) < 3 ||
			    parse_id(f[2].p, f[2].n, &v) != ID_OK || v != want)
				continue;
		} else {
			split(l, f, 1);
			if (f[0].n != nlen || memcmp(f[0].p, name, nlen) != 0)
				continue;
		}
		if (passwd_entry(l, path, no, &r, err) < 0)
			return -1;
		*u = r;
		return 0;
	}
	if (!numeric)
		return gw_err_set(err, "no user '%s' in %s", q, path);
	memset(&r, 0, sizeof(r));
	r.uid = (uid_t)want;
	r.gid = r.groups[0] = (gid_t)want;
	r.n_groups = 1;
	*u = r;
	return 0;
}

/* Whether the member list (up to end) names name; ',' and ':' separate. */
static int
has_member(const char *p, const char *end, const char *name, size_t nlen)
{
	const char *m;

	for (;;) {
		for (m = p; m < end && *m != ',' && *m != ':'; m++)
			;
		if ((size_t)(m - p) == nlen && memcmp(p, name, nlen) == 0)
			return 1;
		if (m == end)
			return 0;
		p = m + 1;
	}
}

/* Add v to the set g[*n]; -1 when it is full. */
static int
add_gid(gid_t *g, size_t *n, gid_t v)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (g[i] == v)
			return 0;
	if (*n >= PWFILE_MAX_GROUPS)
		return -1;
	g[(*n)++] = v;
	return 0;
}

int
pwfile_add_groups(const char *buf, size_t len, const char *path,
    const char *name, struct pwfile_user *u, struct gw_err *err)
{
	gid_t g[PWFILE_MAX_GROUPS];
	struct span l, f[GROUP_FIELDS];
	size_t n, pos = 0, no = 0, nf, nlen = strlen(name);
	unsigned long gid;
	char q[QUOTE_MAX];

	if (path == NULL)
		path = PWFILE_GROUP;
	gw_err_quote(q, sizeof(q), name, nlen);
	if (nlen == 0)
		return gw_err_set(err, "empty user name");
	n = u->n_groups < PWFILE_MAX_GROUPS ? u->n_groups : PWFILE_MAX_GROUPS;
	memcpy(g, u->groups, n * sizeof(g[0]));
	if (add_gid(g, &n, u->gid) < 0)
		return gw_err_set(err, "user '%s' is in more than %d groups", q,
		    PWFILE_MAX_GROUPS);
	while (next_line(buf, len, &pos, &l)) {
		no++;
		if (skipped(l))
			continue;
		nf = split(l, f, GROUP_FIELDS);
		if (nf < GROUP_FIELDS ||
		    !has_member(f[3].p, l.p + l.n, name, nlen))
			continue;
		if (memchr(l.p, '\0', l.n) != NULL)
			return line_err(err, path, no, "NUL byte in entry");
		if (nf != GROUP_FIELDS)
			return line_err(err, path, no,
			    "expected %d fields, found %zu", GROUP_FIELDS, nf);
		if (entry_id(f[2], "gid", path, no, &gid, err) < 0)
			return -1;
		if (add_gid(g, &n, (gid_t)gid) < 0)
			return line_err(err, path, no,
			    "user '%s' is in more than %d groups", q,
			    PWFILE_MAX_GROUPS);
	}
	memcpy(u->groups, g, n * sizeof(g[0]));
	u->n_groups = n;
	return 0;
}

/* Read a whole file of at most PWFILE_MAX_FILE bytes into *buf (freed by
 * the caller). Returns 0, 1 when it does not exist and that is allowed
 * (no message), or -1 with err. */
static int
read_file(const char *path, int missing_ok, char **buf, size_t *len,
    struct gw_err *err)
{
	FILE *f;
	int rc = -1;

	*buf = NULL;
	if ((f = fopen(path, "rbe")) == NULL) {
		if (missing_ok && errno == ENOENT)
			return 1;
		return gw_err_set(err, "%s: %s", path, strerror(errno));
	}
	if ((*buf = malloc(PWFILE_MAX_FILE + 1)) == NULL) {
		gw_err_set(err, "out of memory");
		goto out;
	}
	*len = fread(*buf, 1, PWFILE_MAX_FILE + 1, f);
	if (ferror(f))
		gw_err_set(err, "%s: %s", path, strerror(errno));
	else if (*len > PWFILE_MAX_FILE)
		gw_err_set(err, "%s: larger than %d bytes", path,
		    PWFILE_MAX_FILE);
	else
		rc = 0;
out:
	fclose(f);
	return rc;
}

int
pwfile_lookup(const char *name, const char *passwd_path,
    const char *group_path, struct pwfile_user *u, struct gw_err *err)
{
	struct pwfile_user r;
	char *buf = NULL;
	size_t len = 0;
	int rc = -1, got;

	if (passwd_path == NULL)
		passwd_path = PWFILE_PASSWD;
	if (group_path == NULL)
		group_path = PWFILE_GROUP;
	if (read_file(passwd_path, 0, &buf, &len, err) < 0 ||
	    pwfile_find_user(buf, len, passwd_path, name, &r, err) < 0)
		goto out;
	free(buf);
	buf = NULL;
	if (r.name[0] != '\0') {
		if ((got = read_file(group_path, 1, &buf, &len, err)) < 0 ||
		    (got == 0 && pwfile_add_groups(buf, len, group_path, r.name,
		    &r, err) < 0))
			goto out;
	}
	*u = r;
	rc = 0;
out:
	free(buf);
	return rc;
}
