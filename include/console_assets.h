/*
 * console_assets.h - the web page's files (service/console/), compiled
 * into the binary: the table is generated at build time by
 * cmake/embed_assets.cmake (the build tree's console_assets.c), so the page
 * needs no file on disk, no network and no build step of its own.
 */
#ifndef SHOPVOX_CONSOLE_ASSETS_H
#define SHOPVOX_CONSOLE_ASSETS_H

#include <stddef.h>

struct console_asset {
    const char *name;          /* the file's name: "index.html", "console.js" */
    const char *content_type;  /* by extension */
    const unsigned char *data; /* len bytes (and a NUL after them) */
    size_t len;
    const char *etag;          /* quoted: "\"<16 hex digits of SHA-256>\"" */
};

extern const struct console_asset console_assets[];
extern const size_t console_n_assets;

#endif
