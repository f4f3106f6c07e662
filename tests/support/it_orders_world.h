/*
 * it_orders_world.h - the world of an order test program: one fresh
 * database, the Peoplevox sandbox in this process and one real shopvox
 * process on them, with helpers to send orders and read both sides.
 *
 * One world per program (the global `ito`); each helper fails the current
 * cmocka test (with the shopvox log) when what it waits for does not
 * happen within ITO_WAIT_MS. ito_webhook_send (like it_order_json and
 * it_order_next) is safe to call from several threads at once; every other
 * helper belongs to the main (cmocka) thread. A program that needs the
 * database and the sandbox but drives shopvox itself (several replicas,
 * or its handlers called in-process) starts the world with
 * ito_start_sandbox only.
 */
#ifndef SHOPVOX_IT_ORDERS_WORLD_H
#define SHOPVOX_IT_ORDERS_WORLD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "it.h"
#include "it_sandbox.h"
#include "sandbox.h"

struct json_object;

#define ITO_WAIT_MS 20000

struct ito_world {
    const char *db;
    struct sandbox_pvx *sb;
    struct it_proc proc;
    char pvx_url[192];       /* the sandbox's endpoint */
    char pvx_url_env[256];   /* PEOPLEVOX_URL=pvx_url */
    atomic_int seq;   /* webhook ids */
};
extern struct ito_world ito;

/*
 * Creates a migrated database and starts the sandbox (opts NULL: defaults,
 * base64 password). 0 or -1.
 */
int ito_start_sandbox(const char *db_prefix, const struct sandbox_pvx_opts *opts);
/*
 * ito_start_sandbox, then shopvox (2 workers, 5 s Peoplevox timeout,
 * routing "country:GB=LONDON;country:FR=NOWHERE;default=PrimarySite") plus
 * extra_env ("NAME=value", NULL-terminated, may be NULL; later entries
 * win) as ito.proc. 0 or -1.
 */
int ito_start(const char *db_prefix, const struct sandbox_pvx_opts *opts,
              const char *const *extra_env);
/* Starts `shopvox serve --migrate` on the world's database and sandbox as p (a replica). */
int ito_proc_start(struct it_proc *p, const char *const *extra_env);
/* Starts shopvox again as ito.proc on the same database and sandbox (after a stop). */
int ito_shopvox_start(const char *const *extra_env);
/* Waits for the start-up catalogue sync (the 19 seeded items). 0 or -1. */
int ito_wait_catalogue(void);
/* ito_start, then ito_wait_catalogue. 0 or -1. */
int ito_start_synced(const char *db_prefix, const struct sandbox_pvx_opts *opts,
                     const char *const *extra_env);
/* SIGTERM to shopvox if running (must exit 0 within 20 s), stops the sandbox. 0 or -1. */
int ito_stop(void);
/* ito_stop as a cmocka group teardown. */
int ito_group_teardown(void **state);

long ito_sql_count(const char *fmt, ...) SV_PRINTF(1, 2);

struct json_object *ito_sandbox_get(const char *path);
void ito_sandbox_post(const char *path, const char *body);
long ito_sandbox_count(const char *key);
/* A fault counter still pending in the sandbox. */
long ito_sandbox_fault(const char *key);
/* Sales Orders in the sandbox whose number is so (the sandbox keys on it, so 0 or 1). */
long ito_sandbox_orders_numbered(const char *so);
/* Calls the sandbox received of op (and template, when not NULL). */
long ito_sandbox_calls(const char *op, const char *tmpl);
/* The most rows a SaveData of tmpl with key == value carried (batching shows as > 1). */
long ito_sandbox_max_rows_where(const char *tmpl, const char *key, long value);
long ito_sandbox_max_rows(const char *tmpl);
/* SaveData calls of tmpl (answered 200) that carried more than one row. */
long ito_sandbox_batched_saves(const char *tmpl);
/* The most rows of a save the sandbox applied and then dropped the connection of. */
long ito_sandbox_dropped_rows(const char *tmpl);
/* Rows of every SaveData of tmpl the sandbox applied (answered or dropped). */
long ito_sandbox_rows_saved(const char *tmpl);
/* One Sales Order as the sandbox holds it (NULL when unknown); caller puts. */
struct json_object *ito_sandbox_order(const char *so);
const char *ito_order_field(struct json_object *o, const char *field);
size_t ito_order_items(struct json_object *o, struct json_object **items);
/* Sends a signed webhook; fails the test unless shopvox answers 200. */
void ito_webhook(const char *topic, const char *body);
/* n paid orders (US) of the given lines tagged tag; names[i] receives each name. */
void ito_send_paid_orders(const char *tag, int n, const struct it_line *lines, size_t n_lines,
                          char (*names)[32]);
/* The same for any thread: 0, or -1 with why set (the test is not failed). */
int ito_webhook_send(const char *topic, const char *body, char *why, size_t why_cap);
/* Waits until order `name` is in state; fails the test with its history if not. */
void ito_wait_state(const char *name, const char *state);
/* Waits until no job of the order is pending or running. */
void ito_wait_jobs_idle(const char *name);
void ito_so_of(const char *name, char *out, size_t cap);
/* A paid order of the given lines; waits for it to be sent; returns its SO number. */
void ito_post_paid(const char *tag, const char *country, const struct it_line *lines, size_t n,
                      char *name, size_t name_cap, char *so, size_t so_cap);
/*
 * n paid orders of two lines (first_sku and SCARF-WOOL); with fr_tag the
 * last one ships to France (routed to a site the sandbox does not know).
 */
void ito_send_paid_two_lines(const char *tag, int n, const char *fr_tag, const char *first_sku,
                             char (*names)[32]);
/*
 * n such orders held for an unknown SKU (no Peoplevox call), then released
 * together in one transaction, so every job becomes due at once, as after
 * a pause; fault_json (may be NULL) is armed just before the release.
 */
void ito_post_held_then_release(const char *tag, int n, const char *fr_tag, char (*names)[32],
                                const char *fault_json);
/* Each order is sent, and the sandbox holds its Sales Order once with both lines. */
void ito_assert_each_sent_once(char (*names)[32], int n);
/* Runs `shopvox ARGS...` as an operator command on the world's database; its exit status. */
int ito_run_cli(const char *const *args);

#endif
