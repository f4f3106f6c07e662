/*
 * it_cli_check.c - the operator commands' test helpers (see it_cli_check.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common.h"
#include "it.h"
#include "it_cli_check.h"
#include "it_cli_run.h"

const char *cli_db;

/* ---- helpers ---- */

void expect_exit(const struct it_cli_result *r, int want)
{
    if (r->exit_code != want)
        fprintf(stderr, "exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s\n", r->exit_code, want,
                r->out, r->err);
    assert_int_equal(r->exit_code, want);
}

/* Checks the exit code and returns stdout as JSON (owned). */
struct json_object *json_of(const struct it_cli_result *r, int want)
{
    struct json_object *o;

    expect_exit(r, want);
    o = it_cli_json(r);
    assert_non_null(o);
    return o;
}

struct json_object *jget(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        fprintf(stderr, "no member %s in %s\n", key, json_object_to_json_string(o));
        fail();
    }
    return v;
}

const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v = jget(o, key);

    return v == NULL ? NULL : json_object_get_string(v);
}

/*
 * With --json a failure is one JSON document on stdout, {"error": ...,
 * "code": N} with N the exit code, and nothing on stderr.
 */
void expect_json_error(const struct it_cli_result *r, int code, const char *needle)
{
    struct json_object *o = json_of(r, code), *c;

    assert_true(json_object_object_get_ex(o, "code", &c));
    assert_int_equal(json_object_get_int(c), code);
    if (strstr(jstr(o, "error"), needle) == NULL)
        fail_msg("error [%s] does not mention [%s]", jstr(o, "error"), needle);
    assert_string_equal(r->err, "");
    json_object_put(o);
}


long long jint(struct json_object *o, const char *key)
{
    return (long long)json_object_get_int64(jget(o, key));
}

size_t jlen(struct json_object *o, const char *key)
{
    struct json_object *a = jget(o, key);

    assert_true(json_object_is_type(a, json_type_array));
    return json_object_array_length(a);
}

struct json_object *jidx(struct json_object *o, const char *key, size_t i)
{
    return json_object_array_get_idx(jget(o, key), i);
}

/* Inserts an order (explicit id) with one line of sku; returns nothing, ids are the test's. */
void order_insert(long id, const char *name, const char *state, const char *hold_reason,
                  const char *sku)
{
    it_sql_longf(cli_db,
                 "INSERT INTO orders (id, shop, shopline_order_id, name, state, financial_status, "
                 "hold_reason) VALUES (%ld, '" IT_SHOP "', '77%08ld', '%s', '%s', 'paid', %s%s%s) "
                 "RETURNING id",
                 id, id, name, state, hold_reason ? "'" : "", hold_reason ? hold_reason : "NULL",
                 hold_reason ? "'" : "");
    it_sql_longf(cli_db,
                 "INSERT INTO order_lines (order_id, line_id, line_no, sku, quantity) "
                 "VALUES (%ld, 'L%ld', 1, '%s', 2) RETURNING quantity",
                 id, id, sku);
}

/* Inserts an open exception and returns its id. */
long exception_insert(const char *type, const char *subject_kind, const char *subject,
                      long order_id)
{
    char order[24] = "NULL";

    if (order_id > 0)
        snprintf(order, sizeof(order), "%ld", order_id);
    return it_sql_longf(
        cli_db,
        "INSERT INTO exceptions (shop, type, team, subject_kind, subject, order_id, "
        "detail, action) VALUES ('" IT_SHOP "', '%s', 'ops', '%s', '%s', %s, "
        "'detail of %s', 'do something') RETURNING id",
        type, subject_kind, subject, order, type);
}

/* ---- setup ---- */

int cli_group_setup(void **state)
{
    struct it_cli_result r;

    it_require_db();
    cli_db = it_db_create("cli");
    CLI(&r, "migrate");
    expect_exit(&r, 0);
    it_cli_result_free(&r);
    return 0;
}
