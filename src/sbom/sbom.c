/* SPDX-License-Identifier: Apache-2.0
 *
 * sbom.c: format detection, dispatch to the readers, reading files, the
 * directory walker, and the helpers every reader shares (ch_sbom__add turns
 * what a reader found into a component named the OSV way).
 *
 * JSON documents are parsed once here (with the strict reader of core/json.h,
 * so syntax errors carry file:line:column) and the tree is handed to the
 * reader the content or the name selects.
 */
#include "sbom/sbom.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "purl/ecosystem.h"
#include "sbom/internal.h"

/* Scratch memory per document: purls and paths, far below the document size. */
#define SBOM_TMP_MAX_BYTES ((size_t)256 << 20)
/* os-release files are a few hundred bytes. */
#define OS_RELEASE_MAX_BYTES ((size_t)64 << 10)

static const char *const format_names[] = {
    [CH_SBOM_UNKNOWN] = "unknown",         [CH_SBOM_CYCLONEDX] = "cyclonedx",
    [CH_SBOM_SPDX2] = "spdx2",             [CH_SBOM_SPDX3] = "spdx3",
    [CH_SBOM_DPKG] = "dpkg",               [CH_SBOM_NPM_LOCK] = "npm-lock",
    [CH_SBOM_REQUIREMENTS] = "requirements", [CH_SBOM_GOMOD] = "gomod",
    [CH_SBOM_CARGO_LOCK] = "cargo-lock",   [CH_SBOM_GEMFILE_LOCK] = "gemfile-lock",
    [CH_SBOM_COMPOSER_LOCK] = "composer-lock",
};

const char *ch_sbom_format_name(enum ch_sbom_format f)
{
    if ((size_t)f >= CH_ARRAY_SIZE(format_names))
        return "unknown";
    return format_names[f];
}

enum ch_sbom_format ch_sbom_format_from_name(const char *s)
{
    for (size_t i = 1; s != NULL && i < CH_ARRAY_SIZE(format_names); i++) {
        if (strcmp(format_names[i], s) == 0)
            return (enum ch_sbom_format)i;
    }
    return CH_SBOM_UNKNOWN;
}

/* ---- helpers shared by the readers ---- */

int ch_sbom__nomem(struct ch_err *err)
{
    return ch_err_set(err, CH_E_NOMEM, "out of memory");
}

int ch_sbom__skip(struct sbom_ctx *ctx, const char *location, struct ch_err *err,
                  const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    return ch_inventory_skip(ctx->inv, ctx->file, location, reason, err);
}

const char *ch_sbom__line_loc(struct sbom_ctx *ctx, size_t line)
{
    return ch_arena_printf(ctx->tmp, "line %zu", line);
}

static int fill_from_purl(struct sbom_ctx *ctx, const struct ch_purl *p, struct ch_component *c,
                          struct ch_err *err)
{
    c->purl = ch_purl_to_string(p, ctx->tmp);
    if (c->purl == NULL)
        return ch_sbom__nomem(err);
    struct ch_osv_package osv;
    struct ch_err e2 = CH_ERR_INIT;
    int rc = ch_purl_to_osv(p, ctx->tmp, &osv, &e2);
    if (rc == CH_E_NOMEM)
        return ch_sbom__nomem(err);
    if (rc == CH_OK) {
        c->ecosystem = osv.ecosystem;
        c->name = osv.name;
        if (osv.version != NULL)
            c->version = osv.version;
        if (osv.release != NULL)
            c->release = osv.release;
    } else if (c->name == NULL) {
        c->name = p->name;
        if (c->version == NULL)
            c->version = p->version;
    }
    return CH_OK;
}

int ch_sbom__add(struct sbom_ctx *ctx, const struct sbom_found *f, struct ch_err *err)
{
    struct ch_component c = {
        .name = f->name, .version = f->version, .cpe = f->cpe, .ref = f->ref,
        .release = f->release, .source_name = f->source_name,
        .source_version = f->source_version, .file = ctx->file, .location = f->location,
    };
    struct ch_purl p;
    struct ch_err perr = CH_ERR_INIT;
    int rc = CH_OK;
    if (f->purl != NULL)
        rc = ch_purl_parse(ch_str_c(f->purl), 0, ctx->tmp, &p, &perr);
    else if (f->parts != NULL)
        rc = ch_purl_build(f->parts, ctx->tmp, &p, &perr);
    if (rc == CH_E_NOMEM)
        return ch_sbom__nomem(err);
    if (rc != CH_OK) {
        rc = ch_sbom__skip(ctx, f->location, err, "invalid purl '%s': %s",
                           f->purl != NULL ? f->purl : (f->name != NULL ? f->name : ""),
                           perr.msg);
        if (rc != CH_OK)
            return rc;
    } else if (f->purl != NULL || f->parts != NULL) {
        rc = fill_from_purl(ctx, &p, &c, err);
        if (rc != CH_OK)
            return rc;
    }
    if (c.name == NULL || c.name[0] == '\0')
        return ch_sbom__skip(ctx, f->location, err, "component without a name");
    return ch_inventory_add(ctx->inv, &c, err);
}

void ch_sbom__lines_init(struct sbom_lines *it, const char *data, size_t len)
{
    it->rest = ch_str_make(data, len);
    it->line = 0;
}

int ch_sbom__lines_next(struct sbom_lines *it, struct sbom_ctx *ctx, struct ch_str *ret,
                        struct ch_err *err)
{
    if (it->rest.len == 0)
        return 0;
    const char *nl = memchr(it->rest.ptr, '\n', it->rest.len);
    size_t len = nl == NULL ? it->rest.len : (size_t)(nl - it->rest.ptr);
    it->line++;
    if (len > CH_SBOM_MAX_LINE_BYTES)
        return ch_err_set(err, CH_E_LIMIT, "%s:%zu: line longer than %zu bytes", ctx->file,
                          it->line, CH_SBOM_MAX_LINE_BYTES);
    struct ch_str l = ch_str_make(it->rest.ptr, len);
    if (l.len > 0 && l.ptr[l.len - 1] == '\r')
        l.len--;
    size_t adv = nl == NULL ? len : len + 1;
    it->rest = ch_str_make(it->rest.ptr + adv, it->rest.len - adv);
    *ret = l;
    return 1;
}

/* ---- detection ---- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s == NULL ? path : s + 1;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static enum ch_sbom_format detect_by_name(const char *path)
{
    if (path == NULL)
        return CH_SBOM_UNKNOWN;
    const char *b = base_name(path);
    static const struct {
        const char *name;
        enum ch_sbom_format f;
    } exact[] = {
        {"package-lock.json", CH_SBOM_NPM_LOCK}, {"npm-shrinkwrap.json", CH_SBOM_NPM_LOCK},
        {"go.mod", CH_SBOM_GOMOD},               {"Cargo.lock", CH_SBOM_CARGO_LOCK},
        {"Gemfile.lock", CH_SBOM_GEMFILE_LOCK},  {"gems.locked", CH_SBOM_GEMFILE_LOCK},
        {"composer.lock", CH_SBOM_COMPOSER_LOCK}, {"bom.json", CH_SBOM_CYCLONEDX},
    };
    for (size_t i = 0; i < CH_ARRAY_SIZE(exact); i++) {
        if (strcmp(b, exact[i].name) == 0)
            return exact[i].f;
    }
    if (ends_with(path, "dpkg/status"))
        return CH_SBOM_DPKG;
    if (ends_with(b, ".cdx.json") || ends_with(b, ".bom.json"))
        return CH_SBOM_CYCLONEDX;
    if (ends_with(b, ".spdx3.json"))
        return CH_SBOM_SPDX3;
    if (ends_with(b, ".spdx.json"))
        return CH_SBOM_SPDX2; /* the content decides between 2.x and 3.0 */
    if (strncmp(b, "requirements", 12) == 0 && ends_with(b, ".txt"))
        return CH_SBOM_REQUIREMENTS;
    return CH_SBOM_UNKNOWN;
}

static enum ch_sbom_format detect_json(const cJSON *doc)
{
    if (!cJSON_IsObject(doc))
        return CH_SBOM_UNKNOWN;
    if (ch_json_str(doc, "bomFormat") != NULL)
        return CH_SBOM_CYCLONEDX;
    if (ch_json_str(doc, "spdxVersion") != NULL)
        return CH_SBOM_SPDX2;
    if (cJSON_GetObjectItemCaseSensitive(doc, "@graph") != NULL)
        return CH_SBOM_SPDX3;
    if (cJSON_GetObjectItemCaseSensitive(doc, "lockfileVersion") != NULL)
        return CH_SBOM_NPM_LOCK;
    if (cJSON_GetObjectItemCaseSensitive(doc, "content-hash") != NULL ||
        (ch_json_arr(doc, "packages") != NULL && ch_json_arr(doc, "packages-dev") != NULL))
        return CH_SBOM_COMPOSER_LOCK;
    return CH_SBOM_UNKNOWN;
}

static struct ch_str skip_space(struct ch_str s)
{
    while (s.len > 0 && (s.ptr[0] == ' ' || s.ptr[0] == '\t' || s.ptr[0] == '\r' ||
                         s.ptr[0] == '\n'))
        s = ch_str_sub(s, 1, s.len);
    return s;
}

static bool contains(struct ch_str s, const char *needle, size_t within)
{
    size_t n = strlen(needle), lim = s.len < within ? s.len : within;
    for (size_t i = 0; i + n <= lim; i++) {
        if (memcmp(s.ptr + i, needle, n) == 0)
            return true;
    }
    return false;
}

static bool is_json_format(enum ch_sbom_format f)
{
    return f == CH_SBOM_CYCLONEDX || f == CH_SBOM_SPDX2 || f == CH_SBOM_SPDX3 ||
           f == CH_SBOM_NPM_LOCK || f == CH_SBOM_COMPOSER_LOCK;
}

enum ch_sbom_format ch_sbom_detect(const char *name, const char *data, size_t len)
{
    enum ch_sbom_format f = detect_by_name(name);
    if (f != CH_SBOM_UNKNOWN)
        return f;
    struct ch_str s = skip_space(ch_str_make(data, len));
    if (s.len > 0 && s.ptr[0] == '{') {
        /* Cheap key sniffing in the first 4 kB; ch_sbom_read confirms by parsing. */
        if (contains(s, "\"bomFormat\"", 4096))
            return CH_SBOM_CYCLONEDX;
        if (contains(s, "\"spdxVersion\"", 4096))
            return CH_SBOM_SPDX2;
        if (contains(s, "\"@graph\"", 4096) || contains(s, "spdx.org/rdf/3", 4096))
            return CH_SBOM_SPDX3;
        if (contains(s, "\"lockfileVersion\"", 4096))
            return CH_SBOM_NPM_LOCK;
        if (contains(s, "\"content-hash\"", 4096))
            return CH_SBOM_COMPOSER_LOCK;
        return CH_SBOM_UNKNOWN;
    }
    if (ch_str_starts_with(s, "Package:"))
        return CH_SBOM_DPKG;
    if (ch_str_starts_with(s, "[[package]]") || ch_str_starts_with(s, "# This file is automatically"))
        return CH_SBOM_CARGO_LOCK;
    if (ch_str_starts_with(s, "GEM\n") || ch_str_starts_with(s, "GIT\n") ||
        ch_str_starts_with(s, "PATH\n") || ch_str_starts_with(s, "GEM\r\n"))
        return CH_SBOM_GEMFILE_LOCK;
    if (ch_str_starts_with(s, "module "))
        return CH_SBOM_GOMOD;
    return CH_SBOM_UNKNOWN;
}

/* ---- reading ---- */

static int read_json(struct sbom_ctx *ctx, const char *data, size_t len,
                     enum ch_sbom_format fmt, enum ch_sbom_format by_name, struct ch_err *err)
{
    struct ch_json_limits lim = {.max_bytes = CH_SBOM_MAX_FILE_BYTES};
    cJSON *doc = NULL;
    int rc = ch_json_parse(data, len, &lim, ctx->file, &doc, err);
    if (rc != CH_OK)
        return rc;
    if (fmt == CH_SBOM_UNKNOWN)
        fmt = detect_json(doc);
    if (fmt == CH_SBOM_UNKNOWN)
        fmt = by_name;
    switch (fmt) {
    case CH_SBOM_CYCLONEDX:
        rc = ch_sbom__read_cyclonedx(ctx, doc, err);
        break;
    case CH_SBOM_SPDX2:
        rc = ch_sbom__read_spdx2(ctx, doc, err);
        break;
    case CH_SBOM_SPDX3:
        rc = ch_sbom__read_spdx3(ctx, doc, err);
        break;
    case CH_SBOM_NPM_LOCK:
        rc = ch_sbom__read_npm_lock(ctx, doc, err);
        break;
    case CH_SBOM_COMPOSER_LOCK:
        rc = ch_sbom__read_composer_lock(ctx, doc, err);
        break;
    default:
        rc = ch_err_set(err, CH_E_UNSUPPORTED, "%s: not a known inventory format", ctx->file);
        break;
    }
    cJSON_Delete(doc);
    return rc;
}

int ch_sbom_read(struct ch_inventory *inv, const char *file, const char *data, size_t len,
                 enum ch_sbom_format fmt, const struct ch_sbom_options *opt,
                 struct ch_err *err)
{
    static const struct ch_sbom_options no_options;
    if (file == NULL)
        file = "input";
    if (len > CH_SBOM_MAX_FILE_BYTES)
        return ch_err_set(err, CH_E_LIMIT, "%s: larger than %zu bytes", file,
                          CH_SBOM_MAX_FILE_BYTES);
    bool detected = fmt == CH_SBOM_UNKNOWN;
    if (detected)
        fmt = ch_sbom_detect(file, data, len);
    struct ch_str s = skip_space(ch_str_make(data, len));
    bool json = is_json_format(fmt) || (fmt == CH_SBOM_UNKNOWN && s.len > 0 && s.ptr[0] == '{');
    /* For JSON, the parsed content decides unless the caller named the format. */
    enum ch_sbom_format by_name = fmt;
    if (json && detected)
        fmt = CH_SBOM_UNKNOWN;
    if (!json && fmt == CH_SBOM_UNKNOWN)
        return ch_err_set(err, CH_E_UNSUPPORTED, "%s: not a known inventory format", file);
    struct sbom_ctx ctx = {.inv = inv, .file = file, .opt = opt != NULL ? opt : &no_options};
    ctx.tmp = ch_arena_new(SBOM_TMP_MAX_BYTES);
    if (ctx.tmp == NULL)
        return ch_sbom__nomem(err);
    int rc;
    switch (json ? CH_SBOM_CYCLONEDX : fmt) {
    case CH_SBOM_DPKG:
        rc = ch_sbom__read_dpkg(&ctx, data, len, err);
        break;
    case CH_SBOM_REQUIREMENTS:
        rc = ch_sbom__read_requirements(&ctx, data, len, err);
        break;
    case CH_SBOM_GOMOD:
        rc = ch_sbom__read_gomod(&ctx, data, len, err);
        break;
    case CH_SBOM_CARGO_LOCK:
        rc = ch_sbom__read_cargo_lock(&ctx, data, len, err);
        break;
    case CH_SBOM_GEMFILE_LOCK:
        rc = ch_sbom__read_gemfile_lock(&ctx, data, len, err);
        break;
    default:
        rc = read_json(&ctx, data, len, fmt, by_name, err);
        break;
    }
    ch_arena_free(ctx.tmp);
    return rc;
}

/* Reads a regular file of at most max bytes into b. */
static int slurp(const char *path, size_t max, struct ch_buf *b, struct ch_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    int rc = CH_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ch_err_set(err, CH_E_IO, "'%s' is not a regular file", path);
    } else if ((uint64_t)st.st_size > max) {
        rc = ch_err_set(err, CH_E_LIMIT, "'%s' is larger than %zu bytes", path, max);
    }
    char chunk[65536];
    while (rc == CH_OK) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ch_err_set(err, CH_E_IO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (ch_buf_append(b, chunk, (size_t)n) != CH_OK)
            rc = ch_buf_status(b, path, err);
    }
    close(fd);
    return rc;
}

/* The os-release of the root a ".../var/lib/dpkg/status" path is under. */
static int find_os_release(const char *status_path, struct ch_buf *path)
{
    static const char tail[] = "var/lib/dpkg/status";
    if (!ends_with(status_path, tail))
        return CH_E_NOTFOUND;
    size_t root_len = strlen(status_path) - (sizeof(tail) - 1);
    static const char *const cands[] = {"etc/os-release", "usr/lib/os-release"};
    for (size_t i = 0; i < CH_ARRAY_SIZE(cands); i++) {
        ch_buf_reset(path);
        ch_buf_append(path, status_path, root_len);
        ch_buf_append_c(path, cands[i]);
        if (path->failed == CH_E_NOMEM)
            return CH_E_NOMEM;
        if (path->failed == 0 && access(ch_buf_cstr(path), R_OK) == 0)
            return CH_OK;
    }
    return CH_E_NOTFOUND;
}

/* Fills distro options for a dpkg status file from an os-release file when not given. */
static int dpkg_options(const char *path, const struct ch_sbom_options *in,
                        struct ch_sbom_options *out, struct ch_arena *arena, struct ch_err *err)
{
    *out = in != NULL ? *in : (struct ch_sbom_options){0};
    if (out->distro != NULL && out->distro_release != NULL)
        return CH_OK;
    struct ch_buf p, data;
    ch_buf_init(&p, 8192);
    ch_buf_init(&data, OS_RELEASE_MAX_BYTES);
    int rc = CH_OK;
    const char *osr = out->os_release_path;
    if (osr == NULL) {
        int frc = find_os_release(path, &p);
        if (frc == CH_E_NOMEM)
            rc = ch_sbom__nomem(err);
        else if (frc == CH_OK)
            osr = ch_buf_cstr(&p);
    }
    if (rc == CH_OK && osr != NULL) {
        rc = slurp(osr, OS_RELEASE_MAX_BYTES, &data, err);
        const char *id = NULL, *ver = NULL;
        if (rc == CH_OK)
            rc = ch_sbom_parse_os_release(ch_buf_cstr(&data), ch_buf_len(&data), arena, &id,
                                          &ver, err);
        if (rc == CH_OK && out->distro == NULL)
            out->distro = id;
        if (rc == CH_OK && out->distro_release == NULL)
            out->distro_release = ver;
    }
    ch_buf_release(&p);
    ch_buf_release(&data);
    return rc;
}

int ch_sbom_read_file(struct ch_inventory *inv, const char *path, enum ch_sbom_format fmt,
                      const struct ch_sbom_options *opt, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_SBOM_MAX_FILE_BYTES);
    int rc = slurp(path, CH_SBOM_MAX_FILE_BYTES, &b, err);
    if (rc == CH_OK && fmt == CH_SBOM_UNKNOWN)
        fmt = ch_sbom_detect(path, ch_buf_cstr(&b), ch_buf_len(&b));
    struct ch_sbom_options o;
    struct ch_arena *a = NULL;
    if (rc == CH_OK && fmt == CH_SBOM_DPKG) {
        a = ch_arena_new(OS_RELEASE_MAX_BYTES * 2);
        rc = a == NULL ? ch_sbom__nomem(err) : dpkg_options(path, opt, &o, a, err);
        opt = &o;
    }
    if (rc == CH_OK)
        rc = ch_sbom_read(inv, path, ch_buf_cstr(&b), ch_buf_len(&b), fmt, opt, err);
    ch_arena_free(a);
    ch_buf_release(&b);
    return rc;
}

int ch_sbom_parse_os_release(const char *data, size_t len, struct ch_arena *arena,
                             const char **ret_id, const char **ret_version, struct ch_err *err)
{
    struct ch_str rest = ch_str_make(data, len), line;
    const char *id = NULL, *ver = NULL, *codename = NULL;
    while (ch_str_split_next(&rest, '\n', &line)) {
        line = ch_str_trim(line);
        long eq = ch_str_find_char(line, '=');
        if (eq <= 0)
            continue;
        struct ch_str key = ch_str_sub(line, 0, (size_t)eq);
        struct ch_str val = ch_str_sub(line, (size_t)eq + 1, line.len);
        if (val.len >= 2 && (val.ptr[0] == '"' || val.ptr[0] == '\'') &&
            val.ptr[val.len - 1] == val.ptr[0])
            val = ch_str_sub(val, 1, val.len - 2);
        const char **dst = NULL;
        if (ch_str_eq_c(key, "ID"))
            dst = &id;
        else if (ch_str_eq_c(key, "VERSION_ID"))
            dst = &ver;
        else if (ch_str_eq_c(key, "VERSION_CODENAME"))
            dst = &codename;
        if (dst == NULL || val.len == 0)
            continue;
        *dst = ch_arena_str(arena, val);
        if (*dst == NULL)
            return ch_sbom__nomem(err);
    }
    *ret_id = id;
    *ret_version = ver != NULL ? ver : codename;
    return CH_OK;
}

/* ---- directory walker ---- */

struct walk {
    struct ch_buf paths;     /* NUL-separated paths of inventory files found */
    size_t n_files;
    size_t n_entries;
};

static bool skip_dir(const char *name)
{
    return strcmp(name, ".git") == 0 || strcmp(name, "node_modules") == 0 ||
           strcmp(name, "vendor") == 0 || strcmp(name, ".svn") == 0 ||
           strcmp(name, "proc") == 0 || strcmp(name, "sys") == 0;
}

static int walk_dir(struct walk *w, const char *dir, unsigned depth, struct ch_err *err)
{
    if (depth > CH_SBOM_WALK_MAX_DEPTH)
        return CH_OK; /* deeper trees are not searched; documented limit */
    DIR *d = opendir(dir);
    if (d == NULL)
        return ch_err_set(err, CH_E_IO, "cannot open directory '%s': %s", dir, strerror(errno));
    int rc = CH_OK;
    struct dirent *e;
    struct ch_buf p;
    ch_buf_init(&p, 4096);
    while (rc == CH_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (++w->n_entries > CH_SBOM_WALK_MAX_ENTRIES) {
            rc = ch_err_set(err, CH_E_LIMIT, "'%s': more than %zu directory entries", dir,
                            CH_SBOM_WALK_MAX_ENTRIES);
            break;
        }
        ch_buf_reset(&p);
        ch_buf_appendf(&p, "%s/%s", dir, e->d_name);
        if (p.failed == CH_E_NOMEM) {
            rc = ch_sbom__nomem(err);
            break;
        }
        if (p.failed != 0)
            continue; /* a path longer than 4 kB cannot be an inventory we read */
        struct stat st;
        if (lstat(ch_buf_cstr(&p), &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (!skip_dir(e->d_name))
                rc = walk_dir(w, ch_buf_cstr(&p), depth + 1, err);
            continue;
        }
        if (!S_ISREG(st.st_mode) || detect_by_name(ch_buf_cstr(&p)) == CH_SBOM_UNKNOWN)
            continue;
        if (++w->n_files > CH_SBOM_WALK_MAX_FILES) {
            rc = ch_err_set(err, CH_E_LIMIT, "more than %zu inventory files under '%s'",
                            CH_SBOM_WALK_MAX_FILES, dir);
            break;
        }
        ch_buf_append(&w->paths, ch_buf_cstr(&p), ch_buf_len(&p) + 1);
        if (w->paths.failed != 0)
            rc = ch_buf_status(&w->paths, "file list", err);
    }
    ch_buf_release(&p);
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ch_sbom_scan_dir(struct ch_inventory *inv, const char *dir,
                     const struct ch_sbom_options *opt, struct ch_err *err)
{
    struct walk w = {0};
    ch_buf_init(&w.paths, (size_t)8 << 20);
    const char **list = NULL;
    int rc = walk_dir(&w, dir, 0, err);
    if (rc == CH_OK && w.n_files > 0) {
        list = ch_calloc(w.n_files, sizeof(*list));
        if (list == NULL)
            rc = ch_sbom__nomem(err);
    }
    if (rc == CH_OK) {
        const char *s = ch_buf_cstr(&w.paths), *end = s + ch_buf_len(&w.paths);
        for (size_t i = 0; s < end && i < w.n_files; i++, s += strlen(s) + 1)
            list[i] = s;
        qsort(list, w.n_files, sizeof(*list), cmp_str);
    }
    for (size_t i = 0; rc == CH_OK && i < w.n_files; i++) {
        struct ch_err ferr = CH_ERR_INIT;
        int frc = ch_sbom_read_file(inv, list[i], CH_SBOM_UNKNOWN, opt, &ferr);
        if (frc == CH_E_NOMEM || (frc == CH_E_LIMIT && ch_inventory_count(inv) > 0 &&
                                  strstr(ferr.msg, "inventory") != NULL)) {
            ch_err_copy(err, &ferr);
            rc = frc;
        } else if (frc != CH_OK) {
            rc = ch_inventory_skip(inv, list[i], NULL, ferr.msg, err);
        }
    }
    ch_free(list);
    ch_buf_release(&w.paths);
    return rc == CH_OK ? (int)(w.n_files > 0x7fffffff ? 0x7fffffff : w.n_files) : rc;
}
