/* Unit tests for lib/opt: the table, the generic handlers, and every
 * error wording, against getopt_long's real state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "opt.h"

struct o {
	int flag, n, count;
	long big;
	double secs;
	const char *name;
	char buf[8];
	const char *seen;
	int stop;
};

static int
count(void *ctx, const struct opt_def *d, const char *arg, struct gw_err *err)
{
	struct o *o = ctx;

	(void)d;
	(void)err;
	o->count++;
	o->seen = arg;
	return 0;
}

static int
refuse(void *ctx, const struct opt_def *d, const char *arg, struct gw_err *err)
{
	(void)ctx;
	return gw_err_set(err, "%s: '%s' is refused", d->flag, arg);
}

#define F(m) OPT_FIELD(struct o, m)
static const struct opt_def defs[] = {
	{ "--flag", 'f', no_argument, opt_flag, F(flag), 0, 0 },
	{ "--n", 0, required_argument, opt_int, F(n), 1, 10 },
	{ "--big", 0, required_argument, opt_long, F(big), 0, 1e9 },
	{ "--secs", 0, required_argument, opt_seconds, F(secs), 0.5, 60 },
	{ "--name", 0, required_argument, opt_ptr, F(name), 0, 0 },
	{ "--buf", 0, required_argument, opt_str, F(buf), 0, 0 },
	{ NULL, 'c', no_argument, count, 0, 0, 0, 0 },
	{ "--refuse", 'r', required_argument, refuse, 0, 0, 0, 0 },
	{ "--help", 'h', no_argument, opt_stop, F(stop), 0, 0 },
};
static const struct opt_set set = { "", "", "", "--help", defs,
    sizeof(defs) / sizeof(defs[0]) };
static const struct opt_set ctl = { "+", "ctl: ", "'", "x ctl --help", defs,
    sizeof(defs) / sizeof(defs[0]) };

/* Parse a NULL-terminated argv (argv[0] is the program). */
static int
parse(const struct opt_set *s, struct o *o, struct gw_err *e, ...)
{
	char *argv[16];
	va_list ap;
	int argc = 0;

	va_start(ap, e);
	argv[argc++] = (char *)"prog";
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	memset(o, 0, sizeof(*o));
	e->msg[0] = '\0';
	optind = 0;
	return opt_parse(argc, argv, s, o, e);
}

static void
test_values(void **state)
{
	struct gw_err e;
	struct o o;

	(void)state;
	assert_int_equal(parse(&set, &o, &e, "-f", "--n", "7", "--big=123456",
	    "--secs", "1.5", "--name", "x", "--buf", "abcdefg", "-cc", NULL), 0);
	assert_int_equal(o.flag, 1);
	assert_int_equal(o.n, 7);
	assert_int_equal(o.big, 123456);
	assert_true(o.secs > 1.49 && o.secs < 1.51);
	assert_string_equal(o.name, "x");
	assert_string_equal(o.buf, "abcdefg");
	assert_int_equal(o.count, 2);
	assert_null(o.seen);
}

/* opt_stop ends the parse at its row: what follows is not read. */
static void
test_stop(void **state)
{
	struct gw_err e;
	struct o o;

	(void)state;
	assert_int_equal(parse(&set, &o, &e, "-f", "--help", "--bogus", NULL),
	    OPT_STOP);
	assert_int_equal(o.stop, 'h');
	assert_int_equal(o.flag, 1);
	assert_int_equal(parse(&set, &o, &e, "-h", "--n", "99", NULL), OPT_STOP);
	assert_int_equal(o.n, 0);
	assert_int_equal(parse(&set, &o, &e, "--bogus", "--help", NULL), -1);
}

static void
test_operands(void **state)
{
	struct gw_err e;
	struct o o;

	(void)state;
	/* GNU order: options after words are taken, the word stays */
	assert_int_equal(parse(&set, &o, &e, "word", "-f", NULL), 0);
	assert_int_equal(o.flag, 1);
	assert_int_equal(optind, 2);
	/* "+": the first word ends the options */
	assert_int_equal(parse(&ctl, &o, &e, "word", "-f", NULL), 0);
	assert_int_equal(o.flag, 0);
	assert_int_equal(optind, 1);
}

static void
test_range_errors(void **state)
{
	struct gw_err e;
	struct o o;

	(void)state;
	assert_int_equal(parse(&set, &o, &e, "--n", "11", NULL), -1);
	assert_non_null(strstr(e.msg, "--n"));
	assert_int_equal(parse(&set, &o, &e, "--n", "x", NULL), -1);
	assert_non_null(strstr(e.msg, "--n"));
	assert_int_equal(parse(&set, &o, &e, "--secs", "0.1", NULL), -1);
	assert_non_null(strstr(e.msg, "--secs"));
	assert_int_equal(parse(&set, &o, &e, "--buf", "abcdefgh", NULL), -1);
	assert_string_equal(e.msg, "--buf: 'abcdefgh' is longer than 7 bytes");
	assert_int_equal(parse(&set, &o, &e, "--buf", "", NULL), -1);
	assert_string_equal(e.msg, "--buf: empty value");
	assert_int_equal(parse(&set, &o, &e, "-r", "v", NULL), -1);
	assert_string_equal(e.msg, "--refuse: 'v' is refused");
}

static void
test_usage_errors(void **state)
{
	struct gw_err e;
	struct o o;

	(void)state;
	assert_int_equal(parse(&set, &o, &e, "--n", NULL), -1);
	assert_string_equal(e.msg, "--n: missing value");
	assert_int_equal(parse(&set, &o, &e, "-r", NULL), -1);
	assert_string_equal(e.msg, "-r: missing value");
	assert_int_equal(parse(&set, &o, &e, "--nope", NULL), -1);
	assert_string_equal(e.msg, "--nope: unknown option (see --help)");
	assert_int_equal(parse(&set, &o, &e, "-x", NULL), -1);
	assert_string_equal(e.msg, "-x: unknown option (see --help)");
	assert_int_equal(parse(&set, &o, &e, "-fx", NULL), -1);
	assert_string_equal(e.msg, "-x: unknown option (see --help)");
	assert_int_equal(parse(&set, &o, &e, "--flag=1", NULL), -1);
	assert_string_equal(e.msg, "--flag=1: this option takes no value");
	/* a letter inside a group is named by itself, not by the argument
	 * getopt last moved past */
	assert_int_equal(parse(&set, &o, &e, "--flag", "-zf", NULL), -1);
	assert_string_equal(e.msg, "-z: unknown option (see --help)");
	assert_int_equal(parse(&set, &o, &e, "--n=5", "-zf", NULL), -1);
	assert_string_equal(e.msg, "-z: unknown option (see --help)");
	assert_int_equal(parse(&set, &o, &e, "-fr", NULL), -1);
	assert_string_equal(e.msg, "-r: missing value");
	assert_int_equal(parse(&set, &o, &e, "--refuse", NULL), -1);
	assert_string_equal(e.msg, "--refuse: missing value");
	assert_int_equal(parse(&set, &o, &e, "--fl", NULL), 0);	/* GNU: a prefix */
	assert_int_equal(parse(&set, &o, &e, "--fl=2", NULL), -1);
	assert_string_equal(e.msg, "--fl=2: this option takes no value");
	/* untrusted bytes are quoted */
	assert_int_equal(parse(&set, &o, &e, "--\x01\xff", NULL), -1);
	assert_string_equal(e.msg, "--??: unknown option (see --help)");
	/* a set's own prefix and quotes */
	assert_int_equal(parse(&ctl, &o, &e, "--nope", NULL), -1);
	assert_string_equal(e.msg, "ctl: '--nope': unknown option (see x ctl --help)");
	assert_int_equal(parse(&ctl, &o, &e, "-x", NULL), -1);
	assert_string_equal(e.msg, "ctl: '-x': unknown option (see x ctl --help)");
	assert_int_equal(parse(&ctl, &o, &e, "--n", NULL), -1);
	assert_string_equal(e.msg, "ctl: --n: missing value");
}

static void
test_too_many_rows(void **state)
{
	static struct opt_def many[OPT_MAX + 1];
	struct opt_set big = { "", "", "", "--help", many, OPT_MAX + 1 };
	struct gw_err e;
	struct o o;

	(void)state;
	assert_int_equal(parse(&big, &o, &e, NULL), -1);
	assert_non_null(strstr(e.msg, "more than"));
}

static void
test_name(void **state)
{
	char b[4];

	(void)state;
	assert_string_equal(opt_name(&defs[0], b, sizeof(b)), "--flag");
	assert_string_equal(opt_name(&defs[6], b, sizeof(b)), "-c");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_operands),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_range_errors),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_too_many_rows),
		cmocka_unit_test(test_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
