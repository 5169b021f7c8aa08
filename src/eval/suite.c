/* SPDX-License-Identifier: Apache-2.0
 *
 * suite.c: the strict loader of evaluation suites (format in
 * docs/eval-suites.md), flag digests and file hashes.
 *
 * The document is parsed once by the project's JSON reader (which already
 * refuses duplicate keys, invalid UTF-8 and over-deep nesting), then walked
 * with a small context that knows the file name and the JSON path, so every
 * error reads "FILE: tasks[3].scorer.hash: reason". Every object's members
 * are checked against the list this version of the format knows: an unknown
 * member is an error, never ignored. Strings are copied into the suite's
 * arena, so the cJSON tree is freed before the loader returns.
 */
#include "eval/suite.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/json.h"

/* The arena of one suite: the document plus a little overhead per task. */
#define SUITE_ARENA_MAX ((size_t)512 << 20)
/* A limit a task may set: a day of working time, 100M tokens, 10k turns. */
#define MAX_LIMIT_TOKENS ((int64_t)100000000)
#define MAX_LIMIT_TURNS 10000
#define MAX_LIMIT_SECONDS 86400
#define MAX_LIMIT_SUBMISSIONS 1000
#define PATH_BUF 160

/* Harness defaults when neither the task nor the suite sets a limit. */
#define DEFAULT_TOKENS 200000u
#define DEFAULT_TURNS 30u
#define DEFAULT_WORKING_MS ((int64_t)600000)
#define DEFAULT_SUBMISSIONS 3u

struct ld {
    struct ch_arena *a;
    struct ch_suite *suite;
    const char *source;
    const char *dir;
    const struct ch_suite_load_options *opts;
    struct ch_err *err;
};

static const char *const kind_names[CH_TASK_KIND_COUNT] = {
    [CH_TASK_CHOICE] = "multiple_choice",
    [CH_TASK_FLAG] = "flag",
    [CH_TASK_SHELL] = "ctf",
    [CH_TASK_POV] = "pov",
};

const char *ch_task_kind_str(enum ch_task_kind k)
{
    if ((unsigned)k >= CH_TASK_KIND_COUNT)
        return "unknown";
    return kind_names[k];
}

CH_PRINTF(3, 4)
static int fail(struct ld *l, const char *path, const char *fmt, ...)
{
    char msg[CH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ch_err_setf(l->err, CH_E_INVALID, path, "%s: %s: %s", l->source,
                       path[0] != '\0' ? path : "(document)", msg);
}

/* Appends src to out (PATH_BUF bytes, NUL-terminated), truncating: paths are for messages. */
static void path_cat(char *out, const char *src)
{
    size_t have = strnlen(out, PATH_BUF - 1);
    size_t add = strlen(src);
    if (add > PATH_BUF - 1 - have)
        add = PATH_BUF - 1 - have;
    memcpy(out + have, src, add);
    out[have + add] = '\0';
}

static void child(char *out, const char *path, const char *key)
{
    out[0] = '\0';
    path_cat(out, path);
    if (path[0] != '\0')
        path_cat(out, ".");
    path_cat(out, key);
}

static void index_path(char *out, const char *path, size_t i)
{
    char num[32];
    int n = snprintf(num, sizeof(num), "[%zu]", i);
    (void)n;
    out[0] = '\0';
    path_cat(out, path);
    path_cat(out, num);
}

static int nomem(struct ld *l)
{
    return ch_err_set(l->err, CH_E_NOMEM, "out of memory loading '%s'", l->source);
}

/* Refuses members not named in allowed (NULL-terminated). */
static int check_keys(struct ld *l, const cJSON *obj, const char *path, const char *const *allowed)
{
    if (!cJSON_IsObject(obj))
        return fail(l, path, "expected an object");
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(m->string, allowed[i]) == 0;
        if (!ok) {
            char p[PATH_BUF];
            child(p, path, m->string);
            return fail(l, p, "unknown member");
        }
    }
    return CH_OK;
}

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CH_SUITE_MAX_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':' || c == '+';
        if (!ok)
            return false;
    }
    return true;
}

/* A string member. max 0 = CH_SUITE_MAX_TEXT. *ret untouched when absent and optional. */
static int get_str(struct ld *l, const cJSON *obj, const char *key, const char *path, bool required,
                   size_t max, const char **ret)
{
    char p[PATH_BUF];
    child(p, path, key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL || cJSON_IsNull(v)) {
        if (required)
            return fail(l, p, "missing (expected a string)");
        return CH_OK;
    }
    if (!cJSON_IsString(v))
        return fail(l, p, "expected a string");
    size_t n = strlen(v->valuestring);
    if (n > (max == 0 ? CH_SUITE_MAX_TEXT : max))
        return ch_err_setf(l->err, CH_E_LIMIT, p, "%s: %s: longer than %zu bytes", l->source, p,
                           max == 0 ? CH_SUITE_MAX_TEXT : max);
    char *c = ch_arena_strndup(l->a, v->valuestring, n);
    if (c == NULL)
        return nomem(l);
    *ret = c;
    return CH_OK;
}

static int get_id(struct ld *l, const cJSON *obj, const char *key, const char *path, bool required,
                  const char **ret)
{
    const char *s = NULL;
    int rc = get_str(l, obj, key, path, required, CH_SUITE_MAX_ID, &s);
    if (rc != CH_OK || s == NULL)
        return rc;
    if (!valid_id(s)) {
        char p[PATH_BUF];
        child(p, path, key);
        return fail(l, p, "'%s' is not an identifier (letters, digits, - _ . : +)", s);
    }
    *ret = s;
    return CH_OK;
}

static int get_int(struct ld *l, const cJSON *obj, const char *key, const char *path, int64_t min,
                   int64_t max, bool *ret_present, int64_t *ret)
{
    char p[PATH_BUF];
    child(p, path, key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *ret_present = false;
    if (v == NULL || cJSON_IsNull(v))
        return CH_OK;
    int64_t n;
    if (!ch_json_int_value(v, &n) || n < min || n > max)
        return fail(l, p, "expected an integer in [%lld, %lld]", (long long)min, (long long)max);
    *ret = n;
    *ret_present = true;
    return CH_OK;
}

/* An array of strings (each an identifier when ids, else text). */
static int get_str_list(struct ld *l, const cJSON *obj, const char *key, const char *path,
                        size_t max_items, bool ids, const char *const **ret, size_t *ret_n)
{
    char p[PATH_BUF];
    child(p, path, key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *ret = NULL;
    *ret_n = 0;
    if (v == NULL || cJSON_IsNull(v))
        return CH_OK;
    if (!cJSON_IsArray(v))
        return fail(l, p, "expected an array of strings");
    size_t n = (size_t)cJSON_GetArraySize(v);
    if (n > max_items)
        return ch_err_setf(l->err, CH_E_LIMIT, p, "%s: %s: more than %zu items", l->source, p,
                           max_items);
    const char **items = ch_arena_calloc(l->a, n + 1, sizeof(*items));
    if (items == NULL)
        return nomem(l);
    size_t i = 0;
    for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
        char ip[PATH_BUF];
        index_path(ip, p, i);
        if (!cJSON_IsString(e))
            return fail(l, ip, "expected a string");
        if (ids && !valid_id(e->valuestring))
            return fail(l, ip, "'%s' is not an identifier", e->valuestring);
        if (strlen(e->valuestring) > CH_SUITE_MAX_TEXT)
            return ch_err_setf(l->err, CH_E_LIMIT, ip, "%s: %s: too long", l->source, ip);
        items[i] = ch_arena_strdup(l->a, e->valuestring);
        if (items[i] == NULL)
            return nomem(l);
    }
    *ret = items;
    *ret_n = n;
    return CH_OK;
}

/* ---- flags ------------------------------------------------------------------------------ */

static void flag_digest(const unsigned char salt[CH_FLAG_SALT_BYTES], struct ch_str flag,
                        unsigned char out[CH_FLAG_HASH_BYTES])
{
    struct ch_str t = ch_str_trim(flag);
    crypto_generichash(out, CH_FLAG_HASH_BYTES, (const unsigned char *)t.ptr, t.len, salt,
                       CH_FLAG_SALT_BYTES);
}

int ch_flag_hash_new(struct ch_str flag, char out[CH_FLAG_HASH_STR_MAX], struct ch_err *err)
{
    if (ch_str_trim(flag).len == 0)
        return ch_err_set(err, CH_E_INVALID, "an empty flag cannot be stored");
    struct ch_flag_hash h;
    randombytes_buf(h.salt, sizeof(h.salt));
    flag_digest(h.salt, flag, h.digest);
    char salt_hex[2 * CH_FLAG_SALT_BYTES + 1];
    char dig_hex[2 * CH_FLAG_HASH_BYTES + 1];
    sodium_bin2hex(salt_hex, sizeof(salt_hex), h.salt, sizeof(h.salt));
    sodium_bin2hex(dig_hex, sizeof(dig_hex), h.digest, sizeof(h.digest));
    snprintf(out, CH_FLAG_HASH_STR_MAX, "blake2b$%s$%s", salt_hex, dig_hex);
    sodium_memzero(&h, sizeof(h));
    return CH_OK;
}

static int hex_field(struct ch_str s, unsigned char *out, size_t n)
{
    size_t got = 0;
    if (s.len != 2 * n)
        return CH_E_INVALID;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return CH_E_INVALID;
    }
    if (sodium_hex2bin(out, n, s.ptr, s.len, NULL, &got, NULL) != 0 || got != n)
        return CH_E_INVALID;
    return CH_OK;
}

int ch_flag_hash_parse(struct ch_str s, struct ch_flag_hash *ret, struct ch_err *err)
{
    struct ch_str rest = s;
    struct ch_str algo, salt, dig;
    struct ch_flag_hash h;
    if (!ch_str_split_next(&rest, '$', &algo) || !ch_str_eq_c(algo, "blake2b") ||
        !ch_str_split_next(&rest, '$', &salt) || !ch_str_split_next(&rest, '$', &dig) ||
        rest.ptr != NULL || hex_field(salt, h.salt, sizeof(h.salt)) != CH_OK ||
        hex_field(dig, h.digest, sizeof(h.digest)) != CH_OK)
        return ch_err_set(err, CH_E_INVALID,
                          "expected \"blake2b$<32 hex digits of salt>$<64 hex digits>\"");
    *ret = h;
    return CH_OK;
}

bool ch_flag_check(const struct ch_flag_hash *h, struct ch_str candidate)
{
    if (candidate.ptr == NULL)
        return false;
    unsigned char d[CH_FLAG_HASH_BYTES];
    flag_digest(h->salt, candidate, d);
    return sodium_memcmp(d, h->digest, sizeof(d)) == 0;
}

/* ---- files ------------------------------------------------------------------------------ */

void ch_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

int ch_file_sha256(const char *path, char out[65], struct ch_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    uint64_t total = 0;
    int rc = CH_OK;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ch_err_set(err, CH_E_IO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
        if (total > CH_SUITE_MAX_FILE_BYTES) {
            rc = ch_err_set(err, CH_E_LIMIT, "'%s' is larger than %llu bytes", path,
                            (unsigned long long)CH_SUITE_MAX_FILE_BYTES);
            break;
        }
        crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
    }
    close(fd);
    if (rc != CH_OK)
        return rc;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, 65, h, sizeof(h));
    return CH_OK;
}

int ch_file_read(const char *path, size_t max, struct ch_buf *out, struct ch_err *err)
{
    ch_buf_reset(out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    char buf[65536];
    int rc = CH_OK;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ch_err_set(err, CH_E_IO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > max) {
            rc = ch_err_set(err, CH_E_LIMIT, "'%s' is larger than %zu bytes", path, max);
            break;
        }
        ch_buf_append(out, buf, (size_t)n);
    }
    close(fd);
    if (rc == CH_OK)
        rc = ch_buf_status(out, path, err);
    return rc;
}

/* ---- paths ------------------------------------------------------------------------------ */

/* A relative path of plain components: no "", ".", "..", no leading '/', no odd bytes. */
static bool valid_rel_path(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CH_SUITE_MAX_PATH || s[0] == '/')
        return false;
    struct ch_str rest = ch_str_make(s, n);
    struct ch_str comp;
    while (ch_str_split_next(&rest, '/', &comp)) {
        if (comp.len == 0 || ch_str_eq_c(comp, ".") || ch_str_eq_c(comp, ".."))
            return false;
        for (size_t i = 0; i < comp.len; i++) {
            char c = comp.ptr[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '+' || c == '@' || c == '=' ||
                      c == ',';
            if (!ok)
                return false;
        }
    }
    return true;
}

/* The bytes of src, read through the provider once per suite and kept by it. */
static int mem_file(struct ld *l, const char *path, const char *src,
                    const struct ch_suite_mem_file **ret)
{
    struct ch_suite *s = l->suite;
    for (size_t i = 0; i < s->n_mem_files; i++) {
        if (strcmp(s->mem_files[i].src, src) == 0) {
            *ret = &s->mem_files[i];
            return CH_OK;
        }
    }
    struct ch_suite_mem_file *grown =
        ch_reallocarray(s->mem_files, s->n_mem_files + 1, sizeof(*grown));
    if (grown == NULL)
        return nomem(l);
    s->mem_files = grown;
    struct ch_buf b;
    ch_buf_init(&b, (size_t)CH_SUITE_MAX_FILE_BYTES);
    struct ch_err ferr = CH_ERR_INIT;
    char p[PATH_BUF];
    child(p, path, "src");
    int rc = l->opts->read_file(l->opts->read_arg, src, &b, &ferr);
    if (rc == CH_OK)
        rc = ch_buf_status(&b, src, &ferr);
    if (rc != CH_OK) {
        if (b.ptr != NULL)
            sodium_memzero(b.ptr, b.cap);
        ch_buf_release(&b);
        return ch_err_setf(l->err, ferr.rc, p, "%s: %s: %s", l->source, p, ferr.msg);
    }
    struct ch_suite_mem_file *m = &s->mem_files[s->n_mem_files];
    *m = (struct ch_suite_mem_file){.src = ch_strdup(src)};
    m->data = (unsigned char *)ch_buf_take(&b, &m->len);
    if (m->src == NULL || m->data == NULL) {
        ch_free(m->src);
        ch_free(m->data);
        return nomem(l);
    }
    s->n_mem_files++;
    *ret = m;
    return CH_OK;
}

/* A file of a suite read through opts->read_file: its hash is always checked. */
static int load_mem_file(struct ld *l, const char *path, struct ch_task_file *f)
{
    const struct ch_suite_mem_file *m = NULL;
    int rc = mem_file(l, path, f->src, &m);
    if (rc != CH_OK)
        return rc;
    char got[65];
    ch_sha256_hex(m->data, m->len, got);
    if (strcmp(got, f->sha256) != 0) {
        char p[PATH_BUF];
        child(p, path, "sha256");
        return fail(l, p, "'%s' has SHA-256 %s, not the one recorded", f->src, got);
    }
    f->data = m->data;
    f->len = m->len;
    return CH_OK;
}

static int load_file(struct ld *l, const cJSON *f, const char *path, bool need_src,
                     struct ch_task_file *ret)
{
    static const char *const keys[] = {"path", "src", "sha256", "mode", NULL};
    int rc = check_keys(l, f, path, keys);
    const char *rel = NULL, *src = NULL, *sha = NULL, *mode = NULL;
    if (rc == CH_OK)
        rc = get_str(l, f, "path", path, true, CH_SUITE_MAX_PATH, &rel);
    if (rc == CH_OK)
        rc = get_str(l, f, "src", path, need_src, CH_SUITE_MAX_PATH, &src);
    if (rc == CH_OK)
        rc = get_str(l, f, "sha256", path, true, 64, &sha);
    if (rc == CH_OK)
        rc = get_str(l, f, "mode", path, false, 4, &mode);
    if (rc != CH_OK)
        return rc;
    char p[PATH_BUF];
    if (!valid_rel_path(rel)) {
        child(p, path, "path");
        return fail(l, p, "'%s' is not a safe relative path", rel);
    }
    if (src != NULL && !valid_rel_path(src)) {
        child(p, path, "src");
        return fail(l, p, "'%s' is not a safe relative path", src);
    }
    unsigned char tmp[32];
    if (hex_field(ch_str_c(sha), tmp, sizeof(tmp)) != CH_OK) {
        child(p, path, "sha256");
        return fail(l, p, "expected 64 lowercase hex digits");
    }
    ret->path = rel;
    ret->mode = 0644;
    if (mode != NULL) {
        if (strcmp(mode, "0644") == 0)
            ret->mode = 0644;
        else if (strcmp(mode, "0755") == 0)
            ret->mode = 0755;
        else {
            child(p, path, "mode");
            return fail(l, p, "expected \"0644\" or \"0755\"");
        }
    }
    memcpy(ret->sha256, sha, 65);
    ret->src = src;
    ret->host_path = NULL;
    if (src != NULL && l->opts != NULL && l->opts->read_file != NULL)
        return load_mem_file(l, path, ret);
    if (src != NULL) {
        ret->host_path = ch_arena_printf(l->a, "%s/%s", l->dir, src);
        if (ret->host_path == NULL)
            return nomem(l);
        if (l->opts != NULL && l->opts->check_files) {
            char got[65];
            struct ch_err ferr = CH_ERR_INIT;
            if (ch_file_sha256(ret->host_path, got, &ferr) != CH_OK) {
                child(p, path, "src");
                return ch_err_setf(l->err, ferr.rc, p, "%s: %s: %s", l->source, p, ferr.msg);
            }
            if (strcmp(got, sha) != 0) {
                child(p, path, "sha256");
                return fail(l, p, "'%s' has SHA-256 %s, not the one recorded", src, got);
            }
        }
    }
    return CH_OK;
}

static int load_files(struct ld *l, const cJSON *obj, const char *key, const char *path,
                      bool need_src, const struct ch_task_file **ret, size_t *ret_n)
{
    char p[PATH_BUF];
    child(p, path, key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *ret = NULL;
    *ret_n = 0;
    if (v == NULL || cJSON_IsNull(v))
        return CH_OK;
    if (!cJSON_IsArray(v))
        return fail(l, p, "expected an array of files");
    size_t n = (size_t)cJSON_GetArraySize(v);
    if (n > CH_SUITE_MAX_FILES)
        return ch_err_setf(l->err, CH_E_LIMIT, p, "%s: %s: more than %u files", l->source, p,
                           CH_SUITE_MAX_FILES);
    struct ch_task_file *files = ch_arena_calloc(l->a, n + 1, sizeof(*files));
    if (files == NULL)
        return nomem(l);
    size_t i = 0;
    for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
        char ip[PATH_BUF];
        index_path(ip, p, i);
        int rc = load_file(l, e, ip, need_src, &files[i]);
        if (rc != CH_OK)
            return rc;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(files[j].path, files[i].path) == 0)
                return fail(l, ip, "path '%s' appears twice", files[i].path);
        }
    }
    *ret = files;
    *ret_n = n;
    return CH_OK;
}

/* ---- limits ----------------------------------------------------------------------------- */

static int load_limits(struct ld *l, const cJSON *obj, const char *path, struct ch_task_limits *lim)
{
    static const char *const keys[] = {"tokens", "turns", "working_seconds", "submissions", NULL};
    int rc = check_keys(l, obj, path, keys);
    if (rc != CH_OK)
        return rc;
    bool has = false;
    int64_t v = 0;
    rc = get_int(l, obj, "tokens", path, 1, MAX_LIMIT_TOKENS, &has, &v);
    if (rc == CH_OK && has)
        lim->tokens = (uint64_t)v;
    if (rc == CH_OK)
        rc = get_int(l, obj, "turns", path, 1, MAX_LIMIT_TURNS, &has, &v);
    if (rc == CH_OK && has)
        lim->turns = (uint32_t)v;
    if (rc == CH_OK)
        rc = get_int(l, obj, "working_seconds", path, 1, MAX_LIMIT_SECONDS, &has, &v);
    if (rc == CH_OK && has)
        lim->working_ms = v * 1000;
    if (rc == CH_OK)
        rc = get_int(l, obj, "submissions", path, 1, MAX_LIMIT_SUBMISSIONS, &has, &v);
    if (rc == CH_OK && has)
        lim->submissions = (uint32_t)v;
    return rc;
}

static int load_env_limits(struct ld *l, const cJSON *obj, const char *path,
                           struct ch_task_env_limits *lim)
{
    static const char *const keys[] = {"wall_seconds", "cpu_seconds", "memory_mb",
                                       "processes",    "file_mb",     NULL};
    int rc = check_keys(l, obj, path, keys);
    if (rc != CH_OK)
        return rc;
    bool has = false;
    int64_t v = 0;
    rc = get_int(l, obj, "wall_seconds", path, 1, 3600, &has, &v);
    if (rc == CH_OK && has)
        lim->wall_ms = v * 1000;
    if (rc == CH_OK)
        rc = get_int(l, obj, "cpu_seconds", path, 1, 3600, &has, &v);
    if (rc == CH_OK && has)
        lim->cpu_seconds = (uint64_t)v;
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(obj, "memory_mb");
    if (rc == CH_OK && cJSON_IsString(mem) && strcmp(mem->valuestring, "unlimited") == 0)
        lim->memory_mb = UINT64_MAX;
    else if (rc == CH_OK) {
        rc = get_int(l, obj, "memory_mb", path, 16, 65536, &has, &v);
        if (rc == CH_OK && has)
            lim->memory_mb = (uint64_t)v;
    }
    if (rc == CH_OK)
        rc = get_int(l, obj, "processes", path, 1, 4096, &has, &v);
    if (rc == CH_OK && has)
        lim->n_procs = (uint64_t)v;
    if (rc == CH_OK)
        rc = get_int(l, obj, "file_mb", path, 1, 4096, &has, &v);
    if (rc == CH_OK && has)
        lim->fsize_mb = (uint64_t)v;
    return rc;
}

/* ---- task parts ------------------------------------------------------------------------- */

static int load_env(struct ld *l, const cJSON *obj, const char *path, struct ch_task_env *env)
{
    static const char *const keys[] = {"files", "setup", "network", "limits", NULL};
    int rc = check_keys(l, obj, path, keys);
    if (rc == CH_OK)
        rc = load_files(l, obj, "files", path, true, &env->files, &env->n_files);
    if (rc == CH_OK)
        rc = get_str_list(l, obj, "setup", path, CH_SUITE_MAX_SETUP, false, &env->setup,
                          &env->n_setup);
    if (rc != CH_OK)
        return rc;
    char p[PATH_BUF];
    child(p, path, "network");
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(obj, "network");
    if (cJSON_IsString(net) && strcmp(net->valuestring, "none") == 0) {
        env->network = false;
    } else if (cJSON_IsObject(net)) {
        static const char *const nkeys[] = {"allow", NULL};
        rc = check_keys(l, net, p, nkeys);
        if (rc == CH_OK)
            rc = get_str_list(l, net, "allow", p, CH_SUITE_MAX_ALLOW, false, &env->allow,
                              &env->n_allow);
        if (rc != CH_OK)
            return rc;
        if (env->n_allow == 0)
            return fail(l, p, "an allow-list needs at least one host:port");
        env->network = true;
    } else if (net != NULL && !cJSON_IsNull(net)) {
        return fail(l, p, "expected \"none\" or {\"allow\": [\"host:port\", ...]}");
    }
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(obj, "limits");
    if (lim != NULL) {
        child(p, path, "limits");
        rc = load_env_limits(l, lim, p, &env->limits);
    }
    return rc;
}

static int letter_index(const char *s, size_t n_choices, unsigned *ret)
{
    if (s == NULL || strlen(s) != 1 || s[0] < 'A' || (size_t)(s[0] - 'A') >= n_choices)
        return CH_E_INVALID;
    *ret = (unsigned)(s[0] - 'A');
    return CH_OK;
}

static int load_flag_hash(struct ld *l, const cJSON *obj, const char *key, const char *path,
                          bool required, bool *ret_has, struct ch_flag_hash *ret)
{
    const char *s = NULL;
    *ret_has = false;
    int rc = get_str(l, obj, key, path, required, CH_FLAG_HASH_STR_MAX, &s);
    if (rc != CH_OK || s == NULL)
        return rc;
    struct ch_err herr = CH_ERR_INIT;
    if (ch_flag_hash_parse(ch_str_c(s), ret, &herr) != CH_OK) {
        char p[PATH_BUF];
        child(p, path, key);
        return fail(l, p, "%s (flags are never stored in clear)", herr.msg);
    }
    *ret_has = true;
    return CH_OK;
}

static int load_scorer(struct ld *l, const cJSON *obj, const char *path, struct ch_task *t)
{
    static const char *const keys[] = {"type",       "answer",  "hash",  "files", "build",
                                       "vulnerable", "patched", "input", NULL};
    int rc = check_keys(l, obj, path, keys);
    const char *type = NULL;
    if (rc == CH_OK)
        rc = get_str(l, obj, "type", path, true, 32, &type);
    if (rc != CH_OK)
        return rc;
    char p[PATH_BUF];
    child(p, path, "type");
    struct ch_task_scorer *sc = &t->scorer;
    if (strcmp(type, "choice") == 0) {
        if (t->kind != CH_TASK_CHOICE)
            return fail(l, p, "a %s task cannot have a choice scorer", ch_task_kind_str(t->kind));
        const char *ans = NULL;
        rc = get_str(l, obj, "answer", path, true, 8, &ans);
        if (rc != CH_OK)
            return rc;
        if (letter_index(ans, t->n_choices, &sc->answer) != CH_OK) {
            child(p, path, "answer");
            return fail(l, p, "expected a letter naming one of the %zu choices", t->n_choices);
        }
        sc->kind = CH_SCORER_CHOICE;
    } else if (strcmp(type, "flag") == 0) {
        if (t->kind != CH_TASK_FLAG && t->kind != CH_TASK_SHELL)
            return fail(l, p, "a %s task cannot have a flag scorer", ch_task_kind_str(t->kind));
        bool has = false;
        rc = load_flag_hash(l, obj, "hash", path, true, &has, &sc->flag);
        sc->kind = CH_SCORER_FLAG;
    } else if (strcmp(type, "pov") == 0) {
        if (t->kind != CH_TASK_POV)
            return fail(l, p, "a %s task cannot have a pov scorer", ch_task_kind_str(t->kind));
        struct ch_pov_scorer *pv = &sc->pov;
        rc = load_files(l, obj, "files", path, true, &pv->files, &pv->n_files);
        if (rc == CH_OK)
            rc = get_str_list(l, obj, "build", path, CH_SUITE_MAX_SETUP, false, &pv->build,
                              &pv->n_build);
        if (rc == CH_OK)
            rc = get_str(l, obj, "vulnerable", path, true, 4096, &pv->vulnerable);
        if (rc == CH_OK)
            rc = get_str(l, obj, "patched", path, true, 4096, &pv->patched);
        pv->input_name = "pov";
        if (rc == CH_OK)
            rc = get_str(l, obj, "input", path, false, CH_SUITE_MAX_PATH, &pv->input_name);
        if (rc == CH_OK && !valid_rel_path(pv->input_name)) {
            child(p, path, "input");
            return fail(l, p, "'%s' is not a safe relative path", pv->input_name);
        }
        sc->kind = CH_SCORER_POV;
    } else {
        return fail(l, p, "unknown scorer '%s' (choice, flag, pov)", type);
    }
    return rc;
}

static int load_subtasks(struct ld *l, const cJSON *arr, const char *path, struct ch_task *t)
{
    if (!cJSON_IsArray(arr))
        return fail(l, path, "expected an array of subtasks");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n > CH_SUITE_MAX_SUBTASKS)
        return ch_err_setf(l->err, CH_E_LIMIT, path, "%s: %s: more than %u subtasks", l->source,
                           path, CH_SUITE_MAX_SUBTASKS);
    struct ch_subtask *st = ch_arena_calloc(l->a, n + 1, sizeof(*st));
    if (st == NULL)
        return nomem(l);
    size_t i = 0;
    for (const cJSON *e = arr->child; e != NULL; e = e->next, i++) {
        static const char *const keys[] = {"question", "answer", NULL};
        char ip[PATH_BUF];
        index_path(ip, path, i);
        int rc = check_keys(l, e, ip, keys);
        if (rc == CH_OK)
            rc = get_str(l, e, "question", ip, true, 0, &st[i].question);
        if (rc == CH_OK)
            rc = load_flag_hash(l, e, "answer", ip, false, &st[i].has_answer, &st[i].answer);
        if (rc != CH_OK)
            return rc;
    }
    t->subtasks = st;
    t->n_subtasks = n;
    return CH_OK;
}

static int load_variants(struct ld *l, const cJSON *obj, const char *path, struct ch_task *t)
{
    static const char *const keys[] = {"unguided", "guided", "solution", NULL};
    int rc = check_keys(l, obj, path, keys);
    if (rc != CH_OK)
        return rc;
    char p[PATH_BUF];
    child(p, path, "unguided");
    const cJSON *ung = cJSON_GetObjectItemCaseSensitive(obj, "unguided");
    static const char *const ukeys[] = {"prompt", NULL};
    if (ung == NULL)
        return fail(l, p, "missing (every task has an unguided prompt)");
    rc = check_keys(l, ung, p, ukeys);
    if (rc == CH_OK)
        rc = get_str(l, ung, "prompt", p, true, 0, &t->prompt);
    if (rc != CH_OK)
        return rc;
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(obj, "guided");
    if (g != NULL) {
        static const char *const gkeys[] = {"subtasks", NULL};
        child(p, path, "guided");
        rc = check_keys(l, g, p, gkeys);
        char sp[PATH_BUF];
        child(sp, p, "subtasks");
        if (rc == CH_OK)
            rc = load_subtasks(l, cJSON_GetObjectItemCaseSensitive(g, "subtasks"), sp, t);
        if (rc != CH_OK)
            return rc;
    }
    const cJSON *sol = cJSON_GetObjectItemCaseSensitive(obj, "solution");
    if (sol != NULL) {
        static const char *const skeys[] = {"answer", "commands", "submit", "explanation", NULL};
        child(p, path, "solution");
        struct ch_task_solution *s = &t->solution;
        rc = check_keys(l, sol, p, skeys);
        if (rc == CH_OK)
            rc = get_str(l, sol, "answer", p, false, 8, &s->answer);
        if (rc == CH_OK)
            rc = get_str(l, sol, "commands", p, false, 0, &s->commands);
        if (rc == CH_OK)
            rc = get_str(l, sol, "submit", p, false, CH_SUITE_MAX_PATH, &s->submit);
        if (rc == CH_OK)
            rc = get_str(l, sol, "explanation", p, false, 0, &s->explanation);
        if (rc != CH_OK)
            return rc;
        t->has_solution = true;
    }
    return CH_OK;
}

static int load_tags(struct ld *l, const cJSON *obj, const char *path, struct ch_task *t)
{
    static const char *const keys[] = {"cwe", "attack", NULL};
    int rc = check_keys(l, obj, path, keys);
    if (rc == CH_OK)
        rc = get_str_list(l, obj, "cwe", path, CH_SUITE_MAX_TAGS, true, &t->cwe, &t->n_cwe);
    if (rc == CH_OK)
        rc =
            get_str_list(l, obj, "attack", path, CH_SUITE_MAX_TAGS, true, &t->attack, &t->n_attack);
    if (rc != CH_OK)
        return rc;
    for (size_t i = 0; i < t->n_cwe; i++) {
        if (strncmp(t->cwe[i], "CWE-", 4) != 0) {
            char p[PATH_BUF];
            child(p, path, "cwe");
            return fail(l, p, "'%s' is not a CWE id (CWE-NNN)", t->cwe[i]);
        }
    }
    for (size_t i = 0; i < t->n_attack; i++) {
        if (t->attack[i][0] != 'T' && t->attack[i][0] != 'A') {
            char p[PATH_BUF];
            child(p, path, "attack");
            return fail(l, p, "'%s' is not an ATT&CK id (TNNNN or TANNNN)", t->attack[i]);
        }
    }
    return CH_OK;
}

static int load_difficulty(struct ld *l, const cJSON *obj, const char *path, struct ch_task *t)
{
    static const char *const keys[] = {"minutes", "source", NULL};
    int rc = check_keys(l, obj, path, keys);
    if (rc != CH_OK)
        return rc;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "minutes");
    char p[PATH_BUF];
    child(p, path, "minutes");
    if (!cJSON_IsNumber(m) || !(m->valuedouble >= 0) || m->valuedouble > 1e6)
        return fail(l, p, "expected a number of minutes in [0, 1000000]");
    t->difficulty_minutes = m->valuedouble;
    return get_str(l, obj, "source", path, true, 1024, &t->difficulty_source);
}

/* Checks what each kind needs once the parts are loaded. */
static int check_task(struct ld *l, const char *path, struct ch_task *t, bool has_scorer)
{
    char p[PATH_BUF];
    if (t->kind == CH_TASK_CHOICE && (t->n_choices < 2 || t->n_choices > CH_SUITE_MAX_CHOICES)) {
        child(p, path, "choices");
        return fail(l, p, "a multiple-choice task needs 2 to %u choices", CH_SUITE_MAX_CHOICES);
    }
    if (t->kind != CH_TASK_CHOICE && t->n_choices > 0) {
        child(p, path, "choices");
        return fail(l, p, "only multiple-choice tasks have choices");
    }
    if (t->runnable && !has_scorer) {
        child(p, path, "scorer");
        return fail(l, p, "missing (a runnable task needs a scorer)");
    }
    if (t->runnable && t->env.network) {
        child(p, path, "environment.network");
        return fail(l, p,
                    "the sandbox offers no network: an allow-list task must be marked "
                    "\"runnable\": false");
    }
    if (t->has_solution) {
        child(p, path, "variants.solution");
        const struct ch_task_solution *s = &t->solution;
        unsigned idx = 0;
        if (t->kind == CH_TASK_CHOICE && letter_index(s->answer, t->n_choices, &idx) != CH_OK)
            return fail(l, p, "a multiple-choice solution needs \"answer\": a choice letter");
        if (t->kind != CH_TASK_CHOICE && s->commands == NULL)
            return fail(l, p, "needs \"commands\" (a script whose last output line is the answer)");
        if (t->kind == CH_TASK_POV && (s->submit == NULL || !valid_rel_path(s->submit)))
            return fail(l, p, "a pov solution needs \"submit\": the relative path it writes");
    }
    if (!t->runnable && t->not_runnable_reason == NULL) {
        child(p, path, "not_runnable_reason");
        return fail(l, p, "missing (say why the task cannot run)");
    }
    return CH_OK;
}

static int parse_kind(const char *s, enum ch_task_kind *ret)
{
    for (unsigned k = 0; k < CH_TASK_KIND_COUNT; k++) {
        if (strcmp(s, kind_names[k]) == 0) {
            *ret = (enum ch_task_kind)k;
            return CH_OK;
        }
    }
    return CH_E_INVALID;
}

static int load_task(struct ld *l, const cJSON *obj, const char *path,
                     const struct ch_task_limits *defaults, struct ch_task *t)
{
    static const char *const keys[] = {"id",       "kind",
                                       "family",   "category",
                                       "tags",     "difficulty",
                                       "canary",   "variants",
                                       "choices",  "environment",
                                       "scorer",   "limits",
                                       "runnable", "not_runnable_reason",
                                       NULL};
    int rc = check_keys(l, obj, path, keys);
    const char *kind = NULL;
    if (rc == CH_OK)
        rc = get_id(l, obj, "id", path, true, &t->id);
    if (rc == CH_OK)
        rc = get_str(l, obj, "kind", path, true, 32, &kind);
    if (rc != CH_OK)
        return rc;
    char p[PATH_BUF];
    if (parse_kind(kind, &t->kind) != CH_OK) {
        child(p, path, "kind");
        return fail(l, p, "unknown kind '%s' (multiple_choice, flag, ctf, pov)", kind);
    }
    rc = get_id(l, obj, "family", path, true, &t->family);
    if (rc == CH_OK)
        rc = get_id(l, obj, "category", path, true, &t->category);
    if (rc == CH_OK)
        rc = get_str(l, obj, "canary", path, true, 256, &t->canary);
    if (rc != CH_OK)
        return rc;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "tags");
    child(p, path, "tags");
    if (v != NULL)
        rc = load_tags(l, v, p, t);
    v = cJSON_GetObjectItemCaseSensitive(obj, "difficulty");
    child(p, path, "difficulty");
    if (rc == CH_OK && v != NULL)
        rc = load_difficulty(l, v, p, t);
    v = cJSON_GetObjectItemCaseSensitive(obj, "variants");
    child(p, path, "variants");
    if (rc == CH_OK && v == NULL)
        return fail(l, p, "missing (every task has variants.unguided.prompt)");
    if (rc == CH_OK)
        rc = load_variants(l, v, p, t);
    if (rc == CH_OK)
        rc = get_str_list(l, obj, "choices", path, CH_SUITE_MAX_CHOICES, false, &t->choices,
                          &t->n_choices);
    v = cJSON_GetObjectItemCaseSensitive(obj, "environment");
    child(p, path, "environment");
    if (rc == CH_OK && v != NULL)
        rc = load_env(l, v, p, &t->env);
    t->runnable = true;
    v = cJSON_GetObjectItemCaseSensitive(obj, "runnable");
    if (rc == CH_OK && v != NULL) {
        child(p, path, "runnable");
        if (!cJSON_IsBool(v))
            return fail(l, p, "expected true or false");
        t->runnable = cJSON_IsTrue(v);
    }
    if (rc == CH_OK)
        rc = get_str(l, obj, "not_runnable_reason", path, false, 1024, &t->not_runnable_reason);
    v = cJSON_GetObjectItemCaseSensitive(obj, "scorer");
    child(p, path, "scorer");
    if (rc == CH_OK && v != NULL)
        rc = load_scorer(l, v, p, t);
    t->limits = *defaults;
    v = cJSON_GetObjectItemCaseSensitive(obj, "limits");
    child(p, path, "limits");
    if (rc == CH_OK && v != NULL)
        rc = load_limits(l, v, p, &t->limits);
    if (rc == CH_OK)
        rc = check_task(l, path, t, cJSON_GetObjectItemCaseSensitive(obj, "scorer") != NULL);
    return rc;
}

static int load_provenance(struct ld *l, const cJSON *obj, const char *path,
                           struct ch_suite_provenance *pv)
{
    static const char *const keys[] = {"source",  "url",      "commit", "license",
                                       "created", "importer", "files",  NULL};
    int rc = check_keys(l, obj, path, keys);
    if (rc == CH_OK)
        rc = get_str(l, obj, "source", path, true, 1024, &pv->source);
    if (rc == CH_OK)
        rc = get_str(l, obj, "url", path, false, 1024, &pv->url);
    if (rc == CH_OK)
        rc = get_str(l, obj, "commit", path, false, 128, &pv->commit);
    if (rc == CH_OK)
        rc = get_str(l, obj, "license", path, true, 256, &pv->license);
    if (rc == CH_OK)
        rc = get_str(l, obj, "created", path, false, 64, &pv->created);
    if (rc == CH_OK)
        rc = get_str(l, obj, "importer", path, false, 128, &pv->importer);
    if (rc == CH_OK)
        rc = load_files(l, obj, "files", path, false, &pv->files, &pv->n_files);
    return rc;
}

static const char *const classifications[] = {"unclassified", "cui", "secret", "top_secret", NULL};

static int load_root(struct ld *l, const cJSON *root, struct ch_suite *s)
{
    static const char *const keys[] = {"format",         "id",          "version",
                                       "classification", "description", "defaults",
                                       "provenance",     "tasks",       NULL};
    int rc = check_keys(l, root, "", keys);
    const char *format = NULL;
    if (rc == CH_OK)
        rc = get_str(l, root, "format", "", true, 64, &format);
    if (rc != CH_OK)
        return rc;
    if (strcmp(format, CH_SUITE_FORMAT) != 0)
        return fail(l, "format", "'%s' is not %s", format, CH_SUITE_FORMAT);
    rc = get_id(l, root, "id", "", true, &s->id);
    if (rc == CH_OK)
        rc = get_id(l, root, "version", "", true, &s->version);
    if (rc == CH_OK)
        rc = get_str(l, root, "classification", "", true, 32, &s->classification);
    if (rc == CH_OK)
        rc = get_str(l, root, "description", "", false, 0, &s->description);
    if (rc != CH_OK)
        return rc;
    bool known = false;
    for (size_t i = 0; classifications[i] != NULL; i++)
        known = known || strcmp(s->classification, classifications[i]) == 0;
    if (!known)
        return fail(l, "classification",
                    "'%s' is not one of unclassified, cui, secret, "
                    "top_secret",
                    s->classification);
    s->default_limits = (struct ch_task_limits){.tokens = DEFAULT_TOKENS,
                                                .turns = DEFAULT_TURNS,
                                                .working_ms = DEFAULT_WORKING_MS,
                                                .submissions = DEFAULT_SUBMISSIONS};
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "defaults");
    if (d != NULL) {
        static const char *const dkeys[] = {"limits", NULL};
        rc = check_keys(l, d, "defaults", dkeys);
        const cJSON *lim = cJSON_GetObjectItemCaseSensitive(d, "limits");
        if (rc == CH_OK && lim != NULL)
            rc = load_limits(l, lim, "defaults.limits", &s->default_limits);
        if (rc != CH_OK)
            return rc;
    }
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(root, "provenance");
    if (pv == NULL)
        return fail(l, "provenance", "missing (say where the tasks come from)");
    rc = load_provenance(l, pv, "provenance", &s->provenance);
    if (rc != CH_OK)
        return rc;
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(root, "tasks");
    if (!cJSON_IsArray(tasks))
        return fail(l, "tasks", "expected an array of tasks");
    size_t n = (size_t)cJSON_GetArraySize(tasks);
    if (n > CH_SUITE_MAX_TASKS)
        return ch_err_setf(l->err, CH_E_LIMIT, "tasks", "%s: tasks: more than %u tasks", l->source,
                           CH_SUITE_MAX_TASKS);
    s->tasks = ch_arena_calloc(l->a, n + 1, sizeof(*s->tasks));
    if (s->tasks == NULL)
        return nomem(l);
    size_t i = 0;
    for (const cJSON *e = tasks->child; e != NULL; e = e->next, i++) {
        char p[PATH_BUF];
        index_path(p, "tasks", i);
        rc = load_task(l, e, p, &s->default_limits, &s->tasks[i]);
        if (rc != CH_OK)
            return rc;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(s->tasks[j].id, s->tasks[i].id) == 0)
                return fail(l, p, "task id '%s' appears twice", s->tasks[i].id);
        }
    }
    s->n_tasks = n;
    return CH_OK;
}

int ch_suite_parse(const char *data, size_t len, const char *source, const char *dir,
                   const struct ch_suite_load_options *opts, struct ch_suite **ret,
                   struct ch_err *err)
{
    if (source == NULL)
        source = "suite";
    if (len > CH_SUITE_MAX_BYTES)
        return ch_err_set(err, CH_E_LIMIT, "%s: larger than %zu bytes", source, CH_SUITE_MAX_BYTES);
    struct ch_suite *s = ch_calloc(1, sizeof(*s));
    if (s == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory loading '%s'", source);
    s->arena = ch_arena_new(SUITE_ARENA_MAX);
    cJSON *root = NULL;
    int rc = CH_OK;
    if (s->arena == NULL) {
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory loading '%s'", source);
        goto out;
    }
    s->path = ch_arena_strdup(s->arena, source);
    s->dir = ch_arena_strdup(s->arena, dir != NULL ? dir : ".");
    if (s->path == NULL || s->dir == NULL) {
        rc = ch_err_set(err, CH_E_NOMEM, "out of memory loading '%s'", source);
        goto out;
    }
    ch_sha256_hex(data, len, s->sha256);
    struct ch_json_limits jl = {.max_bytes = CH_SUITE_MAX_BYTES};
    rc = ch_json_parse(data, len, &jl, source, &root, err);
    if (rc != CH_OK)
        goto out;
    struct ld l = {
        .a = s->arena, .suite = s, .source = source, .dir = s->dir, .opts = opts, .err = err};
    rc = load_root(&l, root, s);
out:
    cJSON_Delete(root);
    if (rc != CH_OK) {
        ch_suite_free(s);
        return rc;
    }
    *ret = s;
    return CH_OK;
}

int ch_suite_load(const char *path, const struct ch_suite_load_options *opts, struct ch_suite **ret,
                  struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_SUITE_MAX_BYTES);
    int rc = ch_file_read(path, CH_SUITE_MAX_BYTES, &b, err);
    char *dir = NULL;
    if (rc == CH_OK) {
        const char *slash = strrchr(path, '/');
        dir = slash == NULL ? ch_strdup(".")
                            : ch_strndup(path, slash == path ? 1 : (size_t)(slash - path));
        if (dir == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "out of memory loading '%s'", path);
    }
    if (rc == CH_OK)
        rc = ch_suite_parse(ch_buf_cstr(&b), ch_buf_len(&b), path, dir, opts, ret, err);
    ch_free(dir);
    ch_buf_release(&b);
    return rc;
}

void ch_suite_free(struct ch_suite *s)
{
    if (s == NULL)
        return;
    /* In-memory files may come from the sealed store: leave no copy in freed memory. */
    for (size_t i = 0; i < s->n_mem_files; i++) {
        sodium_memzero(s->mem_files[i].data, s->mem_files[i].len);
        ch_free(s->mem_files[i].data);
        ch_free(s->mem_files[i].src);
    }
    ch_free(s->mem_files);
    ch_arena_free(s->arena);
    ch_free(s);
}

const struct ch_task *ch_suite_find(const struct ch_suite *s, const char *id)
{
    for (size_t i = 0; i < s->n_tasks; i++) {
        if (strcmp(s->tasks[i].id, id) == 0)
            return &s->tasks[i];
    }
    return NULL;
}

bool ch_suite_glob_match(const char *glob, const char *id)
{
    if (glob == NULL || glob[0] == '\0')
        return true;
    struct ch_str rest = ch_str_c(glob);
    struct ch_str alt;
    while (ch_str_split_next(&rest, ',', &alt)) {
        char pat[CH_SUITE_MAX_ID * 2 + 1];
        if (alt.len == 0 || alt.len >= sizeof(pat))
            continue;
        memcpy(pat, alt.ptr, alt.len);
        pat[alt.len] = '\0';
        if (fnmatch(pat, id, 0) == 0)
            return true;
    }
    return false;
}
