/*
 * pvxf_ops.c - the IntegrationServiceV4 operations of the fake Peoplevox.
 *
 * Each operation reads its parameters from the parsed request, works on the
 * shared state (the caller holds sb->fake.lock) and fills an IntegrationResponse.
 * Every operation but Authenticate first checks UserSessionCredentials:
 * an unknown, foreign or idle-expired session answers HTTP 200 with
 * ResponseId -1 and "System : Security - Invalid Session", exactly the case
 * clients must recover from by authenticating again.
 *
 * Session ids are 32 random hex characters from getrandom(2); a use slides
 * the idle deadline. The session table is capped: the stalest session goes
 * when a new one would pass the cap.
 */
#include "pvxf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "pvxf_tables.h"

#define PVXF_MAX_SESSIONS 4096
#define PVXF_INVALID_SESSION "System : Security - Invalid Session"

/* ---- sessions ---- */

static void pvxf_sessions_prune(struct sandbox_pvx *sb, int64_t now)
{
    struct pvxf_state *st = &sb->st;
    size_t keep = 0;

    for (size_t i = 0; i < st->n_sessions; i++) {
        if (now - st->sessions[i].last_used_ms <= sb->cfg.session_idle_timeout_ms)
            st->sessions[keep++] = st->sessions[i];
    }
    st->n_sessions = keep;
}

static void pvxf_session_new(struct sandbox_pvx *sb, char *id_out)
{
    struct pvxf_state *st = &sb->st;
    unsigned char raw[16] = {0};
    int64_t now = sbx_fake_now_ms(&sb->fake);
    struct pvxf_session *s;

    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        abort();
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(id_out + i * 2, 3, "%02x", raw[i]);
    pvxf_sessions_prune(sb, now);
    if (st->n_sessions == PVXF_MAX_SESSIONS) {
        memmove(st->sessions, st->sessions + 1, (st->n_sessions - 1) * sizeof(*s));
        st->n_sessions--;
    }
    st->sessions = buf_grow_array(st->sessions, &st->cap_sessions, st->n_sessions + 1,
                                  sizeof(*s));
    s = &st->sessions[st->n_sessions++];
    memcpy(s->id, id_out, sizeof(s->id));
    s->last_used_ms = now;
}

static bool pvxf_session_valid(struct sandbox_pvx *sb, const struct pvxf_request *req)
{
    int64_t now = sbx_fake_now_ms(&sb->fake);

    pvxf_sessions_prune(sb, now);
    if (req->session_id == NULL || req->client_id == NULL ||
        strcasecmp(req->client_id, sb->cfg.client_id) != 0)
        return false;
    for (size_t i = 0; i < sb->st.n_sessions; i++) {
        if (strcmp(sb->st.sessions[i].id, req->session_id) == 0) {
            sb->st.sessions[i].last_used_ms = now;
            return true;
        }
    }
    return false;
}

/* ---- operations ---- */

static bool pvxf_password_ok(const struct pvxf_config *cfg, const char *given)
{
    bool plain = strcmp(given, cfg->password) == 0;
    bool b64 = strcmp(given, cfg->password_b64) == 0;

    switch (cfg->password_encoding) {
    case SANDBOX_PW_BASE64: return b64;
    case SANDBOX_PW_PLAIN: return plain;
    case SANDBOX_PW_ANY: return plain || b64;
    }
    return false;
}

static void pvxf_op_authenticate(struct sandbox_pvx *sb, const struct pvxf_request *req,
                                 struct pvxf_op_out *out)
{
    char *client = pvxf_soap_param(req, NULL, "clientId");
    char *user = pvxf_soap_param(req, NULL, "username");
    char *pass = pvxf_soap_param(req, NULL, "password");
    char id[33];

    if (client == NULL || user == NULL || pass == NULL ||
        strcasecmp(client, sb->cfg.client_id) != 0 || strcmp(user, sb->cfg.username) != 0 ||
        !pvxf_password_ok(&sb->cfg, pass)) {
        pvxf_result_fail(&out->res, "Authentication failed: invalid client id, user name or "
                                   "password");
        goto out;
    }
    pvxf_session_new(sb, id);
    out->res.detail = xasprintf("%s,%s", sb->cfg.client_id, id);
out:
    free(client);
    free(user);
    free(pass);
}

static void pvxf_op_save_template(struct sandbox_pvx *sb, const struct pvxf_request *req,
                                  struct pvxf_op_out *out)
{
    char *name = pvxf_soap_param(req, NULL, "templateName");
    bool orders = name && strcasecmp(name, "Sales orders") == 0;
    bool lines = name && strcasecmp(name, "Sales order items") == 0;
    bool returns = name && strcasecmp(name, PVXF_RETURNS_TEMPLATE) == 0 &&
                   sb->st.ret_fields != NULL;
    struct buf b;

    buf_init(&b, 0);
    snprintf(out->tmpl, sizeof(out->tmpl), "%s", name ? name : "");
    if (!orders && !lines && !returns) {
        pvxf_result_fail(&out->res, "Template '%s' does not exist", name ? name : "");
        goto out;
    }
    if (returns)
        csv_append_row(&b, (const char *const *)sb->st.ret_fields, sb->st.n_ret_fields);
    else
        csv_append_row(&b, orders ? pvxf_order_fields : pvxf_line_fields,
                       orders ? pvxf_n_order_fields : pvxf_n_line_fields);
    if (b.len >= 2)
        b.len -= 2; /* one header line, without the record terminator */
    b.data[b.len] = '\0';
    out->res.detail = buf_steal(&b);
out:
    buf_cleanup(&b);
    free(name);
}

static bool pvxf_parse_long(const char *s, long dflt, long *out)
{
    char *end;

    if (s == NULL || s[0] == '\0') {
        *out = dflt;
        return true;
    }
    *out = strtol(s, &end, 10);
    return *end == '\0' && *out >= 0;
}

/* GetData / GetReportData: build the view, filter, page, answer CSV. */
static void pvxf_op_get(struct sandbox_pvx *sb, const struct pvxf_request *req,
                        struct pvxf_op_out *out, bool report)
{
    const char *w = report ? "getReportRequest" : "getRequest";
    char *p[7] = {0};
    static const char *const names[] = {"TemplateName", "PageNo", "ItemsPerPage",
                                        "SearchClause", "FilterClause", "OrderBy", "Columns"};
    struct pvxf_query q = {0};
    struct pvxf_table t = {0};
    struct buf csv;
    struct errbuf err = {{0}};

    buf_init(&csv, PVXF_MAX_RESPONSE_BYTES);
    for (size_t i = 0; i < ARRAY_LEN(names) && (report || i < 4); i++)
        p[i] = pvxf_soap_param(req, w, names[i]);
    snprintf(out->tmpl, sizeof(out->tmpl), "%s", p[0] ? p[0] : "");
    if (!pvxf_parse_long(p[1], 1, &q.page_no) || !pvxf_parse_long(p[2], 0, &q.per_page)) {
        pvxf_result_fail(&out->res, "PageNo and ItemsPerPage must be whole numbers");
        goto out;
    }
    q.search = p[3];
    q.filter = p[4];
    q.order_by = p[5];
    q.columns = p[6];
    if (pvxf_tables_build(&sb->st, p[0] ? p[0] : "", report,
                          (sb->cfg.plain_report_dates ? PVXF_DATES_PLAIN : 0) |
                              (sb->cfg.local_report_dates ? PVXF_DATES_LOCAL : 0),
                          &t, &err) != ST_OK ||
        pvxf_query_run(&t, &q, &csv, &out->res.total_count, &err) != ST_OK) {
        pvxf_result_fail(&out->res, "%s", err.msg);
        goto out;
    }
    out->rows = out->res.total_count;
    out->res.detail = buf_steal(&csv);
out:
    pvxf_table_cleanup(&t);
    buf_cleanup(&csv);
    for (size_t i = 0; i < ARRAY_LEN(p); i++)
        free(p[i]);
}

static void pvxf_op_get_data(struct sandbox_pvx *sb, const struct pvxf_request *req,
                             struct pvxf_op_out *out)
{
    pvxf_op_get(sb, req, out, false);
}

static void pvxf_op_get_report(struct sandbox_pvx *sb, const struct pvxf_request *req,
                               struct pvxf_op_out *out)
{
    pvxf_op_get(sb, req, out, true);
}

static void pvxf_op_save(struct sandbox_pvx *sb, const struct pvxf_request *req,
                         struct pvxf_op_out *out)
{
    char *tmpl = pvxf_soap_param(req, "saveRequest", "TemplateName");
    char *data = pvxf_soap_param(req, "saveRequest", "CsvData");
    char *action = pvxf_soap_param(req, "saveRequest", "Action");
    struct csv_table csv = {0};
    struct errbuf err = {{0}};
    long act;

    snprintf(out->tmpl, sizeof(out->tmpl), "%s", tmpl ? tmpl : "");
    if (action == NULL || !pvxf_parse_long(action, 0, &act) || action[0] == '\0') {
        pvxf_result_fail(&out->res, "Action is required (0 = normal)");
        goto out;
    }
    if (csv_parse(data ? data : "", data ? strlen(data) : 0, PVXF_MAX_CSV_ROWS, &csv, &err) !=
        ST_OK) {
        pvxf_result_fail(&out->res, "CsvData is not valid CSV: %s", err.msg);
        goto out;
    }
    out->rows = csv.n_rows > 0 ? (long)csv.n_rows - 1 : 0;
    out->is_save = true;
    pvxf_store_save(&sb->st, tmpl ? tmpl : "", &csv, &out->res);
out:
    csv_table_cleanup(&csv);
    free(tmpl);
    free(data);
    free(action);
}

static void pvxf_op_subscribe(struct sandbox_pvx *sb, const struct pvxf_request *req,
                              struct pvxf_op_out *out)
{
    out->res.detail = xasprintf("%ld", sb->st.next_subscription++);
}

static void pvxf_op_unsubscribe(struct sandbox_pvx *sb, const struct pvxf_request *req,
                                struct pvxf_op_out *out)
{
}

static const struct {
    const char *op;
    bool needs_session;
    void (*run)(struct sandbox_pvx *sb, const struct pvxf_request *req, struct pvxf_op_out *out);
} pvxf_ops[] = {
    {"Authenticate", false, pvxf_op_authenticate},
    {"GetSaveTemplate", true, pvxf_op_save_template},
    {"GetData", true, pvxf_op_get_data},
    {"GetReportData", true, pvxf_op_get_report},
    {"SaveData", true, pvxf_op_save},
    {"SubscribeEvent", true, pvxf_op_subscribe},
    {"SubscribePostEvent", true, pvxf_op_subscribe},
    {"UnsubscribeEvent", true, pvxf_op_unsubscribe},
};

void pvxf_ops_run(struct sandbox_pvx *sb, const struct pvxf_request *req, struct pvxf_op_out *out)
{
    for (size_t i = 0; i < ARRAY_LEN(pvxf_ops); i++) {
        if (strcmp(pvxf_ops[i].op, req->op) != 0)
            continue;
        if (pvxf_ops[i].needs_session && !pvxf_session_valid(sb, req)) {
            pvxf_result_fail(&out->res, PVXF_INVALID_SESSION);
            return;
        }
        pvxf_ops[i].run(sb, req, out);
        return;
    }
    out->unknown_op = true;
}
