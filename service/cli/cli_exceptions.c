/*
 * cli_exceptions.c - shopvox exceptions list|show|retry|resolve.
 *
 * Retry re-runs what the exception is about rather than touching the
 * exception itself: a dead job is put back to run now, an order held for a
 * SKU, routing or Peoplevox problem gets a post_sales_order job (deduped on
 * the order, so a retry racing the automatic re-check adds nothing). A
 * job_dead exception is resolved by its retry (a new one opens if the job
 * dies again); a hold exception stays open until posting the order closes
 * it, so the queue never claims a problem is gone before it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "exceptions.h"
#include "jobs.h"
#include "order_store.h"

#define EXC_LIST_DEFAULT 50
#define EXC_LIST_MAX 1000
#define EXC_NOTE_MAX_BYTES 2000

/* Exceptions about an order held before posting: retried by posting it again. */
static const char *const exc_order_types[] = {
    "unknown_sku",        "unroutable",           "peoplevox_rejected", "sales_order_conflict",
    "order_number_too_long", "order_number_taken", "stalled_order",
};

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

/* Resolves exception id_text if open; *changed tells whether it was. 0 or -1 (printed). */
static int exc_mark_resolved(struct cli *x, const char *id_text, const char *note, bool *changed)
{
    struct errbuf err = {""};

    if (exc_resolve_id(x->db, x->shop, id_text, x->user, note, changed, &err) == ST_OK)
        return 0;
    cli_error(x, "could not resolve exception: %s", err.msg);
    return -1;
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

/* ---- retry ---- */

struct retry_outcome {
    const char *action;      /* "job_retried", "job_enqueued", "job_running" */
    long long job_id;
    char job_kind[48];
    bool exception_resolved;
    char message[512];
};

static bool is_order_type(const char *type)
{
    for (size_t i = 0; i < ARRAY_LEN(exc_order_types); i++)
        if (strcmp(exc_order_types[i], type) == 0)
            return true;
    return false;
}

static int retry_job_now(struct cli *x, long long job_id)
{
    struct errbuf err = {""};

    if (job_retry(x->db, job_id, &err) == ST_OK)
        return 0;
    cli_error(x, "could not retry job %lld: %s", job_id, err.msg);
    return -1;
}

/* The kind of job `job_id` of this shop, into out->job_kind; an exit code. */
static int retry_job_kind(struct cli *x, long long job_id, struct retry_outcome *out)
{
    struct errbuf err = {""};
    bool found = false;

    if (job_find_kind(x->db, x->shop, job_id, out->job_kind, sizeof(out->job_kind), &found,
                      &err) != ST_OK) {
        cli_error(x, "could not read job: %s", err.msg);
        return CLI_EXIT_ERROR;
    }
    if (found)
        return CLI_EXIT_OK;
    cli_error(x, "job %lld not found for shop %s", job_id, x->shop);
    return CLI_EXIT_NOT_FOUND;
}

/* job_dead: put the job back and resolve the exception, in one transaction. */
static int retry_dead_job(struct cli *x, struct json_object *e, struct retry_outcome *out)
{
    const char *subject = cli_jstr(e, "subject");
    long long job_id = strncmp(subject, "job:", 4) == 0 ? cli_parse_id(subject + 4) : -1;
    char ids[24], note[64];
    int rc;

    if (job_id < 0) {
        cli_error(x, "exception %lld names no job (subject '%s')", cli_jint(e, "id"), subject);
        return CLI_EXIT_ERROR;
    }
    rc = retry_job_kind(x, job_id, out);
    if (rc != CLI_EXIT_OK)
        return rc;
    snprintf(ids, sizeof(ids), "%lld", cli_jint(e, "id"));
    snprintf(note, sizeof(note), "job %lld retried", job_id);
    if (cli_begin(x) < 0)
        return CLI_EXIT_ERROR;
    if (retry_job_now(x, job_id) < 0 || exc_mark_resolved(x, ids, note, NULL) < 0 ||
        cli_commit(x) < 0)
        goto fail;
    out->action = "job_retried";
    out->job_id = job_id;
    out->exception_resolved = true;
    snprintf(out->message, sizeof(out->message),
             "%s job %lld is pending again and runs now; exception %s resolved (a new one opens "
             "if the job dies again)", out->job_kind, job_id, ids);
    return CLI_EXIT_OK;
fail:
    cli_rollback(x);
    return CLI_EXIT_ERROR;
}

/* The order an exception is about: its order_id, else the order named by its subject. */
static int retry_find_order(struct cli *x, struct json_object *e, struct json_object **order)
{
    char ids[24];
    const char *subject = cli_jstr(e, "subject");
    struct errbuf err = {""};
    enum st st;
    int rc;

    snprintf(ids, sizeof(ids), "%lld", cli_jint(e, "order_id"));
    rc = cli_one_row(x, "read order",
                     order_store_report_brief(x->db, x->shop, ids, subject, &st, &err), &err,
                     order);
    if (rc == CLI_EXIT_NOT_FOUND)
        cli_error(x, "order of exception %lld not found (subject '%s')", cli_jint(e, "id"),
                  subject);
    return rc;
}

/* Enqueues (or re-arms) the post_sales_order job of a held order. */
static int retry_post(struct cli *x, const char *order_id, const char *name,
                      struct retry_outcome *out)
{
    char payload[64];
    struct cli_job_outcome j;

    snprintf(payload, sizeof(payload), "{\"order_id\": %s}", order_id);
    if (cli_begin(x) < 0)
        return CLI_EXIT_ERROR;
    if (cli_job_run_now(x, "post_sales_order", order_id, payload, &j) < 0 || cli_commit(x) < 0) {
        cli_rollback(x);
        return CLI_EXIT_ERROR;
    }
    out->job_id = j.job_id;
    out->action = j.created ? "job_enqueued" : j.running ? "job_running" : "job_retried";
    if (j.created)
        snprintf(out->message, sizeof(out->message),
                 "enqueued post_sales_order job %lld for order %s", j.job_id, name);
    else if (j.running)
        snprintf(out->message, sizeof(out->message),
                 "post_sales_order job %lld for order %s is running already", j.job_id, name);
    else
        snprintf(out->message, sizeof(out->message),
                 "post_sales_order job %lld for order %s was %s and runs again now", j.job_id,
                 name, j.prior_state);
    snprintf(out->message + strlen(out->message), sizeof(out->message) - strlen(out->message),
             "; the exception closes itself once the order is posted");
    return CLI_EXIT_OK;
}

static int retry_held_order(struct cli *x, struct json_object *e, struct retry_outcome *out)
{
    struct json_object *order = NULL;
    const char *state;
    char order_id[24];
    int rc = retry_find_order(x, e, &order);

    if (rc != CLI_EXIT_OK)
        return rc;
    state = cli_jstr(order, "state");
    snprintf(order_id, sizeof(order_id), "%lld", cli_jint(order, "id"));
    if (strcmp(state, "on_hold") != 0 && strcmp(state, "ready") != 0) {
        cli_error(x, "order %s is %s, not on hold: nothing to retry", cli_jstr(order, "name"),
                  state);
        rc = CLI_EXIT_USAGE;
    } else {
        rc = retry_post(x, order_id, cli_jstr(order, "name"), out);
    }
    json_object_put(order);
    return rc;
}

static void retry_print(struct cli *x, struct json_object *e, const struct retry_outcome *o)
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
    struct retry_outcome o = {NULL, -1, "", false, ""};
    const char *type;
    long long id;
    int rc = exc_prepare(x, NULL, 0, &id);

    if (rc == CLI_EXIT_OK)
        rc = exc_fetch(x, id, &e);
    if (rc != CLI_EXIT_OK)
        goto out;
    type = cli_jstr(e, "type");
    if (strcmp(cli_jstr(e, "state"), "open") != 0) {
        cli_error(x, "exception %lld is resolved: nothing to retry", id);
        rc = CLI_EXIT_USAGE;
    } else if (strcmp(type, "job_dead") == 0) {
        rc = retry_dead_job(x, e, &o);
    } else if (is_order_type(type)) {
        snprintf(o.job_kind, sizeof(o.job_kind), "post_sales_order");
        rc = retry_held_order(x, e, &o);
    } else {
        cli_error(x, "exceptions of type %s cannot be retried: fix the cause, then run "
                     "shopvox exceptions resolve %lld", type, id);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK)
        retry_print(x, e, &o);
out:
    json_object_put(e);
    return rc;
}

/* ---- resolve ---- */

int cli_exceptions_resolve(struct cli *x)
{
    struct cli_opt opts[] = {{"note", NULL}};
    struct json_object *e = NULL;
    char ids[24];
    bool changed = false;
    long long id;
    int rc = exc_prepare(x, opts, ARRAY_LEN(opts), &id);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (opts[0].value != NULL && strlen(opts[0].value) > EXC_NOTE_MAX_BYTES) {
        cli_error(x, "--note is longer than %d bytes", EXC_NOTE_MAX_BYTES);
        return CLI_EXIT_USAGE;
    }
    snprintf(ids, sizeof(ids), "%lld", id);
    if (exc_mark_resolved(x, ids, opts[0].value, &changed) < 0)
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
