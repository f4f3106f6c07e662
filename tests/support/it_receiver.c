/*
 * it_receiver.c - see it_receiver.h. Bodies are capped at 1 MiB (a larger
 * one is answered 413 and counted as a request, not accepted).
 */
#include "it_receiver.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "common.h"

#define RECEIVER_MAX_BODY (1u << 20)

struct it_receiver {
    struct MHD_Daemon *d;
    pthread_mutex_t mu;
    int fail_first;
    long requests, accepted;
    char *last_body;
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)(uintptr_t)"{}",
                                                                MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, status, resp);

    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct it_receiver *r = cls;
    struct buf *body = *req_cls;
    unsigned status;

    if (body == NULL) {
        body = xcalloc(1, sizeof(*body));
        buf_init(body, RECEIVER_MAX_BODY);
        *req_cls = body;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        buf_append(body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&r->mu);
    r->requests++;
    status = r->requests <= r->fail_first ? 500 : 200;
    if (status == 200) {
        r->accepted++;
        free(r->last_body);
        r->last_body = xstrdup(buf_cstr(body));
    }
    pthread_mutex_unlock(&r->mu);
    return answer(c, status);
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct buf *body = *req_cls;

    if (body != NULL) {
        buf_cleanup(body);
        free(body);
    }
    *req_cls = NULL;
}

struct it_receiver *it_receiver_start(int fail_first)
{
    struct it_receiver *r = xcalloc(1, sizeof(*r));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

    pthread_mutex_init(&r->mu, NULL);
    r->fail_first = fail_first;
    r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, r,
                            MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, on_done,
                            NULL, MHD_OPTION_END);
    if (r->d == NULL) {
        pthread_mutex_destroy(&r->mu);
        free(r);
        return NULL;
    }
    return r;
}

int it_receiver_port(const struct it_receiver *r)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);

    return i != NULL ? (int)i->port : -1;
}

static long counter(struct it_receiver *r, const long *field)
{
    long v;

    pthread_mutex_lock(&r->mu);
    v = *field;
    pthread_mutex_unlock(&r->mu);
    return v;
}

long it_receiver_requests(struct it_receiver *r)
{
    return counter(r, &r->requests);
}

long it_receiver_accepted(struct it_receiver *r)
{
    return counter(r, &r->accepted);
}

char *it_receiver_last_body(struct it_receiver *r)
{
    char *s;

    pthread_mutex_lock(&r->mu);
    s = xstrdup(r->last_body != NULL ? r->last_body : "");
    pthread_mutex_unlock(&r->mu);
    return s;
}

void it_receiver_stop(struct it_receiver *r)
{
    if (r == NULL)
        return;
    MHD_stop_daemon(r->d);
    pthread_mutex_destroy(&r->mu);
    free(r->last_body);
    free(r);
}
