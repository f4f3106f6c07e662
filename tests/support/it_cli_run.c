/*
 * it_cli_run.c - running operator commands for the integration tests
 * (see it_cli_run.h). Output goes to temporary files rather than pipes so
 * a large answer can never dead-lock the child against the test.
 */
#include "it_cli_run.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "it_proc.h"

#define IT_CLI_MAX_ARGS 31
#define IT_CLI_MAX_ENV 32

static const char *const passed_through[] = {"PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                             "LSAN_OPTIONS"};

static size_t env_name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');

    return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* Adds entry to env, replacing an entry of the same name. */
static void env_put(char **env, size_t *n, char *entry)
{
    size_t len = env_name_len(entry);

    for (size_t i = 0; i < *n; i++) {
        if (env_name_len(env[i]) == len && strncmp(env[i], entry, len) == 0) {
            free(env[i]);
            env[i] = entry;
            return;
        }
    }
    if (*n < IT_CLI_MAX_ENV)
        env[(*n)++] = entry;
    else
        free(entry);
}

/* The captured output; the file is removed. */
static char *read_output(const char *path)
{
    char *out = it_file_read(path);

    unlink(path);
    return out;
}

static int temp_file(char *path, size_t cap, const char *what)
{
    int fd;

    snprintf(path, cap, "/tmp/shopvox-it-cli-%s-XXXXXX", what);
    fd = mkstemp(path);
    if (fd < 0) {
        perror("it_cli: mkstemp");
        exit(1);
    }
    return fd;
}

void it_cli_run_env(struct it_cli_result *r, const char *db_url, const char *const *extra,
                    const char *const *args)
{
    char out_path[64], err_path[64];
    char *env[IT_CLI_MAX_ENV + 1];
    char *argv[IT_CLI_MAX_ARGS + 1];
    size_t n_env = 0;
    int n_args = 0, status = 0;
    int out_fd = temp_file(out_path, sizeof(out_path), "out");
    int err_fd = temp_file(err_path, sizeof(err_path), "err");
    pid_t pid;

    for (size_t i = 0; i < ARRAY_LEN(passed_through); i++)
        if (getenv(passed_through[i]) != NULL)
            env_put(env, &n_env, xasprintf("%s=%s", passed_through[i], getenv(passed_through[i])));
    env_put(env, &n_env, xstrdup("USER=" IT_CLI_USER));
    env_put(env, &n_env, xasprintf("SHOPVOX_DATABASE_URL=%s", db_url));
    env_put(env, &n_env, xstrdup("SHOPLINE_SHOP_DOMAIN=" IT_SHOP));
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        env_put(env, &n_env, xstrdup(extra[i]));
    env[n_env] = NULL;
    argv[n_args++] = (char *)(uintptr_t)SHOPVOX_BIN;
    for (size_t i = 0; args[i] != NULL && n_args < IT_CLI_MAX_ARGS; i++)
        argv[n_args++] = (char *)(uintptr_t)args[i];
    argv[n_args] = NULL;
    pid = fork();
    if (pid == 0) {
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        execve(SHOPVOX_BIN, argv, env);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        perror("it_cli: fork");
        exit(1);
    }
    close(out_fd);
    close(err_fd);
    for (size_t i = 0; i < n_env; i++)
        free(env[i]);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r->out = read_output(out_path);
    r->err = read_output(err_path);
}

void it_cli_run(struct it_cli_result *r, const char *db_url, ...)
{
    const char *args[IT_CLI_MAX_ARGS + 1];
    size_t n = 0;
    va_list ap;

    va_start(ap, db_url);
    for (const char *a = va_arg(ap, const char *); a != NULL && n < IT_CLI_MAX_ARGS;
         a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    it_cli_run_env(r, db_url, NULL, args);
}

struct json_object *it_cli_json(const struct it_cli_result *r)
{
    struct json_object *o = json_tokener_parse(r->out);

    if (o == NULL)
        fprintf(stderr, "it_cli: stdout is not JSON (exit %d):\n%s\nstderr:\n%s\n", r->exit_code,
                r->out, r->err);
    return o;
}

void it_cli_result_free(struct it_cli_result *r)
{
    free(r->out);
    free(r->err);
    r->out = NULL;
    r->err = NULL;
}
