/*
 * ts_pvx_soap.h - driving the Peoplevox sandbox as a client would, for its
 * unit tests: raw SOAP 1.1 strings over libcurl against a sandbox on port
 * 0 with a fake clock of its own, answers read with libxml2 XPath on local
 * names and CSV details with csv_parse. Each test starts its own sandbox
 * (sandbox_setup/sandbox_teardown), so tests never share sessions or faults.
 */
#ifndef TS_PVX_SOAP_H
#define TS_PVX_SOAP_H

#include "buf.h"
#include "csv.h"
#include "sandbox.h"
#include "ts_clock.h"

#define PVX_NS "http://www.peoplevox.net/"

struct fx {
    struct sandbox_pvx *sb;
    char base[128];    /* http://127.0.0.1:port */
    char session[64];
    long timeout_ms;   /* SOAP call timeout; 0 = 5000 */
    struct ts_clock *clock; /* the sandbox's clock: idle sessions, rate-limit window */
};

long http_call(struct fx *f, const char *method, const char *path, const char *ctype,
               const char *action, const char *body, long timeout_ms, struct buf *resp);

/* POSTs a SOAP call of op with body_xml inside the Body; session NULL = no header. */
long soap(struct fx *f, const char *op, const char *session, const char *body_xml,
          struct buf *resp);

/* Text of the first element with this local name, or NULL; caller frees. */
char *xml_get(const struct buf *xml, const char *name);

long xml_long(const struct buf *xml, const char *name);

void assert_detail(const struct buf *xml, const char *want);

void csv_of_detail(const struct buf *xml, struct csv_table *t);

void authenticate(struct fx *f);

long save(struct fx *f, const char *tmpl, const char *csv, struct buf *r);

long get_data(struct fx *f, const char *tmpl, const char *search, int page, int per,
              struct buf *r);

long get_report_cols(struct fx *f, const char *tmpl, const char *search,
                     const char *order, const char *cols, struct buf *r);

long get_report(struct fx *f, const char *tmpl, const char *search, const char *order,
                struct buf *r);

long control(struct fx *f, const char *method, const char *path, const char *json,
             struct buf *r);

/* Starts a sandbox with opts o on a fake clock of its own (f->clock). */
int start_with(void **state, const struct sandbox_pvx_opts *o);

int sandbox_setup(void **state);

int sandbox_teardown(void **state);

void save_ok(struct fx *f, const char *tmpl, const char *csv);

extern const char orders_csv[];
extern const char lines_csv[];

/* cmocka group setup/teardown: libcurl's and libxml2's global state. */
int soap_group_setup(void **state);
int soap_group_teardown(void **state);

/* A test with a sandbox of its own (sandbox_setup/sandbox_teardown). */
#define T(fn) cmocka_unit_test_setup_teardown(fn, sandbox_setup, sandbox_teardown)

#endif
