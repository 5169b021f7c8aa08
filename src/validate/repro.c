/* SPDX-License-Identifier: Apache-2.0
 *
 * repro.c: reproduction of a finding in the sandbox (see repro.h).
 */
#include "validate/repro.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"

/* Parse arena of one recipe: the recipe is at most 64 KiB of JSON. */
#define RECIPE_ARENA_MAX ((size_t)1 << 20)
/* Address space of build commands: compilers and linkers, not ASan programs. */
#define BUILD_AS_BYTES ((uint64_t)4 << 30)
/* Files a build may write (objects, executables with debug information). */
#define BUILD_FSIZE_BYTES ((uint64_t)256 << 20)
/* Output a build command may print before it is cut (the log keeps the tail). */
#define BUILD_OUTPUT_BYTES ((size_t)256 << 10)
/* Nesting when removing a work directory (paths are at most CH_REPRO_MAX_DEPTH deep, plus build
 * output). */
#define RMTREE_MAX_DEPTH 32
/*
 * Defaults for sanitized programs: ASan cannot start under RLIMIT_AS, so its
 * own RSS limit bounds memory; LeakSanitizer needs ptrace (denied); UBSan
 * stops at the first report and prints a stack for the signature.
 */
static const char *const default_env[] = {
    "ASAN_OPTIONS=detect_leaks=0:hard_rss_limit_mb=1024:allocator_may_return_null=0",
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1",
    "MSAN_OPTIONS=halt_on_error=1",
};

const char *ch_repro_outcome_str(enum ch_repro_outcome o)
{
    switch (o) {
    case CH_REPRO_REPRODUCED:
        return "reproduced";
    case CH_REPRO_FLAKY:
        return "flaky";
    case CH_REPRO_NOT_REPRODUCED:
        return "not_reproduced";
    case CH_REPRO_INVALID_RECIPE:
        return "invalid_recipe";
    }
    return "unknown";
}

int ch_crash_class_parse(const char *name, enum ch_crash_class *ret)
{
    for (int c = 0; c < CH_CRASH_COUNT; c++) {
        if (strcmp(ch_crash_class_str((enum ch_crash_class)c), name) == 0) {
            *ret = (enum ch_crash_class)c;
            return CH_OK;
        }
    }
    return CH_E_INVALID;
}

/* ---- recipe ---------------------------------------------------------------------------- */

static int argv_from_json(struct ch_arena *a, const cJSON *arr, const char *path,
                          const char *const **ret, struct ch_err *err)
{
    if (!cJSON_IsArray(arr))
        return ch_err_setf(err, CH_E_INVALID, path,
                           "recipe: field '%s': expected an array of strings", path);
    int n = cJSON_GetArraySize(arr);
    if (n < 1)
        return ch_err_setf(err, CH_E_INVALID, path, "recipe: field '%s': empty command", path);
    if (n > CH_REPRO_MAX_ARGS)
        return ch_err_setf(err, CH_E_LIMIT, path, "recipe: field '%s': more than %d arguments",
                           path, CH_REPRO_MAX_ARGS);
    const char **v = ch_arena_calloc(a, (size_t)n + 1, sizeof(*v));
    if (v == NULL)
        return ch_err_set(err, CH_E_NOMEM, "recipe: out of memory");
    int i = 0;
    for (const cJSON *x = arr->child; x != NULL; x = x->next, i++) {
        if (!cJSON_IsString(x) || x->valuestring[0] == '\0')
            return ch_err_setf(err, CH_E_INVALID, path,
                               "recipe: field '%s[%d]': expected a non-empty string", path, i);
        if (strlen(x->valuestring) > CH_REPRO_MAX_ARG_BYTES)
            return ch_err_setf(err, CH_E_LIMIT, path,
                               "recipe: field '%s[%d]': longer than %d bytes", path, i,
                               CH_REPRO_MAX_ARG_BYTES);
        v[i] = ch_arena_strdup(a, x->valuestring);
        if (v[i] == NULL)
            return ch_err_set(err, CH_E_NOMEM, "recipe: out of memory");
    }
    *ret = v;
    return CH_OK;
}

static bool env_name_ok(const char *s)
{
    const char *eq = strchr(s, '=');
    if (eq == NULL || eq == s)
        return false;
    for (const char *p = s; p < eq; p++) {
        bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
                  (p > s && *p >= '0' && *p <= '9');
        if (!ok)
            return false;
    }
    return true;
}

static int parse_expect(struct ch_recipe *r, const cJSON *ex, struct ch_err *err)
{
    if (!cJSON_IsObject(ex) || ex->child == NULL || ex->child->next != NULL)
        return ch_err_setf(err, CH_E_INVALID, "expect",
                           "recipe: field 'expect': expected an object with one of 'crash', "
                           "'exit_code', 'output'");
    const cJSON *v = ex->child;
    if (strcmp(v->string, "crash") == 0) {
        if (!cJSON_IsString(v))
            return ch_err_setf(err, CH_E_INVALID, "expect.crash",
                               "recipe: field 'expect.crash': expected a crash class or \"any\"");
        r->expect = CH_REPRO_EXPECT_CRASH;
        if (strcmp(v->valuestring, "any") == 0) {
            r->crash = CH_CRASH_COUNT;
            return CH_OK;
        }
        if (ch_crash_class_parse(v->valuestring, &r->crash) != CH_OK || r->crash == CH_CRASH_NONE)
            return ch_err_setf(err, CH_E_INVALID, "expect.crash",
                               "recipe: field 'expect.crash': unknown crash class '%.64s'",
                               v->valuestring);
        return CH_OK;
    }
    if (strcmp(v->string, "exit_code") == 0) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 255 ||
            v->valuedouble != (double)(int)v->valuedouble)
            return ch_err_setf(err, CH_E_INVALID, "expect.exit_code",
                               "recipe: field 'expect.exit_code': expected an integer 0-255");
        r->expect = CH_REPRO_EXPECT_EXIT;
        r->exit_code = (int)v->valuedouble;
        return CH_OK;
    }
    if (strcmp(v->string, "output") == 0) {
        if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
            strlen(v->valuestring) > CH_REPRO_MAX_ARG_BYTES)
            return ch_err_setf(err, CH_E_INVALID, "expect.output",
                               "recipe: field 'expect.output': expected a non-empty string");
        r->expect = CH_REPRO_EXPECT_OUTPUT;
        r->output = ch_arena_strdup(r->arena, v->valuestring);
        return r->output != NULL ? CH_OK : ch_err_set(err, CH_E_NOMEM, "recipe: out of memory");
    }
    return ch_err_setf(err, CH_E_INVALID, "expect",
                       "recipe: field 'expect': unknown expectation '%.64s' (crash, exit_code, "
                       "output)",
                       v->string);
}

static int parse_seconds(const cJSON *obj, const char *key, int64_t max, int64_t *ret,
                         struct ch_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL)
        return CH_OK;
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > (double)max ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return ch_err_setf(err, CH_E_INVALID, "timeout_seconds",
                           "recipe: field 'timeout_seconds.%s': expected an integer 1-%lld", key,
                           (long long)max);
    *ret = (int64_t)v->valuedouble;
    return CH_OK;
}

static int recipe_fill(struct ch_recipe *r, const cJSON *root, struct ch_err *err)
{
    static const char *const known[] = {"build",           "run", "stdin", "env", "expect",
                                        "timeout_seconds", NULL};
    if (!cJSON_IsObject(root))
        return ch_err_set(err, CH_E_INVALID, "recipe: expected a JSON object");
    for (const cJSON *m = root->child; m != NULL; m = m->next) {
        bool ok = false;
        for (size_t i = 0; known[i] != NULL; i++)
            ok = ok || strcmp(m->string, known[i]) == 0;
        if (!ok)
            return ch_err_setf(err, CH_E_INVALID, m->string, "recipe: unknown field '%.64s'",
                               m->string);
    }
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(root, "build");
    if (build != NULL) {
        if (!cJSON_IsArray(build))
            return ch_err_setf(err, CH_E_INVALID, "build",
                               "recipe: field 'build': expected an array of commands");
        int n = cJSON_GetArraySize(build);
        if (n > CH_REPRO_MAX_COMMANDS)
            return ch_err_setf(err, CH_E_LIMIT, "build",
                               "recipe: field 'build': more than %d commands",
                               CH_REPRO_MAX_COMMANDS);
        const char *const **cmds = ch_arena_calloc(r->arena, (size_t)n + 1, sizeof(*cmds));
        if (cmds == NULL)
            return ch_err_set(err, CH_E_NOMEM, "recipe: out of memory");
        int i = 0;
        for (const cJSON *c = build->child; c != NULL; c = c->next, i++) {
            char path[32];
            snprintf(path, sizeof(path), "build[%d]", i);
            int rc = argv_from_json(r->arena, c, path, &cmds[i], err);
            if (rc != CH_OK)
                return rc;
        }
        r->build = cmds;
        r->n_build = (size_t)n;
    }
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(root, "run");
    if (run == NULL)
        return ch_err_setf(err, CH_E_INVALID, "run", "recipe: field 'run' is required");
    int rc = argv_from_json(r->arena, run, "run", &r->run, err);
    if (rc != CH_OK)
        return rc;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "stdin");
    if (in != NULL) {
        if (!cJSON_IsString(in) || ch_repro_check_path(in->valuestring, err) != CH_OK)
            return ch_err_setf(err, CH_E_INVALID, "stdin",
                               "recipe: field 'stdin': expected the relative name of a PoC file");
        r->stdin_file = ch_arena_strdup(r->arena, in->valuestring);
        if (r->stdin_file == NULL)
            return ch_err_set(err, CH_E_NOMEM, "recipe: out of memory");
    }
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(root, "env");
    const char **ev = ch_arena_calloc(r->arena, CH_REPRO_MAX_ENV + 1, sizeof(*ev));
    if (ev == NULL)
        return ch_err_set(err, CH_E_NOMEM, "recipe: out of memory");
    if (env != NULL) {
        if (!cJSON_IsArray(env))
            return ch_err_setf(err, CH_E_INVALID, "env",
                               "recipe: field 'env': expected an array of NAME=value");
        if (cJSON_GetArraySize(env) > CH_REPRO_MAX_ENV)
            return ch_err_setf(err, CH_E_LIMIT, "env", "recipe: field 'env': more than %d entries",
                               CH_REPRO_MAX_ENV);
        for (const cJSON *e = env->child; e != NULL; e = e->next) {
            if (!cJSON_IsString(e) || !env_name_ok(e->valuestring) ||
                strlen(e->valuestring) > CH_REPRO_MAX_ARG_BYTES)
                return ch_err_setf(err, CH_E_INVALID, "env",
                                   "recipe: field 'env[%zu]': expected NAME=value", r->n_env);
            ev[r->n_env] = ch_arena_strdup(r->arena, e->valuestring);
            if (ev[r->n_env] == NULL)
                return ch_err_set(err, CH_E_NOMEM, "recipe: out of memory");
            r->n_env++;
        }
    }
    r->env = ev;
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "expect");
    if (ex == NULL)
        return ch_err_setf(err, CH_E_INVALID, "expect", "recipe: field 'expect' is required");
    rc = parse_expect(r, ex, err);
    if (rc != CH_OK)
        return rc;
    r->build_seconds = CH_REPRO_DEFAULT_BUILD_SECONDS;
    r->run_seconds = CH_REPRO_DEFAULT_RUN_SECONDS;
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(root, "timeout_seconds");
    if (to != NULL) {
        if (!cJSON_IsObject(to))
            return ch_err_setf(
                err, CH_E_INVALID, "timeout_seconds",
                "recipe: field 'timeout_seconds': expected {\"build\": N, \"run\": N}");
        rc = parse_seconds(to, "build", CH_REPRO_MAX_BUILD_SECONDS, &r->build_seconds, err);
        if (rc == CH_OK)
            rc = parse_seconds(to, "run", CH_REPRO_MAX_RUN_SECONDS, &r->run_seconds, err);
    }
    return rc;
}

int ch_recipe_parse(const char *json, size_t len, struct ch_recipe **ret, struct ch_err *err)
{
    if (len > CH_REPRO_MAX_RECIPE_BYTES)
        return ch_err_set(err, CH_E_LIMIT, "recipe: larger than %zu bytes",
                          CH_REPRO_MAX_RECIPE_BYTES);
    struct ch_json_limits lim = {.max_bytes = CH_REPRO_MAX_RECIPE_BYTES, .max_depth = 8};
    cJSON *root = NULL;
    int rc = ch_json_parse(json, len, &lim, "recipe", &root, err);
    if (rc != CH_OK)
        return rc;
    struct ch_recipe *r = ch_calloc(1, sizeof(*r));
    if (r == NULL) {
        cJSON_Delete(root);
        return ch_err_set(err, CH_E_NOMEM, "recipe: out of memory");
    }
    r->arena = ch_arena_new(RECIPE_ARENA_MAX);
    rc = r->arena != NULL ? recipe_fill(r, root, err)
                          : ch_err_set(err, CH_E_NOMEM, "recipe: out of memory");
    cJSON_Delete(root);
    if (rc != CH_OK) {
        ch_recipe_free(r);
        return rc;
    }
    *ret = r;
    return CH_OK;
}

void ch_recipe_free(struct ch_recipe *r)
{
    if (r == NULL)
        return;
    ch_arena_free(r->arena);
    ch_free(r);
}

int ch_recipe_merge(const char *base_json, size_t base_len, const char *fix_json, size_t fix_len,
                    struct ch_buf *out, struct ch_err *err)
{
    struct ch_json_limits lim = {.max_bytes = CH_REPRO_MAX_RECIPE_BYTES, .max_depth = 8};
    cJSON *base = NULL;
    cJSON *fix = NULL;
    int rc = ch_json_parse(base_json, base_len, &lim, "recipe", &base, err);
    if (rc == CH_OK)
        rc = ch_json_parse(fix_json, fix_len, &lim, "fix recipe", &fix, err);
    if (rc == CH_OK && (!cJSON_IsObject(base) || !cJSON_IsObject(fix)))
        rc = ch_err_set(err, CH_E_INVALID, "recipe: expected a JSON object");
    for (const cJSON *m = rc == CH_OK ? base->child : NULL; m != NULL && rc == CH_OK; m = m->next) {
        if (cJSON_GetObjectItemCaseSensitive(fix, m->string) != NULL)
            continue;
        cJSON *copy = cJSON_Duplicate(m, 1);
        if (copy == NULL || !cJSON_AddItemToObject(fix, m->string, copy)) {
            cJSON_Delete(copy);
            rc = ch_err_set(err, CH_E_NOMEM, "recipe: out of memory");
        }
    }
    if (rc == CH_OK) {
        ch_buf_reset(out);
        struct ch_jw w;
        ch_jw_init(&w, out, 0);
        ch_jw_cjson(&w, fix);
        rc = ch_jw_finish(&w, err);
    }
    cJSON_Delete(base);
    cJSON_Delete(fix);
    return rc;
}

/* ---- files ----------------------------------------------------------------------------- */

int ch_repro_check_path(const char *path, struct ch_err *err)
{
    size_t len = strlen(path);
    if (len == 0 || len > CH_REPRO_MAX_PATH)
        return ch_err_set(err, CH_E_INVALID, "PoC file name '%.64s': empty or longer than %d bytes",
                          path, CH_REPRO_MAX_PATH);
    if (path[0] == '/')
        return ch_err_set(err, CH_E_INVALID, "PoC file name '%.64s': must be relative", path);
    unsigned depth = 0;
    struct ch_str rest = ch_str_make(path, len);
    struct ch_str part;
    while (ch_str_split_next(&rest, '/', &part)) {
        if (part.len == 0 || ch_str_eq_c(part, ".") || ch_str_eq_c(part, ".."))
            return ch_err_set(err, CH_E_INVALID,
                              "PoC file name '%.64s': empty, '.' or '..' component", path);
        for (size_t i = 0; i < part.len; i++) {
            unsigned char c = (unsigned char)part.ptr[i];
            if (c < 0x20 || c == 0x7f || c == '\\')
                return ch_err_set(err, CH_E_INVALID,
                                  "PoC file name '%.64s': control character or backslash", path);
        }
        if (++depth > CH_REPRO_MAX_DEPTH)
            return ch_err_set(err, CH_E_INVALID, "PoC file name '%.64s': deeper than %d levels",
                              path, CH_REPRO_MAX_DEPTH);
    }
    return CH_OK;
}

static void hex(const unsigned char *h, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[2 * n] = '\0';
}

void ch_repro_digest(const void *data, size_t len, char out[CH_REPRO_DIGEST_HEX])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), data, len, NULL, 0);
    hex(h, sizeof(h), out);
}

static int cmp_file(const void *a, const void *b)
{
    const struct ch_repro_file *const *x = a;
    const struct ch_repro_file *const *y = b;
    return strcmp((*x)->path, (*y)->path);
}

int ch_repro_poc_digest(const struct ch_repro_file *files, size_t n_files,
                        char out[CH_REPRO_DIGEST_HEX], struct ch_err *err)
{
    const struct ch_repro_file **order = ch_calloc(n_files + 1, sizeof(*order));
    if (order == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n_files; i++)
        order[i] = &files[i];
    qsort(order, n_files, sizeof(*order), cmp_file);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    static const char tag[] = "clearinghouse-poc-v1\n";
    crypto_generichash_update(&st, (const unsigned char *)tag, sizeof(tag) - 1);
    int rc = CH_OK;
    for (size_t i = 0; i < n_files; i++) {
        if (i > 0 && strcmp(order[i]->path, order[i - 1]->path) == 0) {
            rc = ch_err_set(err, CH_E_INVALID, "PoC file '%.64s' given twice", order[i]->path);
            break;
        }
        char d[CH_REPRO_DIGEST_HEX];
        ch_repro_digest(order[i]->data, order[i]->len, d);
        crypto_generichash_update(&st, (const unsigned char *)order[i]->path,
                                  strlen(order[i]->path) + 1);
        crypto_generichash_update(&st, (const unsigned char *)d, CH_REPRO_DIGEST_HEX - 1);
        crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
    }
    ch_free(order);
    if (rc != CH_OK)
        return rc;
    unsigned char h[32];
    crypto_generichash_final(&st, h, sizeof(h));
    hex(h, sizeof(h), out);
    return CH_OK;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Creates dir/path with its parent directories (paths already checked). */
static int put_file(const char *dir, const struct ch_repro_file *f, struct ch_err *err)
{
    char full[PATH_MAX];
    int n = snprintf(full, sizeof(full), "%s/%s", dir, f->path);
    if (n < 0 || (size_t)n >= sizeof(full))
        return ch_err_set(err, CH_E_LIMIT, "PoC file '%.64s': path too long", f->path);
    size_t base = strlen(dir) + 1;
    for (size_t i = base; full[i] != '\0'; i++) {
        if (full[i] != '/')
            continue;
        full[i] = '\0';
        int mk = mkdir(full, 0755);
        full[i] = '/';
        if (mk != 0 && errno != EEXIST)
            return ch_err_set(err, CH_E_IO, "cannot create a directory for '%.64s': %s", f->path,
                              strerror(errno));
    }
    /* Executable bits: a PoC may ship a script the recipe runs directly. */
    int fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot create PoC file '%.64s': %s", f->path,
                          strerror(errno));
    int wr = write_all(fd, f->data, f->len);
    int saved = errno;
    if (close(fd) != 0 && wr == 0) {
        wr = -1;
        saved = errno;
    }
    if (wr != 0)
        return ch_err_set(err, CH_E_IO, "cannot write PoC file '%.64s': %s", f->path,
                          strerror(saved));
    return CH_OK;
}

/* Removes what a reproduction left (the sandbox's user may have made anything there). */
static void rmtree_at(int parent, const char *name, unsigned depth)
{
    if (unlinkat(parent, name, 0) == 0 || depth > RMTREE_MAX_DEPTH)
        return;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        /* Make it writable first: a job may leave read-only directories behind. */
        CH_IGNORE(fchmodat(dirfd(d), e->d_name, 0700, 0)); /* best effort: unlink reports */
        rmtree_at(dirfd(d), e->d_name, depth + 1);
    }
    closedir(d);
    CH_IGNORE(unlinkat(parent, name, AT_REMOVEDIR)); /* best effort: a leftover is harmless */
}

static void rmtree(const char *path)
{
    rmtree_at(AT_FDCWD, path, 0);
}

/* ---- running --------------------------------------------------------------------------- */

static void log_cmd(struct ch_buf *log, const char *what, const char *const *argv)
{
    ch_buf_appendf(log, "== %s:", what);
    for (size_t i = 0; argv[i] != NULL; i++)
        ch_buf_appendf(log, " %s", argv[i]);
    ch_buf_append_c(log, "\n");
}

/* Appends at most CH_REPRO_LOG_TAIL bytes of the end of b. */
static void log_tail(struct ch_buf *log, const char *label, const struct ch_buf *b)
{
    size_t len = ch_buf_len(b);
    if (len == 0)
        return;
    const char *p = ch_buf_cstr(b);
    ch_buf_appendf(log, "-- %s (%zu bytes%s)\n", label, len,
                   len > CH_REPRO_LOG_TAIL ? ", last part" : "");
    if (len > CH_REPRO_LOG_TAIL) {
        p += len - CH_REPRO_LOG_TAIL;
        len = CH_REPRO_LOG_TAIL;
    }
    ch_buf_append(log, p, len);
    if (p[len - 1] != '\n')
        ch_buf_append_c(log, "\n");
}

static void log_end(struct ch_buf *log, const struct ch_sandbox_result *r)
{
    if (r->exited)
        ch_buf_appendf(log, "-- exit %d", r->exit_code);
    else
        ch_buf_appendf(log, "-- signal %d", r->signal);
    if (r->killed_by != CH_SANDBOX_KILL_NONE)
        ch_buf_appendf(log, ", killed (%s)", ch_sandbox_kill_str(r->killed_by));
    ch_buf_appendf(log, ", %lld ms\n", (long long)(r->wall_us / 1000));
}

/* The environment of a command: the recipe's, then our defaults for names it did not set. */
static size_t build_env(const struct ch_recipe *r, const char **env)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_env; i++)
        env[n++] = r->env[i];
    for (size_t d = 0; d < CH_ARRAY_SIZE(default_env); d++) {
        size_t nl = (size_t)(strchr(default_env[d], '=') - default_env[d]) + 1;
        bool given = false;
        for (size_t i = 0; i < r->n_env; i++)
            given = given || strncmp(r->env[i], default_env[d], nl) == 0;
        if (!given)
            env[n++] = default_env[d];
    }
    env[n] = NULL;
    return n;
}

/*
 * Runs one command. A command bubblewrap could not start (no such program)
 * is reported as *ret_started false when the sandbox itself works.
 */
static int run_one(const struct ch_sandbox_options *so, struct ch_sandbox_result *res,
                   bool *ret_started, struct ch_buf *log, struct ch_err *err)
{
    struct ch_err e = CH_ERR_INIT;
    int rc = ch_sandbox_run(so, res, &e);
    *ret_started = true;
    if (rc == CH_E_UNAVAILABLE || rc == CH_E_NOTFOUND) {
        struct ch_err probe = CH_ERR_INIT;
        if (ch_sandbox_probe(so->bwrap_path, &probe) == CH_OK) {
            ch_buf_appendf(log, "-- could not start: %s\n", e.msg);
            *ret_started = false;
            return CH_OK;
        }
    }
    if (rc != CH_OK) {
        ch_err_copy(err, &e);
        return rc;
    }
    return CH_OK;
}

static bool matches(const struct ch_recipe *r, const struct ch_sandbox_result *res,
                    const struct ch_sanreport *rep)
{
    switch (r->expect) {
    case CH_REPRO_EXPECT_CRASH:
        return rep->cls != CH_CRASH_NONE && (r->crash == CH_CRASH_COUNT || rep->cls == r->crash);
    case CH_REPRO_EXPECT_EXIT:
        return res->exited && res->exit_code == r->exit_code;
    case CH_REPRO_EXPECT_OUTPUT: {
        size_t nl = strlen(r->output);
        return memmem(ch_buf_cstr(&res->out), ch_buf_len(&res->out), r->output, nl) != NULL ||
               memmem(ch_buf_cstr(&res->err), ch_buf_len(&res->err), r->output, nl) != NULL;
    }
    }
    return false;
}

static int check_files(const struct ch_recipe *recipe, const struct ch_repro_file *files,
                       size_t n_files, struct ch_err *err)
{
    if (n_files > CH_REPRO_MAX_FILES)
        return ch_err_set(err, CH_E_LIMIT, "more than %d PoC files", CH_REPRO_MAX_FILES);
    size_t total = 0;
    bool stdin_found = recipe->stdin_file == NULL;
    for (size_t i = 0; i < n_files; i++) {
        int rc = ch_repro_check_path(files[i].path, err);
        if (rc != CH_OK)
            return rc;
        if (files[i].len > CH_REPRO_MAX_FILE_BYTES)
            return ch_err_set(err, CH_E_LIMIT, "PoC file '%.64s' is larger than %zu bytes",
                              files[i].path, CH_REPRO_MAX_FILE_BYTES);
        total += files[i].len;
        if (total > CH_REPRO_MAX_TOTAL_BYTES)
            return ch_err_set(err, CH_E_LIMIT, "PoC files exceed %zu bytes in all",
                              CH_REPRO_MAX_TOTAL_BYTES);
        stdin_found = stdin_found || strcmp(files[i].path, recipe->stdin_file) == 0;
    }
    if (!stdin_found)
        return ch_err_set(err, CH_E_INVALID, "recipe: stdin file '%.64s' is not a PoC file",
                          recipe->stdin_file);
    return CH_OK;
}

static const struct ch_repro_file *find_file(const struct ch_repro_file *files, size_t n,
                                             const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(files[i].path, path) == 0)
            return &files[i];
    return NULL;
}

static int do_build(const struct ch_recipe *r, const struct ch_sandbox_options *base,
                    struct ch_repro_result *ret, bool *ret_ok, struct ch_err *err)
{
    *ret_ok = true;
    int64_t t0 = ch_clock_mono_ms();
    for (size_t i = 0; i < r->n_build && *ret_ok; i++) {
        struct ch_sandbox_options so = *base;
        so.argv = r->build[i];
        so.limits = (struct ch_sandbox_limits){
            .wall_ms = r->build_seconds * 1000,
            .cpu_seconds = (uint64_t)r->build_seconds,
            .as_bytes = BUILD_AS_BYTES,
            .fsize_bytes = BUILD_FSIZE_BYTES,
            .stdout_max_bytes = BUILD_OUTPUT_BYTES,
            .stderr_max_bytes = BUILD_OUTPUT_BYTES,
        };
        so.flags = CH_SANDBOX_KEEP_RUNNING_ON_OUTPUT_LIMIT;
        log_cmd(&ret->log, "build", so.argv);
        struct ch_sandbox_result res;
        bool started = false;
        int rc = run_one(&so, &res, &started, &ret->log, err);
        if (rc != CH_OK) {
            ch_sandbox_result_release(&res);
            return rc;
        }
        if (started) {
            log_tail(&ret->log, "stdout", &res.out);
            log_tail(&ret->log, "stderr", &res.err);
            log_end(&ret->log, &res);
        }
        if (!started || !res.exited || res.exit_code != 0) {
            *ret_ok = false;
            ch_buf_appendf(&ret->log, "== build step %zu failed: invalid recipe\n", i + 1);
        }
        ch_sandbox_result_release(&res);
    }
    ret->build_ms = ch_clock_mono_ms() - t0;
    return CH_OK;
}

static int do_runs(const struct ch_recipe *r, const struct ch_sandbox_options *base,
                   const struct ch_repro_file *in, unsigned n_runs, struct ch_repro_result *ret,
                   struct ch_err *err)
{
    int64_t t0 = ch_clock_mono_ms();
    bool have_report = false;
    for (unsigned i = 0; i < n_runs; i++) {
        struct ch_sandbox_options so = *base;
        so.argv = r->run;
        so.limits = (struct ch_sandbox_limits){
            .wall_ms = r->run_seconds * 1000,
            .cpu_seconds = (uint64_t)r->run_seconds,
            .as_bytes = CH_SANDBOX_UNLIMITED,
        };
        so.flags = CH_SANDBOX_KEEP_RUNNING_ON_OUTPUT_LIMIT;
        if (in != NULL) {
            so.stdin_data = (const char *)in->data;
            so.stdin_len = in->len;
        }
        char what[32];
        snprintf(what, sizeof(what), "run %u", i + 1);
        log_cmd(&ret->log, what, so.argv);
        struct ch_sandbox_result res;
        bool started = false;
        int rc = run_one(&so, &res, &started, &ret->log, err);
        if (rc != CH_OK) {
            ch_sandbox_result_release(&res);
            return rc;
        }
        if (!started) {
            ch_sandbox_result_release(&res);
            ret->outcome = CH_REPRO_INVALID_RECIPE;
            ch_buf_append_c(&ret->log, "== the run command could not start: invalid recipe\n");
            ret->run_ms = ch_clock_mono_ms() - t0;
            return CH_OK;
        }
        struct ch_repro_run *run = &ret->runs[i];
        struct ch_sanreport_input sin;
        ch_sanreport_input_from_sandbox(&res, &sin);
        rc = ch_sanreport_parse(&sin, &run->report, err);
        if (rc != CH_OK) {
            ch_sandbox_result_release(&res);
            return rc;
        }
        run->matched = matches(r, &res, &run->report);
        run->exited = res.exited;
        run->exit_code = res.exit_code;
        run->signal = res.signal;
        run->killed_by = res.killed_by;
        run->wall_us = res.wall_us;
        ret->n_runs = i + 1;
        if (run->matched)
            ret->n_matched++;
        if (run->matched && !have_report) {
            ret->report = run->report;
            have_report = true;
        } else if (i == 0) {
            ret->report = run->report;
        }
        log_tail(&ret->log, "stderr", &res.err);
        log_end(&ret->log, &res);
        ch_buf_appendf(&ret->log, "-- %s%s%s, %s\n", ch_crash_class_str(run->report.cls),
                       run->report.signature[0] != '\0' ? " signature " : "", run->report.signature,
                       run->matched ? "matches" : "does not match");
        ch_sandbox_result_release(&res);
    }
    ret->run_ms = ch_clock_mono_ms() - t0;
    if (ret->n_matched == n_runs)
        ret->outcome = CH_REPRO_REPRODUCED;
    else if (ret->n_matched > 0)
        ret->outcome = CH_REPRO_FLAKY;
    else
        ret->outcome = CH_REPRO_NOT_REPRODUCED;
    return CH_OK;
}

int ch_repro_run(const struct ch_recipe *recipe, const struct ch_repro_file *files, size_t n_files,
                 const struct ch_repro_options *opts, struct ch_repro_result *ret,
                 struct ch_err *err)
{
    *ret = (struct ch_repro_result){.outcome = CH_REPRO_INVALID_RECIPE};
    ch_buf_init(&ret->log, CH_REPRO_LOG_MAX);
    static const struct ch_repro_options no_opts = {0};
    if (opts == NULL)
        opts = &no_opts;
    unsigned n_runs = opts->runs == 0 ? CH_REPRO_DEFAULT_RUNS : opts->runs;
    if (n_runs > CH_REPRO_MAX_RUNS)
        return ch_err_set(err, CH_E_LIMIT, "at most %d runs", CH_REPRO_MAX_RUNS);
    int rc = check_files(recipe, files, n_files, err);
    if (rc != CH_OK)
        return rc;
    char dir[PATH_MAX];
    int n = snprintf(dir, sizeof(dir), "%s/ch-repro-XXXXXX",
                     opts->work_root != NULL ? opts->work_root : "/tmp");
    if (n < 0 || (size_t)n >= sizeof(dir))
        return ch_err_set(err, CH_E_LIMIT, "work directory path too long");
    if (mkdtemp(dir) == NULL)
        return ch_err_set(err, CH_E_IO, "cannot create a work directory: %s", strerror(errno));
    /* The sandbox's unprivileged user must reach it (sandbox.h, "Running as root"). */
    if (chmod(dir, 0755) != 0)
        rc = ch_err_set(err, CH_E_IO, "cannot open up the work directory: %s", strerror(errno));
    for (size_t i = 0; i < n_files && rc == CH_OK; i++)
        rc = put_file(dir, &files[i], err);
    const char *env[CH_REPRO_MAX_ENV + CH_ARRAY_SIZE(default_env) + 1];
    build_env(recipe, env);
    struct ch_sandbox_options base = {
        .work_dir = dir,
        .env = env,
        .bwrap_path = opts->bwrap_path,
        .host_uid = opts->host_uid,
        .host_gid = opts->host_gid,
    };
    bool built = false;
    if (rc == CH_OK)
        rc = do_build(recipe, &base, ret, &built, err);
    if (rc == CH_OK && built) {
        const struct ch_repro_file *in =
            recipe->stdin_file != NULL ? find_file(files, n_files, recipe->stdin_file) : NULL;
        rc = do_runs(recipe, &base, in, n_runs, ret, err);
    }
    if (rc == CH_OK) {
        ch_buf_appendf(&ret->log, "== outcome: %s (%u of %u runs matched)\n",
                       ch_repro_outcome_str(ret->outcome), ret->n_matched, ret->n_runs);
        rc = ch_buf_status(&ret->log, "reproduction log", err);
        if (rc == CH_E_LIMIT) {
            /* The log keeps its head; a full log must not fail the reproduction. */
            ch_err_clear(err);
            rc = CH_OK;
        }
    }
    if (!opts->keep_work_dir)
        rmtree(dir);
    return rc;
}

void ch_repro_result_release(struct ch_repro_result *r)
{
    ch_buf_release(&r->log);
}
