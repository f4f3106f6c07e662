/*
 * clients.h - the outbound clients made from the configuration, for the
 * service (main.c) and the operator commands alike, so both send the same
 * requests through the same shared limiter.
 *
 * Ownership: the results are owned by the caller (limiter_destroy,
 * shopline_client_destroy); cfg is borrowed and must outlive them.
 */
#ifndef SHOPVOX_CLIENTS_H
#define SHOPVOX_CLIENTS_H

#include "config.h"
#include "limiter.h"
#include "shopline.h"

#define CLIENTS_SHOPLINE_TIMEOUT_MS 30000

/* The shared rate limiter with the configured limits (PEOPLEVOX_RATE checked by cfg_load). */
struct limiter *clients_limiter(const struct cfg *c);

/* The store's Shopline client, or NULL (logged) without a token or on a bad configuration. */
struct shopline_client *clients_shopline(const struct cfg *c);

#endif
