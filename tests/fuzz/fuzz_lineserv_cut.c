/* libFuzzer target for lineserv_cut, the line cutter of every socket and
 * of discord-notify's stdin. The first two bytes choose the longest line
 * (1..256) and the size of the reads the rest arrives in (1..64); the
 * bytes are cut as they arrive, then at EOF. Invariants: a line never
 * holds a LF nor exceeds the cap, every answer but "none" takes bytes,
 * the buffer stays bounded, and at EOF every byte is taken. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "lineserv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Cut everything cuttable out of buf. */
static void
cut_all(struct evbuffer *buf, size_t max, int eof, int *skipping)
{
	struct lineserv_cut c;
	enum lineserv_cut_what w;
	size_t before;

	for (;;) {
		before = evbuffer_get_length(buf);
		w = lineserv_cut(buf, max, eof, skipping, &c);
		if (w == LINESERV_CUT_NONE)
			break;
		if (w == LINESERV_CUT_LINE) {
			if (c.len > max || memchr(c.line, '\n', c.len) != NULL ||
			    c.used < c.len || c.used > before)
				__builtin_trap();
			evbuffer_drain(buf, c.used);
		}
		if (evbuffer_get_length(buf) >= before)
			__builtin_trap();	/* no progress */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *buf;
	size_t max, chunk, off = 2;
	int skipping = 0;

	if (size < 2)
		return 0;
	max = 1 + data[0];
	chunk = 1 + data[1] % 64;
	if ((buf = evbuffer_new()) == NULL)
		return 0;
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;

		evbuffer_add(buf, data + off, n);
		off += n;
		cut_all(buf, max, 0, &skipping);
		/* bounded: a partial line and one read at most */
		if (evbuffer_get_length(buf) > max + 1 + chunk)
			__builtin_trap();
	}
	cut_all(buf, max, 1, &skipping);
	if (evbuffer_get_length(buf) != 0)
		__builtin_trap();	/* at EOF everything is taken */
	evbuffer_free(buf);
	return 0;
}
