/*
 * world.c - the browser tests' world (browser_world): a fresh database,
 * the Peoplevox sandbox and the real shopvox binary started with the
 * tests' support (it_orders_world.h, the same world the order tests use),
 * then driven line by line over stdin by the Node test program
 * (console.test.js), which cannot reach PostgreSQL or sign a webhook
 * itself. Every answer is one line: "ok <value>" or "err <why>".
 *
 *   (start)                  -> "ready <ops port>"
 *   order TAG SKU            a paid order of one line (1 x SKU) -> "ok <name>"
 *   sql QUERY                the first value of QUERY's first row -> "ok <text>"
 *   cli ARG...               `shopvox ARG...` on the world's database -> "ok <exit status>"
 *   so_count SO              Sales Orders numbered SO in the sandbox -> "ok <n>"
 * stdin closed: shopvox stopped (SIGTERM), the sandbox stopped, exit 0.
 * The admin tokens come from BROWSER_ADMIN_TOKENS (SHOPVOX_ADMIN_TOKENS's syntax).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"
#include "it_orders_world.h"

#define ARGS_MAX 16

static void cmd_order(char *rest)
{
    char *tag = strtok(rest, " "), *sku = strtok(NULL, " ");
    char id[32], name[32], why[256];
    struct it_line line = {sku, 1, false};
    char *body;

    if (tag == NULL || sku == NULL) {
        printf("err usage: order TAG SKU\n");
        return;
    }
    it_order_next(id, sizeof(id), name, sizeof(name), tag);
    body = it_order_json(&(struct it_order){.id = id, .name = name, .lines = &line,
                                            .n_lines = 1});
    if (ito_webhook_send("orders/paid", body, why, sizeof(why)) == 0)
        printf("ok %s\n", name);
    else
        printf("err %s\n", why);
    free(body);
}

static void cmd_cli(char *rest)
{
    const char *args[ARGS_MAX + 1];
    size_t n = 0;

    for (char *a = strtok(rest, " "); a != NULL && n < ARGS_MAX; a = strtok(NULL, " "))
        args[n++] = a;
    args[n] = NULL;
    printf("ok %d\n", ito_run_cli(args));
}

int main(void)
{
    const char *tokens = getenv("BROWSER_ADMIN_TOKENS");
    char tokens_env[1024], line[4096];

    snprintf(tokens_env, sizeof(tokens_env), "SHOPVOX_ADMIN_TOKENS=%s", tokens ? tokens : "");
    const char *env[] = {tokens_env, "PEOPLEVOX_TIMEZONE=Europe/London", NULL};

    it_require_db();
    if (ito_start_synced("browser", NULL, env) < 0) {
        it_proc_dump_log(&ito.proc);
        return 1;
    }
    printf("ready %d\n", ito.proc.ops_port);
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        char *rest = strchr(line, ' ');

        line[strcspn(line, "\r\n")] = '\0';
        rest = rest != NULL ? (*rest = '\0', rest + 1) : line + strlen(line);
        if (strcmp(line, "order") == 0) {
            cmd_order(rest);
        } else if (strcmp(line, "sql") == 0) {
            char *v = it_sql_text(ito.db, rest);

            printf("ok %s\n", v);
            free(v);
        } else if (strcmp(line, "cli") == 0) {
            cmd_cli(rest);
        } else if (strcmp(line, "so_count") == 0) {
            printf("ok %ld\n", ito_sandbox_orders_numbered(rest));
        } else {
            printf("err unknown command %s\n", line);
        }
        fflush(stdout);
    }
    return ito_stop() == 0 ? 0 : 1;
}
