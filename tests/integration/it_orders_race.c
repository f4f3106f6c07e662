/*
 * it_orders_race.c - held orders are released when their item appears
 * while orders for it are still arriving (GitHub issue 13, item 1).
 *
 * The race: a post job reads the catalogue just before a catalogue sync
 * commits the new item, and commits its hold just after the sync looked
 * for held orders. Nothing else would look at that order again, so it
 * stayed on_hold with an open unknown_sku exception for good. The fix
 * re-checks holds on every sync and re-queues ready orders whose post job
 * is running (the job runs once more when it finishes).
 *
 * Each round streams orders for a brand-new SKU from RACE_THREADS threads
 * of signed webhooks; once the first of them is held, the main thread adds
 * the item to the sandbox and runs catalogue_sync jobs back to back. Peoplevox answers with a
 * latency, so post jobs (and batches) are in flight when the syncs run.
 * Every order must end sent, once in the sandbox, with its unknown_sku
 * exception (if it had one) closed. A round is one chance for the race,
 * so the test runs several short rounds; the timing is not deterministic,
 * which is why the race itself shows only sometimes without the fix.
 */
#include <json-c/json.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "it.h"
#include "it_orders_world.h"
#include "jobs.h"
#include "sandbox.h"
#include "store.h"

#define RACE_ROUNDS 4
#define RACE_THREADS 4
#define RACE_ORDERS_PER_THREAD 6
#define RACE_PVX_LATENCY_MS 40
#define RACE_NAME_MAX 32

struct race_sender {
    pthread_t tid;
    const char *sku;
    char tag[16];
    char names[RACE_ORDERS_PER_THREAD][RACE_NAME_MAX];
    char why[256];                  /* first failure, "" when none */
};

static atomic_int race_senders_left;

/* Until order name has left `ready`: its post job ran (held, or sent). */
static bool order_taken(void *name)
{
    return it_sql_longf(ito.db, "SELECT count(*) FROM orders WHERE name = '%s' AND "
                                "state <> 'ready'",
                        (const char *)name) == 1;
}

/*
 * One thread's orders: paid, one line of the new SKU, sent one by one,
 * each once the previous one's post job has run, so the stream lasts as
 * long as the warehouse takes and overlaps the syncs.
 */
static void *race_send(void *arg)
{
    struct race_sender *s = arg;
    const struct it_line line = {s->sku, 1, false};

    for (int i = 0; i < RACE_ORDERS_PER_THREAD && s->why[0] == '\0'; i++) {
        char id[32];
        char *body;

        it_order_next(id, sizeof(id), s->names[i], RACE_NAME_MAX, s->tag);
        body = it_order_json(&(struct it_order){.id = id, .name = s->names[i], .lines = &line,
                                                .n_lines = 1});
        ito_webhook_send("orders/paid", body, s->why, sizeof(s->why));
        free(body);
        if (s->why[0] == '\0' && !it_wait_until(order_taken, s->names[i], ITO_WAIT_MS))
            snprintf(s->why, sizeof(s->why), "order %s stayed ready", s->names[i]);
    }
    atomic_fetch_sub(&race_senders_left, 1);
    return NULL;
}

/* Until an order for sku was held for it (the stream started before the item). */
static bool sku_held(void *sku)
{
    return it_sql_longf(ito.db, "SELECT count(*) FROM exceptions WHERE type = 'unknown_sku' "
                                "AND detail LIKE '%%%s%%'",
                        (const char *)sku) > 0;
}

/* Until no catalogue sync is queued or running. */
static bool syncs_idle(void *unused)
{
    return it_sql_long(ito.db, "SELECT count(*) FROM jobs WHERE kind = 'catalogue_sync' AND "
                               "state IN ('pending', 'running')") == 0;
}

static void race_enqueue_sync(struct store_conn *c)
{
    struct errbuf err = {""};

    if (job_enqueue(c, IT_SHOP, "catalogue_sync", "catalogue", "{}", 0, NULL, &err) != ST_OK)
        fail_msg("could not enqueue catalogue_sync: %s", err.msg);
}

/*
 * Once the first order is held for the unknown SKU, adds the item, then
 * runs catalogue syncs back to back (the next is queued when the last is
 * done) until every sender is done.
 */
static void race_drive_catalogue(const char *sku, struct race_sender *senders)
{
    struct store_conn *c = store_conn_create(ito.db);
    char item[128];

    snprintf(item, sizeof(item), "{\"ItemCode\":\"%s\",\"Name\":\"Race item\"}", sku);
    assert_true(it_wait_until(sku_held, (void *)(uintptr_t)sku, ITO_WAIT_MS));
    ito_sandbox_post("/_sandbox/items", item);
    do {
        race_enqueue_sync(c);
        assert_true(it_wait_until(syncs_idle, NULL, ITO_WAIT_MS));
    } while (atomic_load(&race_senders_left) > 0);
    for (int t = 0; t < RACE_THREADS; t++) {
        pthread_join(senders[t].tid, NULL);
        if (senders[t].why[0] != '\0')
            fail_msg("sender %d: %s", t, senders[t].why);
    }
    store_conn_destroy(c);
}

/* Every order of the round is sent, once in Peoplevox; no unknown_sku left open. */
static void race_check(const char *sku, struct race_sender *senders)
{
    for (int t = 0; t < RACE_THREADS; t++) {
        for (int i = 0; i < RACE_ORDERS_PER_THREAD; i++) {
            char so[40];

            ito_wait_state(senders[t].names[i], "sent");
            ito_so_of(senders[t].names[i], so, sizeof(so));
            if (ito_sandbox_orders_numbered(so) != 1)
                fail_msg("order %s: Sales Order %s is in the sandbox %ld times",
                         senders[t].names[i], so, ito_sandbox_orders_numbered(so));
        }
    }
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = 'unknown_sku' "
                                   "AND state = 'open' AND detail LIKE '%%%s%%'",
                                   sku),
                     0);
}

static void race_round(int round, long *held)
{
    struct race_sender senders[RACE_THREADS];
    char sku[32];

    memset(senders, 0, sizeof(senders));
    snprintf(sku, sizeof(sku), "RACE-NEW-%d", round);
    atomic_store(&race_senders_left, RACE_THREADS);
    for (int t = 0; t < RACE_THREADS; t++) {
        senders[t].sku = sku;
        snprintf(senders[t].tag, sizeof(senders[t].tag), "R%d-%d-", round, t);
        assert_int_equal(pthread_create(&senders[t].tid, NULL, race_send, &senders[t]), 0);
    }
    race_drive_catalogue(sku, senders);
    race_check(sku, senders);
    *held += ito_sql_count("SELECT count(*) FROM exceptions WHERE type = 'unknown_sku' "
                           "AND detail LIKE '%%%s%%'",
                           sku);
}

static void test_orders_held_during_item_creation_are_all_released(void **state)
{
    long held = 0;

    for (int round = 1; round <= RACE_ROUNDS; round++)
        race_round(round, &held);
    /* the race needs orders that were held at all: the stream started before the item */
    fprintf(stderr, "note: %ld of %d orders were held for the new SKU before release\n", held,
            RACE_ROUNDS * RACE_THREADS * RACE_ORDERS_PER_THREAD);
    fprintf(stderr, "race run: orders=%d sent=%ld posted=%ld held=%ld dead=%ld\n",
            RACE_ROUNDS * RACE_THREADS * RACE_ORDERS_PER_THREAD,
            ito_sql_count("SELECT count(*) FROM orders WHERE state = 'sent'"),
            ito_sandbox_count("sales_orders"),
            ito_sql_count("SELECT count(*) FROM orders WHERE state = 'on_hold'"),
            ito_sql_count("SELECT count(*) FROM jobs WHERE state = 'dead'"));
    assert_true(held > 0);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM jobs WHERE state = 'dead'"), 0);
}

static int group_setup(void **state)
{
    const char *env[] = {"SHOPVOX_WORKERS=4", NULL};
    struct sandbox_pvx_opts so = {0};

    so.password_encoding = SANDBOX_PW_BASE64;
    so.latency_ms = RACE_PVX_LATENCY_MS;
    return ito_start_synced("orders_race", &so, env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orders_held_during_item_creation_are_all_released),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, ito_group_teardown);
}
