/*
 * cli_routing.c - shopvox routing list|set: the wording around
 * admin_routing.c (admin_actions.h), which the admin API shares. `set`
 * takes the rule language of SHOPVOX_ROUTING_RULES; a bad list changes
 * nothing; positions are 1-based in configuration order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"

static const struct cli_col rule_cols[] = {
    {"position", "#", 0}, {"kind", "KIND", 0}, {"match", "MATCH", 0}, {"site", "SITE", 0},
};

/* Prints out ({rules, spec}, admin_routing_read's) as JSON or text, then frees it. */
static int rules_print(struct cli *x, struct json_object *out, const char *heading)
{
    struct json_object *rules = json_object_object_get(out, "rules");

    if (x->json) {
        cli_print_json(out);
    } else if (json_object_array_length(rules) == 0) {
        printf("no routing rules for %s\n", x->shop);
    } else {
        if (heading != NULL)
            printf("%s\n", heading);
        cli_print_table(rules, rule_cols, ARRAY_LEN(rule_cols), 0);
        printf("\nas a rule list: '%s'\n", cli_jstr(out, "spec"));
    }
    json_object_put(out);
    return CLI_EXIT_OK;
}

int cli_routing_list(struct cli *x)
{
    struct cli_args a;
    struct errbuf err = {""};
    struct json_object *out = NULL;
    int rc = cli_start(x, NULL, 0, 0, 0, &a);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (admin_routing_read(x->db, x->shop, &out, &err) != ST_OK) {
        cli_error(x, "could not read routing rules: %s", err.msg);
        return CLI_EXIT_ERROR;
    }
    return rules_print(x, out, NULL);
}

int cli_routing_set(struct cli *x)
{
    struct cli_args a;
    struct errbuf err = {""};
    struct json_object *out = NULL;
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct admin_actor who;
    char actor[128], heading[160];
    size_t n;
    int rc = cli_start(x, NULL, 0, 1, 1, &a);

    if (rc != CLI_EXIT_OK || cli_begin(x) < 0)
        return rc != CLI_EXIT_OK ? rc : CLI_EXIT_ERROR;
    who = cli_admin_actor(x, actor, sizeof(actor));
    rc = cli_admin_end(x, admin_routing_set(x->db, &who, x->cfg.pvx_default_site, a.pos[0],
                                            &out, &refusal, &err),
                       &refusal, &err);
    if (rc != CLI_EXIT_OK)
        return rc;
    n = json_object_array_length(json_object_object_get(out, "rules"));
    snprintf(heading, sizeof(heading), "replaced the routing rules of %s with %zu rule%s:",
             x->shop, n, n == 1 ? "" : "s");
    return rules_print(x, out, heading);
}
