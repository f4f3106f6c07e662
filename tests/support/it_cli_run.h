/*
 * it_cli_run.h - run operator commands of the real binary and capture them.
 *
 * The child gets a minimal environment: PATH, USER=IT_CLI_USER, the
 * sanitizer options if set, SHOPVOX_DATABASE_URL and SHOPLINE_SHOP_DOMAIN
 * (IT_SHOP), then any "NAME=value" overrides; nothing else from the test's
 * own environment leaks into it.
 */
#ifndef SHOPVOX_IT_CLI_RUN_H
#define SHOPVOX_IT_CLI_RUN_H

#include <json-c/json.h>

#define IT_CLI_USER "it-operator"

struct it_cli_result {
    int exit_code;     /* exit status, or 128 + signal */
    char *out;         /* stdout, malloc'd, NUL-terminated */
    char *err;         /* stderr, malloc'd, NUL-terminated */
};

/*
 * Runs `shopvox ARGS...` (args NULL-terminated) against db_url with the
 * extra environment entries env (NULL-terminated, may be NULL; an entry
 * replaces a default of the same name). Aborts the test program if the
 * child cannot be started.
 */
void it_cli_run_env(struct it_cli_result *r, const char *db_url, const char *const *env,
                    const char *const *args);
/* it_cli_run_env without extra environment; the arguments end with NULL. */
void it_cli_run(struct it_cli_result *r, const char *db_url, ...);
/* stdout parsed as JSON (owned, json_object_put), or NULL (printed). */
struct json_object *it_cli_json(const struct it_cli_result *r);
void it_cli_result_free(struct it_cli_result *r);

#endif
