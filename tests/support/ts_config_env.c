/*
 * ts_config_env.c - the fake environment of the configuration loader's
 * unit tests (see ts_config_env.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ts_config_env.h"

struct fake_env {
    const struct env_var *base;  /* {NULL, NULL}-terminated, may be NULL */
    const struct env_var *over;  /* searched first, may be NULL */
    int lookups;
};

static const struct env_var *env_find(const struct env_var *t, const char *name)
{
    for (size_t i = 0; t != NULL && t[i].name != NULL; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

static const char *fake_getenv(const char *name, void *ctx)
{
    struct fake_env *fe = ctx;
    const struct env_var *v = env_find(fe->over, name);

    fe->lookups++;
    if (v != NULL)
        return v->value;
    v = env_find(fe->base, name);
    return v != NULL ? v->value : NULL;
}

/* Exactly the variables marked required, in table order. */
const struct env_var required_env[] = {
    {"SHOPVOX_DATABASE_URL", "postgresql://svx:db-pass-77@db.internal/shopvox"},
    {"SHOPLINE_SHOP_DOMAIN", "shop.example.com"},
    {"SHOPLINE_ACCESS_TOKEN", "access-token-77"},
    {"SHOPLINE_APP_SECRET", "app-secret-77"},
    {"PEOPLEVOX_URL", "https://pvx.example/ws.asmx"},
    {"PEOPLEVOX_CLIENT_ID", "client-1"},
    {"PEOPLEVOX_USERNAME", "bob"},
    {"PEOPLEVOX_PASSWORD", "pvx-pass-77"},
    {NULL, NULL},
};

/* Loads with required_env under over; errors is initialised here. */
int load_with(struct cfg *c, const struct env_var *base, const struct env_var *over,
              bool require_all, struct buf *errors)
{
    struct fake_env fe = {base, over, 0};
    int problems;

    buf_init(errors, 0);
    problems = cfg_load(c, fake_getenv, &fe, require_all, errors);
    assert_true(fe.lookups > 0); /* the callback, not the real environment */
    return problems;
}

int load(struct cfg *c, const struct env_var *over, struct buf *errors)
{
    return load_with(c, required_env, over, true, errors);
}

/* cfg_print into a malloc'd string. */
char *print_config(const struct cfg *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    cfg_print(c, f);
    assert_int_equal(fclose(f), 0);
    return text;
}

int count_lines(const char *s)
{
    int n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* Creates a temporary file holding content; its name goes to path. */
const char *temp_file_with(const char *content, char *path, size_t cap)
{
    int fd;
    size_t len = strlen(content);

    snprintf(path, cap, "/tmp/shopvox-test-config-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}
