/*
 * opt: a program's command line from one table (getopt_long underneath).
 * A row names the flag and/or letter, whether it takes a value, the
 * handler that takes it and, for the generic handlers here, the field and
 * range it fills. Errors are one line naming the flag, the same wording in
 * every program ("--port: missing value", "-x: unknown option (see
 * --help)"). Input is untrusted text; nothing here prints or exits (a
 * program's own handlers may, for --help and --version).
 */
#ifndef GW_OPT_H
#define GW_OPT_H

#include <getopt.h>
#include <stddef.h>

#include "gw_err.h"

struct opt_def;

/* Takes one option's value (arg is NULL for a flag without one) into ctx;
 * 0, or -1 with the whole message in err, or OPT_STOP to end the parse
 * there (--help, --version: the caller acts on it). */
typedef int (*opt_fn)(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err);

struct opt_def {
	const char *flag;	/* "--port"; NULL for a letter only */
	int letter;		/* 'h' for -h; 0 for none */
	int has_arg;		/* no_argument or required_argument */
	opt_fn fn;
	size_t off, size;	/* the field fn fills: OPT_FIELD(type, member) */
	double min, max;	/* its range, for numbers */
};
#define OPT_FIELD(type, m) offsetof(type, m), sizeof(((type *)0)->m)

/* A command line's options, and how its messages read. */
struct opt_set {
	const char *order;	/* "" (GNU: options anywhere) or "+" (stop at
				 * the first word) */
	const char *prefix;	/* before every message: "" or "ctl: " */
	const char *quote;	/* around an unknown option: "" or "'" */
	const char *help;	/* what "(see ...)" names: "--help" */
	const struct opt_def *defs;
	size_t n;		/* at most OPT_MAX rows */
};
#define OPT_MAX 48
#define OPT_STOP 1

/*
 * Run every option of argv through set's handlers, with getopt_long from
 * optind on (set optind to 1, or to 0 to start over). Returns 0 with
 * optind at the first word that is not an option; OPT_STOP when a handler
 * said so (the options after it are not read); or -1 with one line in
 * err: a missing value, an unknown option, a value given to a flag that
 * takes none, or what the handler said. Not reentrant (getopt's state).
 */
int opt_parse(int argc, char **argv, const struct opt_set *set, void *ctx,
    struct gw_err *err);

/* Generic handlers over the row's field (OPT_FIELD) in ctx:
 * opt_flag     int = 1
 * opt_ptr      const char * = arg (argv outlives the options)
 * opt_str      char[size] = a copy of arg (1..size-1 bytes)
 * opt_int      int in [min, max] (a decimal integer)
 * opt_long     long in [min, max]
 * opt_seconds  double seconds in [min, max] (cfg_seconds' syntax)
 * opt_stop     int = the row's letter, then OPT_STOP: the caller prints
 *              its usage (-h) or version (-V) and exits */
int opt_flag(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err);
int opt_ptr(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err);
int opt_str(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err);
int opt_int(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err);
int opt_long(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err);
int opt_seconds(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err);
int opt_stop(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err);

/* The row's name for messages: its flag, else "-" and its letter (buf
 * holds 3 bytes at least). */
const char *opt_name(const struct opt_def *d, char *buf, size_t bufsz);

#endif
