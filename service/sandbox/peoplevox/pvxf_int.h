/*
 * pvxf_int.h - the fake Peoplevox as a whole: what its server, its
 * operations and its control endpoints share (private to peoplevox/).
 *
 * The fake is split by concern, each part with its own header:
 *   pvxf_server.c   start/stop, the SOAP endpoint, faults in Peoplevox's dialect
 *   pvxf_ops.c      the IntegrationServiceV4 operations and sessions
 *   pvxf_control.c  its part of the /_sandbox/ control API
 *   pvxf_soap.[ch]  SOAP requests in, envelopes out (libxml2)
 *   pvxf_result.[ch] an operation's outcome (IntegrationResponse)
 *   pvxf_store.[ch] the warehouse and its rules
 *   pvxf_tables.[ch] the warehouse as GetData / GetReportData row sets
 *   pvxf_query.[ch] search clauses, sorting and paging over plain tables
 * and sits on the sandbox's shared layer (../sandbox_fake.h) for the
 * server, the control API plumbing, answer-level faults, the rate limit
 * and the call log. Everything that touches sb->st or the fault counts
 * expects the caller to hold sb->fake.lock.
 */
#ifndef SHOPVOX_PVXF_INT_H
#define SHOPVOX_PVXF_INT_H

#include <stdbool.h>

#include "../sandbox_fake.h"
#include "pvxf_result.h"
#include "pvxf_soap.h"
#include "pvxf_store.h"
#include "sandbox.h"

struct json_object;

#define PVXF_MAX_RESPONSE_BYTES (64u * 1024 * 1024)
#define PVXF_MAX_CSV_ROWS 100000

/* Copied options (strings owned). */
struct pvxf_config {
    char *client_id, *username, *password, *password_b64;
    enum sandbox_pw_encoding password_encoding;
    long session_idle_timeout_ms;
    bool seed, plain_report_dates, local_report_dates;
};

/* Faults only Peoplevox has (the shared ones live in fake.faults). */
struct pvxf_faults {
    long refuse_save;          /* next n SaveData: ResponseId -1, refuse_detail, nothing applied */
    long drop_items_after_apply; /* next n SaveData of `Sales order items`: applied, then the
                                    connection closed (the order rows' save answered) */
    long busy_order_reads;     /* next n GetData of `Sales orders`: 503 Server Too Busy */
    char refuse_detail[256];
};

struct sandbox_pvx {
    struct sbx_fake fake;      /* server, lock, shared faults, rate limit, call log */
    struct pvxf_config cfg;
    struct pvxf_faults faults;
    struct pvxf_state st;
};

/* pvxf_ops.c: one SOAP operation, caller holds sb->fake.lock. */
struct pvxf_op_out {
    struct pvxf_result res;
    char tmpl[48];  /* for the call log */
    long rows;
    bool is_save;   /* SaveData: subject to drop_after_apply */
    bool unknown_op;
};

void pvxf_ops_run(struct sandbox_pvx *sb, const struct pvxf_request *req,
                  struct pvxf_op_out *out);

/* pvxf_control.c: the control hook (see struct sbx_fake_hooks); ctx is the sandbox_pvx. */
int pvxf_control(void *ctx, const char *method, const char *path, struct json_object *in,
                 struct buf *out);
/* The reset hook: empty warehouse (re-seeded as at start), no sessions, no refusals. */
void pvxf_reset(void *ctx);

#endif
