/*
 * it_api_call.h - calls of the admin API (/api/v1/) for integration tests:
 * one request on the ops port with an Authorization header, its status
 * checked and its JSON body parsed; error bodies checked for their shape.
 */
#ifndef SHOPVOX_IT_API_CALL_H
#define SHOPVOX_IT_API_CALL_H

#include <json-c/json.h>

/*
 * METHOD path on ops_port with body (NULL: none) and header auth (NULL:
 * none; "Authorization: Bearer ..."); fails the test unless the status is
 * want and the body JSON (HEAD: may be empty). The parsed body (owned).
 */
struct json_object *it_api_call(int ops_port, const char *method, const char *path,
                                const char *auth, const char *body, long want);

/*
 * it_api_call expecting an error body {"error": {"code", "message"}} with
 * code and a message containing want_msg (NULL: any message).
 */
void it_api_expect_error(int ops_port, const char *method, const char *path, const char *auth,
                         const char *body, long status, const char *code, const char *want_msg);

#endif
