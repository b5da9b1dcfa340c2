/*
 * spool: the durable queue behind discord-notify's "losing none".
 * DIR/spool.jsonl is append-only JSON lines:
 *   {"seq":N,"t":<unix ms accepted>,"ev":{<event record>}}   an accepted event
 *   {"ack":[N,...]}                                          delivered (or dead-lettered)
 * An event counts as accepted only after spool_sync() returned 0 (fdatasync).
 * On open, records without an ack are live again, in seq order, each with
 * the exact bytes of its "ev" as written; a torn last line (a crash
 * mid-write, never synced) is cut off. A write that fails part-way is cut
 * back (or, failing that, the next write starts a new line). Creating a
 * file or directory also syncs its parent directory. When acked records
 * dominate, the file is rewritten (tmp + fsync + rename + reopen + dir
 * fsync). DIR/dead-letter.jsonl keeps events given up on, with the reason.
 * One process owns a spool at a time (flock on DIR/spool.lock).
 * Blocking file I/O: the files are local and small.
 */
#ifndef GW_SPOOL_H
#define GW_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "gw_err.h"

struct spool;

struct spool_rec {
	uint64_t seq;
	long long t_ms;		/* wall clock when accepted */
	char *line;		/* the event record as written (one JSON line); it
				 * may not decode if the file was edited */
};

/* Create DIR (0700) if needed, lock it, load it. Fails if another process
 * holds the lock ("in use", errno EWOULDBLOCK), or on I/O errors (errno
 * EIO). *skipped counts unreadable lines that were dropped (reported by
 * the caller). */
struct spool *spool_open(const char *dir, size_t *skipped, struct gw_err *err);
void spool_close(struct spool *sp);

/* Live records in seq order; valid until the next append/ack/compact. */
size_t spool_live(const struct spool *sp, const struct spool_rec **recs);
const struct spool_rec *spool_find(const struct spool *sp, uint64_t seq);

/* Append one event line (written, not yet synced). On failure nothing
 * of the record is left in the file (see above). */
int spool_append(struct spool *sp, const char *line, long long t_ms,
    uint64_t *seq, struct gw_err *err);
/* Make every append so far durable. */
int spool_sync(struct spool *sp, struct gw_err *err);
/* Mark records done (delivered or dead-lettered), durably; compacts the
 * file when acked records outnumber live ones (and exceed 256). The records
 * leave the live set even when this fails (-1): then they are live again
 * after a restart (sent twice at worst). */
int spool_ack(struct spool *sp, const uint64_t *seqs, size_t n,
    struct gw_err *err);
/* Append {"t","reason","ev"} to DIR/dead-letter.jsonl, durably (0 only
 * once it is synced; the caller acks the record only then). */
int spool_dead_letter(struct spool *sp, const char *line, const char *reason,
    struct gw_err *err);
/* Path of the spool directory. */
const char *spool_dir(const struct spool *sp);

#endif
