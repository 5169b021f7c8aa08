/* SPDX-License-Identifier: Apache-2.0
 *
 * detect.c: feed format detection (see detect.h).
 *
 * Detection looks for a few telling JSON members in the first bytes,
 * without parsing: the head is usually a truncated document, which no JSON
 * parser would accept. A member matches only as a quoted key followed by
 * ':' (white space allowed), so a description that merely mentions
 * "csaf_version" in prose inside a string is unlikely to fool it; the reader
 * chosen afterwards validates the whole document anyway.
 */
#include "vuln/detect.h"

#include <string.h>

static const char *const format_names[CH_FEED_COUNT] = {
    [CH_FEED_UNKNOWN] = "unknown", [CH_FEED_OSV] = "osv", [CH_FEED_CVE5] = "cve5",
    [CH_FEED_CSAF] = "csaf",       [CH_FEED_KEV] = "kev", [CH_FEED_EPSS] = "epss",
};

/* OSV id prefixes of the ecosystems in the OSV schema's list (ids are PREFIX-...). */
static const char *const osv_prefixes[] = {
    "GHSA-",  "PYSEC-", "GO-",     "RUSTSEC-",  "OSV-",  "MAL-",    "GSD-",  "DSA-",  "DLA-",
    "DTSA-",  "USN-",   "UBUNTU-", "ALSA-",     "ALBA-", "ALEA-",   "RHSA-", "RHBA-", "RHEA-",
    "RLSA-",  "RXSA-",  "SUSE-",   "openSUSE-", "BIT-",  "HSEC-",   "RSEC-", "PSF-",  "CURL-",
    "MGASA-", "LBSEC-", "ECHO-",   "CGA-",      "MINI-", "DRUPAL-", "CVE-",
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Finds the member "key" (as a quoted key followed by ':'); returns the
 * offset of its value, or -1.
 */
static long find_member(struct ch_str h, const char *key, size_t from)
{
    size_t klen = strlen(key);
    for (size_t i = from; i + klen + 2 <= h.len; i++) {
        if (h.ptr[i] != '"' || memcmp(h.ptr + i + 1, key, klen) != 0 || h.ptr[i + 1 + klen] != '"')
            continue;
        size_t j = i + klen + 2;
        while (j < h.len && is_space(h.ptr[j]))
            j++;
        if (j < h.len && h.ptr[j] == ':') {
            j++;
            while (j < h.len && is_space(h.ptr[j]))
                j++;
            return (long)j;
        }
    }
    return -1;
}

/* Whether member `key` has the string value `value`. */
static bool member_is(struct ch_str h, const char *key, const char *value)
{
    size_t vlen = strlen(value);
    long at = find_member(h, key, 0);
    while (at >= 0) {
        size_t v = (size_t)at;
        if (v + vlen + 2 <= h.len && h.ptr[v] == '"' && memcmp(h.ptr + v + 1, value, vlen) == 0 &&
            h.ptr[v + 1 + vlen] == '"')
            return true;
        at = find_member(h, key, v);
    }
    return false;
}

static bool osv_id(struct ch_str h)
{
    long at = find_member(h, "id", 0);
    if (at < 0 || (size_t)at >= h.len || h.ptr[at] != '"')
        return false;
    struct ch_str v = ch_str_sub(h, (size_t)at + 1, h.len);
    for (size_t i = 0; i < CH_ARRAY_SIZE(osv_prefixes); i++) {
        if (ch_str_starts_with(v, osv_prefixes[i]))
            return true;
    }
    return false;
}

static enum ch_feed_format from_content(struct ch_str h)
{
    if (ch_str_starts_with(h, "\xef\xbb\xbf"))
        h = ch_str_sub(h, 3, h.len);
    if (ch_str_starts_with(h, "#model_version") || ch_str_starts_with(h, "cve,epss"))
        return CH_FEED_EPSS;
    h = ch_str_trim(h);
    if (h.len == 0 || h.ptr[0] != '{')
        return CH_FEED_UNKNOWN;
    if (member_is(h, "dataType", "CVE_RECORD"))
        return CH_FEED_CVE5;
    if (find_member(h, "csaf_version", 0) >= 0)
        return CH_FEED_CSAF;
    if (find_member(h, "catalogVersion", 0) >= 0)
        return CH_FEED_KEV;
    if (find_member(h, "schema_version", 0) >= 0)
        return CH_FEED_OSV;
    if (osv_id(h) && (find_member(h, "modified", 0) >= 0 || find_member(h, "affected", 0) >= 0))
        return CH_FEED_OSV;
    return CH_FEED_UNKNOWN;
}

static bool contains_ci(struct ch_str s, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= s.len; i++) {
        if (ch_str_case_eq_c(ch_str_sub(s, i, n), needle))
            return true;
    }
    return false;
}

static enum ch_feed_format from_name(const char *name)
{
    if (name == NULL)
        return CH_FEED_UNKNOWN;
    struct ch_str n = ch_str_c(name);
    const char *slash = strrchr(name, '/');
    struct ch_str base = slash != NULL ? ch_str_c(slash + 1) : n;
    bool csv = ch_str_ends_with(base, ".csv") || ch_str_ends_with(base, ".csv.gz");
    if (csv && contains_ci(base, "epss"))
        return CH_FEED_EPSS;
    if (ch_str_ends_with(base, ".json") && contains_ci(base, "known_exploited_vulnerabilities"))
        return CH_FEED_KEV;
    return CH_FEED_UNKNOWN;
}

enum ch_feed_format ch_feed_detect(const char *name, const char *head, size_t head_len)
{
    if (head_len > CH_FEED_DETECT_HEAD)
        head_len = CH_FEED_DETECT_HEAD;
    enum ch_feed_format f =
        head != NULL ? from_content(ch_str_make(head, head_len)) : CH_FEED_UNKNOWN;
    return f != CH_FEED_UNKNOWN ? f : from_name(name);
}

const char *ch_feed_format_name(enum ch_feed_format f)
{
    if ((int)f < 0 || f >= CH_FEED_COUNT)
        return "unknown";
    return format_names[f];
}

int ch_feed_format_parse(struct ch_str name, enum ch_feed_format *ret_format, struct ch_err *err)
{
    for (int f = CH_FEED_OSV; f < CH_FEED_COUNT; f++) {
        if (ch_str_case_eq_c(name, format_names[f])) {
            *ret_format = (enum ch_feed_format)f;
            return CH_OK;
        }
    }
    return ch_err_set(err, CH_E_INVALID,
                      "unknown feed format '%.*s' (expected osv, cve5, csaf, kev or epss)",
                      CH_STR_FMT(ch_str_sub(name, 0, 64)));
}
