/*
 * it_orders_world.c - see it_orders_world.h.
 *
 * Threads: the webhook counter is atomic and ito_webhook_send reports
 * instead of failing the test (a cmocka failure longjmps into the main
 * thread's frame), so it may be called from several threads at once;
 * libcurl's global init runs in ito_start_sandbox, before any thread sends.
 */
#include <curl/curl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "buf.h"
#include "catalogue.h"
#include "it_cli_run.h"
#include "it_orders_world.h"
#include "it_sandbox.h"
#include "store.h"

struct ito_world ito;

/* ---- sandbox helpers ---- */

struct json_object *ito_sandbox_get(const char *path)
{
    return it_sandbox_get(sandbox_pvx_port(ito.sb), path);
}

void ito_sandbox_post(const char *path, const char *body)
{
    assert_int_equal(it_sandbox_post(sandbox_pvx_port(ito.sb), path, body), 0);
}

long ito_sandbox_count(const char *key)
{
    return it_sandbox_count(sandbox_pvx_port(ito.sb), key);
}

/* A fault counter still pending in the sandbox. */
long ito_sandbox_fault(const char *key)
{
    struct json_object *o = ito_sandbox_get("/_sandbox/state");
    struct json_object *faults;
    long n = -1;

    if (json_object_object_get_ex(o, "faults", &faults))
        n = it_json_long(faults, key);
    json_object_put(o);
    return n;
}

/* Sales Orders in the sandbox whose number is so (the sandbox keys on it, so 0 or 1). */
long ito_sandbox_orders_numbered(const char *so)
{
    struct json_object *o = ito_sandbox_get("/_sandbox/state");
    struct json_object *orders;
    long n = 0;

    if (json_object_object_get_ex(o, "orders", &orders)) {
        for (size_t i = 0; i < json_object_array_length(orders); i++) {
            const char *v = it_json_str(json_object_array_get_idx(orders, i), "SalesOrderNumber");
            n += v != NULL && strcmp(v, so) == 0;
        }
    }
    json_object_put(o);
    return n;
}

/* Calls fn on every call in the sandbox's call log. */
static void each_call(void (*fn)(struct json_object *call, void *arg), void *arg)
{
    struct json_object *o = ito_sandbox_get("/_sandbox/calls");
    struct json_object *calls;

    if (json_object_object_get_ex(o, "calls", &calls))
        for (size_t i = 0; i < json_object_array_length(calls); i++)
            fn(json_object_array_get_idx(calls, i), arg);
    json_object_put(o);
}

struct call_filter {
    const char *op, *tmpl;   /* tmpl NULL: any */
    const char *key;         /* with value: only calls whose key is value */
    long value;
    long n, max_rows;
    long batched;            /* calls of more than one row */
    long rows;               /* rows of all of them */
};

static void call_tally(struct json_object *c, void *arg)
{
    struct call_filter *f = arg;

    if (strcmp(it_json_str(c, "op"), f->op) != 0 ||
        (f->tmpl != NULL && strcmp(it_json_str(c, "template"), f->tmpl) != 0) ||
        it_json_long(c, f->key) != f->value)
        return;
    f->n++;
    f->rows += it_json_long(c, "rows");
    f->batched += it_json_long(c, "rows") > 1;
    if (it_json_long(c, "rows") > f->max_rows)
        f->max_rows = it_json_long(c, "rows");
}

/* Calls the sandbox received of op (and template, when not NULL). */
long ito_sandbox_calls(const char *op, const char *tmpl)
{
    struct call_filter f = {op, tmpl, "http_code", 200, 0, 0, 0, 0};

    each_call(call_tally, &f);
    return f.n;
}

/* The most rows a SaveData of tmpl with key == value carried (batching shows as > 1). */
long ito_sandbox_max_rows_where(const char *tmpl, const char *key, long value)
{
    struct call_filter f = {"SaveData", tmpl, key, value, 0, 0, 0, 0};

    each_call(call_tally, &f);
    return f.max_rows;
}

long ito_sandbox_batched_saves(const char *tmpl)
{
    struct call_filter f = {"SaveData", tmpl, "http_code", 200, 0, 0, 0, 0};

    each_call(call_tally, &f);
    return f.batched;
}

long ito_sandbox_max_rows(const char *tmpl)
{
    return ito_sandbox_max_rows_where(tmpl, "http_code", 200);
}

/* The most rows of a save the sandbox applied and then dropped the connection of. */
long ito_sandbox_dropped_rows(const char *tmpl)
{
    return ito_sandbox_max_rows_where(tmpl, "http_code", 0);
}

/* Rows of every SaveData of tmpl the sandbox applied, answered or dropped. */
long ito_sandbox_rows_saved(const char *tmpl)
{
    struct call_filter answered = {"SaveData", tmpl, "http_code", 200, 0, 0, 0, 0};
    struct call_filter dropped = {"SaveData", tmpl, "http_code", 0, 0, 0, 0, 0};

    each_call(call_tally, &answered);
    each_call(call_tally, &dropped);
    return answered.rows + dropped.rows;
}

/* One Sales Order as the sandbox holds it (NULL when unknown); caller puts. */
struct json_object *ito_sandbox_order(const char *so)
{
    char path[128];

    snprintf(path, sizeof(path), "/_sandbox/orders/%s", so);
    return ito_sandbox_get(path);
}

const char *ito_order_field(struct json_object *o, const char *field)
{
    struct json_object *fields;

    if (!json_object_object_get_ex(o, "fields", &fields))
        return NULL;
    return it_json_str(fields, field);
}

size_t ito_order_items(struct json_object *o, struct json_object **items)
{
    if (!json_object_object_get_ex(o, "items", items))
        return 0;
    return json_object_array_length(*items);
}

/* ---- shopvox helpers ---- */

int ito_webhook_send(const char *topic, const char *body, char *why, size_t why_cap)
{
    struct it_resp r = {0, NULL};
    char wid[48];
    int rc = 0;

    snprintf(wid, sizeof(wid), "it-orders-%d", atomic_fetch_add(&ito.seq, 1) + 1);
    if (it_post_webhook(ito.proc.port, topic, wid, body, "hex", &r) != 0) {
        snprintf(why, why_cap, "webhook %s: no answer", topic);
        rc = -1;
    } else if (r.status != 200) {
        snprintf(why, why_cap, "webhook %s: %ld %.200s", topic, r.status, r.body);
        rc = -1;
    }
    it_resp_free(&r);
    return rc;
}

void ito_webhook(const char *topic, const char *body)
{
    char why[256];

    if (ito_webhook_send(topic, body, why, sizeof(why)) != 0)
        fail_msg("%s", why);
}

/* it_sql_long of a formatted query (test-made names only, no quoting needed). */
long ito_sql_count(const char *fmt, ...)
{
    va_list ap;
    long v;

    va_start(ap, fmt);
    v = it_sql_vlongf(ito.db, fmt, ap);
    va_end(ap);
    return v;
}

/* Waits until order `name` is in state; fails the test with its history if not. */
void ito_wait_state(const char *name, const char *state)
{
    char *sql = xasprintf("SELECT count(*) FROM orders WHERE name = '%s' AND state = '%s'", name,
                          state);
    long v = it_wait_sql_long(ito.db, sql, 1, ITO_WAIT_MS);

    free(sql);
    if (v != 1) {
        char *now = xasprintf("SELECT state || ' ' || coalesce(hold_reason, '-') FROM orders "
                              "WHERE name = '%s'", name);
        char *st = it_sql_text(ito.db, now);
        char got[128];

        snprintf(got, sizeof(got), "%s", st);
        free(st);
        free(now);
        it_proc_dump_log(&ito.proc);
        fail_msg("order %s is '%s', wanted %s", name, got, state);
    }
}

/* Waits until no job of the order is pending or running. */
void ito_wait_jobs_idle(const char *name)
{
    char *sql = xasprintf("SELECT count(*) FROM jobs j JOIN orders o ON j.dedupe_key = o.id::text "
                          "WHERE o.name = '%s' AND j.state IN ('pending', 'running')",
                          name);

    assert_int_equal(it_wait_sql_long(ito.db, sql, 0, ITO_WAIT_MS), 0);
    free(sql);
}

void ito_so_of(const char *name, char *out, size_t cap)
{
    char *sql = xasprintf("SELECT coalesce(sales_order_number, '') FROM orders WHERE name = '%s'",
                          name);
    char *v = it_sql_text(ito.db, sql);

    snprintf(out, cap, "%s", v);
    free(v);
    free(sql);
}

/* A paid order of the given lines; waits for it to be sent; returns its SO number. */
void ito_post_paid(const char *tag, const char *country, const struct it_line *lines, size_t n,
                   char *name, size_t name_cap, char *so, size_t so_cap)
{
    char id[32];
    char *body;

    it_order_next(id, sizeof(id), name, name_cap, tag);
    body = it_order_json(&(struct it_order){.id = id, .name = name, .country_code = country,
                                            .lines = lines, .n_lines = n});
    ito_webhook("orders/paid", body);
    free(body);
    ito_wait_state(name, "sent");
    ito_so_of(name, so, so_cap);
}

/* Runs `shopvox ARGS...` as an operator command; returns its exit status. */
int ito_run_cli(const char *const *args)
{
    static const char *const env[] = {"SHOPVOX_LOG_LEVEL=warn", NULL};
    struct it_cli_result r;
    int rc;

    it_cli_run_env(&r, ito.db, env, args);
    rc = r.exit_code;
    if (rc != 0)
        fprintf(stderr, "shopvox %s: exit %d\n%s%s", args[0], rc, r.out, r.err);
    it_cli_result_free(&r);
    return rc;
}

/* ---- the world: database, sandbox, shopvox ---- */

void ito_send_paid_orders(const char *tag, int n, const struct it_line *lines, size_t n_lines,
                          char (*names)[32])
{
    for (int i = 0; i < n; i++) {
        char id[32];
        char *body;

        it_order_next(id, sizeof(id), names[i], sizeof(names[i]), tag);
        body = it_order_json(&(struct it_order){.id = id, .name = names[i], .lines = lines,
                                                .n_lines = n_lines});
        ito_webhook("orders/paid", body);
        free(body);
    }
}

int ito_proc_start(struct it_proc *p, const char *const *extra_env)
{
    const char *base[] = {"SHOPVOX_WORKERS=2", ito.pvx_url_env, "PEOPLEVOX_CLIENT_ID=SANDBOX",
                          "PEOPLEVOX_USERNAME=shopvox", "PEOPLEVOX_PASSWORD=secret",
                          "PEOPLEVOX_TIMEOUT_MS=5000",
                          "SHOPVOX_ROUTING_RULES=country:GB=LONDON;country:FR=NOWHERE;"
                          "default=PrimarySite"};
    const char *env[64];
    const char *serve[] = {"serve", "--migrate", NULL};
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_LEN(base); i++)
        env[n++] = base[i];
    for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL && n + 1 < ARRAY_LEN(env); i++)
        env[n++] = extra_env[i];
    env[n] = NULL;
    return it_shopvox_start(p, ito.db, env, serve);
}

int ito_shopvox_start(const char *const *extra_env)
{
    return ito_proc_start(&ito.proc, extra_env);
}

int ito_start_sandbox(const char *db_prefix, const struct sandbox_pvx_opts *opts)
{
    struct sandbox_pvx_opts so = {0};
    struct errbuf err = {""};

    curl_global_init(CURL_GLOBAL_DEFAULT);
    ito.db = it_db_create_migrated(db_prefix);
    ito.proc.pid = -1;
    if (opts != NULL)
        so = *opts;
    else
        so.password_encoding = SANDBOX_PW_BASE64;
    ito.sb = sandbox_pvx_start(&so, &err);
    if (ito.sb == NULL) {
        fprintf(stderr, "sandbox: %s\n", err.msg);
        return -1;
    }
    it_sandbox_pvx_url(sandbox_pvx_port(ito.sb), ito.pvx_url, sizeof(ito.pvx_url));
    snprintf(ito.pvx_url_env, sizeof(ito.pvx_url_env), "PEOPLEVOX_URL=%s", ito.pvx_url);
    return 0;
}

int ito_start(const char *db_prefix, const struct sandbox_pvx_opts *opts,
              const char *const *extra_env)
{
    if (ito_start_sandbox(db_prefix, opts) != 0)
        return -1;
    return ito_shopvox_start(extra_env);
}

int ito_wait_catalogue(void)
{
    /* the catalogue sync runs at start; orders posted before it would only be held */
    if (it_wait_sql_long(ito.db, "SELECT count(*) FROM items WHERE active", 19, ITO_WAIT_MS) !=
        19) {
        it_proc_dump_log(&ito.proc);
        return -1;
    }
    return 0;
}

int ito_start_synced(const char *db_prefix, const struct sandbox_pvx_opts *opts,
                     const char *const *extra_env)
{
    if (ito_start(db_prefix, opts, extra_env) != 0)
        return -1;
    return ito_wait_catalogue();
}

int ito_group_teardown(void **state)
{
    return ito_stop();
}

int ito_stop(void)
{
    int rc = ito.proc.pid > 0 ? it_proc_stop(&ito.proc, SIGTERM, 20000) : 0;

    sandbox_pvx_stop(ito.sb);
    ito.sb = NULL;
    return rc == 0 ? 0 : -1;
}

/*
 * n paid orders of two lines (first_sku and SCARF-WOOL); with fr_tag the
 * last one ships to France (routed to a site the sandbox does not know).
 */
void ito_send_paid_two_lines(const char *tag, int n, const char *fr_tag, const char *first_sku,
                             char (*names)[32])
{
    const struct it_line lines[] = {{first_sku, 1, false}, {"SCARF-WOOL", 2, false}};

    for (int i = 0; i < n; i++) {
        char id[32];
        char *body;
        bool fr = fr_tag != NULL && i == n - 1;

        it_order_next(id, sizeof(id), names[i], sizeof(names[i]), fr ? fr_tag : tag);
        body = it_order_json(&(struct it_order){.id = id, .name = names[i],
                                                .country_code = fr ? "FR" : "US", .lines = lines,
                                                .n_lines = 2});
        ito_webhook("orders/paid", body);
        free(body);
    }
}

/*
 * Paid orders held for an unknown SKU (no Peoplevox call), then released
 * together: the SKU mapping and the re-check commit in one transaction, so
 * every job becomes due at once, as after a pause. fault_json (may be
 * NULL) is armed just before the release; with fr_tag the last order ships
 * to France (routed to a site the sandbox does not know).
 */
void ito_post_held_then_release(const char *tag, int n, const char *fr_tag, char (*names)[32],
                                const char *fault_json)
{
    char sku[32], *sql;
    struct store_conn *c = store_conn_create(ito.db);
    struct errbuf err = {""};
    int released = 0;

    snprintf(sku, sizeof(sku), "HOLD-%s", tag);
    ito_send_paid_two_lines(tag, n, fr_tag, sku, names);
    for (int i = 0; i < n; i++) {
        ito_wait_state(names[i], "on_hold");
        ito_wait_jobs_idle(names[i]);
    }
    if (fault_json != NULL)
        ito_sandbox_post("/_sandbox/faults", fault_json);
    sql = xasprintf("INSERT INTO sku_map (shop, shopline_sku, item_code, created_by) VALUES "
                    "('" IT_SHOP "', '%s', 'BEANIE-RED', 'it')",
                    sku);
    assert_int_equal(store_cmd(c, "BEGIN", &err), ST_OK);
    assert_int_equal(store_cmd(c, sql, &err), ST_OK);
    assert_int_equal(catalogue_recheck_held(c, IT_SHOP, &released, &err), ST_OK);
    assert_int_equal(store_cmd(c, "COMMIT", &err), ST_OK);
    assert_int_equal(released, n);
    free(sql);
    store_conn_destroy(c);
}

/* Each order is sent, and the sandbox holds its Sales Order once with both lines. */
void ito_assert_each_sent_once(char (*names)[32], int n)
{
    for (int i = 0; i < n; i++) {
        struct json_object *o, *items;
        char so[40];

        ito_wait_state(names[i], "sent");
        ito_wait_jobs_idle(names[i]);
        ito_so_of(names[i], so, sizeof(so));
        assert_int_equal(ito_sandbox_orders_numbered(so), 1);
        o = ito_sandbox_order(so);
        assert_int_equal(ito_order_items(o, &items), 2);
        json_object_put(o);
        assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE subject = '%s' AND "
                                   "state = 'open'",
                                   names[i]),
                         0);
    }
}
