/* libFuzzer target for sim_ctl_parse: any bytes, any length. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim_ctl_cmd c;
	struct gw_err e;

	e.msg[0] = '\0';
	if (sim_ctl_parse((const char *)data, size, &c, &e) == 0) {
		/* outputs are C strings within their buffers */
		if (memchr(c.name, '\0', sizeof(c.name)) == NULL ||
		    memchr(c.arg, '\0', sizeof(c.arg)) == NULL ||
		    (!c.has_arg && c.arg[0] != '\0'))
			__builtin_trap();
	} else if (e.msg[0] == '\0' || memchr(e.msg, '\0', sizeof(e.msg)) == NULL) {
		__builtin_trap();	/* every failure says why */
	}
	return 0;
}
