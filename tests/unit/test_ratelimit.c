/*
 * test_ratelimit.c - the token bucket's arithmetic: refill (capped, never
 * before a pushed-out refill), take, the wait, the shrink after a refusal
 * (empty, half rate for RL_SHRINK_MS, Retry-After honoured), PEOPLEVOX_RATE
 * parsing, and the promise behind its limits: a simulated second of greedy
 * callers never gets more than CALLS calls into any window of SECONDS;
 * priorities: the reserve a lower priority leaves, and high-priority
 * callers getting every token while they outrun the refill; the Peoplevox
 * margin: its limits, and greedy calls held up to 2.4 s after their
 * tokens never passing CALLS in a window with it (they do without).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "ratelimit.h"

static const struct rl_limits four_per_s = {4.0, 10.0};

struct step_case {
    const char *what;
    struct rl_bucket before;
    int64_t now_ms;
    bool granted;
    double tokens_after;
    int64_t wait_ms;      /* rl_wait_ms after a refusal (0 when granted) */
    enum rl_priority prio;
};

static void test_take_table(void **state)
{
    static const struct step_case cases[] = {
        {"full bucket", {10.0, 0, 0}, 0, true, 9.0, 0, RL_PRIO_HIGH},
        {"refill capped at burst", {9.0, 0, 0}, 60000, true, 9.0, 0, RL_PRIO_HIGH},
        {"exactly one token", {1.0, 0, 0}, 0, true, 0.0, 0, RL_PRIO_HIGH},
        {"refill makes the token", {0.5, 0, 0}, 125, true, 0.0, 0, RL_PRIO_HIGH},
        {"empty: 250 ms per token", {0.0, 0, 0}, 0, false, 0.0, 250, RL_PRIO_HIGH},
        {"half a token: 125 ms", {0.5, 0, 0}, 0, false, 0.5, 125, RL_PRIO_HIGH},
        {"rounds the wait up", {0.999, 0, 0}, 0, false, 0.999, 1, RL_PRIO_HIGH},
        {"time going back earns nothing", {0.5, 1000, 0}, 500, false, 0.5, 625, RL_PRIO_HIGH},
        {"shrunk: half rate", {0.0, 0, 60000}, 250, false, 0.5, 250, RL_PRIO_HIGH},
        {"shrunk: 500 ms per token", {0.0, 0, 60000}, 0, false, 0.0, 500, RL_PRIO_HIGH},
        {"slow period over: full rate", {0.0, 0, 100}, 250, true, 0.0, 0, RL_PRIO_HIGH},
        {"pushed-out refill: nothing before it", {0.0, 2000, 0}, 1000, false, 0.0, 1250,
         RL_PRIO_HIGH},
        {"pushed-out refill and shrunk", {0.0, 2000, 60000}, 1000, false, 0.0, 1500,
         RL_PRIO_HIGH},
        {"after the pushed-out refill", {0.0, 2000, 0}, 2250, true, 0.0, 0, RL_PRIO_HIGH},
        /* burst 10: normal keeps 2.5 tokens, low keeps 5 */
        {"low: a full bucket serves it", {10.0, 0, 0}, 0, true, 9.0, 0, RL_PRIO_LOW},
        {"low: above its reserve", {6.0, 0, 0}, 0, true, 5.0, 0, RL_PRIO_LOW},
        {"low: keeps half the burst", {5.5, 0, 0}, 0, false, 5.5, 125, RL_PRIO_LOW},
        {"low: empty waits for six tokens", {0.0, 0, 0}, 0, false, 0.0, 1500, RL_PRIO_LOW},
        {"normal: keeps a quarter of it", {3.0, 0, 0}, 0, false, 3.0, 125, RL_PRIO_NORMAL},
        {"normal: above its reserve", {3.5, 0, 0}, 0, true, 2.5, 0, RL_PRIO_NORMAL},
        {"high: the last token is its", {1.0, 0, 0}, 0, true, 0.0, 0, RL_PRIO_HIGH},
        {"low: refill reaches the reserve", {5.0, 0, 0}, 250, true, 5.0, 0, RL_PRIO_LOW},
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct step_case *c = &cases[i];
        struct rl_bucket b = c->before;
        bool got = rl_take(&four_per_s, &b, c->prio, c->now_ms);
        int64_t wait = got ? 0 : rl_wait_ms(&four_per_s, &b, c->prio, c->now_ms);

        if (got != c->granted || fabs(b.tokens - c->tokens_after) > 1e-9 || wait != c->wait_ms)
            fail_msg("%s: granted %d tokens %.4f wait %lld", c->what, got, b.tokens,
                     (long long)wait);
    }
}

static void test_wait_is_enough(void **state)
{
    struct rl_bucket b = {0.3, 0, 0};
    int64_t wait;

    assert_false(rl_take(&four_per_s, &b, RL_PRIO_HIGH, 0));
    wait = rl_wait_ms(&four_per_s, &b, RL_PRIO_HIGH, 0);
    assert_false(rl_take(&four_per_s, &b, RL_PRIO_HIGH, wait - 1));
    assert_true(rl_take(&four_per_s, &b, RL_PRIO_HIGH, wait));
}

static void test_shrink(void **state)
{
    struct rl_bucket b = {7.5, 1000, 0};

    rl_shrink(&b, 5000, 0);
    assert_true(b.tokens == 0.0);
    assert_int_equal(b.slow_until_ms, 5000 + RL_SHRINK_MS);
    assert_int_equal(b.updated_ms, 5000);
    /* half rate (2/s) while shrunk: one token after 500 ms, not 250 */
    assert_false(rl_take(&four_per_s, &b, RL_PRIO_HIGH, 5250));
    assert_int_equal(rl_wait_ms(&four_per_s, &b, RL_PRIO_HIGH, 5250), 250);
    assert_true(rl_take(&four_per_s, &b, RL_PRIO_HIGH, 5500));
    /* full rate once the slow period is over */
    b.tokens = 0.0;
    b.updated_ms = 5000 + RL_SHRINK_MS;
    assert_true(rl_take(&four_per_s, &b, RL_PRIO_HIGH, 5000 + RL_SHRINK_MS + 250));

    /* Retry-After: no refill before it, even of tokens earned already */
    b = (struct rl_bucket){3.0, 0, 0};
    rl_shrink(&b, 1000, 30000);
    assert_int_equal(b.updated_ms, 31000);
    assert_false(rl_take(&four_per_s, &b, RL_PRIO_HIGH, 30999));
    assert_int_equal(rl_wait_ms(&four_per_s, &b, RL_PRIO_HIGH, 1000), 30000 + 500);
    assert_true(rl_take(&four_per_s, &b, RL_PRIO_HIGH, 31500));

    /* a second refusal extends the slow period, never pulls a refill in */
    b = (struct rl_bucket){0.0, 31000, 61000};
    rl_shrink(&b, 2000, 0);
    assert_int_equal(b.updated_ms, 31000);
    assert_int_equal(b.slow_until_ms, 2000 + RL_SHRINK_MS);
}

struct parse_case {
    const char *text;
    int rc;
    double burst, rate_per_s;
};

static void test_parse_window(void **state)
{
    static const struct parse_case cases[] = {
        {"15/15s", 0, 3.0, 12.0 / 15.0},
        {"15/15", 0, 3.0, 12.0 / 15.0},
        {"5/1s", 0, 1.0, 4.0},
        {"10/1s", 0, 2.0, 8.0},
        {"5/0.5s", 0, 1.0, 8.0},
        {"1/60s", 0, 1.0, 1.0 / 60.0},
        {"100000/86400s", 0, 20000.0, 80000.0 / 86400.0},
        {"", -1, 0, 0},
        {"15", -1, 0, 0},
        {"15/", -1, 0, 0},
        {"/15s", -1, 0, 0},
        {"0/15s", -1, 0, 0},
        {"-1/15s", -1, 0, 0},
        {"15/0s", -1, 0, 0},
        {"15/-1s", -1, 0, 0},
        {"15/15m", -1, 0, 0},
        {"15/15ss", -1, 0, 0},
        {"15 /15s", -1, 0, 0},
        {"15/ 15s", -1, 0, 0},
        {"15/15s ", -1, 0, 0},
        {"1.5/15s", -1, 0, 0},
        {"100001/15s", -1, 0, 0},
        {"15/86401s", -1, 0, 0},
        {"15/0.0001s", -1, 0, 0},
        {"15/nan", -1, 0, 0},
        {"15/inf", -1, 0, 0},
        {"99999999999999999999/15s", -1, 0, 0},
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct parse_case *c = &cases[i];
        struct rl_limits l = {0, 0};
        struct errbuf err = {""};
        int rc = rl_parse_window(c->text, &l, &err);

        if (rc != c->rc || (rc == 0 && (fabs(l.burst - c->burst) > 1e-9 ||
                                        fabs(l.rate_per_s - c->rate_per_s) > 1e-9)))
            fail_msg("'%s': rc %d burst %.3f rate %.6f", c->text, rc, l.burst, l.rate_per_s);
        if (rc != 0 && strstr(err.msg, "expected CALLS/SECONDSs, e.g. 15/15s") == NULL)
            fail_msg("'%s': unclear error '%s'", c->text, err.msg);
    }
    assert_int_equal(rl_parse_window(NULL, &(struct rl_limits){0, 0}, &(struct errbuf){""}), -1);
}

/*
 * Greedy callers ask every ms for 100 s; whatever the limits of a window
 * text, no window of SECONDS (sliding, half-open like Peoplevox's and the
 * sandbox's) ever holds more than CALLS granted calls.
 */
static void test_window_promise(void **state)
{
    static const struct {
        const char *text;
        long calls;
        int64_t window_ms;
    } cases[] = {{"15/15s", 15, 15000}, {"5/1s", 5, 1000}, {"10/1s", 10, 1000},
                 {"1/2s", 1, 2000}, {"3/1s", 3, 1000}, {"50/10s", 50, 10000}};
    static int64_t at[200000];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct rl_limits l;
        struct rl_bucket b;
        struct errbuf err = {""};
        size_t n = 0, first = 0, most = 0;

        assert_int_equal(rl_parse_window(cases[i].text, &l, &err), 0);
        b = (struct rl_bucket){l.burst, 0, 0};
        for (int64_t t = 0; t < 100000 && n < ARRAY_LEN(at); t++) {
            while (rl_take(&l, &b, RL_PRIO_HIGH, t))
                at[n++] = t;
        }
        for (size_t k = 0; k < n; k++) {
            while (at[first] <= at[k] - cases[i].window_ms)
                first++;
            most = k - first + 1 > most ? k - first + 1 : most;
        }
        if (most > (size_t)cases[i].calls || most < (size_t)cases[i].calls - 1)
            fail_msg("%s: %zu calls in one window", cases[i].text, most);
    }
}

static void test_parse_window_margin(void **state)
{
    static const struct {
        const char *text;
        int64_t margin_ms;
        double burst, rate_per_s;
    } cases[] = {
        {"15/15s", 0, 3.0, 0.8},              /* no margin: rl_parse_window's bucket */
        {"15/15s", 1250, 3.0, 0.8},           /* what the plain bucket tolerates already */
        {"15/15s", 2500, 2.0, 0.8},           /* the default: burst gives way, rate kept */
        {"15/15s", 3750, 2.0, 14.0 / 18.75},  /* burst at 2: the rate gives way */
        {"20/1s", 2500, 2.0, 19.0 / 3.5},     /* a short window: mostly the rate */
        {"1/10s", 2500, 1.0, 1.0 / 12.5},     /* one call per 12.5 s */
        {"5/1s", 500, 1.0, 5.0 / 1.5},        /* burst 1 stays 1 */
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct rl_limits l = {0, 0};
        struct errbuf err = {""};

        assert_int_equal(rl_parse_window_margin(cases[i].text, cases[i].margin_ms, &l, &err), 0);
        if (fabs(l.burst - cases[i].burst) > 1e-9 ||
            fabs(l.rate_per_s - cases[i].rate_per_s) > 1e-9)
            fail_msg("%s margin %lld: burst %.3f rate %.6f", cases[i].text,
                     (long long)cases[i].margin_ms, l.burst, l.rate_per_s);
    }
    assert_int_equal(rl_parse_window_margin("15/0s", 2500, &(struct rl_limits){0, 0},
                                            &(struct errbuf){""}),
                     -1);
}

/*
 * Greedy callers take every token the bucket of text (kept with margin_ms)
 * grants for two windows, then rest until the bucket is full (a backlog
 * that comes and goes: each busy spell starts with a whole burst), for
 * 600 s. The sending side stalls for late_ms as each busy spell begins (a
 * loaded machine): the calls that took their tokens meanwhile all reach the
 * far side at the stall's end, the rest on time. The far side admits like
 * Peoplevox and the sandbox (at most CALLS in a sliding window of
 * window_ms; a refused call does not count). Returns how many it refused.
 */
static long late_arrivals_refused(const char *text, long calls, int64_t window_ms,
                                  int64_t margin_ms, int64_t late_ms)
{
    static int64_t admitted[1000];
    struct rl_limits l;
    struct rl_bucket b;
    struct errbuf err = {""};
    size_t n_admitted = 0, next = 0;
    long refused = 0;

    assert_int_equal(rl_parse_window_margin(text, margin_ms, &l, &err), 0);
    assert_true(calls <= (long)ARRAY_LEN(admitted));
    b = (struct rl_bucket){l.burst, 0, 0};
    for (int64_t t = 0, busy_from = 0; t < 600000; t++) {
        rl_refill(&l, &b, t);
        if (t - busy_from >= 2 * window_ms && b.tokens >= l.burst)
            busy_from = t; /* rested until full: busy again */
        while (t - busy_from < 2 * window_ms && rl_take(&l, &b, RL_PRIO_HIGH, t)) {
            int64_t at = t < busy_from + late_ms ? busy_from + late_ms : t;

            if (n_admitted == (size_t)calls && at - admitted[next] < window_ms) {
                refused++;
                continue;
            }
            admitted[next] = at;
            next = (next + 1) % (size_t)calls;
            n_admitted += n_admitted < (size_t)calls;
        }
    }
    return refused;
}

/*
 * The margin's promise: with calls up to 2.4 s late, the default 15/15s
 * bucket kept with the default 2500 ms margin draws no refusal, where the
 * bucket without a margin (1.25 s of lateness tolerated) does; the same for
 * a short window (20/1s, 400 ms late, margin 500 ms).
 */
static void test_margin_absorbs_late_calls(void **state)
{
    long plain = late_arrivals_refused("15/15s", 15, 15000, 0, 2400);
    long kept = late_arrivals_refused("15/15s", 15, 15000, 2500, 2400);
    long short_plain = late_arrivals_refused("20/1s", 20, 1000, 0, 400);
    long short_kept = late_arrivals_refused("20/1s", 20, 1000, 500, 400);

    printf("refused: 15/15s %ld without the margin, %ld with it; 20/1s %ld, %ld\n", plain, kept,
           short_plain, short_kept);
    assert_true(plain > 0);
    assert_int_equal(kept, 0);
    assert_true(short_plain > 0);
    assert_int_equal(short_kept, 0);
}

static void test_reserve_table(void **state)
{
    static const struct {
        double burst;
        double high, normal, low;
    } cases[] = {
        {40.0, 0.0, 10.0, 20.0}, /* SHOPLINE's bucket */
        {3.0, 0.0, 0.75, 1.5},   /* PEOPLEVOX_RATE 15/15s */
        {2.0, 0.0, 0.5, 1.0},    /* capped at burst - 1: a full bucket serves low */
        {1.0, 0.0, 0.0, 0.0},    /* one token: nothing to reserve */
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct rl_limits l = {1.0, cases[i].burst};

        if (rl_reserve(&l, RL_PRIO_HIGH) != cases[i].high ||
            rl_reserve(&l, RL_PRIO_NORMAL) != cases[i].normal ||
            rl_reserve(&l, RL_PRIO_LOW) != cases[i].low)
            fail_msg("burst %.0f: reserves %.2f %.2f %.2f", cases[i].burst,
                     rl_reserve(&l, RL_PRIO_HIGH), rl_reserve(&l, RL_PRIO_NORMAL),
                     rl_reserve(&l, RL_PRIO_LOW));
    }
    assert_string_equal(rl_priority_name(RL_PRIO_HIGH), "high");
    assert_string_equal(rl_priority_name(RL_PRIO_NORMAL), "normal");
    assert_string_equal(rl_priority_name(RL_PRIO_LOW), "low");
    assert_string_equal(rl_priority_name(RL_PRIO_COUNT), "");
}

/*
 * A low and a high caller both ask every millisecond (low first); the
 * high one stops asking after a second. From a full bucket low gets a few
 * tokens until the bucket falls to its reserve; then, while high outruns
 * the refill, every token is high's; once high is done, the bucket refills
 * past low's reserve (6 tokens at 4/s: 1.5 s) and low gets tokens again.
 */
static void test_high_priority_first_when_short(void **state)
{
    struct rl_bucket b = {four_per_s.burst, 0, 0};
    long low_early = 0, low_while_high = 0, low_after = 0, high = 0;

    for (int64_t t = 0; t < 3000; t++) {
        if (rl_take(&four_per_s, &b, RL_PRIO_LOW, t))
            t < 10 ? low_early++ : t < 1000 ? low_while_high++ : low_after++;
        if (t < 1000 && rl_take(&four_per_s, &b, RL_PRIO_HIGH, t))
            high++;
    }
    assert_int_equal(low_early, 3);
    assert_int_equal(low_while_high, 0);
    /* the rest of the bucket (7), then the refill: one per 250 ms (3 or 4, by rounding) */
    assert_in_range(high, 7 + 3, 7 + 4);
    /* from about 2.25 s (6 tokens 1.5 s after high's last take), one per 250 ms */
    assert_in_range(low_after, 2, 3);
}

/* SHOPLINE's bucket, kept a tenth (at least one call) smaller: never below 1, same rate. */
static void test_leaky_limits_keep_a_margin(void **state)
{
    static const struct {
        double rate, burst, want_burst;
    } cases[] = {{4, 40, 36}, {20, 5, 4}, {4, 10, 9}, {4, 19, 18}, {4, 2, 1}, {4, 1, 1},
                 {1000, 10000, 9000}};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rl_limits l = rl_leaky_limits(cases[i].rate, cases[i].burst);

        assert_true(l.rate_per_s == cases[i].rate);
        assert_true(l.burst == cases[i].want_burst);
    }
}

static void test_api_names(void **state)
{
    assert_string_equal(rl_api_name(RL_API_PEOPLEVOX), "peoplevox");
    assert_string_equal(rl_api_name(RL_API_SHOPLINE), "shopline");
    assert_string_equal(rl_api_name(RL_API_COUNT), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_table),
        cmocka_unit_test(test_wait_is_enough),
        cmocka_unit_test(test_shrink),
        cmocka_unit_test(test_parse_window),
        cmocka_unit_test(test_window_promise),
        cmocka_unit_test(test_reserve_table),
        cmocka_unit_test(test_high_priority_first_when_short),
        cmocka_unit_test(test_api_names),
        cmocka_unit_test(test_leaky_limits_keep_a_margin),
        cmocka_unit_test(test_parse_window_margin),
        cmocka_unit_test(test_margin_absorbs_late_calls),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
