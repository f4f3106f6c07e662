/*
 * it_loadgen.c - the benchmarks' load generator delivers every order when
 * asked (bench/loadgen, --deliver-all --retries): against a receiver that
 * answers its first 5 requests 500, a 1 s run at 40/s on 2 connections
 * sends exactly 40 new deliveries (re-deliveries on top), misses none,
 * redelivers each refused one (5 retries, the same webhook id and bytes,
 * as Shopline does) and ends with every delivery answered 2xx, so a
 * benchmark's order count is about the server, not the generator. No
 * database: only the loadgen binary and an in-process receiver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "it_receiver.h"

#ifndef LOADGEN_BIN
int main(void)
{
    return 77; /* no bench/loadgen in this tree: skipped */
}
#else

/* The value of key=... in a loadgen RESULT line; -1 when absent. */
static long result_value(const char *line, const char *key)
{
    char pat[64];
    const char *p;

    snprintf(pat, sizeof(pat), " %s=", key);
    p = strstr(line, pat);
    return p != NULL ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static void test_every_order_delivered_and_refusals_redelivered(void **state)
{
    struct it_receiver *r = it_receiver_start(5);
    char cmd[512], line[2048], result[2048] = "";
    FILE *out;

    (void)state;
    assert_non_null(r);
    snprintf(cmd, sizeof(cmd),
             "%s --url http://127.0.0.1:%d/webhooks/shopline --secret it-secret --rate 40 "
             "--duration 1 --connections 2 --dup-ratio 0.2 --seed 7 --deliver-all --retries 10",
             LOADGEN_BIN, it_receiver_port(r));
    out = popen(cmd, "r");
    assert_non_null(out);
    while (fgets(line, sizeof(line), out) != NULL) {
        if (strncmp(line, "RESULT ", 7) == 0)
            snprintf(result, sizeof(result), "%s", line);
    }
    assert_int_equal(pclose(out), 0); /* every delivery ended 2xx */
    printf("%s", result);
    assert_int_equal(result_value(result, "new"), 40);
    assert_int_equal(result_value(result, "missed"), 0);
    assert_int_equal(result_value(result, "retries"), 5);
    assert_int_equal(result_value(result, "ok"), result_value(result, "sent"));
    assert_true(result_value(result, "sent") >= 40);
    assert_int_equal(it_receiver_requests(r), result_value(result, "sent") + 5);
    assert_int_equal(it_receiver_accepted(r), result_value(result, "sent"));
    it_receiver_stop(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_order_delivered_and_refusals_redelivered),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
