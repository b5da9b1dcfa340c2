/* Unit tests for lib/ibclog: IBC 3.24.1's log lines (real shapes, from
 * IbcAlpha/IBC's sources and issues) and the login tracker's scenarios. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ibclog.h"

struct sample {
	const char *line;
	enum ibclog_kind kind;
	int attempt;
	long wait_s;
};

/* One real line per class (several for classes with more than one
 * wording). ibcstart.sh's lines have no IBC prefix in life; the decoder
 * must not care either way. */
static const struct sample samples[] = {
	{ "Starting session: will exit if login dialog is not displayed within 60 seconds",
	  IBCLOG_SESSION_START, 0, 0 },
	{ "Re-starting session", IBCLOG_SESSION_RESTART, 0, 0 },
	{ "autorestart file found at /home/ibgateway/Jts/abcdefgh/autorestart: authentication will not be required",
	  IBCLOG_AUTORESTART_FOUND, 0, 0 },
	{ "autorestart file not found: full authentication will be required",
	  IBCLOG_AUTORESTART_MISSING, 0, 0 },
	{ "Login attempt: 1", IBCLOG_LOGIN_ATTEMPT, 1, 0 },
	{ "Login attempt: 12", IBCLOG_LOGIN_ATTEMPT, 12, 0 },
	{ "Second Factor Authentication initiated", IBCLOG_TWOFA_STARTED, 0, 0 },
	{ "Login frame has now become SecondFactorAuthenticationDialog",
	  IBCLOG_TWOFA_STARTED, 0, 0 },
	{ "detected dialog entitled: Second Factor Authentication; event=Opened",
	  IBCLOG_TWOFA_STARTED, 0, 0 },
	{ "detected dialog entitled: Security Code Card Authentication; event=Opened",
	  IBCLOG_TWOFA_STARTED, 0, 0 },
	{ "Re-login after second factor authentication timeout in 5 second",
	  IBCLOG_TWOFA_RELOGIN, 0, 0 },
	{ "Re-login after second factor authentication timeout not required",
	  IBCLOG_TWOFA_TIMEOUT_STUCK, 0, 0 },
	{ "IBC closing because login has not completed after Second Factor Authentication",
	  IBCLOG_TWOFA_EXIT, 0, 0 },
	{ "Login has completed", IBCLOG_LOGIN_COMPLETED, 0, 0 },
	{ "Login failed - Soft token=0 received instead of expected permanent for ndc1.ibllc.com:4001 (SSL)",
	  IBCLOG_TOKEN_EXPIRED, 0, 0 },
	{ "Authorization failed: The security tokens associated with your login credentials have expired (routinely).",
	  IBCLOG_TOKEN_EXPIRED, 0, 0 },
	{ "Cold restart in progress", IBCLOG_COLD_RESTART, 0, 0 },
	{ "IBC will cold-restart shortly", IBCLOG_COLD_RESTART, 0, 0 },
	{ "Login dialog has been invalidated - initiate cold restart",
	  IBCLOG_COLD_RESTART, 0, 0 },
	{ "Too many failed login attempts. Please wait 4 minutes & 47 seconds before attempting to re-login again.",
	  IBCLOG_LOCKOUT, 0, 287 },
	{ "Too many failed login attempts. Please wait 30 seconds before attempting to re-login again.",
	  IBCLOG_LOCKOUT, 0, 30 },
	{ "Too many failed login attempts. Please wait 5 minutes before attempting to re-login again.",
	  IBCLOG_LOCKOUT, 0, 300 },
	{ "Too many failed login attempts. Please wait 1 minute & 1 second before attempting to re-login again.",
	  IBCLOG_LOCKOUT, 0, 61 },
	{ "Too many failed login attempts", IBCLOG_LOCKOUT, 0, 0 },
	{ "Will re-login at 2026-12-06 16:35:01:123; login number: 2",
	  IBCLOG_RELOGIN_SCHEDULED, 0, 0 },
	{ "User must choose whether to continue with this session (scenario 1)",
	  IBCLOG_EXISTING_SESSION, 0, 0 },
	{ "End this session and let the other session proceed (scenario 2)",
	  IBCLOG_EXISTING_SESSION, 0, 0 },
	{ "Other session must be primary or primary override, so end this session and let the other one proceed (scenario 4)",
	  IBCLOG_EXISTING_SESSION, 0, 0 },
	{ "Trading Login Handoff dialog; error: {}", IBCLOG_EXISTING_SESSION, 0, 0 },
	{ "Login error message:", IBCLOG_LOGIN_FAILED, 0, 0 },
	{ "Login failed", IBCLOG_LOGIN_FAILED, 0, 0 },
	{ "Unrecognized Username or Password", IBCLOG_LOGIN_FAILED, 0, 0 },
};

/* Lines that contain part of a class's text and must stay NONE. */
static const char *const near_misses[] = {
	"Waiting for Login frame to become SecondFactorAuthenticationDialog",
	"detected dialog entitled: Second Factor Authentication; event=Closed",
	"detected dialog entitled: Second Factor Authentication; event=Activated",
	"Duration since login: 181 seconds",
	"If login has not completed, IBC will exit in 60 seconds",
	"Login has already completed - no need for IBC to exit",
	"Login has not completed: exiting immediately",
	"Login has completed: exiting via [File, Close] menu",
	"Login has complete",
	"Second Factor Authentication",
	"WARNING: deleting extra autorestart file found at /root/Jts/x/autorestart",
	"Finding autorestart file",
	"detected dialog entitled: Existing session detected; event=Opened",
	"Don't know the type of the other session, so continue this one (scenario 3)",
	"Continue this session and let the other session exit (scenario 5)",
	"Trading Login Handoff dialog; {}",
	"Re-login to session",
	"Setting user name",
	"IBC returned exit status 0",
	"Click button: OK",
	"Login attempt",
	"",
};

static const char *const prefixes[] = {
	"",
	"2026-12-06 16:30:01:123 IBC: ",
	"gateway | 2026-12-06 16:30:01:123 IBC: ",
	"gateway | ",
};

static void
check(const char *line, size_t len, const struct sample *want)
{
	struct ibclog_line l;

	memset(&l, 0x5a, sizeof(l));
	if (ibclog_decode(line, len, &l) != want->kind || l.kind != want->kind ||
	    l.attempt != want->attempt || l.wait_s != want->wait_s)
		fail_msg("\"%.*s\": got %s attempt %d wait %ld, want %s %d %ld",
		    (int)len, line, ibclog_kind_name(l.kind), l.attempt,
		    l.wait_s, ibclog_kind_name(want->kind), want->attempt,
		    want->wait_s);
}

static void
recase(char *s, int upper)
{
	for (; *s != '\0'; s++)
		if (upper && *s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
		else if (!upper && *s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void
test_every_class(void **state)
{
	char buf[512];
	size_t i, p;
	int c;
	int seen[IBCLOG_KIND_COUNT] = { 0 };

	(void)state;
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		seen[samples[i].kind] = 1;
		for (p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
			for (c = 0; c < 3; c++) {
				snprintf(buf, sizeof(buf), "%s%s", prefixes[p],
				    samples[i].line);
				if (c > 0)
					recase(buf, c == 1);
				check(buf, strlen(buf), &samples[i]);
			}
	}
	for (i = 1; i < IBCLOG_KIND_COUNT; i++)
		if (!seen[i])
			fail_msg("no sample for %s", ibclog_kind_name((enum ibclog_kind)i));
}

static void
test_near_misses(void **state)
{
	static const struct sample none = { NULL, IBCLOG_NONE, 0, 0 };
	char buf[512];
	size_t i, p;

	(void)state;
	for (i = 0; i < sizeof(near_misses) / sizeof(near_misses[0]); i++)
		for (p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
			snprintf(buf, sizeof(buf), "%s%s", prefixes[p],
			    near_misses[i]);
			check(buf, strlen(buf), &none);
		}
}

/* Only the first 4096 bytes count; NUL bytes are bytes; len is obeyed. */
static void
test_window_and_bytes(void **state)
{
	static const struct sample done = { NULL, IBCLOG_LOGIN_COMPLETED, 0, 0 };
	static const struct sample none = { NULL, IBCLOG_NONE, 0, 0 };
	static const struct sample att = { NULL, IBCLOG_LOGIN_ATTEMPT, 7, 0 };
	static const char tail[] = "Login has completed";
	char buf[8192];
	struct ibclog_line l;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	memcpy(buf + 4096 - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	check(buf, sizeof(buf), &done);		/* ends at byte 4096 */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf + 4097 - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	check(buf, sizeof(buf), &none);		/* one byte past it */
	memcpy(buf, "\0\0\0", 3);
	memcpy(buf + 3, tail, sizeof(tail) - 1);
	check(buf, 3 + sizeof(tail) - 1, &done);
	check(buf, 3 + sizeof(tail) - 2, &none);	/* len cuts it */
	check("Login attempt: 7", 16, &att);
	check("Login attempt: 789", 16, &att);	/* the 8, 9 are beyond len */
	assert_int_equal(ibclog_decode(NULL, 0, &l), IBCLOG_NONE);
	/* a number far too large is capped, never overflows */
	assert_int_equal(ibclog_decode("Login attempt: 99999999999999999999999",
	    39, &l), IBCLOG_LOGIN_ATTEMPT);
	assert_true(l.attempt > 0);
	ibclog_decode("Too many failed login attempts. Please wait "
	    "99999999999999999 minutes & 9999999999 seconds", 90, &l);
	assert_int_equal(l.kind, IBCLOG_LOCKOUT);
	assert_true(l.wait_s > 0 && l.wait_s <= 10000000);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(ibclog_kind_name(IBCLOG_NONE), "none");
	assert_string_equal(ibclog_kind_name(IBCLOG_TWOFA_STARTED), "two_fa_started");
	assert_string_equal(ibclog_kind_name(IBCLOG_LOGIN_FAILED), "login_failed");
	assert_string_equal(ibclog_kind_name(IBCLOG_KIND_COUNT), "unknown");
	assert_string_equal(ibclog_state_name(IBCLOG_IDLE), "idle");
	assert_string_equal(ibclog_state_name(IBCLOG_AWAITING_2FA), "awaiting_2fa");
	assert_string_equal(ibclog_state_name(IBCLOG_COMPETING), "competing");
	assert_string_equal(ibclog_state_name((enum ibclog_state)99), "unknown");
}

/* Decode a line and feed it at now_s seconds; the feed's return. */
static int
feed(struct ibclog_tracker *t, const char *line, double now_s)
{
	struct ibclog_line l;

	ibclog_decode(line, strlen(line), &l);
	return ibclog_tracker_feed(t, &l, (int64_t)(now_s * 1000));
}

#define P "2026-12-06 16:30:01:123 IBC: "

static void
test_init(void **state)
{
	struct ibclog_tracker t;

	(void)state;
	ibclog_tracker_init(&t, 0);
	assert_true(t.twofa_window_s == 180);
	ibclog_tracker_init(&t, -5);
	assert_true(t.twofa_window_s == 180);
	ibclog_tracker_init(&t, NAN);
	assert_true(t.twofa_window_s == 180);
	ibclog_tracker_init(&t, 1e300);	/* capped, and deadlines don't wrap */
	assert_true(t.twofa_window_s <= 366.0 * 86400);
	ibclog_tracker_init(&t, 60);
	assert_int_equal(t.state, IBCLOG_IDLE);
	assert_true(t.twofa_window_s == 60);
	assert_int_equal(t.attempts + t.cold + t.expected, 0);
	assert_true(t.completed_ms == 0 && t.deadline_ms == 0);
	assert_int_equal(feed(&t, P "Setting user name", 1), 0);
	assert_int_equal(t.state, IBCLOG_IDLE);
	/* a clock at the end of time does not overflow the deadline */
	assert_int_equal(ibclog_tracker_feed(&t, &(struct ibclog_line){
	    IBCLOG_TWOFA_STARTED, 0, 0 }, INT64_MAX - 5), 1);
	assert_true(t.deadline_ms == INT64_MAX);
}

/* The weekly login: a planned cold start, 2FA approved within the window. */
static void
test_weekly_approved(void **state)
{
	struct ibclog_tracker t;

	(void)state;
	ibclog_tracker_init(&t, 180);
	ibclog_tracker_expect(&t, 0);
	assert_int_equal(t.expected, 1);
	assert_int_equal(feed(&t, "autorestart file not found: full authentication will be required", 1), 1);
	assert_int_equal(t.state, IBCLOG_LOGGING_IN);
	assert_int_equal(t.cold, 1);
	assert_true(t.since_ms == 1000);
	assert_int_equal(feed(&t, P "Starting session: will exit if login dialog is not displayed within 60 seconds", 2), 0);
	assert_int_equal(feed(&t, P "Login attempt: 1", 5), 0);
	assert_int_equal(t.state, IBCLOG_LOGGING_IN);
	assert_false(ibclog_tracker_pending(&t, 5000));
	assert_int_equal(feed(&t, P "Second Factor Authentication initiated", 10), 1);
	assert_int_equal(t.state, IBCLOG_AWAITING_2FA);
	assert_int_equal(t.attempts, 1);
	assert_true(t.since_ms == 10000 && t.deadline_ms == 190000);
	assert_true(ibclog_tracker_pending(&t, 11000));
	/* the same push named again: no change */
	assert_int_equal(feed(&t, P "detected dialog entitled: Second Factor Authentication; event=Opened", 11), 0);
	assert_int_equal(t.attempts, 1);
	assert_int_equal(feed(&t, P "Duration since login: 40 seconds", 50), 0);
	assert_int_equal(feed(&t, P "Login has completed", 60), 1);
	assert_int_equal(t.state, IBCLOG_IDLE);
	assert_true(t.completed_ms == 60000 && t.since_ms == 60000);
	assert_int_equal(t.attempts + t.cold + t.expected, 0);
	assert_true(t.deadline_ms == 0);
	assert_false(ibclog_tracker_pending(&t, 61000));
}

/* The push times out, IBC re-logs in (relogin enabled): attempt 2 counted
 * once over the re-login line, the attempt line and the new push. */
static void
test_missed_then_relogin(void **state)
{
	struct ibclog_tracker t;

	(void)state;
	ibclog_tracker_init(&t, 180);
	feed(&t, "autorestart file not found: full authentication will be required", 0);
	feed(&t, P "Starting session: will exit if login dialog is not displayed within 60 seconds", 1);
	feed(&t, P "Login attempt: 1", 5);
	feed(&t, P "Second Factor Authentication initiated", 10);
	assert_int_equal(t.attempts, 1);
	assert_int_equal(feed(&t, P "Duration since login: 181 seconds", 191), 0);
	assert_int_equal(feed(&t, P "Re-login after second factor authentication timeout in 5 second", 191), 1);
	assert_int_equal(t.state, IBCLOG_AWAITING_2FA);
	assert_int_equal(t.attempts, 1);
	assert_true(t.deadline_ms == 191000 + 180000);	/* provisional */
	assert_true(ibclog_tracker_pending(&t, 192000));
	assert_int_equal(feed(&t, P "Login attempt: 2", 196), 0);
	assert_int_equal(t.state, IBCLOG_AWAITING_2FA);
	assert_int_equal(feed(&t, P "Second Factor Authentication initiated", 197), 1);
	assert_int_equal(t.attempts, 2);
	assert_true(t.since_ms == 197000 && t.deadline_ms == 377000);
	assert_int_equal(feed(&t, P "Login frame has now become SecondFactorAuthenticationDialog", 197), 0);
	assert_int_equal(t.attempts, 2);
	/* a third push after another timeout */
	feed(&t, P "Re-login after second factor authentication timeout in 5 second", 378);
	feed(&t, P "Login attempt: 3", 383);
	feed(&t, P "detected dialog entitled: Second Factor Authentication; event=Opened", 384);
	feed(&t, P "Second Factor Authentication initiated", 384);
	assert_int_equal(t.attempts, 3);
	assert_int_equal(t.cold, 1);
	feed(&t, P "Login has completed", 400);
	assert_int_equal(t.state, IBCLOG_IDLE);
	assert_int_equal(t.attempts, 0);
}

/* Relogin disabled: IBC sits at the login dialog. Then the operator
 * restarts the gateway, and a new session starts. */
static void
test_stuck(void **state)
{
	struct ibclog_tracker t;

	(void)state;
	ibclog_tracker_init(&t, 180);
	feed(&t, "autorestart file not found: full authentication will be required", 0);
	feed(&t, P "Login attempt: 1", 5);
	feed(&t, P "Second Factor Authentication initiated", 10);
	feed(&t, P "Duration since login: 185 seconds", 195);
	assert_int_equal(feed(&t, P "Re-login after second factor authentication timeout not required", 195), 1);
	assert_int_equal(t.state, IBCLOG_STUCK);
	assert_true(t.since_ms == 195000 && t.deadline_ms == 0);
	assert_int_equal(t.attempts, 1);
	assert_false(ibclog_tracker_pending(&t, 196000));
	assert_int_equal(feed(&t, "autorestart file not found: full authentication will be required", 900), 1);
	assert_int_equal(t.state, IBCLOG_LOGGING_IN);
	feed(&t, P "Second Factor Authentication initiated", 910);
	assert_int_equal(t.attempts, 2);
	/* the 2FA dialog closed early and login never completed: IBC exits */
	assert_int_equal(feed(&t, P "IBC closing because login has not completed after Second Factor Authentication", 990), 1);
	assert_int_equal(t.state, IBCLOG_STUCK);
}

/* Too many failed logins: the dialog's wait, the scheduled re-login, and
 * the login attempt that ends the lock-out. */
static void
test_locked_out(void **state)
{
	struct ibclog_tracker t;

	(void)state;
	ibclog_tracker_init(&t, 180);
	feed(&t, P "Login attempt: 1", 0);
	assert_int_equal(feed(&t, P "Too many failed login attempts. Please wait 4 minutes & 47 seconds before attempting to re-login again.", 1), 1);
	assert_int_equal(t.state, IBCLOG_LOCKED_OUT);
	assert_true(t.since_ms == 1000 && t.deadline_ms == 288000);
	assert_true(ibclog_tracker_pending(&t, 287999));
	assert_false(ibclog_tracker_pending(&t, 288000));
	assert_int_equal(feed(&t, P "Will re-login at 2026-12-06 16:35:01:123; login number: 2", 1), 0);
	assert_int_equal(t.state, IBCLOG_LOCKED_OUT);
	assert_int_equal(feed(&t, P "Login failed", 2), 0);	/* part of it */
	assert_int_equal(t.state, IBCLOG_LOCKED_OUT);
	assert_int_equal(feed(&t, P "Login attempt: 2", 291), 1);
	assert_int_equal(t.state, IBCLOG_LOGGING_IN);
	/* a lock-out of unknown length is never "pending" */
	feed(&t, P "Too many failed login attempts", 300);
	assert_int_equal(t.state, IBCLOG_LOCKED_OUT);
	assert_true(t.deadline_ms == 0);
	assert_false(ibclog_tracker_pending(&t, 301000));
	/* after the wait a failure is a failure again */
	assert_int_equal(feed(&t, P "Login failed", 302), 1);
	assert_int_equal(t.state, IBCLOG_LOGGING_IN);
	/* the re-login line alone (the wait line missed) */
	assert_int_equal(feed(&t, P "Will re-login at 2026-12-06 16:45:01:123; login number: 3", 310), 1);
	assert_int_equal(t.state, IBCLOG_LOCKED_OUT);
}

/* Another session with the same user: manual action leaves the dialog up;
 * "continue this one" lines keep this session and change nothing. */
static void
test_competing(void **state)
{
	struct ibclog_tracker t;

	(void)state;
	ibclog_tracker_init(&t, 180);
	feed(&t, P "Login has completed", 5);
	assert_int_equal(feed(&t, P "detected dialog entitled: Existing session detected; event=Opened", 100), 0);
	assert_int_equal(feed(&t, P "Continue this session and let the other session exit (scenario 5)", 100), 0);
	assert_int_equal(t.state, IBCLOG_IDLE);
	assert_int_equal(feed(&t, P "detected dialog entitled: Existing session detected; event=Opened", 200), 0);
	assert_int_equal(feed(&t, P "User must choose whether to continue with this session (scenario 1)", 200), 1);
	assert_int_equal(t.state, IBCLOG_COMPETING);
	assert_true(t.since_ms == 200000);
	assert_false(ibclog_tracker_pending(&t, 201000));
	feed(&t, P "Second Factor Authentication initiated", 300);
	assert_int_equal(t.state, IBCLOG_AWAITING_2FA);
	assert_int_equal(t.attempts, 1);
	feed(&t, P "Login has completed", 320);
	assert_int_equal(t.state, IBCLOG_IDLE);
	assert_int_equal(feed(&t, P "End this session and let the other session proceed (scenario 2)", 400), 1);
	assert_int_equal(t.state, IBCLOG_COMPETING);
}

/* Mid-week the token is refused on an auto-restart: IBC shows the Login
 * Error dialog, cold-restarts, and the full login needs 2FA. */
static void
test_token_expired_cold_login(void **state)
{
	struct ibclog_tracker t;

	(void)state;
	ibclog_tracker_init(&t, 180);
	feed(&t, P "Login has completed", 1);
	assert_int_equal(feed(&t, "autorestart file found at /home/ibgateway/Jts/x/autorestart: authentication will not be required", 100), 1);
	assert_int_equal(t.state, IBCLOG_LOGGING_IN);
	assert_int_equal(t.cold, 0);
	assert_int_equal(feed(&t, P "Re-starting session", 101), 0);
	assert_int_equal(feed(&t, P "Login error message:", 130), 0);
	assert_int_equal(t.state, IBCLOG_LOGGING_IN);
	/* the dialog's text: a bare continuation line */
	assert_int_equal(feed(&t, "Login failed - Soft token=0 received instead of expected permanent for ndc1.ibllc.com:4001 (SSL)", 130), 1);
	assert_int_equal(t.cold, 1);
	assert_int_equal(feed(&t, P "Cold restart in progress", 130), 0);
	assert_int_equal(feed(&t, P "Click button: OK", 130), 0);
	assert_int_equal(feed(&t, P "Login has not completed: exiting immediately", 131), 0);
	assert_int_equal(feed(&t, "IBC returned exit status 0", 131), 0);
	assert_int_equal(feed(&t, "IBC will cold-restart shortly", 131), 0);
	assert_int_equal(feed(&t, "autorestart file not found: full authentication will be required", 133), 0);
	assert_int_equal(feed(&t, P "Starting session: will exit if login dialog is not displayed within 60 seconds", 135), 0);
	feed(&t, P "Login attempt: 1", 140);
	assert_int_equal(t.state, IBCLOG_LOGGING_IN);
	assert_int_equal(t.expected, 0);	/* nobody planned this one */
	assert_int_equal(feed(&t, P "Second Factor Authentication initiated", 141), 1);
	assert_int_equal(t.state, IBCLOG_AWAITING_2FA);
	assert_int_equal(t.attempts, 1);
	assert_int_equal(t.cold, 1);
	assert_int_equal(feed(&t, P "Login has completed", 170), 1);
	assert_int_equal(t.state, IBCLOG_IDLE);
	assert_int_equal(t.cold, 0);
	assert_true(t.completed_ms == 170000);
}

/* Put a tracker into state s at 1000 ms (attempts 1 where it applies). */
static void
into(struct ibclog_tracker *t, enum ibclog_state s)
{
	static const char *const how[] = {
		[IBCLOG_IDLE] = P "Login has completed",
		[IBCLOG_LOGGING_IN] = P "Re-starting session",
		[IBCLOG_AWAITING_2FA] = P "Second Factor Authentication initiated",
		[IBCLOG_STUCK] = P "Re-login after second factor authentication timeout not required",
		[IBCLOG_LOCKED_OUT] = P "Too many failed login attempts. Please wait 10 minutes before",
		[IBCLOG_COMPETING] = P "User must choose whether to continue with this session",
	};

	ibclog_tracker_init(t, 180);
	feed(t, how[s], 1);
	assert_int_equal(t->state, s);
}

/* The table's "*" rows, from every state. */
static void
test_from_every_state(void **state)
{
	struct ibclog_tracker t;
	int s;

	(void)state;
	for (s = IBCLOG_IDLE; s <= IBCLOG_COMPETING; s++) {
		into(&t, (enum ibclog_state)s);
		feed(&t, "IBC will cold-restart shortly", 2);
		assert_int_equal(t.state, IBCLOG_LOGGING_IN);
		assert_int_equal(t.cold, 1);
		assert_true(t.deadline_ms == 0);

		into(&t, (enum ibclog_state)s);
		feed(&t, P "Re-starting session", 2);
		assert_int_equal(t.state, IBCLOG_LOGGING_IN);
		assert_int_equal(t.cold, 0);

		into(&t, (enum ibclog_state)s);
		feed(&t, P "Re-login after second factor authentication timeout not required", 2);
		assert_int_equal(t.state, IBCLOG_STUCK);

		into(&t, (enum ibclog_state)s);
		feed(&t, "Second Factor Authentication initiated", 2);
		assert_int_equal(t.state, IBCLOG_AWAITING_2FA);
		assert_int_equal(t.attempts, 1);	/* once, from anywhere */

		into(&t, (enum ibclog_state)s);
		feed(&t, P "Re-login after second factor authentication timeout in 5 second", 2);
		assert_int_equal(t.state, IBCLOG_AWAITING_2FA);
		assert_int_equal(t.attempts, 1);
		feed(&t, P "Second Factor Authentication initiated", 8);
		assert_int_equal(t.attempts, 2);

		into(&t, (enum ibclog_state)s);
		feed(&t, "Login has completed", 2);
		assert_int_equal(t.state, IBCLOG_IDLE);
		assert_int_equal(t.attempts, 0);

		into(&t, (enum ibclog_state)s);
		feed(&t, "End this session and let the other session proceed", 2);
		assert_int_equal(t.state, IBCLOG_COMPETING);

		into(&t, (enum ibclog_state)s);
		feed(&t, "Too many failed login attempts. Please wait 30 seconds", 2);
		assert_int_equal(t.state, IBCLOG_LOCKED_OUT);
		assert_true(t.deadline_ms == 32000);

		into(&t, (enum ibclog_state)s);
		feed(&t, "Login attempt: 4", 2);
		assert_int_equal(t.state, s == IBCLOG_AWAITING_2FA ?
		    IBCLOG_AWAITING_2FA : IBCLOG_LOGGING_IN);

		into(&t, (enum ibclog_state)s);
		feed(&t, "Unrecognized Username or Password", 2);
		assert_int_equal(t.state, s == IBCLOG_LOCKED_OUT ?
		    IBCLOG_LOCKED_OUT : IBCLOG_LOGGING_IN);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_class),
		cmocka_unit_test(test_near_misses),
		cmocka_unit_test(test_window_and_bytes),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_weekly_approved),
		cmocka_unit_test(test_missed_then_relogin),
		cmocka_unit_test(test_stuck),
		cmocka_unit_test(test_locked_out),
		cmocka_unit_test(test_competing),
		cmocka_unit_test(test_token_expired_cold_login),
		cmocka_unit_test(test_from_every_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
