/*
 * pvxf_result.h - the outcome of one fake Peoplevox operation, as an
 * IntegrationResponse carries it (private to peoplevox/).
 *
 * The operations and the warehouse rules fill it; pvxf_soap.c renders it.
 * It depends on neither, which keeps the SOAP and the store modules apart.
 */
#ifndef SHOPVOX_PVXF_RESULT_H
#define SHOPVOX_PVXF_RESULT_H

#include <stddef.h>

#include "common.h"

struct pvxf_status {
    char *reference; /* owned */
    char *status;    /* "Success" | "Error"; owned */
    char *message;   /* owned, may be "" */
};

struct pvxf_result {
    long response_id;      /* 0 ok, -1 error */
    long total_count;
    char *detail;          /* owned; NULL renders empty */
    struct pvxf_status *statuses; /* owned */
    size_t n_statuses, cap_statuses;
};

void pvxf_result_init(struct pvxf_result *r);
void pvxf_result_cleanup(struct pvxf_result *r);
/* Sets ResponseId -1 and Detail to the formatted message. */
void pvxf_result_fail(struct pvxf_result *r, const char *fmt, ...) SV_PRINTF(2, 3);
/* Appends one row status (strings copied; ref and msg may be NULL). */
void pvxf_result_add_status(struct pvxf_result *r, const char *ref, const char *status,
                            const char *msg);

#endif
