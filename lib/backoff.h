/*
 * backoff: retry delays that start at `initial` seconds and double up to
 * `cap` (GATEWAY_RETRY_INTERVAL doubling to 30 s). Pure arithmetic.
 */
#ifndef GW_BACKOFF_H
#define GW_BACKOFF_H

struct backoff {
	double initial;
	double cap;
	double next;
};

void backoff_init(struct backoff *b, double initial, double cap);
/* The delay to wait now; the following call returns twice as much, capped. */
double backoff_next(struct backoff *b);
void backoff_reset(struct backoff *b);

#endif
