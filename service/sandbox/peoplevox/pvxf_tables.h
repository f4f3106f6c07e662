/*
 * pvxf_tables.h - the row sets GetData and GetReportData return, built
 * from the warehouse (private to peoplevox/).
 */
#ifndef SHOPVOX_PVXF_TABLES_H
#define SHOPVOX_PVXF_TABLES_H

#include <stdbool.h>

#include "common.h"
#include "pvxf_query.h"
#include "pvxf_store.h"

/* How report dates are written (flags). */
#define PVXF_DATES_PLAIN 1u   /* without the single quotes */
#define PVXF_DATES_LOCAL 2u   /* on the process's local clock (TZ), not UTC */

/* Builds the data (report = false) or report view; ST_FAIL on unknown name. */
enum st pvxf_tables_build(const struct pvxf_state *st, const char *name, bool report,
                          unsigned dates, struct pvxf_table *out, struct errbuf *err);

#endif
