# shellcheck shell=bash
# A fake IBC log for integration tests: appends the exact lines IBC 3.24.1
# and its ibcstart.sh write (shapes from IbcAlpha/IBC LoginManager.java,
# AbstractLoginHandler.java, SessionManager.java, LoginErrorDialogHandler.java,
# TooManyFailedLoginAttemptsDialogHandler.java,
# ExistingSessionDetectedDialogHandler.java, StopTask.java and
# resources/scripts/ibcstart.sh), so health-mon and stack-init can be tested
# on what a real gateway's log shows. Source it from a .bats file:
#
#   load ibclog
#
# Every line goes to FILE with one write(2) in O_APPEND mode (one printf
# to >>FILE), so a follower never sees half of a line. IBC's own lines get
# "yyyy-MM-dd HH:mm:ss:SSS IBC: " with the current local time (IBC's
# Utils.java format: a colon before the milliseconds); ibcstart.sh's echo
# lines and a dialog's continuation line get no prefix. Set IBCLOG_PREFIX
# (e.g. "gateway | ") to put that in front of every line, as `docker logs`
# or stack-init's output capture would.
#
# Lines and steps (the caller triggers each step, and between steps waits
# for whatever its program should do; nothing here sleeps):
#
#   ibclog_line FILE TEXT        one IBC line: "<ts> IBC: TEXT"
#   ibclog_raw FILE TEXT         one line as is (ibcstart.sh, continuations)
#
#   ibclog_session_cold FILE     full start: autorestart file not found,
#                                "Starting session: will exit if login ..."
#   ibclog_session_restart FILE  auto-restart: autorestart file found,
#                                "Re-starting session"
#   ibclog_login_attempt FILE [N]   user name, password, "Login attempt: N"
#   ibclog_2fa_begin FILE        the push: "... has now become
#                                SecondFactorAuthenticationDialog",
#                                "Second Factor Authentication initiated"
#   ibclog_2fa_approve FILE [S]  the phone approved after S s (20): the 2FA
#                                dialog closes, "Login has completed"
#   ibclog_login_completed FILE  "Login has completed" alone
#   ibclog_2fa_miss FILE [N]     the push timed out and IBC logs in again
#                                (relogin enabled): "Duration since login:
#                                181 seconds", "Re-login after second factor
#                                authentication timeout in 5 second", then
#                                attempt N (2) and a new push (2fa_begin)
#   ibclog_2fa_stuck FILE        the push timed out, relogin disabled: "...
#                                timeout not required" (IBC sits there)
#   ibclog_lockout FILE [MIN] [SEC] [N]
#                                "Too many failed login attempts. Please wait
#                                MIN minutes & SEC seconds before ..." (4, 47)
#                                and "Will re-login at <now+wait+3s>; login
#                                number: N" (2); the retry is then
#                                ibclog_login_attempt FILE N
#   ibclog_token_expired FILE    the weekly token refused on an auto-restart:
#                                "Login error message:", the bare "Login
#                                failed - Soft token=0 ..." line, "Cold
#                                restart in progress", IBC exits 0,
#                                "IBC will cold-restart shortly"; the new
#                                session is then ibclog_session_cold ...
#   ibclog_competing FILE [SCENARIO]
#                                the "Existing session detected" dialog and
#                                IBC's scenario line (1: manual, the dialog
#                                stays; 2, 4, 6: this session ends; 3, 5:
#                                this session continues)
#
# Whole scenarios, as sequences of the steps above:
#   weekly login approved:  ibclog_session_cold; ibclog_login_attempt 1;
#                           ibclog_2fa_begin; (caller approves)
#                           ibclog_2fa_approve
#   2FA missed, re-login:   ... ibclog_2fa_begin; ibclog_2fa_miss 2;
#                           ibclog_2fa_approve
#   stuck:                  ... ibclog_2fa_begin; ibclog_2fa_stuck
#   lock-out:               ibclog_login_attempt 1; ibclog_lockout 4 47 2;
#                           ibclog_login_attempt 2
#   mid-week token expiry:  ibclog_session_restart; ibclog_token_expired;
#                           ibclog_session_cold; ibclog_login_attempt 1;
#                           ibclog_2fa_begin; ibclog_2fa_approve
#   competing session:      ibclog_competing 1

IBCLOG_PREFIX=${IBCLOG_PREFIX-}
IBCLOG_HOST=${IBCLOG_HOST:-ndc1.ibllc.com}

# ibclog_ts [EPOCH_S]: "yyyy-MM-dd HH:mm:ss:SSS" now (or at EPOCH_S, .000).
ibclog_ts() {
	if [[ -n ${1-} ]]; then
		date -d "@$1" '+%Y-%m-%d %H:%M:%S:000'
	else
		date '+%Y-%m-%d %H:%M:%S:%3N'
	fi
}

# ibclog_raw FILE TEXT: TEXT as one line (one write).
ibclog_raw() {
	local file=$1
	shift
	printf '%s%s\n' "$IBCLOG_PREFIX" "$*" >>"$file"
}

# ibclog_line FILE TEXT: one IBC line with its timestamp prefix.
ibclog_line() {
	local file=$1
	shift
	printf '%s%s IBC: %s\n' "$IBCLOG_PREFIX" "$(ibclog_ts)" "$*" >>"$file"
}

ibclog_session_cold() {
	ibclog_raw "$1" "Finding autorestart file"
	ibclog_raw "$1" "autorestart file not found: full authentication will be required"
	ibclog_line "$1" "Starting session: will exit if login dialog is not displayed within 60 seconds"
}

ibclog_session_restart() {
	ibclog_raw "$1" "Finding autorestart file"
	ibclog_raw "$1" "autorestart file found at /home/ibgateway/Jts/abcdefghijklmnopqrstuvwxyz/autorestart: authentication will not be required"
	ibclog_raw "$1" "AUTORESTART_OPTION is -Drestart=abcdefghijklmnopqrstuvwxyz"
	ibclog_line "$1" "Re-starting session"
}

ibclog_login_attempt() {
	ibclog_line "$1" "Login dialog WINDOW_OPENED: LoginState is LOGGED_OUT"
	ibclog_line "$1" "Setting user name"
	ibclog_line "$1" "Setting password"
	ibclog_line "$1" "Login attempt: ${2:-1}"
}

ibclog_2fa_begin() {
	ibclog_line "$1" "Waiting for Login frame to become SecondFactorAuthenticationDialog"
	ibclog_line "$1" "Login frame has now become SecondFactorAuthenticationDialog"
	ibclog_line "$1" "Second Factor Authentication initiated"
}

ibclog_login_completed() {
	ibclog_line "$1" "Login has completed"
}

ibclog_2fa_approve() {
	ibclog_line "$1" "Duration since login: ${2:-20} seconds"
	ibclog_line "$1" "detected frame entitled: Starting application...; event=Closed"
	ibclog_login_completed "$1"
}

ibclog_2fa_miss() {
	ibclog_line "$1" "Duration since login: 181 seconds"
	ibclog_line "$1" "Re-login after second factor authentication timeout in 5 second"
	ibclog_login_attempt "$1" "${2:-2}"
	ibclog_2fa_begin "$1"
}

ibclog_2fa_stuck() {
	ibclog_line "$1" "Duration since login: 181 seconds"
	ibclog_line "$1" "Re-login after second factor authentication timeout not required"
}

ibclog_lockout() {
	local min=${2:-4} sec=${3:-47} n=${4:-2} wait
	if ((min > 0 && sec > 0)); then
		wait="$min minutes & $sec seconds"
	elif ((min > 0)); then
		wait="$min minutes"
	else
		wait="$sec seconds"
	fi
	ibclog_line "$1" "Too many failed login attempts. Please wait $wait before attempting to re-login again."
	# IBC adds 3 s to the dialog's wait
	ibclog_line "$1" "Will re-login at $(ibclog_ts $(($(date +%s) + min * 60 + sec + 3))); login number: $n"
	ibclog_line "$1" "Click button: OK"
}

ibclog_token_expired() {
	ibclog_line "$1" "detected dialog entitled: Login Error; event=Opened"
	ibclog_line "$1" "Login error message:"
	ibclog_raw "$1" "Login failed - Soft token=0 received instead of expected permanent for $IBCLOG_HOST:4001 (SSL)"
	ibclog_line "$1" "Cold restart in progress"
	ibclog_line "$1" "Click button: OK"
	ibclog_line "$1" "Login has not completed: exiting immediately"
	ibclog_raw "$1" "IBC returned exit status 0"
	ibclog_raw "$1" "IBC will cold-restart shortly"
}

ibclog_competing() {
	local line
	case ${2:-1} in
	1) line="User must choose whether to continue with this session (scenario 1)" ;;
	2) line="End this session and let the other session proceed (scenario 2)" ;;
	3) line="Don't know the type of the other session, so continue this one (scenario 3)" ;;
	4) line="Other session must be primary or primary override, so end this session and let the other one proceed (scenario 4)" ;;
	5) line="Continue this session and let the other session exit (scenario 5)" ;;
	6) line="Other session may be primary, so end this session and let the other one proceed (scenario 6)" ;;
	*)
		echo "ibclog_competing: scenario must be 1..6, got '$2'" >&2
		return 2
		;;
	esac
	ibclog_line "$1" "detected dialog entitled: Existing session detected; event=Opened"
	ibclog_line "$1" "$line"
}
