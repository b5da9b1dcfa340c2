/*
 * spool: append-only durable event queue (see spool.h). The file is ours,
 * but it may be truncated, damaged or edited by hand: every line is parsed
 * defensively, and the directory may have been prepared by someone else
 * (checked, files opened without following links). Memory is bounded by
 * the window the caller asks for, plus one read buffer (64 KiB, growing to
 * SPOOL_LINE_MAX only for a line that long) and the acked ranges.
 */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define COMPACT_MIN 256
#define CHUNK (64 * 1024)
#define ACKS_PER_LINE 1024
#define SPOOL_FILE "spool.jsonl"
#define TMP_FILE "spool.jsonl.tmp"
#define LOCK_FILE "spool.lock"
#define DEAD_FILE "dead-letter.jsonl"

struct range {		/* acked seqs lo..hi, inclusive */
	uint64_t lo, hi;
};

struct reader {		/* the lines of a file through a bounded buffer */
	int fd;
	off_t base;	/* file offset of buf[0] */
	char *buf;
	size_t cap, len, pos;
	int skipping;	/* inside a line over SPOOL_LINE_MAX */
	off_t skip_start;	/* where that line starts */
	off_t start;	/* where the line last returned starts */
};

struct spool {
	char dir[PATH_MAX];
	int dir_fd, lock_fd, fd;
	struct spool_rec *recs;	/* the window, seq ascending */
	size_t n, cap, win_bytes;
	uint64_t next_seq;
	uint64_t max_read;	/* highest seq read so far, in file order */
	off_t synced_end;	/* the reader stops here */
	struct reader rd;	/* the read cursor */
	struct range *acked;	/* acked seqs above max_read */
	size_t n_acked, cap_acked;
	size_t n_live;		/* window + not read yet */
	size_t unsynced;	/* appended since the last sync */
	size_t acked_on_disk;	/* acked or damaged lines still in the file */
	size_t damaged_kept;	/* damaged lines not dead-lettered: no compaction */
	uint64_t scan_max;	/* while opening: highest seq so far */
	uint64_t scan_first;	/* while opening: the first record's seq */
	int scan_gaps;		/* while opening: the records' seqs have gaps */
	size_t scan_acked;	/* while opening: distinct acks of seqs seen */
	char damaged_err[256];	/* why the dead-letter write failed */
	char warn[400];		/* for spool_warning(), when warned */
	int warned;
	size_t compact_retry;	/* a compaction failed: not again before
				 * acked_on_disk reaches this */
	int dirty_tail;		/* a failed write left a partial line that
				 * could not be cut: start the next with "\n" */
};

enum kind { K_BLANK, K_ACK, K_REC, K_BAD };

struct parsed {
	uint64_t seq;
	long long t;
	char *ev;		/* K_REC with want_ev: the "ev" bytes, malloc'd */
	char reason[200];	/* K_BAD */
};

/* --- files ---------------------------------------------------------- */

static int
sync_dirfd(const struct spool *sp, struct gw_err *err)
{
	if (fsync(sp->dir_fd) < 0)
		return gw_err_set(err, "cannot sync directory %s: %s", sp->dir,
		    strerror(errno));
	return 0;
}

static int
check_regular(const struct spool *sp, int fd, const char *name,
    struct gw_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return gw_err_set(err, "cannot stat %s/%s: %s", sp->dir, name,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return gw_err_set(err, "refusing %s/%s: not a regular file", sp->dir,
		    name);
	return 0;
}

/* Open DIR/name (never through a symbolic link); create it (0600) when
 * missing and make its directory entry durable (a synced file in an
 * unsynced directory can vanish). */
static int
open_file(struct spool *sp, const char *name, int flags, struct gw_err *err)
{
	int fd = openat(sp->dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	int created = 0;

	if (fd < 0 && errno == ENOENT) {
		fd = openat(sp->dir_fd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		created = fd >= 0;
		if (fd < 0 && errno == EEXIST)	/* created meanwhile */
			fd = openat(sp->dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (errno == ELOOP)
			gw_err_set(err, "refusing %s/%s: it is a symbolic link", sp->dir,
			    name);
		else
			gw_err_set(err, "cannot open %s/%s: %s", sp->dir, name,
			    strerror(errno));
		return -1;
	}
	if (check_regular(sp, fd, name, err) < 0 ||
	    (created && sync_dirfd(sp, err) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
sync_dir_path(const char *dir, struct gw_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		if (fd >= 0)
			close(fd);
		return gw_err_set(err, "cannot sync directory %s: %s", dir,
		    strerror(errno));
	}
	close(fd);
	return 0;
}

static int
mkdir_p(const char *dir, struct gw_err *err)
{
	char tmp[PATH_MAX];
	size_t i, len = strlen(dir);

	if (len == 0 || len >= sizeof(tmp))
		return gw_err_set(err, "spool directory path is empty or too long");
	memcpy(tmp, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) < 0) {
			if (errno != EEXIST)
				return gw_err_set(err, "cannot create %s: %s", tmp,
				    strerror(errno));
		} else {	/* make the new entry durable in its parent */
			char *slash = strrchr(tmp, '/');

			if (slash != NULL && slash != tmp) {
				*slash = '\0';
				if (sync_dir_path(tmp, err) < 0)
					return -1;
				*slash = '/';
			}
		}
		tmp[i] = dir[i];
	}
	return 0;
}

/* The spool directory: ours alone, or refused. */
static int
open_dir(struct spool *sp, struct gw_err *err)
{
	struct stat st;

	if (lstat(sp->dir, &st) < 0)
		return gw_err_set(err, "cannot stat spool directory %s: %s", sp->dir,
		    strerror(errno));
	if (S_ISLNK(st.st_mode))
		return gw_err_set(err, "refusing spool directory %s: it is a symbolic "
		    "link (give the real path)", sp->dir);
	sp->dir_fd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sp->dir_fd < 0)
		return gw_err_set(err, "cannot open spool directory %s: %s", sp->dir,
		    strerror(errno));
	if (fstat(sp->dir_fd, &st) < 0)
		return gw_err_set(err, "cannot stat spool directory %s: %s", sp->dir,
		    strerror(errno));
	if (st.st_uid != geteuid())
		return gw_err_set(err, "refusing spool directory %s: owned by uid %u, "
		    "not by uid %u", sp->dir, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return gw_err_set(err, "refusing spool directory %s: writable by group "
		    "or others (mode %03o; chmod go-w it)", sp->dir,
		    (unsigned)(st.st_mode & 0777));
	return 0;
}

/* Write all of buf (O_APPEND: one write() per record keeps lines whole). */
static int
write_all(int fd, const char *buf, size_t len, const char *dir,
    const char *name, struct gw_err *err)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return gw_err_set(err, "cannot write %s/%s: %s", dir, name,
			    w < 0 ? strerror(errno) : "no progress");
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* --- reading lines ---------------------------------------------------- */

static void
rd_init(struct reader *r, int fd, off_t off)
{
	r->fd = fd;
	r->base = off;
	r->len = r->pos = 0;
	r->skipping = 0;
}

/* Where the next line starts (the one being skipped, if any): a torn last
 * line is cut here, and reading goes on from here. */
static off_t
rd_offset(const struct reader *r)
{
	return r->skipping ? r->skip_start : r->base + (off_t)r->pos;
}

/* The next whole line that ends before limit: 1 with *line and *len (no
 * newline; *line NULL for a line over SPOOL_LINE_MAX), 0 at the end (a
 * partial last line stays unread), -1 on errors. */
static int
rd_next(struct reader *r, off_t limit, const char **line, size_t *len,
    struct gw_err *err)
{
	for (;;) {
		char *nl = r->pos < r->len ? memchr(r->buf + r->pos, '\n',
		    r->len - r->pos) : NULL;
		size_t want;
		ssize_t got;

		if (nl != NULL) {
			size_t l = (size_t)(nl - (r->buf + r->pos));

			*line = r->skipping ? NULL : r->buf + r->pos;
			*len = l;
			r->start = r->skipping ? r->skip_start :
			    r->base + (off_t)r->pos;
			r->pos += l + 1;
			r->skipping = 0;
			return 1;
		}
		if (r->pos > 0) {
			memmove(r->buf, r->buf + r->pos, r->len - r->pos);
			r->base += (off_t)r->pos;
			r->len -= r->pos;
			r->pos = 0;
		}
		if (r->len == r->cap) {
			if (r->cap < SPOOL_LINE_MAX + 1) {
				size_t nc = r->cap ? r->cap * 2 : CHUNK;
				char *nb;

				if (nc > SPOOL_LINE_MAX + 1)
					nc = SPOOL_LINE_MAX + 1;
				if ((nb = realloc(r->buf, nc)) == NULL)
					return gw_err_set(err, "spool: out of memory");
				r->buf = nb;
				r->cap = nc;
			} else {	/* overlong: drop it, look for its end */
				if (!r->skipping)
					r->skip_start = r->base;
				r->skipping = 1;
				r->base += (off_t)r->len;
				r->len = 0;
			}
		}
		if (r->base + (off_t)r->len >= limit)
			return 0;
		want = r->cap - r->len;
		if ((off_t)want > limit - (r->base + (off_t)r->len))
			want = (size_t)(limit - (r->base + (off_t)r->len));
		got = pread(r->fd, r->buf + r->len, want, r->base + (off_t)r->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return gw_err_set(err, "cannot read the spool: %s",
			    strerror(errno));
		if (got == 0)
			return 0;
		r->len += (size_t)got;
	}
}

/* Give back the line rd_next() just returned (len bytes, not skipped):
 * the next call returns it again. */
static void
rd_unread(struct reader *r, size_t len)
{
	r->pos -= len + 1;
}

/* --- parsing lines ---------------------------------------------------- */

static int
digits_u64(const char *s, size_t len, size_t *p, uint64_t *v)
{
	size_t d = 0;

	*v = 0;
	while (*p < len && s[*p] >= '0' && s[*p] <= '9') {
		unsigned dig = (unsigned)(s[*p] - '0');

		if (*v > (UINT64_MAX - dig) / 10)
			return -1;	/* overflow */
		*v = *v * 10 + dig;
		(*p)++;
		d++;
	}
	return d > 0 ? 0 : -1;
}

static int
lit(const char *s, size_t len, size_t *p, const char *l)
{
	size_t n = strlen(l);

	if (len - *p < n || memcmp(s + *p, l, n) != 0)
		return -1;
	*p += n;
	return 0;
}

/* Acked seqs: sorted, merged ranges. */
static ssize_t
range_find(const struct spool *sp, uint64_t v)
{
	size_t lo = 0, hi = sp->n_acked;

	while (lo < hi) {	/* first range that ends at v - 1 or later */
		size_t mid = (lo + hi) / 2;

		if (sp->acked[mid].hi + 1 < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ssize_t)lo;
}

static int
range_has(const struct spool *sp, uint64_t v)
{
	size_t i = (size_t)range_find(sp, v);

	return i < sp->n_acked && sp->acked[i].lo <= v && v <= sp->acked[i].hi;
}

/* 1 when v was added, 0 when it was there, -1 out of memory. */
static int
range_add(struct spool *sp, uint64_t v)
{
	size_t i = (size_t)range_find(sp, v);
	struct range *a = sp->acked;

	if (i < sp->n_acked && a[i].lo <= v && v <= a[i].hi)
		return 0;
	if (i < sp->n_acked && a[i].hi + 1 == v) {
		a[i].hi = v;
		if (i + 1 < sp->n_acked && a[i + 1].lo == v + 1) {
			a[i].hi = a[i + 1].hi;
			memmove(&a[i + 1], &a[i + 2], (sp->n_acked - i - 2) * sizeof(*a));
			sp->n_acked--;
		}
		return 1;
	}
	if (i < sp->n_acked && a[i].lo == v + 1) {
		a[i].lo = v;
		return 1;
	}
	if (sp->n_acked == sp->cap_acked) {
		size_t nc = sp->cap_acked ? sp->cap_acked * 2 : 16;

		if ((a = realloc(sp->acked, nc * sizeof(*a))) == NULL)
			return -1;
		sp->acked = a;
		sp->cap_acked = nc;
	}
	memmove(&a[i + 1], &a[i], (sp->n_acked - i) * sizeof(*a));
	a[i].lo = a[i].hi = v;
	sp->n_acked++;
	return 1;
}

/* Forget ranges wholly below v (the reader has passed them). */
static void
range_prune(struct spool *sp, uint64_t v)
{
	size_t k = 0;

	while (k < sp->n_acked && sp->acked[k].hi < v)
		k++;
	if (k > 0) {
		memmove(&sp->acked[0], &sp->acked[k], (sp->n_acked - k) * sizeof(sp->acked[0]));
		sp->n_acked -= k;
	}
}

/* Our own layout, {"seq":N,"t":N,"ev":{...}}: seq and t without a JSON
 * parse, ev as its exact bytes. 1 if it matched, 0 if the line has
 * another shape, -1 with p->reason when seq is out of range. */
static int
fast_rec(const char *s, size_t len, int want_ev, struct parsed *p)
{
	size_t i = 0, e;
	uint64_t t;
	int neg = 0;

	if (lit(s, len, &i, "{\"seq\":") < 0)
		return 0;
	if (i < len && s[i] >= '0' && s[i] <= '9' && digits_u64(s, len, &i, &p->seq) < 0) {
		snprintf(p->reason, sizeof(p->reason), "seq out of range (over %lld)",
		    (long long)SPOOL_SEQ_MAX);
		return -1;
	}
	if (lit(s, len, &i, ",\"t\":") < 0)
		return 0;
	if (i < len && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (digits_u64(s, len, &i, &t) < 0 || t > (uint64_t)LLONG_MAX)
		return 0;
	if (lit(s, len, &i, ",\"ev\":") < 0 || len < i + 2 || s[i] != '{' ||
	    s[len - 1] != '}')
		return 0;
	if (p->seq == 0 || p->seq > (uint64_t)SPOOL_SEQ_MAX) {
		snprintf(p->reason, sizeof(p->reason), "seq %llu out of range "
		    "(1..%lld)", (unsigned long long)p->seq, (long long)SPOOL_SEQ_MAX);
		return -1;
	}
	p->t = neg ? -(long long)t : (long long)t;
	if (want_ev) {
		e = len - 1 - i;
		if ((p->ev = malloc(e + 1)) == NULL)
			return 0;	/* the slow path tries again */
		memcpy(p->ev, s + i, e);
		p->ev[e] = '\0';
	}
	return 1;
}

/* {"ack":[N,...]} without a JSON parse: 1 if matched (each seq passed to
 * fn), 0 if the line has another shape, -1 out of memory. */
static int
fast_ack(struct spool *sp, const char *s, size_t len,
    int (*fn)(struct spool *, uint64_t))
{
	size_t i = 0, j;
	uint64_t v;

	if (lit(s, len, &i, "{\"ack\":[") < 0)
		return 0;
	for (j = i; j < len && s[j] != ']'; j++)	/* validate first */
		if ((s[j] < '0' || s[j] > '9') && s[j] != ',')
			return 0;
	if (len - j != 2 || s[j + 1] != '}')
		return 0;
	while (fn != NULL && i < j) {
		if (digits_u64(s, j, &i, &v) < 0)
			return 0;
		if (fn(sp, v) < 0)
			return -1;
		if (i < j && s[i++] != ',')
			return 0;
	}
	return 1;
}

/* What one line is. ack_fn (or NULL) gets every seq of an ack line; for a
 * record, p->ev is set when want_ev. -1: out of memory. */
static int
classify(struct spool *sp, const char *s, size_t len, int want_ev,
    int (*ack_fn)(struct spool *, uint64_t), struct parsed *p, enum kind *k)
{
	json_t *o, *ev, *ack, *v;
	json_error_t je;
	json_int_t seq, t;
	size_t i;
	int r;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < len && s[i] == ' '; i++)
		;
	if (i == len) {	/* empty, or a damaged line blanked (see scan) */
		*k = K_BLANK;
		return 0;
	}
	if ((r = fast_rec(s, len, want_ev, p)) != 0) {
		*k = r > 0 ? K_REC : K_BAD;
		return 0;
	}
	if ((r = fast_ack(sp, s, len, ack_fn)) != 0) {
		*k = K_ACK;
		return r < 0 ? -1 : 0;
	}
	*k = K_BAD;
	if ((o = json_loadb(s, len, 0, &je)) == NULL) {
		snprintf(p->reason, sizeof(p->reason), "not JSON: %s", je.text);
		return 0;
	}
	if ((ack = json_object_get(o, "ack")) != NULL && json_is_array(ack)) {
		*k = K_ACK;
		json_array_foreach(ack, i, v) {
			if (ack_fn != NULL && json_is_integer(v) &&
			    json_integer_value(v) > 0 &&
			    ack_fn(sp, (uint64_t)json_integer_value(v)) < 0) {
				json_decref(o);
				return -1;
			}
		}
	} else if (json_unpack(o, "{s:I, s:I, s:o}", "seq", &seq, "t", &t, "ev",
	    &ev) == 0 && json_is_object(ev)) {
		if (seq < 1) {
			snprintf(p->reason, sizeof(p->reason), "seq %lld out of range "
			    "(1..%lld)", (long long)seq, (long long)SPOOL_SEQ_MAX);
		} else {	/* not written by us: re-encode, as UTF-8 */
			*k = K_REC;
			p->seq = (uint64_t)seq;
			p->t = (long long)t;
			if (want_ev && (p->ev = json_dumps(ev, JSON_COMPACT |
			    JSON_PRESERVE_ORDER)) == NULL) {
				json_decref(o);
				return -1;
			}
		}
	} else {
		snprintf(p->reason, sizeof(p->reason), "neither an event record "
		    "{\"seq\",\"t\",\"ev\"} nor an ack");
	}
	json_decref(o);
	return 0;
}

/* --- the dead-letter file --------------------------------------------- */

/* Append one record line, durably. A failed write is cut back; if even
 * that fails, the next record starts with a newline (found by looking at
 * the file's last byte). */
static int
dead_letter_write(struct spool *sp, const char *rec, size_t len,
    struct gw_err *err)
{
	struct stat st;
	char last = '\n';
	int fd, rc;

	if ((fd = open_file(sp, DEAD_FILE, O_RDWR | O_APPEND, err)) < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return gw_err_set(err, "cannot stat %s/%s: %s", sp->dir, DEAD_FILE,
		    strerror(errno));
	}
	if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
		last = 0;
	rc = last == '\n' ? 0 : write_all(fd, "\n", 1, sp->dir, DEAD_FILE, err);
	if (rc == 0)
		rc = write_all(fd, rec, len, sp->dir, DEAD_FILE, err);
	if (rc < 0) {
		(void)!ftruncate(fd, st.st_size);	/* else: see above */
	} else if (fdatasync(fd) < 0) {
		rc = gw_err_set(err, "cannot sync %s/%s: %s", sp->dir, DEAD_FILE,
		    strerror(errno));
	}
	close(fd);
	return rc;
}

static int dead_letter_damaged(struct spool *sp, const char *line, size_t len,
    const char *reason, struct gw_err *err);

int
spool_dead_letter(struct spool *sp, const char *line, const char *reason,
    struct gw_err *err)
{
	json_t *r;
	char *rs, *rec;
	size_t cap;
	int n, rc;

	/* The record's "ev" bytes are pasted as they are only when they are
	 * one JSON object: the fast path of our layout checks only the ends
	 * of the line, and the dead-letter file must stay JSON lines. */
	if ((r = json_loads(line, JSON_ALLOW_NUL, NULL)) == NULL ||
	    !json_is_object(r)) {
		json_decref(r);
		return dead_letter_damaged(sp, line, strlen(line), reason, err);
	}
	json_decref(r);
	r = json_string(reason);
	rs = r ? json_dumps(r, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
	json_decref(r);
	if (rs == NULL)
		return gw_err_set(err, "spool: cannot encode the dead-letter reason");
	cap = strlen(line) + strlen(rs) + 64;
	if ((rec = malloc(cap)) == NULL) {
		free(rs);
		return gw_err_set(err, "spool: out of memory");
	}
	n = snprintf(rec, cap, "{\"t\":%lld,\"reason\":%s,\"ev\":%s}\n",
	    (long long)time(NULL) * 1000, rs, line);
	free(rs);
	rc = dead_letter_write(sp, rec, (size_t)n, err);
	free(rec);
	return rc;
}

/* A damaged spool line: {"t","reason","line"} (bytes that are not UTF-8
 * become '?'; a line over SPOOL_LINE_MAX is not copied). */
static int
dead_letter_damaged(struct spool *sp, const char *line, size_t len,
    const char *reason, struct gw_err *err)
{
	json_t *o, *l;
	char *rec, *copy = NULL;
	size_t i;
	int rc;

	l = line != NULL ? json_stringn(line, len) : json_null();
	if (l == NULL && (copy = malloc(len + 1)) != NULL) {
		for (i = 0; i < len; i++)
			copy[i] = (line[i] & 0x80) || line[i] == '\0' ? '?' : line[i];
		l = json_stringn(copy, len);
		free(copy);
	}
	o = json_pack("{s:I, s:s, s:o*}", "t", (json_int_t)time(NULL) * 1000,
	    "reason", reason, "line", l);
	rec = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	i = rec != NULL ? strlen(rec) : 0;
	if (rec == NULL || (copy = realloc(rec, i + 2)) == NULL) {
		free(rec);
		return gw_err_set(err, "spool: out of memory");
	}
	copy[i] = '\n';
	copy[i + 1] = '\0';
	rc = dead_letter_write(sp, copy, i + 1, err);
	free(copy);
	return rc;
}

/* --- the window --------------------------------------------------------- */

static int
push(struct spool *sp, uint64_t seq, long long t_ms, char *line)
{
	if (sp->n == sp->cap) {
		size_t nc = sp->cap ? sp->cap * 2 : 64;
		struct spool_rec *r = realloc(sp->recs, nc * sizeof(*r));

		if (r == NULL)
			return -1;
		sp->recs = r;
		sp->cap = nc;
	}
	sp->recs[sp->n].seq = seq;
	sp->recs[sp->n].t_ms = t_ms;
	sp->recs[sp->n].line = line;
	sp->n++;
	sp->win_bytes += strlen(line);
	return 0;
}

static ssize_t
find_idx(const struct spool *sp, uint64_t seq)
{
	size_t lo = 0, hi = sp->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (sp->recs[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sp->n && sp->recs[lo].seq == seq ? (ssize_t)lo : -1;
}

const struct spool_rec *
spool_find(const struct spool *sp, uint64_t seq)
{
	ssize_t i = find_idx(sp, seq);

	return i < 0 ? NULL : &sp->recs[i];
}

int
spool_is_live(const struct spool *sp, uint64_t seq)
{
	if (find_idx(sp, seq) >= 0)
		return 1;
	return seq > sp->max_read && seq < sp->next_seq && !range_has(sp, seq);
}

size_t
spool_live(const struct spool *sp, const struct spool_rec **recs)
{
	*recs = sp->recs;
	return sp->n;
}

size_t
spool_window_bytes(const struct spool *sp)
{
	return sp->win_bytes;
}

size_t
spool_count(const struct spool *sp)
{
	return sp->n_live > sp->n ? sp->n_live : sp->n;
}

size_t
spool_damaged_kept(const struct spool *sp, const char **why)
{
	if (why != NULL)
		*why = sp->damaged_err;
	return sp->damaged_kept;
}

const char *
spool_warning(struct spool *sp)
{
	if (!sp->warned)
		return NULL;
	sp->warned = 0;
	return sp->warn;
}

const char *
spool_dir(const struct spool *sp)
{
	return sp->dir;
}

int
spool_fill(struct spool *sp, size_t max_recs, size_t max_bytes,
    struct gw_err *err)
{
	const char *line;
	size_t len;
	struct parsed p;
	enum kind k;
	int added = 0, r;

	while (sp->n == 0 || (sp->n < max_recs && sp->win_bytes < max_bytes)) {
		if ((r = rd_next(&sp->rd, sp->synced_end, &line, &len, err)) < 0)
			return -1;
		if (r == 0) {	/* all read: what is live is in the window */
			if (sp->unsynced == 0 && rd_offset(&sp->rd) == sp->synced_end)
				sp->n_live = sp->n;
			break;
		}
		if (line == NULL)
			continue;	/* damaged (dead-lettered at open) */
		/* On a failure the line is given back: the next fill reads it
		 * again (a record consumed here would be lost to the window). */
		if (classify(sp, line, len, 1, NULL, &p, &k) < 0) {
			rd_unread(&sp->rd, len);
			return gw_err_set(err, "spool: out of memory");
		}
		if (k != K_REC || p.seq <= sp->max_read) {	/* damaged or acks */
			free(p.ev);
			continue;
		}
		if (p.ev == NULL) {
			rd_unread(&sp->rd, len);
			return gw_err_set(err, "spool: out of memory");
		}
		if (range_has(sp, p.seq)) {	/* acked */
			free(p.ev);
		} else if (push(sp, p.seq, p.t, p.ev) < 0) {
			free(p.ev);
			rd_unread(&sp->rd, len);
			return gw_err_set(err, "spool: out of memory");
		} else {
			added++;
		}
		sp->max_read = p.seq;
		range_prune(sp, p.seq);
	}
	return added;
}

/* --- opening ------------------------------------------------------------ */

/* An ack seen while scanning: counts only for a seq seen before it (an
 * ack of a record further on would drop it: ignored, it stays live). The
 * count is exact while the records' seqs have no gaps; with gaps (a
 * damaged record, records compacted away) an ack may name a seq that is
 * no record, and scan() counts again. */
static int
scan_ack(struct spool *sp, uint64_t v)
{
	int r;

	if (v == 0 || v < sp->scan_first || v > sp->scan_max)
		return 0;
	if ((r = range_add(sp, v)) < 0)
		return -1;
	sp->scan_acked += (size_t)r;
	return 0;
}

static int compact(struct spool *sp, struct gw_err *err);

/* A compaction failed, and nothing else did: say so through
 * spool_warning(), and try again only once the acked lines have doubled
 * (a full disk is not retried on every ack). */
static void
compact_failed(struct spool *sp, const char *when, const struct gw_err *ce)
{
	snprintf(sp->warn, sizeof(sp->warn), "cannot compact the spool %s "
	    "(it keeps its delivered and damaged lines for now): %s", when,
	    ce->msg);
	sp->warned = 1;
	sp->compact_retry = 2 * sp->acked_on_disk;
}

/* Overwrite a dead-lettered damaged line with spaces (its newline stays),
 * so that the next start skips it even when the compaction that should
 * drop it fails (a full disk: this needs no new blocks). *wfd: a
 * descriptor without O_APPEND, opened on first use. Best effort: a line
 * left as it was is dead-lettered again by the next start. */
static void
blank_line(struct spool *sp, int *wfd, off_t off, off_t len)
{
	char spaces[4096];
	struct gw_err e;

	if (*wfd < 0 && (*wfd = open_file(sp, SPOOL_FILE, O_WRONLY, &e)) < 0)
		return;
	memset(spaces, ' ', sizeof(spaces));
	while (len > 0) {
		size_t n = len < (off_t)sizeof(spaces) ? (size_t)len : sizeof(spaces);
		ssize_t w = pwrite(*wfd, spaces, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += w;
		len -= w;
	}
}

/* The live records of the file up to end, counted one by one: the records
 * (seqs rising) whose seq is not acked. */
static int
count_live(struct spool *sp, off_t end, size_t *live, struct gw_err *err)
{
	struct reader r;
	struct parsed p;
	enum kind k;
	const char *line;
	size_t len;
	uint64_t max = 0;
	int rc;

	*live = 0;
	memset(&r, 0, sizeof(r));
	rd_init(&r, sp->fd, 0);
	while ((rc = rd_next(&r, end, &line, &len, err)) == 1) {
		if (line == NULL)
			continue;
		if (classify(sp, line, len, 0, NULL, &p, &k) < 0) {
			rc = gw_err_set(err, "spool: out of memory");
			break;
		}
		if (k != K_REC || p.seq <= max)
			continue;
		max = p.seq;
		if (!range_has(sp, p.seq))
			(*live)++;
	}
	free(r.buf);
	return rc < 0 ? -1 : 0;
}

static int
scan(struct spool *sp, size_t *skipped, struct gw_err *err)
{
	struct reader r;
	struct stat st;
	struct parsed p;
	enum kind k;
	const char *line;
	size_t len, recs = 0;
	unsigned long lineno = 0;
	char reason[300], first_err[256] = "";
	int rc, wfd = -1;

	if (fstat(sp->fd, &st) < 0)
		return gw_err_set(err, "cannot stat %s/%s: %s", sp->dir, SPOOL_FILE,
		    strerror(errno));
	memset(&r, 0, sizeof(r));
	rd_init(&r, sp->fd, 0);
	while ((rc = rd_next(&r, st.st_size, &line, &len, err)) == 1) {
		lineno++;
		reason[0] = '\0';
		if (line == NULL) {
			snprintf(reason, sizeof(reason), "spool line %lu: longer than "
			    "%d bytes", lineno, SPOOL_LINE_MAX);
		} else {
			if (classify(sp, line, len, 0, scan_ack, &p, &k) < 0) {
				rc = gw_err_set(err, "spool: out of memory");
				break;
			}
			if (k == K_BAD)
				snprintf(reason, sizeof(reason), "spool line %lu: %s",
				    lineno, p.reason);
			else if (k == K_REC && p.seq <= sp->scan_max)
				snprintf(reason, sizeof(reason), "spool line %lu: seq %llu "
				    "is not above %llu (a duplicate or out of order)",
				    lineno, (unsigned long long)p.seq,
				    (unsigned long long)sp->scan_max);
			else if (k == K_REC) {
				if (recs == 0)
					sp->scan_first = p.seq;
				else if (p.seq != sp->scan_max + 1)
					sp->scan_gaps = 1;
				sp->scan_max = p.seq;
				recs++;
			}
		}
		if (reason[0] != '\0') {
			struct gw_err de;

			(*skipped)++;
			sp->acked_on_disk++;
			if (dead_letter_damaged(sp, line, len, reason, &de) < 0) {
				sp->damaged_kept++;
				if (first_err[0] == '\0')
					snprintf(first_err, sizeof(first_err), "%s", de.msg);
			} else {
				blank_line(sp, &wfd, r.start, rd_offset(&r) - 1 - r.start);
			}
		}
	}
	free(r.buf);
	if (wfd >= 0) {
		(void)fdatasync(wfd);
		close(wfd);
	}
	if (rc < 0)
		return -1;
	if (rd_offset(&r) < st.st_size && ftruncate(sp->fd, rd_offset(&r)) < 0)
		return gw_err_set(err, "cannot cut the torn end of %s/%s: %s", sp->dir,
		    SPOOL_FILE, strerror(errno));
	sp->synced_end = rd_offset(&r);
	if (!sp->scan_gaps)
		sp->n_live = recs > sp->scan_acked ? recs - sp->scan_acked : 0;
	else if (count_live(sp, sp->synced_end, &sp->n_live, err) < 0)
		return -1;
	sp->acked_on_disk += recs - sp->n_live;
	sp->next_seq = sp->scan_max + 1;
	rd_init(&sp->rd, sp->fd, 0);
	/* Nothing live: start afresh, numbering from 1. The file is not
	 * emptied on a count: the compaction copies whatever is live. */
	if (((sp->n_live == 0 && sp->synced_end > 0) || *skipped > 0) &&
	    sp->damaged_kept == 0) {
		struct gw_err ce;

		/* Not fatal: the damaged lines are dead-lettered and blanked,
		 * the next start or a later ack compacts. */
		if (compact(sp, &ce) < 0)
			compact_failed(sp, "at start", &ce);
		else if (sp->n_live == 0)
			sp->next_seq = 1;
	}
	if (sp->damaged_kept > 0)	/* for the caller's report */
		snprintf(sp->damaged_err, sizeof(sp->damaged_err), "%s", first_err);
	return 0;
}

struct spool *
spool_open(const char *dir, size_t *skipped, struct gw_err *err)
{
	struct spool *sp;
	int busy = 0;

	*skipped = 0;
	if (mkdir_p(dir, err) < 0)
		return NULL;
	if ((sp = calloc(1, sizeof(*sp))) == NULL) {
		gw_err_set(err, "spool: out of memory");
		return NULL;
	}
	sp->dir_fd = sp->lock_fd = sp->fd = -1;
	sp->next_seq = 1;
	if (snprintf(sp->dir, sizeof(sp->dir), "%s", dir) >= (int)sizeof(sp->dir)) {
		gw_err_set(err, "spool directory path is too long");
		goto fail;
	}
	if (open_dir(sp, err) < 0)
		goto fail;
	if ((sp->lock_fd = open_file(sp, LOCK_FILE, O_RDWR, err)) < 0)
		goto fail;
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		busy = errno == EWOULDBLOCK;
		gw_err_set(err, busy ? "spool %s is in use by another discord-notify" :
		    "cannot lock spool %s", dir);
		goto fail;
	}
	if ((sp->fd = open_file(sp, SPOOL_FILE, O_RDWR | O_APPEND, err)) < 0)
		goto fail;
	if (scan(sp, skipped, err) < 0)
		goto fail;
	return sp;
fail:
	spool_close(sp);
	errno = busy ? EWOULDBLOCK : EIO;
	return NULL;
}

void
spool_close(struct spool *sp)
{
	size_t i;

	if (sp == NULL)
		return;
	for (i = 0; i < sp->n; i++)
		free(sp->recs[i].line);
	free(sp->recs);
	free(sp->acked);
	free(sp->rd.buf);
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);	/* releases the lock */
	if (sp->dir_fd >= 0)
		close(sp->dir_fd);
	free(sp);
}

/* --- writing ------------------------------------------------------------ */

/* Append one whole record to the spool file. A failed write is cut back
 * to where it started, so that the next record starts a line; when even
 * that fails, the next write starts with a newline (the partial line is
 * then skipped as damaged). Reopens the file if a compaction could not. */
static int
append_record(struct spool *sp, const char *rec, size_t len, struct gw_err *err)
{
	off_t end;

	if (sp->fd < 0) {
		if ((sp->fd = open_file(sp, SPOOL_FILE, O_RDWR | O_APPEND, err)) < 0)
			return -1;
		sp->rd.fd = sp->fd;
	}
	end = lseek(sp->fd, 0, SEEK_END);
	if (sp->dirty_tail) {
		if (write_all(sp->fd, "\n", 1, sp->dir, SPOOL_FILE, err) < 0)
			return -1;
		sp->dirty_tail = 0;
		end = lseek(sp->fd, 0, SEEK_END);
	}
	if (write_all(sp->fd, rec, len, sp->dir, SPOOL_FILE, err) < 0) {
		if (end < 0 || ftruncate(sp->fd, end) < 0)
			sp->dirty_tail = 1;
		return -1;
	}
	return 0;
}

int
spool_append(struct spool *sp, const char *line, long long t_ms, uint64_t *seq,
    struct gw_err *err)
{
	size_t ll = strlen(line);
	char *rec;
	int n;

	if (sp->next_seq > (uint64_t)SPOOL_SEQ_MAX)
		return gw_err_set(err, "spool %s: sequence numbers are exhausted (the "
		    "last is %lld); nothing more is accepted until the spool has "
		    "drained and discord-notify restarts", sp->dir,
		    (long long)SPOOL_SEQ_MAX);
	if ((rec = malloc(ll + 64)) == NULL)
		return gw_err_set(err, "spool: out of memory");
	n = snprintf(rec, ll + 64, "{\"seq\":%llu,\"t\":%lld,\"ev\":%s}\n",
	    (unsigned long long)sp->next_seq, t_ms, line);
	if (append_record(sp, rec, (size_t)n, err) < 0) {
		free(rec);
		return -1;
	}
	free(rec);
	*seq = sp->next_seq++;
	sp->n_live++;
	sp->unsynced++;
	return 0;
}

static int
datasync(struct spool *sp, struct gw_err *err)
{
	off_t end;

	if (sp->fd < 0)
		return gw_err_set(err, "cannot sync %s/%s: not open", sp->dir,
		    SPOOL_FILE);
	if (fdatasync(sp->fd) < 0)
		return gw_err_set(err, "cannot sync %s/%s: %s", sp->dir, SPOOL_FILE,
		    strerror(errno));
	if ((end = lseek(sp->fd, 0, SEEK_END)) >= 0)
		sp->synced_end = end;
	sp->unsynced = 0;
	return 0;
}

int
spool_sync(struct spool *sp, struct gw_err *err)
{
	return datasync(sp, err);
}

/* Buffered writes of the compacted file. */
struct wbuf {
	int fd;
	char buf[CHUNK];
	size_t len;
	off_t total;
};

static int
wb_put(struct spool *sp, struct wbuf *w, const char *s, size_t len,
    struct gw_err *err)
{
	if (w->len + len > sizeof(w->buf) && w->len > 0) {
		if (write_all(w->fd, w->buf, w->len, sp->dir, TMP_FILE, err) < 0)
			return -1;
		w->len = 0;
	}
	if (len > sizeof(w->buf)) {
		if (write_all(w->fd, s, len, sp->dir, TMP_FILE, err) < 0)
			return -1;
	} else {
		memcpy(w->buf + w->len, s, len);
		w->len += len;
	}
	w->total += (off_t)len;
	return 0;
}

/* Rewrite the file with the live records only: the window's, then the
 * unread part streamed through a bounded buffer (acks, acked and damaged
 * records left out). */
static int
compact(struct spool *sp, struct gw_err *err)
{
	struct wbuf *w;
	struct reader r;
	struct parsed p;
	enum kind k;
	const char *line;
	size_t i, len, copied = 0;
	off_t win_end, end;
	uint64_t max = sp->max_read;
	char hdr[64];
	int fd, rc = 0;

	if (sp->damaged_kept > 0)
		return 0;	/* they must stay until dead-lettered */
	if (sp->fd < 0 || (end = lseek(sp->fd, 0, SEEK_END)) < 0)
		return gw_err_set(err, "cannot compact %s/%s: not open", sp->dir,
		    SPOOL_FILE);
	if (unlinkat(sp->dir_fd, TMP_FILE, 0) < 0 && errno != ENOENT)
		return gw_err_set(err, "cannot remove %s/%s: %s", sp->dir, TMP_FILE,
		    strerror(errno));
	fd = openat(sp->dir_fd, TMP_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return gw_err_set(err, "cannot create %s/%s: %s", sp->dir, TMP_FILE,
		    strerror(errno));
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		close(fd);
		unlinkat(sp->dir_fd, TMP_FILE, 0);
		return gw_err_set(err, "spool: out of memory");
	}
	w->fd = fd;
	for (i = 0; rc == 0 && i < sp->n; i++) {
		const struct spool_rec *rec = &sp->recs[i];
		int n = snprintf(hdr, sizeof(hdr), "{\"seq\":%llu,\"t\":%lld,\"ev\":",
		    (unsigned long long)rec->seq, rec->t_ms);

		rc = wb_put(sp, w, hdr, (size_t)n, err);
		if (rc == 0)
			rc = wb_put(sp, w, rec->line, strlen(rec->line), err);
		if (rc == 0)
			rc = wb_put(sp, w, "}\n", 2, err);
	}
	win_end = w->total;
	memset(&r, 0, sizeof(r));
	rd_init(&r, sp->fd, rd_offset(&sp->rd));
	while (rc == 0 && (rc = rd_next(&r, end, &line, &len, err)) == 1) {
		rc = 0;
		if (line == NULL)
			continue;
		if (classify(sp, line, len, 0, NULL, &p, &k) < 0) {
			rc = gw_err_set(err, "spool: out of memory");
			break;
		}
		if (k != K_REC || p.seq <= max)
			continue;
		max = p.seq;
		if (range_has(sp, p.seq))
			continue;
		if ((rc = wb_put(sp, w, line, len, err)) == 0)
			rc = wb_put(sp, w, "\n", 1, err);
		copied++;
	}
	free(r.buf);
	if (rc == 0 && w->len > 0)
		rc = write_all(fd, w->buf, w->len, sp->dir, TMP_FILE, err);
	end = w->total;
	free(w);
	if (rc == 0 && fsync(fd) < 0)
		rc = gw_err_set(err, "cannot sync %s/%s: %s", sp->dir, TMP_FILE,
		    strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = gw_err_set(err, "cannot close %s/%s: %s", sp->dir, TMP_FILE,
		    strerror(errno));
	if (rc == 0 && renameat(sp->dir_fd, TMP_FILE, sp->dir_fd, SPOOL_FILE) < 0)
		rc = gw_err_set(err, "cannot replace %s/%s: %s", sp->dir, SPOOL_FILE,
		    strerror(errno));
	if (rc < 0) {
		unlinkat(sp->dir_fd, TMP_FILE, 0);
		return -1;
	}
	/* The old file is gone: reopen before anything else can fail, so that
	 * no later append goes to the unlinked file. */
	sp->acked_on_disk = 0;
	sp->dirty_tail = 0;
	sp->n_acked = 0;
	sp->n_live = sp->n + copied;
	sp->unsynced = 0;
	sp->synced_end = end;
	close(sp->fd);
	sp->fd = open_file(sp, SPOOL_FILE, O_RDWR | O_APPEND, err);
	rd_init(&sp->rd, sp->fd, win_end);
	if (sp->fd < 0)	/* append_record tries again */
		return -1;
	return sync_dirfd(sp, err);
}

int
spool_ack(struct spool *sp, const uint64_t *seqs, size_t n, struct gw_err *err)
{
	size_t i, j, keep, len, cap = 16 + ACKS_PER_LINE * 21;
	char *buf;
	int rc = 0, marked = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		ssize_t k = find_idx(sp, seqs[i]);

		if (k >= 0) {	/* in the window: mark, sweep below */
			sp->win_bytes -= strlen(sp->recs[k].line);
			free(sp->recs[k].line);
			sp->recs[k].line = NULL;
			marked = 1;
		} else if (seqs[i] > sp->max_read && seqs[i] < sp->next_seq) {
			int r = range_add(sp, seqs[i]);	/* not read yet */

			if (r < 0)
				return gw_err_set(err, "spool: out of memory");
			if (r == 0)
				continue;
		} else {
			continue;	/* no longer live */
		}
		if (sp->n_live > 0)
			sp->n_live--;
		sp->acked_on_disk++;
	}
	if (marked) {
		for (i = keep = 0; i < sp->n; i++)
			if (sp->recs[i].line != NULL)
				sp->recs[keep++] = sp->recs[i];
		sp->n = keep;
	}
	if ((buf = malloc(cap)) == NULL)
		return gw_err_set(err, "spool: out of memory");
	for (i = 0; rc == 0 && i < n; i += ACKS_PER_LINE) {
		len = (size_t)snprintf(buf, cap, "{\"ack\":[");
		for (j = i; j < n && j < i + ACKS_PER_LINE; j++)
			len += (size_t)snprintf(buf + len, cap - len, "%s%llu",
			    j > i ? "," : "", (unsigned long long)seqs[j]);
		len += (size_t)snprintf(buf + len, cap - len, "]}\n");
		rc = append_record(sp, buf, len, err);
	}
	free(buf);
	if (rc < 0 || datasync(sp, err) < 0)
		return -1;
	if (sp->acked_on_disk > COMPACT_MIN && sp->acked_on_disk > sp->n_live &&
	    sp->acked_on_disk >= sp->compact_retry) {
		struct gw_err ce;

		/* the acks are durable: a failed compaction is no failed ack */
		if (compact(sp, &ce) < 0)
			compact_failed(sp, "after delivery", &ce);
		else
			sp->compact_retry = 0;
	}
	return 0;
}
