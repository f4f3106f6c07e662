/*
 * location_map.h - Peoplevox site reference <-> Shopline location id, from
 * SHOPVOX_LOCATION_MAP (pure).
 *
 * The text is "PrimarySite=123;SecondSite=456": pairs separated by ';',
 * each SITE=LOCATION_ID. It tells the inventory sync which Shopline
 * location shows the stock of which Peoplevox site.
 *
 * Decisions:
 *  - Spaces and tabs around a token are ignored ("A = 1 ; B=2"); inside a
 *    site reference they are kept (Peoplevox compares site references
 *    exactly). An empty text, or one of blanks only, is a map with no rows
 *    (no inventory is pushed). An empty pair (";;", a trailing ';') is
 *    allowed, like an empty text: it is what editing a list leaves behind.
 *  - Location ids are numeric text: Shopline ids are ~26 digits, kept as
 *    text (json-c cannot hold them) and written into requests as digits
 *    (json_text_is_id: 1..40 digits, no leading zero). Anything else is
 *    refused here, at configuration time, rather than as a 422 later.
 *  - A site appears once (two locations for one site would make the push
 *    ambiguous), and so does a location id (two sites on one location
 *    would overwrite each other's stock there).
 *  - Site references are at most LOCATION_MAP_SITE_MAX_BYTES bytes, without
 *    '=' or ';' or control characters; "SystemSite" (Peoplevox's internal
 *    site) is refused, as in the routing rules.
 *  - The error names the bad part (1-based pair number and its text), and
 *    on failure the map is left empty.
 */
#ifndef SHOPVOX_LOCATION_MAP_H
#define SHOPVOX_LOCATION_MAP_H

#include <stddef.h>

#include "common.h"

#define LOCATION_MAP_SITE_MAX_BYTES 100
#define LOCATION_MAP_MAX_ROWS 256

/* One mapping; both strings are owned by the map. */
struct location_map_row { char *site; char *location_id; };
struct location_map { struct location_map_row *rows; size_t n; };

void location_map_init(struct location_map *m);
/*
 * "PrimarySite=123;SecondSite=456" (spaces around tokens ignored, empty
 * text = no rows) into m, which must be initialised and is replaced.
 * 0, or -1 with err naming the bad part (m then empty).
 */
int location_map_parse(struct location_map *m, const char *text, struct errbuf *err);
/* The location id of site (borrowed from m); NULL: site unmapped. Exact comparison. */
const char *location_map_location(const struct location_map *m, const char *site);
/*
 * The first row of m whose location id is not among ids[0..n) (the store's
 * locations, from locations/list.json), or NULL when every one is there.
 */
const struct location_map_row *location_map_first_unknown(const struct location_map *m,
                                                          const char *const *ids, size_t n);
/* Frees the rows; m is then empty and reusable. */
void location_map_cleanup(struct location_map *m);

#endif
