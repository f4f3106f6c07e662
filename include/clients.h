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

/*
 * The shared budgets' limits as configured, per API: Peoplevox's window
 * less its margin for late calls (SHOPVOX_PVX_RATE_MARGIN_MS), Shopline's
 * leaky bucket less its tenth; what the limiter enforces and what status,
 * metrics and reports show. PEOPLEVOX_RATE is checked by cfg_load.
 */
void clients_rate_limits(const struct cfg *c, struct rl_limits out[RL_API_COUNT]);

/* The shared rate limiter with the configured limits (clients_rate_limits). */
struct limiter *clients_limiter(const struct cfg *c);

/* The store's Shopline client, or NULL (logged) without a token or on a bad configuration. */
struct shopline_client *clients_shopline(const struct cfg *c);

#endif
