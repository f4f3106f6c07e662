/*
 * cli_audit.c - shopvox audit list: the audit log, newest first (who
 * changed what through the admin API or the CLI; audit_store.h).
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "audit_store.h"
#include "cli_int.h"

#define AUDIT_LIST_DEFAULT 50
#define AUDIT_LIST_MAX 1000

static const struct cli_col audit_cols[] = {
    {"id", "ID", 0},         {"at", "AT", 0},       {"actor", "ACTOR", 24},
    {"action", "ACTION", 0}, {"subject_kind", "KIND", 0}, {"subject_id", "SUBJECT", 28},
    {"note", "NOTE", 50},
};

int cli_audit_list(struct cli *x)
{
    struct cli_opt opts[] = {{"since", NULL}, {"limit", NULL}};
    struct errbuf err = {""};
    struct json_object *out, *rows;
    struct cli_args a;
    long long limit = AUDIT_LIST_DEFAULT;
    PGresult *res;
    enum st st;
    int rc;

    if (cli_parse(x, opts, ARRAY_LEN(opts), 0, 0, &a) < 0)
        return CLI_EXIT_USAGE;
    if (opts[0].value != NULL && !api_time_ok(opts[0].value)) {
        cli_error(x, "invalid --since '%s': expected an ISO 8601 date or time "
                     "(2026-03-01 or 2026-03-01T09:30:00Z)", opts[0].value);
        return CLI_EXIT_USAGE;
    }
    if (opts[1].value != NULL &&
        ((limit = cli_parse_id(opts[1].value)) < 1 || limit > AUDIT_LIST_MAX)) {
        cli_error(x, "invalid --limit '%s': expected 1 to %d", opts[1].value, AUDIT_LIST_MAX);
        return CLI_EXIT_USAGE;
    }
    rc = cli_connect(x);
    if (rc != CLI_EXIT_OK)
        return rc;
    res = cli_checked(x, "read the audit log",
                      audit_report_list(x->db, x->shop, opts[0].value, NULL, NULL, 0,
                                        (int)limit, &st, &err),
                      &err);
    if (res == NULL)
        return CLI_EXIT_ERROR;
    rows = cli_rows_json(res);
    out = json_object_new_object();
    cli_jset_str(out, "since", opts[0].value);
    json_object_object_add(out, "entries", rows);
    if (x->json)
        cli_print_json(out);
    else if (json_object_array_length(rows) == 0)
        printf("no audit entries%s%s\n", opts[0].value ? " since " : "",
               opts[0].value ? opts[0].value : "");
    else
        cli_print_table(rows, audit_cols, ARRAY_LEN(audit_cols), 0);
    json_object_put(out);
    PQclear(res);
    return CLI_EXIT_OK;
}
