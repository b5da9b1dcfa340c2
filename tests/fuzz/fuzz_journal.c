/* libFuzzer target for bot-core's journal_decode_line: any bytes, any
 * length. A refusal must say why in one line and leave *r zeroed. A
 * decoded record must encode (journal_encode refuses nothing the decoder
 * accepted) as one line with its LF only at the end, and that line must
 * decode to the same record, byte for byte (the round trip is the
 * identity), and encode to the same line again. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[JOURNAL_LINE_MAX + 1], again[JOURNAL_LINE_MAX + 1];
	struct jrec r, back, zero;
	struct gw_err e;
	int n, m;

	memset(&zero, 0, sizeof(zero));
	e.msg[0] = '\0';
	if (journal_decode_line((const char *)data, size, &r, &e) != 0) {
		if (e.msg[0] == '\0' || memchr(e.msg, '\0', sizeof(e.msg)) ==
		    NULL || strchr(e.msg, '\n') != NULL ||
		    memcmp(&r, &zero, sizeof(r)) != 0)
			__builtin_trap();
		return 0;
	}
	if (size >= JOURNAL_LINE_MAX)
		__builtin_trap();
	n = journal_encode(&r, out, sizeof(out), &e);
	if (n < 2 || (size_t)n != strlen(out) || out[n - 1] != '\n' ||
	    memchr(out, '\n', (size_t)n - 1) != NULL)
		__builtin_trap();
	if (journal_decode_line(out, (size_t)n - 1, &back, &e) != 0 ||
	    memcmp(&back, &r, sizeof(r)) != 0)
		__builtin_trap();
	m = journal_encode(&back, again, sizeof(again), &e);
	if (m != n || memcmp(again, out, (size_t)n) != 0)
		__builtin_trap();
	return 0;
}
