/* backoff: capped doubling delays. Trusted input. */
#include "backoff.h"

void
backoff_init(struct backoff *b, double initial, double cap)
{
	b->initial = initial < 0 ? 0 : initial;
	b->cap = cap < b->initial ? b->initial : cap;
	b->next = b->initial;
}

double
backoff_next(struct backoff *b)
{
	double d = b->next;

	b->next = d * 2 > b->cap ? b->cap : d * 2;
	return d;
}

void
backoff_reset(struct backoff *b)
{
	b->next = b->initial;
}
