/*
 * store_json.c - result rows as JSON (see store_json.h). Types are read
 * from the result's column OIDs, so a reader decides a value's JSON type
 * by its SQL type alone.
 */
#include "store_json.h"

#include <stdlib.h>

/* PostgreSQL type OIDs (catalog/pg_type.h is not a client header). */
#define PG_OID_BOOL 16
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23
#define PG_OID_JSON 114
#define PG_OID_JSONB 3802

static struct json_object *cell_json(const PGresult *r, int row, int col)
{
    const char *v = PQgetvalue(r, row, col);

    if (PQgetisnull(r, row, col))
        return NULL;
    switch (PQftype(r, col)) {
    case PG_OID_BOOL:
        return json_object_new_boolean(v[0] == 't');
    case PG_OID_INT2:
    case PG_OID_INT4:
    case PG_OID_INT8:
        return json_object_new_int64(strtoll(v, NULL, 10));
    case PG_OID_JSON:
    case PG_OID_JSONB: {
        struct json_object *j = json_tokener_parse(v);

        return j != NULL ? j : json_object_new_string(v);
    }
    default:
        return json_object_new_string(v);
    }
}

struct json_object *store_row_json(const PGresult *r, int row)
{
    struct json_object *o = json_object_new_object();

    for (int col = 0; col < PQnfields(r); col++)
        json_object_object_add(o, PQfname(r, col), cell_json(r, row, col));
    return o;
}

struct json_object *store_rows_json(const PGresult *r, int n)
{
    struct json_object *a = json_object_new_array();
    int rows = PQntuples(r);

    if (n >= 0 && n < rows)
        rows = n;
    for (int row = 0; row < rows; row++)
        json_object_array_add(a, store_row_json(r, row));
    return a;
}
