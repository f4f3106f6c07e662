/*
 * test_api_doc.c - the README's "Admin API" table against the route
 * table (api_routes[]): every route has exactly one row, `METHOD PATTERN`
 * with the role it needs (operator for a write, viewer for a read), and no
 * row names a route that does not exist; a row of a path with a {param}
 * names its 404, and a write's row names its body ("body ..." or "no
 * body"). The conventions paragraph above the table covers what every
 * route shares (401, 403, 405, 400 for a query, 503, 500; paging).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../service/core/api/api_int.h"

#define README FIXTURES_DIR "/../../README.md"

/* The README's "## Admin API" section (owned), up to the next "## ". */
static char *admin_api_section(void)
{
    FILE *f = fopen(README, "rb");
    char *text, *start, *end;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    start = strstr(text, "\n## Admin API\n");
    assert_non_null(start);
    end = strstr(start + 1, "\n## ");
    if (end != NULL)
        *end = '\0';
    memmove(text, start, strlen(start) + 1);
    return text;
}

/* The row of `method pattern` (its text up to the line's end, owned), or NULL. */
static char *route_row(const char *section, const char *method, const char *pattern)
{
    char key[256];
    const char *at, *eol;

    snprintf(key, sizeof(key), "\n| `%s %s` |", method, pattern);
    at = strstr(section, key);
    if (at == NULL)
        return NULL;
    assert_null(strstr(at + 1, key)); /* one row only */
    eol = strchr(at + 1, '\n');
    return strndup(at + 1, eol != NULL ? (size_t)(eol - at - 1) : strlen(at + 1));
}

static void test_every_route_has_one_row_with_its_role(void **state)
{
    char *section = admin_api_section();

    for (size_t i = 0; i < api_n_routes; i++) {
        const struct api_route *rt = &api_routes[i];
        char *row = route_row(section, rt->method, rt->pattern);
        char role[32];

        if (row == NULL)
            fail_msg("README: no row for `%s %s`", rt->method, rt->pattern);
        snprintf(role, sizeof(role), "` | %s |", rt->write ? "operator" : "viewer");
        if (strstr(row, role) == NULL)
            fail_msg("README: `%s %s` should say %s", rt->method, rt->pattern, role);
        if (strchr(rt->pattern, '{') != NULL && strstr(row, "404") == NULL)
            fail_msg("README: `%s %s` does not name its 404", rt->method, rt->pattern);
        if (rt->write && strstr(row, "body") == NULL)
            fail_msg("README: `%s %s` does not name its body (or \"no body\")", rt->method,
                     rt->pattern);
        free(row);
    }
    free(section);
}

static void test_no_row_names_a_missing_route(void **state)
{
    char *section = admin_api_section();
    size_t rows = 0;

    for (const char *p = strstr(section, "\n| `"); p != NULL; p = strstr(p + 1, "\n| `")) {
        char method[8], pattern[128];
        bool found = false;

        if (sscanf(p, "\n| `%7s %127[^`]` |", method, pattern) != 2 ||
            strncmp(pattern, "/api/", 5) != 0)
            continue;
        rows++;
        for (size_t i = 0; i < api_n_routes && !found; i++)
            found = strcmp(api_routes[i].method, method) == 0 &&
                    strcmp(api_routes[i].pattern, pattern) == 0;
        if (!found)
            fail_msg("README documents `%s %s`, which api_routes[] does not have", method,
                     pattern);
    }
    assert_int_equal(rows, api_n_routes);
    free(section);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_has_one_row_with_its_role),
        cmocka_unit_test(test_no_row_names_a_missing_route),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
