/*
 * spool: the durable queue behind discord-notify's "losing none".
 * DIR/spool.jsonl is append-only JSON lines:
 *   {"seq":N,"t":<unix ms accepted>,"ev":{<event record>}}   an accepted event
 *   {"ack":[N,...]}                                          delivered (or dead-lettered)
 * An event counts as accepted only after spool_sync() returned 0 (fdatasync).
 *
 * Bounded memory: the file is the queue. Only a window of live records is
 * held in memory (spool_fill() reads them forward from the file, at most
 * the number and bytes the caller asks for); the rest stays on disk behind
 * a read cursor, whatever the backlog. spool_open() scans the file once
 * with a bounded buffer: it keeps a count of the live records, the highest
 * sequence number, and the set of acked sequence numbers not yet read (as
 * ranges: acks come in runs, so this set is a few ranges; its worst case is
 * 16 bytes per gap between acked records of the file being opened).
 *
 * Order and damage: sequence numbers rise strictly in file order. A line
 * that is not a record or an ack, a record whose seq is 0 or above
 * SPOOL_SEQ_MAX, or one whose seq is not above every seq before it (a
 * duplicate, a seq going backwards) cannot be delivered in order: at open
 * it goes to the dead-letter file as {"t","reason","line"} and is never
 * delivered (it is then blanked in place, overwritten with spaces, and
 * compacted away; a compaction failing at open is not fatal, see
 * spool_warning(); if the dead-letter file cannot be written the line
 * stays in the spool, compaction is off for that run, and the next start
 * tries again). An ack counts only for a record read before
 * it: an ack of a seq not seen yet in the file is ignored (the record
 * stays live), and so is one of a seq that is no record of the file (a
 * damaged line's, one compacted away). New seqs never wrap: at
 * SPOOL_SEQ_MAX spool_append() refuses; a spool with nothing live (checked
 * record by record, by the compaction that empties it) restarts its
 * numbering at 1 when opened.
 *
 * On open a torn last line (a crash mid-write, never synced) is cut off. A
 * write that fails part-way is cut back (or, failing that, the next write
 * starts a new line); so is a dead-letter write. Creating a file or the
 * directory also syncs its parent directory. When acked records outnumber
 * the live ones (and exceed 256), the file is rewritten (tmp + fsync +
 * rename + reopen + dir fsync), streaming the unread part through a bounded
 * buffer. DIR/dead-letter.jsonl keeps events given up on, with the reason.
 *
 * Safety: DIR must be a directory (not a symbolic link) owned by the
 * effective uid and not writable by group or others; its files are opened
 * relative to it with O_NOFOLLOW|O_CLOEXEC and must be regular files. One
 * process owns a spool at a time (flock on DIR/spool.lock).
 * Blocking file I/O: the files are local.
 */
#ifndef GW_SPOOL_H
#define GW_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "gw_err.h"

#define SPOOL_SEQ_MAX INT64_MAX		/* what a JSON integer holds here */
#define SPOOL_LINE_MAX (1024 * 1024)	/* longer lines are damaged */

struct spool;

struct spool_rec {
	uint64_t seq;
	long long t_ms;		/* wall clock when accepted */
	char *line;		/* the event record as written (one JSON line); it
				 * may not decode if the file was edited */
};

/* Create DIR (0700) if needed, check it, lock it, scan it (see above).
 * Fails if another process holds the lock ("in use", errno EWOULDBLOCK),
 * if DIR is unsafe, or on I/O errors (errno EIO). *skipped counts damaged
 * lines found (each dead-lettered, or kept when that failed; the caller
 * reports them). The window starts empty: call spool_fill(). */
struct spool *spool_open(const char *dir, size_t *skipped, struct gw_err *err);
void spool_close(struct spool *sp);

/* Read live records forward from the file into the window until it holds
 * max_recs records or max_bytes bytes of lines (at least one record when
 * it is empty), or the synced end of the file. Returns the number of
 * records added (at the end of the window, in seq order), -1 on errors
 * (I/O, memory): the records added before the error stay in the window,
 * and the next call goes on from the record that failed. */
int spool_fill(struct spool *sp, size_t max_recs, size_t max_bytes,
    struct gw_err *err);
/* The window's records in seq order; valid until the next fill/ack/
 * compact. */
size_t spool_live(const struct spool *sp, const struct spool_rec **recs);
size_t spool_window_bytes(const struct spool *sp);
/* A record of the window, or NULL. */
const struct spool_rec *spool_find(const struct spool *sp, uint64_t seq);
/* 1 while seq is live (in the window or not read yet), else 0. */
int spool_is_live(const struct spool *sp, uint64_t seq);
/* Live records: the window's and those not read yet. */
size_t spool_count(const struct spool *sp);
/* Damaged lines kept in the file because dead-lettering them failed at
 * open (*why: the error, if why is not NULL). */
size_t spool_damaged_kept(const struct spool *sp, const char **why);

/* Append one event line (written, not yet synced; read into the window by
 * a spool_fill() after the next successful sync). On failure nothing of
 * the record is left in the file (see above); fails when the seqs are
 * exhausted. */
int spool_append(struct spool *sp, const char *line, long long t_ms,
    uint64_t *seq, struct gw_err *err);
/* Make every append so far durable. */
int spool_sync(struct spool *sp, struct gw_err *err);
/* Mark records done (delivered or dead-lettered, in the window or not read
 * yet), durably; compacts the file when acked records outnumber live ones
 * (and exceed 256). A compaction that fails does not fail the call (the
 * acks are synced): spool_warning() tells it, and it is tried again once
 * the acked lines have doubled. The records leave the live set even when
 * this fails (-1): then they are live again after a restart (sent twice
 * at worst). */
int spool_ack(struct spool *sp, const uint64_t *seqs, size_t n,
    struct gw_err *err);
/* Append {"t","reason","ev"} to DIR/dead-letter.jsonl ({"t","reason",
 * "line"}, the bytes as a string, when line is not one JSON object: an
 * edited file), durably (0 only
 * once it is synced; the caller acks the record only then). A write that
 * fails part-way is cut back. */
int spool_dead_letter(struct spool *sp, const char *line, const char *reason,
    struct gw_err *err);
/* A failure to report that did not fail the call (a compaction that
 * failed: at open, or after an ack), or NULL; each is returned once. The
 * text is valid until the next call on sp. */
const char *spool_warning(struct spool *sp);
/* Path of the spool directory. */
const char *spool_dir(const struct spool *sp);

#endif
