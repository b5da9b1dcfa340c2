/* libFuzzer target for health-mon's hostinfo decoders: any bytes. The
 * first byte chooses the decoder (its value mod 5; printable: 'A' loadavg,
 * 'B' meminfo, 'C' status, 'D' cpuinfo, 'E' pid file); the rest is the
 * file. A refusal must say why and leave the output as it was; an
 * acceptance must be what hostinfo.h promises (the file ends in '\n',
 * values in range, a name from the input, terminated). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hostinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

union out {
	struct hostinfo_load l;
	struct hostinfo_mem m;
	struct hostinfo_status s;
	int cpus;
	pid_t pid;
};

static int
has(const char *buf, size_t len, const char *s)
{
	return memmem(buf, len, s, strlen(s)) != NULL;
}

static int
avg_ok(double v)
{
	return v >= 0 && v < 1e9;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union out o, before;
	struct gw_err e;
	const char *buf;
	size_t len;
	int rc = -1, which;

	if (size < 1)
		return 0;
	which = data[0] % 5;
	buf = (const char *)data + 1;
	len = size - 1;
	memset(&o, 0x5a, sizeof(o));
	memcpy(&before, &o, sizeof(o));
	e.msg[0] = '\0';
	switch (which) {
	case 0:
		rc = hostinfo_parse_loadavg(buf, len, NULL, &o.l, &e);
		break;
	case 1:
		rc = hostinfo_parse_meminfo(buf, len, NULL, &o.m, &e);
		break;
	case 2:
		rc = hostinfo_parse_status(buf, len, NULL, &o.s, &e);
		break;
	case 3:
		rc = hostinfo_parse_cpuinfo(buf, len, NULL, &o.cpus, &e);
		break;
	case 4:
		rc = hostinfo_parse_pid(buf, len, NULL, &o.pid, &e);
		break;
	}
	if (rc != 0) {
		if (rc != -1 || e.msg[0] == '\0' ||
		    memchr(e.msg, '\0', sizeof(e.msg)) == NULL ||
		    memchr(e.msg, '\n', strlen(e.msg)) != NULL ||
		    memcmp(&o, &before, sizeof(o)) != 0)
			__builtin_trap();	/* one line, changes nothing */
		return 0;
	}
	if (which != 4 && (len == 0 || buf[len - 1] != '\n'))
		__builtin_trap();		/* truncated accepted */
	switch (which) {
	case 0:
		if (!avg_ok(o.l.avg1) || !avg_ok(o.l.avg5) ||
		    !avg_ok(o.l.avg15))
			__builtin_trap();
		break;
	case 1:
		if (o.m.total_kib > HOSTINFO_KIB_MAX ||
		    o.m.available_kib > HOSTINFO_KIB_MAX ||
		    !has(buf, len, "MemTotal:") ||
		    !has(buf, len, "MemAvailable:"))
			__builtin_trap();
		break;
	case 2:
		if (memchr(o.s.name, '\0', sizeof(o.s.name)) == NULL ||
		    (o.s.name[0] != '\0' && !has(buf, len, o.s.name)) ||
		    !has(buf, len, "Name:") ||
		    (o.s.has_rss != 0 && o.s.has_rss != 1) ||
		    (o.s.has_rss && (o.s.rss_kib > HOSTINFO_KIB_MAX ||
		    !has(buf, len, "VmRSS:"))) ||
		    (!o.s.has_rss && o.s.rss_kib != 0))
			__builtin_trap();
		break;
	case 3:
		if (o.cpus < 1 || o.cpus > HOSTINFO_CPUS_MAX ||
		    !has(buf, len, "processor"))
			__builtin_trap();
		break;
	case 4:
		if (o.pid < 1 || o.pid > HOSTINFO_PID_MAX)
			__builtin_trap();
		break;
	}
	return 0;
}
