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
 * There is no deliberate delay for a group run inline: while one committer
 * waits for its COMMIT (the fsync), deliveries pile up and the next free
 * committer takes them all. Each waiter sleeps on a condition of its own,
 * so a finished group wakes its own callers only, not every thread waiting
 * for a later group. At low load a group is one delivery and the latency
 * is that of a transaction of its own. group_max bounds a transaction's
 * subtransactions (PostgreSQL caches 64 per backend before snapshots
 * overflow) and the time a lock is held.
 *
 * Two deliveries of one order in one group run one after the other in the
 * same transaction, which holds the order's row lock from the first: the
 * second sees the first's effect, as two transactions in a row did.
 * Between groups on different committers the row lock serialises as it
 * did between connections before.
 *
 * The pending inbox (intake_group_defer, intake_apply.h): a group the
 * rule of `deferred` picks (large, arriving under pressure, or behind
 * older pending rows) skips the order logic: run_deferred inserts its raw
 * deliveries in one statement, committed on its own, keyed by the order's
 * Shopline id (json_top_member, a skim: no parse on this path), answers
 * them "accepted" (or "duplicate": the same unique index decides) and
 * nudges the applier, which runs intake_process_nested on each row later.
 * A 200 still means durably stored: the row is committed before it.
 * Deferred groups are stored one at a time: while one committer's INSERT
 * is in flight the others leave the queue alone, so the next INSERT
 * carries everything that arrived meanwhile -- for INTAKE_DEFER_STAGGER_US
 * at most, then the next starts anyway (a slow statement or fsync must not
 * hold every delivery). On 2 cores two INSERTs in flight split a burst into
 * groups of 1.6 deliveries; one at a time made them ~3 and cut the
 * database's CPU per delivery by about a third.
 */
#include "intake_group.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "inbox_store.h"
#include "intake_apply.h"
#include "json_text.h"
#include "rate_window.h"
#include "store.h"
#include "webhook.h"

/* An order key (Shopline ids are ~26 digits) longer than this is left out. */
#define ORDER_KEY_MAX 64

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
    int defer_at;                    /* a group this large goes to the pending inbox; 0: never */
    struct intake_applier *applier;  /* applies the pending inbox (NULL: deferral off) */
    struct rate_window arrivals;     /* deliveries submitted lately */
    int deferring;                   /* committers storing a deferred group */
    int64_t deferred_at_ns;          /* when the latest of them began */
    int64_t stagger_ns;              /* see intake_group_stagger */
    int n_committers;
    struct committer *committers;
};

/* Takes the first n (next_group_size, n >= 1) queued items off the queue (lock held). */
static struct item *take_group(struct intake_group *g, int n)
{
    struct item *first = g->head, *last = g->head;

    for (int i = 1; i < n; i++)
        last = last->next;
    for (struct item *it = first; it != last->next; it = it->next)
        it->taken = true;
    g->head = last->next;
    if (g->head == NULL)
        g->tail = NULL;
    last->next = NULL;
    return first;
}

/* How many items the next group holds: up to group_max (lock held). */
static int next_group_size(const struct intake_group *g)
{
    int n = 0;

    for (const struct item *it = g->head; it != NULL && n < g->group_max; it = it->next)
        n++;
    return n;
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

/*
 * The pending inbox (intake_apply.h): the group's raw deliveries in one
 * INSERT, committed on its own (autocommit), each answered "accepted" or,
 * when its webhook id is known, "duplicate"; the applier then runs the
 * order logic. n items.
 */
static void run_deferred(struct committer *cm, struct item *group, int n)
{
    struct inbox_row *rows = xcalloc((size_t)n, sizeof(*rows));
    unsigned char (*sha)[INBOX_SHA256_BYTES] = xcalloc((size_t)n, sizeof(*sha));
    char (*key)[ORDER_KEY_MAX] = xcalloc((size_t)n, sizeof(*key));
    bool *inserted = xcalloc((size_t)n, sizeof(*inserted));
    struct errbuf err = {""};
    int i = 0, n_inserted = 0;
    enum st st = store_ensure(cm->c, &err);

    for (struct item *it = group; it != NULL; it = it->next, i++) {
        SHA256((const unsigned char *)it->r->body, it->r->body_len, sha[i]);
        if (whk_topic_classify(it->r->topic) == WHK_TOPIC_ORDER)
            json_top_member(it->r->body, it->r->body_len, "id", key[i], sizeof(key[i]));
        rows[i] = (struct inbox_row){.shop = it->r->shop, .webhook_id = it->r->webhook_id,
                                     .topic = it->r->topic, .api_version = it->r->api_version,
                                     .headers_json = it->r->headers_json, .body = it->r->body,
                                     .body_len = it->r->body_len, .body_sha256 = sha[i],
                                     .order_key = key[i][0] != '\0' ? key[i] : NULL};
    }
    if (st == ST_OK)
        st = inbox_store_insert_pending(cm->c, rows, n, inserted, &err);
    i = 0;
    for (struct item *it = group; it != NULL; it = it->next, i++) {
        it->st = st;
        it->err = err;
        it->out.outcome = inserted[i] ? INTAKE_ACCEPTED : INTAKE_DUPLICATE;
        n_inserted += st == ST_OK && inserted[i];
    }
    if (n_inserted > 0)
        intake_applier_nudge(cm->g->applier, n_inserted);
    free(rows);
    free(sha);
    free(key);
    free(inserted);
}

/* Whether deliveries arrive faster than INTAKE_PRESSURE_RATE (lock held). */
static bool pressed_now(struct intake_group *g)
{
    return rate_window_per_s(&g->arrivals, now_ms_monotonic()) >= INTAKE_PRESSURE_RATE;
}

/*
 * Whether the group of n goes to the pending inbox rather than through the
 * order logic now: a group of defer_at or more, deliveries arriving faster
 * than INTAKE_PRESSURE_RATE, or older rows still pending (arrival order).
 * Lock held.
 */
static bool deferred(struct intake_group *g, int n)
{
    if (g->applier == NULL || g->defer_at == 0)
        return false;
    return n >= g->defer_at || pressed_now(g) || intake_applier_backlog(g->applier);
}

/* One transaction for the whole group; each item's st/out/err filled. */
static void run_group(struct committer *cm, struct item *group)
{
    struct errbuf err = {""};
    bool lost = false;
    enum st st;

    st = store_ensure(cm->c, &err);
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

/*
 * Waits (lock held) until this committer may take the next group, of *n
 * items; false once stopping with nothing queued. *defer: that group goes
 * to the pending inbox, which waits while another committer stores one,
 * for stagger_ns at most (intake_group_stagger).
 */
static bool await_group(struct intake_group *g, bool *defer, int *n)
{
    for (;;) {
        if (g->head != NULL) {
            int64_t due = g->deferred_at_ns + g->stagger_ns;

            *n = next_group_size(g);
            *defer = deferred(g, *n);
            if (!*defer || g->deferring == 0 || now_ns_monotonic() >= due)
                return true;
            pthread_cond_timedwait(&g->queued, &g->lock,
                                   &(struct timespec){.tv_sec = due / 1000000000,
                                                      .tv_nsec = due % 1000000000});
        } else if (g->stopping) {
            return false;
        } else {
            pthread_cond_wait(&g->queued, &g->lock);
        }
    }
}

static void *committer_main(void *arg)
{
    struct committer *cm = arg;
    struct intake_group *g = cm->g;
    struct item *group;
    bool defer;
    int n;

    pthread_mutex_lock(&g->lock);
    for (;;) {
        if (!await_group(g, &defer, &n))
            break;
        group = take_group(g, n);
        if (defer) {
            g->deferring++;
            g->deferred_at_ns = now_ns_monotonic();
        }
        pthread_mutex_unlock(&g->lock);
        if (defer)
            run_deferred(cm, group, n);
        else
            run_group(cm, group);
        pthread_mutex_lock(&g->lock);
        if (defer) {
            g->deferring--;
            pthread_cond_broadcast(&g->queued);
        }
        finish_group(g, group);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

struct intake_group *intake_group_create(const char *url, int committers, int group_max)
{
    struct intake_group *g = xcalloc(1, sizeof(*g));

    pthread_mutex_init(&g->lock, NULL);
    cond_init_monotonic(&g->queued);
    g->stagger_ns = INTAKE_DEFER_STAGGER_US * 1000LL;
    g->group_max = group_max < 1 ? 1 : group_max;
    rate_window_init(&g->arrivals, INTAKE_PRESSURE_WINDOW_MS);
    g->n_committers = committers < 1 ? 1 : committers;
    g->committers = xcalloc((size_t)g->n_committers, sizeof(*g->committers));
    for (int i = 0; i < g->n_committers; i++) {
        g->committers[i].g = g;
        g->committers[i].c = store_conn_create(url);
        pthread_create(&g->committers[i].thread, NULL, committer_main, &g->committers[i]);
    }
    return g;
}

void intake_group_defer(struct intake_group *g, int defer_at, struct intake_applier *applier)
{
    pthread_mutex_lock(&g->lock);
    g->defer_at = defer_at;
    g->applier = applier;
    pthread_mutex_unlock(&g->lock);
}

void intake_group_stagger(struct intake_group *g, int stagger_us)
{
    pthread_mutex_lock(&g->lock);
    g->stagger_ns = stagger_us * 1000LL;
    pthread_mutex_unlock(&g->lock);
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
    rate_window_add(&g->arrivals, now_ms_monotonic(), 1);
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
