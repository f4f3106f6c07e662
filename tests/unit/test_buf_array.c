/*
 * test_buf_array.c - the growable-array helper and buf_vappendf: capacity
 * starts at 8 and doubles, new slots are zeroed, old elements survive a
 * move, a need within the capacity changes nothing, a huge need aborts
 * instead of wrapping around; buf_vappendf (under buf_appendf) formats,
 * honours the cap and leaves a refused buffer unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"

struct pair {
    long a;
    char *name;
};

static void test_grow_from_empty(void **state)
{
    struct pair *v = NULL;
    size_t cap = 0;

    v = buf_grow_array(v, &cap, 1, sizeof(*v));
    assert_non_null(v);
    assert_int_equal(cap, 8);
    for (size_t i = 0; i < cap; i++) {
        assert_int_equal(v[i].a, 0);
        assert_null(v[i].name);
    }
    free(v);
}

static void test_grow_doubles_keeps_and_zeroes(void **state)
{
    static const struct { size_t need, cap; } steps[] = {
        {1, 8}, {8, 8}, {9, 16}, {16, 16}, {17, 32}, {100, 128}, {3, 128},
    };
    long *v = NULL;
    size_t cap = 0;
    size_t filled = 0;

    for (size_t s = 0; s < ARRAY_LEN(steps); s++) {
        v = buf_grow_array(v, &cap, steps[s].need, sizeof(*v));
        assert_int_equal(cap, steps[s].cap);
        for (size_t i = 0; i < filled; i++)
            assert_int_equal(v[i], (long)i + 1);    /* kept across moves */
        for (size_t i = filled; i < cap; i++)
            assert_int_equal(v[i], 0);              /* new slots zeroed */
        for (; filled < steps[s].need; filled++)
            v[filled] = (long)filled + 1;
    }
    free(v);
}

static void test_grow_within_capacity_is_a_no_op(void **state)
{
    long *v = NULL;
    long *same;
    size_t cap = 0;

    v = buf_grow_array(v, &cap, 5, sizeof(*v));
    v[4] = 42;
    same = buf_grow_array(v, &cap, 8, sizeof(*v));
    assert_ptr_equal(same, v);
    assert_int_equal(cap, 8);
    assert_int_equal(v[4], 42);
    same = buf_grow_array(v, &cap, 0, sizeof(*v));
    assert_ptr_equal(same, v);
    free(v);
}

/* A size that does not fit size_t must not wrap into a small allocation. */
static void test_grow_overflow_aborts(void **state)
{
    pid_t pid = fork();
    int status = 0;

    assert_true(pid >= 0);
    if (pid == 0) {
        size_t cap = 0;
        void *v = buf_grow_array(NULL, &cap, SIZE_MAX / 4 + 1, 8);

        free(v);
        _exit(0); /* not reached */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* buf_appendf is buf_vappendf behind a va_list. */
static void test_vappendf_formats_and_caps(void **state)
{
    struct buf b;

    buf_init(&b, 10);
    assert_int_equal(buf_appendf(&b, "%s-%d", "ab", 12), 0);
    assert_string_equal(buf_cstr(&b), "ab-12");
    assert_int_equal(buf_appendf(&b, "%s", "123456"), -1);   /* 11 > 10: refused */
    assert_string_equal(buf_cstr(&b), "ab-12");            /* unchanged */
    assert_int_equal(buf_appendf(&b, "%s", "12345"), 0);      /* exactly 10 */
    assert_int_equal(b.len, 10);
    assert_int_equal(buf_appendf(&b, "%s", ""), 0);
    buf_cleanup(&b);
    buf_init(&b, 0);
    assert_int_equal(buf_appendf(&b, "%s", ""), 0);           /* empty: still a string */
    assert_string_equal(buf_cstr(&b), "");
    assert_non_null(b.data);
    buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_from_empty),
        cmocka_unit_test(test_grow_doubles_keeps_and_zeroes),
        cmocka_unit_test(test_grow_within_capacity_is_a_no_op),
        cmocka_unit_test(test_grow_overflow_aborts),
        cmocka_unit_test(test_vappendf_formats_and_caps),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
