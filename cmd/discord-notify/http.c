/*
 * http: libcurl multi-socket transport on libevent (see http.h). Response
 * headers and bodies are untrusted bytes from the network, and may quote
 * our request (URL, Authorization): they are redacted (discord_redact)
 * before they leave.
 */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <event2/event.h>

#define MAX_BODY 65536

struct req;
struct sock;

struct http {
	struct event_base *base;
	CURLM *multi;
	LIST_HEAD(, req) reqs;		/* in flight: freed by http_free */
	LIST_HEAD(, sock) socks;	/* watched: freed by http_free */
	struct event *timer;
	struct discord_webhook wh;
	char url[sizeof(((struct discord_webhook *)0)->url) + 16];
	int allow_insecure;
	long timeout_ms;
};

struct req {
	LIST_ENTRY(req) link;
	struct http *h;
	CURL *easy;
	struct curl_slist *headers;
	struct discord_response r;
	char *body;
	size_t len;
	int truncated;		/* the body was longer than MAX_BODY */
	http_done_cb cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
};

struct sock {
	LIST_ENTRY(sock) link;
	struct event *ev;
};

static void check_done(struct http *h);

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	    ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;

	curl_multi_socket_action(h->multi, fd, action, &running);
	check_done(h);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

/* CURLMOPT_SOCKETFUNCTION: watch what curl wants on each socket. */
static int
socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http *h = userp;
	struct sock *sk = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sk != NULL) {
			LIST_REMOVE(sk, link);
			if (sk->ev != NULL)
				event_free(sk->ev);
			free(sk);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
	if (sk == NULL) {
		if ((sk = calloc(1, sizeof(*sk))) == NULL)
			return -1;
		LIST_INSERT_HEAD(&h->socks, sk, link);
		curl_multi_assign(h->multi, s, sk);
	} else if (sk->ev != NULL) {
		event_free(sk->ev);
	}
	sk->ev = event_new(h->base, s, kind, on_socket_event, h);
	if (sk->ev == NULL)
		return -1;
	event_add(sk->ev, NULL);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer for all of curl's timeouts. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
	return 0;
}

static size_t
header_cb(char *buf, size_t size, size_t n, void *userdata)
{
	struct req *q = userdata;
	size_t len = size * n;

	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0)	/* a new response */
		memset(&q->r, 0, sizeof(q->r));
	discord_parse_header(buf, len, &q->r);
	return len;
}

static size_t
body_cb(char *buf, size_t size, size_t n, void *userdata)
{
	struct req *q = userdata;
	size_t len = size * n, take = len;

	if (q->len + take > MAX_BODY) {
		take = MAX_BODY - q->len;	/* keep reading, keep the head */
		q->truncated = 1;
	}
	if (take > 0) {
		char *b = realloc(q->body, q->len + take + 1);

		if (b == NULL)
			return len;
		q->body = b;
		memcpy(q->body + q->len, buf, take);
		q->len += take;
		q->body[q->len] = '\0';
	}
	return len;
}

static void
req_free(struct req *q)
{
	if (q == NULL)
		return;
	if (q->easy != NULL) {
		LIST_REMOVE(q, link);
		curl_multi_remove_handle(q->h->multi, q->easy);
		curl_easy_cleanup(q->easy);
	}
	curl_slist_free_all(q->headers);
	free(q->body);
	free(q);
}

static void
check_done(struct http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct req *q = NULL;
		CURLcode res;
		long status = 0;
		char error[CURL_ERROR_SIZE + 64];
		size_t blen = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		res = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		error[0] = '\0';
		if (res == CURLE_OK) {
			curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
		} else {
			snprintf(error, sizeof(error), "%s%s%s", curl_easy_strerror(res),
			    q->errbuf[0] ? ": " : "", q->errbuf);
			discord_redact(&h->wh, error);
		}
		if (q->body != NULL) {
			blen = q->truncated ? discord_redact_cut(&h->wh, q->body, q->len) :
			    discord_redact_buf(&h->wh, q->body, q->len);
			q->body[blen] = '\0';
		}
		q->r.status = status;
		if (status == 429 && q->body != NULL)
			discord_parse_429(q->body, blen, &q->r);
		/* finished before its callback runs (which may post again) */
		LIST_REMOVE(q, link);
		curl_multi_remove_handle(h->multi, q->easy);
		curl_easy_cleanup(q->easy);
		q->easy = NULL;
		q->cb(q->arg, &q->r, q->body, blen, error[0] ? error : NULL);
		req_free(q);
	}
}

struct http *
http_new(struct event_base *base, const struct discord_webhook *wh,
    int allow_insecure, long timeout_ms, struct gw_err *err)
{
	struct http *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		gw_err_set(err, "http: out of memory");
		return NULL;
	}
	h->base = base;
	LIST_INIT(&h->reqs);
	LIST_INIT(&h->socks);
	h->wh = *wh;
	snprintf(h->url, sizeof(h->url), "%s?wait=true", wh->url);
	h->allow_insecure = allow_insecure;
	h->timeout_ms = timeout_ms;
	h->multi = curl_multi_init();
	h->timer = evtimer_new(base, on_timer, h);
	if (h->multi == NULL || h->timer == NULL) {
		gw_err_set(err, "http: cannot initialise libcurl");
		http_free(h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	/* Requests in flight are dropped without calling back: whoever frees
	 * the transport no longer wants their answers. */
	while (!LIST_EMPTY(&h->reqs))
		req_free(LIST_FIRST(&h->reqs));
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	while (!LIST_EMPTY(&h->socks)) {	/* any curl did not remove */
		struct sock *sk = LIST_FIRST(&h->socks);

		LIST_REMOVE(sk, link);
		if (sk->ev != NULL)
			event_free(sk->ev);
		free(sk);
	}
	if (h->timer != NULL)
		event_free(h->timer);
	memset(h->url, 0, sizeof(h->url));
	memset(&h->wh, 0, sizeof(h->wh));
	free(h);
}

int
http_post(struct http *h, const char *body, size_t len, http_done_cb cb,
    void *arg, struct gw_err *err)
{
	struct req *q = calloc(1, sizeof(*q));
	CURL *e;

	if (q == NULL || (e = curl_easy_init()) == NULL) {
		free(q);
		return gw_err_set(err, "http: cannot create a request");
	}
	q->easy = e;
	q->h = h;
	q->cb = cb;
	q->arg = arg;
	q->headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, h->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, h->allow_insecure ? "https,http" : "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "gwkit-discord-notify/0.1.0");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms < 10000 ?
	    h->timeout_ms : 10000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	if (q->headers == NULL || curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		q->easy = NULL;
		req_free(q);
		return gw_err_set(err, "http: cannot start the request");
	}
	LIST_INSERT_HEAD(&h->reqs, q, link);
	return 0;
}
