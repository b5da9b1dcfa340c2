/*
 * hostinfo: what the host check reads about the machine. Pure decoders
 * over the bytes of /proc files (no I/O, no globals; buf need not be
 * NUL-terminated), and thin blocking readers of small files under a proc
 * root ("/proc"; tests pass a fake tree), statvfs for free disk, and the
 * lookup of a process by name or pid file.
 *
 * Decoders return 0, or -1 with a one-line reason in err and their output
 * untouched. `path` (NULL: the usual /proc name) is only used in messages.
 * The malformed classes every kernel file shares:
 *   "/proc/meminfo: truncated (no end of line)"  (the bytes do not end
 *                                                  in '\n')
 *   a missing field, a non-numeric value, a value out of range (below).
 */
#ifndef HM_HOSTINFO_H
#define HM_HOSTINFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gw_err.h"

#define HOSTINFO_PROC_ROOT "/proc"
#define HOSTINFO_NAME_MAX 64		/* a process name, with the NUL */
#define HOSTINFO_FILE_MAX (64 * 1024)	/* loadavg, meminfo, status, pid
					 * files: larger ones are refused */
#define HOSTINFO_CPUINFO_MAX (4 * 1024 * 1024)
#define HOSTINFO_PID_MAX 4194304	/* the kernel's PID_MAX_LIMIT */
#define HOSTINFO_KIB_MAX (UINT64_MAX / 1024)	/* so bytes fit in 64 bits */
#define HOSTINFO_CPUS_MAX 65536

struct hostinfo_load {
	double avg1, avg5, avg15;	/* the 1-, 5- and 15-minute averages */
};

struct hostinfo_mem {
	uint64_t total_kib;		/* MemTotal */
	uint64_t available_kib;		/* MemAvailable */
};

struct hostinfo_status {
	char name[HOSTINFO_NAME_MAX];	/* Name, as the kernel shows it (its
					 * escapes kept); may be "" */
	int has_rss;			/* 0: no VmRSS line (a kernel thread
					 * or a zombie) */
	uint64_t rss_kib;		/* VmRSS */
};

/*
 * /proc/loadavg ("0.52 0.58 0.59 1/389 12345\n"): the first line's first
 * three fields, separated by spaces or tabs; each digits with an optional
 * fraction ("1", "0.52"), at most 9 integer digits; the rest is ignored.
 *   "/proc/loadavg: expected 3 load averages, found 2"
 *   "/proc/loadavg: 5-minute average 'x' is not a number"
 *   "/proc/loadavg: 1-minute average '1234567890.00' is out of range"
 */
int hostinfo_parse_loadavg(const char *buf, size_t len, const char *path,
    struct hostinfo_load *l, struct gw_err *err);

/*
 * /proc/meminfo: the first MemTotal and MemAvailable lines ("MemTotal:
 *   16314216 kB"); a value is blanks, digits, " kB", at most
 * HOSTINFO_KIB_MAX. Other lines are not checked.
 *   "/proc/meminfo: no MemAvailable line"          (kernels before 3.14)
 *   "/proc/meminfo: MemTotal '12x kB' is not a number of kB"
 *   "/proc/meminfo: MemTotal '99999999999999999999 kB' is out of range"
 */
int hostinfo_parse_meminfo(const char *buf, size_t len, const char *path,
    struct hostinfo_mem *m, struct gw_err *err);

/*
 * /proc/PID/status: the first Name line (required; one tab after the
 * colon is dropped) and the first VmRSS line (optional, as in meminfo).
 *   "/proc/1/status: no Name line"
 *   "/proc/1/status: Name longer than 63 bytes"
 *   "/proc/1/status: NUL byte in Name"
 *   "/proc/1/status: VmRSS 'x kB' is not a number of kB"
 *   "/proc/1/status: VmRSS '...' is out of range"
 */
int hostinfo_parse_status(const char *buf, size_t len, const char *path,
    struct hostinfo_status *s, struct gw_err *err);

/*
 * /proc/cpuinfo: the number of "processor : N" lines (key and colon
 * separated by blanks; N digits, at most 9).
 *   "/proc/cpuinfo: no processor lines"
 *   "/proc/cpuinfo: processor 'x' is not a number"
 *   "/proc/cpuinfo: processor '1234567890' is out of range"
 *   "/proc/cpuinfo: more than 65536 processors"
 */
int hostinfo_parse_cpuinfo(const char *buf, size_t len, const char *path,
    int *cpus, struct gw_err *err);

/*
 * A pid file: a decimal pid 1..HOSTINFO_PID_MAX, with optional ASCII
 * blanks and newlines around it (written by people and tools: no end of
 * line is required, so there is no "truncated").
 *   "/run/gw.pid: empty"
 *   "/run/gw.pid: '12a' is not a pid"
 *   "/run/gw.pid: pid '0' is out of range"
 * `path` NULL: "pid file".
 */
int hostinfo_parse_pid(const char *buf, size_t len, const char *path,
    pid_t *pid, struct gw_err *err);

/*
 * Read a whole regular file of at most cap bytes into a new buffer
 * (*buf, freed by the caller, NUL-terminated after *len bytes). Opened
 * non-blocking, so a FIFO in place of a pid file does not hang. Blocks
 * only on the file system. Returns 0, or -1 with err, errno (0 for "not a
 * regular file" and "larger") and *buf NULL:
 *   "/run/gw.pid: No such file or directory"
 *   "/run/gw.pid: not a regular file"
 *   "/proc/cpuinfo: larger than 4194304 bytes"
 */
int hostinfo_read_file(const char *path, size_t cap, char **buf,
    size_t *len, struct gw_err *err);

/* proc_root/loadavg and proc_root/meminfo read and decoded (proc_root
 * NULL: "/proc"). 0, or -1 with err (a reader's or decoder's message). */
int hostinfo_load(const char *proc_root, struct hostinfo_load *l,
    struct gw_err *err);
int hostinfo_mem(const char *proc_root, struct hostinfo_mem *m,
    struct gw_err *err);

/* The CPU count: the processor lines of proc_root/cpuinfo, else
 * sysconf(_SC_NPROCESSORS_ONLN), else 1. Never fails. */
int hostinfo_cpus(const char *proc_root);

/* Free disk of the file system holding path, in percent of its size, as
 * an unprivileged user sees it (f_bavail / f_blocks). 0, or -1 with err:
 *   "/data: No such file or directory"
 *   "/proc: no blocks (not a disk)" */
int hostinfo_disk_free_pct(const char *path, double *pct,
    struct gw_err *err);

/* proc_root/PID/status read and decoded. 0; 1 when there is no such
 * process (no message); -1 with err. */
int hostinfo_proc_status(const char *proc_root, pid_t pid,
    struct hostinfo_status *s, struct gw_err *err);

/*
 * Find a live process (one with a VmRSS) whose Name is name, scanning
 * proc_root/[0-9]*\/status; of several, the one with the largest RSS (the
 * worst is what counts). Processes that vanish or whose status does not
 * decode are skipped. 0 with *pid and *s; 1 when there is none (no
 * message); -1 with err when proc_root cannot be listed. Reads one small
 * file per process.
 */
int hostinfo_find_by_name(const char *proc_root, const char *name,
    pid_t *pid, struct hostinfo_status *s, struct gw_err *err);

/* The pid in the pid file at path (read and decoded as above). 0, or -1
 * with err. */
int hostinfo_read_pidfile(const char *path, pid_t *pid, struct gw_err *err);

#endif
