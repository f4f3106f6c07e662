/*
 * it_receiver.h - a tiny HTTP receiver for tests of outgoing webhooks (the
 * daily report's POST): libmicrohttpd on 127.0.0.1, port 0 read back. It
 * answers the first fail_first requests 500 and every later one 200, and
 * keeps the count of both and the last accepted body. Thread-safe reads.
 */
#ifndef SHOPVOX_IT_RECEIVER_H
#define SHOPVOX_IT_RECEIVER_H

struct it_receiver;

/* Starts one; NULL on failure. */
struct it_receiver *it_receiver_start(int fail_first);
int it_receiver_port(const struct it_receiver *r);
/* Requests received (refused and accepted), and those accepted (200). */
long it_receiver_requests(struct it_receiver *r);
long it_receiver_accepted(struct it_receiver *r);
/* The last accepted body (owned copy; "" when none) and its request path. */
char *it_receiver_last_body(struct it_receiver *r);
/* Stops it and frees it (NULL is fine). */
void it_receiver_stop(struct it_receiver *r);

#endif
