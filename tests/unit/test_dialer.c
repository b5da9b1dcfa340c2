/*
 * Unit tests for lib/dialer, on loopback only: 127.0.0.1, .2 and .3 (all of
 * 127/8 is the loopback on Linux) stand for a name's several addresses,
 * given to a borrowed dns base through a hosts file. A port bound but not
 * listening refuses; a listener with backlog 0 and one connection queued
 * drops further SYNs, so a connect there never answers; an in-process UDP
 * "nameserver" either stays silent or answers NXDOMAIN. Each test checks
 * the exact result, that the callback runs once and never inside
 * dialer_start, and (under ASan) that nothing leaks, a cancelled lookup's
 * late callback included. A safety timer bounds every loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "clock.h"
#include "dialer.h"

#define SAFETY_MS 5000

enum dns_mode { DNS_SILENT, DNS_NXDOMAIN };

struct fixture {
	struct event_base *base;
	struct evdns_base *dns;		/* borrowed by the dialer */
	struct event *safety;
	int udp;			/* the fake nameserver */
	struct event *udp_ev;
	enum dns_mode dns_mode;
	int queries;
	char hosts[64];			/* hosts file path */
	int fds[8];			/* sockets to close in teardown */
	int nfds;
	int port;			/* one port on every loopback address */

	struct dialer *d;
	int calls;
	struct dialer_result r;		/* the last result (fd: see got_fd) */
	int got_fd;			/* the connected fd, closed in teardown */
	double done_ms;
	int64_t t0_ns;
	int in_start;			/* set while dialer_start runs */
	/* what the callback does */
	int cb_cancel;
	int cb_free;
	struct dialer_config restart;	/* host set: start again from it */
};

static void
on_safety(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *fx = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(fx->base);
}

static void
keep_fd(struct fixture *fx, int fd)
{
	assert_true(fd >= 0);
	assert_true(fx->nfds < (int)(sizeof(fx->fds) / sizeof(fx->fds[0])));
	fx->fds[fx->nfds++] = fd;
}

static void
addr_of(struct sockaddr_in *sin, const char *ip, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

/* A TCP socket bound to ip:port (port 0: any); listening unless backlog
 * < 0. Returns the fd, or -1 when the port is taken. */
static int
tcp_bound(const char *ip, int port, int backlog, int *port_out)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	addr_of(&sin, ip, port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	if (port_out != NULL)
		*port_out = ntohs(sin.sin_port);
	return fd;
}

/* Fill a backlog-0 listener's accept queue with one established
 * connection: from then on it drops SYNs and a connect never answers. */
static void
make_unanswering(struct fixture *fx, const char *ip)
{
	struct sockaddr_in sin;
	struct pollfd p;
	int c, e = 0;
	socklen_t len = sizeof(e);

	keep_fd(fx, tcp_bound(ip, fx->port, 0, NULL));
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	keep_fd(fx, c);
	addr_of(&sin, ip, fx->port);
	assert_true(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
	    errno == EINPROGRESS);
	p.fd = c;
	p.events = POLLOUT;
	assert_int_equal(poll(&p, 1, 2000), 1);	/* the filler is queued */
	assert_int_equal(getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &len), 0);
	assert_int_equal(e, 0);
}

/* The fake nameserver: NXDOMAIN echoes the question with QR, RD, RA and
 * RCODE 3; SILENT reads and drops. */
static void
on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *fx = arg;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	unsigned char buf[512];
	ssize_t n;

	(void)what;
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n < 12)
		return;
	fx->queries++;
	if (fx->dns_mode == DNS_SILENT)
		return;
	buf[2] = 0x81;			/* QR, opcode 0, RD */
	buf[3] = 0x83;			/* RA, RCODE 3: no such name */
	memset(buf + 6, 0, 6);		/* no answer, authority, additional */
	(void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct timeval safety = clock_tv_ms(SAFETY_MS);
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char ns[32];
	int i, fd;

	assert_non_null(fx);
	fx->got_fd = -1;
	fx->base = event_base_new();
	assert_non_null(fx->base);
	fx->safety = evtimer_new(fx->base, on_safety, fx);
	evtimer_add(fx->safety, &safety);

	fx->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	addr_of(&sin, "127.0.0.1", 0);
	assert_int_equal(bind(fx->udp, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fx->udp, (struct sockaddr *)&sin, &sl);
	fx->udp_ev = event_new(fx->base, fx->udp, EV_READ | EV_PERSIST, on_udp, fx);
	event_add(fx->udp_ev, NULL);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(sin.sin_port));
	fx->dns = evdns_base_new(fx->base, 0);
	assert_non_null(fx->dns);
	assert_int_equal(evdns_base_nameserver_ip_add(fx->dns, ns), 0);
	/* one try, so that a lookup cannot outlive a test by retrying */
	assert_int_equal(evdns_base_set_option(fx->dns, "attempts:", "1"), 0);

	/* one port free on .1, .2 and .3: found by trying a few */
	for (i = 0; i < 50; i++) {
		int a, b;

		fd = tcp_bound("127.0.0.2", 0, -1, &fx->port);
		a = tcp_bound("127.0.0.1", fx->port, -1, NULL);
		b = tcp_bound("127.0.0.3", fx->port, -1, NULL);
		close(fd);
		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
		if (a >= 0 && b >= 0)
			break;
	}
	assert_true(i < 50);

	snprintf(fx->hosts, sizeof(fx->hosts), "/tmp/test_dialer.XXXXXX");
	fd = mkstemp(fx->hosts);
	assert_true(fd >= 0);
	dprintf(fd,
	    "127.0.0.1 two.test refused.test\n"
	    "127.0.0.2 two.test open.test\n"
	    "127.0.0.3 slow.test slowonly.test\n"
	    "127.0.0.2 slow.test\n");
	close(fd);
	assert_int_equal(evdns_base_load_hosts(fx->dns, fx->hosts), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	int i;

	dialer_free(fx->d);
	/* a cancelled lookup's callback runs on this turn, before the dns
	 * base it reads goes */
	event_base_loop(fx->base, EVLOOP_NONBLOCK);
	evdns_base_free(fx->dns, 1);
	event_base_loop(fx->base, EVLOOP_NONBLOCK);
	if (fx->got_fd >= 0)
		close(fx->got_fd);
	for (i = 0; i < fx->nfds; i++)
		close(fx->fds[i]);
	event_free(fx->udp_ev);
	close(fx->udp);
	event_free(fx->safety);
	event_base_free(fx->base);
	unlink(fx->hosts);
	free(fx);
	return 0;
}

static void
on_dialed(struct dialer *d, const struct dialer_result *r, void *arg)
{
	struct fixture *fx = arg;
	struct gw_err e;

	assert_ptr_equal(d, fx->d);
	assert_false(fx->in_start);
	fx->calls++;
	fx->r = *r;
	fx->done_ms = clock_since_ms(fx->t0_ns);
	if (r->status == DIALER_CONNECTED) {
		assert_true(r->fd >= 0);
		if (fx->got_fd >= 0)
			close(fx->got_fd);
		fx->got_fd = r->fd;
	} else {
		assert_int_equal(r->fd, -1);
	}
	if (fx->cb_cancel)
		dialer_cancel(d);
	if (fx->restart.host != NULL) {
		struct dialer_config c = fx->restart;

		fx->restart.host = NULL;
		fx->in_start = 1;
		assert_int_equal(dialer_start(d, &c, &e), 0);
		fx->in_start = 0;
		return;		/* the loop goes on to the second result */
	}
	if (fx->cb_free) {
		dialer_free(d);
		fx->d = NULL;
	}
	event_base_loopbreak(fx->base);
}

static void
new_dialer(struct fixture *fx, struct evdns_base *dns)
{
	struct gw_err e;

	fx->d = dialer_new(fx->base, dns, on_dialed, fx, &e);
	assert_non_null(fx->d);
}

static void
start(struct fixture *fx, const char *host, int port, int attempt_ms,
    int total_ms)
{
	struct dialer_config c = { host, port, attempt_ms, total_ms };
	struct gw_err e = { "" };

	if (fx->d == NULL)
		new_dialer(fx, fx->dns);
	fx->t0_ns = clock_mono_ns();
	fx->in_start = 1;
	assert_int_equal(dialer_start(fx->d, &c, &e), 0);
	fx->in_start = 0;
	assert_int_equal(fx->calls, 0);		/* never from inside start */
}

static void
run(struct fixture *fx, const char *host, int port, int attempt_ms,
    int total_ms)
{
	start(fx, host, port, attempt_ms, total_ms);
	event_base_dispatch(fx->base);
	assert_int_equal(fx->calls, 1);
}

/* Run the loop for ms milliseconds. */
static void
run_for(struct fixture *fx, int ms)
{
	struct timeval tv = clock_tv_ms(ms);

	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
}

/* The address the connected fd reached. */
static void
assert_peer(struct fixture *fx, const char *ip)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char got[INET_ADDRSTRLEN];

	assert_int_equal(getpeername(fx->got_fd, (struct sockaddr *)&sin, &sl), 0);
	inet_ntop(AF_INET, &sin.sin_addr, got, sizeof(got));
	assert_string_equal(got, ip);
	assert_int_equal(ntohs(sin.sin_port), fx->port);
}

/* The message, with fx->port put where %d is. */
#define EXPECT_MSG(fx, fmt) do {					\
	char want_[256];						\
									\
	snprintf(want_, sizeof(want_), fmt, (fx)->port);		\
	assert_string_equal((fx)->r.err.msg, want_);			\
} while (0)

static void
test_numeric_connects(void **state)
{
	struct fixture *fx = *state;
	int fl;

	keep_fd(fx, tcp_bound("127.0.0.1", fx->port, 8, NULL));
	run(fx, "127.0.0.1", fx->port, 0, 0);
	assert_int_equal(fx->r.status, DIALER_CONNECTED);
	assert_peer(fx, "127.0.0.1");
	fl = fcntl(fx->got_fd, F_GETFL);
	assert_true(fl & O_NONBLOCK);
	assert_true(fcntl(fx->got_fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fx->queries, 0);	/* no resolver asked */
}

static void
test_numeric_refused(void **state)
{
	struct fixture *fx = *state;

	keep_fd(fx, tcp_bound("127.0.0.1", fx->port, -1, NULL));	/* bound, not listening */
	run(fx, "127.0.0.1", fx->port, 0, 0);
	assert_int_equal(fx->r.status, DIALER_ECONNECT);
	assert_int_equal(fx->r.sys_error, ECONNREFUSED);
	EXPECT_MSG(fx, "connect to 127.0.0.1:%d failed: Connection refused");
}

/* The name's first address refuses: the second is tried and connects. */
static void
test_second_address_after_refusal(void **state)
{
	struct fixture *fx = *state;

	keep_fd(fx, tcp_bound("127.0.0.1", fx->port, -1, NULL));
	keep_fd(fx, tcp_bound("127.0.0.2", fx->port, 8, NULL));
	run(fx, "two.test", fx->port, 0, 1000);
	assert_int_equal(fx->r.status, DIALER_CONNECTED);
	assert_peer(fx, "127.0.0.2");
	assert_int_equal(fx->queries, 0);	/* from the hosts entries */
	assert_true(fx->done_ms < 1000);
}

static void
test_all_addresses_refuse(void **state)
{
	struct fixture *fx = *state;

	keep_fd(fx, tcp_bound("127.0.0.1", fx->port, -1, NULL));
	keep_fd(fx, tcp_bound("127.0.0.2", fx->port, -1, NULL));
	run(fx, "two.test", fx->port, 0, 0);
	assert_int_equal(fx->r.status, DIALER_ECONNECT);
	assert_int_equal(fx->r.sys_error, ECONNREFUSED);
	EXPECT_MSG(fx, "connect to two.test:%d failed: Connection refused");
}

/* The first address never answers: its attempt deadline moves on to the
 * second, well before the total deadline. */
static void
test_attempt_deadline_moves_on(void **state)
{
	struct fixture *fx = *state;

	make_unanswering(fx, "127.0.0.3");
	keep_fd(fx, tcp_bound("127.0.0.2", fx->port, 8, NULL));
	run(fx, "slow.test", fx->port, 200, 3000);
	assert_int_equal(fx->r.status, DIALER_CONNECTED);
	assert_peer(fx, "127.0.0.2");
	assert_true(fx->done_ms >= 190 && fx->done_ms < 2000);
}

static void
test_attempt_deadline_last(void **state)
{
	struct fixture *fx = *state;

	make_unanswering(fx, "127.0.0.3");
	run(fx, "slowonly.test", fx->port, 150, 0);
	assert_int_equal(fx->r.status, DIALER_ECONNECT);
	assert_int_equal(fx->r.sys_error, ETIMEDOUT);
	EXPECT_MSG(fx, "connect to slowonly.test:%d failed: no answer within 150 ms");
	assert_true(fx->done_ms >= 140 && fx->done_ms < 2000);
}

static void
test_total_deadline_connecting(void **state)
{
	struct fixture *fx = *state;
	char want[128];

	make_unanswering(fx, "127.0.0.3");
	run(fx, "slowonly.test", fx->port, 0, 200);
	assert_int_equal(fx->r.status, DIALER_ETIMEDOUT);
	assert_int_equal(fx->r.resolving, 0);
	snprintf(want, sizeof(want), "connect to slowonly.test:%d timed out after ",
	    fx->port);
	assert_memory_equal(fx->r.err.msg, want, strlen(want));
	assert_true(fx->done_ms >= 190 && fx->done_ms < 2000);
}

/* An attempt deadline longer than what the total leaves: the total wins. */
static void
test_total_deadline_numeric(void **state)
{
	struct fixture *fx = *state;
	char want[128];

	make_unanswering(fx, "127.0.0.3");
	run(fx, "127.0.0.3", fx->port, 1000, 150);
	assert_int_equal(fx->r.status, DIALER_ETIMEDOUT);
	snprintf(want, sizeof(want), "connect to 127.0.0.3:%d timed out after ",
	    fx->port);
	assert_memory_equal(fx->r.err.msg, want, strlen(want));
}

static void
test_total_deadline_resolving(void **state)
{
	struct fixture *fx = *state;
	int ms = -1;

	fx->dns_mode = DNS_SILENT;
	run(fx, "nowhere.test", 4002, 100, 150);
	assert_int_equal(fx->r.status, DIALER_ETIMEDOUT);
	assert_int_equal(fx->r.resolving, 1);
	assert_int_equal(sscanf(fx->r.err.msg, "cannot resolve 'nowhere.test' within %d ms",
	    &ms), 1);
	assert_true(ms >= 145 && ms < 2000);
	assert_true(fx->queries >= 1);
}

static void
test_unresolvable_name(void **state)
{
	struct fixture *fx = *state;
	char want[160];

	fx->dns_mode = DNS_NXDOMAIN;
	run(fx, "nosuch.test", 4002, 0, 2000);
	assert_int_equal(fx->r.status, DIALER_ERESOLVE);
	assert_int_equal(fx->r.gai_error, EVUTIL_EAI_NONAME);
	snprintf(want, sizeof(want), "cannot resolve 'nosuch.test': %s",
	    evutil_gai_strerror(EVUTIL_EAI_NONAME));
	assert_string_equal(fx->r.err.msg, want);
	assert_true(fx->queries >= 1);
}

/* A host with bytes that are not printable is quoted in the message. */
static void
test_host_quoted(void **state)
{
	struct fixture *fx = *state;

	fx->dns_mode = DNS_NXDOMAIN;
	run(fx, "bad\x1b[31m.test", 4002, 0, 2000);
	assert_int_equal(fx->r.status, DIALER_ERESOLVE);
	assert_non_null(strstr(fx->r.err.msg, "cannot resolve 'bad?[31m.test': "));
}

static void
test_ipv6_where(void **state)
{
	struct fixture *fx = *state;
	char want[64];

	/* refused, or no IPv6 at all: either way [::1]:port is named */
	run(fx, "::1", fx->port, 0, 1000);
	assert_int_equal(fx->r.status, DIALER_ECONNECT);
	snprintf(want, sizeof(want), "connect to [::1]:%d failed: ", fx->port);
	assert_memory_equal(fx->r.err.msg, want, strlen(want));
}

/* Cancelled while the lookup is outstanding: no callback, not even when
 * libevent delivers the cancelled lookup's own; the dialer can be used
 * again, and freed during a lookup (ASan: nothing leaks). */
static void
test_cancel_during_resolution(void **state)
{
	struct fixture *fx = *state;

	fx->dns_mode = DNS_SILENT;
	start(fx, "nowhere.test", 4002, 0, 300);
	run_for(fx, 50);
	assert_int_equal(fx->queries, 1);	/* the lookup is out */
	assert_int_equal(fx->calls, 0);
	dialer_cancel(fx->d);
	dialer_cancel(fx->d);			/* idle: a no-op */
	run_for(fx, 400);			/* past the 300 ms deadline */
	assert_int_equal(fx->calls, 0);

	keep_fd(fx, tcp_bound("127.0.0.1", fx->port, 8, NULL));
	run(fx, "127.0.0.1", fx->port, 0, 1000);
	assert_int_equal(fx->r.status, DIALER_CONNECTED);

	/* a new start cancels the lookup in progress */
	fx->calls = 0;
	start(fx, "nowhere.test", 4002, 0, 0);
	run_for(fx, 50);
	run(fx, "127.0.0.1", fx->port, 0, 1000);
	assert_int_equal(fx->r.status, DIALER_CONNECTED);

	fx->calls = 0;
	start(fx, "nowhere.test", 4002, 0, 0);
	run_for(fx, 50);
	dialer_free(fx->d);
	fx->d = NULL;
	run_for(fx, 50);			/* the late callback frees it */
	assert_int_equal(fx->calls, 0);
}

/* Freed before the loop ever ran: no callback, no connection. */
static void
test_free_before_loop(void **state)
{
	struct fixture *fx = *state;
	int lis = tcp_bound("127.0.0.1", fx->port, 8, NULL);

	keep_fd(fx, lis);
	start(fx, "127.0.0.1", fx->port, 0, 100);
	dialer_free(fx->d);
	fx->d = NULL;
	start(fx, "two.test", fx->port, 0, 100);	/* answered from hosts */
	dialer_free(fx->d);
	fx->d = NULL;
	run_for(fx, 200);
	assert_int_equal(fx->calls, 0);
	fcntl(lis, F_SETFL, O_NONBLOCK);
	assert_int_equal(accept(lis, NULL, NULL), -1);	/* nobody came */
	assert_int_equal(errno, EAGAIN);
}

/* The callback may cancel and free its dialer, on failure and success. */
static void
test_free_in_callback(void **state)
{
	struct fixture *fx = *state;

	keep_fd(fx, tcp_bound("127.0.0.1", fx->port, -1, NULL));
	fx->cb_cancel = 1;
	fx->cb_free = 1;
	run(fx, "127.0.0.1", fx->port, 0, 1000);
	assert_int_equal(fx->r.status, DIALER_ECONNECT);
	assert_null(fx->d);

	fx->calls = 0;
	keep_fd(fx, tcp_bound("127.0.0.2", fx->port, 8, NULL));
	run(fx, "open.test", fx->port, 0, 1000);
	assert_int_equal(fx->r.status, DIALER_CONNECTED);
	assert_null(fx->d);
	run_for(fx, 100);			/* nothing else fires */
	assert_int_equal(fx->calls, 1);
}

/* The callback may start the dialer again. */
static void
test_restart_in_callback(void **state)
{
	struct fixture *fx = *state;

	keep_fd(fx, tcp_bound("127.0.0.1", fx->port, -1, NULL));
	keep_fd(fx, tcp_bound("127.0.0.2", fx->port, 8, NULL));
	fx->restart.host = "open.test";
	fx->restart.port = fx->port;
	fx->restart.total_timeout_ms = 1000;
	start(fx, "refused.test", fx->port, 0, 1000);
	event_base_dispatch(fx->base);
	assert_int_equal(fx->calls, 2);
	assert_int_equal(fx->r.status, DIALER_CONNECTED);
	assert_peer(fx, "127.0.0.2");
}

/* With no dns base given, the dialer makes one (and frees it); "localhost"
 * comes from /etc/hosts, ::1 first or not. */
static void
test_own_resolver_localhost(void **state)
{
	struct fixture *fx = *state;

	keep_fd(fx, tcp_bound("127.0.0.1", fx->port, 8, NULL));
	new_dialer(fx, NULL);
	run(fx, "localhost", fx->port, 0, 2000);
	assert_int_equal(fx->r.status, DIALER_CONNECTED);
	assert_peer(fx, "127.0.0.1");
	assert_int_equal(fx->queries, 0);
}

static void
test_bad_config(void **state)
{
	struct fixture *fx = *state;
	struct dialer_config c = { "127.0.0.1", 0, 0, 0 };
	char big[300];
	struct gw_err e;

	new_dialer(fx, fx->dns);
	assert_int_equal(dialer_start(fx->d, &c, &e), -1);
	assert_string_equal(e.msg, "dialer: port 0 not in 1..65535");
	c.port = 65536;
	assert_int_equal(dialer_config_check(&c, &e), -1);
	assert_string_equal(e.msg, "dialer: port 65536 not in 1..65535");
	c.port = 1;
	c.host = "";
	assert_int_equal(dialer_config_check(&c, &e), -1);
	assert_string_equal(e.msg, "dialer: host must be 1..253 characters");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	c.host = big;
	assert_int_equal(dialer_config_check(&c, &e), -1);
	c.host = NULL;
	assert_int_equal(dialer_config_check(&c, &e), -1);
	c.host = "x";
	c.attempt_timeout_ms = -1;
	assert_int_equal(dialer_config_check(&c, &e), -1);
	assert_string_equal(e.msg, "dialer: timeouts must not be negative");
	c.attempt_timeout_ms = 0;
	assert_int_equal(dialer_config_check(&c, &e), 0);
	run_for(fx, 20);
	assert_int_equal(fx->calls, 0);
	dialer_cancel(NULL);
	dialer_free(NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_numeric_connects),
		T(test_numeric_refused),
		T(test_second_address_after_refusal),
		T(test_all_addresses_refuse),
		T(test_attempt_deadline_moves_on),
		T(test_attempt_deadline_last),
		T(test_total_deadline_connecting),
		T(test_total_deadline_numeric),
		T(test_total_deadline_resolving),
		T(test_unresolvable_name),
		T(test_host_quoted),
		T(test_ipv6_where),
		T(test_cancel_during_resolution),
		T(test_free_before_loop),
		T(test_free_in_callback),
		T(test_restart_in_callback),
		T(test_own_resolver_localhost),
		T(test_bad_config),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
