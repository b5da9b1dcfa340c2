/*
 * sim_config: gw-sim's configuration: defaults, the one check of every
 * value (sim_config_check), fault names, the client-id list. The strings
 * come from the command line or a control client: untrusted, quoted in
 * every message.
 */
#include "sim_int.h"

#include <arpa/inet.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/util.h>

#include "cfg.h"
#include "usock.h"

static const char *const fault_names[] = {
	[SIM_FAULT_NONE] = "none",
	[SIM_FAULT_RELAY_DEAD] = "relay-dead",
	[SIM_FAULT_WEDGED] = "wedged",
	[SIM_FAULT_NOT_LOGGED_IN] = "not-logged-in",
	[SIM_FAULT_SLOW] = "slow",
};
_Static_assert(sizeof(fault_names) / sizeof(fault_names[0]) == SIM_N_FAULTS,
    "a name for every fault");

void
sim_config_init(struct sim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->bind_addr, sizeof(cfg->bind_addr), "%s", SIM_DEFAULT_BIND);
	cfg->port = SIM_DEFAULT_PORT;
	cfg->max_version = SIM_DEFAULT_MAX_VERSION;
	cfg->fault = SIM_FAULT_NONE;
	snprintf(cfg->accounts, sizeof(cfg->accounts), "%s", SIM_DEFAULT_ACCOUNTS);
	cfg->seed = 1;
	cfg->tick_ms = SIM_DEFAULT_TICK_MS;
	cfg->paper_cash = SIM_DEFAULT_PAPER_CASH;
	cfg->partial_above = 0;
	cfg->commission_per_share = SIM_DEFAULT_COMMISSION;
}

int
sim_parse_amount(const char *name, const char *s, double *out,
    struct gw_err *err)
{
	char q[GW_QUOTE_MAX], *end;
	double v;

	gw_err_quote(q, sizeof(q), s, strlen(s));
	/* strtod alone would take "nan", "inf", hex and leading blanks */
	if (s[0] == '\0' || strspn(s, "0123456789.eE+-") != strlen(s))
		return gw_err_set(err, "%s: '%s' is not a number", name, q);
	v = strtod(s, &end);
	if (*end != '\0' || end == s || !isfinite(v))
		return gw_err_set(err, "%s: '%s' is not a number", name, q);
	*out = v;
	return 0;
}

/* The first account of the managedAccounts list: the paper broker's. */
size_t
sim_first_account(const struct sim_config *cfg, char *out, size_t size)
{
	const char *p = cfg->accounts + strspn(cfg->accounts, ",");
	size_t n = strcspn(p, ",");

	if (size > 0)
		snprintf(out, size, "%.*s", (int)n, p);
	return n;
}

const char *
sim_fault_name(enum sim_fault fault)
{
	if ((unsigned)fault >= SIM_N_FAULTS)
		return "unknown";
	return fault_names[fault];
}

int
sim_fault_parse(const char *s, enum sim_fault *out, struct gw_err *err)
{
	char q[GW_QUOTE_MAX];
	size_t i;

	for (i = 0; i < SIM_N_FAULTS; i++) {
		if (strcmp(s, fault_names[i]) == 0) {
			*out = (enum sim_fault)i;
			return 0;
		}
	}
	gw_err_quote(q, sizeof(q), s, strlen(s));
	return gw_err_set(err, "'%s' is not one of none, relay-dead, wedged, "
	    "not-logged-in, slow", q);
}

/* Strict decimal integer in [min, max]; the rest of the message is the
 * caller's. */
static int
parse_long(const char *s, long min, long max, long *out)
{
	struct gw_err ignored;

	return cfg_long("", s, min, max, out, &ignored);
}

int
sim_parse_client_ids(const char *s, int ids[SIM_MAX_CLIENT_IDS], size_t *n,
    struct gw_err *err)
{
	char item[32], q[GW_QUOTE_MAX];
	const char *p = s, *comma;
	size_t len, k = 0;
	long v;

	gw_err_quote(q, sizeof(q), s, strlen(s));
	if (*s == '\0') {
		*n = 0;
		return 0;
	}
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(item))
			return gw_err_set(err, "'%s' is not a comma-separated list of "
			    "client ids", q);
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_long(item, LONG_MIN, LONG_MAX, &v) < 0)
			return gw_err_set(err, "'%s' is not a comma-separated list of "
			    "client ids", q);
		if (v < 0 || v > INT_MAX) {	/* TWS client ids are >= 0 */
			gw_err_quote(q, sizeof(q), item, len);
			return gw_err_set(err, "client id '%s' is not in 0..%d", q,
			    INT_MAX);
		}
		if (k == SIM_MAX_CLIENT_IDS)
			return gw_err_set(err, "'%s' has more than %d client ids", q,
			    SIM_MAX_CLIENT_IDS);
		ids[k++] = (int)v;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*n = k;
	return 0;
}

/* Numeric IPv4 or IPv6 address and port into ss. */
int
sim_bind_sockaddr(const char *addr, int port, struct sockaddr_storage *ss,
    int *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (evutil_inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (evutil_inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* One error format for every integer setting, as cfg_long words it. */
static int
range_error(struct gw_err *err, const char *flag, long v, long min, long max)
{
	return gw_err_set(err, "%s: '%ld' is not an integer in %ld..%ld", flag, v,
	    min, max);
}

int
sim_config_check(struct sim_config *cfg, struct gw_err *err)
{
	struct sockaddr_storage ss;
	char q[GW_QUOTE_MAX];
	int len;

	if (cfg->port < 1 || cfg->port > 65535)
		return range_error(err, "--port", cfg->port, 1, 65535);
	if (sim_bind_sockaddr(cfg->bind_addr, cfg->port, &ss, &len) < 0) {
		gw_err_quote(q, sizeof(q), cfg->bind_addr, strlen(cfg->bind_addr));
		return gw_err_set(err, "--bind: '%s' is not a numeric IPv4 or IPv6 "
		    "address", q);
	}
	if (cfg->max_version < SIM_MIN_MAX_VERSION ||
	    cfg->max_version > SIM_MAX_MAX_VERSION)
		return range_error(err, "--max-version", cfg->max_version,
		    SIM_MIN_MAX_VERSION, SIM_MAX_MAX_VERSION);
	if (cfg->login_delay < 0 || cfg->login_delay > SIM_MAX_LOGIN_DELAY)
		return range_error(err, "--login-delay", cfg->login_delay, 0,
		    SIM_MAX_LOGIN_DELAY);
	if ((unsigned)cfg->fault >= SIM_N_FAULTS)
		return gw_err_set(err, "--fault: unknown fault %d", (int)cfg->fault);
	if (cfg->slow_ms < 0 || cfg->slow_ms > SIM_MAX_SLOW_MS)
		return range_error(err, "--slow-ms", cfg->slow_ms, 0,
		    SIM_MAX_SLOW_MS);
	if (cfg->tick_ms < SIM_MIN_TICK_MS || cfg->tick_ms > SIM_MAX_TICK_MS)
		return range_error(err, "--tick-ms", cfg->tick_ms, SIM_MIN_TICK_MS,
		    SIM_MAX_TICK_MS);
	if (cfg->n_client_ids > SIM_MAX_CLIENT_IDS)
		return gw_err_set(err, "--client-ids-in-use: more than %d client ids",
		    SIM_MAX_CLIENT_IDS);
	/* Account ids are letters and digits; allow the usual separators but
	 * nothing that could break the wire text or a log line. */
	len = (int)strnlen(cfg->accounts, sizeof(cfg->accounts));
	gw_err_quote(q, sizeof(q), cfg->accounts, (size_t)len);
	if (len == 0)
		return gw_err_set(err, "--accounts: empty value, expected a "
		    "comma-separated account list");
	if (len == (int)sizeof(cfg->accounts) ||
	    strspn(cfg->accounts, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789,-_.") != (size_t)len)
		return gw_err_set(err, "--accounts: '%s' is not a comma-separated "
		    "account list", q);
	if (sim_first_account(cfg, NULL, 0) > SIM_ACCOUNT_MAX)
		return gw_err_set(err, "--accounts: '%s': the first account (the "
		    "paper broker's) must be at most %d characters", q, SIM_ACCOUNT_MAX);
	if (!isfinite(cfg->paper_cash) || cfg->paper_cash < 0 ||
	    cfg->paper_cash > SIM_MAX_AMOUNT)
		return gw_err_set(err, "--paper-cash: '%g' is not an amount in "
		    "0..%g", cfg->paper_cash, SIM_MAX_AMOUNT);
	if (!isfinite(cfg->partial_above) || cfg->partial_above < 0 ||
	    cfg->partial_above > SIM_MAX_SHARES)
		return gw_err_set(err, "--partial-above: '%g' is not a number of "
		    "shares in 0..%g", cfg->partial_above, SIM_MAX_SHARES);
	if (!isfinite(cfg->commission_per_share) ||
	    cfg->commission_per_share < 0 ||
	    cfg->commission_per_share > SIM_MAX_COMMISSION)
		return gw_err_set(err, "--commission-per-share: '%g' is not an "
		    "amount in 0..%g", cfg->commission_per_share,
		    SIM_MAX_COMMISSION);
	if (strnlen(cfg->control_path, sizeof(cfg->control_path)) >
	    USOCK_PATH_MAX)
		return gw_err_set(err, "--control: the path is longer than %d bytes",
		    USOCK_PATH_MAX);
	/* "--slow-ms N" alone means the slow fault; "--fault slow" alone uses
	 * the default delay (as the control commands do). */
	if (cfg->fault == SIM_FAULT_NONE && cfg->slow_ms > 0)
		cfg->fault = SIM_FAULT_SLOW;
	if (cfg->fault == SIM_FAULT_SLOW && cfg->slow_ms == 0)
		cfg->slow_ms = SIM_DEFAULT_SLOW_MS;
	return 0;
}
