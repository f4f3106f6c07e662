/*
 * test_buf.c - the capped buffer: a table of append sequences against caps
 * (an append past the cap fails and changes nothing, so len never passes
 * max), formatted appends, binary data, reset/steal/cleanup, and sizes
 * that would wrap around.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "common.h"

#define MAX_STEPS 6

/* One append of n bytes of fill; want_rc is what buf_append must return. */
struct step {
    size_t n;
    int want_rc;
};

struct cap_case {
    const char *what;
    size_t max;                 /* 0: unlimited */
    struct step steps[MAX_STEPS];
    size_t n_steps;
    size_t want_len;
};

static const struct cap_case cap_cases[] = {
    {"unlimited", 0, {{10, 0}, {1000, 0}, {70000, 0}}, 3, 71010},
    {"empty appends", 4, {{0, 0}, {0, 0}}, 2, 0},
    {"exactly the cap", 8, {{8, 0}}, 1, 8},
    {"one past the cap", 8, {{9, -1}}, 1, 0},
    {"fill in steps", 8, {{3, 0}, {5, 0}, {1, -1}, {0, 0}}, 4, 8},
    {"a refused append keeps the rest", 8, {{5, 0}, {4, -1}, {3, 0}}, 3, 8},
    {"cap of one", 1, {{1, 0}, {1, -1}}, 2, 1},
    {"far past the cap", 16, {{4, 0}, {SIZE_MAX / 2, -1}, {12, 0}}, 3, 16},
    {"growth across the first block", 300, {{255, 0}, {1, 0}, {44, 0}, {1, -1}}, 4, 300},
};

static void check_invariants(const struct buf *b)
{
    if (b->max != 0)
        assert_true(b->len <= b->max);
    if (b->data != NULL) {
        assert_true(b->len < b->cap);          /* room for the NUL */
        assert_int_equal(b->data[b->len], '\0');
    } else {
        assert_int_equal(b->len, 0);
    }
}

static void test_caps_table(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(cap_cases); i++) {
        const struct cap_case *c = &cap_cases[i];
        struct buf b;
        char fill = 'a';

        buf_init(&b, c->max);
        check_invariants(&b);
        for (size_t s = 0; s < c->n_steps; s++) {
            size_t n = c->steps[s].n;
            size_t before = b.len;
            /* a refused append's bytes are never read: it may claim any size */
            char *src = c->steps[s].want_rc == 0 ? xmalloc(n > 0 ? n : 1) : &fill;
            int rc;

            if (c->steps[s].want_rc == 0)
                memset(src, fill, n);
            rc = buf_append(&b, src, n);
            if (rc != c->steps[s].want_rc)
                fail_msg("%s, step %zu: rc %d, want %d", c->what, s, rc, c->steps[s].want_rc);
            assert_int_equal(b.len, rc == 0 ? before + n : before);
            check_invariants(&b);
            if (src != &fill)
                free(src);
            fill++;
        }
        if (b.len != c->want_len)
            fail_msg("%s: len %zu, want %zu", c->what, b.len, c->want_len);
        buf_cleanup(&b);
    }
}

/* The contents are exactly the accepted appends, in order. */
static void test_contents_after_refusal(void **state)
{
    struct buf b;

    buf_init(&b, 10);
    assert_int_equal(buf_append_str(&b, "hello"), 0);
    assert_int_equal(buf_append_str(&b, ", world"), -1);
    assert_string_equal(buf_cstr(&b), "hello");
    assert_int_equal(buf_append_str(&b, "!!!!!"), 0);
    assert_string_equal(buf_cstr(&b), "hello!!!!!");
    buf_cleanup(&b);
}

struct fmt_case {
    size_t max;
    const char *fmt_arg;   /* appended with "%s|%d" and 42 */
    int want_rc;
    const char *want;
};

static const struct fmt_case fmt_cases[] = {
    {0, "abc", 0, "abc|42"},
    {6, "abc", 0, "abc|42"},            /* exactly the cap */
    {5, "abc", -1, ""},                 /* one past: nothing written */
    {0, "", 0, "|42"},
    {64, "caf\xc3\xa9", 0, "caf\xc3\xa9|42"},
};

static void test_appendf_table(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(fmt_cases); i++) {
        const struct fmt_case *c = &fmt_cases[i];
        struct buf b;

        buf_init(&b, c->max);
        assert_int_equal(buf_appendf(&b, "%s|%d", c->fmt_arg, 42), c->want_rc);
        assert_string_equal(buf_cstr(&b), c->want);
        check_invariants(&b);
        buf_cleanup(&b);
    }
}

/* A long formatted append grows the buffer once and stays NUL-terminated. */
static void test_appendf_grows(void **state)
{
    struct buf b;
    char big[5000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    buf_init(&b, 0);
    assert_int_equal(buf_appendf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, sizeof(big) + 1);
    assert_int_equal(b.data[0], '[');
    assert_int_equal(b.data[b.len - 1], ']');
    check_invariants(&b);
    buf_cleanup(&b);
}

static void test_binary_data(void **state)
{
    static const char bytes[] = {'a', '\0', 'b', '\0'};
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, bytes, sizeof(bytes)), 0);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, bytes, 4);
    assert_string_equal(buf_cstr(&b), "a");   /* as a C string it ends at the first NUL */
    buf_cleanup(&b);
}

static void test_reset_steal_cleanup(void **state)
{
    struct buf b;
    char *data, *p;

    buf_init(&b, 0);
    assert_string_equal(buf_cstr(&b), "");
    buf_reset(&b);                              /* on an empty buffer: fine */
    assert_int_equal(buf_append_str(&b, "one"), 0);
    data = b.data;
    buf_reset(&b);
    assert_ptr_equal(b.data, data);             /* the memory is kept */
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(buf_append_str(&b, "two"), 0);
    p = buf_steal(&b);
    assert_string_equal(p, "two");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(p);
    p = buf_steal(&b);                          /* empty: "" and still owned */
    assert_string_equal(p, "");
    free(p);
    assert_int_equal(buf_append_str(&b, "three"), 0);
    buf_cleanup(&b);
    assert_null(b.data);
    buf_cleanup(&b);                            /* twice: fine */
    buf_init(&b, 4);                            /* reusable */
    assert_int_equal(buf_append_str(&b, "four"), 0);
    buf_cleanup(&b);
}

/*
 * Sizes near SIZE_MAX must be refused, not wrapped into a small
 * allocation: with no cap, len + n + 1 overflows. The data pointer is never
 * read for a refused append.
 */
static void test_sizes_that_would_wrap(void **state)
{
    static const size_t sizes[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 4};
    const char one = 'x';

    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        struct buf b;

        buf_init(&b, 0);
        assert_int_equal(buf_append(&b, "abcd", 4), 0);
        assert_int_equal(buf_append(&b, &one, sizes[i]), -1);
        assert_int_equal(b.len, 4);
        assert_string_equal(buf_cstr(&b), "abcd");
        buf_cleanup(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps_table),
        cmocka_unit_test(test_contents_after_refusal),
        cmocka_unit_test(test_appendf_table),
        cmocka_unit_test(test_appendf_grows),
        cmocka_unit_test(test_binary_data),
        cmocka_unit_test(test_reset_steal_cleanup),
        cmocka_unit_test(test_sizes_that_would_wrap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
