/* SPDX-License-Identifier: Apache-2.0
 *
 * csaf.c: CSAF 2.0 documents into the advisory model (see csaf.h and
 * docs/formats.md; specification:
 * https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html).
 *
 * Two passes over the parsed document. The first resolves the product tree
 * into a map from product id to what we know of the product: the vendor,
 * product name and version come from the categories of the enclosing
 * branches, purl and CPE from product_identification_helper; a relationship
 * ("X default_component_of Y") makes a product that inherits the
 * component's identity and, when the component has none, the platform's
 * CPE. The second pass turns each vulnerability into one advisory.
 *
 * Errors are split by their reach: a malformed document (no tracking id, a
 * mistyped top-level member, a broken product tree) fails the whole call,
 * while a malformed vulnerability entry is reported to sink->reject with its
 * JSON path and skipped. Every string delivered is copied into the caller's
 * arena; arrays are sized from the elements the parsed document really
 * holds.
 */
#include "vuln/csaf.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/map.h"

/* Red Hat's largest CSAF VEX files reach tens of MB; 64 MiB bounds one hostile document. */
#define CH_CSAF_MAX_DOC_BYTES ((size_t)64 << 20)
/* Product trees nest about 10 levels; cJSON recursion must stay far from the stack's end. */
#define CH_CSAF_MAX_DEPTH 64u
/* One string (a note can be long prose): 4 MiB. */
#define CH_CSAF_MAX_STRING ((size_t)4 << 20)
/* Values in one document; large VEX files hold a few million. */
#define CH_CSAF_MAX_NODES ((size_t)8 << 20)
/* Nesting of product_tree branches (real: 4); the recursion is bounded by this. */
#define CH_CSAF_MAX_BRANCH_DEPTH 32u
/* Products defined in one tree (real maximum: a few thousand). */
#define CH_CSAF_MAX_PRODUCTS 500000
/* Entries of vulnerabilities[] (real maximum: a few hundred). */
#define CH_CSAF_MAX_VULNS 100000
/* Product ids in the product_status of one vulnerability. */
#define CH_CSAF_MAX_STATUS_PRODUCTS 500000
/* scores[], references[], remediations[], notes[], ids[] of one vulnerability. */
#define CH_CSAF_MAX_ITEMS 10000
/* Tracking ids are short ("ICSA-24-151-01"); 256 bytes bounds the advisory id. */
#define CH_CSAF_MAX_TRACKING_ID 256
/* Bad vulnerability entries reported per document before giving up on it. */
#define CH_CSAF_MAX_REJECTS 1000

#define PATH_BYTES 192

/* What the product tree says about one product id. Strings live in the arena. */
struct product {
    const char *vendor;
    const char *name;    /* product name, else family, else the full product name */
    const char *version; /* product_version or product_version_range */
    const char *purl;
    const char *cpe;
};

struct cs {
    struct ch_arena *arena;
    struct ch_err *err;      /* where the current step reports */
    struct ch_map *products; /* product id → struct product (arena) */
    size_t n_products;
    const char *source;
    const char *tracking_id; /* borrowed from the tree */
    const char *doc_title;
    const char *doc_summary;
    int64_t published;
    int64_t modified;
    int32_t modified_nsec;
    const cJSON *doc_refs;
};

static int nomem(struct cs *c)
{
    return ch_err_set(c->err, CH_E_NOMEM, "out of memory reading CSAF document");
}

static int invalid(struct cs *c, const char *path, const char *what)
{
    return ch_err_setf(c->err, CH_E_INVALID, path, "field '%s': %s", path, what);
}

static int limit(struct cs *c, const char *path, size_t max)
{
    return ch_err_setf(c->err, CH_E_LIMIT, path, "field '%s': more than %zu entries", path, max);
}

/* Appends s to the path in out (n bytes used), truncating at PATH_BYTES - 1. */
static void path_append(char *out, size_t *n, const char *s)
{
    size_t len = strlen(s);
    if (len > PATH_BYTES - 1 - *n)
        len = PATH_BYTES - 1 - *n;
    memcpy(out + *n, s, len);
    *n += len;
    out[*n] = '\0';
}

static void child_path(char *out, const char *path, const char *key)
{
    size_t n = 0;
    out[0] = '\0';
    path_append(out, &n, path);
    if (path[0] != '\0')
        path_append(out, &n, ".");
    path_append(out, &n, key);
}

static void index_path(char *out, const char *path, size_t i)
{
    char num[32];
    snprintf(num, sizeof(num), "[%zu]", i);
    size_t n = 0;
    out[0] = '\0';
    path_append(out, &n, path);
    path_append(out, &n, num);
}

static size_t count(const cJSON *arr)
{
    size_t n = 0;
    for (const cJSON *x = arr != NULL ? arr->child : NULL; x != NULL; x = x->next)
        n++;
    return n;
}

static int copy(struct cs *c, const char *s, const char **ret)
{
    if (s == NULL) {
        *ret = NULL;
        return CH_OK;
    }
    *ret = ch_arena_strdup(c->arena, s);
    return *ret == NULL ? nomem(c) : CH_OK;
}

static int get_time(struct cs *c, const cJSON *obj, const char *key, bool required,
                    const char *path, int64_t *ret, int32_t *ret_nsec)
{
    const char *s = NULL;
    int rc = ch_json_get_str(obj, key, required, path, &s, c->err);
    if (rc != CH_OK || s == NULL)
        return rc;
    struct ch_err terr = CH_ERR_INIT;
    int64_t t;
    int32_t ns;
    if (ch_time_parse(ch_str_c(s), &t, &ns, &terr) != CH_OK) {
        char p[PATH_BYTES];
        child_path(p, path, key);
        return invalid(c, p, terr.msg);
    }
    /* the model uses -1 for "absent": no advisory data predates the epoch */
    if (t < 0) {
        char p[PATH_BYTES];
        child_path(p, path, key);
        return invalid(c, p, "date before 1970-01-01");
    }
    *ret = t;
    if (ret_nsec != NULL)
        *ret_nsec = ns;
    return CH_OK;
}

/* ---- product tree ---- */

/* Branch context: borrowed names of the enclosing branches. */
struct branch_ctx {
    const char *vendor;
    const char *family;
    const char *product;
    const char *version;
};

/* Registers a full_product_name object (first definition of an id wins). */
static int add_product(struct cs *c, const cJSON *fpn, const char *path,
                       const struct branch_ctx *ctx)
{
    if (!cJSON_IsObject(fpn))
        return invalid(c, path, "expected an object");
    const char *id = NULL;
    const char *name = NULL;
    const cJSON *helper = NULL;
    const char *purl = NULL;
    const char *cpe = NULL;
    char hp[PATH_BYTES];
    child_path(hp, path, "product_identification_helper");
    int rc = ch_json_get_str(fpn, "product_id", true, path, &id, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(fpn, "name", true, path, &name, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_obj(fpn, "product_identification_helper", false, path, &helper, c->err);
    if (rc == CH_OK && helper != NULL)
        rc = ch_json_get_str(helper, "purl", false, hp, &purl, c->err);
    if (rc == CH_OK && helper != NULL)
        rc = ch_json_get_str(helper, "cpe", false, hp, &cpe, c->err);
    if (rc != CH_OK)
        return rc;
    if (ch_map_has(c->products, ch_str_c(id)))
        return CH_OK;
    if (++c->n_products > CH_CSAF_MAX_PRODUCTS)
        return limit(c, "product_tree", CH_CSAF_MAX_PRODUCTS);
    struct product *p = ch_arena_calloc(c->arena, 1, sizeof(*p));
    if (p == NULL)
        return nomem(c);
    const char *pname = ctx->product != NULL  ? ctx->product
                        : ctx->family != NULL ? ctx->family
                                              : name;
    rc = copy(c, ctx->vendor, &p->vendor);
    if (rc == CH_OK)
        rc = copy(c, pname, &p->name);
    if (rc == CH_OK)
        rc = copy(c, ctx->version, &p->version);
    if (rc == CH_OK)
        rc = copy(c, purl, &p->purl);
    if (rc == CH_OK)
        rc = copy(c, cpe, &p->cpe);
    if (rc != CH_OK)
        return rc;
    if (ch_map_put(c->products, ch_str_c(id), p) != CH_OK)
        return nomem(c);
    return CH_OK;
}

static int walk_branches(struct cs *c, const cJSON *arr, const char *path, struct branch_ctx ctx,
                         unsigned depth);

static int walk_branch(struct cs *c, const cJSON *b, const char *path, struct branch_ctx ctx,
                       unsigned depth)
{
    if (!cJSON_IsObject(b))
        return invalid(c, path, "expected an object");
    const char *category = NULL;
    const char *name = NULL;
    int rc = ch_json_get_str(b, "category", true, path, &category, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(b, "name", true, path, &name, c->err);
    if (rc != CH_OK)
        return rc;
    if (strcmp(category, "vendor") == 0)
        ctx.vendor = name;
    else if (strcmp(category, "product_family") == 0)
        ctx.family = name;
    else if (strcmp(category, "product_name") == 0)
        ctx.product = name;
    else if (strcmp(category, "product_version") == 0 ||
             strcmp(category, "product_version_range") == 0)
        ctx.version = name;
    /* architecture, language, patch_level, service_pack, ...: not modelled */
    const cJSON *product = NULL;
    const cJSON *sub = NULL;
    rc = ch_json_get_obj(b, "product", false, path, &product, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(b, "branches", false, path, &sub, c->err);
    if (rc != CH_OK)
        return rc;
    if (product != NULL) {
        char p[PATH_BYTES];
        child_path(p, path, "product");
        rc = add_product(c, product, p, &ctx);
        if (rc != CH_OK)
            return rc;
    }
    if (sub == NULL)
        return CH_OK;
    char p[PATH_BYTES];
    child_path(p, path, "branches");
    return walk_branches(c, sub, p, ctx, depth + 1);
}

static int walk_branches(struct cs *c, const cJSON *arr, const char *path, struct branch_ctx ctx,
                         unsigned depth)
{
    if (depth > CH_CSAF_MAX_BRANCH_DEPTH)
        return ch_err_setf(c->err, CH_E_LIMIT, path, "field '%s': branches nested deeper than %u",
                           path, CH_CSAF_MAX_BRANCH_DEPTH);
    size_t i = 0;
    for (const cJSON *b = arr->child; b != NULL; b = b->next, i++) {
        char p[PATH_BYTES];
        index_path(p, path, i);
        int rc = walk_branch(c, b, p, ctx, depth);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

static int read_relationship(struct cs *c, const cJSON *rel, const char *path)
{
    if (!cJSON_IsObject(rel))
        return invalid(c, path, "expected an object");
    const char *comp_id = NULL;
    const char *plat_id = NULL;
    const cJSON *fpn = NULL;
    int rc = ch_json_get_str(rel, "product_reference", true, path, &comp_id, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(rel, "relates_to_product_reference", true, path, &plat_id, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_obj(rel, "full_product_name", true, path, &fpn, c->err);
    if (rc != CH_OK)
        return rc;
    const struct product *comp = ch_map_get(c->products, ch_str_c(comp_id));
    const struct product *plat = ch_map_get(c->products, ch_str_c(plat_id));
    struct branch_ctx ctx = {0};
    if (comp != NULL) {
        ctx.vendor = comp->vendor;
        ctx.product = comp->name;
        ctx.version = comp->version;
    }
    if (ctx.vendor == NULL && plat != NULL)
        ctx.vendor = plat->vendor;
    char p[PATH_BYTES];
    child_path(p, path, "full_product_name");
    size_t before = c->n_products;
    rc = add_product(c, fpn, p, &ctx);
    if (rc != CH_OK || c->n_products == before)
        return rc;
    /* identity of the component; the platform's CPE only when the component has none */
    struct product *np = ch_map_get(c->products, ch_str_c(ch_json_str(fpn, "product_id")));
    if (np == NULL || comp == NULL)
        return CH_OK;
    if (np->purl == NULL)
        np->purl = comp->purl;
    if (np->cpe == NULL)
        np->cpe = comp->cpe != NULL ? comp->cpe : plat != NULL ? plat->cpe : NULL;
    return CH_OK;
}

static int read_product_tree(struct cs *c, const cJSON *root)
{
    const cJSON *tree = NULL;
    int rc = ch_json_get_obj(root, "product_tree", false, "", &tree, c->err);
    if (rc != CH_OK || tree == NULL)
        return rc;
    const cJSON *branches = NULL;
    const cJSON *fpns = NULL;
    const cJSON *rels = NULL;
    rc = ch_json_get_arr(tree, "branches", false, "product_tree", &branches, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(tree, "full_product_names", false, "product_tree", &fpns, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(tree, "relationships", false, "product_tree", &rels, c->err);
    if (rc == CH_OK && branches != NULL)
        rc = walk_branches(c, branches, "product_tree.branches", (struct branch_ctx){0}, 1);
    size_t i = 0;
    const struct branch_ctx none = {0};
    for (const cJSON *x = fpns != NULL ? fpns->child : NULL; rc == CH_OK && x != NULL;
         x = x->next, i++) {
        char p[PATH_BYTES];
        index_path(p, "product_tree.full_product_names", i);
        rc = add_product(c, x, p, &none);
    }
    i = 0;
    for (const cJSON *x = rels != NULL ? rels->child : NULL; rc == CH_OK && x != NULL;
         x = x->next, i++) {
        char p[PATH_BYTES];
        index_path(p, "product_tree.relationships", i);
        rc = read_relationship(c, x, p);
    }
    return rc;
}

/* ---- one vulnerability ---- */

/*
 * product_status categories and the status recorded for them: the affected
 * ones collapse to "known_affected" and the fixed ones to "fixed", because a
 * CSAF product id names discrete products (the first/last distinction has
 * no range to apply to), leaving consumers four values to handle.
 */
static const struct {
    const char *category;
    const char *status;
} statuses[] = {
    {"known_affected", "known_affected"},
    {"first_affected", "known_affected"},
    {"last_affected", "known_affected"},
    {"fixed", "fixed"},
    {"first_fixed", "fixed"},
    {"known_not_affected", "known_not_affected"},
    {"under_investigation", "under_investigation"},
};

static int read_status(struct cs *c, const cJSON *v, const char *path, struct ch_advisory *a)
{
    const cJSON *ps = NULL;
    int rc = ch_json_get_obj(v, "product_status", false, path, &ps, c->err);
    if (rc != CH_OK || ps == NULL)
        return rc;
    char pp[PATH_BYTES];
    child_path(pp, path, "product_status");
    const cJSON *lists[CH_ARRAY_SIZE(statuses)] = {0};
    size_t total = 0;
    for (size_t k = 0; k < CH_ARRAY_SIZE(statuses); k++) {
        rc = ch_json_get_arr(ps, statuses[k].category, false, pp, &lists[k], c->err);
        if (rc != CH_OK)
            return rc;
        total += count(lists[k]);
    }
    if (total > CH_CSAF_MAX_STATUS_PRODUCTS)
        return limit(c, pp, CH_CSAF_MAX_STATUS_PRODUCTS);
    if (total == 0)
        return CH_OK;
    a->affected = ch_arena_calloc(c->arena, total, sizeof(*a->affected));
    if (a->affected == NULL)
        return nomem(c);
    for (size_t k = 0; k < CH_ARRAY_SIZE(statuses); k++) {
        char lp[PATH_BYTES];
        child_path(lp, pp, statuses[k].category);
        size_t i = 0;
        for (const cJSON *x = lists[k] != NULL ? lists[k]->child : NULL; x != NULL;
             x = x->next, i++) {
            char p[PATH_BYTES];
            index_path(p, lp, i);
            if (!cJSON_IsString(x))
                return invalid(c, p, "expected a string");
            const struct product *prod = ch_map_get(c->products, ch_str_c(x->valuestring));
            if (prod == NULL) {
                char q[160];
                snprintf(q, sizeof(q), "product id '%.100s' is not defined in product_tree",
                         x->valuestring);
                return invalid(c, p, q);
            }
            struct ch_adv_affected *af = &a->affected[a->n_affected++];
            af->vendor = prod->vendor;
            af->product = prod->name;
            af->purl = prod->purl;
            af->status = statuses[k].status;
            if (prod->cpe != NULL) {
                af->cpes = ch_arena_alloc(c->arena, sizeof(*af->cpes));
                if (af->cpes == NULL)
                    return nomem(c);
                af->cpes[0] = prod->cpe;
                af->n_cpes = 1;
            }
            if (prod->version != NULL) {
                af->versions = ch_arena_alloc(c->arena, sizeof(*af->versions));
                if (af->versions == NULL)
                    return nomem(c);
                af->versions[0] = prod->version;
                af->n_versions = 1;
            }
        }
    }
    return CH_OK;
}

static int get_items(struct cs *c, const cJSON *obj, const char *key, const char *path,
                     const cJSON **ret, size_t *ret_n)
{
    *ret = NULL;
    *ret_n = 0;
    int rc = ch_json_get_arr(obj, key, false, path, ret, c->err);
    if (rc != CH_OK)
        return rc;
    *ret_n = count(*ret);
    if (*ret_n > CH_CSAF_MAX_ITEMS) {
        char p[PATH_BYTES];
        child_path(p, path, key);
        return limit(c, p, CH_CSAF_MAX_ITEMS);
    }
    return CH_OK;
}

static int add_severity(struct cs *c, struct ch_advisory *a, const char *type, const char *vec)
{
    for (size_t i = 0; i < a->n_severity; i++) {
        if (strcmp(a->severity[i].type, type) == 0 && strcmp(a->severity[i].score, vec) == 0)
            return CH_OK;
    }
    a->severity[a->n_severity].type = type;
    int rc = copy(c, vec, &a->severity[a->n_severity].score);
    if (rc == CH_OK)
        a->n_severity++;
    return rc;
}

static int read_scores(struct cs *c, const cJSON *v, const char *path, struct ch_advisory *a)
{
    const cJSON *arr = NULL;
    size_t n = 0;
    int rc = get_items(c, v, "scores", path, &arr, &n);
    if (rc != CH_OK || n == 0)
        return rc;
    a->severity = ch_arena_calloc(c->arena, n * 2, sizeof(*a->severity));
    if (a->severity == NULL)
        return nomem(c);
    char sp[PATH_BYTES];
    child_path(sp, path, "scores");
    size_t i = 0;
    for (const cJSON *s = arr->child; s != NULL; s = s->next, i++) {
        char p[PATH_BYTES];
        index_path(p, sp, i);
        if (!cJSON_IsObject(s))
            return invalid(c, p, "expected an object");
        static const char *const keys[][2] = {{"cvss_v3", "CVSS_V3"}, {"cvss_v4", "CVSS_V4"}};
        for (size_t k = 0; k < CH_ARRAY_SIZE(keys); k++) {
            const cJSON *cvss = NULL;
            rc = ch_json_get_obj(s, keys[k][0], false, p, &cvss, c->err);
            if (rc != CH_OK)
                return rc;
            if (cvss == NULL)
                continue;
            char q[PATH_BYTES];
            child_path(q, p, keys[k][0]);
            const char *vec = NULL;
            rc = ch_json_get_str(cvss, "vectorString", true, q, &vec, c->err);
            if (rc == CH_OK)
                rc = add_severity(c, a, keys[k][1], vec);
            if (rc != CH_OK)
                return rc;
        }
    }
    return CH_OK;
}

static int add_reference(struct cs *c, struct ch_advisory *a, const char *type, const char *url)
{
    for (size_t i = 0; i < a->n_references; i++) {
        if (strcmp(a->references[i].url, url) == 0)
            return CH_OK;
    }
    a->references[a->n_references].type = type;
    int rc = copy(c, url, &a->references[a->n_references].url);
    if (rc == CH_OK)
        a->n_references++;
    return rc;
}

/* references[] ({category, summary, url}) at path: self → ADVISORY, external → WEB. */
static int read_ref_list(struct cs *c, const cJSON *arr, const char *path, struct ch_advisory *a)
{
    size_t i = 0;
    for (const cJSON *r = arr != NULL ? arr->child : NULL; r != NULL; r = r->next, i++) {
        char p[PATH_BYTES];
        index_path(p, path, i);
        if (!cJSON_IsObject(r))
            return invalid(c, p, "expected an object");
        const char *url = NULL;
        const char *category = NULL;
        int rc = ch_json_get_str(r, "url", true, p, &url, c->err);
        if (rc == CH_OK)
            rc = ch_json_get_str(r, "category", false, p, &category, c->err);
        if (rc == CH_OK) {
            bool self = category != NULL && strcmp(category, "self") == 0;
            rc = add_reference(c, a, self ? "ADVISORY" : "WEB", url);
        }
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

static int read_references(struct cs *c, const cJSON *v, const char *path, struct ch_advisory *a)
{
    const cJSON *refs = NULL;
    const cJSON *rems = NULL;
    size_t n_refs = 0;
    size_t n_rems = 0;
    size_t n_doc = count(c->doc_refs);
    int rc = get_items(c, v, "references", path, &refs, &n_refs);
    if (rc == CH_OK)
        rc = get_items(c, v, "remediations", path, &rems, &n_rems);
    if (rc != CH_OK)
        return rc;
    size_t total = n_refs + n_rems + n_doc;
    if (total == 0)
        return CH_OK;
    a->references = ch_arena_calloc(c->arena, total, sizeof(*a->references));
    if (a->references == NULL)
        return nomem(c);
    char p[PATH_BYTES];
    child_path(p, path, "references");
    rc = read_ref_list(c, refs, p, a);
    child_path(p, path, "remediations");
    size_t i = 0;
    for (const cJSON *r = rems != NULL ? rems->child : NULL; rc == CH_OK && r != NULL;
         r = r->next, i++) {
        char q[PATH_BYTES];
        index_path(q, p, i);
        if (!cJSON_IsObject(r))
            return invalid(c, q, "expected an object");
        const char *category = NULL;
        const char *url = NULL;
        rc = ch_json_get_str(r, "category", true, q, &category, c->err);
        if (rc == CH_OK)
            rc = ch_json_get_str(r, "url", false, q, &url, c->err);
        if (rc == CH_OK && url != NULL && strcmp(category, "vendor_fix") == 0)
            rc = add_reference(c, a, "FIX", url);
    }
    if (rc == CH_OK)
        rc = read_ref_list(c, c->doc_refs, "document.references", a);
    return rc;
}

/* An id-like string (GHSA-xxxx, RHSA-2024:1, ...): letters, '-', then no spaces or '/'. */
static bool looks_like_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 4 || n > 64 || !(s[0] >= 'A' && s[0] <= 'Z'))
        return false;
    size_t dash = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '-' && dash == 0)
            dash = i;
        if (ch <= ' ' || ch == '/' || ch == '"' || (unsigned char)ch >= 0x7f)
            return false;
    }
    return dash > 0 && dash + 1 < n;
}

static int read_aliases(struct cs *c, const cJSON *v, const char *path, const char *cve,
                        struct ch_advisory *a)
{
    const cJSON *ids = NULL;
    size_t n = 0;
    int rc = get_items(c, v, "ids", path, &ids, &n);
    if (rc != CH_OK)
        return rc;
    a->aliases = ch_arena_calloc(c->arena, n + 1, sizeof(*a->aliases));
    if (a->aliases == NULL)
        return nomem(c);
    if (cve != NULL) {
        rc = copy(c, cve, &a->aliases[a->n_aliases++]);
        if (rc != CH_OK)
            return rc;
    }
    char ip[PATH_BYTES];
    child_path(ip, path, "ids");
    size_t i = 0;
    for (const cJSON *x = ids != NULL ? ids->child : NULL; x != NULL; x = x->next, i++) {
        char p[PATH_BYTES];
        index_path(p, ip, i);
        if (!cJSON_IsObject(x))
            return invalid(c, p, "expected an object");
        const char *text = NULL;
        rc = ch_json_get_str(x, "text", true, p, &text, c->err);
        if (rc != CH_OK)
            return rc;
        /* bug tracker numbers and URLs name tickets, not vulnerabilities */
        if (!looks_like_id(text) || (cve != NULL && strcmp(text, cve) == 0))
            continue;
        rc = copy(c, text, &a->aliases[a->n_aliases++]);
        if (rc != CH_OK)
            return rc;
    }
    return CH_OK;
}

/* The text of the first note of one of the given categories, in order of preference. */
static int pick_note(struct cs *c, const cJSON *notes, const char *path, const char **ret)
{
    static const char *const prefer[] = {"description", "summary", "general", "details"};
    size_t best = CH_ARRAY_SIZE(prefer);
    size_t i = 0;
    for (const cJSON *n = notes != NULL ? notes->child : NULL; n != NULL; n = n->next, i++) {
        char p[PATH_BYTES];
        index_path(p, path, i);
        if (!cJSON_IsObject(n))
            return invalid(c, p, "expected an object");
        const char *category = NULL;
        const char *text = NULL;
        int rc = ch_json_get_str(n, "category", true, p, &category, c->err);
        if (rc == CH_OK)
            rc = ch_json_get_str(n, "text", true, p, &text, c->err);
        if (rc != CH_OK)
            return rc;
        for (size_t k = 0; k < best; k++) {
            if (strcmp(category, prefer[k]) == 0) {
                best = k;
                *ret = text;
            }
        }
    }
    return CH_OK;
}

static int read_texts(struct cs *c, const cJSON *v, const char *path, struct ch_advisory *a)
{
    const char *title = NULL;
    const char *details = NULL;
    const cJSON *notes = NULL;
    size_t n = 0;
    int rc = ch_json_get_str(v, "title", false, path, &title, c->err);
    if (rc == CH_OK)
        rc = get_items(c, v, "notes", path, &notes, &n);
    char p[PATH_BYTES];
    child_path(p, path, "notes");
    if (rc == CH_OK)
        rc = pick_note(c, notes, p, &details);
    if (rc != CH_OK)
        return rc;
    rc = copy(c, title != NULL ? title : c->doc_title, &a->summary);
    if (rc == CH_OK)
        rc = copy(c, details != NULL ? details : c->doc_summary, &a->details);
    return rc;
}

static int read_cwe(struct cs *c, const cJSON *v, const char *path, struct ch_advisory *a)
{
    const cJSON *cwe = NULL;
    int rc = ch_json_get_obj(v, "cwe", false, path, &cwe, c->err);
    if (rc != CH_OK || cwe == NULL)
        return rc;
    char p[PATH_BYTES];
    child_path(p, path, "cwe");
    const char *id = NULL;
    rc = ch_json_get_str(cwe, "id", true, p, &id, c->err);
    if (rc != CH_OK)
        return rc;
    a->cwes = ch_arena_alloc(c->arena, sizeof(*a->cwes));
    if (a->cwes == NULL)
        return nomem(c);
    rc = copy(c, id, &a->cwes[0]);
    if (rc == CH_OK)
        a->n_cwes = 1;
    return rc;
}

static int read_vuln(struct cs *c, const cJSON *v, const char *path, size_t index,
                     struct ch_advisory *a)
{
    if (!cJSON_IsObject(v))
        return invalid(c, path, "expected an object");
    const char *cve = NULL;
    int rc = ch_json_get_str(v, "cve", false, path, &cve, c->err);
    if (rc != CH_OK)
        return rc;
    if (cve != NULL && (strlen(cve) > 32 || !ch_is_cve_id(cve))) {
        char p[PATH_BYTES];
        child_path(p, path, "cve");
        return invalid(c, p, "expected a CVE id (CVE-YYYY-NNNN)");
    }
    a->id = cve != NULL ? ch_arena_printf(c->arena, "%s#%s", c->tracking_id, cve)
                        : ch_arena_printf(c->arena, "%s#%zu", c->tracking_id, index + 1);
    if (a->id == NULL)
        return nomem(c);
    a->published = c->published;
    a->modified = c->modified;
    a->modified_nsec = c->modified_nsec;
    rc = get_time(c, v, "release_date", false, path, &a->published, NULL);
    if (rc == CH_OK)
        rc = read_aliases(c, v, path, cve, a);
    if (rc == CH_OK)
        rc = read_texts(c, v, path, a);
    if (rc == CH_OK)
        rc = read_status(c, v, path, a);
    if (rc == CH_OK)
        rc = read_scores(c, v, path, a);
    if (rc == CH_OK)
        rc = read_cwe(c, v, path, a);
    if (rc == CH_OK)
        rc = read_references(c, v, path, a);
    return rc;
}

/* ---- the document ---- */

static int read_document(struct cs *c, const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return invalid(c, "$", "expected an object");
    const cJSON *doc = NULL;
    const cJSON *tracking = NULL;
    const cJSON *notes = NULL;
    const char *version = NULL;
    int rc = ch_json_get_obj(root, "document", true, "", &doc, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(doc, "csaf_version", true, "document", &version, c->err);
    if (rc == CH_OK && strncmp(version, "2.", 2) != 0)
        return invalid(c, "document.csaf_version", "expected a 2.x version");
    if (rc == CH_OK)
        rc = ch_json_get_obj(doc, "tracking", true, "document", &tracking, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_str(tracking, "id", true, "document.tracking", &c->tracking_id, c->err);
    if (rc != CH_OK)
        return rc;
    size_t id_len = strlen(c->tracking_id);
    if (id_len == 0 || id_len > CH_CSAF_MAX_TRACKING_ID)
        return invalid(c, "document.tracking.id", "expected 1 to 256 bytes");
    rc = get_time(c, tracking, "current_release_date", true, "document.tracking", &c->modified,
                  &c->modified_nsec);
    if (rc == CH_OK)
        rc = get_time(c, tracking, "initial_release_date", false, "document.tracking",
                      &c->published, NULL);
    if (rc == CH_OK)
        rc = ch_json_get_str(doc, "title", false, "document", &c->doc_title, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(doc, "notes", false, "document", &notes, c->err);
    if (rc == CH_OK)
        rc = ch_json_get_arr(doc, "references", false, "document", &c->doc_refs, c->err);
    if (rc == CH_OK && count(c->doc_refs) > CH_CSAF_MAX_ITEMS)
        return limit(c, "document.references", CH_CSAF_MAX_ITEMS);
    if (rc == CH_OK && count(notes) > CH_CSAF_MAX_ITEMS)
        return limit(c, "document.notes", CH_CSAF_MAX_ITEMS);
    if (rc == CH_OK)
        rc = pick_note(c, notes, "document.notes", &c->doc_summary);
    return rc;
}

/*
 * The record kept for one vulnerability: the document section (tracking,
 * publisher, notes) and that vulnerability, not the whole document: the
 * product tree, often most of the bytes, is already resolved into the
 * affected entries, and storing it once per vulnerability would multiply it.
 */
static int vuln_record(struct cs *c, const cJSON *doc, const cJSON *v, struct ch_str *ret,
                       struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_CSAF_MAX_DOC_BYTES);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "document");
    ch_jw_cjson(&w, doc);
    ch_jw_key(&w, "vulnerability");
    ch_jw_cjson(&w, v);
    ch_jw_obj_close(&w);
    int rc = ch_jw_finish(&w, err);
    if (rc == CH_OK) {
        char *p = ch_arena_strndup(c->arena, ch_buf_cstr(&b), ch_buf_len(&b));
        if (p == NULL)
            rc = ch_err_set(err, CH_E_NOMEM, "%s: out of memory", c->source);
        else
            *ret = ch_str_make(p, ch_buf_len(&b));
    }
    ch_buf_release(&b);
    return rc;
}

static int deliver(struct cs *c, const cJSON *vulns, const struct ch_vuln_sink *sink,
                   const cJSON *doc, struct ch_err *err)
{
    int delivered = 0;
    size_t rejects = 0;
    size_t i = 0;
    for (const cJSON *v = vulns != NULL ? vulns->child : NULL; v != NULL; v = v->next, i++) {
        char path[PATH_BYTES];
        index_path(path, "vulnerabilities", i);
        struct ch_err verr = CH_ERR_INIT;
        struct ch_advisory a;
        ch_advisory_init(&a, CH_ADV_CSAF);
        c->err = &verr;
        int rc = read_vuln(c, v, path, i, &a);
        c->err = err;
        if (rc == CH_E_NOMEM) {
            ch_err_copy(err, &verr);
            return rc;
        }
        if (rc != CH_OK) {
            if (++rejects > CH_CSAF_MAX_REJECTS)
                return ch_err_set(err, CH_E_LIMIT, "%s: more than %d bad vulnerabilities",
                                  c->source, CH_CSAF_MAX_REJECTS);
            const char *where = verr.field[0] != '\0' ? verr.field : path;
            rc = sink->reject != NULL ? sink->reject(sink->ctx, c->source, where, verr.msg, err)
                                      : CH_OK;
        } else {
            rc = vuln_record(c, doc, v, &a.raw, err);
            if (rc == CH_OK)
                rc = sink->advisory != NULL ? sink->advisory(sink->ctx, &a, err) : CH_OK;
            delivered++;
        }
        if (rc != CH_OK)
            return rc;
    }
    return delivered;
}

int ch_csaf_read(const char *data, size_t len, const char *source_name, struct ch_arena *arena,
                 const struct ch_vuln_sink *sink, struct ch_err *err)
{
    const char *source = source_name != NULL ? source_name : "input";
    const struct ch_json_limits limits = {
        .max_bytes = CH_CSAF_MAX_DOC_BYTES,
        .max_depth = CH_CSAF_MAX_DEPTH,
        .max_string = CH_CSAF_MAX_STRING,
        .max_nodes = CH_CSAF_MAX_NODES,
    };
    cJSON *root = NULL;
    int rc = ch_json_parse(data, len, &limits, source, &root, err);
    if (rc != CH_OK)
        return rc;
    struct cs c = {
        .arena = arena,
        .err = err,
        .source = source,
        .published = -1,
        .modified = -1,
    };
    const cJSON *vulns = NULL;
    c.products = ch_map_new(0x6373616631, NULL);
    if (c.products == NULL) {
        rc = nomem(&c);
        goto out;
    }
    rc = read_document(&c, root);
    if (rc == CH_OK)
        rc = read_product_tree(&c, root);
    if (rc == CH_OK)
        rc = ch_json_get_arr(root, "vulnerabilities", false, "", &vulns, err);
    if (rc == CH_OK && count(vulns) > CH_CSAF_MAX_VULNS)
        rc = limit(&c, "vulnerabilities", CH_CSAF_MAX_VULNS);
    if (rc != CH_OK) {
        ch_err_prefix(err, "%s", source);
        goto out;
    }
    rc = deliver(&c, vulns, sink, cJSON_GetObjectItemCaseSensitive(root, "document"), err);
out:
    ch_map_free(c.products);
    cJSON_Delete(root);
    return rc;
}
