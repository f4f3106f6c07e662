/*
 * it_orders_world.c - see it_orders_world.h.
 *
 * Threads: the order and webhook counters are atomic and ito_webhook_send
 * reports instead of failing the test (a cmocka failure longjmps into the
 * main thread's frame), so both may be called from several threads at once;
 * libcurl's global init runs in ito_start, before any thread sends.
 */
#include <curl/curl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
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
#include "it_orders_world.h"
#include "it_sandbox.h"

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

/* Calls the sandbox received of op (and template, when not NULL). */
long ito_sandbox_calls(const char *op, const char *tmpl)
{
    struct json_object *o = ito_sandbox_get("/_sandbox/calls");
    struct json_object *calls;
    long n = 0;

    if (json_object_object_get_ex(o, "calls", &calls)) {
        for (size_t i = 0; i < json_object_array_length(calls); i++) {
            struct json_object *c = json_object_array_get_idx(calls, i);

            n += strcmp(it_json_str(c, "op"), op) == 0 &&
                 (tmpl == NULL || strcmp(it_json_str(c, "template"), tmpl) == 0) &&
                 it_json_long(c, "http_code") == 200;
        }
    }
    json_object_put(o);
    return n;
}

/* The most rows a SaveData of tmpl with key == value carried (batching shows as > 1). */
long ito_sandbox_max_rows_where(const char *tmpl, const char *key, long value)
{
    struct json_object *o = ito_sandbox_get("/_sandbox/calls");
    struct json_object *calls;
    long max = 0;

    if (json_object_object_get_ex(o, "calls", &calls)) {
        for (size_t i = 0; i < json_object_array_length(calls); i++) {
            struct json_object *c = json_object_array_get_idx(calls, i);

            if (strcmp(it_json_str(c, "op"), "SaveData") == 0 &&
                strcmp(it_json_str(c, "template"), tmpl) == 0 &&
                it_json_long(c, key) == value && it_json_long(c, "rows") > max)
                max = it_json_long(c, "rows");
        }
    }
    json_object_put(o);
    return max;
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


/* A Shopline order: lines, shipping country, payment and cancellation. */
char *ito_order_body(const char *id, const char *name, const char *financial,
                        const char *updated_at, const char *country, bool cancelled,
                        const struct ito_line *lines, size_t n)
{
    struct buf b;

    buf_init(&b, 0);
    buf_appendf(&b,
                "{\"id\":\"%s\",\"name\":\"%s\",\"financial_status\":\"%s\",\"status\":\"%s\","
                "%s\"created_at\":\"2026-11-26T09:00:00+08:00\",\"updated_at\":\"%s\","
                "\"currency\":\"GBP\",\"total_price\":\"25.50\",\"total_tax\":\"4.25\","
                "\"total_discounts\":\"1.00\",\"email\":\"buyer@example.com\","
                "\"customer\":{\"id\":\"77\",\"first_name\":\"Ada\",\"last_name\":\"Lovelace\"},"
                "\"shipping_address\":{\"name\":\"Ada Lovelace\",\"address1\":\"1 Engine Row\","
                "\"address2\":\"Flat 2\",\"city\":\"Town\",\"province\":\"Shire\","
                "\"zip\":\"AB1 2CD\",\"country_code\":\"%s\"},"
                "\"billing_address\":{\"address1\":\"9 Bill St\",\"city\":\"Billtown\","
                "\"zip\":\"B1\",\"country_code\":\"%s\"},"
                "\"shipping_lines\":[{\"title\":\"Tracked 24\",\"code\":\"T24\","
                "\"price\":\"3.00\"}],\"line_items\":[",
                id, name, financial, cancelled ? "cancelled" : "open",
                cancelled ? "\"cancelled_at\":\"2026-11-26T12:00:00+00:00\"," : "", updated_at,
                country, country);
    for (size_t i = 0; i < n; i++)
        buf_appendf(&b,
                    "%s{\"id\":\"%s%zu\",\"variant_id\":\"5%zu\",\"sku\":\"%s\",\"title\":\"T\","
                    "\"quantity\":%d,\"price\":\"%zu.50\",\"requires_shipping\":%s}",
                    i ? "," : "", id, i + 1, i, lines[i].sku, lines[i].qty, i + 10,
                    lines[i].digital ? "false" : "true");
    buf_append_str(&b, "]}");
    return buf_steal(&b);
}

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

/* A fresh Shopline order id and name per call. */
void ito_next_order(char *id, size_t id_cap, char *name, size_t name_cap, const char *tag)
{
    static atomic_int next;
    int n = atomic_fetch_add(&next, 1) + 1;

    snprintf(id, id_cap, "9%025d", n);
    snprintf(name, name_cap, "#%s%d", tag, n);
}


/* it_sql_long of a formatted query (test-made names only, no quoting needed). */
long ito_sql_count(const char *fmt, ...)
{
    char sql[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return it_sql_long(ito.db, sql);
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
void ito_post_paid(const char *tag, const char *country, const struct ito_line *lines, size_t n,
                      char *name, size_t name_cap, char *so, size_t so_cap)
{
    char id[32];
    char *body;

    ito_next_order(id, sizeof(id), name, name_cap, tag);
    body = ito_order_body(id, name, "paid", "2026-11-26T10:00:00+00:00", country, false, lines, n);
    ito_webhook("orders/paid", body);
    free(body);
    ito_wait_state(name, "sent");
    ito_so_of(name, so, so_cap);
}

/* Runs `shopvox ARGS...` as an operator command; returns its exit status. */
int ito_run_cli(const char *const *args)
{
    char dbvar[512];
    char *env[] = {dbvar, (char *)(uintptr_t)("SHOPLINE_SHOP_DOMAIN=" IT_SHOP),
                   (char *)(uintptr_t)"SHOPVOX_LOG_LEVEL=warn", NULL};
    char *argv[16];
    size_t n = 0;
    pid_t pid;
    int status = 0;

    snprintf(dbvar, sizeof(dbvar), "SHOPVOX_DATABASE_URL=%s", ito.db);
    argv[n++] = (char *)(uintptr_t)SHOPVOX_BIN;
    for (size_t i = 0; args[i] != NULL && n < 15; i++)
        argv[n++] = (char *)(uintptr_t)args[i];
    argv[n] = NULL;
    if (posix_spawn(&pid, SHOPVOX_BIN, NULL, NULL, argv, env) != 0)
        return -1;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- the world: database, sandbox, shopvox ---- */

void ito_send_paid_orders(const char *tag, int n, const struct ito_line *lines, size_t n_lines,
                          char (*names)[32])
{
    for (int i = 0; i < n; i++) {
        char id[32];
        char *body;

        ito_next_order(id, sizeof(id), names[i], sizeof(names[i]), tag);
        body = ito_order_body(id, names[i], "paid", "2026-11-26T10:00:00+00:00", "US", false,
                              lines, n_lines);
        ito_webhook("orders/paid", body);
        free(body);
    }
}

int ito_shopvox_start(const char *const *extra_env)
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
    return it_shopvox_start(&ito.proc, ito.db, env, serve);
}

int ito_start(const char *db_prefix, const struct sandbox_pvx_opts *opts,
              const char *const *extra_env)
{
    struct sandbox_pvx_opts so = {0};
    struct errbuf err = {""};

    curl_global_init(CURL_GLOBAL_DEFAULT);
    ito.db = it_db_create(db_prefix);
    if (opts != NULL)
        so = *opts;
    else
        so.password_encoding = SANDBOX_PW_BASE64;
    ito.sb = sandbox_pvx_start(&so, &err);
    if (ito.sb == NULL) {
        fprintf(stderr, "sandbox: %s\n", err.msg);
        return -1;
    }
    snprintf(ito.pvx_url_env, sizeof(ito.pvx_url_env),
             "PEOPLEVOX_URL=http://127.0.0.1:%d/SANDBOX/resources/integrationservicev4.asmx",
             sandbox_pvx_port(ito.sb));
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
    int rc = it_proc_stop(&ito.proc, SIGTERM, 20000);

    sandbox_pvx_stop(ito.sb);
    ito.sb = NULL;
    return rc == 0 ? 0 : -1;
}
