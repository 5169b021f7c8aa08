/* SPDX-License-Identifier: Apache-2.0
 *
 * test_differential.c: src/version against the reference implementations.
 *
 * For each scheme with a reference tool on Debian, generate 200,000 pairs
 * of versions (a deterministic generator of tricky grammar: epochs, '~',
 * '^', pre-releases, build metadata, leading zeros, long numbers, mixed
 * case, odd separators, plus string-level mutations of each version, which
 * also produce invalid ones), hand them all to ONE oracle process
 * (tests/oracles/), and require the same answer for every pair:
 *
 *   npm semver   node tests/oracles/semver_oracle.js      (node-semver 7.8.6)
 *   PEP 440      /usr/bin/python3 tests/oracles/pep440_oracle.py (packaging)
 *   dpkg         /usr/bin/python3 tests/oracles/dpkg_oracle.py   (python3-apt)
 *                + dpkg --compare-versions for validity on a sample
 *   RPM          tests/oracles/rpm_oracle.sh (rpm.vercmp in rpm's Lua)
 *   Maven        java -cp maven-artifact-3.x.jar tests/oracles/MavenOracle.java
 *
 * An oracle that is missing FAILS the test, loudly: the tools come from
 * `scripts/setup --oracles` (which also runs tests/oracles/setup).
 * Labelled "differential" (tests/unit/version/CMakeLists.txt).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "version/version.h"

#define N_PAIRS 200000
#define N_BASE 4000
#define N_VARIANTS 2
#define POOL (N_BASE * (1 + N_VARIANTS))
#define MAX_SHOWN 15

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned pick(struct rng *r, unsigned n)
{
    return (unsigned)(rnd(r) % n);
}

static bool chance(struct rng *r, unsigned pct)
{
    return pick(r, 100) < pct;
}

static const char *one_of(struct rng *r, const char *const *list, size_t n)
{
    return list[pick(r, (unsigned)n)];
}
#define ONE_OF(r, arr) one_of((r), (arr), CH_ARRAY_SIZE(arr))

/* A number: mostly small, sometimes long (up to max_digits), sometimes with leading zeros. */
static void put_num(struct ch_buf *b, struct rng *r, unsigned lead_zero_pct, unsigned max_digits)
{
    if (chance(r, (int)lead_zero_pct)) {
        ch_buf_append_c(b, chance(r, 50) ? "0" : "00");
    }
    unsigned k = pick(r, 100);
    if (k < 55) {
        ch_buf_appendf(b, "%u", pick(r, 10));
    } else if (k < 85) {
        ch_buf_appendf(b, "%u", pick(r, 1000));
    } else {
        unsigned digits = 4 + pick(r, max_digits - 3);
        ch_buf_append_byte(b, (char)('1' + pick(r, 9)));
        for (unsigned i = 1; i < digits; i++)
            ch_buf_append_byte(b, (char)('0' + pick(r, 10)));
    }
}

static void put_chars(struct ch_buf *b, struct rng *r, const char *alphabet, unsigned min,
                      unsigned max)
{
    size_t n = strlen(alphabet);
    unsigned len = min + pick(r, max - min + 1);
    for (unsigned i = 0; i < len; i++)
        ch_buf_append_byte(b, alphabet[pick(r, (unsigned)n)]);
}

static const char ALNUM_DASH[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-";

/* ---- SemVer (npm) ---------------------------------------------------------- */

static void gen_semver(struct ch_buf *b, struct rng *r)
{
    static const char *const words[] = {"alpha", "beta", "rc", "a",        "b",    "pre",    "dev",
                                        "x",     "X",    "-",  "--",       "0a",   "a0",     "1-1",
                                        "ALPHA", "Rc",   "z",  "SNAPSHOT", "next", "canary", "A-"};
    if (chance(r, 4))
        ch_buf_append_byte(b, 'v');
    int parts = chance(r, 3) ? 2 : 3;
    for (int i = 0; i < parts; i++) {
        if (i > 0)
            ch_buf_append_byte(b, '.');
        put_num(b, r, 2, 15);
    }
    if (chance(r, 55)) {
        ch_buf_append_byte(b, '-');
        unsigned n = 1 + pick(r, 4);
        for (unsigned i = 0; i < n; i++) {
            if (i > 0)
                ch_buf_append_byte(b, '.');
            unsigned k = pick(r, 100);
            if (k < 40)
                put_num(b, r, 3, 15);
            else if (k < 80)
                ch_buf_append_c(b, ONE_OF(r, words));
            else if (k < 99)
                put_chars(b, r, ALNUM_DASH, 1, 5);
        }
    }
    if (chance(r, 25)) {
        ch_buf_append_byte(b, '+');
        unsigned n = 1 + pick(r, 3);
        for (unsigned i = 0; i < n; i++) {
            if (i > 0)
                ch_buf_append_byte(b, '.');
            put_chars(b, r, ALNUM_DASH, chance(r, 2) ? 0 : 1, 6);
        }
    }
}

/* ---- PEP 440 ------------------------------------------------------------- */

static void put_case(struct ch_buf *b, struct rng *r, const char *w)
{
    bool upper = chance(r, 15);
    for (; *w != '\0'; w++) {
        char c = *w;
        if ((upper || chance(r, 5)) && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        ch_buf_append_byte(b, c);
    }
}

static void put_opt_sep(struct ch_buf *b, struct rng *r, unsigned pct)
{
    static const char *const seps[] = {"-", "_", "."};
    if (chance(r, (int)pct))
        ch_buf_append_c(b, ONE_OF(r, seps));
}

static void gen_pep440(struct ch_buf *b, struct rng *r)
{
    static const char *const pre[] = {"a", "b", "c", "rc", "alpha", "beta", "pre", "preview"};
    static const char *const post[] = {"post", "rev", "r"};
    static const char *const lseps[] = {".", "-", "_"};
    if (chance(r, 3))
        ch_buf_append_byte(b, ' ');
    if (chance(r, 5))
        put_case(b, r, "v");
    if (chance(r, 15)) {
        put_num(b, r, 5, 12);
        ch_buf_append_byte(b, '!');
    }
    unsigned n = 1 + pick(r, 5);
    for (unsigned i = 0; i < n; i++) {
        if (i > 0)
            ch_buf_append_byte(b, '.');
        put_num(b, r, 8, 25);
    }
    if (chance(r, 40)) {
        put_opt_sep(b, r, 40);
        put_case(b, r, ONE_OF(r, pre));
        put_opt_sep(b, r, 25);
        if (chance(r, 80))
            put_num(b, r, 5, 12);
    }
    if (chance(r, 30)) {
        if (chance(r, 30)) {
            ch_buf_append_byte(b, '-');
            put_num(b, r, 5, 12);
        } else {
            put_opt_sep(b, r, 50);
            put_case(b, r, ONE_OF(r, post));
            put_opt_sep(b, r, 25);
            if (chance(r, 80))
                put_num(b, r, 5, 12);
        }
    }
    if (chance(r, 30)) {
        put_opt_sep(b, r, 60);
        put_case(b, r, "dev");
        put_opt_sep(b, r, 20);
        if (chance(r, 80))
            put_num(b, r, 5, 12);
    }
    if (chance(r, 20)) {
        ch_buf_append_byte(b, '+');
        unsigned k = 1 + pick(r, 3);
        for (unsigned i = 0; i < k; i++) {
            if (i > 0)
                ch_buf_append_c(b, ONE_OF(r, lseps));
            if (chance(r, 50))
                put_num(b, r, 10, 12);
            else
                put_chars(b, r, "abcdefxyzUBUNTU0123", 1, 5);
        }
    }
    if (chance(r, 3))
        ch_buf_append_byte(b, ' ');
}

/* ---- dpkg ---------------------------------------------------------------- */

static void gen_dpkg(struct ch_buf *b, struct rng *r)
{
    static const char *const up[] = {".", ".",  "+",     "~",       "~rc", "~~",  "+dfsg", "a",
                                     "Z", ".0", "~beta", "+really", "b",   "git", ".",     "+"};
    static const char *const rev[] = {"ubuntu", "deb12u", "build", "~bpo", ".", "+",
                                      "~",      "a",      "Z",     "+b",   ".0"};
    bool epoch = chance(r, 20);
    bool revision = chance(r, 60);
    if (epoch) {
        put_num(b, r, 5, 9);
        ch_buf_append_byte(b, ':');
    }
    put_num(b, r, 5, 22);
    unsigned n = pick(r, 6);
    for (unsigned i = 0; i < n; i++) {
        unsigned k = pick(r, 10);
        if (k < 4)
            ch_buf_append_c(b, ONE_OF(r, up));
        else if (k < 8)
            put_num(b, r, 10, 22);
        else if (k < 9 && epoch)
            ch_buf_append_byte(b, ':');
        else if (revision)
            ch_buf_append_byte(b, '-');
        else
            ch_buf_append_byte(b, '~');
    }
    if (revision) {
        ch_buf_append_byte(b, '-');
        if (chance(r, 70))
            put_num(b, r, 5, 12);
        else
            ch_buf_append_c(b, ONE_OF(r, rev));
        unsigned m = pick(r, 4);
        for (unsigned i = 0; i < m; i++) {
            if (chance(r, 50))
                ch_buf_append_c(b, ONE_OF(r, rev));
            else
                put_num(b, r, 10, 12);
        }
    }
}

/* ---- RPM ----------------------------------------------------------------- */

static void gen_rpm(struct ch_buf *b, struct rng *r)
{
    static const char *const vp[] = {".", ".",    "_",  "+",  "~", "^", "~rc",  "^git", "a",
                                     "Z", ".el8", "~~", "^^", "%", "#", "beta", ".",    "b"};
    static const char *const rp[] = {".el8", ".el9_2", "_1", ".fc39", "~",
                                     "^",    "git",    ".",  "a",     ".module+el8.4.0+1"};
    if (chance(r, 20)) {
        put_num(b, r, 5, 12);
        ch_buf_append_byte(b, ':');
    }
    if (chance(r, 95))
        put_num(b, r, 5, 22);
    else
        ch_buf_append_c(b, ONE_OF(r, vp));
    unsigned n = pick(r, 6);
    for (unsigned i = 0; i < n; i++) {
        if (chance(r, 50))
            ch_buf_append_c(b, ONE_OF(r, vp));
        else
            put_num(b, r, 10, 22);
    }
    if (chance(r, 80)) {
        ch_buf_append_byte(b, '-');
        put_num(b, r, 5, 12);
        unsigned m = pick(r, 4);
        for (unsigned i = 0; i < m; i++) {
            if (chance(r, 50))
                ch_buf_append_c(b, ONE_OF(r, rp));
            else
                put_num(b, r, 10, 12);
        }
    }
}

/* ---- Maven --------------------------------------------------------------- */

static void gen_maven(struct ch_buf *b, struct rng *r)
{
    static const char *const q[] = {
        "alpha", "beta", "milestone", "rc",     "cr",    "snapshot", "ga",       "final", "release",
        "sp",    "a",    "b",         "m",      "foo",   "Bar",      "SNAPSHOT", "RC",    "Final",
        "x",     "GA",   "jre",       "redhat", "Alpha", "M",        "SP"};
    static const char *const seps[] = {".", ".", ".", "-", "-", ""};
    if (chance(r, 90))
        put_num(b, r, 5, 22);
    unsigned n = pick(r, 7);
    for (unsigned i = 0; i < n; i++) {
        ch_buf_append_c(b, ONE_OF(r, seps));
        if (chance(r, 55))
            put_num(b, r, 10, 22);
        else
            ch_buf_append_c(b, ONE_OF(r, q));
    }
}

/* ---- generic string mutations ---------------------------------------------- */

static void mutate(struct ch_buf *out, const char *src, struct rng *r, const char *const *tokens,
                   size_t n_tokens)
{
    size_t len = strlen(src);
    ch_buf_reset(out);
    unsigned k = pick(r, 8);
    size_t at = len == 0 ? 0 : pick(r, (unsigned)len + 1);
    switch (k) {
    case 0: /* append a token */
        ch_buf_append_c(out, src);
        ch_buf_append_c(out, one_of(r, tokens, n_tokens));
        break;
    case 1: /* insert a token */
        ch_buf_append(out, src, at);
        ch_buf_append_c(out, one_of(r, tokens, n_tokens));
        ch_buf_append_c(out, src + at);
        break;
    case 2: /* change a digit */
        ch_buf_append_c(out, src);
        for (size_t i = 0; i < len; i++) {
            size_t j = (at + i) % len;
            if (out->ptr[j] >= '0' && out->ptr[j] <= '9') {
                out->ptr[j] = (char)('0' + pick(r, 10));
                break;
            }
        }
        break;
    case 3: /* insert a leading zero before a digit */
        ch_buf_append(out, src, at);
        ch_buf_append_byte(out, '0');
        ch_buf_append_c(out, src + at);
        break;
    case 4: /* toggle the case of letters */
        ch_buf_append_c(out, src);
        for (size_t i = 0; i < len; i++) {
            char c = out->ptr[i];
            if (c >= 'a' && c <= 'z' && chance(r, 50))
                out->ptr[i] = (char)(c - 'a' + 'A');
            else if (c >= 'A' && c <= 'Z' && chance(r, 50))
                out->ptr[i] = (char)(c - 'A' + 'a');
        }
        break;
    case 5: /* delete a character */
        ch_buf_append(out, src, at);
        if (at < len)
            ch_buf_append_c(out, src + at + 1);
        break;
    case 6: /* append ".0" or "0" */
        ch_buf_append_c(out, src);
        ch_buf_append_c(out, chance(r, 50) ? ".0" : "0");
        break;
    default: /* drop the tail */
        ch_buf_append(out, src, at);
        break;
    }
}

/* ---- running an oracle ----------------------------------------------------- */

/* Runs argv with stdin from in_path and stdout to out_path; returns the exit status. */
static int run_oracle(const char *const *argv, const char *in_path, const char *out_path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(in_path, O_RDONLY | O_CLOEXEC);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool file_exists(const char *p)
{
    return access(p, R_OK) == 0;
}

static char *oracle_path(const char *name)
{
    const char *src = getenv("CH_SOURCE_DIR");
    struct ch_buf b;
    ch_buf_init(&b, 4096);
    ch_buf_appendf(&b, "%s/tests/oracles/%s", src != NULL ? src : ".", name);
    char *p = ch_buf_take(&b, NULL);
    assert_non_null(p);
    return p;
}

typedef void gen_fn(struct ch_buf *b, struct rng *r);

struct diff_case {
    const char *scheme; /* ch_version_scheme_by_name() */
    gen_fn *gen;
    const char *const *tokens;
    size_t n_tokens;
    bool oracle_validates; /* the oracle says "error" for invalid versions */
};

/* Generates the pool and N_PAIRS pairs into in_path; returns the pairs (owned, "a\tb" lines). */
static char **make_pairs(const struct diff_case *dc, uint64_t seed, const char *in_path)
{
    struct rng r = {.s = seed};
    char **pool = ch_calloc(POOL, sizeof(char *));
    assert_non_null(pool);
    struct ch_buf b, m;
    ch_buf_init(&b, 4096);
    ch_buf_init(&m, 4096);
    for (size_t i = 0; i < N_BASE; i++) {
        do {
            ch_buf_reset(&b);
            dc->gen(&b, &r);
        } while (ch_buf_len(&b) == 0 || ch_buf_len(&b) > CH_VERSION_MAX_LEN);
        pool[i * (1 + N_VARIANTS)] = ch_strdup(ch_buf_cstr(&b));
        for (size_t k = 1; k <= N_VARIANTS; k++) {
            const char *src = pool[i * (1 + N_VARIANTS) + k - 1];
            do {
                mutate(&m, src, &r, dc->tokens, dc->n_tokens);
            } while (ch_buf_len(&m) == 0 || ch_buf_len(&m) > CH_VERSION_MAX_LEN);
            pool[i * (1 + N_VARIANTS) + k] = ch_strdup(ch_buf_cstr(&m));
        }
    }
    char **pairs = ch_calloc(N_PAIRS, sizeof(char *));
    assert_non_null(pairs);
    ch_buf_reset(&b);
    struct ch_buf file;
    ch_buf_init(&file, (size_t)64 << 20);
    for (size_t i = 0; i < N_PAIRS; i++) {
        size_t x, y;
        unsigned k = pick(&r, 100);
        size_t base = pick(&r, N_BASE) * (1 + N_VARIANTS);
        if (k < 30) {
            x = base;
            y = base + 1 + pick(&r, N_VARIANTS);
        } else if (k < 40) {
            x = y = pick(&r, POOL);
        } else if (k < 50) {
            x = base + 1;
            y = base + N_VARIANTS;
        } else {
            x = pick(&r, POOL);
            y = pick(&r, POOL);
        }
        if (chance(&r, 50)) {
            size_t t = x;
            x = y;
            y = t;
        }
        ch_buf_reset(&b);
        ch_buf_appendf(&b, "%s\t%s", pool[x], pool[y]);
        pairs[i] = ch_strdup(ch_buf_cstr(&b));
        ch_buf_appendf(&file, "%s\n", pairs[i]);
    }
    assert_int_equal(ch_buf_status(&file, "pairs", &(struct ch_err)CH_ERR_INIT), CH_OK);
    ch_test_write_file(in_path, ch_buf_cstr(&file), ch_buf_len(&file));
    ch_buf_release(&file);
    ch_buf_release(&b);
    ch_buf_release(&m);
    for (size_t i = 0; i < POOL; i++)
        ch_free(pool[i]);
    ch_free(pool);
    return pairs;
}

static void free_pairs(char **pairs)
{
    for (size_t i = 0; i < N_PAIRS; i++)
        ch_free(pairs[i]);
    ch_free(pairs);
}

/* Compares our answers with the oracle's output; fails on any disagreement. */
static void check_answers(const struct diff_case *dc, char **pairs, const char *out_path)
{
    const struct ch_version_scheme *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_version_scheme_by_name(ch_str_c(dc->scheme), &s, &err), CH_OK);
    struct ch_buf out;
    ch_buf_init(&out, (size_t)64 << 20);
    ch_test_read_file(out_path, &out);
    struct ch_str rest = ch_buf_str(&out);
    size_t agree = 0;
    size_t disagree = 0;
    size_t skipped = 0;
    size_t invalid = 0;
    size_t counts[3] = {0};
    for (size_t i = 0; i < N_PAIRS; i++) {
        struct ch_str line;
        if (!ch_str_split_next(&rest, '\n', &line) || (line.len == 0 && rest.ptr == NULL))
            fail_msg("%s oracle: output ends after %zu of %d answers", dc->scheme, i, N_PAIRS);
        const char *tab = strchr(pairs[i], '\t');
        struct ch_str a = ch_str_make(pairs[i], (size_t)(tab - pairs[i]));
        struct ch_str b = ch_str_c(tab + 1);
        ch_err_clear(&err);
        int c = 0;
        int rc = ch_version_cmp(s, a, b, &c, &err);
        char ours[8];
        if (rc == CH_OK) {
            snprintf(ours, sizeof(ours), "%d", c);
            counts[c + 1]++;
        } else {
            snprintf(ours, sizeof(ours), "error");
            invalid++;
            if (!dc->oracle_validates) {
                skipped++;
                continue;
            }
        }
        if (ch_str_eq_c(line, ours)) {
            agree++;
            continue;
        }
        if (disagree++ < MAX_SHOWN)
            fprintf(stderr, "%s DISAGREES: '%.*s' vs '%s': ours %s (%s), reference %.*s\n",
                    dc->scheme, CH_STR_FMT(a), b.ptr, ours, rc == CH_OK ? "ok" : err.msg,
                    CH_STR_FMT(line));
    }
    fprintf(stderr,
            "%s: %d pairs: %zu agree, %zu disagree; ours: %zu <, %zu =, %zu >, %zu invalid"
            " (%zu not checked: the reference does not validate)\n",
            dc->scheme, N_PAIRS, agree, disagree, counts[0], counts[1], counts[2], invalid,
            skipped);
    ch_buf_release(&out);
    assert_int_equal(disagree, 0);
    /* The generator must exercise every outcome. */
    assert_true(counts[0] > 1000 && counts[1] > 1000 && counts[2] > 1000);
}

static void run_case(const struct diff_case *dc, const char *const *argv, uint64_t seed)
{
    char *dir = ch_test_tmpdir();
    struct ch_buf in, out;
    ch_buf_init(&in, 4096);
    ch_buf_init(&out, 4096);
    ch_buf_appendf(&in, "%s/pairs.txt", dir);
    ch_buf_appendf(&out, "%s/answers.txt", dir);
    char **pairs = make_pairs(dc, seed, ch_buf_cstr(&in));
    int status = run_oracle(argv, ch_buf_cstr(&in), ch_buf_cstr(&out));
    if (status != 0)
        fail_msg("%s oracle '%s' failed (exit %d): install the oracles with "
                 "`scripts/setup --oracles`",
                 dc->scheme, argv[0], status);
    check_answers(dc, pairs, ch_buf_cstr(&out));
    free_pairs(pairs);
    ch_buf_release(&in);
    ch_buf_release(&out);
    ch_test_rmtree(dir);
    ch_free(dir);
}

static void require_tool(const char *path, const char *what)
{
    if (!file_exists(path))
        fail_msg("version oracle missing: %s ('%s'); run `scripts/setup --oracles`", what, path);
}

static void test_differential_semver_npm(void **state)
{
    (void)state;
    static const char *const tokens[] = {"-rc.1", ".1", "-0", "+build", "-alpha", ".0",
                                         "-x.1",  "-",  "+",  "-01",    "-1a"};
    require_tool("/usr/bin/node", "node");
    char *script = oracle_path("semver_oracle.js");
    char *mod = oracle_path("node_modules/semver/package.json");
    require_tool(mod, "node-semver (tests/oracles/setup)");
    const struct diff_case dc = {"semver", gen_semver, tokens, CH_ARRAY_SIZE(tokens), true};
    const char *argv[] = {"/usr/bin/node", script, NULL};
    run_case(&dc, argv, 0x5e3e5);
    ch_free(script);
    ch_free(mod);
}

static void test_differential_pep440(void **state)
{
    (void)state;
    static const char *const tokens[] = {".post1", "a1",   "rc",   ".dev0", "+local",
                                         "-1",     ".0",   "!",    "b",     "-",
                                         "_",      "post", "+x.1", "c",     "preview"};
    require_tool("/usr/bin/python3", "/usr/bin/python3");
    char *script = oracle_path("pep440_oracle.py");
    const struct diff_case dc = {"pep440", gen_pep440, tokens, CH_ARRAY_SIZE(tokens), true};
    const char *argv[] = {"/usr/bin/python3", script, NULL};
    run_case(&dc, argv, 0x440);
    ch_free(script);
}

static void test_differential_dpkg(void **state)
{
    (void)state;
    static const char *const tokens[] = {"~",  "~rc1", "+b1", "-1", ".0", "a",
                                         "1:", ":",    "-",   "~~", "+",  "Z"};
    require_tool("/usr/bin/python3", "/usr/bin/python3");
    char *script = oracle_path("dpkg_oracle.py");
    const struct diff_case dc = {"dpkg", gen_dpkg, tokens, CH_ARRAY_SIZE(tokens), false};
    const char *argv[] = {"/usr/bin/python3", script, NULL};
    run_case(&dc, argv, 0xdeb);
    ch_free(script);
}

/* Our dpkg validation against dpkg itself: an error or a syntax warning means invalid. */
static void test_differential_dpkg_validity(void **state)
{
    (void)state;
    static const char *const tokens[] = {"~", ":", "-", "a:", "_", " ", "!", "-", "::", "+", "x"};
    require_tool("/usr/bin/dpkg", "dpkg");
    const struct ch_version_scheme *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_version_scheme_by_name(CH_STR_LIT("dpkg"), &s, &err), CH_OK);
    struct rng r = {.s = 77};
    struct ch_buf b, m;
    ch_buf_init(&b, 4096);
    ch_buf_init(&m, 4096);
    char *dir = ch_test_tmpdir();
    struct ch_buf errpath;
    ch_buf_init(&errpath, 4096);
    ch_buf_appendf(&errpath, "%s/stderr", dir);
    size_t n_invalid = 0;
    size_t disagree = 0;
    for (int i = 0; i < 300; i++) {
        ch_buf_reset(&b);
        gen_dpkg(&b, &r);
        mutate(&m, ch_buf_cstr(&b), &r, tokens, CH_ARRAY_SIZE(tokens));
        const char *v = ch_buf_cstr(&m);
        if (ch_buf_len(&m) == 0)
            continue;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int fd = open(ch_buf_cstr(&errpath), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (fd < 0 || dup2(fd, 2) < 0)
                _exit(126);
            execl("/usr/bin/dpkg", "dpkg", "--compare-versions", v, "lt", "1", (char *)NULL);
            _exit(127);
        }
        int status = 0;
        assert_true(waitpid(pid, &status, 0) == pid);
        struct ch_buf e;
        ch_buf_init(&e, 1 << 20);
        ch_test_read_file(ch_buf_cstr(&errpath), &e);
        bool dpkg_bad = !WIFEXITED(status) || WEXITSTATUS(status) > 1 || ch_buf_len(&e) > 0;
        ch_err_clear(&err);
        bool ours_bad = ch_version_validate(s, ch_buf_str(&m), &err) != CH_OK;
        n_invalid += ours_bad;
        if (dpkg_bad != ours_bad && disagree++ < MAX_SHOWN)
            fprintf(stderr, "dpkg validity DISAGREES on '%s': ours %s, dpkg %s%s\n", v,
                    ours_bad ? err.msg : "valid", dpkg_bad ? "invalid: " : "valid",
                    dpkg_bad ? ch_buf_cstr(&e) : "");
        ch_buf_release(&e);
    }
    fprintf(stderr, "dpkg validity: 300 versions, %zu invalid, %zu disagree\n", n_invalid,
            disagree);
    assert_int_equal(disagree, 0);
    assert_true(n_invalid > 20);
    ch_test_rmtree(dir);
    ch_free(dir);
    ch_buf_release(&errpath);
    ch_buf_release(&b);
    ch_buf_release(&m);
}

static void test_differential_rpm(void **state)
{
    (void)state;
    static const char *const tokens[] = {
        "~", "^", "~rc1", "^git1", "-1", ".0", "a", "1:", ".el8", "_", "+", "-", "~~", "^^", "%"};
    require_tool("/usr/bin/rpm", "rpm");
    char *script = oracle_path("rpm_oracle.sh");
    const struct diff_case dc = {"rpm", gen_rpm, tokens, CH_ARRAY_SIZE(tokens), false};
    const char *argv[] = {"/bin/sh", script, NULL};
    run_case(&dc, argv, 0x4e4);
    ch_free(script);
}

static void test_differential_maven(void **state)
{
    (void)state;
    static const char *const tokens[] = {"-SNAPSHOT", ".0",  "-1", "a1", ".RC1", "-final", "-", ".",
                                         "sp",        "-ga", "0",  "x",  "-0",   "..",     "--"};
    const char *jar = "/usr/share/java/maven-artifact-3.x.jar";
    require_tool("/usr/bin/java", "java (openjdk-17-jdk-headless)");
    require_tool(jar, "maven-artifact (libmaven3-core-java)");
    char *src = oracle_path("MavenOracle.java");
    const struct diff_case dc = {"maven", gen_maven, tokens, CH_ARRAY_SIZE(tokens), false};
    const char *argv[] = {"/usr/bin/java", "-cp", jar, src, NULL};
    run_case(&dc, argv, 0x3a7e);
    ch_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential_semver_npm),
        cmocka_unit_test(test_differential_pep440),
        cmocka_unit_test(test_differential_dpkg),
        cmocka_unit_test(test_differential_dpkg_validity),
        cmocka_unit_test(test_differential_rpm),
        cmocka_unit_test(test_differential_maven),
    };
    return cmocka_run_group_tests_name("version differential", tests, NULL, NULL);
}
