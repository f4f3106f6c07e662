/*
 * cli_report.c - shopvox report daily [--date YYYY-MM-DD] [--json|--html]:
 * one store day's report (daily_report.h), today by default, as text,
 * JSON (the same as GET /api/v1/reports/daily) or a self-contained HTML
 * page (to mail or save).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli_int.h"
#include "daily_report.h"

int cli_report_daily(struct cli *x)
{
    struct cli_opt opts[] = {{"date", NULL}};
    struct daily_report r;
    struct errbuf err = {""};
    struct cli_args a;
    bool bad_date = false;
    char *text;
    int rc;

    if (x->html && x->json) {
        cli_error(x, "--json and --html: choose one");
        return CLI_EXIT_USAGE;
    }
    rc = cli_start(x, opts, ARRAY_LEN(opts), 0, 0, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (daily_report_build(x->db, x->shop, x->cfg.pvx_timezone, opts[0].value, &r, &bad_date,
                           &err) != ST_OK) {
        cli_error(x, bad_date ? "%s" : "could not build the daily report: %s", err.msg);
        return bad_date ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
    }
    if (x->json) {
        struct json_object *o = daily_report_json(&r);

        cli_print_json(o);
        json_object_put(o);
    } else {
        text = x->html ? daily_report_html(&r) : daily_report_text(&r);
        fputs(text, stdout);
        free(text);
    }
    daily_report_cleanup(&r);
    return CLI_EXIT_OK;
}
