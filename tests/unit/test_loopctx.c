/* loopctx: the daemons' loop, resolver, log and signal events. */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "loopctx.h"

static int got_sig;

static void
on_sig(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	got_sig = (int)sig;
	/* arg: where the test keeps the loopctx (set once it exists) */
	event_base_loopexit(loopctx_base(*(struct loopctx **)arg), NULL);
}

static void
test_opens_and_delivers_a_signal(void **state)
{
	static const int sigs[] = { SIGUSR1, SIGUSR2 };
	static struct loopctx *self;
	struct gw_err e;
	struct loopctx *lc;
	struct timeval deadline = { 5, 0 };

	(void)state;
	lc = loopctx_new("test", GW_INFO, GW_LOG_JSON, sigs, 2, on_sig, &self, &e);
	assert_non_null(lc);
	self = lc;
	assert_non_null(loopctx_base(lc));
	assert_non_null(loopctx_dns(lc));
	assert_non_null(loopctx_log(lc));
	got_sig = 0;
	raise(SIGUSR2);
	event_base_loopexit(loopctx_base(lc), &deadline);	/* the bound */
	event_base_dispatch(loopctx_base(lc));
	assert_int_equal(got_sig, SIGUSR2);
	loopctx_free(lc);
	loopctx_free(NULL);
}

static void
test_too_many_signals(void **state)
{
	int sigs[9] = { 0 };
	struct gw_err e;

	(void)state;
	assert_null(loopctx_new("test", GW_INFO, GW_LOG_JSON, sigs, 9, on_sig,
	    NULL, &e));
	assert_non_null(strstr(e.msg, "more than 8 signals"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_and_delivers_a_signal),
		cmocka_unit_test(test_too_many_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
