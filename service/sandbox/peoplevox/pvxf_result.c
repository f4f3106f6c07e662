/*
 * pvxf_result.c - the outcome of one fake Peoplevox operation, as
 * IntegrationResponse carries it: ResponseId, TotalCount, Detail and the
 * per-row statuses of a SaveData. The operations and the warehouse rules
 * fill it; pvxf_soap.c renders it. It knows nothing of either.
 */
#include "pvxf_result.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void pvxf_result_init(struct pvxf_result *r)
{
    memset(r, 0, sizeof(*r));
}

void pvxf_result_cleanup(struct pvxf_result *r)
{
    for (size_t i = 0; i < r->n_statuses; i++) {
        free(r->statuses[i].reference);
        free(r->statuses[i].status);
        free(r->statuses[i].message);
    }
    free(r->statuses);
    free(r->detail);
    memset(r, 0, sizeof(*r));
}

void pvxf_result_fail(struct pvxf_result *r, const char *fmt, ...)
{
    struct buf detail;
    va_list ap;

    buf_init(&detail, 0);
    va_start(ap, fmt);
    buf_vappendf(&detail, fmt, ap);
    va_end(ap);
    free(r->detail);
    r->detail = buf_steal(&detail);
    r->response_id = -1;
}

void pvxf_result_add_status(struct pvxf_result *r, const char *ref, const char *status,
                            const char *msg)
{
    struct pvxf_status *s;

    r->statuses = buf_grow_array(r->statuses, &r->cap_statuses, r->n_statuses + 1, sizeof(*s));
    s = &r->statuses[r->n_statuses++];
    s->reference = xstrdup(ref ? ref : "");
    s->status = xstrdup(status);
    s->message = xstrdup(msg ? msg : "");
}
