/*
 * it.h - the integration-test harness: real PostgreSQL, the real binary.
 *
 * Each test program gets fresh databases on the throw-away cluster that
 * `./dev test` started (it_pg.h), runs build/shopvox as a child on a port
 * it bound itself (it_proc.h), talks to it with libcurl (it_http.h), builds
 * its orders with the one builder (it_order.h) and waits on conditions,
 * never for a fixed time (it_wait.h). Nothing here is faked: the only
 * stand-ins are the sandbox servers (it_sandbox.h, it_orders_world.h).
 */
#ifndef SHOPVOX_IT_H
#define SHOPVOX_IT_H

#include "it_http.h"
#include "it_order.h"
#include "it_pg.h"
#include "it_proc.h"
#include "it_wait.h"

#endif
