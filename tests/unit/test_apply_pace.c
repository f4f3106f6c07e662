/*
 * test_apply_pace.c - apply_pace: how hard an applier thread works next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "apply_pace.h"

/* The next step, which must be a pass: its rows. */
static int pass_rows(struct apply_pace *p, bool pressed)
{
    int max = -1;

    assert_int_equal(apply_pace_step(p, pressed, false, &max), APPLY_PASS);
    return max;
}

/* The next step, which must be the settle. */
static void settles(struct apply_pace *p)
{
    int max = -1;

    assert_int_equal(apply_pace_step(p, false, false, &max), APPLY_SETTLE);
}

/* A started thread whose first pass found nothing: idle. */
static void idle(struct apply_pace *p, int batch_max)
{
    apply_pace_init(p, batch_max);
    apply_pace_done(p, pass_rows(p, false), 0);
}

static void test_a_thread_starts_with_a_pass_then_settles_after_idling(void **state)
{
    struct apply_pace p;

    apply_pace_init(&p, 60);
    assert_int_equal(pass_rows(&p, false), APPLY_PRESSED_BATCH); /* what a crash left */
    apply_pace_done(&p, APPLY_PRESSED_BATCH, 0);                  /* nothing: idle */
    settles(&p);
    assert_int_equal(pass_rows(&p, false), APPLY_PRESSED_BATCH); /* settled once */
    apply_pace_done(&p, APPLY_PRESSED_BATCH, 0);
    settles(&p);
}

static void test_full_passes_double_up_to_the_cap(void **state)
{
    struct apply_pace p;
    int seen[8], n = 0;

    idle(&p, 60);
    settles(&p);
    while (n < 8) {
        int max = pass_rows(&p, false);

        seen[n++] = max;
        apply_pace_done(&p, max, max); /* full */
    }
    assert_int_equal(seen[0], 4);
    assert_int_equal(seen[1], 8);
    assert_int_equal(seen[2], 16);
    assert_int_equal(seen[3], 32);
    assert_int_equal(seen[4], 60);
    assert_int_equal(seen[7], 60);
    /* a pass not full keeps the size; one that finds nothing starts over */
    apply_pace_done(&p, 60, 12);
    assert_int_equal(pass_rows(&p, false), 60);
    apply_pace_done(&p, 60, 0);
    settles(&p);
    assert_int_equal(pass_rows(&p, false), 4);
}

static void test_a_burst_holds_then_trickles(void **state)
{
    struct apply_pace p;
    int max = -1;

    apply_pace_init(&p, 60);
    /* pressed: no settle, no ramp; nothing while the burst is young */
    assert_int_equal(apply_pace_step(&p, true, true, &max), APPLY_HOLD);
    assert_int_equal(apply_pace_step(&p, true, false, &max), APPLY_PASS);
    assert_int_equal(max, APPLY_PRESSED_BATCH);
    apply_pace_done(&p, max, max);
    assert_int_equal(pass_rows(&p, true), APPLY_PRESSED_BATCH); /* still the trickle */
}

static void test_a_small_cap_bounds_every_pass(void **state)
{
    struct apply_pace p;

    apply_pace_init(&p, 2);
    assert_int_equal(pass_rows(&p, false), 2);
    assert_int_equal(pass_rows(&p, true), 2);
    apply_pace_init(&p, 0);
    assert_int_equal(pass_rows(&p, false), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_thread_starts_with_a_pass_then_settles_after_idling),
        cmocka_unit_test(test_full_passes_double_up_to_the_cap),
        cmocka_unit_test(test_a_burst_holds_then_trickles),
        cmocka_unit_test(test_a_small_cap_bounds_every_pass),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
