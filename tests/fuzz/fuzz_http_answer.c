/*
 * fuzz_http_answer.c - lg_resp_parse (bench/loadgen/lg_http.c), the load
 * generator's reader of whatever the server under test answers, on
 * arbitrary bytes, with and without the connection closed after them.
 *
 * Invariants: the result is -1 (malformed) or 0 (incomplete) or a length
 * within the input; a complete answer has a status from 100 to 599; the
 * parser reads nothing past the length it is given (ASan) and gives the same
 * answer twice; a complete answer stays complete, with the same length, when
 * more bytes follow it.
 */
#include "fuzz.h"
#include "lg_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = xmalloc(size + 16);

    memcpy(buf, data, size);
    for (int eof = 0; eof <= 1; eof++) {
        struct lg_resp r = {0}, again = {0};
        long n = lg_resp_parse(buf, size, eof, &r);

        FUZZ_CHECK(n >= -1 && n <= (long)size);
        FUZZ_CHECK(lg_resp_parse(buf, size, eof, &again) == n);
        if (n <= 0)
            continue;
        FUZZ_CHECK(r.status >= 100 && r.status <= 599);
        FUZZ_CHECK(again.status == r.status && again.keep_alive == r.keep_alive);
        if (!eof) {
            memcpy(buf + size, "HTTP/1.1 200 OK\r\n", 16);
            FUZZ_CHECK(lg_resp_parse(buf, size + 16, false, &again) == n);
        }
    }
    free(buf);
    return 0;
}
