/*
 * pvx_calls.c - Peoplevox client: the operations, built on pvx_call.
 *
 * Each operation is a pvx_build_fn (its envelope, from pvx_soap) handed to
 * the generic call (pvx.c), plus what it makes of the answer. GetData and
 * GetReportData return CSV in Detail; their _all forms walk the pages
 * under one header, bounded by max_rows and PVX_MAX_PAGES (the report's
 * _each form hands each page to a sink instead and keeps none). SaveData's row
 * statuses are read here: the first rejected row's reason becomes the
 * error. GetSaveTemplate headers are cached per template (cache_lock),
 * since every save needs its template's field list; CSV for a save is
 * built by field name against that list, in the tenant's order, so a
 * tenant's extra or reordered fields need no code change.
 */
#include "pvx.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pvx_int.h"

#define PVX_MAX_PAGES 100000

/* ---- envelopes ---- */

static enum st pvx_build_get_data(struct buf *out, const struct pvx_credentials *cred,
                                  const void *arg, struct errbuf *err)
{
    return pvx_soap_build_get_data(out, cred, arg, err);
}

static enum st pvx_build_report(struct buf *out, const struct pvx_credentials *cred,
                                const void *arg, struct errbuf *err)
{
    return pvx_soap_build_get_report_data(out, cred, arg, err);
}

static enum st pvx_build_template(struct buf *out, const struct pvx_credentials *cred,
                                  const void *arg, struct errbuf *err)
{
    return pvx_soap_build_get_save_template(out, cred, arg, err);
}

struct pvx_save_arg {
    const char *template_name;
    const char *csv;
};

static enum st pvx_build_save(struct buf *out, const struct pvx_credentials *cred,
                              const void *arg, struct errbuf *err)
{
    const struct pvx_save_arg *a = arg;

    return pvx_soap_build_save_data(out, cred, a->template_name, a->csv, 0, err);
}

/* ---- data calls ---- */

/* Runs a data call and parses its CSV Detail into *out. */
static enum st pvx_call_table(struct pvx_client *pc, CURL *curl, enum pvx_op op,
                              pvx_build_fn build, const void *arg, struct csv_table *out,
                              long *total_count, struct pvx_outcome *oc)
{
    struct pvx_response r;
    enum st rc;

    memset(out, 0, sizeof(*out));
    *total_count = 0;
    rc = pvx_call(pc, curl, op, build, arg, &r, oc);
    if (rc != ST_OK)
        goto out;
    *total_count = r.total_count;
    rc = csv_parse(r.detail, strlen(r.detail), 0, out, &oc->err);
out:
    pvx_response_cleanup(&r);
    return rc;
}

static enum st pvx_check_page(int page_no, int items_per_page, struct pvx_outcome *oc)
{
    if (page_no >= 1 && items_per_page >= 1 && items_per_page <= PVX_MAX_PAGE_ITEMS)
        return ST_OK;
    memset(oc, 0, sizeof(*oc));
    errbuf_set(&oc->err, "page %d of %d items is out of range (1..%d items)", page_no,
               items_per_page, PVX_MAX_PAGE_ITEMS);
    return ST_FAIL;
}

enum st pvx_get_data(struct pvx_client *pc, CURL *curl, const char *template_name,
                     const char *search_clause, int page_no, int items_per_page,
                     struct csv_table *out, long *total_count, struct pvx_outcome *oc)
{
    struct pvx_get_request req = { template_name, page_no, items_per_page, search_clause };

    memset(out, 0, sizeof(*out));
    *total_count = 0;
    if (pvx_check_page(page_no, items_per_page, oc) != ST_OK)
        return ST_FAIL;
    return pvx_call_table(pc, curl, PVX_OP_GET_DATA, pvx_build_get_data, &req, out,
                          total_count, oc);
}

enum st pvx_get_report_data(struct pvx_client *pc, CURL *curl,
                            const struct pvx_report_request *req, struct csv_table *out,
                            long *total_count, struct pvx_outcome *oc)
{
    memset(out, 0, sizeof(*out));
    *total_count = 0;
    if (pvx_check_page(req->page_no, req->items_per_page, oc) != ST_OK)
        return ST_FAIL;
    return pvx_call_table(pc, curl, PVX_OP_GET_REPORT_DATA, pvx_build_report, req, out,
                          total_count, oc);
}

static bool pvx_rows_equal(const struct csv_row *a, const struct csv_row *b)
{
    size_t i;

    if (a->n != b->n)
        return false;
    for (i = 0; i < a->n; i++) {
        if (strcmp(a->fields[i], b->fields[i]) != 0)
            return false;
    }
    return true;
}

/* Moves src's data rows under dst's header (src keeps only its header). */
static enum st pvx_table_merge(struct csv_table *dst, struct csv_table *src, size_t max_rows,
                               struct errbuf *err)
{
    size_t add;

    if (src->n_rows == 0)
        return ST_OK;
    if (dst->n_rows == 0) {
        *dst = *src;
        memset(src, 0, sizeof(*src));
    } else if (!pvx_rows_equal(&dst->rows[0], &src->rows[0])) {
        errbuf_set(err, "peoplevox changed the column header between pages");
        return ST_FAIL;
    } else {
        add = src->n_rows - 1;
        dst->rows = xrealloc(dst->rows, (dst->n_rows + add) * sizeof(*dst->rows));
        memcpy(&dst->rows[dst->n_rows], &src->rows[1], add * sizeof(*dst->rows));
        dst->n_rows += add;
        src->n_rows = 1;
    }
    if (max_rows != 0 && dst->n_rows - 1 > max_rows) {
        errbuf_set(err, "peoplevox returned more than %zu rows", max_rows);
        return ST_FAIL;
    }
    return ST_OK;
}

/* Fetches one page into *out (page fields set by the caller's adapter). */
typedef enum st (*pvx_page_fn)(struct pvx_client *pc, CURL *curl, const void *arg, int page_no,
                               int per_page, struct csv_table *out, long *total,
                               struct pvx_outcome *oc);

/*
 * Pages from *page_no until PageNo * ItemsPerPage >= TotalCount, handing
 * each page to sink and releasing it before the next. A page with no data
 * rows also ends the walk: TotalCount can shrink while we page. On failure
 * *page_no is the page that failed (fetched again when resumed).
 */
static enum st pvx_fetch_each(struct pvx_client *pc, CURL *curl, pvx_page_fn fetch,
                              const void *arg, int per_page, int *page_no, pvx_page_sink sink,
                              void *ctx, struct pvx_outcome *oc)
{
    struct csv_table page;
    size_t page_rows;
    long total = 0;
    enum st rc = ST_OK;

    if (per_page == 0)
        per_page = PVX_MAX_PAGE_ITEMS;
    if (*page_no < 1)
        *page_no = 1;
    for (; *page_no <= PVX_MAX_PAGES; (*page_no)++) {
        rc = fetch(pc, curl, arg, *page_no, per_page, &page, &total, oc);
        page_rows = page.n_rows > 0 ? page.n_rows - 1 : 0;
        if (rc == ST_OK && page.n_rows > 0)
            rc = sink(ctx, &page, &oc->err);
        csv_table_cleanup(&page);
        if (rc != ST_OK)
            return rc;
        if ((long long)*page_no * per_page >= total || page_rows == 0)
            return ST_OK;
    }
    errbuf_set(&oc->err, "peoplevox paging passed %d pages", PVX_MAX_PAGES);
    return ST_FAIL;
}

struct pvx_merge_ctx {
    struct csv_table *out;
    size_t max_rows;
};

static enum st pvx_merge_sink(void *ctx, struct csv_table *page, struct errbuf *err)
{
    struct pvx_merge_ctx *m = ctx;

    return pvx_table_merge(m->out, page, m->max_rows, err);
}

/* Every page merged under one header into *out (emptied on failure). */
static enum st pvx_fetch_all(struct pvx_client *pc, CURL *curl, pvx_page_fn fetch,
                             const void *arg, int per_page, size_t max_rows,
                             struct csv_table *out, struct pvx_outcome *oc)
{
    struct pvx_merge_ctx m = {out, max_rows};
    int page_no = 1;
    enum st rc;

    memset(out, 0, sizeof(*out));
    rc = pvx_fetch_each(pc, curl, fetch, arg, per_page, &page_no, pvx_merge_sink, &m, oc);
    if (rc != ST_OK)
        csv_table_cleanup(out);
    return rc;
}

struct pvx_get_all_arg {
    const char *template_name;
    const char *search_clause;
};

static enum st pvx_page_get_data(struct pvx_client *pc, CURL *curl, const void *arg,
                                 int page_no, int per_page, struct csv_table *out, long *total,
                                 struct pvx_outcome *oc)
{
    const struct pvx_get_all_arg *a = arg;

    return pvx_get_data(pc, curl, a->template_name, a->search_clause, page_no, per_page, out,
                        total, oc);
}

static enum st pvx_page_report(struct pvx_client *pc, CURL *curl, const void *arg, int page_no,
                               int per_page, struct csv_table *out, long *total,
                               struct pvx_outcome *oc)
{
    struct pvx_report_request req = *(const struct pvx_report_request *)arg;

    req.page_no = page_no;
    req.items_per_page = per_page;
    return pvx_get_report_data(pc, curl, &req, out, total, oc);
}

enum st pvx_get_data_all(struct pvx_client *pc, CURL *curl, const char *template_name,
                         const char *search_clause, int items_per_page, size_t max_rows,
                         struct csv_table *out, struct pvx_outcome *oc)
{
    struct pvx_get_all_arg a = { template_name, search_clause };

    return pvx_fetch_all(pc, curl, pvx_page_get_data, &a, items_per_page, max_rows, out, oc);
}

enum st pvx_get_report_data_all(struct pvx_client *pc, CURL *curl,
                                const struct pvx_report_request *req, size_t max_rows,
                                struct csv_table *out, struct pvx_outcome *oc)
{
    return pvx_fetch_all(pc, curl, pvx_page_report, req, req->items_per_page, max_rows, out,
                         oc);
}

enum st pvx_get_report_data_each(struct pvx_client *pc, CURL *curl,
                                 const struct pvx_report_request *req, int *page_no,
                                 pvx_page_sink sink, void *ctx, struct pvx_outcome *oc)
{
    return pvx_fetch_each(pc, curl, pvx_page_report, req, req->items_per_page, page_no, sink,
                          ctx, oc);
}

/* ---- writes ---- */

/* Replaces the generic message with the first rejected row's reason. */
static void pvx_describe_row_errors(const struct pvx_response *r, struct errbuf *err)
{
    size_t bad = 0;
    size_t first = 0;
    size_t i;

    for (i = r->n_statuses; i-- > 0;) {
        if (strcasecmp(r->statuses[i].status, "Success") != 0) {
            bad++;
            first = i;
        }
    }
    if (bad == 0)
        return;
    errbuf_set(err, "peoplevox rejected %zu of %zu rows; first %s: %.200s", bad, r->n_statuses,
               r->statuses[first].reference,
               r->statuses[first].message[0] != '\0' ? r->statuses[first].message : r->detail);
}

enum st pvx_save_data(struct pvx_client *pc, CURL *curl, const char *template_name,
                      const char *csv, struct pvx_response *out, struct pvx_outcome *oc)
{
    struct pvx_save_arg a = { template_name, csv };
    enum st rc;

    rc = pvx_call(pc, curl, PVX_OP_SAVE_DATA, pvx_build_save, &a, out, oc);
    if ((rc == ST_OK || rc == ST_FAIL) && pvx_response_has_row_errors(out)) {
        pvx_describe_row_errors(out, &oc->err);
        rc = ST_FAIL;
    }
    return rc;
}

/* ---- save templates ---- */

void pvx_fields_cleanup(struct pvx_fields *f)
{
    size_t i;

    if (f == NULL)
        return;
    for (i = 0; i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    f->names = NULL;
    f->n = 0;
}

static void pvx_fields_copy(struct pvx_fields *dst, const struct pvx_fields *src)
{
    size_t i;

    dst->n = src->n;
    dst->names = xcalloc(src->n, sizeof(char *));
    for (i = 0; i < src->n; i++)
        dst->names[i] = xstrdup(src->names[i]);
}

static bool pvx_cache_get(struct pvx_client *pc, const char *name, struct pvx_fields *out)
{
    bool found = false;
    size_t i;

    pthread_mutex_lock(&pc->cache_lock);
    for (i = 0; i < pc->n_templates && !found; i++) {
        if (strcmp(pc->templates[i].name, name) == 0) {
            pvx_fields_copy(out, &pc->templates[i].fields);
            found = true;
        }
    }
    pthread_mutex_unlock(&pc->cache_lock);
    return found;
}

static void pvx_cache_put(struct pvx_client *pc, const char *name, const struct pvx_fields *f)
{
    struct pvx_template *t = NULL;
    size_t i;

    pthread_mutex_lock(&pc->cache_lock);
    for (i = 0; i < pc->n_templates && t == NULL; i++) {
        if (strcmp(pc->templates[i].name, name) == 0)
            t = &pc->templates[i];
    }
    if (t == NULL) {
        pc->templates = xrealloc(pc->templates, (pc->n_templates + 1) * sizeof(*t));
        t = &pc->templates[pc->n_templates++];
        t->name = xstrdup(name);
    } else {
        pvx_fields_cleanup(&t->fields);
    }
    pvx_fields_copy(&t->fields, f);
    pthread_mutex_unlock(&pc->cache_lock);
}

enum st pvx_get_save_template(struct pvx_client *pc, CURL *curl, const char *template_name,
                              bool refresh, struct pvx_fields *out, struct pvx_outcome *oc)
{
    struct pvx_response r;
    struct csv_table t = { 0, NULL };
    enum st rc;

    memset(out, 0, sizeof(*out));
    memset(oc, 0, sizeof(*oc));
    if (!refresh && pvx_cache_get(pc, template_name, out))
        return ST_OK;
    rc = pvx_call(pc, curl, PVX_OP_GET_SAVE_TEMPLATE, pvx_build_template, template_name, &r, oc);
    if (rc == ST_OK)
        rc = csv_parse(r.detail, strlen(r.detail), 0, &t, &oc->err);
    if (rc == ST_OK && (t.n_rows == 0 || (t.rows[0].n == 1 && t.rows[0].fields[0][0] == '\0'))) {
        errbuf_set(&oc->err, "peoplevox save template \"%s\" has no fields", template_name);
        rc = ST_FAIL;
    }
    if (rc != ST_OK)
        goto out;
    out->n = t.rows[0].n;           /* take row 0's strings over */
    out->names = t.rows[0].fields;
    t.rows[0].n = 0;
    t.rows[0].fields = NULL;
    pvx_cache_put(pc, template_name, out);
out:
    csv_table_cleanup(&t);
    pvx_response_cleanup(&r);
    return rc;
}

/* ---- CSV by field name ---- */

static int pvx_fields_find(const struct pvx_fields *f, const char *name)
{
    size_t i;

    for (i = 0; i < f->n; i++) {
        if (csv_name_equal(f->names[i], name))
            return (int)i;
    }
    return -1;
}

static void pvx_fields_add_unique(struct pvx_fields *f, const char *name)
{
    if (pvx_fields_find(f, name) >= 0)
        return;
    f->names = xrealloc(f->names, (f->n + 1) * sizeof(char *));
    f->names[f->n++] = xstrdup(name);
}

/* Places one record's values into row[] by header position. */
static enum st pvx_place_record(const struct pvx_fields *header, const struct pvx_record *rec,
                                const char **row, unsigned char *set,
                                struct pvx_fields *unknown, struct errbuf *err)
{
    size_t i;
    int col;

    memset(set, 0, header->n);
    for (i = 0; i < header->n; i++)
        row[i] = NULL;
    for (i = 0; i < rec->n; i++) {
        col = pvx_fields_find(header, rec->values[i].name);
        if (col < 0) {
            pvx_fields_add_unique(unknown, rec->values[i].name);
            continue;
        }
        if (set[col]) {
            errbuf_set(err, "field \"%s\" is given twice in one record", rec->values[i].name);
            return ST_FAIL;
        }
        set[col] = 1;
        row[col] = rec->values[i].value;
    }
    return ST_OK;
}

enum st pvx_build_csv(const struct pvx_fields *header, const struct pvx_record *records,
                      size_t n_records, struct buf *out, struct pvx_fields *unknown,
                      struct errbuf *err)
{
    const char **row = NULL;
    unsigned char *set = NULL;
    struct buf tmp;
    enum st rc = ST_FAIL;
    int capped;
    size_t r;

    buf_init(&tmp, out->max);
    if (header->n == 0) {
        errbuf_set(err, "save template has no fields");
        goto out;
    }
    row = xcalloc(header->n, sizeof(*row));
    set = xcalloc(header->n, 1);
    capped = csv_append_row(&tmp, (const char *const *)header->names, header->n);
    for (r = 0; r < n_records && capped == 0; r++) {
        if (pvx_place_record(header, &records[r], row, set, unknown, err) != ST_OK)
            goto out;
        capped = csv_append_row(&tmp, row, header->n);
    }
    if (capped == 0)
        capped = buf_append(out, tmp.data, tmp.len);
    if (capped != 0) {
        errbuf_set(err, "save csv exceeds %zu bytes", out->max);
        goto out;
    }
    rc = ST_OK;
out:
    free(row);
    free(set);
    buf_cleanup(&tmp);
    return rc;
}

/* The OR of Equals terms a GetData by many keys needs (pvx_soap.h). */
enum st pvx_clause_equals_any(struct buf *out, const char *field, const char *const *values,
                              size_t n, struct errbuf *err)
{
    enum st rc = n > 0 ? ST_OK : ST_FAIL;

    if (n == 0)
        errbuf_set(err, "search clause: no value to match");
    for (size_t i = 0; i < n && rc == ST_OK; i++) {
        if (i > 0)
            buf_append_str(out, " OR ");
        rc = pvx_clause_equals(out, field, values[i], err);
    }
    return rc;
}
