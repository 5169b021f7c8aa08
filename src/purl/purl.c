/* SPDX-License-Identifier: Apache-2.0
 *
 * purl.c: package URL parsing and canonical form, after the purl
 * specification's "How to parse" and "How to build" algorithms
 * (https://github.com/package-url/purl-spec/blob/main/PURL-SPECIFICATION.rst)
 * and the type definitions in purl-spec/types/.
 *
 * Parsing splits the text from the right ('#' subpath, '?' qualifiers), then
 * from the left (scheme, type), then the version at the last '@' after the
 * last '/', the name at the last '/', and the namespace is what remains.
 * Each piece is percent-decoded; the decoded components then go through the
 * same normalisation as ch_purl_build(), so the two agree by construction.
 * Decoded text must be valid UTF-8 without NUL, so that components are
 * ordinary C strings and the canonical form re-parses to the same purl.
 */
#include "purl/purl.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

enum ns_req { NS_OPTIONAL, NS_REQUIRED, NS_PROHIBITED };

#define R_LOWER_NS (1u << 0)      /* namespace is case-insensitive: lowercase it */
#define R_UPPER_NS (1u << 1)      /* namespace shall be uppercase (cpan author id) */
#define R_LOWER_NAME (1u << 2)
#define R_LOWER_VERSION (1u << 3)
#define R_GIT_PATH (1u << 4)      /* namespace is the first segment, name the rest */

typedef int (*type_check_fn)(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err);

/* One row per purl type with rules beyond the generic ones. */
struct type_rule {
    const char *type;
    unsigned char ns;
    unsigned flags;
    type_check_fn check;   /* extra validation or normalisation, or NULL */
};

static int check_chrome(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err);
static int check_cpan(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err);
static int check_julia(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err);
static int check_mlflow(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err);
static int check_pub(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err);
static int check_pypi(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err);

/* From purl-spec types/<type>-definition.json; sorted by type for bsearch. */
static const struct type_rule type_rules[] = {
    {"alpm", NS_REQUIRED, R_LOWER_NS | R_LOWER_NAME, NULL},
    {"apk", NS_REQUIRED, R_LOWER_NS | R_LOWER_NAME, NULL},
    {"bazel", NS_PROHIBITED, 0, NULL},
    {"bitbucket", NS_REQUIRED, R_LOWER_NS | R_LOWER_NAME, NULL},
    {"bitnami", NS_PROHIBITED, R_LOWER_NAME, NULL},
    {"brew", NS_OPTIONAL, R_LOWER_NS | R_LOWER_NAME, NULL},
    {"cargo", NS_PROHIBITED, 0, NULL},
    {"chrome-extension", NS_PROHIBITED, R_LOWER_NAME, check_chrome},
    {"cocoapods", NS_PROHIBITED, 0, NULL},
    {"composer", NS_REQUIRED, R_LOWER_NS | R_LOWER_NAME, NULL},
    {"conan", NS_OPTIONAL, 0, NULL},
    {"conda", NS_PROHIBITED, 0, NULL},
    {"cpan", NS_OPTIONAL, R_UPPER_NS, check_cpan},
    {"cran", NS_PROHIBITED, 0, NULL},
    {"deb", NS_REQUIRED, R_LOWER_NS | R_LOWER_NAME, NULL},
    {"docker", NS_OPTIONAL, 0, NULL},
    {"gem", NS_PROHIBITED, 0, NULL},
    {"generic", NS_OPTIONAL, 0, NULL},
    /* The definition says case-sensitive; the test suite lowercases. */
    {"git", NS_REQUIRED, R_LOWER_NS | R_LOWER_NAME | R_GIT_PATH, NULL},
    {"github", NS_REQUIRED, R_LOWER_NS | R_LOWER_NAME, NULL},
    {"golang", NS_REQUIRED, 0, NULL},
    {"hackage", NS_PROHIBITED, 0, NULL},
    {"hex", NS_OPTIONAL, R_LOWER_NS | R_LOWER_NAME, NULL},
    /* "The namespace is the username or organization, if present." */
    {"huggingface", NS_OPTIONAL, R_LOWER_VERSION, NULL},
    {"julia", NS_PROHIBITED, 0, check_julia},
    {"luarocks", NS_OPTIONAL, R_LOWER_NS | R_LOWER_NAME, NULL},
    {"maven", NS_REQUIRED, 0, NULL},
    {"mlflow", NS_PROHIBITED, 0, check_mlflow},
    {"npm", NS_OPTIONAL, 0, NULL},
    {"nuget", NS_PROHIBITED, 0, NULL},
    {"oci", NS_PROHIBITED, R_LOWER_NAME | R_LOWER_VERSION, NULL},
    {"opam", NS_PROHIBITED, 0, NULL},
    {"otp", NS_PROHIBITED, R_LOWER_NAME, NULL},
    {"pub", NS_PROHIBITED, R_LOWER_NAME, check_pub},
    {"pypi", NS_PROHIBITED, R_LOWER_NAME | R_LOWER_VERSION, check_pypi},
    {"qpkg", NS_REQUIRED, R_LOWER_NS, NULL},
    {"rpm", NS_REQUIRED, R_LOWER_NS, NULL},
    {"swid", NS_OPTIONAL, 0, NULL},
    {"swift", NS_REQUIRED, 0, NULL},
    {"vcpkg", NS_PROHIBITED, 0, NULL},
    {"vscode-extension", NS_REQUIRED, R_LOWER_NS | R_LOWER_NAME | R_LOWER_VERSION, NULL},
    {"yocto", NS_OPTIONAL, R_LOWER_NS, NULL},
};

static int rule_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct type_rule *)elem)->type);
}

static const struct type_rule *find_rule(const char *type)
{
    return bsearch(type, type_rules, CH_ARRAY_SIZE(type_rules), sizeof(type_rules[0]), rule_cmp);
}

/* ---- character classes and case ---- */

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_val(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

/* Characters printed as themselves in the canonical form. */
static bool is_unreserved(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == ':';
}

static void ascii_lower(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
    }
}

static void ascii_upper(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
    }
}

static int nomem(struct ch_err *err)
{
    return ch_err_set(err, CH_E_NOMEM, "out of memory");
}

/* An arena copy that the normalisation may modify. */
static int dup_str(struct ch_arena *arena, const char *s, size_t len, char **ret, struct ch_err *err)
{
    char *d = ch_arena_strndup(arena, s, len);
    if (d == NULL)
        return nomem(err);
    *ret = d;
    return CH_OK;
}

/* Decoded text must be a C string of valid UTF-8. */
static int check_text(const char *field, const char *s, size_t len, struct ch_err *err)
{
    if (memchr(s, '\0', len) != NULL)
        return ch_err_setf(err, CH_E_INVALID, field, "purl %s contains a NUL byte", field);
    if (!ch_utf8_valid(s, len, NULL))
        return ch_err_setf(err, CH_E_INVALID, field, "purl %s is not valid UTF-8", field);
    return CH_OK;
}

/* Percent-decodes s into an arena string. */
static int pct_decode(struct ch_str s, const char *field, struct ch_arena *arena, char **ret,
                      struct ch_err *err)
{
    char *d = ch_arena_alloc(arena, s.len + 1);
    if (d == NULL)
        return nomem(err);
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c != '%') {
            d[n++] = (char)c;
            continue;
        }
        if (i + 2 >= s.len)
            return ch_err_setf(err, CH_E_INVALID, field, "purl %s has a truncated %%-escape",
                               field);
        if (!is_hex((unsigned char)s.ptr[i + 1]) || !is_hex((unsigned char)s.ptr[i + 2]))
            return ch_err_setf(err, CH_E_INVALID, field, "purl %s has an invalid %%-escape",
                               field);
        d[n++] = (char)(hex_val((unsigned char)s.ptr[i + 1]) * 16 +
                        hex_val((unsigned char)s.ptr[i + 2]));
        i += 2;
    }
    d[n] = '\0';
    int rc = check_text(field, d, n, err);
    if (rc != CH_OK)
        return rc;
    *ret = d;
    return CH_OK;
}

static void pct_encode_n(struct ch_buf *out, const char *s, size_t len, bool keep_slash)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            ch_buf_append_byte(out, (char)c);
            continue;
        }
        char esc[3] = {'%', hexd[c >> 4], hexd[c & 15]};
        ch_buf_append(out, esc, 3);
    }
}

static void pct_encode(struct ch_buf *out, const char *s, bool keep_slash)
{
    pct_encode_n(out, s, strlen(s), keep_slash);
}

/* ---- segment lists (namespace, subpath) ---- */

/*
 * Re-joins the '/'-separated segments of s without empty segments (and
 * without '.' and '..' when drop_dots), into an arena string; NULL when no
 * segment remains.
 */
static int norm_segments(const char *field, const char *s, bool drop_dots, struct ch_arena *arena,
                         char **ret, struct ch_err *err)
{
    size_t len = strlen(s);
    char *d = ch_arena_alloc(arena, len + 1);
    if (d == NULL)
        return nomem(err);
    size_t n = 0, count = 0;
    struct ch_str rest = ch_str_make(s, len), seg;
    while (ch_str_split_next(&rest, '/', &seg)) {
        if (seg.len == 0)
            continue;
        if (drop_dots && (ch_str_eq_c(seg, ".") || ch_str_eq_c(seg, "..")))
            continue;
        if (++count > CH_PURL_MAX_SEGMENTS)
            return ch_err_setf(err, CH_E_LIMIT, field, "purl %s has more than %d segments",
                               field, CH_PURL_MAX_SEGMENTS);
        if (n > 0)
            d[n++] = '/';
        memcpy(d + n, seg.ptr, seg.len);
        n += seg.len;
    }
    d[n] = '\0';
    *ret = n == 0 ? NULL : d;
    return CH_OK;
}

/* ---- validation of type and qualifier keys ---- */

static int check_type(struct ch_str t, struct ch_err *err)
{
    if (t.len == 0)
        return ch_err_setf(err, CH_E_INVALID, "type", "purl type is missing");
    if (!is_alpha((unsigned char)t.ptr[0]))
        return ch_err_setf(err, CH_E_INVALID, "type", "purl type '%.*s' must start with a letter",
                           CH_STR_FMT(t));
    for (size_t i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)t.ptr[i];
        if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '+' && c != '-')
            return ch_err_setf(err, CH_E_INVALID, "type",
                               "purl type '%.*s' has an invalid character", CH_STR_FMT(t));
    }
    return CH_OK;
}

static int check_key(struct ch_str k, unsigned flags, struct ch_err *err)
{
    if (k.len == 0)
        return ch_err_setf(err, CH_E_INVALID, "qualifiers", "purl qualifier key is empty");
    if (is_digit((unsigned char)k.ptr[0]))
        return ch_err_setf(err, CH_E_INVALID, "qualifiers",
                           "purl qualifier key '%.*s' starts with a digit", CH_STR_FMT(k));
    for (size_t i = 0; i < k.len; i++) {
        unsigned char c = (unsigned char)k.ptr[i];
        if ((flags & CH_PURL_STRICT) && c >= 'A' && c <= 'Z')
            return ch_err_setf(err, CH_E_INVALID, "qualifiers",
                               "purl qualifier key '%.*s' is not lowercase", CH_STR_FMT(k));
        if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '-' && c != '_')
            return ch_err_setf(err, CH_E_INVALID, "qualifiers",
                               "purl qualifier key '%.*s' has an invalid character",
                               CH_STR_FMT(k));
    }
    return CH_OK;
}

/* checksum(s)=alg:hex,alg:hex — lowercased, each item checked. */
static int norm_checksum(char *v, struct ch_err *err)
{
    ascii_lower(v);
    struct ch_str rest = ch_str_c(v), item;
    while (ch_str_split_next(&rest, ',', &item)) {
        long colon = ch_str_find_char(item, ':');
        bool ok = colon > 0 && (size_t)colon + 1 < item.len;
        for (size_t i = 0; ok && i < (size_t)colon; i++) {
            unsigned char c = (unsigned char)item.ptr[i];
            ok = is_alpha(c) || is_digit(c) || c == '-';
        }
        for (size_t i = (size_t)colon + 1; ok && i < item.len; i++)
            ok = is_hex((unsigned char)item.ptr[i]);
        if (!ok)
            return ch_err_setf(err, CH_E_INVALID, "qualifiers",
                               "purl checksum '%.*s' is not 'algorithm:hex'", CH_STR_FMT(item));
    }
    return CH_OK;
}

static int qual_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ch_purl_qualifier *)a)->key,
                  ((const struct ch_purl_qualifier *)b)->key);
}

/*
 * Copies, validates, lowercases and sorts qualifiers; drops empty values.
 * Keys must be unique.
 */
static int norm_qualifiers(const struct ch_purl_qualifier *in, size_t n_in, unsigned flags,
                           struct ch_arena *arena, struct ch_purl *out, struct ch_err *err)
{
    if (n_in > CH_PURL_MAX_QUALIFIERS)
        return ch_err_setf(err, CH_E_LIMIT, "qualifiers", "purl has more than %d qualifiers",
                           CH_PURL_MAX_QUALIFIERS);
    struct ch_purl_qualifier *q = NULL;
    if (n_in > 0) {
        q = ch_arena_calloc(arena, n_in, sizeof(*q));
        if (q == NULL)
            return nomem(err);
    }
    size_t n = 0;
    for (size_t i = 0; i < n_in; i++) {
        if (in[i].key == NULL)
            return ch_err_setf(err, CH_E_INVALID, "qualifiers", "purl qualifier key is missing");
        int rc = check_key(ch_str_c(in[i].key), flags, err);
        if (rc != CH_OK)
            return rc;
        if (in[i].value == NULL || in[i].value[0] == '\0')
            continue;
        char *k = NULL, *v = NULL;
        rc = dup_str(arena, in[i].key, strlen(in[i].key), &k, err);
        if (rc == CH_OK)
            rc = dup_str(arena, in[i].value, strlen(in[i].value), &v, err);
        if (rc == CH_OK)
            rc = check_text("qualifiers", v, strlen(v), err);
        if (rc != CH_OK)
            return rc;
        ascii_lower(k);
        if (strcmp(k, "checksum") == 0 || strcmp(k, "checksums") == 0) {
            rc = norm_checksum(v, err);
            if (rc != CH_OK)
                return rc;
        }
        q[n].key = k;
        q[n].value = v;
        n++;
    }
    if (n > 1)
        qsort(q, n, sizeof(*q), qual_cmp);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(q[i - 1].key, q[i].key) == 0)
            return ch_err_setf(err, CH_E_INVALID, "qualifiers",
                               "purl qualifier '%s' appears more than once", q[i].key);
    }
    out->qualifiers = n > 0 ? q : NULL;
    out->n_qualifiers = n;
    return CH_OK;
}

/* ---- type-specific rules ---- */

static int check_chrome(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err)
{
    size_t len = strlen(p->name);
    bool ok = len == 32;
    for (size_t i = 0; ok && i < len; i++)
        ok = p->name[i] >= 'a' && p->name[i] <= 'p';
    if (!ok)
        return ch_err_setf(err, CH_E_INVALID, "name",
                           "chrome-extension name '%s' is not 32 letters a-p", p->name);
    if (p->version == NULL)
        return CH_OK;
    /* ^\d+(\.\d+){0,3}$ */
    int dots = 0;
    bool digit_run = false;
    for (const char *s = p->version; *s != '\0'; s++) {
        if (is_digit((unsigned char)*s)) {
            digit_run = true;
        } else if (*s == '.' && digit_run && dots < 3) {
            dots++;
            digit_run = false;
        } else {
            digit_run = false;
            break;
        }
    }
    if (!digit_run)
        return ch_err_setf(err, CH_E_INVALID, "version",
                           "chrome-extension version '%s' is not 1 to 4 dotted numbers",
                           p->version);
    return CH_OK;
}

static int check_cpan(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err)
{
    if (strstr(p->name, "::") != NULL)
        return ch_err_setf(err, CH_E_INVALID, "name",
                           "cpan name '%s' is a module name; a distribution name has no '::'",
                           p->name);
    return CH_OK;
}

static int check_julia(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err)
{
    if (ch_purl_qualifier(p, "uuid") == NULL)
        return ch_err_setf(err, CH_E_INVALID, "qualifiers",
                           "julia purl requires the 'uuid' qualifier");
    return CH_OK;
}

/* Databricks model names are case-insensitive (lowercased), Azure ML ones are not. */
static int check_mlflow(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err)
{
    const char *repo = ch_purl_qualifier(p, "repository_url");
    if (repo != NULL && strstr(repo, "azuredatabricks.net") != NULL)
        ascii_lower((char *)p->name);
    return CH_OK;
}

/* Pub names are [a-z0-9_]: other characters become '_'. */
static int check_pub(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err)
{
    for (char *s = (char *)p->name; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || is_digit((unsigned char)*s) || *s == '_'))
            *s = '_';
    }
    return CH_OK;
}

static int check_pypi(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err)
{
    for (char *s = (char *)p->name; *s != '\0'; s++) {
        if (*s == '_')
            *s = '-';
    }
    return CH_OK;
}

/* Git purls: host as namespace, the repository path (owner/repo) as name. */
static int split_git_path(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err)
{
    char *full = p->ns == NULL ? ch_arena_strdup(arena, p->name)
                               : ch_arena_printf(arena, "%s/%s", p->ns, p->name);
    if (full == NULL)
        return nomem(err);
    char *joined = NULL;
    int rc = norm_segments("name", full, false, arena, &joined, err);
    if (rc != CH_OK)
        return rc;
    if (joined == NULL)
        return ch_err_setf(err, CH_E_INVALID, "name", "purl name is required");
    char *slash = strchr(joined, '/');
    if (slash == NULL) {
        p->ns = NULL;
        p->name = joined;
    } else {
        *slash = '\0';
        p->ns = joined;
        p->name = slash + 1;
    }
    return CH_OK;
}

static int apply_type_rules(struct ch_purl *p, struct ch_arena *arena, struct ch_err *err)
{
    const struct type_rule *r = find_rule(p->type);
    if (r == NULL)
        return CH_OK;
    if ((r->flags & R_GIT_PATH) != 0) {
        int rc = split_git_path(p, arena, err);
        if (rc != CH_OK)
            return rc;
    }
    if (r->ns == NS_REQUIRED && p->ns == NULL)
        return ch_err_setf(err, CH_E_INVALID, "namespace", "%s purl requires a namespace",
                           p->type);
    if (r->ns == NS_PROHIBITED && p->ns != NULL)
        return ch_err_setf(err, CH_E_INVALID, "namespace", "%s purl must not have a namespace",
                           p->type);
    /* The strings are arena copies made by normalise(); folding in place is safe. */
    if (p->ns != NULL && (r->flags & R_LOWER_NS))
        ascii_lower((char *)p->ns);
    if (p->ns != NULL && (r->flags & R_UPPER_NS))
        ascii_upper((char *)p->ns);
    if (r->flags & R_LOWER_NAME)
        ascii_lower((char *)p->name);
    if (p->version != NULL && (r->flags & R_LOWER_VERSION))
        ascii_lower((char *)p->version);
    return r->check == NULL ? CH_OK : r->check(p, arena, err);
}

/* ---- common normalisation of decoded components ---- */

static size_t opt_len(const char *s)
{
    return s == NULL ? 0 : strlen(s);
}

static int normalise(const struct ch_purl *in, unsigned flags, struct ch_arena *arena,
                     struct ch_purl *ret, struct ch_err *err)
{
    struct ch_purl p = {0};
    if (in->type == NULL)
        return ch_err_setf(err, CH_E_INVALID, "type", "purl type is missing");
    size_t total = strlen(in->type) + opt_len(in->ns) + opt_len(in->name) +
                   opt_len(in->version) + opt_len(in->subpath);
    for (size_t i = 0; i < in->n_qualifiers && i <= CH_PURL_MAX_QUALIFIERS; i++)
        total += opt_len(in->qualifiers[i].key) + opt_len(in->qualifiers[i].value);
    if (total > CH_PURL_MAX_LEN)
        return ch_err_set(err, CH_E_LIMIT, "purl is longer than %d bytes once decoded",
                          CH_PURL_MAX_LEN);
    int rc = check_type(ch_str_c(in->type), err);
    if (rc != CH_OK)
        return rc;
    char *type = NULL, *ns = NULL, *name = NULL, *version = NULL, *subpath = NULL;
    rc = dup_str(arena, in->type, strlen(in->type), &type, err);
    if (rc != CH_OK)
        return rc;
    ascii_lower(type);
    p.type = type;
    if (in->name == NULL || in->name[0] == '\0')
        return ch_err_setf(err, CH_E_INVALID, "name", "purl name is required");
    rc = dup_str(arena, in->name, strlen(in->name), &name, err);
    if (rc == CH_OK)
        rc = check_text("name", name, strlen(name), err);
    if (rc == CH_OK && in->ns != NULL) {
        rc = check_text("namespace", in->ns, strlen(in->ns), err);
        if (rc == CH_OK)
            rc = norm_segments("namespace", in->ns, false, arena, &ns, err);
    }
    if (rc == CH_OK && in->version != NULL) {
        if (in->version[0] == '\0')
            return ch_err_setf(err, CH_E_INVALID, "version", "purl version is empty");
        rc = dup_str(arena, in->version, strlen(in->version), &version, err);
        if (rc == CH_OK)
            rc = check_text("version", version, strlen(version), err);
    }
    if (rc == CH_OK && in->subpath != NULL) {
        rc = check_text("subpath", in->subpath, strlen(in->subpath), err);
        if (rc == CH_OK)
            rc = norm_segments("subpath", in->subpath, false, arena, &subpath, err);
    }
    if (rc == CH_OK)
        rc = norm_qualifiers(in->qualifiers, in->n_qualifiers, flags, arena, &p, err);
    if (rc != CH_OK)
        return rc;
    p.ns = ns;
    p.name = name;
    p.version = version;
    p.subpath = subpath;
    rc = apply_type_rules(&p, arena, err);
    if (rc != CH_OK)
        return rc;
    *ret = p;
    return CH_OK;
}

int ch_purl_build(const struct ch_purl *in, struct ch_arena *arena, struct ch_purl *ret,
                  struct ch_err *err)
{
    return normalise(in, 0, arena, ret, err);
}

/* ---- parsing ---- */

static long rfind(struct ch_str s, char c)
{
    for (size_t i = s.len; i > 0; i--) {
        if (s.ptr[i - 1] == c)
            return (long)(i - 1);
    }
    return -1;
}

static int parse_qualifiers(struct ch_str qs, unsigned flags, struct ch_arena *arena,
                            struct ch_purl *raw, struct ch_err *err)
{
    struct ch_purl_qualifier *q =
        ch_arena_calloc(arena, CH_PURL_MAX_QUALIFIERS, sizeof(*q));
    if (q == NULL)
        return nomem(err);
    size_t n = 0;
    struct ch_str rest = qs, pair;
    while (ch_str_split_next(&rest, '&', &pair)) {
        if (pair.len == 0)
            continue;
        long eq = ch_str_find_char(pair, '=');
        if (eq < 0)
            return ch_err_setf(err, CH_E_INVALID, "qualifiers",
                               "purl qualifier '%.*s' has no '='", CH_STR_FMT(pair));
        struct ch_str key = ch_str_sub(pair, 0, (size_t)eq);
        int rc = check_key(key, flags, err);
        if (rc != CH_OK)
            return rc;
        if (n == CH_PURL_MAX_QUALIFIERS)
            return ch_err_setf(err, CH_E_LIMIT, "qualifiers", "purl has more than %d qualifiers",
                               CH_PURL_MAX_QUALIFIERS);
        char *k = ch_arena_str(arena, key), *v = NULL;
        if (k == NULL)
            return nomem(err);
        rc = pct_decode(ch_str_sub(pair, (size_t)eq + 1, pair.len), "qualifiers", arena, &v, err);
        if (rc != CH_OK)
            return rc;
        q[n].key = k;
        q[n].value = v;
        n++;
    }
    raw->qualifiers = q;
    raw->n_qualifiers = n;
    return CH_OK;
}

/*
 * Decodes each '/'-separated segment of s on its own and re-joins them,
 * without empty segments and (for the subpath) without literal '.' and '..'
 * segments. Encoded dots ("%2E%2E") survive parsing, as the specification's
 * parse algorithm discards before decoding; the canonical form drops them.
 */
static int decode_segments(struct ch_str s, const char *field, bool drop_dots,
                           struct ch_arena *arena, char **ret, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_PURL_MAX_LEN + 1);
    struct ch_str rest = s, seg;
    int rc = CH_OK;
    while (rc == CH_OK && ch_str_split_next(&rest, '/', &seg)) {
        if (drop_dots && (ch_str_eq_c(seg, ".") || ch_str_eq_c(seg, "..")))
            continue;
        char *d = NULL;
        rc = pct_decode(seg, field, arena, &d, err);
        if (rc != CH_OK)
            break;
        if (d[0] == '\0')
            continue;
        if (ch_buf_len(&b) > 0)
            ch_buf_append_byte(&b, '/');
        ch_buf_append_c(&b, d);
    }
    if (rc == CH_OK)
        rc = ch_buf_status(&b, field, err);
    if (rc == CH_OK) {
        *ret = ch_arena_strndup(arena, ch_buf_cstr(&b), ch_buf_len(&b));
        if (*ret == NULL)
            rc = nomem(err);
    }
    ch_buf_release(&b);
    return rc;
}

static int check_raw_bytes(struct ch_str text, struct ch_err *err)
{
    for (size_t i = 0; i < text.len; i++) {
        unsigned char c = (unsigned char)text.ptr[i];
        if (c <= 0x20 || c == 0x7f)
            return ch_err_set(err, CH_E_INVALID,
                              "purl has a space or control character at offset %zu", i);
    }
    size_t bad = 0;
    if (!ch_utf8_valid(text.ptr, text.len, &bad))
        return ch_err_set(err, CH_E_INVALID, "purl is not valid UTF-8 at offset %zu", bad);
    return CH_OK;
}

int ch_purl_parse(struct ch_str text, unsigned flags, struct ch_arena *arena,
                  struct ch_purl *ret, struct ch_err *err)
{
    if (text.len > CH_PURL_MAX_TEXT)
        return ch_err_set(err, CH_E_LIMIT, "purl is longer than %d bytes", CH_PURL_MAX_TEXT);
    int rc = check_raw_bytes(text, err);
    if (rc != CH_OK)
        return rc;
    struct ch_purl raw = {0};
    struct ch_str rest = text;
    char *s = NULL;
    long pos = rfind(rest, '#');
    if (pos >= 0) {
        rc = decode_segments(ch_str_sub(rest, (size_t)pos + 1, rest.len), "subpath", true, arena, &s,
                             err);
        if (rc != CH_OK)
            return rc;
        raw.subpath = s;
        rest = ch_str_sub(rest, 0, (size_t)pos);
    }
    pos = rfind(rest, '?');
    if (pos >= 0) {
        rc = parse_qualifiers(ch_str_sub(rest, (size_t)pos + 1, rest.len), flags, arena, &raw,
                              err);
        if (rc != CH_OK)
            return rc;
        rest = ch_str_sub(rest, 0, (size_t)pos);
    }
    pos = ch_str_find_char(rest, ':');
    if (pos < 0 || !ch_str_case_eq_c(ch_str_sub(rest, 0, (size_t)pos), "pkg"))
        return ch_err_setf(err, CH_E_INVALID, "scheme", "purl must start with 'pkg:'");
    rest = ch_str_sub(rest, (size_t)pos + 1, rest.len);
    while (rest.len > 0 && rest.ptr[0] == '/')
        rest = ch_str_sub(rest, 1, rest.len);
    pos = ch_str_find_char(rest, '/');
    struct ch_str type = pos < 0 ? rest : ch_str_sub(rest, 0, (size_t)pos);
    rc = check_type(type, err);
    if (rc != CH_OK)
        return rc;
    if (pos < 0)
        return ch_err_setf(err, CH_E_INVALID, "name", "purl name is required");
    if ((raw.type = ch_arena_str(arena, type)) == NULL)
        return nomem(err);
    rest = ch_str_sub(rest, (size_t)pos + 1, rest.len);
    while (rest.len > 0 && rest.ptr[rest.len - 1] == '/')
        rest.len--;
    long slash = rfind(rest, '/');
    long at = rfind(rest, '@');
    if (at >= 0 && at > slash) {
        rc = pct_decode(ch_str_sub(rest, (size_t)at + 1, rest.len), "version", arena, &s, err);
        if (rc != CH_OK)
            return rc;
        raw.version = s;
        rest = ch_str_sub(rest, 0, (size_t)at);
    }
    slash = rfind(rest, '/');
    rc = pct_decode(ch_str_sub(rest, (size_t)(slash + 1), rest.len), "name", arena, &s, err);
    if (rc != CH_OK)
        return rc;
    raw.name = s;
    if (slash >= 0) {
        rc = decode_segments(ch_str_sub(rest, 0, (size_t)slash), "namespace", false, arena, &s,
                             err);
        if (rc != CH_OK)
            return rc;
        raw.ns = s;
    }
    return normalise(&raw, flags, arena, ret, err);
}

/* ---- printing ---- */

/* Segments never contain '/' themselves, so the separators stay literal. */
static void encode_segments(struct ch_buf *out, const char *s)
{
    pct_encode(out, s, true);
}

/* The subpath without '.' and '..' segments; false when nothing remains. */
static bool encode_subpath(struct ch_buf *out, const char *s)
{
    struct ch_str rest = ch_str_c(s), seg;
    bool any = false;
    while (ch_str_split_next(&rest, '/', &seg)) {
        if (ch_str_eq_c(seg, ".") || ch_str_eq_c(seg, ".."))
            continue;
        ch_buf_append_byte(out, any ? '/' : '#');
        pct_encode_n(out, seg.ptr, seg.len, false);
        any = true;
    }
    return any;
}

int ch_purl_format(const struct ch_purl *p, struct ch_buf *out)
{
    const struct type_rule *r = find_rule(p->type);
    ch_buf_append_c(out, "pkg:");
    ch_buf_append_c(out, p->type);
    ch_buf_append_byte(out, '/');
    if (p->ns != NULL) {
        encode_segments(out, p->ns);
        ch_buf_append_byte(out, '/');
    }
    pct_encode(out, p->name, r != NULL && (r->flags & R_GIT_PATH) != 0);
    if (p->version != NULL) {
        ch_buf_append_byte(out, '@');
        pct_encode(out, p->version, false);
    }
    for (size_t i = 0; i < p->n_qualifiers; i++) {
        ch_buf_append_byte(out, i == 0 ? '?' : '&');
        ch_buf_append_c(out, p->qualifiers[i].key);
        ch_buf_append_byte(out, '=');
        pct_encode(out, p->qualifiers[i].value, false);
    }
    if (p->subpath != NULL)
        encode_subpath(out, p->subpath);
    return out->failed;
}

char *ch_purl_to_string(const struct ch_purl *p, struct ch_arena *arena)
{
    struct ch_buf b;
    ch_buf_init(&b, (size_t)CH_PURL_MAX_TEXT + 1);
    char *s = NULL;
    if (ch_purl_format(p, &b) == CH_OK)
        s = ch_arena_strndup(arena, ch_buf_cstr(&b), ch_buf_len(&b));
    ch_buf_release(&b);
    return s;
}

int ch_purl_canonicalize(struct ch_str text, unsigned flags, struct ch_arena *arena,
                         const char **ret, struct ch_err *err)
{
    struct ch_purl p;
    int rc = ch_purl_parse(text, flags, arena, &p, err);
    if (rc != CH_OK)
        return rc;
    char *s = ch_purl_to_string(&p, arena);
    if (s == NULL)
        return nomem(err);
    *ret = s;
    return CH_OK;
}

const char *ch_purl_qualifier(const struct ch_purl *p, const char *key)
{
    for (size_t i = 0; i < p->n_qualifiers; i++) {
        if (strcmp(p->qualifiers[i].key, key) == 0)
            return p->qualifiers[i].value;
    }
    return NULL;
}
