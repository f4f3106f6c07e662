/*
 * it_cli_check.h - what the operator commands' integration tests share:
 * one migrated database (cli_db, made by cli_group_setup), the command run as
 * a child process (CLI), and checks of its exit code and JSON answers;
 * rows put in place by SQL (orders, exceptions).
 */
#ifndef IT_CLI_CHECK_H
#define IT_CLI_CHECK_H

#include <stddef.h>

#include <json-c/json.h>

#include "it_cli_run.h"

extern const char *cli_db; /* the migrated database of this test program */

#define CLI(r, ...) it_cli_run((r), cli_db, __VA_ARGS__, (const char *)NULL)

void expect_exit(const struct it_cli_result *r, int want);

/* Checks the exit code and returns stdout as JSON (owned). */
struct json_object *json_of(const struct it_cli_result *r, int want);

struct json_object *jget(struct json_object *o, const char *key);

const char *jstr(struct json_object *o, const char *key);

/*
 * With --json a failure is one JSON document on stdout, {"error": ...,
 * "code": N} with N the exit code, and nothing on stderr.
 */
void expect_json_error(const struct it_cli_result *r, int code, const char *needle);

long long jint(struct json_object *o, const char *key);

size_t jlen(struct json_object *o, const char *key);

struct json_object *jidx(struct json_object *o, const char *key, size_t i);

/* Inserts an order (explicit id) with one line of sku; returns nothing, ids are the test's. */
void order_insert(long id, const char *name, const char *state, const char *hold_reason,
                  const char *sku);

/* Inserts an open exception and returns its id. */
long exception_insert(const char *type, const char *subject_kind, const char *subject,
                      long order_id);

int cli_group_setup(void **state);

#endif
