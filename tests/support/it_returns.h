/*
 * it_returns.h - returns at the fake Peoplevox (its control API, on the
 * sandbox at port): the tenant's `Returns` template, the expected returns
 * it holds, receiving a return (a `Return summary` row; reusable goods go
 * back on the shelf) and what is on the shelf.
 *
 * Helpers fail the current cmocka test when the fake does not answer as
 * expected, and belong to the main (cmocka) thread.
 */
#ifndef SHOPVOX_IT_RETURNS_H
#define SHOPVOX_IT_RETURNS_H

#include <stdbool.h>
#include <stddef.h>

/* Sets the tenant's Returns template: fields_json a JSON array of names ("[]": none). */
void itr_returns_template(int port, const char *fields_json);
/*
 * Receives qty of item_code of Sales Order so at the warehouse, in
 * condition, reusable or not, dated returned_at (Unix seconds, 0 = now);
 * its return code into code (may be NULL).
 */
void itr_receive(int port, const char *so, const char *item_code, long qty,
                 const char *condition, bool reusable, long returned_at, char *code,
                 size_t cap);
/* Quantity of the expected return of so and item_code (-1: none); its reference into ref. */
long itr_expected(int port, const char *so, const char *item_code, char *ref, size_t cap);
/* Expected returns the fake holds. */
long itr_expected_count(int port);
/* On hand of item_code at site (-1: no stock row). */
long itr_on_hand(int port, const char *item_code, const char *site);

#endif
