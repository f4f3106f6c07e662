/*
 * cli_routing.c - shopvox routing list|set.
 *
 * `set` takes the same rule language as SHOPVOX_ROUTING_RULES, validates
 * it completely with routing_parse_rules before touching the database, and
 * replaces the shop's rules in one transaction: a bad list changes
 * nothing, and a worker never sees half a rule set. Positions are 1-based
 * in configuration order, as routing reasons number them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli_int.h"
#include "routing.h"
#include "routing_store.h"

#define ROUTING_SPEC_MAX_BYTES 65536

static const struct cli_col rule_cols[] = {
    {"position", "#", 0}, {"kind", "KIND", 0}, {"match", "MATCH", 0}, {"site", "SITE", 0},
};

/* The rules back in the rule language, consecutive stock sites joined ("stock=A,B"). */
static char *rules_spec(struct json_object *rules)
{
    struct buf b;
    const char *prev_kind = "";

    buf_init(&b, 0);
    for (size_t i = 0; i < json_object_array_length(rules); i++) {
        struct json_object *r = json_object_array_get_idx(rules, i);
        const char *kind = cli_jstr(r, "kind");

        if (strcmp(kind, "stock") == 0 && strcmp(prev_kind, "stock") == 0) {
            buf_appendf(&b, ",%s", cli_jstr(r, "site"));
        } else {
            buf_appendf(&b, "%s%s", b.len ? ";" : "", kind);
            if (strcmp(kind, "location") == 0 || strcmp(kind, "country") == 0)
                buf_appendf(&b, ":%s", cli_jstr(r, "match"));
            buf_appendf(&b, "=%s", cli_jstr(r, "site"));
        }
        prev_kind = kind;
    }
    return buf_steal(&b);
}

/* Reads the shop's rules and prints them (JSON or text). An exit code. */
static int rules_show(struct cli *x, const char *heading)
{
    struct errbuf err = {""};
    struct json_object *out, *rules;
    enum st st;
    PGresult *res = routing_store_read(x->db, x->shop, &st, &err);
    char *spec;

    if (res == NULL) {
        cli_error(x, "could not read routing rules: %s", err.msg);
        return CLI_EXIT_ERROR;
    }
    rules = cli_rows_json(res);
    PQclear(res);
    spec = rules_spec(rules);
    out = json_object_new_object();
    json_object_object_add(out, "rules", rules);
    cli_jset_str(out, "spec", spec);
    if (x->json) {
        cli_print_json(out);
    } else if (json_object_array_length(rules) == 0) {
        printf("no routing rules for %s\n", x->shop);
    } else {
        if (heading != NULL)
            printf("%s\n", heading);
        cli_print_table(rules, rule_cols, ARRAY_LEN(rule_cols), 0);
        printf("\nas a rule list: '%s'\n", spec);
    }
    json_object_put(out);
    free(spec);
    return CLI_EXIT_OK;
}

int cli_routing_list(struct cli *x)
{
    struct cli_args a;

    int rc = cli_start(x, NULL, 0, 0, 0, &a);

    return rc == CLI_EXIT_OK ? rules_show(x, NULL) : rc;
}

static void rules_audit(struct cli *x, const char *text)
{
    struct json_object *after = json_object_new_object();

    cli_jset_str(after, "rules", text);
    cli_audit(x, "routing.set", "routing_rules", x->shop, NULL, after);
    json_object_put(after);
}

static int rules_replace(struct cli *x, const struct routing_rules *t)
{
    struct errbuf err = {""};
    enum st st;

    if (cli_begin(x) < 0)
        return -1;
    st = routing_store_replace(x->db, x->shop, t, &err);
    if (st != ST_OK)
        cli_error(x, "could not replace routing rules: %s", err.msg);
    if (st == ST_OK && cli_commit(x) == 0)
        return 0;
    cli_rollback(x);
    return -1;
}

/*
 * Peoplevox's site list is not mirrored locally, so a site is known when
 * shopvox has seen it: a site with stock rows (the stock sync writes one
 * per site Peoplevox reports), a site of the current rules, or the
 * configured default site. Returns 0, 1 (an unknown site: printed) or -1.
 */
static int rules_check_sites(struct cli *x, const struct routing_rules *t)
{
    struct errbuf err = {""};
    enum st st;
    PGresult *res = cli_checked(
        x, "read known sites",
        routing_store_known_sites(x->db, x->shop, x->cfg.pvx_default_site, &st, &err), &err);
    int rc = 0;

    if (res == NULL)
        return -1;
    for (size_t i = 0; i < t->n && rc == 0; i++) {
        bool known = false;

        for (int r = 0; r < PQntuples(res) && !known; r++)
            known = strcmp(PQgetvalue(res, r, 0), t->rules[i].site) == 0;
        if (!known) {
            struct buf sites;

            buf_init(&sites, 4096);
            for (int r = 0; r < PQntuples(res); r++)
                buf_appendf(&sites, "%s%s", r > 0 ? ", " : "", PQgetvalue(res, r, 0));
            cli_error(x, "invalid routing rules: unknown site '%s' (known sites: %s)",
                      t->rules[i].site, buf_cstr(&sites));
            buf_cleanup(&sites);
            rc = 1;
        }
    }
    PQclear(res);
    return rc;
}

int cli_routing_set(struct cli *x)
{
    struct cli_args a;
    struct routing_rules t;
    struct errbuf err = {""};
    char heading[160];
    int rc = CLI_EXIT_USAGE;

    if (cli_parse(x, NULL, 0, 1, 1, &a) < 0)
        return CLI_EXIT_USAGE;
    routing_rules_init(&t);
    if (strlen(a.pos[0]) > ROUTING_SPEC_MAX_BYTES) {
        cli_error(x, "invalid routing rules: longer than %d bytes", ROUTING_SPEC_MAX_BYTES);
        goto out;
    }
    if (routing_parse_rules(&t, a.pos[0], &err) < 0) {
        cli_error(x, "invalid routing rules: %s", err.msg);
        goto out;
    }
    if (t.n == 0) {
        cli_error(x, "invalid routing rules: no rule given (e.g. 'country:GB=LONDON;default=%s')",
                  x->cfg.pvx_default_site[0] ? x->cfg.pvx_default_site : "PrimarySite");
        goto out;
    }
    rc = cli_connect(x);
    if (rc != CLI_EXIT_OK)
        goto out;
    switch (rules_check_sites(x, &t)) {
    case 0:
        break;
    case 1:
        rc = CLI_EXIT_USAGE;
        goto out;
    default:
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (rules_replace(x, &t) < 0) {
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    rules_audit(x, a.pos[0]);
    snprintf(heading, sizeof(heading), "replaced the routing rules of %s with %zu rule%s:",
             x->shop, t.n, t.n == 1 ? "" : "s");
    rc = rules_show(x, heading);
out:
    routing_rules_cleanup(&t);
    return rc;
}
