/*
 * hostcheck.c - how steady this machine's CPU is, with nothing of shopvox
 * running: the yardstick for a latency figure measured on it.
 *
 *   build/hostcheck [SECONDS]     (10 by default, at most 600)
 *
 * Every millisecond (an absolute clock_nanosleep) it runs one fixed unit of
 * work -- a few thousand pseudo-random writes into 8 MiB and a short
 * arithmetic loop, about 0.1 ms on an idle 2-core virtual machine -- and
 * times it. On a steady machine every unit costs about the same. On the
 * 2-core machine issue 12 was measured on, units ran 3-12 times slower in
 * spells of ~100-200 ms every ~1.7 s that /proc/stat did not count as
 * steal; the same spells held PostgreSQL alone (pgbench, one INSERT and
 * COMMIT per transaction at 1,000/s, even with fsync off) to a p99 of
 * 9-13 ms. A p99 target of 10 ms at 1,000/s cannot be judged on such a
 * machine; this program says whether the machine is one.
 *
 * Prints the units' median, p99 and max (us), the share of slow units
 * (over SLOW_FACTOR times the median), the slow spells (runs of 50 ms
 * windows with at least SPELL_MIN_SLOW slow units, up to 500 ms apart:
 * their number, the first few start times and the median interval between
 * them), the wake-ups later than 2 ms, and one RESULT line of key=value
 * pairs for scripts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

#define PERIOD_NS 1000000LL
#define WINDOW_UNITS 50    /* a spell window: 50 units = 50 ms */
#define SLOW_FACTOR 3
#define SPELL_MIN_SLOW 3
#define SPELL_GAP_WINDOWS 10 /* slow windows up to 500 ms apart are one spell */
#define LATE_WAKE_NS 2000000LL
#define ARENA_BYTES (8u << 20)
#define MAX_SECONDS 600
#define SHOWN_SPELLS 8

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* One unit of work: the same instructions and memory traffic every time. */
static void work_unit(unsigned char *arena, uint32_t *state)
{
    volatile double x = 0;

    for (int i = 0; i < 4000; i++) {
        *state = *state * 1103515245u + 12345u;
        arena[(*state >> 3) % ARENA_BYTES] += 1;
    }
    for (int i = 0; i < 20000; i++)
        x += i * 0.5;
}

static double pick_us(const int64_t *sorted, size_t n, double p)
{
    return (double)sorted[(size_t)(p * (double)(n - 1))] / 1e3;
}

/* Runs n units, one every PERIOD_NS: each unit's cost into cost[]; late wake-ups counted. */
static size_t measure(unsigned char *arena, int64_t *cost, size_t n)
{
    int64_t next = now_ns_monotonic();
    size_t late = 0;
    uint32_t state = 1;

    for (size_t i = 0; i < n; i++) {
        int64_t t;

        next += PERIOD_NS;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
                        &(struct timespec){next / 1000000000LL, next % 1000000000LL}, NULL);
        t = now_ns_monotonic();
        late += t - next > LATE_WAKE_NS;
        work_unit(arena, &state);
        cost[i] = now_ns_monotonic() - t;
    }
    return late;
}

/*
 * The spells of slow units in cost[0..n) (over SLOW_FACTOR x median): their
 * start (ms from the first unit) into spell_at[], returned count; *slow:
 * the slow units.
 */
static size_t find_spells(const int64_t *cost, size_t n, int64_t median, int64_t *spell_at,
                          size_t *slow)
{
    size_t spells = 0;

    *slow = 0;
    for (size_t w = 0, last = 0; w < n / WINDOW_UNITS; w++) {
        size_t in_window = 0;

        for (size_t i = w * WINDOW_UNITS; i < (w + 1) * WINDOW_UNITS; i++)
            in_window += cost[i] > SLOW_FACTOR * median;
        *slow += in_window;
        if (in_window < SPELL_MIN_SLOW)
            continue;
        if (spells == 0 || w - last > SPELL_GAP_WINDOWS) /* else the same spell goes on */
            spell_at[spells++] = (int64_t)(w * WINDOW_UNITS);
        last = w;
    }
    return spells;
}

/* The median of the intervals between the spells' starts, in s (0 for fewer than two). */
static double spell_interval_s(int64_t *spell_at, size_t spells)
{
    if (spells < 2)
        return 0.0;
    for (size_t s = 1; s < spells; s++)
        spell_at[s - 1] = spell_at[s] - spell_at[s - 1];
    qsort(spell_at, spells - 1, sizeof(*spell_at), cmp_i64);
    return (double)spell_at[(spells - 2) / 2] / 1e3;
}

int main(int argc, char **argv)
{
    long seconds = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
    size_t n, slow, late, spells;
    unsigned char *arena;
    int64_t *cost, *sorted, *spell_at, median;
    double p99_us, max_us, slow_pct, interval_s;

    if (argc > 2 || seconds < 1 || seconds > MAX_SECONDS) {
        fprintf(stderr, "usage: hostcheck [SECONDS]   (1 to %d, default 10)\n", MAX_SECONDS);
        return 2;
    }
    n = (size_t)seconds * 1000;
    arena = calloc(ARENA_BYTES, 1);
    cost = calloc(n, sizeof(*cost));
    sorted = calloc(n, sizeof(*sorted));
    spell_at = calloc(n / WINDOW_UNITS + 1, sizeof(*spell_at));
    if (arena == NULL || cost == NULL || sorted == NULL || spell_at == NULL) {
        fputs("hostcheck: out of memory\n", stderr);
        return 2;
    }
    memset(arena, 1, ARENA_BYTES); /* fault the pages in before the clock starts */
    late = measure(arena, cost, n);
    memcpy(sorted, cost, n * sizeof(*cost));
    qsort(sorted, n, sizeof(*sorted), cmp_i64);
    median = sorted[n / 2];
    p99_us = pick_us(sorted, n, 0.99);
    max_us = pick_us(sorted, n, 1.0);
    spells = find_spells(cost, n, median, spell_at, &slow);
    slow_pct = 100.0 * (double)slow / (double)n;
    printf("hostcheck: %zu units of fixed work, one every 1 ms for %ld s\n", n, seconds);
    printf("  unit cost      median %.1f us  p99 %.1f us  max %.1f us\n", median / 1e3, p99_us,
           max_us);
    printf("  slow units     %zu (%.2f %%) over %dx the median\n", slow, slow_pct, SLOW_FACTOR);
    printf("  slow spells    %zu (50 ms windows with >= %d slow units, 500 ms apart at most)",
           spells, SPELL_MIN_SLOW);
    for (size_t s = 0; s < spells && s < SHOWN_SPELLS; s++)
        printf("%s%.2f s", s == 0 ? " at " : ", ", (double)spell_at[s] / 1e3);
    printf("%s\n", spells > SHOWN_SPELLS ? ", ..." : "");
    interval_s = spell_interval_s(spell_at, spells);
    printf("  spell interval median %.2f s\n", interval_s);
    printf("  late wake-ups  %zu over 2 ms\n", late);
    printf("RESULT median_us=%.1f p99_us=%.1f max_us=%.1f slow_pct=%.2f spells=%zu "
           "spell_interval_s=%.2f late_wakeups=%zu\n",
           median / 1e3, p99_us, max_us, slow_pct, spells, interval_s, late);
    free(arena);
    free(cost);
    free(sorted);
    free(spell_at);
    return 0;
}
