/*
 * ibclog: what IBC's log says about the gateway's login, for the programs
 * that must tell "restarting" from "waiting for the operator's phone"
 * (health-mon, stack-init). From the API side a gateway waiting for
 * second-factor approval looks exactly like one restarting; only IBC's
 * log tells them apart.
 *
 * Two parts, both pure (no I/O, no clock reads: times are passed in):
 *  - the decoder: one log line -> one class (ibclog_decode);
 *  - the login tracker: a sequence of classes -> the login's state
 *    (ibclog_tracker_*).
 *
 * Input is untrusted (a log file, a pipe from `docker logs -f`): any bytes,
 * any length; lines are matched case-insensitively on fixed substrings of
 * IBC 3.24.1 (IbcAlpha/IBC src/ibcalpha/ibc/LoginManager.java,
 * TooManyFailedLoginAttemptsDialogHandler.java,
 * ExistingSessionDetectedDialogHandler.java, LoginErrorDialogHandler.java,
 * resources/scripts/ibcstart.sh). IBC prefixes its own lines with
 * "yyyy-MM-dd HH:mm:ss:SSS IBC: "; ibcstart.sh's lines have no prefix; both
 * are accepted, with or without the prefix, and with any leading text (a
 * `docker logs` or stack-init "name | " prefix). Unknown lines are
 * IBCLOG_NONE and change nothing.
 */
#ifndef GW_IBCLOG_H
#define GW_IBCLOG_H

#include <stddef.h>
#include <stdint.h>

enum ibclog_kind {
	IBCLOG_NONE = 0,		/* not a line we know: ignored */
	/* "Starting session: will exit if login dialog is not displayed"
	 * (a fresh start: a full login follows) */
	IBCLOG_SESSION_START,
	/* "Re-starting session" (an auto-restart: no login needed) */
	IBCLOG_SESSION_RESTART,
	/* "autorestart file found" (ibcstart.sh: no authentication needed) */
	IBCLOG_AUTORESTART_FOUND,
	/* "autorestart file not found: full authentication will be
	 * required" (ibcstart.sh) */
	IBCLOG_AUTORESTART_MISSING,
	/* "Login attempt: N" (attempt = N) */
	IBCLOG_LOGIN_ATTEMPT,
	/* "Second Factor Authentication initiated", "Login frame has now
	 * become SecondFactorAuthenticationDialog", "detected dialog
	 * entitled: Second Factor Authentication; event=Opened" */
	IBCLOG_TWOFA_STARTED,
	/* "Re-login after second factor authentication timeout in" (IBC
	 * logs in again: a new push to the phone) */
	IBCLOG_TWOFA_RELOGIN,
	/* "Re-login after second factor authentication timeout not
	 * required" (IBC stays at the login dialog: stuck until someone
	 * acts) */
	IBCLOG_TWOFA_TIMEOUT_STUCK,
	/* "IBC closing because login has not completed after Second Factor
	 * Authentication" (exit 1111 / status 87) */
	IBCLOG_TWOFA_EXIT,
	/* "Login has completed" */
	IBCLOG_LOGIN_COMPLETED,
	/* "Soft token=0 received instead of expected permanent", "security
	 * tokens associated with your login credentials have expired" (the
	 * weekly token is gone: the next login needs 2FA) */
	IBCLOG_TOKEN_EXPIRED,
	/* "Cold restart in progress", "IBC will cold-restart shortly",
	 * "Login dialog has been invalidated - initiate cold restart" */
	IBCLOG_COLD_RESTART,
	/* "Too many failed login attempts" (wait_s = the dialog's "wait M
	 * minutes & S seconds" when present, else 0). Not IBCLOG_LOCKED_OUT:
	 * that is the tracker's state below (one name in two enums would not
	 * compile) */
	IBCLOG_LOCKOUT,
	/* "Will re-login at" (after a lock-out wait) */
	IBCLOG_RELOGIN_SCHEDULED,
	/* another login with the same user, and this session waits for a
	 * person or ends: "User must choose whether to continue with this
	 * session", "...end this session and let the other ...", "could not
	 * handle 'Existing session detected'", "Trading Login Handoff
	 * dialog; error" (not the dialog's generic "detected dialog
	 * entitled" lines, nor "continue this one": IBC keeps this session) */
	IBCLOG_EXISTING_SESSION,
	/* "Login failed" dialog, "Unrecognized Username or Password",
	 * "Login error message:" (not the soft-token case) */
	IBCLOG_LOGIN_FAILED,
	IBCLOG_KIND_COUNT
};

struct ibclog_line {
	enum ibclog_kind kind;
	int attempt;		/* IBCLOG_LOGIN_ATTEMPT: N; else 0 */
	long wait_s;		/* IBCLOG_LOCKOUT: the wait in s, else 0 */
};

/*
 * Classify one line (without its newline; len bytes, NUL bytes allowed,
 * any length: only the first 4096 bytes are looked at). Fills *out and
 * returns out->kind. Never fails.
 */
enum ibclog_kind ibclog_decode(const char *line, size_t len,
    struct ibclog_line *out);

/* "two_fa_started", ... (lower case, for events and tests); "none". */
const char *ibclog_kind_name(enum ibclog_kind k);

/*
 * The login tracker: the login's state as IBC's log shows it.
 *
 *   IDLE          nothing seen yet, or logged in (LOGIN_COMPLETED)
 *   LOGGING_IN    a session start / attempt without 2FA so far
 *   AWAITING_2FA  2FA initiated: a push is on the operator's phone;
 *                 deadline_ms = since + 2FA window (IBKR's ~180 s)
 *   STUCK         2FA timed out and IBC will not re-login (or exited
 *                 after 2FA): nothing happens until someone acts
 *   LOCKED_OUT    too many failed logins: deadline_ms = since + wait
 *                 (0: the wait is unknown)
 *   COMPETING     another session with the same user was detected
 *
 * attempts counts 2FA pushes since the last completed login: it grows by
 * one on each TWOFA_STARTED that begins a new push (outside AWAITING_2FA,
 * or the first after a TWOFA_RELOGIN / LOGIN_ATTEMPT inside it), so a
 * re-login after a timeout and its new push count once (attempt N+1);
 * expected is set by the caller for a planned login (weekly slot or an
 * operator's `ctl login`) and cleared by LOGIN_COMPLETED; cold is set by
 * TOKEN_EXPIRED / COLD_RESTART / AUTORESTART_MISSING / SESSION_START
 * and cleared by LOGIN_COMPLETED (this login needs the second factor).
 */
enum ibclog_state {
	IBCLOG_IDLE = 0,
	IBCLOG_LOGGING_IN,
	IBCLOG_AWAITING_2FA,
	IBCLOG_STUCK,
	IBCLOG_LOCKED_OUT,
	IBCLOG_COMPETING,
};

struct ibclog_tracker {
	enum ibclog_state state;
	int64_t since_ms;	/* when this state began (caller's clock) */
	int64_t deadline_ms;	/* AWAITING_2FA: approval deadline; LOCKED_OUT:
				 * end of the wait; else 0 */
	int attempts;		/* 2FA pushes since the last completed login */
	int cold;		/* the login under way needs the second factor */
	int expected;		/* the caller planned this login */
	int64_t completed_ms;	/* the last LOGIN_COMPLETED, 0: never */
	double twofa_window_s;	/* approval window (180) */
	int repush;		/* AWAITING_2FA: a re-login is under way, the
				 * next TWOFA_STARTED is a new push */
};

/* A tracker in IDLE with a 2FA window of twofa_window_s seconds (<= 0:
 * 180, IBKR's). */
void ibclog_tracker_init(struct ibclog_tracker *t, double twofa_window_s);

/*
 * Feed one decoded line seen at now_ms. Returns 1 when the state, the
 * attempt count, cold or deadline_ms changed, else 0. IBCLOG_NONE changes
 * nothing. The transition table is in lib/ibclog.c's opening comment.
 */
int ibclog_tracker_feed(struct ibclog_tracker *t, const struct ibclog_line *l,
    int64_t now_ms);

/* The caller plans a login (weekly slot, `ctl login`): expected = 1. */
void ibclog_tracker_expect(struct ibclog_tracker *t, int64_t now_ms);

/* A login is pending: the gateway must not be restarted or killed
 * (AWAITING_2FA, or LOCKED_OUT before deadline_ms). */
int ibclog_tracker_pending(const struct ibclog_tracker *t, int64_t now_ms);

/* "idle", "logging_in", "awaiting_2fa", "stuck", "locked_out", "competing". */
const char *ibclog_state_name(enum ibclog_state s);

#endif
