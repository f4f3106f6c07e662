/*
 * api_routes.c - every route of the admin API, in one table (see
 * api_int.h for how to add one). Order matters only between a literal
 * path and a {param} path of the same shape: the first match wins, so
 * literal ones come first. The README's "Admin API" section documents
 * each row.
 */
#include "api_int.h"

const struct api_route api_routes[] = {
    {"GET", "/api/v1/whoami", false, "api_whoami", api_whoami},
    {"GET", "/api/v1/exceptions", false, "api_exceptions", api_exceptions_list},
    {"POST", "/api/v1/exceptions/resolve", true, "api_exceptions_bulk",
     api_exceptions_bulk_resolve},
    {"POST", "/api/v1/exceptions/retry", true, "api_exceptions_bulk", api_exceptions_bulk_retry},
    {"GET", "/api/v1/exceptions/{id}", false, "api_exception", api_exceptions_show},
    {"POST", "/api/v1/exceptions/{id}/resolve", true, "api_exception_action",
     api_exceptions_resolve},
    {"POST", "/api/v1/exceptions/{id}/retry", true, "api_exception_action",
     api_exceptions_retry},
    {"GET", "/api/v1/orders", false, "api_orders", api_orders_list},
    {"GET", "/api/v1/orders/{id}", false, "api_order", api_orders_show},
    {"GET", "/api/v1/jobs", false, "api_jobs", api_jobs_list},
    {"POST", "/api/v1/jobs/{id}/retry", true, "api_job_action", api_jobs_retry},
    {"GET", "/api/v1/audit", false, "api_audit", api_audit_list},
    {"GET", "/api/v1/dashboard", false, "api_dashboard", api_dashboard},
    {"GET", "/api/v1/sku-mappings", false, "api_sku_mappings", api_sku_list},
    {"POST", "/api/v1/sku-mappings", true, "api_sku_mappings", api_sku_map},
    {"POST", "/api/v1/sku-mappings/remove", true, "api_sku_mappings", api_sku_unmap},
    {"GET", "/api/v1/routing-rules", false, "api_routing_rules", api_routing_list},
    {"POST", "/api/v1/routing-rules", true, "api_routing_rules", api_routing_set},
    {"POST", "/api/v1/routing-rules/{position}/delete", true, "api_routing_rules",
     api_routing_delete},
    {"GET", "/api/v1/carriers", false, "api_carriers", api_carriers_list},
    {"POST", "/api/v1/carriers", true, "api_carriers", api_carriers_set},
    {"POST", "/api/v1/carriers/delete", true, "api_carriers", api_carriers_delete},
    {"GET", "/api/v1/schedules", false, "api_schedules", api_schedules_list},
    {"GET", "/api/v1/limiter", false, "api_limiter", api_limiter_show},
    {"GET", "/api/v1/reports/inventory", false, "api_reports", api_reports_inventory},
    {"GET", "/api/v1/reports/reconcile", false, "api_reports", api_reports_reconcile},
    {"GET", "/api/v1/reports/daily", false, "api_reports", api_reports_daily},
    {"GET", "/api/v1/returns", false, "api_returns", api_returns_list},
    {"GET", "/api/v1/returns/{id}", false, "api_return", api_returns_show},
    {"POST", "/api/v1/returns/{id}/authorise", true, "api_return_action",
     api_returns_authorise},
    {"POST", "/api/v1/returns/{id}/reject", true, "api_return_action", api_returns_reject},
    {"GET", "/api/v1/routing-rules/check", false, "api_routing_rules", api_routing_check},
};
const size_t api_n_routes = ARRAY_LEN(api_routes);
