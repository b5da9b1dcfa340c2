/*
 * gameplan: decode and validate the day's plan (gameplan.h has the
 * format). The file is untrusted: an operator or a planning script writes
 * it, and a typo must give one clear line naming the key, never a crash
 * nor a plan that means something else. Parsed once with jansson, copied
 * into struct gameplan, the json_t dropped. Checks run in a fixed order
 * (unknown keys, date, strategy, hard_limits, symbols, optional fields,
 * then the date against today) so one input always gives one message.
 */
#include "gameplan.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "jsonval.h"

#define QUOTE_MAX 40		/* bytes of input a message may quote */
#define SYMBOL_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-/"

static const char *const top_keys[] = {
	"date", "strategy", "symbols", "hard_limits", "allow_outside_rth",
	"max_intents_per_minute", "flatten_at", "flatten_on_reconnect", NULL,
};
static const char *const limit_keys[] = {
	"max_daily_loss_pct", "max_single_position", "max_order_value",
	"max_open_orders", NULL,
};
static const char *const symbol_keys[] = { "symbol", "max_position", NULL };

/* "KEY: problem". */
static int __attribute__((format(printf, 3, 4)))
fail(struct gw_err *err, const char *key, const char *fmt, ...)
{
	char m[GW_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return gw_err_set(err, "%s: %s", key, m);
}

static int
wrong_type(struct gw_err *err, const char *key, const char *want,
    const json_t *v)
{
	return fail(err, key, "expected %s, got %s", want, jsonval_type_name(v));
}

/* After a JSON_STRICT json_unpack_ex over an object failed, the only cause
 * is a key outside names: name the first in file order (jansson's own
 * text lists them in hash order). where is "" at the top level. */
static int
unknown_key(struct gw_err *err, const char *where, const json_t *obj,
    const char *const *names)
{
	char q[QUOTE_MAX + 1];

	if (jsonval_unknown_key(obj, names, q, sizeof(q)) != NULL) {
		if (where[0] == '\0')
			return gw_err_set(err, "unknown key '%s'", q);
		return fail(err, where, "unknown key '%s'", q);
	}
	return gw_err_set(err, "%s%sunexpected content", where,
	    where[0] != '\0' ? ": " : "");
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
get_date(const json_t *v, char date[11], struct gw_err *err)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	char q[QUOTE_MAX + 1];
	const char *s;
	int y, m, d, i, dim;

	if (v == NULL)
		return fail(err, "date", "missing");
	if (!json_is_string(v))
		return wrong_type(err, "date", "a string", v);
	s = json_string_value(v);
	if (json_string_length(v) != 10)
		goto format;
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' :
		    (s[i] < '0' || s[i] > '9'))
			goto format;
	y = atoi(s);
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || y < 1)
		return fail(err, "date", "%s does not exist", s);
	dim = mdays[m - 1] + (m == 2 && is_leap(y));
	if (d < 1 || d > dim)
		return fail(err, "date", "%s does not exist", s);
	memcpy(date, s, 11);
	return 0;
format:
	return fail(err, "date", "'%s' is not YYYY-MM-DD",
	    jsonval_quote(q, QUOTE_MAX + 1, v));
}

static int
get_strategy(const json_t *v, enum gp_strategy *out, struct gw_err *err)
{
	char q[QUOTE_MAX + 1];
	const char *s;

	if (v == NULL)
		return fail(err, "strategy", "missing");
	if (!json_is_string(v))
		return wrong_type(err, "strategy", "a string", v);
	s = json_string_value(v);
	if (strcmp(s, "A") == 0)
		*out = GP_STRATEGY_A;
	else if (strcmp(s, "B") == 0)
		*out = GP_STRATEGY_B;
	else if (strcmp(s, "C") == 0)
		*out = GP_STRATEGY_C;
	else
		return fail(err, "strategy", "'%s' is not one of A, B, C",
		    jsonval_quote(q, QUOTE_MAX + 1, v));
	return 0;
}

/* An integer in min..max. */
static int
get_int(const char *key, const json_t *v, long min, long max, long *out,
    struct gw_err *err)
{
	json_int_t n;

	if (v == NULL)
		return fail(err, key, "missing");
	if (!json_is_integer(v))
		return wrong_type(err, key, "an integer", v);
	n = json_integer_value(v);
	if (n < min || n > max)
		return fail(err, key, "%" JSON_INTEGER_FORMAT " is not in %ld..%ld",
		    n, min, max);
	*out = (long)n;
	return 0;
}

static int
get_limits(const json_t *v, struct gameplan *gp, struct gw_err *err)
{
	json_t *loss = NULL, *pos = NULL, *val = NULL, *open = NULL;
	json_error_t jerr;
	double d;

	if (v == NULL)
		return fail(err, "hard_limits", "missing");
	if (!json_is_object(v))
		return wrong_type(err, "hard_limits", "an object", v);
	if (json_unpack_ex((json_t *)v, &jerr, JSON_STRICT, "{s?o, s?o, s?o, s?o}",
	    "max_daily_loss_pct", &loss, "max_single_position", &pos,
	    "max_order_value", &val, "max_open_orders", &open) < 0)
		return unknown_key(err, "hard_limits", v, limit_keys);
	if (loss == NULL)
		return fail(err, "hard_limits.max_daily_loss_pct", "missing");
	if (!json_is_number(loss))
		return wrong_type(err, "hard_limits.max_daily_loss_pct",
		    "a number", loss);
	d = json_number_value(loss);
	if (!(d > 0 && d <= 100))
		return fail(err, "hard_limits.max_daily_loss_pct",
		    "%g is not in (0, 100]", d);
	gp->max_daily_loss_pct = d;
	if (val != NULL) {
		if (!json_is_number(val))
			return wrong_type(err, "hard_limits.max_order_value",
			    "a number", val);
		d = json_number_value(val);
		if (!(d > 0 && d <= 1e12))
			return fail(err, "hard_limits.max_order_value",
			    "%g is not in (0, 1e12]", d);
		gp->max_order_value = d;
	}
	if (open != NULL && get_int("hard_limits.max_open_orders", open, 1,
	    10000, &gp->max_open_orders, err) < 0)
		return -1;
	return get_int("hard_limits.max_single_position", pos, 1,
	    GAMEPLAN_MAX_POSITION, &gp->max_single_position, err);
}

/* The text of a symbol: 1..GAMEPLAN_SYMBOL_MAX of SYMBOL_CHARS. */
static int
get_symbol_name(const char *key, const json_t *v, char *out,
    struct gw_err *err)
{
	char q[QUOTE_MAX + 1];
	size_t n;

	if (v == NULL)
		return fail(err, key, "missing");
	if (!json_is_string(v))
		return wrong_type(err, key, "a string", v);
	n = json_string_length(v);
	if (n == 0)
		return fail(err, key, "empty symbol");
	if (n > GAMEPLAN_SYMBOL_MAX)
		return fail(err, key, "'%s' is longer than %d bytes",
		    jsonval_quote(q, QUOTE_MAX + 1, v), GAMEPLAN_SYMBOL_MAX);
	if (strspn(json_string_value(v), SYMBOL_CHARS) != n)
		return fail(err, key, "'%s' is not upper-case A-Z 0-9 . - /",
		    jsonval_quote(q, QUOTE_MAX + 1, v));
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

static int
get_symbol(size_t i, const json_t *v, struct gameplan *gp, struct gw_err *err)
{
	struct gp_symbol *sym = &gp->symbols[i];
	json_t *name = NULL, *maxp = NULL;
	char key[48], sub[64];
	json_error_t jerr;
	size_t j;

	snprintf(key, sizeof(key), "symbols[%zu]", i);
	sym->max_position = gp->max_single_position;
	if (json_is_string(v)) {
		if (get_symbol_name(key, v, sym->name, err) < 0)
			return -1;
	} else if (json_is_object(v)) {
		if (json_unpack_ex((json_t *)v, &jerr, JSON_STRICT,
		    "{s?o, s?o}", "symbol", &name, "max_position", &maxp) < 0)
			return unknown_key(err, key, v, symbol_keys);
		snprintf(sub, sizeof(sub), "%s.symbol", key);
		if (get_symbol_name(sub, name, sym->name, err) < 0)
			return -1;
		snprintf(sub, sizeof(sub), "%s.max_position", key);
		if (maxp != NULL && get_int(sub, maxp, 1,
		    gp->max_single_position, &sym->max_position, err) < 0)
			return -1;
	} else {
		return wrong_type(err, key, "a string or an object", v);
	}
	for (j = 0; j < i; j++)
		if (strcmp(gp->symbols[j].name, sym->name) == 0)
			return fail(err, key, "'%s' is already symbols[%zu]",
			    sym->name, j);
	return 0;
}

static int
get_symbols(const json_t *v, struct gameplan *gp, struct gw_err *err)
{
	size_t i, n;

	if (v != NULL && !json_is_array(v))
		return wrong_type(err, "symbols", "an array", v);
	n = json_array_size(v);		/* 0 when absent */
	if (n == 0 && gp->strategy != GP_STRATEGY_C)
		return fail(err, "symbols", "none for strategy %s",
		    gameplan_strategy_name(gp->strategy));
	if (n > GAMEPLAN_MAX_SYMBOLS)
		return fail(err, "symbols", "more than %d", GAMEPLAN_MAX_SYMBOLS);
	for (i = 0; i < n; i++) {
		if (get_symbol(i, json_array_get(v, i), gp, err) < 0)
			return -1;
		gp->n_symbols = i + 1;
	}
	return 0;
}

/* "HH:MM", 00:00..23:59, into the minute of the day. */
static int
get_hhmm(const char *key, const json_t *v, int *out, struct gw_err *err)
{
	const char *t = json_is_string(v) ? json_string_value(v) : NULL;
	char q[QUOTE_MAX + 1];

	if (t == NULL)
		return wrong_type(err, key, "a time \"HH:MM\" (New York)", v);
	if (strlen(t) == 5 && t[2] == ':' && strspn(t, "0123456789:") == 5 &&
	    t[0] <= '2' && (t[0] < '2' || t[1] <= '3') && t[3] <= '5' &&
	    t[0] != ':' && t[1] != ':' && t[3] != ':' && t[4] != ':') {
		*out = ((t[0] - '0') * 10 + (t[1] - '0')) * 60 +
		    (t[3] - '0') * 10 + (t[4] - '0');
		return 0;
	}
	return fail(err, key, "'%s' is not a time HH:MM (New York)",
	    jsonval_quote(q, sizeof(q), v));
}

static int
decode(const json_t *root, const char *today, struct gameplan *gp,
    struct gw_err *err)
{
	json_t *date = NULL, *strategy = NULL, *symbols = NULL, *limits = NULL;
	json_t *rth = NULL, *rate = NULL, *fat = NULL, *frc = NULL;
	json_error_t jerr;

	if (!json_is_object(root))
		return gw_err_set(err, "expected a JSON object, got %s",
		    jsonval_type_name(root));
	if (json_unpack_ex((json_t *)root, &jerr, JSON_STRICT,
	    "{s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o}", "date", &date,
	    "strategy", &strategy, "symbols", &symbols, "hard_limits", &limits,
	    "allow_outside_rth", &rth, "max_intents_per_minute", &rate,
	    "flatten_at", &fat, "flatten_on_reconnect", &frc) < 0)
		return unknown_key(err, "", root, top_keys);
	if (get_date(date, gp->date, err) < 0 ||
	    get_strategy(strategy, &gp->strategy, err) < 0 ||
	    get_limits(limits, gp, err) < 0 ||
	    get_symbols(symbols, gp, err) < 0)
		return -1;
	if (rth != NULL) {
		if (!json_is_boolean(rth))
			return wrong_type(err, "allow_outside_rth",
			    "true or false", rth);
		gp->allow_outside_rth = json_is_true(rth);
	}
	gp->max_intents_per_minute = GAMEPLAN_DEFAULT_RATE;
	if (rate != NULL && get_int("max_intents_per_minute", rate, 1,
	    GAMEPLAN_MAX_RATE, &gp->max_intents_per_minute, err) < 0)
		return -1;
	if (fat != NULL && get_hhmm("flatten_at", fat, &gp->flatten_at_min,
	    err) < 0)
		return -1;
	gp->has_flatten_at = fat != NULL;
	if (frc != NULL) {
		if (!json_is_boolean(frc))
			return wrong_type(err, "flatten_on_reconnect",
			    "true or false", frc);
		gp->flatten_on_reconnect = json_is_true(frc);
	}
	/* last: a stale plan with a typo names the typo first */
	if (today != NULL && strcmp(gp->date, today) != 0)
		return fail(err, "date", "%s is not today in New York (%.10s)",
		    gp->date, today);
	return 0;
}

static void
empty_plan(struct gameplan *gp)
{
	memset(gp, 0, sizeof(*gp));
	gp->strategy = GP_STRATEGY_C;
	gp->max_intents_per_minute = GAMEPLAN_DEFAULT_RATE;
}

int
gameplan_parse(const char *buf, size_t len, const char *today,
    struct gameplan *gp, struct gw_err *err)
{
	char text[QUOTE_MAX * 3];
	json_error_t jerr;
	const char *nul;
	json_t *root;
	size_t i;
	int rc;

	empty_plan(gp);
	if (buf == NULL)
		len = 0;
	for (i = 0; i < len && strchr(" \t\r\n", buf[i]) != NULL; i++)
		;
	if (i == len)
		return gw_err_set(err, "empty");
	/* jansson would report it as the end of the input */
	if ((nul = memchr(buf, '\0', len)) != NULL)
		return gw_err_set(err, "NUL byte at offset %zu",
		    (size_t)(nul - buf));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (root == NULL) {
		/* jansson's own text names its API flag */
		if (json_error_code(&jerr) == json_error_null_character)
			snprintf(jerr.text, sizeof(jerr.text),
			    "\\u0000 is not allowed in a string");
		gw_err_quote(text, sizeof(text), jerr.text, strlen(jerr.text));
		return gw_err_set(err, "line %d, column %d: %s", jerr.line,
		    jerr.column, text);
	}
	rc = decode(root, today, gp, err);
	json_decref(root);
	if (rc < 0)
		empty_plan(gp);
	return rc;
}

int
gameplan_load(const char *path, const char *today, struct gameplan *gp,
    int *missing, struct gw_err *err)
{
	struct gw_err e;
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, rc = -1;

	empty_plan(gp);
	if (missing != NULL)
		*missing = 0;
	/* O_NONBLOCK: a FIFO put there must not hang start-up in open() */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT && missing != NULL)
			*missing = 1;
		return gw_err_set(err, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		gw_err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		gw_err_set(err, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > GAMEPLAN_MAX_BYTES)
		goto big;
	if ((buf = malloc(GAMEPLAN_MAX_BYTES + 1)) == NULL) {
		gw_err_set(err, "out of memory");
		goto out;
	}
	/* read one byte past the cap: the file may grow after fstat */
	while (n <= GAMEPLAN_MAX_BYTES) {
		r = read(fd, buf + n, GAMEPLAN_MAX_BYTES + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			gw_err_set(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > GAMEPLAN_MAX_BYTES)
		goto big;
	if ((rc = gameplan_parse(buf, n, today, gp, &e)) < 0)
		gw_err_set(err, "%s: %s", path, e.msg);
	goto out;
big:
	gw_err_set(err, "%s: larger than %d bytes", path, GAMEPLAN_MAX_BYTES);
out:
	free(buf);
	close(fd);
	return rc;
}

const char *
gameplan_strategy_name(enum gp_strategy s)
{
	switch (s) {
	case GP_STRATEGY_A:	return "A";
	case GP_STRATEGY_B:	return "B";
	case GP_STRATEGY_C:	return "C";
	}
	return "C";
}

const struct gp_symbol *
gameplan_symbol(const struct gameplan *gp, const char *name)
{
	size_t i;

	if (gp == NULL || name == NULL)
		return NULL;
	for (i = 0; i < gp->n_symbols; i++)
		if (strcmp(gp->symbols[i].name, name) == 0)
			return &gp->symbols[i];
	return NULL;
}

/* The fewest significant digits (%g) that read back as d: 2 prints as
 * "2.0", not "2.0000000000000000". */
char *
gameplan_json(const struct gameplan *gp)
{
	json_t *o, *syms, *s;
	char *out = NULL;
	size_t i, n, flags;
	int ok, prec;

	o = json_pack("{s:s, s:s, s:[], s:{s:f, s:I}, s:b, s:I}",
	    "date", gp->date, "strategy", gameplan_strategy_name(gp->strategy),
	    "symbols", "hard_limits",
	    "max_daily_loss_pct", gp->max_daily_loss_pct,
	    "max_single_position", (json_int_t)gp->max_single_position,
	    "allow_outside_rth", gp->allow_outside_rth != 0,
	    "max_intents_per_minute", (json_int_t)gp->max_intents_per_minute);
	if (o == NULL)
		return NULL;
	if (gp->has_flatten_at) {
		char t[8];

		snprintf(t, sizeof(t), "%02d:%02d", gp->flatten_at_min / 60 % 24,
		    gp->flatten_at_min % 60);
		json_object_set_new(o, "flatten_at", json_string(t));
	}
	if (gp->flatten_on_reconnect)
		json_object_set_new(o, "flatten_on_reconnect", json_true());
	if (gp->max_order_value > 0)
		json_object_set_new(json_object_get(o, "hard_limits"),
		    "max_order_value", json_real(gp->max_order_value));
	if (gp->max_open_orders > 0)
		json_object_set_new(json_object_get(o, "hard_limits"),
		    "max_open_orders", json_integer(gp->max_open_orders));
	syms = json_object_get(o, "symbols");
	ok = 1;
	for (i = 0; ok && i < gp->n_symbols && i < GAMEPLAN_MAX_SYMBOLS; i++) {
		s = json_pack("{s:s, s:I}", "symbol", gp->symbols[i].name,
		    "max_position", (json_int_t)gp->symbols[i].max_position);
		ok = s != NULL && json_array_append_new(syms, s) == 0;
	}
	prec = jsonval_real_precision(gp->max_daily_loss_pct);
	if (gp->max_order_value > 0 &&
	    jsonval_real_precision(gp->max_order_value) > prec)
		prec = jsonval_real_precision(gp->max_order_value);
	flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(prec);
	if (ok && (n = json_dumpb(o, NULL, 0, flags)) > 0 &&
	    (out = malloc(n + 1)) != NULL) {
		json_dumpb(o, out, n, flags);
		out[n] = '\0';
	}
	json_decref(o);
	return out;
}
