/* SPDX-License-Identifier: Apache-2.0
 *
 * cvss.c: CVSS v3.0 / v3.1 / v4.0 parsing and scoring (contract in cvss.h).
 *
 * Each version has one table of metrics in specification order; a parsed
 * vector stores, per metric, the 1-based index of its value in the metric's
 * list (0 = absent). Every optional metric's list starts with "X" (Not
 * Defined), and a modified metric's list is "X" followed by the list of its
 * base metric, so "modified value, or base value when X" is index arithmetic.
 *
 * v3.x follows the equations of the v3.1 specification, section 7
 * (https://www.first.org/cvss/v3.1/specification-document) and, for
 * CVSS:3.0 vectors, of the v3.0 specification section 8: the v3.0 "Round up"
 * is the exact ceiling to one decimal (computed here with a tolerance far
 * below the spacing of the values the equations can produce, so that binary
 * floating point cannot turn 4.0 into 4.1), and the v3.0 modified impact
 * keeps the (MISS - 0.02)^15 term that v3.1 changed to (MISS x 0.9731 - 0.02)^13.
 *
 * v4.0 follows the MacroVector method of section 8.2 of the v4.0
 * specification (https://www.first.org/cvss/v4.0/specification-document):
 * the vector's equivalence-set levels pick a macrovector whose score comes
 * from the published lookup table; the score is then lowered by the mean, over
 * the equivalence sets that have a lower macrovector, of the distance to that
 * lower macrovector's score scaled by how far the vector lies from the
 * highest-severity vectors of its own macrovector. The floating-point steps
 * are done in the order of FIRST's reference calculator so that scores agree
 * with it to the last digit.
 */
#include "vuln/cvss.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vuln/cvss4_tables.h"

/* Metric groups. */
enum group {
    G_BASE,
    G_THREAT, /* v3 temporal, v4 threat */
    G_ENV,
    G_SUPP,
};

struct metric_def {
    const char *name;
    const char *const *values; /* NULL-terminated; "X" first for optional metrics */
    enum group group;
};

/* Longest metric or value that error messages quote in full. */
#define QUOTE_MAX 24

static const char *const V_NALP[] = {"N", "A", "L", "P", NULL};
static const char *const V_XNALP[] = {"X", "N", "A", "L", "P", NULL};
static const char *const V_LH[] = {"L", "H", NULL};
static const char *const V_XLH[] = {"X", "L", "H", NULL};
static const char *const V_NLH[] = {"N", "L", "H", NULL};
static const char *const V_XNLH[] = {"X", "N", "L", "H", NULL};
static const char *const V_NR[] = {"N", "R", NULL};
static const char *const V_XNR[] = {"X", "N", "R", NULL};
static const char *const V_UC[] = {"U", "C", NULL};
static const char *const V_XUC[] = {"X", "U", "C", NULL};
static const char *const V_HLN[] = {"H", "L", "N", NULL};
static const char *const V_XHLN[] = {"X", "H", "L", "N", NULL};
static const char *const V_XHML[] = {"X", "H", "M", "L", NULL};
static const char *const V3_E[] = {"X", "H", "F", "P", "U", NULL};
static const char *const V3_RL[] = {"X", "U", "W", "T", "O", NULL};
static const char *const V3_RC[] = {"X", "C", "R", "U", NULL};
static const char *const V_NP[] = {"N", "P", NULL};
static const char *const V_XNP[] = {"X", "N", "P", NULL};
static const char *const V_NPA[] = {"N", "P", "A", NULL};
static const char *const V_XNPA[] = {"X", "N", "P", "A", NULL};
static const char *const V_XSHLN[] = {"X", "S", "H", "L", "N", NULL};
static const char *const V4_E[] = {"X", "A", "P", "U", NULL};
static const char *const V4_AU[] = {"X", "N", "Y", NULL};
static const char *const V4_R[] = {"X", "A", "U", "I", NULL};
static const char *const V4_V[] = {"X", "D", "C", NULL};
static const char *const V4_RE[] = {"X", "L", "M", "H", NULL};
static const char *const V4_U[] = {"X", "Clear", "Green", "Amber", "Red", NULL};

/* v3.0 and v3.1 share their metrics (v3.1 specification, section 6, table 15). */
/* clang-format off */
enum m3 {
    M3_AV, M3_AC, M3_PR, M3_UI, M3_S, M3_C, M3_I, M3_A,
    M3_E, M3_RL, M3_RC,
    M3_CR, M3_IR, M3_AR, M3_MAV, M3_MAC, M3_MPR, M3_MUI, M3_MS, M3_MC, M3_MI, M3_MA,
    M3_COUNT,
};
/* clang-format on */

static const struct metric_def METRICS3[M3_COUNT] = {
    [M3_AV] = {"AV", V_NALP, G_BASE},   [M3_AC] = {"AC", V_LH, G_BASE},
    [M3_PR] = {"PR", V_NLH, G_BASE},    [M3_UI] = {"UI", V_NR, G_BASE},
    [M3_S] = {"S", V_UC, G_BASE},       [M3_C] = {"C", V_HLN, G_BASE},
    [M3_I] = {"I", V_HLN, G_BASE},      [M3_A] = {"A", V_HLN, G_BASE},
    [M3_E] = {"E", V3_E, G_THREAT},     [M3_RL] = {"RL", V3_RL, G_THREAT},
    [M3_RC] = {"RC", V3_RC, G_THREAT},  [M3_CR] = {"CR", V_XHML, G_ENV},
    [M3_IR] = {"IR", V_XHML, G_ENV},    [M3_AR] = {"AR", V_XHML, G_ENV},
    [M3_MAV] = {"MAV", V_XNALP, G_ENV}, [M3_MAC] = {"MAC", V_XLH, G_ENV},
    [M3_MPR] = {"MPR", V_XNLH, G_ENV},  [M3_MUI] = {"MUI", V_XNR, G_ENV},
    [M3_MS] = {"MS", V_XUC, G_ENV},     [M3_MC] = {"MC", V_XHLN, G_ENV},
    [M3_MI] = {"MI", V_XHLN, G_ENV},    [M3_MA] = {"MA", V_XHLN, G_ENV},
};

/* v4.0 specification, section 7, table 23. */
/* clang-format off */
enum m4 {
    M4_AV, M4_AC, M4_AT, M4_PR, M4_UI, M4_VC, M4_VI, M4_VA, M4_SC, M4_SI, M4_SA,
    M4_E,
    M4_CR, M4_IR, M4_AR, M4_MAV, M4_MAC, M4_MAT, M4_MPR, M4_MUI, M4_MVC, M4_MVI, M4_MVA,
    M4_MSC, M4_MSI, M4_MSA,
    M4_S, M4_AU, M4_R, M4_V, M4_RE, M4_U,
    M4_COUNT,
};
/* clang-format on */

static const struct metric_def METRICS4[M4_COUNT] = {
    [M4_AV] = {"AV", V_NALP, G_BASE},   [M4_AC] = {"AC", V_LH, G_BASE},
    [M4_AT] = {"AT", V_NP, G_BASE},     [M4_PR] = {"PR", V_NLH, G_BASE},
    [M4_UI] = {"UI", V_NPA, G_BASE},    [M4_VC] = {"VC", V_HLN, G_BASE},
    [M4_VI] = {"VI", V_HLN, G_BASE},    [M4_VA] = {"VA", V_HLN, G_BASE},
    [M4_SC] = {"SC", V_HLN, G_BASE},    [M4_SI] = {"SI", V_HLN, G_BASE},
    [M4_SA] = {"SA", V_HLN, G_BASE},    [M4_E] = {"E", V4_E, G_THREAT},
    [M4_CR] = {"CR", V_XHML, G_ENV},    [M4_IR] = {"IR", V_XHML, G_ENV},
    [M4_AR] = {"AR", V_XHML, G_ENV},    [M4_MAV] = {"MAV", V_XNALP, G_ENV},
    [M4_MAC] = {"MAC", V_XLH, G_ENV},   [M4_MAT] = {"MAT", V_XNP, G_ENV},
    [M4_MPR] = {"MPR", V_XNLH, G_ENV},  [M4_MUI] = {"MUI", V_XNPA, G_ENV},
    [M4_MVC] = {"MVC", V_XHLN, G_ENV},  [M4_MVI] = {"MVI", V_XHLN, G_ENV},
    [M4_MVA] = {"MVA", V_XHLN, G_ENV},  [M4_MSC] = {"MSC", V_XHLN, G_ENV},
    [M4_MSI] = {"MSI", V_XSHLN, G_ENV}, [M4_MSA] = {"MSA", V_XSHLN, G_ENV},
    [M4_S] = {"S", V_XNP, G_SUPP},      [M4_AU] = {"AU", V4_AU, G_SUPP},
    [M4_R] = {"R", V4_R, G_SUPP},       [M4_V] = {"V", V4_V, G_SUPP},
    [M4_RE] = {"RE", V4_RE, G_SUPP},    [M4_U] = {"U", V4_U, G_SUPP},
};

struct version_def {
    const char *prefix; /* "CVSS:3.1", without the '/' */
    const char *name;
    const struct metric_def *metrics;
    size_t n_metrics;
};

static const struct version_def VERSIONS[CH_CVSS_VERSION_COUNT] = {
    [CH_CVSS_V3_0] = {"CVSS:3.0", "3.0", METRICS3, M3_COUNT},
    [CH_CVSS_V3_1] = {"CVSS:3.1", "3.1", METRICS3, M3_COUNT},
    [CH_CVSS_V4_0] = {"CVSS:4.0", "4.0", METRICS4, M4_COUNT},
};

static const char *const SEVERITY_NAMES[CH_CVSS_SEVERITY_COUNT] = {
    "NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL",
};

static const char *const NOMENCLATURE_NAMES[CH_CVSS_NOMENCLATURE_COUNT] = {
    "CVSS-B",
    "CVSS-BT",
    "CVSS-BE",
    "CVSS-BTE",
};

/* ---- parsing ---------------------------------------------------------- */

/*
 * Copies s into out for an error message: at most QUOTE_MAX bytes, bytes
 * outside printable ASCII replaced by '?', "..." appended when cut.
 */
static const char *quote(struct ch_str s, char out[QUOTE_MAX + 4])
{
    size_t n = s.len < QUOTE_MAX ? s.len : QUOTE_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        out[i] = (c > 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
    }
    size_t end = n;
    if (s.len > n) {
        memcpy(out + n, "...", 3);
        end += 3;
    }
    out[end] = '\0';
    return out;
}

static int find_metric(const struct version_def *vd, struct ch_str name)
{
    for (size_t i = 0; i < vd->n_metrics; i++) {
        if (ch_str_eq_c(name, vd->metrics[i].name))
            return (int)i;
    }
    return -1;
}

static int find_value(const struct metric_def *md, struct ch_str value)
{
    for (int i = 0; md->values[i] != NULL; i++) {
        if (ch_str_eq_c(value, md->values[i]))
            return i;
    }
    return -1;
}

static int invalid_value(const struct metric_def *md, struct ch_str value, struct ch_err *err)
{
    char list[96] = "";
    size_t len = 0;
    for (int i = 0; md->values[i] != NULL; i++) {
        const char *sep = i == 0 ? "" : (md->values[i + 1] == NULL ? " or " : ", ");
        int w = snprintf(list + len, sizeof(list) - len, "%s%s", sep, md->values[i]);
        if (w < 0 || (size_t)w >= sizeof(list) - len)
            break;
        len += (size_t)w;
    }
    char q[QUOTE_MAX + 4];
    return ch_err_setf(err, CH_E_INVALID, md->name,
                       "invalid CVSS vector: invalid value '%s' for metric '%s' (expected %s)",
                       quote(value, q), md->name, list);
}

/* Matches the "CVSS:x.y" head of text (up to the first '/' or the end). */
static int parse_version(struct ch_str text, enum ch_cvss_version *ret_version, struct ch_err *err)
{
    long slash = ch_str_find_char(text, '/');
    struct ch_str head = slash < 0 ? text : ch_str_sub(text, 0, (size_t)slash);
    for (int v = 0; v < CH_CVSS_VERSION_COUNT; v++) {
        if (ch_str_eq_c(head, VERSIONS[v].prefix)) {
            *ret_version = (enum ch_cvss_version)v;
            return CH_OK;
        }
    }
    char q[QUOTE_MAX + 4];
    if (ch_str_starts_with(text, "CVSS:"))
        return ch_err_setf(err, CH_E_INVALID, "prefix",
                           "invalid CVSS vector: unsupported version '%s' (expected CVSS:3.0, "
                           "CVSS:3.1 or CVSS:4.0)",
                           quote(head, q));
    return ch_err_setf(err, CH_E_INVALID, "prefix",
                       "invalid CVSS vector: '%s' does not start with CVSS:3.0/, CVSS:3.1/ "
                       "or CVSS:4.0/",
                       quote(head, q));
}

/* Parses one "NAME:VALUE" component into v; returns the metric's index or a CH_E_* code. */
static int parse_component(const struct version_def *vd, struct ch_str tok,
                           struct ch_cvss_vector *v, struct ch_err *err)
{
    char q[QUOTE_MAX + 4];
    long colon = ch_str_find_char(tok, ':');
    if (colon < 0)
        return ch_err_setf(err, CH_E_INVALID, "vector",
                           "invalid CVSS vector: metric '%s' has no value", quote(tok, q));
    struct ch_str name = ch_str_sub(tok, 0, (size_t)colon);
    struct ch_str value = ch_str_sub(tok, (size_t)colon + 1, tok.len);
    int m = find_metric(vd, name);
    if (m < 0)
        return ch_err_setf(err, CH_E_INVALID, "vector",
                           "invalid CVSS vector: unknown metric '%s' for CVSS %s", quote(name, q),
                           vd->name);
    const struct metric_def *md = &vd->metrics[m];
    if (v->values[m] != 0)
        return ch_err_setf(err, CH_E_INVALID, md->name,
                           "invalid CVSS vector: duplicate metric '%s'", md->name);
    int idx = find_value(md, value);
    if (idx < 0)
        return invalid_value(md, value, err);
    v->values[m] = (unsigned char)(idx + 1);
    return m;
}

static int empty_component(const char *prev, bool last, struct ch_err *err)
{
    if (prev == NULL)
        return ch_err_setf(err, CH_E_INVALID, "vector",
                           "invalid CVSS vector: empty metric after the prefix");
    if (last)
        return ch_err_setf(err, CH_E_INVALID, prev,
                           "invalid CVSS vector: trailing '/' after metric '%s'", prev);
    return ch_err_setf(err, CH_E_INVALID, prev,
                       "invalid CVSS vector: empty metric after metric '%s'", prev);
}

int ch_cvss_parse(struct ch_str text, struct ch_cvss_vector *ret_vector, struct ch_err *err)
{
    if (text.len > CH_CVSS_MAX_VECTOR_LEN)
        return ch_err_setf(err, CH_E_LIMIT, "vector", "invalid CVSS vector: longer than %d bytes",
                           CH_CVSS_MAX_VECTOR_LEN);
    struct ch_cvss_vector v = {.version = CH_CVSS_V3_1};
    int rc = parse_version(text, &v.version, err);
    if (rc != CH_OK)
        return rc;
    const struct version_def *vd = &VERSIONS[v.version];
    size_t skip = strlen(vd->prefix) + 1; /* and the '/' */
    struct ch_str rest = text.len > skip ? ch_str_sub(text, skip, text.len - skip)
                                         : ch_str_make(text.ptr + text.len, 0);
    const char *prev = NULL;
    struct ch_str tok;
    while (rest.len > 0 || prev != NULL) {
        if (!ch_str_split_next(&rest, '/', &tok))
            break;
        if (tok.len == 0)
            return empty_component(prev, rest.ptr == NULL, err);
        int m = parse_component(vd, tok, &v, err);
        if (m < 0)
            return m;
        prev = vd->metrics[m].name;
    }
    for (size_t i = 0; i < vd->n_metrics; i++) {
        if (vd->metrics[i].group == G_BASE && v.values[i] == 0)
            return ch_err_setf(err, CH_E_INVALID, vd->metrics[i].name,
                               "invalid CVSS vector: missing base metric '%s'",
                               vd->metrics[i].name);
    }
    *ret_vector = v;
    return CH_OK;
}

/* ---- accessors ---------------------------------------------------------- */

static bool version_ok(enum ch_cvss_version version)
{
    return (int)version >= 0 && version < CH_CVSS_VERSION_COUNT;
}

size_t ch_cvss_n_metrics(enum ch_cvss_version version)
{
    return version_ok(version) ? VERSIONS[version].n_metrics : 0;
}

const char *ch_cvss_metric_name(enum ch_cvss_version version, size_t i)
{
    if (i >= ch_cvss_n_metrics(version))
        return NULL;
    return VERSIONS[version].metrics[i].name;
}

bool ch_cvss_metric_is_base(enum ch_cvss_version version, size_t i)
{
    if (i >= ch_cvss_n_metrics(version))
        return false;
    return VERSIONS[version].metrics[i].group == G_BASE;
}

const char *ch_cvss_metric_value(const struct ch_cvss_vector *vector, size_t i)
{
    if (i >= ch_cvss_n_metrics(vector->version) || vector->values[i] == 0)
        return NULL;
    const struct metric_def *md = &VERSIONS[vector->version].metrics[i];
    size_t n = 0;
    while (md->values[n] != NULL)
        n++;
    if (vector->values[i] > n)
        return NULL;
    return md->values[vector->values[i] - 1];
}

const char *ch_cvss_get(const struct ch_cvss_vector *vector, const char *name)
{
    if (!version_ok(vector->version))
        return NULL;
    int m = find_metric(&VERSIONS[vector->version], ch_str_c(name));
    return m < 0 ? NULL : ch_cvss_metric_value(vector, (size_t)m);
}

int ch_cvss_format(const struct ch_cvss_vector *vector, struct ch_buf *out)
{
    if (!version_ok(vector->version))
        return CH_E_INVALID;
    const struct version_def *vd = &VERSIONS[vector->version];
    ch_buf_append_c(out, vd->prefix);
    for (size_t i = 0; i < vd->n_metrics; i++) {
        const char *value = ch_cvss_metric_value(vector, i);
        if (value != NULL)
            ch_buf_appendf(out, "/%s:%s", vd->metrics[i].name, value);
    }
    struct ch_err err = CH_ERR_INIT;
    return ch_buf_status(out, "CVSS vector", &err);
}

const char *ch_cvss_version_str(enum ch_cvss_version version)
{
    return version_ok(version) ? VERSIONS[version].name : "?";
}

const char *ch_cvss_severity_str(enum ch_cvss_severity severity)
{
    if ((int)severity < 0 || severity >= CH_CVSS_SEVERITY_COUNT)
        return "?";
    return SEVERITY_NAMES[severity];
}

const char *ch_cvss_nomenclature_str(enum ch_cvss_nomenclature nomenclature)
{
    if ((int)nomenclature < 0 || nomenclature >= CH_CVSS_NOMENCLATURE_COUNT)
        return "?";
    return NOMENCLATURE_NAMES[nomenclature];
}

enum ch_cvss_severity ch_cvss_severity_of(double score)
{
    /* Compare in tenths so that 3.9 + float noise is still LOW. */
    long t = lround(score * 10.0);
    if (t <= 0)
        return CH_CVSS_SEVERITY_NONE;
    if (t < 40)
        return CH_CVSS_SEVERITY_LOW;
    if (t < 70)
        return CH_CVSS_SEVERITY_MEDIUM;
    if (t < 90)
        return CH_CVSS_SEVERITY_HIGH;
    return CH_CVSS_SEVERITY_CRITICAL;
}

/* True when a metric of `group` is given with a value other than X. */
static bool group_given(const struct ch_cvss_vector *v, enum group group)
{
    const struct version_def *vd = &VERSIONS[v->version];
    for (size_t i = 0; i < vd->n_metrics; i++) {
        if (vd->metrics[i].group == group && v->values[i] > 1)
            return true;
    }
    return false;
}

static bool vector_ok(const struct ch_cvss_vector *v)
{
    if (!version_ok(v->version))
        return false;
    const struct version_def *vd = &VERSIONS[v->version];
    for (size_t i = 0; i < CH_CVSS_MAX_METRICS; i++) {
        if (i >= vd->n_metrics) {
            if (v->values[i] != 0)
                return false;
            continue;
        }
        if (vd->metrics[i].group == G_BASE && v->values[i] == 0)
            return false;
        if (v->values[i] != 0 && ch_cvss_metric_value(v, i) == NULL)
            return false;
    }
    return true;
}

/* ---- v3.x ---------------------------------------------------------------- */

/* Roundup of the v3.1 specification, Appendix A (the float-safe ceiling). */
CH_TESTABLE double ch_cvss__roundup31(double x);
CH_TESTABLE double ch_cvss__roundup31(double x)
{
    double scaled = round(x * 100000.0);
    long long n = (long long)scaled;
    if (n % 10000 == 0)
        return (double)n / 100000.0;
    return (double)(n / 10000 + 1) / 10.0;
}

/*
 * The v3.0 "Round up": the smallest one-decimal number >= x, exactly. The
 * equations produce numbers with at most 10 decimals (weights have two, a
 * product has at most five factors), except for the ^15 term of a changed
 * scope, so a value that is not on a tenth lies at least 1e-10 away from it;
 * binary floating point errs by ~1e-14. Anything within 1e-11 of a tenth is
 * therefore that tenth, which is what exact decimal arithmetic gives.
 */
CH_TESTABLE double ch_cvss__roundup30(double x);
CH_TESTABLE double ch_cvss__roundup30(double x)
{
    double t = x * 10.0;
    double nearest = round(t);
    if (fabs(t - nearest) < 1e-10)
        return nearest / 10.0;
    return ceil(t) / 10.0;
}

/* Ordinary rounding to one decimal, for the reported sub-scores. */
static double round1(double x)
{
    double five = round(x * 100000.0);
    return round(five / 10000.0) / 10.0;
}

static const double W3_AV[] = {0.85, 0.62, 0.55, 0.2};      /* N A L P */
static const double W3_AC[] = {0.77, 0.44};                 /* L H */
static const double W3_PR_U[] = {0.85, 0.62, 0.27};         /* N L H, scope unchanged */
static const double W3_PR_C[] = {0.85, 0.68, 0.5};          /* N L H, scope changed */
static const double W3_UI[] = {0.85, 0.62};                 /* N R */
static const double W3_CIA[] = {0.56, 0.22, 0.0};           /* H L N */
static const double W3_E[] = {1.0, 1.0, 0.97, 0.94, 0.91};  /* X H F P U */
static const double W3_RL[] = {1.0, 1.0, 0.97, 0.96, 0.95}; /* X U W T O */
static const double W3_RC[] = {1.0, 1.0, 0.96, 0.92};       /* X C R U */
static const double W3_REQ[] = {1.0, 1.5, 1.0, 0.5};        /* X H M L */

/* 0-based value index of a base metric. */
static int base_idx(const struct ch_cvss_vector *v, int m)
{
    return v->values[m] - 1;
}

/* 0-based index into the base metric's list: the modified value, or the base one when X/absent. */
static int modified_idx(const struct ch_cvss_vector *v, int base, int modified)
{
    if (v->values[modified] > 1)
        return v->values[modified] - 2;
    return base_idx(v, base);
}

/* The inputs of one impact/exploitability computation. */
struct v3_in {
    int av, ac, pr, ui, c, i, a; /* value indices into the base lists */
    bool changed;                /* scope (or modified scope) changed */
};

static double v3_exploitability(const struct v3_in *in)
{
    const double *pr = in->changed ? W3_PR_C : W3_PR_U;
    return 8.22 * W3_AV[in->av] * W3_AC[in->ac] * pr[in->pr] * W3_UI[in->ui];
}

static void v3_score(const struct ch_cvss_vector *v, struct ch_cvss_score *s)
{
    bool v31 = v->version == CH_CVSS_V3_1;
    double (*roundup)(double) = v31 ? ch_cvss__roundup31 : ch_cvss__roundup30;

    struct v3_in b = {
        .av = base_idx(v, M3_AV),
        .ac = base_idx(v, M3_AC),
        .pr = base_idx(v, M3_PR),
        .ui = base_idx(v, M3_UI),
        .c = base_idx(v, M3_C),
        .i = base_idx(v, M3_I),
        .a = base_idx(v, M3_A),
        .changed = base_idx(v, M3_S) == 1,
    };
    double iss = 1.0 - ((1.0 - W3_CIA[b.c]) * (1.0 - W3_CIA[b.i]) * (1.0 - W3_CIA[b.a]));
    double impact = b.changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
    double expl = v3_exploitability(&b);
    double base = 0.0;
    if (impact > 0.0)
        base = roundup(fmin(b.changed ? 1.08 * (impact + expl) : impact + expl, 10.0));

    double threat = W3_E[v->values[M3_E] ? v->values[M3_E] - 1 : 0] *
                    W3_RL[v->values[M3_RL] ? v->values[M3_RL] - 1 : 0] *
                    W3_RC[v->values[M3_RC] ? v->values[M3_RC] - 1 : 0];
    double temporal = roundup(base * threat);

    struct v3_in m = {
        .av = modified_idx(v, M3_AV, M3_MAV),
        .ac = modified_idx(v, M3_AC, M3_MAC),
        .pr = modified_idx(v, M3_PR, M3_MPR),
        .ui = modified_idx(v, M3_UI, M3_MUI),
        .c = modified_idx(v, M3_C, M3_MC),
        .i = modified_idx(v, M3_I, M3_MI),
        .a = modified_idx(v, M3_A, M3_MA),
        .changed = modified_idx(v, M3_S, M3_MS) == 1,
    };
    double cr = W3_REQ[v->values[M3_CR] ? v->values[M3_CR] - 1 : 0];
    double ir = W3_REQ[v->values[M3_IR] ? v->values[M3_IR] - 1 : 0];
    double ar = W3_REQ[v->values[M3_AR] ? v->values[M3_AR] - 1 : 0];
    double miss =
        fmin(1.0 - ((1.0 - cr * W3_CIA[m.c]) * (1.0 - ir * W3_CIA[m.i]) * (1.0 - ar * W3_CIA[m.a])),
             0.915);
    double mimpact;
    if (!m.changed)
        mimpact = 6.42 * miss;
    else if (v31)
        mimpact = 7.52 * (miss - 0.029) - 3.25 * pow(miss * 0.9731 - 0.02, 13);
    else
        mimpact = 7.52 * (miss - 0.029) - 3.25 * pow(miss - 0.02, 15);
    double mexpl = v3_exploitability(&m);
    double env = 0.0;
    if (mimpact > 0.0) {
        double inner = m.changed ? 1.08 * (mimpact + mexpl) : mimpact + mexpl;
        env = roundup(roundup(fmin(inner, 10.0)) * threat);
    }

    s->base_score = base;
    s->temporal_score = temporal;
    s->environmental_score = env;
    s->impact = impact > 0.0 ? round1(impact) : 0.0;
    s->exploitability = round1(expl);
    s->modified_impact = mimpact > 0.0 ? round1(mimpact) : 0.0;
    if (s->nomenclature == CH_CVSS_BE || s->nomenclature == CH_CVSS_BTE)
        s->score = env;
    else if (s->nomenclature == CH_CVSS_BT)
        s->score = temporal;
    else
        s->score = base;
}

/* ---- v4.0 ---------------------------------------------------------------- */

/* The value letters a v4.0 score is computed from, after defaults and modifications. */
struct v4_eff {
    char av, ac, at, pr, ui, vc, vi, va, sc, si, sa, e, cr, ir, ar;
};

static char letter(const struct ch_cvss_vector *v, int m)
{
    const char *s = ch_cvss_metric_value(v, (size_t)m);
    return s == NULL ? 'X' : s[0];
}

/* Modified value if given (not X), else the base value. */
static char eff_letter(const struct ch_cvss_vector *v, int base, int modified)
{
    char c = letter(v, modified);
    return c == 'X' ? letter(v, base) : c;
}

static char default_letter(const struct ch_cvss_vector *v, int m, char dflt)
{
    char c = letter(v, m);
    return c == 'X' ? dflt : c;
}

static struct v4_eff v4_effective(const struct ch_cvss_vector *v)
{
    return (struct v4_eff){
        .av = eff_letter(v, M4_AV, M4_MAV),
        .ac = eff_letter(v, M4_AC, M4_MAC),
        .at = eff_letter(v, M4_AT, M4_MAT),
        .pr = eff_letter(v, M4_PR, M4_MPR),
        .ui = eff_letter(v, M4_UI, M4_MUI),
        .vc = eff_letter(v, M4_VC, M4_MVC),
        .vi = eff_letter(v, M4_VI, M4_MVI),
        .va = eff_letter(v, M4_VA, M4_MVA),
        .sc = eff_letter(v, M4_SC, M4_MSC),
        .si = eff_letter(v, M4_SI, M4_MSI),
        .sa = eff_letter(v, M4_SA, M4_MSA),
        /* Threat and security requirements default to their highest severity (section 4). */
        .e = default_letter(v, M4_E, 'A'),
        .cr = default_letter(v, M4_CR, 'H'),
        .ir = default_letter(v, M4_IR, 'H'),
        .ar = default_letter(v, M4_AR, 'H'),
    };
}

/* Equivalence-set levels, section 8.2 table 24-29. */
struct v4_eq {
    int eq1, eq2, eq3, eq4, eq5, eq6;
};

static struct v4_eq v4_levels(const struct v4_eff *f)
{
    struct v4_eq q;
    if (f->av == 'N' && f->pr == 'N' && f->ui == 'N')
        q.eq1 = 0;
    else if ((f->av == 'N' || f->pr == 'N' || f->ui == 'N') && f->av != 'P')
        q.eq1 = 1;
    else
        q.eq1 = 2;
    q.eq2 = (f->ac == 'L' && f->at == 'N') ? 0 : 1;
    if (f->vc == 'H' && f->vi == 'H')
        q.eq3 = 0;
    else if (f->vc == 'H' || f->vi == 'H' || f->va == 'H')
        q.eq3 = 1;
    else
        q.eq3 = 2;
    if (f->si == 'S' || f->sa == 'S')
        q.eq4 = 0;
    else if (f->sc == 'H' || f->si == 'H' || f->sa == 'H')
        q.eq4 = 1;
    else
        q.eq4 = 2;
    q.eq5 = f->e == 'A' ? 0 : (f->e == 'P' ? 1 : 2);
    q.eq6 = ((f->cr == 'H' && f->vc == 'H') || (f->ir == 'H' && f->vi == 'H') ||
             (f->ar == 'H' && f->va == 'H'))
                ? 0
                : 1;
    return q;
}

/* Severity level of a value within its metric (0 = most severe), in tenths. */
static int level_of(const char *order, char c)
{
    const char *p = strchr(order, c);
    return (p == NULL || c == '\0') ? 0 : (int)(p - order);
}

#define L_AV "NALP"
#define L_PR "NLH"
#define L_UI "NPA"
#define L_AC "LH"
#define L_AT "NP"
#define L_VIMP "HLN"  /* VC VI VA */
#define L_SIMP "SHLN" /* SC SI SA: S (only through MSI/MSA) is level 0 */
#define L_REQ "HML"   /* CR IR AR */

/* Lookup score in tenths, -1 when the macrovector does not exist. */
static int lookup(int eq1, int eq2, int eq3, int eq4, int eq5, int eq6)
{
    if (eq1 > 2 || eq2 > 1 || eq3 > 2 || eq4 > 2 || eq5 > 2 || eq6 > 1)
        return -1;
    return ch_cvss4__lookup[eq1][eq2][eq3][eq4][eq5][eq6];
}

/* Level differences (in tenths) between the vector and a highest-severity vector. */
struct v4_dist {
    int av, pr, ui, ac, at, vc, vi, va, cr, ir, ar, sc, si, sa;
};

static bool v4_distance(const struct v4_eff *f, const char *m1, const char *m2, const char *m36,
                        const char *m4, struct v4_dist *d)
{
    d->av = level_of(L_AV, f->av) - level_of(L_AV, m1[0]);
    d->pr = level_of(L_PR, f->pr) - level_of(L_PR, m1[1]);
    d->ui = level_of(L_UI, f->ui) - level_of(L_UI, m1[2]);
    d->ac = level_of(L_AC, f->ac) - level_of(L_AC, m2[0]);
    d->at = level_of(L_AT, f->at) - level_of(L_AT, m2[1]);
    d->vc = level_of(L_VIMP, f->vc) - level_of(L_VIMP, m36[0]);
    d->vi = level_of(L_VIMP, f->vi) - level_of(L_VIMP, m36[1]);
    d->va = level_of(L_VIMP, f->va) - level_of(L_VIMP, m36[2]);
    d->cr = level_of(L_REQ, f->cr) - level_of(L_REQ, m36[3]);
    d->ir = level_of(L_REQ, f->ir) - level_of(L_REQ, m36[4]);
    d->ar = level_of(L_REQ, f->ar) - level_of(L_REQ, m36[5]);
    d->sc = level_of(L_SIMP, f->sc) - level_of(L_SIMP, m4[0]);
    d->si = level_of(L_SIMP, f->si) - level_of(L_SIMP, m4[1]);
    d->sa = level_of(L_SIMP, f->sa) - level_of(L_SIMP, m4[2]);
    return d->av >= 0 && d->pr >= 0 && d->ui >= 0 && d->ac >= 0 && d->at >= 0 && d->vc >= 0 &&
           d->vi >= 0 && d->va >= 0 && d->cr >= 0 && d->ir >= 0 && d->ar >= 0 && d->sc >= 0 &&
           d->si >= 0 && d->sa >= 0;
}

/*
 * Finds the first highest-severity vector of the macrovector (in the order
 * of the data: EQ1, EQ2, EQ3+EQ6, EQ4 variations) that the vector does not
 * exceed in any metric, and the distances to it. EQ5 plays no part: each of
 * its levels is a single value of E, so the distance in E is always 0.
 */
static bool v4_max_distance(const struct v4_eff *f, const struct v4_eq *q, struct v4_dist *d)
{
    const char *const *l1 = ch_cvss4__max_eq1[q->eq1];
    const char *const *l2 = ch_cvss4__max_eq2[q->eq2];
    const char *const *l36 = ch_cvss4__max_eq3eq6[q->eq3][q->eq6];
    const char *const *l4 = ch_cvss4__max_eq4[q->eq4];
    for (size_t a = 0; l1[a] != NULL; a++) {
        for (size_t b = 0; l2[b] != NULL; b++) {
            for (size_t c = 0; l36[c] != NULL; c++) {
                for (size_t e = 0; l4[e] != NULL; e++) {
                    if (v4_distance(f, l1[a], l2[b], l36[c], l4[e], d))
                        return true;
                }
            }
        }
    }
    return false;
}

/* Tenths as the reference calculator's level tables hold them. */
static double tenth(int n)
{
    static const double T[] = {0.0, 0.1, 0.2, 0.3};
    return n >= 0 ? T[n] : -T[-n];
}

/* The mean proportional distance to the next lower macrovectors (section 8.2). */
static double v4_adjustment(const struct v4_eq *q, double value, const struct v4_dist *d)
{
    int lower1 = lookup(q->eq1 + 1, q->eq2, q->eq3, q->eq4, q->eq5, q->eq6);
    int lower2 = lookup(q->eq1, q->eq2 + 1, q->eq3, q->eq4, q->eq5, q->eq6);
    int lower36;
    if (q->eq3 == 0 && q->eq6 == 0) {
        int left = lookup(q->eq1, q->eq2, q->eq3, q->eq4, q->eq5, q->eq6 + 1);
        int right = lookup(q->eq1, q->eq2, q->eq3 + 1, q->eq4, q->eq5, q->eq6);
        lower36 = left > right ? left : right;
    } else if (q->eq3 == 1 && q->eq6 == 0) {
        lower36 = lookup(q->eq1, q->eq2, q->eq3, q->eq4, q->eq5, q->eq6 + 1);
    } else {
        lower36 = lookup(q->eq1, q->eq2, q->eq3 + 1, q->eq4, q->eq5, q->eq6);
    }
    int lower4 = lookup(q->eq1, q->eq2, q->eq3, q->eq4 + 1, q->eq5, q->eq6);
    int lower5 = lookup(q->eq1, q->eq2, q->eq3, q->eq4, q->eq5 + 1, q->eq6);

    /* Severity distances summed as the reference calculator does, in floating point. */
    double d1 = tenth(d->av) + tenth(d->pr) + tenth(d->ui);
    double d2 = tenth(d->ac) + tenth(d->at);
    double d36 =
        tenth(d->vc) + tenth(d->vi) + tenth(d->va) + tenth(d->cr) + tenth(d->ir) + tenth(d->ar);
    double d4 = tenth(d->sc) + tenth(d->si) + tenth(d->sa);
    const double step = 0.1;
    double max1 = ch_cvss4__max_severity_eq1[q->eq1] * step;
    double max2 = ch_cvss4__max_severity_eq2[q->eq2] * step;
    double max36 = ch_cvss4__max_severity_eq3eq6[q->eq3][q->eq6] * step;
    double max4 = ch_cvss4__max_severity_eq4[q->eq4] * step;

    int n = 0;
    double n1 = 0.0, n2 = 0.0, n36 = 0.0, n4 = 0.0, n5 = 0.0;
    if (lower1 >= 0) {
        n++;
        n1 = (value - lower1 / 10.0) * (d1 / max1);
    }
    if (lower2 >= 0) {
        n++;
        n2 = (value - lower2 / 10.0) * (d2 / max2);
    }
    if (lower36 >= 0) {
        n++;
        n36 = (value - lower36 / 10.0) * (d36 / max36);
    }
    if (lower4 >= 0) {
        n++;
        n4 = (value - lower4 / 10.0) * (d4 / max4);
    }
    if (lower5 >= 0) {
        /* Every vector of an EQ5 level is at distance 0 from its highest one. */
        n++;
        n5 = 0.0;
    }
    if (n == 0)
        return 0.0;
    return (n1 + n2 + n36 + n4 + n5) / n;
}

/*
 * Rounds half up to one decimal after dropping binary noise below 1e-5: the
 * exact value of 5.65 may be computed as 5.6499999999999995, which the
 * specification's arithmetic rounds to 5.7 (as the reference calculators do).
 */
static double round_half_up1(double x)
{
    long long n5 = llround(x * 100000.0);
    return (double)((n5 + 5000) / 10000) / 10.0;
}

/* CVSS v4.0 score of a vector, in [0, 10] with one decimal, and its macrovector. */
static int v4_score_one(const struct ch_cvss_vector *v, double *ret_score, char macro[7],
                        struct ch_err *err)
{
    struct v4_eff f = v4_effective(v);
    struct v4_eq q = v4_levels(&f);
    const int eqs[6] = {q.eq1, q.eq2, q.eq3, q.eq4, q.eq5, q.eq6};
    for (int i = 0; i < 6; i++)
        macro[i] = (char)('0' + eqs[i]);
    macro[6] = '\0';
    if (f.vc == 'N' && f.vi == 'N' && f.va == 'N' && f.sc == 'N' && f.si == 'N' && f.sa == 'N') {
        *ret_score = 0.0;
        return CH_OK;
    }
    int base = lookup(q.eq1, q.eq2, q.eq3, q.eq4, q.eq5, q.eq6);
    struct v4_dist d;
    if (base < 0 || !v4_max_distance(&f, &q, &d))
        return ch_err_set(err, CH_E_INTERNAL, "CVSS v4.0 tables lack macrovector %s", macro);
    double value = base / 10.0;
    value -= v4_adjustment(&q, value, &d);
    if (value < 0.0)
        value = 0.0;
    if (value > 10.0)
        value = 10.0;
    *ret_score = round_half_up1(value);
    return CH_OK;
}

static int v4_score(const struct ch_cvss_vector *v, struct ch_cvss_score *s, struct ch_err *err)
{
    int rc = v4_score_one(v, &s->score, s->macrovector, err);
    if (rc != CH_OK)
        return rc;
    if (s->nomenclature == CH_CVSS_B) {
        s->base_score = s->score;
        return CH_OK;
    }
    struct ch_cvss_vector base = {.version = v->version};
    for (size_t i = 0; i < M4_COUNT; i++) {
        if (METRICS4[i].group == G_BASE)
            base.values[i] = v->values[i];
    }
    char macro[7];
    return v4_score_one(&base, &s->base_score, macro, err);
}

/* ---- entry points ----------------------------------------------------------- */

int ch_cvss_score(const struct ch_cvss_vector *vector, struct ch_cvss_score *ret_score,
                  struct ch_err *err)
{
    if (!vector_ok(vector))
        return ch_err_set(err, CH_E_INVALID, "not a parsed CVSS vector");
    bool threat = group_given(vector, G_THREAT);
    bool env = group_given(vector, G_ENV);
    struct ch_cvss_score s = {
        .version = vector->version,
        .nomenclature =
            env ? (threat ? CH_CVSS_BTE : CH_CVSS_BE) : (threat ? CH_CVSS_BT : CH_CVSS_B),
    };
    if (vector->version == CH_CVSS_V4_0) {
        int rc = v4_score(vector, &s, err);
        if (rc != CH_OK)
            return rc;
    } else {
        v3_score(vector, &s);
    }
    s.severity = ch_cvss_severity_of(s.score);
    *ret_score = s;
    return CH_OK;
}

int ch_cvss_compute(struct ch_str text, struct ch_cvss_score *ret_score, struct ch_err *err)
{
    struct ch_cvss_vector v;
    int rc = ch_cvss_parse(text, &v, err);
    if (rc != CH_OK)
        return rc;
    return ch_cvss_score(&v, ret_score, err);
}
