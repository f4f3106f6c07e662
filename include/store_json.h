/*
 * store_json.h - query result rows as JSON objects (json-c), for the
 * operator CLI and the admin API alike.
 *
 * Column names become keys; integers and booleans are typed, json/jsonb
 * columns are parsed, numerics and everything else stay strings (a
 * numeric(20,4) price or a 26-digit id must not pass through a double),
 * NULL becomes null. Readers that feed these select times as ISO 8601 UTC
 * text (STORE_ISO_UTC).
 */
#ifndef SHOPVOX_STORE_JSON_H
#define SHOPVOX_STORE_JSON_H

#include <json-c/json.h>
#include <libpq-fe.h>

/* Row `row` of r as a new object (owned by the caller). */
struct json_object *store_row_json(const PGresult *r, int row);
/* Rows [0, n) of r (n < 0: all) as a new array of store_row_json objects. */
struct json_object *store_rows_json(const PGresult *r, int n);

#endif
