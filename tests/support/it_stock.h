/*
 * it_stock.h - stock on both sides of an orders world with the fake store
 * (it_orders_world.h, it_loop.h): what the fake warehouse holds, and the
 * store's inventory levels read or changed through its Admin API, as an
 * app or a person would change them behind shopvox's back.
 *
 * Helpers fail the current cmocka test when a fake does not answer as
 * expected, and belong to the main (cmocka) thread, except
 * its_store_level, which any thread may call.
 */
#ifndef SHOPVOX_IT_STOCK_H
#define SHOPVOX_IT_STOCK_H

/* POST /_sandbox/stock of the fake Peoplevox: entries "{...},{...}" of {ItemCode, site, on_hand}. */
void its_pvx_stock(const char *entries);
/* The store's available of inventory item at location, or -1 when it has none. */
long its_store_level(const char *inventory_item, const char *location_id);
/* Sets the store's level through its Admin API (inventory_levels/set.json). */
void its_store_set_level(const char *inventory_item, const char *location_id, long available);
/* The inventory_item_id of sku in shopvox's variants (owned). */
char *its_inventory_item(const char *sku);
/* inventory_levels/set.json calls the store has answered since it started. */
long its_store_sets(void);

#endif
