/*
 * intake_group.c - group commit for webhook deliveries (see intake_group.h).
 *
 * The HTTP threads queue their delivery (a struct item on their own
 * stack) and sleep; a few committer threads, each owning one connection,
 * take everything queued (up to group_max) into one transaction: BEGIN,
 * each delivery through intake_process_nested (its own SAVEPOINT, so a
 * duplicate webhook id or a failed statement undoes that delivery only,
 * exactly the outcomes a transaction of its own had), one COMMIT, then
 * every waiter of the group is woken with its outcome. Nothing is
 * answered before the COMMIT returned: a group whose COMMIT fails (or
 * whose connection drops half-way) answers every delivery with the error
 * status, never "stored", and Shopline redelivers.
 *
 * The committer's connection is in libpq pipeline mode for the group
 * (store.h): BEGIN, each delivery's SAVEPOINT and the writes whose result
 * is not read travel with the next read, so a new order's delivery is
 * four round trips instead of ten or more.
 *
 * A delivery the database refused for a reason a retry can cure (ST_RETRY:
 * above all a deadlock, two groups locking the same orders in opposite
 * order; also a serialization failure or a lock or statement timeout) in
 * a group that committed had only its savepoint undone: it runs once more
 * in the next group, before anything newer, rather than being answered 503.
 *
 * There is no deliberate delay: while one committer waits for its COMMIT
 * (the fsync), deliveries pile up and the next free committer takes them
 * all. Each waiter sleeps on a condition of its own, so a finished group
 * wakes its own callers only, not every thread waiting for a later group.
 * At low load a group is one delivery and the latency is that of a
 * transaction of its own. group_max bounds a transaction's subtransactions
 * (PostgreSQL caches 64 per backend before snapshots overflow) and the
 * time a lock is held.
 *
 * Two deliveries of one order in one group run one after the other in the
 * same transaction, which holds the order's row lock from the first: the
 * second sees the first's effect, as two transactions in a row did.
 * Between groups on different committers the row lock serialises as it
 * did between connections before.
 */
#include "intake_group.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct item {
    const struct intake_request *r;  /* borrowed from the waiting caller */
    struct intake_result out;
    struct errbuf err;
    enum st st;
    bool taken;                      /* a committer has it: the caller must wait */
    bool again;                      /* ST_RETRY in a group that committed: run it once more */
    bool rerun;                      /* it is that second run */
    bool done;
    pthread_cond_t wake;             /* signalled once done: only this caller wakes */
    struct item *next;
};

struct committer {
    struct intake_group *g;
    struct store_conn *c;
    pthread_t thread;
};

struct intake_group {
    pthread_mutex_t lock;
    pthread_cond_t queued;           /* committers: work or stop */
    struct item *head, *tail;
    bool stopping;
    int group_max;
    int n_committers;
    struct committer *committers;
};

/* Takes up to group_max queued items off the queue (lock held). */
static struct item *take_group(struct intake_group *g, int *n)
{
    struct item *first = g->head, *last = NULL;

    *n = 0;
    for (struct item *it = g->head; it != NULL && *n < g->group_max; it = it->next) {
        it->taken = true;
        last = it;
        (*n)++;
    }
    g->head = last->next;
    if (g->head == NULL)
        g->tail = NULL;
    last->next = NULL;
    return first;
}

/* Every item of the group gets status st and err (a failed BEGIN or COMMIT). */
static void fail_all(struct item *group, enum st st, const struct errbuf *err)
{
    for (struct item *it = group; it != NULL; it = it->next) {
        if (it->st == ST_FAIL && st == ST_FAIL && it->err.msg[0] != '\0')
            continue; /* its own reason is the better one */
        it->st = st;
        it->err = *err;
    }
}

/* One transaction for the whole group; each item's st/out/err filled. */
static void run_group(struct committer *cm, struct item *group)
{
    struct errbuf err = {""};
    bool lost = false;
    enum st st = store_ensure(cm->c, &err);

    if (st == ST_OK)
        st = store_pipeline_begin(cm->c, &err);
    if (st == ST_OK)
        st = store_cmd_deferred(cm->c, "BEGIN", &err);
    for (struct item *it = group; st == ST_OK && it != NULL; it = it->next) {
        it->st = intake_process_nested(cm->c, it->r, &it->out, &lost, &it->err);
        if (lost) {
            st = it->st;
            err = it->err;
        }
    }
    if (st == ST_OK)
        st = store_cmd(cm->c, "COMMIT", &err);
    if (st != ST_OK) {
        store_rollback(cm->c);
        fail_all(group, st, &err);
    }
    for (struct item *it = group; st == ST_OK && it != NULL; it = it->next)
        it->again = it->st == ST_RETRY && !it->rerun;
    store_pipeline_end(cm->c);
}

/*
 * After run_group (lock held): the items to run again (ST_RETRY undid only
 * their savepoint, and the group committed) go back to the head of the queue, still taken, so their
 * callers keep waiting; every other item is done and its caller woken.
 */
static void finish_group(struct intake_group *g, struct item *group)
{
    struct item *again = NULL, *again_last = NULL;

    for (struct item *it = group, *next; it != NULL; it = next) {
        next = it->next; /* the caller may free it once done (after we unlock) */
        if (it->again) {
            it->again = false;
            it->rerun = true;
            it->err.msg[0] = '\0';
            it->next = NULL;
            if (again_last != NULL)
                again_last->next = it;
            else
                again = it;
            again_last = it;
            continue;
        }
        it->done = true;
        pthread_cond_signal(&it->wake);
    }
    if (again == NULL)
        return;
    again_last->next = g->head;
    g->head = again;
    if (g->tail == NULL)
        g->tail = again_last;
    pthread_cond_signal(&g->queued);
}

static void *committer_main(void *arg)
{
    struct committer *cm = arg;
    struct intake_group *g = cm->g;
    struct item *group;
    int n;

    pthread_mutex_lock(&g->lock);
    for (;;) {
        while (g->head == NULL && !g->stopping)
            pthread_cond_wait(&g->queued, &g->lock);
        if (g->head == NULL)
            break;
        group = take_group(g, &n);
        pthread_mutex_unlock(&g->lock);
        run_group(cm, group);
        pthread_mutex_lock(&g->lock);
        finish_group(g, group);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

struct intake_group *intake_group_create(const char *url, int committers, int group_max)
{
    struct intake_group *g = xcalloc(1, sizeof(*g));

    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->queued, NULL);
    g->group_max = group_max < 1 ? 1 : group_max;
    g->n_committers = committers < 1 ? 1 : committers;
    g->committers = xcalloc((size_t)g->n_committers, sizeof(*g->committers));
    for (int i = 0; i < g->n_committers; i++) {
        g->committers[i].g = g;
        g->committers[i].c = store_conn_create(url);
        pthread_create(&g->committers[i].thread, NULL, committer_main, &g->committers[i]);
    }
    return g;
}

void intake_group_destroy(struct intake_group *g)
{
    if (g == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_broadcast(&g->queued);
    pthread_mutex_unlock(&g->lock);
    for (int i = 0; i < g->n_committers; i++) {
        pthread_join(g->committers[i].thread, NULL);
        store_conn_destroy(g->committers[i].c);
    }
    free(g->committers);
    pthread_cond_destroy(&g->queued);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* Removes an item nobody took from the queue (lock held). */
static void unqueue(struct intake_group *g, struct item *me)
{
    struct item **p = &g->head, *prev = NULL;

    while (*p != NULL && *p != me) {
        prev = *p;
        p = &(*p)->next;
    }
    if (*p == NULL)
        return;
    *p = me->next;
    if (g->tail == me)
        g->tail = prev;
}

enum st intake_group_submit(struct intake_group *g, const struct intake_request *r,
                            int wait_ms, struct intake_result *out, struct errbuf *err)
{
    struct item me = {.r = r, .st = ST_RETRY};
    struct timespec deadline = deadline_after_ms(wait_ms);

    cond_init_monotonic(&me.wake);
    pthread_mutex_lock(&g->lock);
    if (g->tail != NULL)
        g->tail->next = &me;
    else
        g->head = &me;
    g->tail = &me;
    pthread_cond_signal(&g->queued);
    while (!me.done) {
        if (me.taken) {
            pthread_cond_wait(&me.wake, &g->lock); /* the COMMIT is bounded by statement_timeout */
        } else if (pthread_cond_timedwait(&me.wake, &g->lock, &deadline) != 0 && !me.taken) {
            unqueue(g, &me);
            errbuf_set(&me.err, "no committer took the delivery within %d ms", wait_ms);
            break;
        }
    }
    pthread_mutex_unlock(&g->lock);
    pthread_cond_destroy(&me.wake);
    *out = me.out;
    *err = me.err;
    return me.st;
}
