/* libFuzzer target for initrestart_decode: any bytes. A decoded answer
 * must be self-consistent (a known state, times in order, ended only when
 * over, NUL-terminated words); a refusal must leave IR_UNKNOWN and say why. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "initrestart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct initrestart r;
	struct gw_err e;

	e.msg[0] = '\0';
	if (initrestart_decode((const char *)data, size, 1796679000000LL, &r, &e) < 0) {
		if (r.state != IR_UNKNOWN || e.msg[0] == '\0')
			__builtin_trap();
		return 0;
	}
	if (r.state == IR_UNKNOWN || (unsigned)r.state >= IR_STATE_COUNT ||
	    memchr(r.trigger, '\0', sizeof(r.trigger)) == NULL ||
	    memchr(r.method, '\0', sizeof(r.method)) == NULL ||
	    r.state == IR_NONE || r.service[0] == '\0' ||
	    memchr(r.service, '\0', sizeof(r.service)) == NULL ||
	    (r.state == IR_IN_PROGRESS && r.deadline_ms < 1796679000000LL) ||
	    (r.state == IR_IN_PROGRESS && r.ended_ms != 0) ||
	    (r.ended_ms != 0 && r.ended_ms < r.began_ms) || r.began_ms < 0)
		__builtin_trap();
	return 0;
}
