/* SPDX-License-Identifier: Apache-2.0
 *
 * stix.c: STIX 2.1 ids, timestamps, TLP 2.0 markings and object bodies
 * (see stix.h). UUIDv5 needs SHA-1, which libsodium lacks: it comes from
 * OpenSSL's EVP interface (linked through libcurl anyway). SHA-1 here names
 * objects; it protects nothing.
 */
#include "share/stix.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#include "core/clock.h"

/* Longest UUIDv5 name we hash: canonical JSON of an SCO's contributing properties. */
#define STIX_NAME_MAX ((size_t)8 << 10)

static const struct {
    const char *name;
    const char *id;
    const char *label;
} tlp_table[CH_TLP_COUNT] = {
    [CH_TLP_CLEAR] = {"clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
                      "TLP:CLEAR"},
    [CH_TLP_GREEN] = {"green", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
                      "TLP:GREEN"},
    [CH_TLP_AMBER] = {"amber", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
                      "TLP:AMBER"},
    [CH_TLP_AMBER_STRICT] = {"amber+strict",
                             "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
                             "TLP:AMBER+STRICT"},
    [CH_TLP_RED] = {"red", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED"},
};

/* The TLP 2.0 marking definitions' "created" (fixed by OASIS). */
#define TLP2_CREATED_MS INT64_C(1664582400000) /* 2022-10-01T00:00:00.000Z */

const char *ch_tlp_name(enum ch_tlp t)
{
    return (unsigned)t < CH_TLP_COUNT ? tlp_table[t].name : NULL;
}

int ch_tlp_parse(const char *s, enum ch_tlp *ret, struct ch_err *err)
{
    struct ch_str v = ch_str_c(s != NULL ? s : "");
    if (v.len > 4 && ch_str_case_eq(ch_str_sub(v, 0, 4), CH_STR_LIT("tlp:")))
        v = ch_str_sub(v, 4, v.len - 4);
    for (int i = 0; i < CH_TLP_COUNT; i++) {
        if (ch_str_case_eq_c(v, tlp_table[i].name)) {
            *ret = (enum ch_tlp)i;
            return CH_OK;
        }
    }
    return ch_err_set(err, CH_E_INVALID,
                      "unknown TLP level '%.64s' (clear, green, amber, amber+strict, red)",
                      s != NULL ? s : "");
}

const char *ch_stix_tlp_marking_id(enum ch_tlp t)
{
    return (unsigned)t < CH_TLP_COUNT ? tlp_table[t].id : tlp_table[CH_TLP_RED].id;
}

void ch_stix_write_tlp_marking(struct ch_jw *w, enum ch_tlp t)
{
    if ((unsigned)t >= CH_TLP_COUNT)
        t = CH_TLP_RED;
    char created[CH_STIX_TIME_MAX];
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "type", "marking-definition");
    ch_jw_kstr(w, "spec_version", "2.1");
    ch_jw_kstr(w, "id", tlp_table[t].id);
    ch_jw_kstr(w, "created", ch_stix_time(TLP2_CREATED_MS, created));
    ch_jw_kstr(w, "name", tlp_table[t].label);
    ch_jw_key(w, "extensions");
    ch_jw_obj_open(w);
    ch_jw_key(w, CH_STIX_TLP2_EXTENSION);
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "extension_type", "property-extension");
    ch_jw_kstr(w, "tlp_2_0", tlp_table[t].name);
    ch_jw_obj_close(w);
    ch_jw_obj_close(w);
    ch_jw_obj_close(w);
}

/* ---- UUIDs ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool uuid_parse(const char *s, unsigned char out[16])
{
    size_t n = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
            continue;
        }
        int hi = hexval(s[i]);
        int lo = s[i + 1] != '\0' ? hexval(s[i + 1]) : -1;
        if (hi < 0 || lo < 0 || n >= 16)
            return false;
        out[n++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    return n == 16;
}

static void uuid_format(const unsigned char u[16], char out[CH_STIX_UUID_STR])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 15];
    }
    out[o] = '\0';
}

int ch_stix_uuid5(const char *ns, const char *name, size_t len, char out[CH_STIX_UUID_STR],
                  struct ch_err *err)
{
    unsigned char nsb[16];
    if (ns == NULL || !uuid_parse(ns, nsb))
        return ch_err_set(err, CH_E_INVALID, "namespace is not a UUID");
    if (len > STIX_NAME_MAX)
        return ch_err_set(err, CH_E_LIMIT, "UUID name exceeds %zu bytes", STIX_NAME_MAX);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return ch_err_set(err, CH_E_NOMEM, "out of memory");
    int ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, nsb, sizeof(nsb)) == 1 &&
             EVP_DigestUpdate(ctx, name, len) == 1 && EVP_DigestFinal_ex(ctx, md, &md_len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || md_len < 16)
        return ch_err_set(err, CH_E_INTERNAL, "SHA-1 unavailable");
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50); /* version 5 */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    uuid_format(md, out);
    return CH_OK;
}

int ch_stix_id(const char *type, const char *name, char out[CH_STIX_ID_MAX], struct ch_err *err)
{
    char u[CH_STIX_UUID_STR];
    int rc = ch_stix_uuid5(CH_STIX_NAMESPACE, name, strlen(name), u, err);
    if (rc != CH_OK)
        return rc;
    int n = snprintf(out, CH_STIX_ID_MAX, "%s--%s", type, u);
    if (n < 0 || n >= CH_STIX_ID_MAX)
        return ch_err_set(err, CH_E_LIMIT, "STIX type '%.32s' too long", type);
    return CH_OK;
}

void ch_stix_uuid4(char out[CH_STIX_UUID_STR])
{
    unsigned char u[16];
    randombytes_buf(u, sizeof(u));
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    uuid_format(u, out);
}

/* RFC 8785 string serialisation: only '"', '\\' and controls are escaped. */
static int jcs_string(struct ch_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = ch_buf_append_byte(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; rc == CH_OK && *p != '\0'; p++) {
        unsigned char c = *p;
        const char *esc = NULL;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            break;
        }
        if (esc != NULL) {
            rc = ch_buf_append_c(b, esc);
        } else if (c < 0x20) {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], '\0'};
            rc = ch_buf_append_c(b, u);
        } else {
            rc = ch_buf_append_byte(b, (char)c);
        }
    }
    if (rc == CH_OK)
        rc = ch_buf_append_byte(b, '"');
    return rc;
}

int ch_stix_sco_id(const char *type, const char *const *keys, const char *const *values, size_t n,
                   char out[CH_STIX_ID_MAX], struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, STIX_NAME_MAX);
    int rc = ch_buf_append_byte(&b, '{');
    bool first = true;
    for (size_t i = 0; rc == CH_OK && i < n; i++) {
        if (values[i] == NULL)
            continue;
        if (!first)
            rc = ch_buf_append_byte(&b, ',');
        first = false;
        if (rc == CH_OK)
            rc = jcs_string(&b, keys[i]);
        if (rc == CH_OK)
            rc = ch_buf_append_byte(&b, ':');
        if (rc == CH_OK)
            rc = jcs_string(&b, values[i]);
    }
    if (rc == CH_OK)
        rc = ch_buf_append_byte(&b, '}');
    if (rc != CH_OK) {
        rc = ch_buf_status(&b, "observable id", err);
        ch_buf_release(&b);
        return rc;
    }
    char u[CH_STIX_UUID_STR];
    rc = ch_stix_uuid5(CH_STIX_SCO_NAMESPACE, ch_buf_cstr(&b), ch_buf_len(&b), u, err);
    ch_buf_release(&b);
    if (rc != CH_OK)
        return rc;
    int k = snprintf(out, CH_STIX_ID_MAX, "%s--%s", type, u);
    if (k < 0 || k >= CH_STIX_ID_MAX)
        return ch_err_set(err, CH_E_LIMIT, "STIX type too long");
    return CH_OK;
}

/* ---- time ---- */

char *ch_stix_time(int64_t ms, char out[CH_STIX_TIME_MAX])
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t milli = ms - secs * 1000;
    int64_t days =
        secs >= 0 ? secs / CH_DAY_SECONDS : -((-secs + CH_DAY_SECONDS - 1) / CH_DAY_SECONDS);
    int64_t rem = secs - days * CH_DAY_SECONDS;
    int64_t y = 0;
    unsigned m = 0, d = 0;
    ch_civil_from_days(days, &y, &m, &d);
    snprintf(out, CH_STIX_TIME_MAX, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)milli);
    return out;
}

int ch_stix_time_parse(struct ch_str s, int64_t *ret_ms, struct ch_err *err)
{
    int64_t secs = 0;
    int32_t nsec = 0;
    /* a bare date is not a timestamp in TAXII filters */
    if (s.len < 20 || (s.ptr[10] != 'T' && s.ptr[10] != 't'))
        return ch_err_set(err, CH_E_INVALID, "'%.*s' is not an RFC 3339 timestamp",
                          CH_STR_FMT(ch_str_sub(s, 0, s.len > 64 ? 64 : s.len)));
    int rc = ch_time_parse(s, &secs, &nsec, err);
    if (rc != CH_OK)
        return rc;
    if (secs < 0 || secs > INT64_C(253402300799))
        return ch_err_set(err, CH_E_INVALID, "timestamp out of range");
    *ret_ms = secs * 1000 + nsec / 1000000;
    return CH_OK;
}

const char *ch_stix_clearinghouse_identity(void)
{
    /* ch_stix_id("identity", "clearinghouse"), fixed here; test_stix checks it */
    return "identity--e20b5011-6d0b-57d9-a26f-3e5c1a2a16ff";
}

void ch_stix_write_object(struct ch_jw *w, const char *type, const char *id, int64_t created_ms,
                          int64_t modified_ms, const char *body, size_t body_len)
{
    char t[CH_STIX_TIME_MAX];
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "type", type);
    ch_jw_kstr(w, "spec_version", "2.1");
    ch_jw_kstr(w, "id", id);
    if (created_ms >= 0)
        ch_jw_kstr(w, "created", ch_stix_time(created_ms, t));
    if (modified_ms >= 0)
        ch_jw_kstr(w, "modified", ch_stix_time(modified_ms, t));
    if (body_len > 0)
        ch_jw_raw(w, body, body_len);
    ch_jw_obj_close(w);
}

/* ---- bodies ---- */

/* Starts a body: the members are written inside a throwaway object whose braces are cut. */
static void body_open(struct ch_buf *out, struct ch_jw *w)
{
    ch_buf_reset(out);
    ch_jw_init(w, out, 0);
    ch_jw_obj_open(w);
}

static void common_refs(struct ch_jw *w, enum ch_tlp tlp, bool created_by)
{
    if (created_by)
        ch_jw_kstr(w, "created_by_ref", ch_stix_clearinghouse_identity());
    ch_jw_key(w, "object_marking_refs");
    ch_jw_arr_open(w);
    ch_jw_cstr(w, ch_stix_tlp_marking_id(tlp));
    ch_jw_arr_close(w);
}

static int body_close(struct ch_buf *out, struct ch_jw *w, struct ch_err *err)
{
    ch_jw_obj_close(w);
    int rc = ch_jw_finish(w, err);
    if (rc != CH_OK)
        return rc;
    size_t len = ch_buf_len(out);
    if (len < 2)
        return ch_err_set(err, CH_E_INTERNAL, "empty STIX body");
    /* drop the braces: "{...}" -> "..." */
    char *p = (char *)ch_buf_cstr(out);
    memmove(p, p + 1, len - 2);
    ch_buf_truncate(out, len - 2);
    return CH_OK;
}

int ch_stix_body_vulnerability(struct ch_buf *out, const struct ch_stix_vulnerability *v,
                               struct ch_err *err)
{
    struct ch_jw w;
    body_open(out, &w);
    common_refs(&w, v->tlp, true);
    ch_jw_kstr(&w, "name", v->name);
    if (v->description != NULL && v->description[0] != '\0')
        ch_jw_kstr(&w, "description", v->description);
    if (v->n_refs > 0) {
        ch_jw_key(&w, "external_references");
        ch_jw_arr_open(&w);
        for (size_t i = 0; i < v->n_refs; i++) {
            ch_jw_obj_open(&w);
            ch_jw_kstr(&w, "source_name", v->refs[i].source_name);
            if (v->refs[i].external_id != NULL)
                ch_jw_kstr(&w, "external_id", v->refs[i].external_id);
            if (v->refs[i].url != NULL)
                ch_jw_kstr(&w, "url", v->refs[i].url);
            ch_jw_obj_close(&w);
        }
        ch_jw_arr_close(&w);
    }
    if (v->revoked)
        ch_jw_kbool(&w, "revoked", true);
    if (v->severity != NULL)
        ch_jw_kstr(&w, "x_clearinghouse_severity", v->severity);
    if (v->cvss_score >= 0)
        ch_jw_kdouble(&w, "x_clearinghouse_cvss_score", v->cvss_score);
    if (v->kev) {
        char t[CH_STIX_TIME_MAX];
        ch_jw_key(&w, "x_clearinghouse_kev");
        ch_jw_obj_open(&w);
        ch_jw_kstr(&w, "date_added", ch_stix_time(v->kev_added * 1000, t));
        if (v->kev_due >= 0)
            ch_jw_kstr(&w, "due_date", ch_stix_time(v->kev_due * 1000, t));
        if (v->kev_action != NULL)
            ch_jw_kstr(&w, "required_action", v->kev_action);
        ch_jw_obj_close(&w);
    }
    return body_close(out, &w, err);
}

int ch_stix_body_software(struct ch_buf *out, const struct ch_stix_software *s,
                          char ret_id[CH_STIX_ID_MAX], struct ch_err *err)
{
    /* contributing properties in canonical (byte) order: name, vendor, version */
    const char *keys[] = {"name", "vendor", "version"};
    const char *values[] = {s->name, s->vendor, s->version};
    int rc = ch_stix_sco_id("software", keys, values, 3, ret_id, err);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    body_open(out, &w);
    common_refs(&w, s->tlp, false);
    ch_jw_kstr(&w, "name", s->name);
    if (s->vendor != NULL)
        ch_jw_kstr(&w, "vendor", s->vendor);
    if (s->version != NULL)
        ch_jw_kstr(&w, "version", s->version);
    if (s->purl != NULL)
        ch_jw_kstr(&w, "x_clearinghouse_purl", s->purl);
    return body_close(out, &w, err);
}

int ch_stix_body_relationship(struct ch_buf *out, const struct ch_stix_relationship *r,
                              struct ch_err *err)
{
    struct ch_jw w;
    body_open(out, &w);
    common_refs(&w, r->tlp, true);
    ch_jw_kstr(&w, "relationship_type", r->relationship_type);
    if (r->description != NULL)
        ch_jw_kstr(&w, "description", r->description);
    ch_jw_kstr(&w, "source_ref", r->source_ref);
    ch_jw_kstr(&w, "target_ref", r->target_ref);
    return body_close(out, &w, err);
}

int ch_stix_body_identity(struct ch_buf *out, const struct ch_stix_identity *i, struct ch_err *err)
{
    struct ch_jw w;
    body_open(out, &w);
    common_refs(&w, i->tlp, !i->self);
    ch_jw_kstr(&w, "name", i->name);
    if (i->description != NULL)
        ch_jw_kstr(&w, "description", i->description);
    ch_jw_kstr(&w, "identity_class", i->identity_class);
    if (i->sector != NULL) {
        ch_jw_key(&w, "sectors");
        ch_jw_arr_open(&w);
        ch_jw_cstr(&w, i->sector);
        ch_jw_arr_close(&w);
    }
    return body_close(out, &w, err);
}

int ch_stix_source_classify(struct ch_str source, enum ch_stix_source_kind *ret_kind,
                            struct ch_str *ret_value, struct ch_err *err)
{
    if (ch_str_starts_with(source, "ua:") && source.len > 3) {
        *ret_kind = CH_STIX_SRC_USER_AGENT;
        *ret_value = ch_str_sub(source, 3, source.len - 3);
        return CH_OK;
    }
    bool colon = ch_str_find_char(source, ':') >= 0;
    bool dot = ch_str_find_char(source, '.') >= 0;
    for (size_t i = 0; i < source.len; i++) {
        char c = source.ptr[i];
        bool ok = (c >= '0' && c <= '9') || c == '.' || c == ':' || c == '/' ||
                  (colon && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
        if (!ok)
            return ch_err_set(err, CH_E_INVALID, "source is not an address or user agent");
    }
    if (source.len == 0 || source.len > 64 || (!colon && !dot))
        return ch_err_set(err, CH_E_INVALID, "source is not an address or user agent");
    *ret_kind = colon ? CH_STIX_SRC_IPV6 : CH_STIX_SRC_IPV4;
    *ret_value = source;
    return CH_OK;
}

/* STIX patterning string literal: quote and backslash escaped (§9.3 of the patterning spec). */
static int pattern_literal(struct ch_buf *out, struct ch_str v)
{
    int rc = ch_buf_append_byte(out, '\'');
    for (size_t i = 0; rc == CH_OK && i < v.len; i++) {
        char c = v.ptr[i];
        if (c == '\'' || c == '\\')
            rc = ch_buf_append_byte(out, '\\');
        if (rc == CH_OK)
            rc = ch_buf_append_byte(out, c);
    }
    if (rc == CH_OK)
        rc = ch_buf_append_byte(out, '\'');
    return rc;
}

int ch_stix_source_pattern(enum ch_stix_source_kind kind, struct ch_str value, struct ch_buf *out,
                           struct ch_err *err)
{
    ch_buf_reset(out);
    bool cidr = ch_str_find_char(value, '/') >= 0;
    const char *lhs = NULL;
    switch (kind) {
    case CH_STIX_SRC_IPV4:
        lhs = "[ipv4-addr:value ";
        break;
    case CH_STIX_SRC_IPV6:
        lhs = "[ipv6-addr:value ";
        break;
    case CH_STIX_SRC_USER_AGENT:
        lhs = "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' ";
        cidr = false;
        break;
    }
    int rc = ch_buf_append_c(out, lhs);
    if (rc == CH_OK)
        rc = ch_buf_append_c(out, cidr ? "ISSUBSET " : "= ");
    if (rc == CH_OK)
        rc = pattern_literal(out, value);
    if (rc == CH_OK)
        rc = ch_buf_append_byte(out, ']');
    return rc == CH_OK ? CH_OK : ch_buf_status(out, "pattern", err);
}

int ch_stix_body_indicator(struct ch_buf *out, const struct ch_stix_indicator *i,
                           struct ch_err *err)
{
    char t[CH_STIX_TIME_MAX];
    struct ch_jw w;
    body_open(out, &w);
    common_refs(&w, i->tlp, true);
    ch_jw_kstr(&w, "name", i->name);
    if (i->description != NULL)
        ch_jw_kstr(&w, "description", i->description);
    ch_jw_key(&w, "indicator_types");
    ch_jw_arr_open(&w);
    ch_jw_cstr(&w, "anomalous-activity");
    ch_jw_arr_close(&w);
    ch_jw_kstr(&w, "pattern", i->pattern);
    ch_jw_kstr(&w, "pattern_type", "stix");
    ch_jw_kstr(&w, "valid_from", ch_stix_time(i->valid_from_ms, t));
    return body_close(out, &w, err);
}

int ch_stix_body_address(struct ch_buf *out, enum ch_stix_source_kind kind, struct ch_str value,
                         enum ch_tlp tlp, char ret_id[CH_STIX_ID_MAX], struct ch_err *err)
{
    if (kind == CH_STIX_SRC_USER_AGENT || value.len > 64)
        return ch_err_set(err, CH_E_INVALID, "not an address");
    char v[72];
    memcpy(v, value.ptr, value.len);
    v[value.len] = '\0';
    const char *type = kind == CH_STIX_SRC_IPV4 ? "ipv4-addr" : "ipv6-addr";
    const char *keys[] = {"value"};
    const char *values[] = {v};
    int rc = ch_stix_sco_id(type, keys, values, 1, ret_id, err);
    if (rc != CH_OK)
        return rc;
    struct ch_jw w;
    body_open(out, &w);
    common_refs(&w, tlp, false);
    ch_jw_kstr(&w, "value", v);
    return body_close(out, &w, err);
}

int ch_stix_body_observed_data(struct ch_buf *out, const struct ch_stix_observed_data *o,
                               struct ch_err *err)
{
    if (o->n_object_refs == 0 || o->number_observed < 1 || o->number_observed > 999999999)
        return ch_err_set(err, CH_E_INVALID, "observed-data needs object_refs and a count");
    char t[CH_STIX_TIME_MAX];
    struct ch_jw w;
    body_open(out, &w);
    common_refs(&w, o->tlp, true);
    ch_jw_kstr(&w, "first_observed", ch_stix_time(o->first_observed_ms, t));
    ch_jw_kstr(&w, "last_observed", ch_stix_time(o->last_observed_ms, t));
    ch_jw_kint(&w, "number_observed", o->number_observed);
    ch_jw_key(&w, "object_refs");
    ch_jw_arr_open(&w);
    for (size_t i = 0; i < o->n_object_refs; i++)
        ch_jw_cstr(&w, o->object_refs[i]);
    ch_jw_arr_close(&w);
    return body_close(out, &w, err);
}

int ch_stix_body_report(struct ch_buf *out, const struct ch_stix_report *r, struct ch_err *err)
{
    if (r->n_object_refs == 0)
        return ch_err_set(err, CH_E_INVALID, "report needs object_refs");
    char t[CH_STIX_TIME_MAX];
    struct ch_jw w;
    body_open(out, &w);
    common_refs(&w, r->tlp, true);
    ch_jw_kstr(&w, "name", r->name);
    if (r->description != NULL)
        ch_jw_kstr(&w, "description", r->description);
    ch_jw_key(&w, "report_types");
    ch_jw_arr_open(&w);
    ch_jw_cstr(&w, "vulnerability");
    ch_jw_arr_close(&w);
    ch_jw_kstr(&w, "published", ch_stix_time(r->published_ms, t));
    ch_jw_key(&w, "object_refs");
    ch_jw_arr_open(&w);
    for (size_t i = 0; i < r->n_object_refs; i++)
        ch_jw_cstr(&w, r->object_refs[i]);
    ch_jw_arr_close(&w);
    if (r->extra_json != NULL && r->extra_json[0] != '\0')
        ch_jw_raw(&w, r->extra_json, strlen(r->extra_json));
    return body_close(out, &w, err);
}
