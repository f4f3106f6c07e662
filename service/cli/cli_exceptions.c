/*
 * cli_exceptions.c - shopvox exceptions list|show|retry|resolve.
 *
 * Retry and resolve are exc_actions.c's (shared with the admin API, see
 * exc_actions.h for what retry means per type): here they run in one
 * transaction with their audit row, actor "cli:$USER".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_store.h"
#include "cli_int.h"
#include "exc_actions.h"
#include "exceptions.h"

#define EXC_LIST_DEFAULT 50
#define EXC_LIST_MAX 1000
#define EXC_NOTE_MAX_BYTES 2000

static const struct cli_col exc_list_cols[] = {
    {"id", "ID", 0},          {"type", "TYPE", 0},           {"state", "STATE", 0},
    {"team", "TEAM", 0},      {"subject", "SUBJECT", 28},    {"count", "COUNT", 0},
    {"last_seen", "LAST SEEN", 0}, {"detail", "DETAIL", 70},
};

static const struct cli_col exc_show_fields[] = {
    {"id", "Exception", 0},   {"type", "Type", 0},           {"state", "State", 0},
    {"team", "Team", 0},      {"subject_kind", "Subject kind", 0}, {"subject", "Subject", 0},
    {"order_name", "Order", 0}, {"order_state", "Order state", 0}, {"detail", "Detail", 0},
    {"action", "Action", 0},  {"count", "Count", 0},         {"first_seen", "First seen", 0},
    {"last_seen", "Last seen", 0}, {"resolved_at", "Resolved at", 0},
    {"resolved_by", "Resolved by", 0}, {"resolution", "Resolution", 0},
};

/* Loads exception `id` of this shop into *out; an exit code (3 when absent). */
static int exc_fetch(struct cli *x, long long id, struct json_object **out)
{
    struct errbuf err = {""};
    enum st st;
    int rc = cli_one_row(x, "read exception", exc_report(x->db, x->shop, id, &st, &err), &err,
                         out);

    if (rc == CLI_EXIT_NOT_FOUND)
        cli_error(x, "exception %lld not found for shop %s", id, x->shop);
    return rc;
}

/* Parses the single ID argument (plus the given options) and connects. */
static int exc_prepare(struct cli *x, struct cli_opt *opts,
                       size_t n_opts, long long *id)
{
    struct cli_args a;

    if (cli_parse(x, opts, n_opts, 1, 1, &a) < 0)
        return CLI_EXIT_USAGE;
    *id = cli_parse_id(a.pos[0]);
    if (*id < 0) {
        cli_error(x, "invalid exception id '%s': expected a positive number", a.pos[0]);
        return CLI_EXIT_USAGE;
    }
    return cli_connect(x);
}

static int list_options(struct cli *x, struct cli_opt *opts, int *limit)
{
    const char *state = opts[0].value;

    if (state != NULL && strcmp(state, "open") != 0 && strcmp(state, "resolved") != 0 &&
        strcmp(state, "all") != 0) {
        cli_error(x, "invalid --state '%s': expected open, resolved or all", state);
        return -1;
    }
    if (opts[1].value != NULL && !exc_type_known(opts[1].value)) {
        struct buf known;

        buf_init(&known, 0);
        for (size_t i = 0; i < exc_n_types; i++)
            buf_appendf(&known, "%s%s", i > 0 ? ", " : "", exc_types[i]);
        cli_error(x, "unknown exception type '%s': known types are %s", opts[1].value,
                  buf_cstr(&known));
        buf_cleanup(&known);
        return -1;
    }
    *limit = EXC_LIST_DEFAULT;
    if (opts[2].value != NULL) {
        long long n = cli_parse_id(opts[2].value);

        if (n < 1 || n > EXC_LIST_MAX) {
            cli_error(x, "invalid --limit '%s': expected 1 to %d", opts[2].value, EXC_LIST_MAX);
            return -1;
        }
        *limit = (int)n;
    }
    return 0;
}

int cli_exceptions_list(struct cli *x)
{
    struct cli_opt opts[] = {{"state", NULL}, {"type", NULL}, {"limit", NULL}};
    struct cli_args a;
    const char *state, *type;
    struct errbuf err = {""};
    struct json_object *out = NULL, *rows;
    PGresult *res = NULL;
    enum st st;
    int limit, rc;

    if (cli_parse(x, opts, ARRAY_LEN(opts), 0, 0, &a) < 0 ||
        list_options(x, opts, &limit) < 0)
        return CLI_EXIT_USAGE;
    rc = cli_connect(x);
    if (rc != CLI_EXIT_OK)
        return rc;
    state = opts[0].value != NULL ? opts[0].value : "open";
    type = opts[1].value;
    res = cli_checked(x, "list exceptions",
                      exc_report_list(x->db, x->shop, state, type, limit, &st, &err), &err);
    if (res == NULL)
        return CLI_EXIT_ERROR;
    rows = cli_rows_json(res);
    out = json_object_new_object();
    cli_jset_str(out, "state", state);
    cli_jset_str(out, "type", type);
    cli_jset_int(out, "limit", limit);
    json_object_object_add(out, "exceptions", rows);
    if (x->json)
        cli_print_json(out);
    else if (json_object_array_length(rows) == 0)
        printf("no %s%s%s exceptions\n", strcmp(state, "all") == 0 ? "" : state,
               type ? " " : "", type ? type : "");
    else
        cli_print_table(rows, exc_list_cols, ARRAY_LEN(exc_list_cols), 0);
    json_object_put(out);
    PQclear(res);
    return CLI_EXIT_OK;
}

int cli_exceptions_show(struct cli *x)
{
    struct json_object *e = NULL;
    long long id;
    int rc = exc_prepare(x, NULL, 0, &id);

    if (rc == CLI_EXIT_OK)
        rc = exc_fetch(x, id, &e);
    if (rc == CLI_EXIT_OK && x->json)
        cli_print_json(e);
    else if (rc == CLI_EXIT_OK)
        cli_print_fields(e, exc_show_fields, ARRAY_LEN(exc_show_fields), 0);
    json_object_put(e);
    return rc;
}

/* ---- retry and resolve (exc_actions.c; audited as cli:$USER) ---- */

/* The exit code of a refused or failed action (the message printed). */
static int action_failed(struct cli *x, enum exc_refusal refusal, const struct errbuf *err)
{
    cli_rollback(x);
    cli_error(x, "%s", err->msg);
    if (refusal == EXC_REFUSED_NOT_FOUND)
        return CLI_EXIT_NOT_FOUND;
    return refusal == EXC_REFUSED_NONE ? CLI_EXIT_ERROR : CLI_EXIT_USAGE;
}

static void retry_print(struct cli *x, struct json_object *e, const struct exc_retry_outcome *o)
{
    struct json_object *r;

    if (!x->json) {
        printf("%s\n", o->message);
        return;
    }
    r = json_object_new_object();
    cli_jset_int(r, "exception_id", cli_jint(e, "id"));
    cli_jset_str(r, "type", cli_jstr(e, "type"));
    cli_jset_str(r, "action", o->action);
    cli_jset_int(r, "job_id", o->job_id);
    cli_jset_str(r, "job_kind", o->job_kind);
    json_object_object_add(r, "exception_resolved",
                           json_object_new_boolean(o->exception_resolved));
    cli_jset_str(r, "message", o->message);
    cli_print_json(r);
    json_object_put(r);
}

int cli_exceptions_retry(struct cli *x)
{
    struct json_object *e = NULL;
    struct exc_retry_outcome o;
    enum exc_refusal refusal = EXC_REFUSED_NONE;
    struct errbuf err = {""};
    char actor[128];
    struct exc_actor who = {actor, x->user};
    long long id;
    int rc = exc_prepare(x, NULL, 0, &id);

    if (rc != CLI_EXIT_OK)
        return rc;
    audit_cli_actor(x->user, actor, sizeof(actor));
    if (cli_begin(x) < 0)
        return CLI_EXIT_ERROR;
    if (exc_action_retry(x->db, x->shop, id, &who, &o, &refusal, &err) != ST_OK)
        return action_failed(x, refusal, &err);
    if (cli_commit(x) < 0)
        return CLI_EXIT_ERROR;
    rc = exc_fetch(x, id, &e);
    if (rc == CLI_EXIT_OK)
        retry_print(x, e, &o);
    json_object_put(e);
    return rc;
}

/* ---- resolve ---- */

int cli_exceptions_resolve(struct cli *x)
{
    struct cli_opt opts[] = {{"note", NULL}};
    struct json_object *e = NULL;
    enum exc_refusal refusal = EXC_REFUSED_NONE;
    struct errbuf err = {""};
    char actor[128];
    struct exc_actor who = {actor, x->user};
    bool changed = false;
    long long id;
    int rc = exc_prepare(x, opts, ARRAY_LEN(opts), &id);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (opts[0].value != NULL && strlen(opts[0].value) > EXC_NOTE_MAX_BYTES) {
        cli_error(x, "--note is longer than %d bytes", EXC_NOTE_MAX_BYTES);
        return CLI_EXIT_USAGE;
    }
    audit_cli_actor(x->user, actor, sizeof(actor));
    if (cli_begin(x) < 0)
        return CLI_EXIT_ERROR;
    if (exc_action_resolve(x->db, x->shop, id, &who, opts[0].value, &changed, &refusal,
                           &err) != ST_OK)
        return action_failed(x, refusal, &err);
    if (cli_commit(x) < 0)
        return CLI_EXIT_ERROR;
    rc = exc_fetch(x, id, &e);
    if (rc != CLI_EXIT_OK)
        return rc;
    json_object_object_add(e, "changed", json_object_new_boolean(changed));
    if (x->json)
        cli_print_json(e);
    else if (changed)
        printf("exception %lld resolved by %s\n", id, x->user);
    else
        printf("exception %lld was already resolved by %s at %s\n", id,
               cli_jstr(e, "resolved_by"), cli_jstr(e, "resolved_at"));
    json_object_put(e);
    return CLI_EXIT_OK;
}
