/*
 * fuzz.h - what every harness in tests/fuzz/ shares.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput and is linked either
 * with libFuzzer (clang, SHOPVOX_LIBFUZZER) or with driver.c, which replays
 * a corpus and runs seeded mutations of it (gcc + ASan/UBSan in ctest).
 * An invariant that does not hold aborts: libFuzzer and the driver both
 * save the input that did it.
 */
#ifndef SHOPVOX_FUZZ_H
#define SHOPVOX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                          \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                       \
            abort();                                                              \
        }                                                                         \
    } while (0)

/* The input as an owned C string (it ends at the first NUL, as C callers see it). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    return xstrndup((const char *)data, size);
}

#endif
