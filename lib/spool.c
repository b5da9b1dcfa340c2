/*
 * spool: append-only durable event queue (see spool.h). The file is ours,
 * but it may be truncated or damaged by a crash or a full disk: every line
 * is parsed defensively.
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

struct spool {
	char dir[PATH_MAX];
	char path[PATH_MAX];
	int lock_fd;
	int fd;
	struct spool_rec *recs;	/* live records, seq ascending */
	size_t n, cap;
	uint64_t next_seq;
	size_t acked_on_disk;	/* acked records still in the file */
	int dirty_tail;		/* a failed write left a partial line that
				 * could not be cut: start the next with "\n" */
};

static int sync_dir(const char *dir, struct gw_err *err);

/* Open path for appending; when this created the file, make its directory
 * entry durable too (a synced file in an unsynced directory can vanish). */
static int
open_append(const char *path, const char *dir, int flags, struct gw_err *err)
{
	int fd = open(path, flags | O_APPEND | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			gw_err_set(err, "cannot open %s: %s", path, strerror(errno));
		return fd;
	}
	fd = open(path, flags | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)	/* created meanwhile by someone else */
		fd = open(path, flags | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		gw_err_set(err, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (sync_dir(dir, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
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
				if (sync_dir(tmp, err) < 0)
					return -1;
				*slash = '/';
			}
		}
		tmp[i] = dir[i];
	}
	return 0;
}

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

static void
remove_idx(struct spool *sp, size_t i)
{
	free(sp->recs[i].line);
	memmove(&sp->recs[i], &sp->recs[i + 1], (sp->n - i - 1) * sizeof(sp->recs[0]));
	sp->n--;
}

static int
cmp_rec(const void *a, const void *b)
{
	const struct spool_rec *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The bytes of "ev" in a record line as spool_append writes it,
 * {"seq":N,"t":N,"ev":...}, as a new string; NULL if the line has
 * another shape (then the caller re-encodes the parsed object). */
static char *
raw_ev(const char *line, size_t len)
{
	static const char *const parts[] = { "{\"seq\":", ",\"t\":", ",\"ev\":" };
	size_t i, p = 0, d;
	char *s;

	for (i = 0; i < 3; i++) {
		size_t pl = strlen(parts[i]);

		if (len - p < pl || memcmp(line + p, parts[i], pl) != 0)
			return NULL;
		p += pl;
		if (i == 2)
			break;
		if (p < len && line[p] == '-')
			p++;
		for (d = 0; p + d < len && line[p + d] >= '0' && line[p + d] <= '9'; d++)
			;
		if (d == 0)
			return NULL;
		p += d;
	}
	if (len < p + 2 || line[p] != '{' || line[len - 1] != '}')
		return NULL;
	if ((s = malloc(len - p)) == NULL)
		return NULL;
	memcpy(s, line + p, len - p - 1);
	s[len - p - 1] = '\0';
	return s;
}

/* Parse one line of the file into the live set; -1 if unreadable. */
static int
load_line(struct spool *sp, const char *line, size_t len, uint64_t **acks,
    size_t *n_acks, size_t *cap_acks)
{
	json_t *o = json_loadb(line, len, 0, NULL), *ev, *ack, *v;
	json_int_t seq, t;
	size_t i;
	int rc = -1;

	if (o == NULL)
		return -1;
	if ((ack = json_object_get(o, "ack")) != NULL && json_is_array(ack)) {
		json_array_foreach(ack, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) < 1)
				continue;
			if (*n_acks == *cap_acks) {
				size_t nc = *cap_acks ? *cap_acks * 2 : 256;
				uint64_t *na = realloc(*acks, nc * sizeof(*na));
				if (na == NULL)
					goto out;
				*acks = na;
				*cap_acks = nc;
			}
			(*acks)[(*n_acks)++] = (uint64_t)json_integer_value(v);
		}
		rc = 0;
	} else if (json_unpack(o, "{s:I, s:I, s:o}", "seq", &seq, "t", &t,
	    "ev", &ev) == 0 && seq > 0 && json_is_object(ev)) {
		/* Keep the record's exact bytes: re-encoding could change them
		 * (escapes, number spelling) and push a line past the limit. */
		char *s = raw_ev(line, len);

		if (s == NULL)	/* not written by us: re-encode, as UTF-8 */
			s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s != NULL && push(sp, (uint64_t)seq, (long long)t, s) == 0) {
			if ((uint64_t)seq >= sp->next_seq)
				sp->next_seq = (uint64_t)seq + 1;
			rc = 0;
		} else {
			free(s);
		}
	}
out:
	json_decref(o);
	return rc;
}

static int
load(struct spool *sp, size_t *skipped, struct gw_err *err)
{
	uint64_t *acks = NULL;
	size_t n_acks = 0, cap_acks = 0, i, keep = 0, total = 0;
	struct stat st;
	char *buf, *p, *end, *nl;
	ssize_t r;
	off_t good = 0;

	if (fstat(sp->fd, &st) < 0)
		return gw_err_set(err, "cannot stat %s: %s", sp->path, strerror(errno));
	if (st.st_size == 0)
		return 0;
	if ((buf = malloc((size_t)st.st_size)) == NULL)
		return gw_err_set(err, "spool %s: out of memory reading %lld bytes",
		    sp->path, (long long)st.st_size);
	for (i = 0; i < (size_t)st.st_size; i += (size_t)r) {
		r = pread(sp->fd, buf + i, (size_t)st.st_size - i, (off_t)i);
		if (r <= 0) {
			free(buf);
			return gw_err_set(err, "cannot read %s: %s", sp->path,
			    r < 0 ? strerror(errno) : "short read");
		}
	}
	for (p = buf, end = buf + st.st_size; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;	/* torn last line: never synced, never accepted */
		total++;
		if (nl > p && load_line(sp, p, (size_t)(nl - p), &acks, &n_acks,
		    &cap_acks) < 0)
			(*skipped)++;
		good = nl + 1 - buf;
	}
	free(buf);
	if (good < st.st_size && ftruncate(sp->fd, good) < 0) {
		free(acks);
		return gw_err_set(err, "cannot cut the torn end of %s: %s", sp->path,
		    strerror(errno));
	}
	if (sp->n > 1)	/* recs is NULL when no line decoded: qsort(NULL) is UB */
		qsort(sp->recs, sp->n, sizeof(sp->recs[0]), cmp_rec);
	for (i = 0; i < n_acks; i++) {
		ssize_t k = find_idx(sp, acks[i]);
		if (k >= 0)
			sp->recs[k].seq = 0;	/* mark */
	}
	for (i = 0; i < sp->n; i++) {	/* drop marked and duplicates */
		if (sp->recs[i].seq == 0 || (keep > 0 &&
		    sp->recs[keep - 1].seq == sp->recs[i].seq)) {
			free(sp->recs[i].line);
			continue;
		}
		sp->recs[keep++] = sp->recs[i];
	}
	sp->n = keep;
	sp->acked_on_disk = total > keep ? total - keep : 0;
	free(acks);
	return 0;
}

struct spool *
spool_open(const char *dir, size_t *skipped, struct gw_err *err)
{
	struct spool *sp;
	char lock[PATH_MAX];
	int busy = 0;

	*skipped = 0;
	if (mkdir_p(dir, err) < 0)
		return NULL;
	if ((sp = calloc(1, sizeof(*sp))) == NULL) {
		gw_err_set(err, "spool: out of memory");
		return NULL;
	}
	sp->lock_fd = sp->fd = -1;
	sp->next_seq = 1;
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	if (snprintf(sp->path, sizeof(sp->path), "%s/spool.jsonl", dir) >=
	    (int)sizeof(sp->path) ||
	    snprintf(lock, sizeof(lock), "%s/spool.lock", dir) >= (int)sizeof(lock)) {
		gw_err_set(err, "spool directory path is too long");
		goto fail;
	}
	sp->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lock_fd < 0) {
		gw_err_set(err, "cannot open %s: %s", lock, strerror(errno));
		goto fail;
	}
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		busy = errno == EWOULDBLOCK;
		gw_err_set(err, busy ? "spool %s is in use by another discord-notify" :
		    "cannot lock spool %s", dir);
		goto fail;
	}
	sp->fd = open_append(sp->path, sp->dir, O_RDWR, err);
	if (sp->fd < 0)
		goto fail;
	if (load(sp, skipped, err) < 0)
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
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);	/* releases the lock */
	free(sp);
}

size_t
spool_live(const struct spool *sp, const struct spool_rec **recs)
{
	*recs = sp->recs;
	return sp->n;
}

const char *
spool_dir(const struct spool *sp)
{
	return sp->dir;
}

/* Write all of buf (O_APPEND: one write() per record keeps lines whole). */
static int
write_all(int fd, const char *buf, size_t len, const char *path,
    struct gw_err *err)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return gw_err_set(err, "cannot write %s: %s", path,
			    w < 0 ? strerror(errno) : "no progress");
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Append one whole record to the spool file. A failed write is cut back
 * to where it started, so that the next record starts a line; when even
 * that fails, the next write starts with a newline (the partial line is
 * then skipped as damaged on load). Reopens the file if a compaction
 * could not. */
static int
append_record(struct spool *sp, const char *rec, size_t len, struct gw_err *err)
{
	off_t end;

	if (sp->fd < 0 && (sp->fd = open_append(sp->path, sp->dir, O_RDWR, err)) < 0)
		return -1;
	end = lseek(sp->fd, 0, SEEK_END);
	if (sp->dirty_tail) {
		if (write_all(sp->fd, "\n", 1, sp->path, err) < 0)
			return -1;
		sp->dirty_tail = 0;
		end = lseek(sp->fd, 0, SEEK_END);
	}
	if (write_all(sp->fd, rec, len, sp->path, err) < 0) {
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
	char *rec, *copy;
	int n;

	if ((rec = malloc(ll + 64)) == NULL || (copy = strdup(line)) == NULL) {
		free(rec);
		return gw_err_set(err, "spool: out of memory");
	}
	n = snprintf(rec, ll + 64, "{\"seq\":%llu,\"t\":%lld,\"ev\":%s}\n",
	    (unsigned long long)sp->next_seq, t_ms, line);
	if (append_record(sp, rec, (size_t)n, err) < 0) {
		free(rec);
		free(copy);
		return -1;
	}
	free(rec);
	if (push(sp, sp->next_seq, t_ms, copy) < 0) {
		free(copy);
		/* written but not live here: never acked, sent after a restart */
		sp->next_seq++;
		return gw_err_set(err, "spool: out of memory");
	}
	*seq = sp->next_seq++;
	return 0;
}

int
spool_sync(struct spool *sp, struct gw_err *err)
{
	if (sp->fd < 0)
		return gw_err_set(err, "cannot sync %s: not open", sp->path);
	if (fdatasync(sp->fd) < 0)
		return gw_err_set(err, "cannot sync %s: %s", sp->path, strerror(errno));
	return 0;
}

static int
sync_dir(const char *dir, struct gw_err *err)
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

/* Rewrite the file with the live records only. */
static int
compact(struct spool *sp, struct gw_err *err)
{
	char tmp[PATH_MAX + 8];
	size_t i;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", sp->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return gw_err_set(err, "cannot create %s: %s", tmp, strerror(errno));
	for (i = 0; i < sp->n; i++) {
		const struct spool_rec *r = &sp->recs[i];
		size_t ll = strlen(r->line);
		char *rec = malloc(ll + 64);
		int n;

		if (rec == NULL) {
			close(fd);
			unlink(tmp);
			return gw_err_set(err, "spool: out of memory");
		}
		n = snprintf(rec, ll + 64, "{\"seq\":%llu,\"t\":%lld,\"ev\":%s}\n",
		    (unsigned long long)r->seq, r->t_ms, r->line);
		if (write_all(fd, rec, (size_t)n, tmp, err) < 0) {
			free(rec);
			close(fd);
			unlink(tmp);
			return -1;
		}
		free(rec);
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		unlink(tmp);
		return gw_err_set(err, "cannot sync %s: %s", tmp, strerror(errno));
	}
	if (rename(tmp, sp->path) < 0) {
		unlink(tmp);
		return gw_err_set(err, "cannot replace %s: %s", sp->path, strerror(errno));
	}
	/* The old file is gone: reopen before anything else can fail, so that
	 * no later append goes to the unlinked file. */
	sp->acked_on_disk = 0;
	sp->dirty_tail = 0;
	close(sp->fd);
	sp->fd = open(sp->path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (sp->fd < 0)	/* append_record tries again */
		return gw_err_set(err, "cannot reopen %s: %s", sp->path, strerror(errno));
	return sync_dir(sp->dir, err);
}

int
spool_ack(struct spool *sp, const uint64_t *seqs, size_t n, struct gw_err *err)
{
	size_t i, len = 0, cap = 16 + n * 21;
	char *buf;
	int rc;

	if (n == 0)
		return 0;
	if ((buf = malloc(cap)) == NULL)
		return gw_err_set(err, "spool: out of memory");
	len = (size_t)snprintf(buf, cap, "{\"ack\":[");
	for (i = 0; i < n; i++) {
		ssize_t k = find_idx(sp, seqs[i]);

		len += (size_t)snprintf(buf + len, cap - len, "%s%llu", i ? "," : "",
		    (unsigned long long)seqs[i]);
		if (k >= 0) {
			remove_idx(sp, (size_t)k);
			sp->acked_on_disk++;
		}
	}
	len += (size_t)snprintf(buf + len, cap - len, "]}\n");
	rc = append_record(sp, buf, len, err);
	free(buf);
	if (rc < 0 || spool_sync(sp, err) < 0)
		return -1;
	if (sp->acked_on_disk > COMPACT_MIN && sp->acked_on_disk > sp->n)
		return compact(sp, err);
	return 0;
}

int
spool_dead_letter(struct spool *sp, const char *line, const char *reason,
    struct gw_err *err)
{
	char path[PATH_MAX + 32];
	json_t *r = json_string(reason);
	char *rs = r ? json_dumps(r, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
	char *rec;
	size_t cap;
	int fd, n, rc;

	json_decref(r);
	if (rs == NULL)
		return gw_err_set(err, "spool: cannot encode the dead-letter reason");
	snprintf(path, sizeof(path), "%s/dead-letter.jsonl", sp->dir);
	cap = strlen(line) + strlen(rs) + 64;
	if ((rec = malloc(cap)) == NULL) {
		free(rs);
		return gw_err_set(err, "spool: out of memory");
	}
	n = snprintf(rec, cap, "{\"t\":%lld,\"reason\":%s,\"ev\":%s}\n",
	    (long long)time(NULL) * 1000, rs, line);
	free(rs);
	fd = open_append(path, sp->dir, O_WRONLY, err);
	if (fd < 0) {
		free(rec);
		return -1;
	}
	rc = write_all(fd, rec, (size_t)n, path, err);
	free(rec);
	if (rc == 0 && fdatasync(fd) < 0)
		rc = gw_err_set(err, "cannot sync %s: %s", path, strerror(errno));
	close(fd);
	return rc;
}
