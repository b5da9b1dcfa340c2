/*
 * ibclog: IBC's log lines -> login events -> the login's state.
 *
 * Input is untrusted (a log file on a shared volume, `docker logs -f`): any
 * bytes, any length. The decoder looks at the first IBCLOG_SCAN bytes of a
 * line only, lower-cases them into a stack buffer and searches fixed
 * lower-case substrings of IBC 3.24.1's lines (IbcAlpha/IBC
 * src/ibcalpha/ibc/LoginManager.java, AbstractLoginHandler.java,
 * SessionManager.java, LoginErrorDialogHandler.java,
 * LoginFailedDialogHandler.java, TooManyFailedLoginAttemptsDialogHandler.java,
 * ExistingSessionDetectedDialogHandler.java,
 * TradingLoginHandoffDialogHandler.java, resources/scripts/ibcstart.sh).
 * Substrings, not anchored patterns: whatever precedes them (IBC's
 * "yyyy-MM-dd HH:mm:ss:SSS IBC: ", a `docker logs` or "name | " prefix, or
 * nothing for ibcstart.sh's echo lines and for the bare continuation line of
 * a "Login error message:") does not matter. Order matters where one line
 * contains another's substring; the table in decode_table says why.
 *
 * The tracker is a pure state machine over decoded lines; times come from
 * the caller. Transitions ("*" = any state; cold, attempts, expected as in
 * lib/ibclog.h; W = the 2FA window; since_ms is set whenever the state
 * changes, and for a new 2FA push):
 *
 *   line                 from            to            effect
 *   -------------------- --------------- ------------- ---------------------
 *   SESSION_START,       *               LOGGING_IN    cold = 1 (a full login
 *   AUTORESTART_MISSING,                               with 2FA follows);
 *   TOKEN_EXPIRED,                                     repush = 0
 *   COLD_RESTART
 *   SESSION_RESTART,     *               LOGGING_IN    cold unchanged;
 *   AUTORESTART_FOUND                                  repush = 0
 *   LOGIN_ATTEMPT        AWAITING_2FA    AWAITING_2FA  repush = 1 (the next
 *                                                      TWOFA_STARTED is a new
 *                                                      push)
 *                        LOGGING_IN      LOGGING_IN    -
 *                        other           LOGGING_IN    -
 *   TWOFA_STARTED        AWAITING_2FA,   AWAITING_2FA  nothing: the same push
 *                        repush == 0                   (IBC names one push in
 *                                                      up to three lines)
 *                        AWAITING_2FA,   AWAITING_2FA  attempts + 1,
 *                        repush == 1                   deadline = now + W,
 *                                                      repush = 0
 *                        other           AWAITING_2FA  attempts + 1,
 *                                                      deadline = now + W
 *   TWOFA_RELOGIN        AWAITING_2FA    AWAITING_2FA  repush = 1, deadline =
 *                                                      now + W (provisional:
 *                                                      the next TWOFA_STARTED
 *                                                      sets its own)
 *                        other           AWAITING_2FA  the same, and attempts
 *                                                      at least 1 (the timed-
 *                                                      out push we missed)
 *   TWOFA_TIMEOUT_STUCK, *               STUCK         deadline = 0
 *   TWOFA_EXIT
 *   LOGIN_COMPLETED      *               IDLE          completed_ms = now;
 *                                                      attempts, cold,
 *                                                      expected, deadline = 0
 *   LOCKOUT              *               LOCKED_OUT    deadline = now +
 *                                                      wait_s (0: unknown)
 *   RELOGIN_SCHEDULED    LOCKED_OUT      LOCKED_OUT    -
 *                        other           LOCKED_OUT    deadline = 0 (the wait
 *                                                      line was missed)
 *   EXISTING_SESSION     *               COMPETING     deadline = 0
 *   LOGIN_FAILED         LOCKED_OUT,     LOCKED_OUT    - (part of the lock-
 *                        now < deadline                out)
 *                        other           LOGGING_IN    repush = 0 (IBC cold-
 *                                                      restarts: a retry
 *                                                      follows)
 *   NONE                 *               -             -
 *
 * So attempts increments exactly on a TWOFA_STARTED that begins a new push:
 * one outside AWAITING_2FA, or the first one after a TWOFA_RELOGIN or a
 * LOGIN_ATTEMPT inside AWAITING_2FA. "Re-login after ... timeout in 5
 * second", "Login attempt: 2", "Second Factor Authentication initiated"
 * therefore count once (attempts 1 -> 2). A session (re)start leaves
 * AWAITING_2FA for LOGGING_IN, and the next push counts from there.
 */
#include <string.h>

#include "ibclog.h"

#define IBCLOG_SCAN 4096	/* bytes of a line looked at */
#define IBCLOG_NUM_MAX 10000000L	/* caps every number read */
#define IBCLOG_WINDOW_MAX (366.0 * 86400)	/* caps the 2FA window */

struct pattern {
	const char *s;		/* lower case */
	enum ibclog_kind kind;
};

/*
 * First match wins. Lines that contain another class's substring come
 * first: "Too many failed login attempts" before "login attempt:", the
 * soft-token continuation "Login failed - Soft token=0 ..." before "login
 * failed", "... timeout not required" before "... timeout in", "IBC closing
 * because login has not completed after Second Factor Authentication"
 * before the 2FA lines. Lines that must stay NONE despite containing a
 * class's substring are in the skip table below.
 */
static const struct pattern decode_table[] = {
	/* TooManyFailedLoginAttemptsDialogHandler.java: the dialog's text */
	{ "too many failed login attempts", IBCLOG_LOCKOUT },
	/* ... ":62 Will re-login at <ts>; login number: <n>" */
	{ "will re-login at", IBCLOG_RELOGIN_SCHEDULED },
	/* LoginManager.java:144 / :150 */
	{ "re-login after second factor authentication timeout not required",
	  IBCLOG_TWOFA_TIMEOUT_STUCK },
	{ "re-login after second factor authentication timeout in",
	  IBCLOG_TWOFA_RELOGIN },
	/* LoginManager.java:139 (logError, then exit 1111) */
	{ "ibc closing because login has not completed after second factor",
	  IBCLOG_TWOFA_EXIT },
	/* LoginManager.java:85; AbstractLoginHandler.java:132; the generic
	 * window line (TwsListener.java) for the dialog
	 * SecondFactorAuthenticationDialogHandler.java recognises */
	{ "second factor authentication initiated", IBCLOG_TWOFA_STARTED },
	{ "login frame has now become secondfactorauthenticationdialog",
	  IBCLOG_TWOFA_STARTED },
	{ "entitled: second factor authentication; event=opened",
	  IBCLOG_TWOFA_STARTED },
	{ "entitled: security code card authentication; event=opened",
	  IBCLOG_TWOFA_STARTED },
	/* the Login Error dialog's text (IBC issue #236; IBKR Campus), and
	 * newer gateways' wording (heshiming/ibga#34, unverified) */
	{ "soft token=0 received instead of expected permanent",
	  IBCLOG_TOKEN_EXPIRED },
	{ "security tokens associated with your login credentials have expired",
	  IBCLOG_TOKEN_EXPIRED },
	/* LoginManager.java:92 */
	{ "login has completed", IBCLOG_LOGIN_COMPLETED },
	/* LoginErrorDialogHandler.java, LoginFailedDialogHandler.java,
	 * GatewayDialogHandler.java, AbstractLoginHandler.java:190,
	 * ibcstart.sh's loop */
	{ "cold restart in progress", IBCLOG_COLD_RESTART },
	{ "will cold-restart shortly", IBCLOG_COLD_RESTART },
	{ "login dialog has been invalidated", IBCLOG_COLD_RESTART },
	/* SessionManager.java:63 and the -Drestart branch */
	{ "starting session: will exit if login dialog is not displayed",
	  IBCLOG_SESSION_START },
	{ "re-starting session", IBCLOG_SESSION_RESTART },
	/* ibcstart.sh:404 / :377 */
	{ "autorestart file not found", IBCLOG_AUTORESTART_MISSING },
	{ "autorestart file found", IBCLOG_AUTORESTART_FOUND },
	/* AbstractLoginHandler.java:83 */
	{ "login attempt:", IBCLOG_LOGIN_ATTEMPT },
	/* ExistingSessionDetectedDialogHandler.java: the lines after which
	 * this session waits for a person (scenario 1) or ends (2, 4, 6);
	 * "continue this one" (3, 5) is not competition we lose, and the
	 * dialog's generic "detected dialog entitled" lines (Opened, then
	 * Activated, Closed ...) precede either outcome, so neither is a
	 * class. TradingLoginHandoffDialogHandler.java's error lines exit
	 * IBC (1110). */
	{ "user must choose whether to continue with this session",
	  IBCLOG_EXISTING_SESSION },
	{ "end this session and let the other", IBCLOG_EXISTING_SESSION },
	{ "could not handle 'existing session detected'",
	  IBCLOG_EXISTING_SESSION },
	{ "trading login handoff dialog; error", IBCLOG_EXISTING_SESSION },
	/* LoginFailedDialogHandler.java:41, LoginErrorDialogHandler.java:39,
	 * the Gateway's wrong-credentials text */
	{ "login error message:", IBCLOG_LOGIN_FAILED },
	{ "unrecognized username or password", IBCLOG_LOGIN_FAILED },
	{ "login failed", IBCLOG_LOGIN_FAILED },
};

/*
 * Lines that contain a class's substring but are not that event: StopTask's
 * "Login has completed: exiting via [File, Close] menu" (a shutdown, not a
 * login), ibcstart.sh's "WARNING: deleting extra autorestart file found
 * at" (housekeeping before the real "found"/"not found" line).
 */
static const char *const skip_table[] = {
	"login has completed: exiting",
	"deleting extra autorestart file",
};

static const char *const kind_names[IBCLOG_KIND_COUNT] = {
	[IBCLOG_NONE] = "none",
	[IBCLOG_SESSION_START] = "session_start",
	[IBCLOG_SESSION_RESTART] = "session_restart",
	[IBCLOG_AUTORESTART_FOUND] = "autorestart_found",
	[IBCLOG_AUTORESTART_MISSING] = "autorestart_missing",
	[IBCLOG_LOGIN_ATTEMPT] = "login_attempt",
	[IBCLOG_TWOFA_STARTED] = "two_fa_started",
	[IBCLOG_TWOFA_RELOGIN] = "two_fa_relogin",
	[IBCLOG_TWOFA_TIMEOUT_STUCK] = "two_fa_timeout_stuck",
	[IBCLOG_TWOFA_EXIT] = "two_fa_exit",
	[IBCLOG_LOGIN_COMPLETED] = "login_completed",
	[IBCLOG_TOKEN_EXPIRED] = "token_expired",
	[IBCLOG_COLD_RESTART] = "cold_restart",
	[IBCLOG_LOCKOUT] = "lockout",
	[IBCLOG_RELOGIN_SCHEDULED] = "relogin_scheduled",
	[IBCLOG_EXISTING_SESSION] = "existing_session",
	[IBCLOG_LOGIN_FAILED] = "login_failed",
};

static const char *const state_names[] = {
	[IBCLOG_IDLE] = "idle",
	[IBCLOG_LOGGING_IN] = "logging_in",
	[IBCLOG_AWAITING_2FA] = "awaiting_2fa",
	[IBCLOG_STUCK] = "stuck",
	[IBCLOG_LOCKED_OUT] = "locked_out",
	[IBCLOG_COMPETING] = "competing",
};

/* Where needle (lower case, NUL-terminated) starts in lo[0..n), or NULL. */
static const char *
find(const char *lo, size_t n, const char *needle)
{
	return memmem(lo, n, needle, strlen(needle));
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Skip spaces at *p, read a decimal number capped at IBCLOG_NUM_MAX;
 * -1 when there is no digit. */
static long
read_num(const char **p, const char *end)
{
	const char *s = *p;
	long v = 0;

	while (s < end && *s == ' ')
		s++;
	if (s == end || !is_digit(*s))
		return -1;
	while (s < end && is_digit(*s)) {
		v = v * 10 + (*s - '0');
		if (v > IBCLOG_NUM_MAX)
			v = IBCLOG_NUM_MAX;
		s++;
	}
	*p = s;
	return v;
}

/* Seconds per unit for the word at *p ("hour", "minute", "second", any
 * plural), advancing past it; 0 when there is none. */
static long
read_unit(const char **p, const char *end)
{
	static const struct {
		const char *w;
		long s;
	} units[] = { { "hour", 3600 }, { "minute", 60 }, { "second", 1 },
		{ "min", 60 }, { "sec", 1 } };
	const char *s = *p;
	size_t i, n;

	while (s < end && *s == ' ')
		s++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = strlen(units[i].w);
		if ((size_t)(end - s) >= n && memcmp(s, units[i].w, n) == 0) {
			s += n;
			while (s < end && *s >= 'a' && *s <= 'z')
				s++;	/* plural "s" */
			*p = s;
			return units[i].s;
		}
	}
	return 0;
}

/*
 * The lock-out wait in "Please wait 4 minutes & 47 seconds before ...",
 * "wait 30 seconds", "wait 5 minutes" (lower-cased): the sum of up to three
 * "N unit" terms joined by "&", "and" or ",". The dialog's value; IBC adds
 * 3 s itself (TooManyFailedLoginAttemptsDialogHandler.java), we report what
 * the dialog said.
 */
static long
lockout_wait(const char *lo, size_t n)
{
	const char *end = lo + n, *p = find(lo, n, "wait ");
	long total = 0, v, u;
	int terms;

	if (p == NULL)
		return 0;
	p += 5;
	for (terms = 0; terms < 3; terms++) {
		if ((v = read_num(&p, end)) < 0 || (u = read_unit(&p, end)) == 0)
			break;
		total += v * u;
		if (total > IBCLOG_NUM_MAX)
			total = IBCLOG_NUM_MAX;
		while (p < end && (*p == ' ' || *p == ','))
			p++;
		if (p < end && *p == '&')
			p++;
		else if ((size_t)(end - p) >= 3 && memcmp(p, "and", 3) == 0)
			p += 3;
	}
	return total;
}

enum ibclog_kind
ibclog_decode(const char *line, size_t len, struct ibclog_line *out)
{
	char lo[IBCLOG_SCAN];
	const char *hit = NULL, *p;
	size_t n = len < sizeof(lo) ? len : sizeof(lo), i;
	long v;

	out->kind = IBCLOG_NONE;
	out->attempt = 0;
	out->wait_s = 0;
	if (line == NULL)
		return IBCLOG_NONE;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		lo[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	for (i = 0; i < sizeof(skip_table) / sizeof(skip_table[0]); i++)
		if (find(lo, n, skip_table[i]) != NULL)
			return IBCLOG_NONE;
	for (i = 0; i < sizeof(decode_table) / sizeof(decode_table[0]); i++)
		if ((hit = find(lo, n, decode_table[i].s)) != NULL)
			break;
	if (hit == NULL)
		return IBCLOG_NONE;
	out->kind = decode_table[i].kind;
	switch (out->kind) {
	case IBCLOG_LOGIN_ATTEMPT:
		p = hit + strlen(decode_table[i].s);
		v = read_num(&p, lo + n);
		out->attempt = v < 0 ? 0 : (int)v;
		break;
	case IBCLOG_LOCKOUT:
		out->wait_s = lockout_wait(hit, (size_t)(lo + n - hit));
		break;
	default:
		break;
	}
	return out->kind;
}

const char *
ibclog_kind_name(enum ibclog_kind k)
{
	if ((unsigned)k >= IBCLOG_KIND_COUNT)
		return "unknown";
	return kind_names[k];
}

const char *
ibclog_state_name(enum ibclog_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "unknown";
	return state_names[s];
}

/* a + b ms without overflow (the caller's clock is not ours to trust) */
static int64_t
add_ms(int64_t a, double b_ms)
{
	if (b_ms >= (double)INT64_MAX || (double)a >= (double)INT64_MAX - b_ms)
		return INT64_MAX;
	return a + (int64_t)b_ms;
}

void
ibclog_tracker_init(struct ibclog_tracker *t, double twofa_window_s)
{
	memset(t, 0, sizeof(*t));
	t->state = IBCLOG_IDLE;
	if (!(twofa_window_s > 0))	/* also NaN */
		twofa_window_s = 180;
	if (twofa_window_s > IBCLOG_WINDOW_MAX)
		twofa_window_s = IBCLOG_WINDOW_MAX;
	t->twofa_window_s = twofa_window_s;
}

static void
enter(struct ibclog_tracker *t, enum ibclog_state s, int64_t now_ms)
{
	if (t->state != s) {
		t->state = s;
		t->since_ms = now_ms;
	}
}

/* A new 2FA push at now_ms. */
static void
new_push(struct ibclog_tracker *t, int64_t now_ms)
{
	t->state = IBCLOG_AWAITING_2FA;
	t->since_ms = now_ms;
	t->deadline_ms = add_ms(now_ms, t->twofa_window_s * 1000);
	t->attempts++;
	t->repush = 0;
}

int
ibclog_tracker_feed(struct ibclog_tracker *t, const struct ibclog_line *l,
    int64_t now_ms)
{
	struct ibclog_tracker was = *t;

	switch (l->kind) {
	case IBCLOG_SESSION_START:
	case IBCLOG_AUTORESTART_MISSING:
	case IBCLOG_TOKEN_EXPIRED:
	case IBCLOG_COLD_RESTART:
		t->cold = 1;
		/* FALLTHROUGH */
	case IBCLOG_SESSION_RESTART:
	case IBCLOG_AUTORESTART_FOUND:
		enter(t, IBCLOG_LOGGING_IN, now_ms);
		t->deadline_ms = 0;
		t->repush = 0;
		break;
	case IBCLOG_LOGIN_ATTEMPT:
		if (t->state == IBCLOG_AWAITING_2FA)
			t->repush = 1;
		else {
			enter(t, IBCLOG_LOGGING_IN, now_ms);
			t->deadline_ms = 0;
		}
		break;
	case IBCLOG_TWOFA_STARTED:
		if (t->state != IBCLOG_AWAITING_2FA || t->repush)
			new_push(t, now_ms);
		break;
	case IBCLOG_TWOFA_RELOGIN:
		if (t->state != IBCLOG_AWAITING_2FA && t->attempts < 1)
			t->attempts = 1;
		enter(t, IBCLOG_AWAITING_2FA, now_ms);
		t->deadline_ms = add_ms(now_ms, t->twofa_window_s * 1000);
		t->repush = 1;
		break;
	case IBCLOG_TWOFA_TIMEOUT_STUCK:
	case IBCLOG_TWOFA_EXIT:
		enter(t, IBCLOG_STUCK, now_ms);
		t->deadline_ms = 0;
		t->repush = 0;
		break;
	case IBCLOG_LOGIN_COMPLETED:
		enter(t, IBCLOG_IDLE, now_ms);
		t->completed_ms = now_ms;
		t->deadline_ms = 0;
		t->attempts = 0;
		t->cold = 0;
		t->expected = 0;
		t->repush = 0;
		break;
	case IBCLOG_LOCKOUT:
		enter(t, IBCLOG_LOCKED_OUT, now_ms);
		t->deadline_ms = l->wait_s > 0 ?
		    add_ms(now_ms, (double)l->wait_s * 1000) : 0;
		t->repush = 0;
		break;
	case IBCLOG_RELOGIN_SCHEDULED:
		if (t->state != IBCLOG_LOCKED_OUT) {
			enter(t, IBCLOG_LOCKED_OUT, now_ms);
			t->deadline_ms = 0;
			t->repush = 0;
		}
		break;
	case IBCLOG_EXISTING_SESSION:
		enter(t, IBCLOG_COMPETING, now_ms);
		t->deadline_ms = 0;
		t->repush = 0;
		break;
	case IBCLOG_LOGIN_FAILED:
		if (t->state == IBCLOG_LOCKED_OUT && now_ms < t->deadline_ms)
			break;
		enter(t, IBCLOG_LOGGING_IN, now_ms);
		t->deadline_ms = 0;
		t->repush = 0;
		break;
	default:
		break;
	}
	return t->state != was.state || t->attempts != was.attempts ||
	    t->cold != was.cold || t->deadline_ms != was.deadline_ms;
}

void
ibclog_tracker_expect(struct ibclog_tracker *t, int64_t now_ms)
{
	(void)now_ms;
	t->expected = 1;
}

int
ibclog_tracker_pending(const struct ibclog_tracker *t, int64_t now_ms)
{
	if (t->state == IBCLOG_AWAITING_2FA)
		return 1;
	return t->state == IBCLOG_LOCKED_OUT && now_ms < t->deadline_ms;
}
