/*
 * test_shopline_webhooks.c - webhook subscriptions (pure): the list and
 * create replies (ids exact, a bad item takes the whole reply back), the
 * create body, the listener address, the app operate, and the plan that
 * decides which topics need a new subscription.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shopline_webhooks.h"
#include "webhook.h"

#define ADDR "https://shopvox.example/webhooks/shopline"
#define ID26 "91000000000000000000000001"

static void test_parse_list(void **state)
{
    const char *ok = "{\"webhooks\":[{\"id\":" ID26 ",\"topic\":\"orders/paid\",\"address\":\""
                     ADDR "\",\"api_version\":\"v20260301\",\"created_at\":\"x\"},"
                     "{\"id\":7,\"topic\":\"orders/create\",\"address\":\"https://b\","
                     "\"api_version\":null}]}";
    struct shopline_webhooks w = {NULL, 0, 0};
    struct errbuf err = {""};

    (void)state;
    assert_int_equal(shopline_parse_webhooks(ok, strlen(ok), &w, &err), ST_OK);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.items[0].id, ID26); /* 26 digits, exact */
    assert_string_equal(w.items[0].api_version, "v20260301");
    assert_string_equal(w.items[1].id, "7");
    assert_null(w.items[1].api_version);
    shopline_webhooks_cleanup(&w);
}

static void test_parse_list_refuses_whole(void **state)
{
    static const char *const bad[] = {
        "{\"webhooks\":[{\"id\":1,\"topic\":\"a\",\"address\":\"b\"},{\"id\":2,\"topic\":\"a\"}]}",
        "{\"webhooks\":[{\"id\":1,\"topic\":3,\"address\":\"b\"}]}",
        "{\"webhooks\":[{\"id\":-1,\"topic\":\"a\",\"address\":\"b\"}]}",
        "{\"webhooks\":[7]}",
        "{\"webhooks\":{}}",
        "{\"webhook\":[]}",
        "[]",
        "not json",
    };
    struct shopline_webhooks w = {NULL, 0, 0};
    struct errbuf err = {""};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(shopline_parse_webhooks(bad[i], strlen(bad[i]), &w, &err), ST_FAIL);
        assert_int_equal(w.n, 0);
        assert_true(err.msg[0] != '\0');
    }
    shopline_webhooks_cleanup(&w);
}

static void test_parse_created_id(void **state)
{
    const char *ok = "{\"webhook\":{\"id\":\"" ID26 "\",\"topic\":\"orders/paid\"}}";
    const char *none = "{\"webhook\":{\"topic\":\"orders/paid\"}}";
    char *id = NULL;
    struct errbuf err = {""};

    (void)state;
    assert_int_equal(shopline_parse_webhook_id(ok, strlen(ok), &id, &err), ST_OK);
    assert_string_equal(id, ID26);
    free(id);
    assert_int_equal(shopline_parse_webhook_id(none, strlen(none), &id, &err), ST_FAIL);
    assert_null(id);
    assert_int_equal(shopline_parse_webhook_id("{}", 2, &id, &err), ST_FAIL);
    assert_null(id);
}

static void test_build_body_and_address(void **state)
{
    struct buf b;
    struct errbuf err = {""};
    char *a;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(shopline_build_webhook(ADDR, "orders/paid", "v20260301", &b, &err), ST_OK);
    assert_string_equal(buf_cstr(&b), "{\"webhook\":{\"address\":\"" ADDR "\","
                                      "\"topic\":\"orders/paid\",\"api_version\":\"v20260301\"}}");
    buf_reset(&b);
    assert_int_equal(shopline_build_webhook(ADDR, "", "v1", &b, &err), ST_FAIL);
    buf_cleanup(&b);
    a = shopline_webhook_address("https://shopvox.example//");
    assert_string_equal(a, ADDR);
    free(a);
    a = shopline_webhook_address("https://shopvox.example/base");
    assert_string_equal(a, "https://shopvox.example/base/webhooks/shopline");
    free(a);
}

static void test_app_operate(void **state)
{
    enum shopline_app_op op = SHOPLINE_APP_INSTALL;
    struct errbuf err = {""};
    const char *un = "{\"operate\":\"UNINSTALL\",\"handle\":\"x\"}";

    (void)state;
    assert_int_equal(shopline_parse_app_operate(un, strlen(un), &op, &err), ST_OK);
    assert_int_equal(op, SHOPLINE_APP_UNINSTALL);
    assert_int_equal(shopline_parse_app_operate("{\"operate\":\"INSTALL\"}", 21, &op, &err),
                     ST_OK);
    assert_int_equal(op, SHOPLINE_APP_INSTALL);
    assert_int_equal(shopline_parse_app_operate("{\"operate\":\"uninstall\"}", 23, &op, &err),
                     ST_FAIL);
    assert_int_equal(shopline_parse_app_operate("{}", 2, &op, &err), ST_FAIL);
    assert_int_equal(shopline_parse_app_operate("[1]", 3, &op, &err), ST_FAIL);
}

/* Appends an owned subscription to l. */
static void sub(struct shopline_webhooks *l, const char *topic, const char *addr,
                const char *version)
{
    struct shopline_webhook *w;

    l->items = buf_grow_array(l->items, &l->cap, l->n + 1, sizeof(*l->items));
    w = &l->items[l->n++];
    w->id = xstrdup("1");
    w->topic = xstrdup(topic);
    w->address = xstrdup(addr);
    w->api_version = version != NULL ? xstrdup(version) : NULL;
}

static enum whsub_need need_of(const struct whsub_item *plan, const char *topic)
{
    for (size_t i = 0; i < SHOPLINE_WEBHOOK_N_TOPICS; i++)
        if (strcmp(plan[i].topic, topic) == 0)
            return plan[i].need;
    fail_msg("topic %s not planned", topic);
    return WHSUB_OK;
}

static void test_plan(void **state)
{
    struct shopline_webhooks have = {NULL, 0, 0}, none = {NULL, 0, 0};
    struct whsub_item plan[SHOPLINE_WEBHOOK_N_TOPICS];

    (void)state;
    sub(&have, "orders/create", ADDR, "v20260301");
    sub(&have, "orders/paid", "https://old.example/webhooks/shopline", "v20260301");
    sub(&have, "orders/updated", ADDR, "v20250101");
    sub(&have, "orders/cancelled", "https://old.example/x", "v20260301"); /* wrong, then right */
    sub(&have, "orders/cancelled", ADDR, "v20260301");
    sub(&have, "products/update", ADDR, NULL);
    sub(&have, "orders/other", ADDR, "v20260301");
    whsub_plan(&have, ADDR, "v20260301", plan);
    assert_int_equal(need_of(plan, "orders/create"), WHSUB_OK);
    assert_int_equal(need_of(plan, "orders/paid"), WHSUB_WRONG_ADDRESS);
    assert_int_equal(need_of(plan, "orders/updated"), WHSUB_WRONG_VERSION);
    assert_int_equal(need_of(plan, "orders/cancelled"), WHSUB_OK);
    assert_int_equal(need_of(plan, "products/update"), WHSUB_WRONG_VERSION);
    assert_int_equal(need_of(plan, "inventory_items/update"), WHSUB_MISSING);
    assert_int_equal(need_of(plan, "apps/installed_uninstalled"), WHSUB_MISSING);
    assert_string_equal(whsub_need_name(WHSUB_WRONG_VERSION), "wrong_api_version");
    whsub_plan(&none, ADDR, "v20260301", plan);
    for (size_t i = 0; i < SHOPLINE_WEBHOOK_N_TOPICS; i++) {
        assert_int_equal(plan[i].need, WHSUB_MISSING);
        assert_null(plan[i].seen);
    }
    shopline_webhooks_cleanup(&have);
}

/* Every topic the intake acts on is subscribed, returns and refunds included. */
static void test_topics_cover_the_intake(void **state)
{
    static const char *const wanted[] = {"orders/create", "orders/paid", "return/create",
                                         "return/update", "refunds/create",
                                         "apps/installed_uninstalled"};

    for (size_t i = 0; i < ARRAY_LEN(wanted); i++) {
        bool found = false;

        for (size_t t = 0; t < SHOPLINE_WEBHOOK_N_TOPICS; t++)
            found = found || strcmp(shopline_webhook_topics[t], wanted[i]) == 0;
        if (!found)
            fail_msg("%s is not subscribed", wanted[i]);
    }
    for (size_t t = 0; t < SHOPLINE_WEBHOOK_N_TOPICS; t++)
        assert_int_not_equal(whk_topic_classify(shopline_webhook_topics[t]), WHK_TOPIC_IGNORED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_list),
        cmocka_unit_test(test_parse_list_refuses_whole),
        cmocka_unit_test(test_parse_created_id),
        cmocka_unit_test(test_build_body_and_address),
        cmocka_unit_test(test_app_operate),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_topics_cover_the_intake),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
