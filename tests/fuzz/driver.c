/*
 * driver.c - a main() for the fuzz harnesses when libFuzzer is not there.
 *
 *   fuzz_<name> [-runs=N] [-seed=S] DIR|FILE...   replay, then N mutations
 *   fuzz_<name> FILE                              replay one input (a saved crash)
 *
 * The options are spelled as libFuzzer's, and the seeds come from several
 * places, as libFuzzer takes several corpus directories: the harness's own
 * corpus (tests/fuzz/corpus/<short>/) and the test fixtures that are inputs
 * of the same parser (tests/fixtures/), so a fixture is never copied into
 * a corpus. Every seed file is fed to LLVMFuzzerTestOneInput once, then N
 * (default 20000) inputs are derived from the seeds by a seeded xorshift
 * generator: bit flips, byte overwrites, inserts and deletes, duplicated
 * chunks, dictionary tokens and splices between corpus files. There is no
 * coverage feedback, so to reach deeper than one round of edits, some
 * mutants are kept in a small ring and mutated again. The same seed always
 * gives the same run, so a failure in ctest reproduces on any machine.
 *
 * Each input is handed over in a heap block of exactly its size, so an
 * over-read of one byte is an ASan report. When a harness aborts (invariant)
 * or a sanitizer dies, the input is written to ./<prog>-crash.bin first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

#define DRV_MAX_INPUT_BYTES (64 * 1024)   /* mutants never grow past this */
#define DRV_MAX_FILE_BYTES (1024 * 1024)  /* corpus files are small; refuse anything else */
#define DRV_RING 64                       /* mutants kept for further mutation */
#define DRV_DEFAULT_ITERATIONS 20000
#define DRV_DEFAULT_SEED 0x5eedf00dcafe1234ULL

struct drv_input {
    uint8_t *data;
    size_t len;
};

struct drv_pool {
    struct drv_input *items; /* corpus files first, then the ring */
    size_t n_corpus;
    size_t n;
    size_t ring_next;
};

/* The input being run, for the crash hooks; written before each call. */
static const uint8_t *drv_cur_data;
static size_t drv_cur_len;
static char drv_crash_path[512];

/* Present when the program is linked with a sanitizer runtime. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

/* Async-signal-safe: open/write/close only. */
static void drv_dump_current(void)
{
    int fd;
    size_t off = 0;

    if (drv_cur_data == NULL)
        return;
    fd = open(drv_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    while (off < drv_cur_len) {
        ssize_t w = write(fd, drv_cur_data + off, drv_cur_len - off);

        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fd);
    (void)!write(2, "fuzz driver: input saved to ", 28);
    (void)!write(2, drv_crash_path, strlen(drv_crash_path));
    (void)!write(2, "\n", 1);
    drv_cur_data = NULL;
}

static void drv_on_signal(int sig)
{
    drv_dump_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void drv_install_hooks(const char *prog)
{
    const char *base = strrchr(prog, '/');

    snprintf(drv_crash_path, sizeof(drv_crash_path), "%s-crash.bin",
             base != NULL ? base + 1 : prog);
    signal(SIGABRT, drv_on_signal);
    signal(SIGSEGV, drv_on_signal);
    signal(SIGBUS, drv_on_signal);
    signal(SIGFPE, drv_on_signal);
    if (__sanitizer_set_death_callback != NULL)
        __sanitizer_set_death_callback(drv_dump_current);
}

/* Runs one input from an exact-size heap copy. */
static void drv_run(const uint8_t *data, size_t len)
{
    uint8_t *copy = xmalloc(len > 0 ? len : 1);

    if (len > 0)
        memcpy(copy, data, len);
    drv_cur_data = copy;
    drv_cur_len = len;
    LLVMFuzzerTestOneInput(copy, len);
    drv_cur_data = NULL;
    free(copy);
}

/* ---- reading the corpus ---- */

static int drv_read_file(const char *path, struct drv_input *out)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t n = 0;
    int rc = -1;

    if (f == NULL) {
        fprintf(stderr, "could not open %s: %s\n", path, strerror(errno));
        return -1;
    }
    data = xmalloc(DRV_MAX_FILE_BYTES + 1);
    n = fread(data, 1, DRV_MAX_FILE_BYTES + 1, f);
    if (ferror(f) || n > DRV_MAX_FILE_BYTES) {
        fprintf(stderr, "could not read %s: error or larger than %d bytes\n", path,
                DRV_MAX_FILE_BYTES);
        goto out;
    }
    out->data = xrealloc(data, n > 0 ? n : 1);
    out->len = n;
    data = NULL;
    rc = 0;
out:
    free(data);
    fclose(f);
    return rc;
}

static int drv_cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds one seed file to the pool (grown as needed). */
static int drv_pool_add_file(struct drv_pool *pool, const char *path)
{
    pool->items = xrealloc(pool->items, (pool->n + 1) * sizeof(*pool->items));
    if (drv_read_file(path, &pool->items[pool->n]) < 0)
        return -1;
    pool->n++;
    return 0;
}

/* Adds every regular, non-hidden file of dir, in name order (readdir order is not stable). */
static int drv_pool_add_dir(struct drv_pool *pool, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, i;
    int rc = 0;

    if (d == NULL) {
        fprintf(stderr, "could not open corpus %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = xrealloc(names, (n + 1) * sizeof(*names));
        names[n++] = xasprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), drv_cmp_names);
    for (i = 0; i < n; i++) {
        struct stat st;

        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = drv_pool_add_file(pool, names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Loads the seeds of every path (a directory or a file), then makes room for the ring. */
static int drv_load_seeds(char *const *paths, int n_paths, struct drv_pool *pool)
{
    for (int i = 0; i < n_paths; i++) {
        struct stat st;
        int rc;

        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "could not open corpus %s: %s\n", paths[i], strerror(errno));
            return -1;
        }
        rc = S_ISDIR(st.st_mode) ? drv_pool_add_dir(pool, paths[i])
                                 : drv_pool_add_file(pool, paths[i]);
        if (rc < 0)
            return -1;
    }
    if (pool->n == 0) {
        fprintf(stderr, "no seed files in the corpus\n");
        return -1;
    }
    pool->n_corpus = pool->n;
    pool->items = xrealloc(pool->items, (pool->n + DRV_RING) * sizeof(*pool->items));
    return 0;
}

static void drv_pool_cleanup(struct drv_pool *pool)
{
    size_t i;

    for (i = 0; i < pool->n; i++)
        free(pool->items[i].data);
    free(pool->items);
}

/* ---- mutation ---- */

static uint64_t drv_rng_state;

static uint64_t drv_rand(void)
{
    uint64_t x = drv_rng_state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    drv_rng_state = x;
    return x;
}

/* Uniform-enough in [0, n); n > 0. */
static size_t drv_below(size_t n)
{
    return (size_t)(drv_rand() % n);
}

/* Bytes and tokens that mean something to at least one of our parsers. */
static const char *const drv_tokens[] = {
    "\"", "\"\"", ",", "\r\n", "\n", "\r", "\t", " ", "\\", "\\\"", "\\u0000", "\\ud800",
    "{", "}", "[", "]", ":", "null", "true", "-", "0", "-1", "1e308", "1.5",
    "12345678901234567890123456", "9223372036854775807", "-9223372036854775808",
    "<", ">", "/>", "&amp;", "&#13;", "&#0;", "&#xD800;", "<![CDATA[", "]]>", "<!--", "-->",
    "<?xml version=\"1.0\"?>", "<!DOCTYPE x [<!ENTITY e \"ee\">]>", "&e;", "xmlns=\"\"",
    "soap:", "Fault", "Statuses", "IntegrationStatusResponse", "ResponseId", "Detail",
    "=", ";", "location:", "country:", "stock=", "default=", "SystemSite", "GB",
    "~D~", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc0\x80", "\xed\xa0\x80",
    "\xff", "\x7f", "\xc2\x85", "2026-11-26T09:30:00+08:00", "Z", "+23:59", ".999999",
};

static const uint8_t drv_bytes[] = { 0, 1, 0x7f, 0x80, 0xff, '"', ',', '\r', '\n', '<', '>',
                                     '&', ';', '=', ':', '\\', '{', '}', '[', ']', ' ' };

/* Inserts n bytes at pos (clamped to the size cap). */
static void drv_insert(uint8_t *buf, size_t *len, size_t pos, const uint8_t *src, size_t n)
{
    if (n > DRV_MAX_INPUT_BYTES - *len)
        n = DRV_MAX_INPUT_BYTES - *len;
    memmove(buf + pos + n, buf + pos, *len - pos);
    memmove(buf + pos, src, n);
    *len += n;
}

static void drv_mutate_once(uint8_t *buf, size_t *len, const struct drv_pool *pool)
{
    const struct drv_input *other;
    uint8_t tmp[16];
    size_t pos = drv_below(*len + 1), n, i, from;

    switch (drv_below(9)) {
    case 0: /* flip one bit */
        if (*len > 0)
            buf[drv_below(*len)] ^= (uint8_t)(1u << drv_below(8));
        break;
    case 1: /* overwrite a byte */
        if (*len > 0)
            buf[drv_below(*len)] = drv_below(2) ? (uint8_t)drv_rand()
                                                : drv_bytes[drv_below(sizeof(drv_bytes))];
        break;
    case 2: /* insert random or meaningful bytes */
        n = 1 + drv_below(sizeof(tmp));
        for (i = 0; i < n; i++)
            tmp[i] = drv_below(2) ? (uint8_t)drv_rand()
                                  : drv_bytes[drv_below(sizeof(drv_bytes))];
        drv_insert(buf, len, pos, tmp, n);
        break;
    case 3: /* delete a range */
        if (pos < *len) {
            n = 1 + drv_below(*len - pos < 32 ? *len - pos : 32);
            memmove(buf + pos, buf + pos + n, *len - pos - n);
            *len -= n;
        }
        break;
    case 4: /* duplicate a chunk of itself elsewhere */
        if (*len > 0) {
            from = drv_below(*len);
            n = 1 + drv_below(*len - from < 64 ? *len - from : 64);
            {
                uint8_t chunk[64];

                memcpy(chunk, buf + from, n);
                drv_insert(buf, len, pos, chunk, n);
            }
        }
        break;
    case 5: /* a dictionary token */
        {
            const char *t = drv_tokens[drv_below(ARRAY_LEN(drv_tokens))];

            drv_insert(buf, len, pos, (const uint8_t *)t, strlen(t));
        }
        break;
    case 6: /* splice: keep our head, take another file's tail */
        other = &pool->items[drv_below(pool->n)];
        from = drv_below(other->len + 1);
        *len = pos;
        drv_insert(buf, len, pos, other->data + from, other->len - from);
        break;
    case 7: /* insert a chunk of another file */
        other = &pool->items[drv_below(pool->n)];
        if (other->len > 0) {
            from = drv_below(other->len);
            n = 1 + drv_below(other->len - from < 256 ? other->len - from : 256);
            drv_insert(buf, len, pos, other->data + from, n);
        }
        break;
    default: /* truncate */
        *len = pos;
        break;
    }
}

/* Keeps a mutant for later rounds, replacing the oldest kept one. */
static void drv_ring_keep(struct drv_pool *pool, const uint8_t *buf, size_t len)
{
    struct drv_input *slot;

    if (pool->n < pool->n_corpus + DRV_RING) {
        slot = &pool->items[pool->n++];
    } else {
        slot = &pool->items[pool->n_corpus + pool->ring_next];
        pool->ring_next = (pool->ring_next + 1) % DRV_RING;
        free(slot->data);
    }
    slot->data = xmalloc(len > 0 ? len : 1);
    memcpy(slot->data, buf, len);
    slot->len = len;
}

static void drv_fuzz(struct drv_pool *pool, unsigned long iterations)
{
    uint8_t *buf = xmalloc(DRV_MAX_INPUT_BYTES);
    unsigned long it;
    size_t len, k, rounds;

    for (it = 0; it < iterations; it++) {
        const struct drv_input *base = &pool->items[drv_below(pool->n)];

        len = base->len < DRV_MAX_INPUT_BYTES ? base->len : DRV_MAX_INPUT_BYTES;
        memcpy(buf, base->data, len);
        rounds = 1 + drv_below(4);
        for (k = 0; k < rounds; k++)
            drv_mutate_once(buf, &len, pool);
        drv_run(buf, len);
        if (drv_below(8) == 0)
            drv_ring_keep(pool, buf, len);
    }
    free(buf);
}

/* ---- main ---- */

static int drv_parse_ulong(const char *s, unsigned long long *out)
{
    char *end;

    errno = 0;
    *out = strtoull(s, &end, 0);
    return (errno != 0 || end == s || *end != '\0') ? -1 : 0;
}

/* Takes -runs=N and -seed=S out of argv (kept in order: the paths); -1 on a bad option. */
static int drv_parse_options(int *argc, char **argv, unsigned long long *runs,
                             unsigned long long *seed)
{
    int kept = 1;

    for (int i = 1; i < *argc; i++) {
        if (strncmp(argv[i], "-runs=", 6) == 0) {
            if (drv_parse_ulong(argv[i] + 6, runs) < 0)
                return -1;
        } else if (strncmp(argv[i], "-seed=", 6) == 0) {
            if (drv_parse_ulong(argv[i] + 6, seed) < 0)
                return -1;
        } else if (argv[i][0] == '-') {
            return -1;
        } else {
            argv[kept++] = argv[i];
        }
    }
    *argc = kept;
    return 0;
}

int main(int argc, char **argv)
{
    struct drv_pool pool = { 0 };
    struct stat st;
    unsigned long long iterations = DRV_DEFAULT_ITERATIONS, seed = DRV_DEFAULT_SEED;
    int64_t t0 = now_ms_monotonic();
    int n_opts = argc;
    size_t i;
    int rc = 1;

    if (drv_parse_options(&argc, argv, &iterations, &seed) < 0 || argc < 2) {
        fprintf(stderr, "usage: %s [-runs=N] [-seed=S] DIR|FILE... | %s FILE\n", argv[0],
                argv[0]);
        return 2;
    }
    drv_install_hooks(argv[0]);
    if (argc == 2 && n_opts == 2 && stat(argv[1], &st) == 0 && S_ISREG(st.st_mode)) {
        struct drv_input one;

        if (drv_read_file(argv[1], &one) < 0)
            return 1;
        drv_run(one.data, one.len);
        free(one.data);
        fprintf(stderr, "%s: %s ran without failure\n", argv[0], argv[1]);
        return 0;
    }
    if (drv_load_seeds(argv + 1, argc - 1, &pool) < 0)
        goto out;
    for (i = 0; i < pool.n_corpus; i++)
        drv_run(pool.items[i].data, pool.items[i].len);
    drv_rng_state = seed != 0 ? seed : DRV_DEFAULT_SEED; /* xorshift must not start at 0 */
    drv_fuzz(&pool, (unsigned long)iterations);
    fprintf(stderr, "%s: %zu seed files and %llu mutations (seed 0x%llx) in %lld ms\n",
            argv[0], pool.n_corpus, iterations, seed, (long long)(now_ms_monotonic() - t0));
    rc = 0;
out:
    drv_pool_cleanup(&pool);
    return rc;
}
