/* Unit tests for lib/svcconf: stack-init's service table. The two example
 * files, defaults, every accepted form, the start order, and one test per
 * malformed-input class with its exact message. Run from the source root
 * (the example files are read from etc/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "svcconf.h"

/* Inputs are written with ' for " to stay readable; no test needs a '. */
static char *
dq(const char *s)
{
	char *p = strdup(s), *q;

	assert_non_null(p);
	for (q = p; *q != '\0'; q++)
		if (*q == '\'')
			*q = '"';
	return p;
}

static struct svcconf *
parse(const char *json, struct gw_err *e)
{
	char *j = dq(json);
	struct svcconf *c;

	e->msg[0] = '\0';
	c = svcconf_parse(j, strlen(j), "t.json", e);
	free(j);
	return c;
}

static struct svcconf *
ok_(const char *json, int line)
{
	struct gw_err e;
	struct svcconf *c = parse(json, &e);

	if (c == NULL)
		fail_msg("line %d: refused: %s\n  input %s", line, e.msg, json);
	return c;
}
#define OK(json) ok_(json, __LINE__)
#define OK_FREE(json) svcconf_free(ok_(json, __LINE__))

static void
fails_(const char *json, const char *msg, int line)
{
	struct gw_err e;
	struct svcconf *c = parse(json, &e);

	if (c != NULL) {
		svcconf_free(c);
		fail_msg("line %d: accepted %s", line, json);
	}
	if (strcmp(e.msg, msg) != 0)
		fail_msg("line %d\n  input %s\n  want  %s\n  got   %s", line, json,
		    msg, e.msg);
}
#define FAILS(json, msg) fails_(json, msg, __LINE__)

/* One service "a" with a command, plus body. */
#define ONE(body) "{'services':[{'name':'a','argv':['x']," body "}]}"
/* Services a (body) and g (with a ready check). */
#define TWO(body) "{'services':[{'name':'g','argv':['g']," \
	"'ready':{'argv':['p']}},{'name':'a','argv':['x']," body "}]}"
/* An external service e (body) and a command service a. */
#define EXT(body) "{'services':[{'name':'e','external':true," body "}," \
	"{'name':'a','argv':['x']}]}"

static void
test_example_file(void **state)
{
	struct gw_err e;
	struct svcconf *c;
	const struct svc *g, *b;

	(void)state;
	c = svcconf_load("etc/stack.example.json", &e);
	if (c == NULL)
		fail_msg("%s", e.msg);
	assert_int_equal(c->n, 2);
	g = &c->svc[0];
	b = &c->svc[1];
	assert_string_equal(g->name, "gateway");
	assert_string_equal(g->argv[0], "gw-sim");
	assert_string_equal(g->argv[4], "20");
	assert_null(g->argv[5]);
	assert_int_equal(g->ready.kind, SVC_READY_COMMAND);
	assert_string_equal(g->ready.argv[1], "-q");
	assert_null(g->ready.argv[4]);
	assert_true(g->ready.interval_s == 2 && g->ready.timeout_s == 5 &&
	    g->ready.start_period_s == 60);
	assert_int_equal(g->restart, SVC_RESTART_ALWAYS);
	assert_true(g->backoff.initial_s == 0.1 && g->backoff.max_s == 60 &&
	    g->backoff.reset_after_s == 10);
	assert_int_equal(g->n_schedule, 1);
	assert_string_equal(g->schedule[0].at, "16:30");
	assert_int_equal(g->schedule[0].when.hour, 16);
	assert_int_equal(g->schedule[0].when.minute, 30);
	assert_int_equal(g->schedule[0].when.days, SCHED_WEEKDAYS);
	assert_string_equal(g->schedule[0].when.tz, "America/New_York");
	assert_int_equal(g->schedule[0].action_restart, 1);
	assert_int_equal(g->restart_action.kind, SVC_ACTION_SIGNAL);
	assert_int_equal(g->restart_action.signal, SIGTERM);
	assert_int_equal(g->follows_index, -1);

	assert_string_equal(b->name, "bot");
	assert_int_equal(b->n_deps, 1);
	assert_string_equal(b->deps[0].service, "gateway");
	assert_int_equal(b->deps[0].condition, SVC_DEP_READY);
	assert_int_equal(b->deps[0].index, 0);
	assert_int_equal(b->restart, SVC_RESTART_ON_FAILURE);
	assert_true(b->backoff.initial_s == 0);
	assert_true(b->stop_timeout_s == 10);
	assert_int_equal(b->ready.kind, SVC_READY_NONE);
	assert_int_equal(c->order[0], 0);
	assert_int_equal(c->order[1], 1);
	svcconf_free(c);
}

static void
test_external_file(void **state)
{
	struct gw_err e;
	struct svcconf *c;
	const struct svc *n, *g, *b;

	(void)state;
	c = svcconf_load("etc/stack.container.json", &e);
	if (c == NULL)
		fail_msg("%s", e.msg);
	assert_int_equal(c->n, 4);
	n = &c->svc[0];
	g = &c->svc[1];
	b = &c->svc[2];
	assert_true(n->notifier);
	assert_false(g->notifier);
	assert_true(g->restart_settle_s == 10);
	assert_true(g->health.enabled);
	assert_int_equal(g->health.retries, 3);
	assert_int_equal(g->health.action, SVC_HEALTH_ALERT);
	assert_true(g->external);
	assert_null(g->argv);
	assert_int_equal(g->restart_action.kind, SVC_ACTION_IBC);
	assert_string_equal(g->restart_action.ibc_host, "ib-gateway");
	assert_int_equal(g->restart_action.ibc_port, 7462);
	assert_true(g->restart_action.timeout_s == 30);
	assert_int_equal(g->schedule[0].when.days, SCHED_DAILY);
	assert_true(g->ready_after_restart_s == 300);
	assert_string_equal(b->follows, "gateway");
	assert_int_equal(b->follows_index, 1);
	assert_int_equal(b->follow_mode, SVC_FOLLOW_PAUSE);
	assert_int_equal(svcconf_signal_action(c, SIGHUP), SVC_SIG_RELOAD);
	assert_true(b->critical);
	/* the gateway's address and the trading mode come from the
	 * container's environment (compose/.env), the same for every service */
	assert_string_equal(b->env[0], "GAMEPLAN_PATH=/data/gameplan.json");
	assert_string_equal(b->env[1], "DRY_RUN=true");
	assert_null(b->env[2]);
	assert_int_equal(b->stop_signal, SIGINT);
	assert_int_equal(b->crash_loop.failures, 5);
	assert_int_equal(c->order[0], 0);
	svcconf_free(c);
}

static void
test_defaults(void **state)
{
	struct svcconf *c = OK("{'services':[{'name':'a','argv':['x']}]}");
	const struct svc *s = &c->svc[0];

	(void)state;
	assert_int_equal(c->n, 1);
	assert_null(s->env);
	assert_null(s->cwd);
	assert_null(s->user);
	assert_false(s->external);
	assert_false(s->critical);
	assert_int_equal(s->n_deps, 0);
	assert_int_equal(s->ready.kind, SVC_READY_NONE);
	assert_int_equal(s->restart, SVC_RESTART_ON_FAILURE);
	assert_true(s->backoff.initial_s == 0.1 && s->backoff.max_s == 60 &&
	    s->backoff.reset_after_s == 10);
	assert_int_equal(s->crash_loop.failures, 5);
	assert_true(s->crash_loop.window_s == 60);
	assert_false(s->crash_loop.give_up);
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_true(s->stop_timeout_s == 10);
	assert_int_equal(s->n_schedule, 0);
	assert_int_equal(s->restart_action.kind, SVC_ACTION_SIGNAL);
	assert_int_equal(s->restart_action.signal, SIGTERM);
	assert_true(s->restart_action.timeout_s == 30);
	assert_true(s->ready_after_restart_s == 300);
	assert_string_equal(s->follows, "");
	assert_int_equal(s->follows_index, -1);
	assert_true(s->prefix_output);
	svcconf_free(c);
}

static void
test_forms(void **state)
{
	struct svcconf *c;
	const struct svc *s;

	(void)state;
	c = OK("{'services':[{'name':'g.1_x-Y','argv':['g'],'ready':{'notify_fd':3}},"
	    "{'name':'a','argv':['x','-v'],'env':{'_A1':'x=y','B':''},"
	    "'cwd':'/tmp','user':'nobody','critical':true,'prefix_output':false,"
	    "'depends_on':['g.1_x-Y'],'stop_signal':'SIGhup','stop_timeout':0.5,"
	    "'restart':'unless-stopped','crash_loop':{'give_up':true,'failures':1,"
	    "'window':0.25},'restart_action':{'argv':['kick','a'],'timeout':1.5},"
	    "'schedule':[{'at':'00:00','tz':'UTC','days':['sat','mon'],"
	    "'action':'restart'},{'at':'23:59','tz':'Europe/London','days':"
	    "'sat-sun','action':'restart'}],'ready_after_restart':5,"
	    "'follows':'g.1_x-Y','backoff':{'max':0.5}}]}");
	s = &c->svc[1];
	assert_int_equal(c->svc[0].ready.kind, SVC_READY_NOTIFY);
	assert_int_equal(c->svc[0].ready.notify_fd, 3);
	assert_string_equal(s->argv[1], "-v");
	assert_string_equal(s->env[0], "_A1=x=y");
	assert_string_equal(s->env[1], "B=");
	assert_string_equal(s->cwd, "/tmp");
	assert_string_equal(s->user, "nobody");
	assert_true(s->critical);
	assert_false(s->prefix_output);
	assert_int_equal(s->deps[0].condition, SVC_DEP_STARTED);
	assert_int_equal(s->deps[0].index, 0);
	assert_int_equal(s->stop_signal, SIGHUP);
	assert_true(s->stop_timeout_s == 0.5);
	assert_int_equal(s->restart, SVC_RESTART_UNLESS_STOPPED);
	assert_int_equal(s->crash_loop.failures, 1);
	assert_true(s->crash_loop.window_s == 0.25);
	assert_true(s->crash_loop.give_up);
	assert_int_equal(s->restart_action.kind, SVC_ACTION_ARGV);
	assert_string_equal(s->restart_action.argv[0], "kick");
	assert_true(s->restart_action.timeout_s == 1.5);
	assert_int_equal(s->n_schedule, 2);
	assert_int_equal(s->schedule[0].when.days, (1u << 6) | (1u << 1));
	assert_string_equal(s->schedule[0].at, "00:00");
	assert_string_equal(s->schedule[1].at, "23:59");
	assert_int_equal(s->schedule[1].when.days, (1u << 6) | 1u);
	assert_string_equal(s->schedule[1].when.tz, "Europe/London");
	assert_true(s->ready_after_restart_s == 5);
	assert_int_equal(s->follows_index, 0);
	assert_true(s->backoff.initial_s == 0.1 && s->backoff.max_s == 0.5);
	svcconf_free(c);

	/* signals: names with and without SIG in any case, numbers */
	c = OK("{'services':[{'name':'a','argv':['x'],'stop_signal':'KILL'},"
	    "{'name':'b','argv':['x'],'stop_signal':'usr2'},"
	    "{'name':'c','argv':['x'],'stop_signal':64,"
	    "'restart_action':{'signal':'SIGQUIT'}}]}");
	assert_int_equal(c->svc[0].stop_signal, SIGKILL);
	assert_int_equal(c->svc[1].stop_signal, SIGUSR2);
	assert_int_equal(c->svc[2].stop_signal, 64);
	assert_int_equal(c->svc[2].restart_action.signal, SIGQUIT);
	svcconf_free(c);

	/* IBC with a bracketed IPv6 address; external with argv action */
	c = OK("{'services':[{'name':'e','external':true,'restart_action':"
	    "{'ibc':'[::1]:65535'},'schedule':[{'at':'16:30','tz':"
	    "'America/New_York','action':'restart'}]},{'name':'f','external':"
	    "true,'restart_action':{'argv':['docker','restart','gw']},"
	    "'follows':'e'}]}");
	assert_string_equal(c->svc[0].restart_action.ibc_host, "::1");
	assert_int_equal(c->svc[0].restart_action.ibc_port, 65535);
	assert_int_equal(c->svc[0].schedule[0].when.days, SCHED_DAILY);
	assert_int_equal(c->svc[1].follows_index, 0);
	svcconf_free(c);

	/* backoff 0 as an integer or a real; seconds as integers */
	c = OK(ONE("'backoff':0.0,'stop_timeout':86400"));
	assert_true(c->svc[0].backoff.initial_s == 0);
	assert_true(c->svc[0].backoff.max_s == 60);
	assert_true(c->svc[0].stop_timeout_s == 86400);
	svcconf_free(c);
}

/* Deps first; among services free to start, the earliest in the file. */
static void
test_order(void **state)
{
	struct svcconf *c;

	(void)state;
	c = OK("{'services':[{'name':'c','argv':['x'],'depends_on':['a']},"
	    "{'name':'b','argv':['x']},{'name':'a','argv':['x']},"
	    "{'name':'d','argv':['x'],'depends_on':['c','b']}]}");
	assert_int_equal(c->order[0], 1);
	assert_int_equal(c->order[1], 2);
	assert_int_equal(c->order[2], 0);
	assert_int_equal(c->order[3], 3);
	assert_int_equal(c->svc[3].deps[0].index, 0);
	assert_int_equal(c->svc[3].deps[1].index, 1);
	svcconf_free(c);
}

static void
test_find(void **state)
{
	struct svcconf *c = OK("{'services':[{'name':'a','argv':['x']},"
	    "{'name':'b','argv':['x']}]}");

	(void)state;
	assert_int_equal(svcconf_find(c, "a"), 0);
	assert_int_equal(svcconf_find(c, "b"), 1);
	assert_int_equal(svcconf_find(c, "c"), -1);
	assert_int_equal(svcconf_find(c, ""), -1);
	assert_int_equal(svcconf_find(c, NULL), -1);
	assert_int_equal(svcconf_find(NULL, "a"), -1);
	svcconf_free(c);
	svcconf_free(NULL);
}

static void
test_bad_json(void **state)
{
	struct gw_err e;

	(void)state;
	FAILS("", "t.json:1:0: '[' or '{' expected near end of file");
	FAILS("{'services': [}", "t.json:1:15: unexpected token near '}'");
	FAILS("{'services': [\n  {'name': 'a',\n   'argv': ['x'],}]}",
	    "t.json:3:18: string or '}' expected near '}'");
	FAILS("{'services': [{'name': 'a',\n 'name': 'b'}]}",
	    "t.json:2:7: duplicate object key near '\"name\"'");
	FAILS("{'services': [{'name': 'a\\u0000'}]}",
	    "t.json:1:32: \\u0000 is not allowed without JSON_ALLOW_NUL near "
	    "'\"a\\u0000\"'");
	FAILS("{'a': 1} x", "t.json:1:10: end of file expected near 'x'");
	/* bytes outside printable ASCII in jansson's text are shown as '?' */
	FAILS("{'a' '\xc3\xa9'}", "t.json:1:8: ':' expected near '\"?" "?\"'");
	FAILS("{'a\001b': 1}", "t.json:1:3: control character 0x1 near '\"a'");
	FAILS("{'a': '\xff'}", "t.json:1:7: unable to decode byte 0xff near "
	    "'\"'");
	/* a NUL byte inside the buffer does not end it */
	e.msg[0] = '\0';
	assert_null(svcconf_parse("{\"services\":\0[]}", 16, "t.json", &e));
	assert_string_equal(e.msg, "t.json:1:13: invalid token near end of "
	    "file");
	assert_null(svcconf_parse(NULL, 0, NULL, &e));
	assert_string_equal(e.msg, "(config):1:0: '[' or '{' expected near "
	    "end of file");
}

static void
test_bad_top_level(void **state)
{
	char big[16384];
	size_t i, o;

	(void)state;
	FAILS("[]", "top level: expected an object {\"services\": [...]}");
	FAILS("{'services':[{'name':'a','argv':['x']}],'version':1}",
	    "top level: unknown key 'version'");
	FAILS("{}", "services: missing");
	FAILS("{'services':{}}", "services: expected an array of 1..64 services");
	FAILS("{'services':[]}", "services: expected an array of 1..64 services");
	o = (size_t)snprintf(big, sizeof(big), "{'services':[");
	for (i = 0; i < 65; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o,
		    "%s{'name':'s%zu','argv':['x']}", i ? "," : "", i);
	snprintf(big + o, sizeof(big) - o, "]}");
	FAILS(big, "services: expected an array of 1..64 services");
	/* 64 is fine */
	o = (size_t)snprintf(big, sizeof(big), "{'services':[");
	for (i = 0; i < 64; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o,
		    "%s{'name':'s%zu','argv':['x']%s}", i ? "," : "", i,
		    i ? ",'depends_on':['s0']" : "");
	snprintf(big + o, sizeof(big) - o, "]}");
	svcconf_free(OK(big));
}

static void
test_bad_name(void **state)
{
	(void)state;
	FAILS("{'services':[1]}", "services[0]: expected an object");
	FAILS("{'services':[{'name':'a','argv':['x']},{'argv':['x']}]}",
	    "services[1]: name: missing");
	FAILS("{'services':[{'name':7,'argv':['x']}]}",
	    "services[0]: name: expected a string");
	FAILS("{'services':[{'name':'','argv':['x']}]}",
	    "services[0]: name: '' is not 1..31 bytes of [A-Za-z0-9_.-]");
	FAILS("{'services':[{'name':'a b','argv':['x']}]}",
	    "services[0]: name: 'a b' is not 1..31 bytes of [A-Za-z0-9_.-]");
	FAILS("{'services':[{'name':'a\\u0007\\u00e9','argv':['x']}]}",
	    "services[0]: name: 'a?" "?" "?' is not 1..31 bytes of [A-Za-z0-9_.-]");
	FAILS("{'services':[{'name':'abcdefghijabcdefghijabcdefghij12',"
	    "'argv':['x']}]}", "services[0]: name: "
	    "'abcdefghijabcdefghijabcdefghij12' is not 1..31 bytes of "
	    "[A-Za-z0-9_.-]");
	FAILS("{'services':[{'name':'abcdefghijabcdefghijabcdefghijabcdefghij"
	    "abcdefghij','argv':['x']}]}", "services[0]: name: "
	    "'abcdefghijabcdefghijabcdefghijabcdefg...' is not 1..31 bytes of "
	    "[A-Za-z0-9_.-]");
	svcconf_free(OK("{'services':[{'name':'abcdefghijabcdefghijabcdefghij1',"
	    "'argv':['x']}]}"));
}

static void
test_duplicate_name(void **state)
{
	(void)state;
	FAILS("{'services':[{'name':'a','argv':['x']},{'name':'b','argv':['x']},"
	    "{'name':'a','argv':['y']}]}",
	    "services[2]: name: 'a' is already the name of services[0]");
}

static void
test_unknown_key(void **state)
{
	(void)state;
	FAILS(ONE("'restrat':'always','other':1"),
	    "service 'a': unknown key 'restrat'");
	FAILS(ONE("'ready':{'argv':['p'],'intervall':1}"),
	    "service 'a': ready: unknown key 'intervall'");
	FAILS(ONE("'backoff':{'initial':1,'maximum':2}"),
	    "service 'a': backoff: unknown key 'maximum'");
	FAILS(ONE("'crash_loop':{'failures':1,'giveup':true}"),
	    "service 'a': crash_loop: unknown key 'giveup'");
	FAILS(ONE("'schedule':[{'at':'16:30','tz':'UTC','action':'restart',"
	    "'zone':'x'}]"), "service 'a': schedule[0]: unknown key 'zone'");
	FAILS(ONE("'restart_action':{'signal':'TERM','sig':'x'}"),
	    "service 'a': restart_action: unknown key 'sig'");
	FAILS(TWO("'depends_on':[{'service':'g','when':'ready'}]"),
	    "service 'a': depends_on[0]: unknown key 'when'");
	FAILS(ONE("'\\u0001\\u00ff':1"), "service 'a': unknown key '?" "?" "?'");
}

static void
test_bad_argv(void **state)
{
	char big[8192];
	size_t i, o;

	(void)state;
	FAILS("{'services':[{'name':'a'}]}",
	    "service 'a': argv: missing (required unless \"external\": true)");
	FAILS("{'services':[{'name':'a','argv':'x'}]}",
	    "service 'a': argv: expected an array of 1..256 non-empty strings");
	FAILS("{'services':[{'name':'a','argv':[]}]}",
	    "service 'a': argv: expected an array of 1..256 non-empty strings");
	FAILS("{'services':[{'name':'a','argv':['x','']}]}",
	    "service 'a': argv[1]: expected a non-empty string");
	FAILS("{'services':[{'name':'a','argv':['x',3]}]}",
	    "service 'a': argv[1]: expected a non-empty string");
	FAILS(ONE("'ready':{'argv':[null]}"),
	    "service 'a': ready.argv[0]: expected a non-empty string");
	FAILS(ONE("'restart_action':{'argv':[]}"), "service 'a': "
	    "restart_action.argv: expected an array of 1..256 non-empty strings");
	o = (size_t)snprintf(big, sizeof(big), "{'services':[{'name':'a','argv':[");
	for (i = 0; i < 257; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "%s'x'",
		    i ? "," : "");
	snprintf(big + o, sizeof(big) - o, "]}]}");
	FAILS(big, "service 'a': argv: expected an array of 1..256 non-empty "
	    "strings");
	memcpy(strstr(big, ",'x']"), "]}]}", 5);	/* 256 is fine */
	svcconf_free(OK(big));
}

static void
test_external_argv(void **state)
{
	(void)state;
	FAILS(EXT("'argv':['gw']"),
	    "service 'e': argv: not allowed for an external service");
	FAILS("{'services':[{'name':'a','argv':['x'],'external':true}]}",
	    "service 'a': argv: not allowed for an external service");
	FAILS(EXT("'ready':{'notify_fd':3}"), "service 'e': ready: an external "
	    "service cannot use notify_fd (use a check command)");
}

static void
test_bad_env(void **state)
{
	(void)state;
	FAILS(ONE("'env':['A=1']"),
	    "service 'a': env: expected an object of string values");
	FAILS(ONE("'env':{'A':'1','1A':'x'}"), "service 'a': env: '1A' is not a "
	    "variable name [A-Za-z_][A-Za-z0-9_]*");
	FAILS(ONE("'env':{'A=B':'x'}"), "service 'a': env: 'A=B' is not a "
	    "variable name [A-Za-z_][A-Za-z0-9_]*");
	FAILS(ONE("'env':{'':'x'}"), "service 'a': env: '' is not a variable "
	    "name [A-Za-z_][A-Za-z0-9_]*");
	FAILS(ONE("'env':{'PORT':4002}"), "service 'a': env.PORT: expected a "
	    "string");
}

static void
test_bad_string(void **state)
{
	(void)state;
	FAILS(ONE("'cwd':''"), "service 'a': cwd: expected a non-empty string");
	FAILS(ONE("'user':0"), "service 'a': user: expected a non-empty string");
}

static void
test_bad_bool(void **state)
{
	(void)state;
	FAILS(ONE("'critical':'yes'"), "service 'a': critical: expected true "
	    "or false");
	FAILS(ONE("'prefix_output':1"), "service 'a': prefix_output: expected "
	    "true or false");
	FAILS("{'services':[{'name':'a','external':null}]}",
	    "service 'a': external: expected true or false");
	FAILS(ONE("'crash_loop':{'give_up':0}"), "service 'a': "
	    "crash_loop.give_up: expected true or false");
}

static void
test_bad_depends_on(void **state)
{
	(void)state;
	FAILS(TWO("'depends_on':'g'"), "service 'a': depends_on: expected an "
	    "array of up to 16 dependencies");
	FAILS(TWO("'depends_on':['g','g1','g2','g3','g4','g5','g6','g7','g8',"
	    "'g9','g10','g11','g12','g13','g14','g15','g16']"), "service 'a': "
	    "depends_on: expected an array of up to 16 dependencies");
	FAILS(TWO("'depends_on':[['g']]"), "service 'a': depends_on[0]: "
	    "expected a service name or {\"service\": NAME, \"condition\": "
	    "\"started\"|\"ready\"}");
	FAILS(TWO("'depends_on':[{'condition':'ready'}]"),
	    "service 'a': depends_on[0]: missing \"service\"");
	FAILS(TWO("'depends_on':[{'service':1}]"),
	    "service 'a': depends_on[0]: \"service\": expected a service name");
	FAILS(TWO("'depends_on':['g',{'service':'g2','condition':'healthy'}]"),
	    "service 'a': depends_on[1]: \"condition\": expected \"started\" or "
	    "\"ready\"");
	FAILS(TWO("'depends_on':['g',{'service':'g'}]"),
	    "service 'a': depends_on: 'g' is listed twice");
}

static void
test_unknown_dependency(void **state)
{
	(void)state;
	FAILS("{'services':[{'name':'gateway','argv':['g']},{'name':'bot',"
	    "'argv':['b'],'depends_on':['gatway']}]}",
	    "service 'bot': depends_on: unknown service 'gatway'");
	FAILS("{'services':[{'name':'bot','argv':['b'],'depends_on':"
	    "[{'service':'no such\\nservice'}]}]}",
	    "service 'bot': depends_on: unknown service 'no such?service'");
	/* a later service's errors come first: names are resolved at the end */
	FAILS("{'services':[{'name':'bot','argv':['b'],'depends_on':['x']},"
	    "{'name':'c'}]}", "service 'c': argv: missing (required unless "
	    "\"external\": true)");
}

static void
test_self_dependency(void **state)
{
	(void)state;
	FAILS(ONE("'depends_on':['a']"),
	    "service 'a': depends_on: a service cannot depend on itself");
}

static void
test_ready_condition_without_check(void **state)
{
	(void)state;
	FAILS("{'services':[{'name':'gateway','argv':['g']},{'name':'bot',"
	    "'argv':['b'],'depends_on':[{'service':'gateway','condition':"
	    "'ready'}]}]}", "service 'bot': depends_on 'gateway' with "
	    "condition ready, but 'gateway' has no ready check");
	/* started needs none; a notify_fd counts as a check */
	svcconf_free(OK("{'services':[{'name':'g','argv':['g']},{'name':'h',"
	    "'argv':['h'],'ready':{'notify_fd':63}},{'name':'b','argv':['b'],"
	    "'depends_on':[{'service':'g'},{'service':'h','condition':"
	    "'ready'}]}]}"));
}

static void
test_cycle(void **state)
{
	char big[16384];
	size_t i, o;

	(void)state;
	FAILS("{'services':[{'name':'a','argv':['x'],'depends_on':['b']},"
	    "{'name':'b','argv':['x'],'depends_on':['a']}]}",
	    "dependency cycle: a -> b -> a");
	FAILS("{'services':[{'name':'x','argv':['x']},{'name':'a','argv':['x'],"
	    "'depends_on':['x','b']},{'name':'b','argv':['x'],'depends_on':"
	    "['c']},{'name':'c','argv':['x'],'depends_on':['x','b']}]}",
	    "dependency cycle: b -> c -> b");
	FAILS("{'services':[{'name':'a','argv':['x'],'depends_on':['b']},"
	    "{'name':'b','argv':['x'],'depends_on':['c']},{'name':'c','argv':"
	    "['x'],'depends_on':['a']}]}", "dependency cycle: a -> b -> c -> a");
	/* 64 long names: the message ends in "..." */
	o = (size_t)snprintf(big, sizeof(big), "{'services':[");
	for (i = 0; i < 64; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o,
		    "%s{'name':'service-with-a-long-name-%02zu','argv':['x'],"
		    "'depends_on':['service-with-a-long-name-%02zu']}",
		    i ? "," : "", i, (i + 1) % 64);
	snprintf(big + o, sizeof(big) - o, "]}");
	FAILS(big, "dependency cycle: service-with-a-long-name-00 -> "
	    "service-with-a-long-name-01 -> service-with-a-long-name-02 -> "
	    "service-with-a-long-name-03 -> service-with-a-long-name-04 -> "
	    "service-with-a-long-name-05 -> service-with-a-long-name-06 -> ...");
}

static void
test_bad_ready(void **state)
{
	(void)state;
	FAILS(ONE("'ready':['p']"), "service 'a': ready: expected {\"argv\": "
	    "[...], \"interval\": S, \"timeout\": S, \"start_period\": S} or "
	    "{\"notify_fd\": N}");
	FAILS(ONE("'ready':{'interval':1}"), "service 'a': ready: expected "
	    "\"argv\" (a check command) or \"notify_fd\"");
	FAILS(ONE("'ready':{'notify_fd':2}"), "service 'a': ready.notify_fd: "
	    "expected an integer from 3 to 63");
	FAILS(ONE("'ready':{'notify_fd':64}"), "service 'a': ready.notify_fd: "
	    "expected an integer from 3 to 63");
	FAILS(ONE("'ready':{'notify_fd':3.0}"), "service 'a': ready.notify_fd: "
	    "expected an integer from 3 to 63");
	FAILS(ONE("'ready':{'notify_fd':3,'timeout':1}"), "service 'a': ready: "
	    "notify_fd cannot be combined with argv, interval, timeout or user");
	FAILS(ONE("'ready':{'notify_fd':3,'start_period':-1}"), "service 'a': "
	    "ready.start_period: expected a number of seconds from 0.01 to 86400");
}

/* ready.fast_exit and ready.fast_interval: defaults, accepted forms. */
static void
test_ready_fast_exit(void **state)
{
	struct svcconf *c;
	const struct svc_ready *r;

	(void)state;
	c = OK(ONE("'ready':{'argv':['p']}"));
	r = &c->svc[0].ready;
	assert_int_equal(r->n_fast_exit, 0);
	assert_true(r->fast_interval_s == 0.1);
	svcconf_free(c);
	c = OK(ONE("'ready':{'argv':['p'],'fast_exit':[10,11]}"));
	r = &c->svc[0].ready;
	assert_int_equal(r->n_fast_exit, 2);
	assert_int_equal(r->fast_exit[0], 10);
	assert_int_equal(r->fast_exit[1], 11);
	assert_true(r->fast_interval_s == 0.1 && r->interval_s == 2);
	svcconf_free(c);
	c = OK(ONE("'ready':{'argv':['p'],'fast_exit':[1,255,3,4,5,6,7,8,9,10,"
	    "11,12,13,14,15,16],'fast_interval':0.05,'interval':5}"));
	r = &c->svc[0].ready;
	assert_int_equal(r->n_fast_exit, 16);
	assert_int_equal(r->fast_exit[1], 255);
	assert_true(r->fast_interval_s == 0.05 && r->interval_s == 5);
	svcconf_free(c);
	c = OK(ONE("'ready':{'argv':['p'],'fast_exit':[11],'fast_interval':60}"));
	assert_true(c->svc[0].ready.fast_interval_s == 60);
	svcconf_free(c);
}

/* One message per malformed class, naming the key (and the element). */
static void
test_bad_ready_fast_exit(void **state)
{
	(void)state;
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':10}"), "service 'a': "
	    "ready.fast_exit: expected an array of 1..16 exit codes from 1 to 255");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':[]}"), "service 'a': "
	    "ready.fast_exit: expected an array of 1..16 exit codes from 1 to 255");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':[1,2,3,4,5,6,7,8,9,10,11,"
	    "12,13,14,15,16,17]}"), "service 'a': ready.fast_exit: expected an "
	    "array of 1..16 exit codes from 1 to 255");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':[10,0]}"), "service 'a': "
	    "ready.fast_exit[1]: expected an exit code from 1 to 255");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':[256]}"), "service 'a': "
	    "ready.fast_exit[0]: expected an exit code from 1 to 255");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':[10.5]}"), "service 'a': "
	    "ready.fast_exit[0]: expected an exit code from 1 to 255");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':['10']}"), "service 'a': "
	    "ready.fast_exit[0]: expected an exit code from 1 to 255");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':[10,11,10]}"), "service "
	    "'a': ready.fast_exit[2]: 10 is listed twice");
	FAILS(ONE("'ready':{'argv':['p'],'fast_interval':0.1}"), "service 'a': "
	    "ready.fast_interval: only with \"fast_exit\" (the exit codes it "
	    "applies to)");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':[10],'fast_interval':0.01}"),
	    "service 'a': ready.fast_interval: expected a number of seconds from "
	    "0.05 to 60");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':[10],'fast_interval':61}"),
	    "service 'a': ready.fast_interval: expected a number of seconds from "
	    "0.05 to 60");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exit':[10],'fast_interval':'0.1'}"),
	    "service 'a': ready.fast_interval: expected a number of seconds from "
	    "0.05 to 60");
	FAILS(ONE("'ready':{'notify_fd':3,'fast_exit':[10]}"), "service 'a': "
	    "ready: notify_fd cannot be combined with fast_exit or fast_interval "
	    "(they are about check commands)");
	FAILS(ONE("'ready':{'notify_fd':3,'fast_interval':1}"), "service 'a': "
	    "ready: notify_fd cannot be combined with fast_exit or fast_interval "
	    "(they are about check commands)");
	FAILS(ONE("'ready':{'argv':['p'],'fast_exits':[10]}"), "service 'a': "
	    "ready: unknown key 'fast_exits'");
}

static void
test_bad_seconds(void **state)
{
	(void)state;
	FAILS(ONE("'ready':{'argv':['p'],'interval':0}"), "service 'a': "
	    "ready.interval: expected a number of seconds from 0.01 to 86400");
	FAILS(ONE("'ready':{'argv':['p'],'timeout':'5'}"), "service 'a': "
	    "ready.timeout: expected a number of seconds from 0.01 to 86400");
	FAILS(ONE("'ready':{'argv':['p'],'start_period':86400.5}"), "service "
	    "'a': ready.start_period: expected a number of seconds from 0.01 "
	    "to 86400");
	FAILS(ONE("'stop_timeout':-1"), "service 'a': stop_timeout: expected a "
	    "number of seconds from 0 to 86400");
	FAILS(ONE("'stop_timeout':1e300"), "service 'a': stop_timeout: expected "
	    "a number of seconds from 0 to 86400");
	FAILS(ONE("'backoff':{'reset_after':-0.5}"), "service 'a': "
	    "backoff.reset_after: expected a number of seconds from 0 to 86400");
	FAILS(ONE("'crash_loop':{'window':0}"), "service 'a': crash_loop.window: "
	    "expected a number of seconds from 0.01 to 86400");
	FAILS(ONE("'restart_action':{'signal':'TERM','timeout':0}"), "service "
	    "'a': restart_action.timeout: expected a number of seconds from 0.01 "
	    "to 86400");
	FAILS(ONE("'ready_after_restart':null"), "service 'a': "
	    "ready_after_restart: expected a number of seconds from 0.01 to "
	    "86400");
}

static void
test_bad_restart(void **state)
{
	(void)state;
	FAILS(ONE("'restart':'never'"), "service 'a': restart: expected \"no\", "
	    "\"on-failure\", \"always\" or \"unless-stopped\"");
	FAILS(ONE("'restart':false"), "service 'a': restart: expected \"no\", "
	    "\"on-failure\", \"always\" or \"unless-stopped\"");
}

static void
test_bad_backoff(void **state)
{
	(void)state;
	FAILS(ONE("'backoff':1"), "service 'a': backoff: expected 0 or "
	    "{\"initial\": S, \"max\": S, \"reset_after\": S}");
	FAILS(ONE("'backoff':'0'"), "service 'a': backoff: expected 0 or "
	    "{\"initial\": S, \"max\": S, \"reset_after\": S}");
	FAILS(ONE("'backoff':{'initial':5,'max':2}"), "service 'a': backoff: "
	    "initial (5) is greater than max (2)");
	FAILS(ONE("'backoff':{'initial':90}"), "service 'a': backoff: "
	    "initial (90) is greater than max (60)");
}

static void
test_bad_crash_loop(void **state)
{
	(void)state;
	FAILS(ONE("'crash_loop':5"), "service 'a': crash_loop: expected "
	    "{\"failures\": N, \"window\": S, \"give_up\": BOOL}");
	FAILS(ONE("'crash_loop':{'failures':0}"), "service 'a': "
	    "crash_loop.failures: expected an integer from 1 to 1000");
	FAILS(ONE("'crash_loop':{'failures':2.5}"), "service 'a': "
	    "crash_loop.failures: expected an integer from 1 to 1000");
}

static void
test_bad_signal(void **state)
{
	(void)state;
	FAILS(ONE("'stop_signal':'TERMINATE'"), "service 'a': stop_signal: "
	    "unknown signal 'TERMINATE' (HUP INT QUIT ABRT KILL USR1 USR2 ALRM "
	    "TERM WINCH PWR, or a number)");
	FAILS(ONE("'stop_signal':'SIG'"), "service 'a': stop_signal: unknown "
	    "signal 'SIG' (HUP INT QUIT ABRT KILL USR1 USR2 ALRM TERM WINCH PWR, "
	    "or a number)");
	FAILS(ONE("'stop_signal':0"), "service 'a': stop_signal: 0 is not a "
	    "signal number from 1 to 64");
	FAILS(ONE("'stop_signal':65"), "service 'a': stop_signal: 65 is not a "
	    "signal number from 1 to 64");
	FAILS(ONE("'stop_signal':15.0"), "service 'a': stop_signal: expected a "
	    "signal name like TERM or a number from 1 to 64");
	FAILS(ONE("'restart_action':{'signal':['TERM']}"), "service 'a': "
	    "restart_action.signal: expected a signal name like TERM or a number "
	    "from 1 to 64");
}

/* json fails with prefix followed by what sched_parse says of at/tz/days */
static void
sched_fails(const char *json, const char *prefix, const char *at,
    const char *tz, const char *days)
{
	struct sched_spec spec;
	struct gw_err e;
	char want[512];

	assert_int_equal(sched_parse(at, tz, days, &spec, &e), -1);
	snprintf(want, sizeof(want), "%s%s", prefix, e.msg);
	want[sizeof(e.msg) - 1] = '\0';	/* what fits in a gw_err */
	FAILS(json, want);
}

static void
test_bad_schedule(void **state)
{
	(void)state;
	FAILS(ONE("'schedule':{'at':'16:30'}"), "service 'a': schedule: "
	    "expected an array of up to 8 entries");
	FAILS(ONE("'schedule':[1,2,3,4,5,6,7,8,9]"), "service 'a': schedule: "
	    "expected an array of up to 8 entries");
	FAILS(ONE("'schedule':['16:30']"), "service 'a': schedule[0]: expected "
	    "{\"at\": \"HH:MM\", \"tz\": ZONE, \"days\": DAYS, \"action\": "
	    "\"restart\"}");
	FAILS(ONE("'schedule':[{'tz':'UTC','action':'restart'}]"),
	    "service 'a': schedule[0].at: missing");
	FAILS(ONE("'schedule':[{'at':1630,'tz':'UTC','action':'restart'}]"),
	    "service 'a': schedule[0].at: expected a string \"HH:MM\"");
	FAILS(ONE("'schedule':[{'at':'16:30','action':'restart'}]"),
	    "service 'a': schedule[0].tz: missing");
	FAILS(ONE("'schedule':[{'at':'16:30','tz':-5,'action':'restart'}]"),
	    "service 'a': schedule[0].tz: expected a tz database name like "
	    "\"America/New_York\"");
	FAILS(ONE("'schedule':[{'at':'16:30','tz':'UTC'}]"),
	    "service 'a': schedule[0].action: missing");
	FAILS(ONE("'schedule':[{'at':'16:30','tz':'UTC','action':'stop'}]"),
	    "service 'a': schedule[0].action: expected \"restart\" or \"login\"");
	/* sched_parse's own messages (its tests pin their text), prefixed */
	sched_fails(ONE("'schedule':[{'at':'16:30','tz':'UTC','action':"
	    "'restart'},{'at':'24:00','tz':'UTC','action':'restart'}]"),
	    "service 'a': schedule[1]: ", "24:00", "UTC", NULL);
	sched_fails(ONE("'schedule':[{'at':'16:3','tz':'UTC','action':"
	    "'restart'}]"), "service 'a': schedule[0]: ", "16:3", "UTC", NULL);
	sched_fails(ONE("'schedule':[{'at':'16:30','tz':'America/Nowhere',"
	    "'action':'restart'}]"), "service 'a': schedule[0]: ", "16:30",
	    "America/Nowhere", NULL);
	sched_fails(ONE("'schedule':[{'at':'16:30','tz':'UTC','days':"
	    "'weekdays','action':'restart'}]"), "service 'a': schedule[0]: ",
	    "16:30", "UTC", "weekdays");
}

static void
test_bad_days_array(void **state)
{
	(void)state;
	FAILS(ONE("'schedule':[{'at':'16:30','tz':'UTC','days':[],"
	    "'action':'restart'}]"), "service 'a': schedule[0].days: expected a "
	    "string like \"mon-fri\" or an array of 1..7 day names");
	FAILS(ONE("'schedule':[{'at':'16:30','tz':'UTC','days':['mon','tue',"
	    "'wed','thu','fri','sat','sun','mon'],'action':'restart'}]"),
	    "service 'a': schedule[0].days: expected a string like \"mon-fri\" "
	    "or an array of 1..7 day names");
	FAILS(ONE("'schedule':[{'at':'16:30','tz':'UTC','days':5,"
	    "'action':'restart'}]"), "service 'a': schedule[0].days: expected a "
	    "string like \"mon-fri\" or an array of 1..7 day names");
	FAILS(ONE("'schedule':[{'at':'16:30','tz':'UTC','days':['mon',"
	    "'Tuesday'],'action':'restart'}]"), "service 'a': "
	    "schedule[0].days[1]: 'Tuesday' is not a day name (sun mon tue wed "
	    "thu fri sat)");
	FAILS(ONE("'schedule':[{'at':'16:30','tz':'UTC','days':['mon-fri'],"
	    "'action':'restart'}]"), "service 'a': schedule[0].days[0]: "
	    "'mon-fri' is not a day name (sun mon tue wed thu fri sat)");
	FAILS(ONE("'schedule':[{'at':'16:30','tz':'UTC','days':[1],"
	    "'action':'restart'}]"), "service 'a': schedule[0].days[0]: "
	    "expected a day name (sun mon tue wed thu fri sat)");
}

static void
test_bad_restart_action(void **state)
{
	(void)state;
	FAILS(ONE("'restart_action':'TERM'"), "service 'a': restart_action: "
	    "expected {\"signal\": NAME}, {\"argv\": [...]} or {\"ibc\": "
	    "\"host:port\"}");
	FAILS(ONE("'restart_action':{'timeout':5}"), "service 'a': "
	    "restart_action: expected exactly one of \"signal\", \"argv\" or "
	    "\"ibc\"");
	FAILS(ONE("'restart_action':{'signal':'TERM','ibc':'gw:7462'}"),
	    "service 'a': restart_action: expected exactly one of \"signal\", "
	    "\"argv\" or \"ibc\"");
}

static void
test_bad_ibc(void **state)
{
	(void)state;
	FAILS(ONE("'restart_action':{'ibc':'gw'}"), "service 'a': "
	    "restart_action.ibc: 'gw' is not host:port with port 1..65535");
	FAILS(ONE("'restart_action':{'ibc':':7462'}"), "service 'a': "
	    "restart_action.ibc: ':7462' is not host:port with port 1..65535");
	FAILS(ONE("'restart_action':{'ibc':'gw:0'}"), "service 'a': "
	    "restart_action.ibc: 'gw:0' is not host:port with port 1..65535");
	FAILS(ONE("'restart_action':{'ibc':'gw:65536'}"), "service 'a': "
	    "restart_action.ibc: 'gw:65536' is not host:port with port 1..65535");
	FAILS(ONE("'restart_action':{'ibc':'gw:-1'}"), "service 'a': "
	    "restart_action.ibc: 'gw:-1' is not host:port with port 1..65535");
	FAILS(ONE("'restart_action':{'ibc':'gw:74x'}"), "service 'a': "
	    "restart_action.ibc: 'gw:74x' is not host:port with port 1..65535");
	FAILS(ONE("'restart_action':{'ibc':'gw:'}"), "service 'a': "
	    "restart_action.ibc: 'gw:' is not host:port with port 1..65535");
	FAILS(ONE("'restart_action':{'ibc':'::1:7462'}"), "service 'a': "
	    "restart_action.ibc: '::1:7462' is not host:port with port "
	    "1..65535");
	FAILS(ONE("'restart_action':{'ibc':'[]:7462'}"), "service 'a': "
	    "restart_action.ibc: '[]:7462' is not host:port with port 1..65535");
	FAILS(ONE("'restart_action':{'ibc':'g w:7462'}"), "service 'a': "
	    "restart_action.ibc: 'g w:7462' is not host:port with port "
	    "1..65535");
	FAILS(ONE("'restart_action':{'ibc':7462}"), "service 'a': "
	    "restart_action.ibc: expected \"host:port\" with port 1..65535");
}

static void
test_external_signal_action(void **state)
{
	(void)state;
	FAILS(EXT("'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}]"),
	    "service 'e': schedule: an external service needs a restart_action "
	    "with argv or ibc");
	FAILS(EXT("'restart_action':{'signal':'HUP'},'schedule':[{'at':'16:30',"
	    "'tz':'UTC','action':'restart'}]"), "service 'e': schedule: an "
	    "external service needs a restart_action with argv or ibc");
	FAILS(EXT("'follows':'a'"), "service 'e': follows: an external service "
	    "needs a restart_action with argv or ibc");
}

static void
test_bad_follows(void **state)
{
	(void)state;
	FAILS(ONE("'follows':'gatway'"),
	    "service 'a': follows: unknown service 'gatway'");
	FAILS(ONE("'follows':'a'"),
	    "service 'a': follows: a service cannot follow itself");
	FAILS(ONE("'follows':['g']"),
	    "service 'a': follows: expected a service name or {\"service\": "
	    "NAME, \"mode\": \"restart\"|\"stop\"|\"pause\"}");
	FAILS(TWO("'follows':{'service':'g','mode':'nap'}"),
	    "service 'a': follows.mode: expected \"restart\", \"stop\" or "
	    "\"pause\", not 'nap'");
	FAILS(TWO("'follows':{'service':'g','mode':3}"),
	    "service 'a': follows.mode: expected \"restart\", \"stop\" or "
	    "\"pause\"");
	FAILS("{'services':[{'name':'relay','argv':['r'],'ready':{'argv':['p']},"
	    "'follows':{'service':'gw','mode':'stop'}},{'name':'gw','argv':['g'],"
	    "'depends_on':['x']},{'name':'x','argv':['x'],'depends_on':["
	    "{'service':'relay','condition':'ready'}]}]}",
	    "service 'relay': follows.mode: 'gw' depends on 'relay': stopping or "
	    "pausing it during the restart would keep 'gw' from coming back (use "
	    "\"restart\")");
	OK_FREE("{'services':[{'name':'relay','argv':['r'],'follows':{'service':"
	    "'gw','mode':'restart'}},{'name':'gw','argv':['g'],'depends_on':["
	    "'relay']}]}");
	FAILS(TWO("'follows':{'mode':'stop'}"),
	    "service 'a': follows.service: missing");
	FAILS(TWO("'follows':{'service':'g','when':'now'}"),
	    "service 'a': follows: unknown key 'when'");
	FAILS("{'services':[{'name':'g','argv':['g']},{'name':'e','external':"
	    "true,'restart_action':{'argv':['r']},'follows':{'service':'g',"
	    "'mode':'pause'}}]}", "service 'e': follows.mode: an external "
	    "service can only follow with \"restart\" (it has no process here)");
}

/* A cycle in follows (each restart would restart the other, forever) is
 * a configuration error naming the cycle, however long. */
static void
test_follows_cycle(void **state)
{
	(void)state;
	FAILS("{'services':[{'name':'a','argv':['x'],'follows':'b'},"
	    "{'name':'b','argv':['x'],'follows':'a'}]}",
	    "follows cycle: a -> b -> a");
	FAILS("{'services':[{'name':'x','argv':['x'],'follows':'b'},"
	    "{'name':'a','argv':['x'],'follows':'c'},{'name':'b','argv':['x'],"
	    "'follows':'a'},{'name':'c','argv':['x'],'follows':'b'}]}",
	    "follows cycle: a -> c -> b -> a");
	FAILS("{'services':[{'name':'a','argv':['x'],'follows':{'service':'b',"
	    "'mode':'pause'}},{'name':'b','argv':['x'],'follows':{'service':"
	    "'a','mode':'stop'}}]}", "follows cycle: a -> b -> a");
	/* a chain is fine */
	OK_FREE("{'services':[{'name':'a','argv':['x'],'follows':'b'},"
	    "{'name':'b','argv':['x'],'follows':'c'},{'name':'c','argv':['x']}]}");
}

/* restart_settle, notifier and health: defaults, forms and errors. */
static void
test_settle_notifier_health(void **state)
{
	struct svcconf *c;
	const struct svc *s;

	(void)state;
	c = OK(ONE("'ready':{'argv':['p']}"));
	s = &c->svc[0];
	assert_true(s->restart_settle_s == 5);
	assert_int_equal(s->notifier, 0);
	assert_int_equal(s->health.enabled, 0);
	svcconf_free(c);
	c = OK(ONE("'restart_settle':0,'notifier':true,'ready':{'argv':['p']},"
	    "'health':{}"));
	s = &c->svc[0];
	assert_true(s->restart_settle_s == 0);
	assert_int_equal(s->notifier, 1);
	assert_int_equal(s->health.enabled, 1);
	assert_null(s->health.argv);	/* the ready check's */
	assert_true(s->health.interval_s == 30);
	assert_true(s->health.timeout_s == 5);
	assert_int_equal(s->health.retries, 3);
	assert_int_equal(s->health.action, SVC_HEALTH_ALERT);
	assert_null(s->health.user);
	svcconf_free(c);
	c = OK(EXT("'restart_action':{'argv':['r']},'health':{'argv':['h','1'],"
	    "'interval':0.5,'timeout':2,'retries':1,'action':'restart',"
	    "'user':'nobody'}"));
	s = &c->svc[0];
	assert_string_equal(s->health.argv[0], "h");
	assert_string_equal(s->health.argv[1], "1");
	assert_null(s->health.argv[2]);
	assert_true(s->health.interval_s == 0.5);
	assert_true(s->health.timeout_s == 2);
	assert_int_equal(s->health.retries, 1);
	assert_int_equal(s->health.action, SVC_HEALTH_RESTART);
	assert_string_equal(s->health.user, "nobody");
	svcconf_free(c);

	FAILS(ONE("'restart_settle':-1"), "service 'a': restart_settle: "
	    "expected a number of seconds from 0 to 86400");
	FAILS(ONE("'notifier':1"), "service 'a': notifier: expected true or false");
	FAILS(EXT("'restart_action':{'argv':['r']},'notifier':true"),
	    "service 'e': notifier: an external service has no process here to "
	    "stop last");
	FAILS("{'services':[{'name':'n1','argv':['x'],'notifier':true},"
	    "{'name':'n2','argv':['x'],'notifier':true}]}",
	    "service 'n2': notifier: 'n1' is already the notifier (at most one)");
	FAILS(ONE("'health':true"), "service 'a': health: expected {\"argv\": "
	    "[...], \"interval\": S, \"timeout\": S, \"retries\": N, "
	    "\"action\": \"alert\"|\"restart\"}");
	FAILS(ONE("'health':{'argv':['h'],'every':3}"),
	    "service 'a': health: unknown key 'every'");
	FAILS(ONE("'health':{'interval':3}"), "service 'a': health: expected "
	    "\"argv\" (a check command): there is no ready check command to reuse");
	FAILS(ONE("'health':{'argv':['h'],'retries':0}"),
	    "service 'a': health.retries: expected an integer from 1 to 1000");
	FAILS(ONE("'health':{'argv':['h'],'retries':'3'}"),
	    "service 'a': health.retries: expected an integer from 1 to 1000");
	FAILS(ONE("'health':{'argv':['h'],'action':'reboot'}"),
	    "service 'a': health.action: expected \"alert\" or \"restart\", "
	    "not 'reboot'");
	FAILS(ONE("'health':{'argv':['h'],'interval':0}"),
	    "service 'a': health.interval: expected a number of seconds from "
	    "0.01 to 86400");
	FAILS(ONE("'health':{'argv':['h'],'timeout':'5'}"),
	    "service 'a': health.timeout: expected a number of seconds from "
	    "0.01 to 86400");
	FAILS(ONE("'health':{'argv':[]}"), "service 'a': health.argv: expected "
	    "an array of 1..256 non-empty strings");
	FAILS(ONE("'health':{'argv':['h'],'user':''}"),
	    "service 'a': health.user: expected a non-empty string");
}

/* follows modes, forward_signals, users of checks and actions, the
 * top-level signal table. */
static void
test_follow_signals_users(void **state)
{
	struct svcconf *c;

	(void)state;
	c = OK(TWO("'follows':{'service':'g','mode':'pause'}"));
	assert_int_equal(c->svc[1].follow_mode, SVC_FOLLOW_PAUSE);
	assert_int_equal(c->svc[1].follows_index, 0);
	assert_int_equal(c->svc[0].follow_mode, SVC_FOLLOW_RESTART);
	svcconf_free(c);
	c = OK(TWO("'follows':{'service':'g','mode':'stop'}"));
	assert_int_equal(c->svc[1].follow_mode, SVC_FOLLOW_STOP);
	svcconf_free(c);
	c = OK(TWO("'follows':{'service':'g'}"));
	assert_int_equal(c->svc[1].follow_mode, SVC_FOLLOW_RESTART);
	svcconf_free(c);

	c = OK(ONE("'forward_signals':['HUP','sigusr1']"));
	assert_true(c->svc[0].forward_signals == ((1ULL << SIGHUP) | (1ULL << SIGUSR1)));
	svcconf_free(c);
	c = OK(ONE("'forward_signals':[]"));
	assert_true(c->svc[0].forward_signals == 0);
	svcconf_free(c);
	c = OK(ONE("'stop_timeout':3"));
	assert_true(c->svc[0].forward_signals == ~0ULL);
	assert_int_equal(svcconf_signal_action(c, SIGTERM), SVC_SIG_SHUTDOWN);
	assert_int_equal(svcconf_signal_action(c, SIGINT), SVC_SIG_SHUTDOWN);
	assert_int_equal(svcconf_signal_action(c, SIGHUP), SVC_SIG_FORWARD);
	assert_int_equal(svcconf_signal_action(c, SIGQUIT), SVC_SIG_FORWARD);
	assert_int_equal(svcconf_signal_action(c, SIGWINCH), SVC_SIG_IGNORE);
	svcconf_free(c);
	FAILS(ONE("'forward_signals':['KILL']"), "service 'a': "
	    "forward_signals[0]: 'KILL' is not one of TERM INT HUP USR1 USR2 QUIT");
	FAILS(ONE("'forward_signals':[1]"), "service 'a': forward_signals[0]: "
	    "expected a signal name");
	FAILS(ONE("'forward_signals':'HUP'"), "service 'a': forward_signals: "
	    "expected an array of signal names (TERM INT HUP USR1 USR2 QUIT)");

	c = OK("{'signals':{'HUP':'reload','INT':'ignore','SIGUSR2':'shutdown',"
	    "'TERM':'forward'},'services':[{'name':'a','argv':['x']}]}");
	assert_int_equal(svcconf_signal_action(c, SIGHUP), SVC_SIG_RELOAD);
	assert_int_equal(svcconf_signal_action(c, SIGINT), SVC_SIG_IGNORE);
	assert_int_equal(svcconf_signal_action(c, SIGUSR2), SVC_SIG_SHUTDOWN);
	assert_int_equal(svcconf_signal_action(c, SIGTERM), SVC_SIG_FORWARD);
	assert_int_equal(svcconf_signal_action(c, SIGUSR1), SVC_SIG_FORWARD);
	svcconf_free(c);
	FAILS("{'signals':{'WINCH':'forward'},'services':[{'name':'a','argv':['x']}]}",
	    "signals: 'WINCH' is not one of TERM INT HUP USR1 USR2 QUIT");
	FAILS("{'signals':{'HUP':'restart'},'services':[{'name':'a','argv':['x']}]}",
	    "signals: HUP: expected \"shutdown\", \"forward\", \"reload\" or "
	    "\"ignore\", not 'restart'");
	FAILS("{'signals':['HUP'],'services':[{'name':'a','argv':['x']}]}",
	    "signals: expected an object like {\"HUP\": \"reload\"}");

	c = OK(ONE("'user':'nobody','ready':{'argv':['p'],'user':'root'},"
	    "'restart_action':{'argv':['r'],'user':'0'}"));
	assert_string_equal(c->svc[0].ready.user, "root");
	assert_string_equal(c->svc[0].restart_action.user, "0");
	svcconf_free(c);
	c = OK(ONE("'ready':{'argv':['p']}"));
	assert_null(c->svc[0].ready.user);
	svcconf_free(c);
	FAILS(ONE("'ready':{'argv':['p'],'user':''}"),
	    "service 'a': ready.user: expected a non-empty string");
	FAILS(ONE("'restart_action':{'signal':'HUP','user':'x'}"),
	    "service 'a': restart_action.user: only with \"argv\"");
	FAILS(ONE("'ready':{'notify_fd':3,'user':'x'}"), "service 'a': ready: "
	    "notify_fd cannot be combined with argv, interval, timeout or user");
}

/* svcconf_svc_equal: the same text is equal; any one key changed is not. */
/* "ibc_log" and "login": defaults, every accepted form. */
static void
test_login_keys(void **state)
{
	struct svcconf *c;
	const struct svc *s;

	(void)state;
	c = OK(ONE("'restart':'always'"));
	s = &c->svc[0];
	assert_int_equal(s->login.ibc_log, SVC_IBC_LOG_NONE);
	assert_null(s->login.path);
	assert_int_equal(s->login.max_cold_per_hour, 3);
	assert_true(s->login.remind_s == 300 && s->login.twofa_window_s == 180);
	svcconf_free(c);

	c = OK(ONE("'ibc_log':true"));
	assert_int_equal(c->svc[0].login.ibc_log, SVC_IBC_LOG_OUTPUT);
	assert_int_equal(c->svc[0].login.given, 0);
	svcconf_free(c);
	OK_FREE(ONE("'ibc_log':false"));

	c = OK(EXT("'ibc_log':'/ibc-log/ibc.log','login':{'max_cold_per_hour':0,"
	    "'remind':60,'twofa_window':120},'restart_action':{'ibc':'gw:7462'},"
	    "'schedule':[{'at':'01:05','tz':'America/New_York','days':'sun',"
	    "'action':'login'},{'at':'16:30','tz':'America/New_York',"
	    "'action':'restart'}]"));
	s = &c->svc[0];
	assert_int_equal(s->login.ibc_log, SVC_IBC_LOG_FILE);
	assert_string_equal(s->login.path, "/ibc-log/ibc.log");
	assert_int_equal(s->login.max_cold_per_hour, 0);
	assert_true(s->login.remind_s == 60 && s->login.twofa_window_s == 120);
	assert_int_equal(s->login.given, 1);
	assert_int_equal(s->schedule[0].action_login, 1);
	assert_int_equal(s->schedule[0].action_restart, 0);
	assert_int_equal(s->schedule[1].action_login, 0);
	assert_int_equal(s->schedule[1].action_restart, 1);
	svcconf_free(c);

	/* a local gateway: its own output, a planned login by respawn */
	c = OK(ONE("'ibc_log':true,'login':{'max_cold_per_hour':60},"
	    "'schedule':[{'at':'01:05','tz':'UTC','action':'login'}]"));
	assert_int_equal(c->svc[0].login.max_cold_per_hour, 60);
	assert_int_equal(c->svc[0].schedule[0].action_login, 1);
	svcconf_free(c);
}

/* One message per malformed class of the login keys, naming the key. */
static void
test_bad_login_keys(void **state)
{
	char path[SVC_IBC_LOG_PATH_MAX + 64];

	(void)state;
	FAILS(ONE("'ibc_log':3"), "service 'a': ibc_log: expected true (IBC "
	    "runs here: its output) or the path of IBC's log file (1..4095 "
	    "bytes)");
	FAILS(ONE("'ibc_log':''"), "service 'a': ibc_log: expected true (IBC "
	    "runs here: its output) or the path of IBC's log file (1..4095 "
	    "bytes)");
	memset(path, 'x', sizeof(path));
	memcpy(path, ONE("'ibc_log':'"), strlen(ONE("'ibc_log':'")));
	snprintf(path + strlen(ONE("'ibc_log':'")) + SVC_IBC_LOG_PATH_MAX, 8,
	    "'}]}");
	FAILS(path, "service 'a': ibc_log: expected true (IBC runs here: its "
	    "output) or the path of IBC's log file (1..4095 bytes)");
	FAILS(EXT("'ibc_log':true,'restart_action':{'ibc':'gw:7462'}"),
	    "service 'e': ibc_log: true means IBC's output is this service's "
	    "own, but an external service has no output here: give the path of "
	    "its IBC log");
	FAILS(ONE("'prefix_output':false,'ibc_log':true"), "service 'a': "
	    "ibc_log: true needs \"prefix_output\": true (stack-init reads a "
	    "service's output only then)");
	FAILS(ONE("'login':{'remind':60}"), "service 'a': login: only with "
	    "\"ibc_log\" (stack-init must read IBC's log to know the login)");
	FAILS(ONE("'ibc_log':false,'login':{}"), "service 'a': login: only "
	    "with \"ibc_log\" (stack-init must read IBC's log to know the "
	    "login)");
	FAILS(ONE("'ibc_log':true,'login':[]"), "service 'a': login: expected "
	    "{\"max_cold_per_hour\": N, \"remind\": S, \"twofa_window\": S}");
	FAILS(ONE("'ibc_log':true,'login':{'remind':60,'max_cold':3}"),
	    "service 'a': login: unknown key 'max_cold'");
	FAILS(ONE("'ibc_log':true,'login':{'max_cold_per_hour':61}"),
	    "service 'a': login.max_cold_per_hour: expected an integer from 0 "
	    "to 60");
	FAILS(ONE("'ibc_log':true,'login':{'max_cold_per_hour':-1}"),
	    "service 'a': login.max_cold_per_hour: expected an integer from 0 "
	    "to 60");
	FAILS(ONE("'ibc_log':true,'login':{'max_cold_per_hour':'3'}"),
	    "service 'a': login.max_cold_per_hour: expected an integer from 0 "
	    "to 60");
	FAILS(ONE("'ibc_log':true,'login':{'remind':0}"), "service 'a': "
	    "login.remind: expected a number of seconds from 1 to 86400");
	FAILS(ONE("'ibc_log':true,'login':{'twofa_window':'3m'}"),
	    "service 'a': login.twofa_window: expected a number of seconds from "
	    "1 to 86400");
	FAILS(ONE("'schedule':[{'at':'01:05','tz':'UTC','action':'login'}]"),
	    "service 'a': schedule[0].action: \"login\" needs \"ibc_log\" "
	    "(stack-init must read IBC's log to know the login)");
	FAILS(EXT("'ibc_log':'/l','restart_action':{'argv':['docker','restart',"
	    "'gw']},'schedule':[{'at':'01:05','tz':'UTC','action':'restart'},"
	    "{'at':'01:05','tz':'UTC','action':'login'}]"), "service 'e': "
	    "schedule[1].action: \"login\" of an external service needs "
	    "restart_action {\"ibc\": \"host:port\"} (stack-init sends IBC "
	    "STOP)");
	FAILS(ONE("'schedule':[{'at':'01:05','tz':'UTC','action':'LOGIN'}]"),
	    "service 'a': schedule[0].action: expected \"restart\" or "
	    "\"login\"");
}

static void
test_svc_equal(void **state)
{
	static const char *const base = "{'services':[{'name':'g','argv':['g'],"
	    "'ready':{'argv':['p']}},{'name':'a','argv':['x','y'],%s}]}";
	static const char *const same = "'env':{'K':'V'},'depends_on':['g'],"
	    "'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}]";
	static const char *const changed[] = {
		"'env':{'K':'W'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}]",
		"'env':{'K':'V'},'depends_on':[{'service':'g','condition':'ready'}],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}]",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:31','tz':'UTC','action':'restart'}]",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'Europe/London','action':'restart'}]",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'stop_timeout':3",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'follows':'g'",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'user':'nobody'",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'forward_signals':[]",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'restart_action':{'argv':['r']}",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'ready':{'notify_fd':4}",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'backoff':0",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'restart_settle':1",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'notifier':true",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'health':{'argv':['h']}",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'ibc_log':true",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'ibc_log':'/l'",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'login'}],'ibc_log':true",
		"'env':{'K':'V'},'depends_on':['g'],'schedule':[{'at':'16:30','tz':'UTC','action':'restart'}],'ready':{'argv':['p'],'fast_exit':[10]}",
	};
	char buf[1024];
	struct svcconf *a, *b;
	size_t i;

	(void)state;
	snprintf(buf, sizeof(buf), base, same);
	a = OK(buf);
	b = OK(buf);
	assert_true(svcconf_svc_equal(&a->svc[0], &b->svc[0]));
	assert_true(svcconf_svc_equal(&a->svc[1], &b->svc[1]));
	assert_false(svcconf_svc_equal(&a->svc[0], &b->svc[1]));
	svcconf_free(b);
	for (i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
		snprintf(buf, sizeof(buf), base, changed[i]);
		b = OK(buf);
		if (svcconf_svc_equal(&a->svc[1], &b->svc[1]))
			fail_msg("equal despite: %s", changed[i]);
		assert_true(svcconf_svc_equal(&a->svc[0], &b->svc[0]));
		svcconf_free(b);
	}
	svcconf_free(a);
	/* the same service at another index (its dependency moved) is equal */
	a = OK("{'services':[{'name':'g','argv':['g']},{'name':'a','argv':['x'],'depends_on':['g']}]}");
	b = OK("{'services':[{'name':'z','argv':['z']},{'name':'g','argv':['g']},{'name':'a','argv':['x'],'depends_on':['g']}]}");
	assert_true(svcconf_svc_equal(&a->svc[1], &b->svc[2]));
	svcconf_free(a);
	svcconf_free(b);
}

static void
test_load_errors(void **state)
{
	char dir[] = "/tmp/test_svcconf.XXXXXX", path[64];
	struct svcconf *c;
	struct gw_err e;
	FILE *f;
	size_t i;

	(void)state;
	assert_null(svcconf_load("/nonexistent/stack.json", &e));
	assert_string_equal(e.msg, "/nonexistent/stack.json: No such file or "
	    "directory");
	assert_non_null(mkdtemp(dir));
	assert_null(svcconf_load(dir, &e));
	snprintf(path, sizeof(path), "%s: Is a directory", dir);
	assert_string_equal(e.msg, path);

	/* exactly 1 MiB is read (and judged); one byte more is refused */
	snprintf(path, sizeof(path), "%s/big.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"services\":[{\"name\":\"a\",\"argv\":[\"x\"]}]}", f);
	for (i = ftell(f); i < SVCCONF_MAX_FILE; i++)
		fputc(' ', f);
	fclose(f);
	if ((c = svcconf_load(path, &e)) == NULL)
		fail_msg("%s", e.msg);
	svcconf_free(c);
	f = fopen(path, "a");
	fputc('\n', f);
	fclose(f);
	assert_null(svcconf_load(path, &e));
	assert_string_equal(e.msg + strlen(dir), "/big.json: larger than "
	    "1048576 bytes");

	/* syntax errors name the file */
	f = fopen(path, "w");
	fputs("{\"services\":\n[\n", f);
	fclose(f);
	assert_null(svcconf_load(path, &e));
	assert_string_equal(e.msg + strlen(dir), "/big.json:3:0: ']' expected "
	    "near end of file");
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_external_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_bad_top_level),
		cmocka_unit_test(test_bad_name),
		cmocka_unit_test(test_duplicate_name),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_argv),
		cmocka_unit_test(test_external_argv),
		cmocka_unit_test(test_bad_env),
		cmocka_unit_test(test_bad_string),
		cmocka_unit_test(test_bad_bool),
		cmocka_unit_test(test_bad_depends_on),
		cmocka_unit_test(test_unknown_dependency),
		cmocka_unit_test(test_self_dependency),
		cmocka_unit_test(test_ready_condition_without_check),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_bad_ready),
		cmocka_unit_test(test_ready_fast_exit),
		cmocka_unit_test(test_bad_ready_fast_exit),
		cmocka_unit_test(test_bad_seconds),
		cmocka_unit_test(test_bad_restart),
		cmocka_unit_test(test_bad_backoff),
		cmocka_unit_test(test_bad_crash_loop),
		cmocka_unit_test(test_bad_signal),
		cmocka_unit_test(test_bad_schedule),
		cmocka_unit_test(test_bad_days_array),
		cmocka_unit_test(test_bad_restart_action),
		cmocka_unit_test(test_bad_ibc),
		cmocka_unit_test(test_external_signal_action),
		cmocka_unit_test(test_bad_follows),
		cmocka_unit_test(test_follows_cycle),
		cmocka_unit_test(test_settle_notifier_health),
		cmocka_unit_test(test_follow_signals_users),
		cmocka_unit_test(test_svc_equal),
		cmocka_unit_test(test_login_keys),
		cmocka_unit_test(test_bad_login_keys),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
