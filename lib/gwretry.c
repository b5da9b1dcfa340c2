/* gwretry: cheap failures polled fast, costly ones backed off. Pure. */
#include <stdlib.h>

#include "cfg.h"
#include "gwretry.h"

void
gwretry_init(struct gwretry *r, const struct gwretry_policy *p)
{
	r->p = *p;
	if (!(r->p.fast_s >= 0))
		r->p.fast_s = 0;
	backoff_init(&r->bo, p->initial_s, p->cap_s);
	r->cheap = r->costly = 0;
	r->have_reported = 0;
	r->last_reported = TWS_READY;
	r->last_report_ms = 0;
	r->suppressed = 0;
}

int
gwretry_is_cheap(enum tws_verdict v)
{
	return v == TWS_UNREACHABLE || v == TWS_RELAY_CLOSED;
}

double
gwretry_next(struct gwretry *r, enum tws_verdict v)
{
	if (gwretry_is_cheap(v)) {
		r->cheap++;
		if (r->p.fast_s > 0)
			return r->p.fast_s;
		return backoff_next(&r->bo);
	}
	r->costly++;
	return backoff_next(&r->bo);
}

double
gwretry_after_loss(struct gwretry *r)
{
	return r->p.fast_s > 0 ? 0 : backoff_next(&r->bo);
}

void
gwretry_reset(struct gwretry *r)
{
	backoff_reset(&r->bo);
	r->cheap = r->costly = 0;
	r->have_reported = 0;
	r->suppressed = 0;
}

int
gwretry_report(struct gwretry *r, enum tws_verdict v, int64_t now_ms,
    long *suppressed)
{
	int say = !r->have_reported || !gwretry_is_cheap(v) ||
	    v != r->last_reported ||
	    now_ms - r->last_report_ms >= GWRETRY_REPORT_EVERY_MS;

	if (!say) {
		r->suppressed++;
		if (suppressed != NULL)
			*suppressed = r->suppressed;
		return 0;
	}
	if (suppressed != NULL)
		*suppressed = r->suppressed;
	r->suppressed = 0;
	r->have_reported = 1;
	r->last_reported = v;
	r->last_report_ms = now_ms;
	return 1;
}

int
gwretry_parse_fast(const char *name, const char *s, double *out,
    struct gw_err *err)
{
	double v;

	if (cfg_seconds(name, s, 0, GWRETRY_FAST_MAX, &v, err) < 0)
		return -1;
	if (v != 0 && v < GWRETRY_FAST_MIN)
		return gw_err_set(err, "%s: '%s' is neither 0 (off) nor in "
		    "%g..%g seconds", name, s, GWRETRY_FAST_MIN, GWRETRY_FAST_MAX);
	*out = v;
	return 0;
}

int
gwretry_env_fast(const char *var, double def, double *out, struct gw_err *err)
{
	const char *s = getenv(var);

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	return gwretry_parse_fast(var, s, out, err);
}
