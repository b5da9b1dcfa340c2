/*
 * opt: the command line from one table per program (opt.h). argv is
 * untrusted: values are checked by the handlers, quoted when echoed.
 */
#include "opt.h"

#include <stdio.h>
#include <string.h>

#include "cfg.h"

/* getopt_long's value of a row: its letter, or OPT_LONG_BASE + its index
 * for a flag without one. */
#define OPT_LONG_BASE 256

static char *
field(void *ctx, const struct opt_def *d)
{
	return (char *)ctx + d->off;
}

const char *
opt_name(const struct opt_def *d, char *buf, size_t bufsz)
{
	if (d->flag != NULL)
		return d->flag;
	snprintf(buf, bufsz, "-%c", d->letter);
	return buf;
}

/* The row of getopt_long's value c; NULL for ':' and '?'. */
static const struct opt_def *
row(const struct opt_set *set, int c)
{
	size_t i;

	if (c >= OPT_LONG_BASE)
		return (size_t)(c - OPT_LONG_BASE) < set->n ?
		    &set->defs[c - OPT_LONG_BASE] : NULL;
	for (i = 0; c > 0 && c != ':' && c != '?' && i < set->n; i++)
		if (set->defs[i].letter == c)
			return &set->defs[i];
	return NULL;
}

/* Whether arg is a long option ("--name" or "--name=value", or GNU's
 * abbreviation of either) of a row whose getopt value is val. */
static int
long_named(const struct opt_set *set, const char *arg, int val)
{
	size_t i, len;

	if (strncmp(arg, "--", 2) != 0)
		return 0;
	len = strcspn(arg, "=");
	for (i = 0; i < set->n; i++) {
		const struct opt_def *d = &set->defs[i];

		if (d->flag != NULL && strlen(d->flag) >= len &&
		    strncmp(d->flag, arg, len) == 0 && (d->letter != 0 ?
		    d->letter : OPT_LONG_BASE + (int)i) == val)
			return 1;
	}
	return 0;
}

/* getopt_long returned ':' or '?' at the argument arg. */
static int
stopped(const struct opt_set *set, int c, const char *arg, struct gw_err *err)
{
	char q[GW_QUOTE_MAX];

	/* A letter inside a group ("-zv"): getopt has not moved optind past
	 * the group, so arg may be the argument before it; optopt names the
	 * letter. A long option sets optopt to its row's value (0 when it is
	 * unknown), and arg is that option. */
	int letter = optopt > 0 && optopt < 128 && optopt != '?' && optopt != ':' &&
	    !long_named(set, arg, optopt);

	gw_err_quote(q, sizeof(q), arg, strlen(arg));
	if (c == ':' && letter)
		return gw_err_set(err, "%s-%c: missing value", set->prefix, optopt);
	if (c == ':')
		return gw_err_set(err, "%s%s: missing value", set->prefix, q);
	if (letter)
		return gw_err_set(err, "%s%s-%c%s: unknown option (see %s)",
		    set->prefix, set->quote, optopt, set->quote, set->help);
	if (optopt > 0 && strchr(arg, '=') != NULL)
		return gw_err_set(err, "%s%s: this option takes no value",
		    set->prefix, q);
	return gw_err_set(err, "%s%s%s%s: unknown option (see %s)", set->prefix,
	    set->quote, q, set->quote, set->help);
}

int
opt_parse(int argc, char **argv, const struct opt_set *set, void *ctx,
    struct gw_err *err)
{
	struct option lo[OPT_MAX + 1];
	char shorts[4 + 2 * OPT_MAX];
	const struct opt_def *d;
	size_t i, k = 0, ns;
	int c;

	if (set->n > OPT_MAX)
		return gw_err_set(err, "internal: more than %d options", OPT_MAX);
	/* ':' first: a missing value is told from an unknown option */
	ns = (size_t)snprintf(shorts, sizeof(shorts), "%s:", set->order);
	for (i = 0; i < set->n; i++) {
		d = &set->defs[i];
		if (d->flag != NULL && strncmp(d->flag, "--", 2) == 0)
			lo[k++] = (struct option){ d->flag + 2, d->has_arg, NULL,
			    d->letter != 0 ? d->letter : OPT_LONG_BASE + (int)i };
		if (d->letter != 0) {
			shorts[ns++] = (char)d->letter;
			if (d->has_arg != no_argument)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	lo[k] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if ((d = row(set, c)) == NULL)
			return stopped(set, c, argv[optind - 1], err);
		switch (d->fn(ctx, d, optarg, err)) {
		case 0:
			break;
		case OPT_STOP:
			return OPT_STOP;
		default:
			return -1;
		}
	}
	return 0;
}

int
opt_flag(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	(void)arg;
	(void)err;
	*(int *)(void *)field(ctx, d) = 1;
	return 0;
}

int
opt_ptr(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	(void)err;
	*(const char **)(void *)field(ctx, d) = arg;
	return 0;
}

int
opt_str(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	char q[GW_QUOTE_MAX], nb[4];
	size_t len = strlen(arg);

	if (len == 0)
		return gw_err_set(err, "%s: empty value", opt_name(d, nb,
		    sizeof(nb)));
	if (len >= d->size) {
		gw_err_quote(q, sizeof(q), arg, len);
		return gw_err_set(err, "%s: '%s' is longer than %zu bytes",
		    opt_name(d, nb, sizeof(nb)), q, d->size - 1);
	}
	memcpy(field(ctx, d), arg, len + 1);
	return 0;
}

int
opt_long(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	char nb[4];

	return cfg_long(opt_name(d, nb, sizeof(nb)), arg, (long)d->min,
	    (long)d->max, (long *)(void *)field(ctx, d), err);
}

int
opt_int(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	char nb[4];
	long n;

	if (cfg_long(opt_name(d, nb, sizeof(nb)), arg, (long)d->min,
	    (long)d->max, &n, err) < 0)
		return -1;
	*(int *)(void *)field(ctx, d) = (int)n;
	return 0;
}

int
opt_seconds(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	char nb[4];

	return cfg_seconds(opt_name(d, nb, sizeof(nb)), arg, d->min, d->max,
	    (double *)(void *)field(ctx, d), err);
}

int
opt_stop(void *ctx, const struct opt_def *d, const char *arg,
    struct gw_err *err)
{
	(void)arg;
	(void)err;
	*(int *)(void *)field(ctx, d) = d->letter;
	return OPT_STOP;
}
