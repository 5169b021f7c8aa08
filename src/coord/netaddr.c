/* SPDX-License-Identifier: Apache-2.0
 *
 * netaddr.c: addresses, prefixes and DNS names (see netaddr.h for the rules).
 * Parsers walk (pointer, length) input once, never reading past it, and stop
 * at CH_IP_TEXT_MAX / CH_DNS_TEXT_MAX bytes before looking at the content.
 * IPv6 text follows RFC 4291 §2.2; output follows RFC 5952 §4.
 */
#include "coord/netaddr.h"

#include <string.h>

#include "core/log.h"

/* Room for quoting untrusted input inside an error message. */
#define QUOTE_MAX 80

static const char *quote(char out[QUOTE_MAX], struct ch_str s)
{
    return ch_log_quote(out, QUOTE_MAX, s.ptr == NULL ? "" : s.ptr, s.len);
}

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

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Dotted quad into out[4]; NULL on success, else a static reason. */
static const char *parse_v4(struct ch_str s, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= s.len || s.ptr[i] != '.')
                return part == 1 || i >= s.len ? "expected four dot-separated octets"
                                               : "unexpected character";
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < s.len && is_digit(s.ptr[i]) && i - start < 4) {
            v = v * 10 + (unsigned)(s.ptr[i] - '0');
            i++;
        }
        size_t nd = i - start;
        if (nd == 0)
            return i < s.len && s.ptr[i] != '.' ? "unexpected character" : "empty octet";
        if (nd > 3 || v > 255)
            return "octet above 255";
        if (nd > 1 && s.ptr[start] == '0')
            return "octet with a leading zero (ambiguous: octal or decimal?)";
        out[part] = (uint8_t)v;
    }
    if (i != s.len)
        return i < s.len && s.ptr[i] == '.' ? "more than four octets" : "unexpected character";
    return NULL;
}

/* RFC 4291 §2.2 text into out[16]; NULL on success, else a static reason. */
static const char *parse_v6(struct ch_str s, uint8_t out[16])
{
    uint16_t head[8], tail[8];
    int nhead = 0, ntail = 0;
    bool gap = false;
    size_t i = 0;
    if (s.len >= 2 && s.ptr[0] == ':' && s.ptr[1] == ':') {
        gap = true;
        i = 2;
    } else if (s.len >= 1 && s.ptr[0] == ':') {
        return "leading single ':'";
    }
    uint8_t v4[4];
    bool has_v4 = false;
    while (i < s.len) {
        /* one group, or a dotted IPv4 tail */
        size_t start = i;
        unsigned v = 0;
        while (i < s.len && hexval(s.ptr[i]) >= 0 && i - start < 5) {
            v = v * 16 + (unsigned)hexval(s.ptr[i]);
            i++;
        }
        if (i < s.len && s.ptr[i] == '.') {
            const char *why = parse_v4(ch_str_make(s.ptr + start, s.len - start), v4);
            if (why != NULL)
                return "bad IPv4 tail";
            has_v4 = true;
            i = s.len;
            break;
        }
        if (i == start)
            return "empty or bad group";
        if (i - start > 4)
            return "group of more than four hex digits";
        if ((gap ? ntail : nhead) + (gap ? nhead : ntail) >= 8)
            return "more than eight groups";
        if (gap)
            tail[ntail++] = (uint16_t)v;
        else
            head[nhead++] = (uint16_t)v;
        if (i == s.len)
            break;
        if (s.ptr[i] != ':')
            return "unexpected character";
        i++;
        if (i < s.len && s.ptr[i] == ':') {
            if (gap)
                return "more than one '::'";
            gap = true;
            i++;
        } else if (i == s.len) {
            return "trailing single ':'";
        }
    }
    int groups = nhead + ntail + (has_v4 ? 2 : 0);
    if (groups > 8 || (gap && groups == 8))
        return "more than eight groups";
    if (!gap && groups != 8)
        return "fewer than eight groups and no '::'";
    memset(out, 0, 16);
    for (int g = 0; g < nhead; g++) {
        out[2 * g] = (uint8_t)(head[g] >> 8);
        out[2 * g + 1] = (uint8_t)head[g];
    }
    int end = has_v4 ? 12 : 16;
    for (int g = 0; g < ntail; g++) {
        int at = end - 2 * (ntail - g);
        out[at] = (uint8_t)(tail[g] >> 8);
        out[at + 1] = (uint8_t)tail[g];
    }
    if (has_v4)
        memcpy(out + 12, v4, 4);
    return NULL;
}

int ch_ip_parse(struct ch_str s, struct ch_ipaddr *ret, struct ch_err *err)
{
    char q[QUOTE_MAX];
    if (s.len > CH_IP_TEXT_MAX)
        return ch_err_set(err, CH_E_LIMIT, "address '%s' is longer than %d bytes", quote(q, s),
                          CH_IP_TEXT_MAX);
    if (s.len == 0)
        return ch_err_set(err, CH_E_INVALID, "empty address");
    struct ch_ipaddr a;
    memset(&a, 0, sizeof(a));
    const char *why;
    if (memchr(s.ptr, ':', s.len) != NULL) {
        a.family = CH_IP_V6;
        why = parse_v6(s, a.b);
        if (why != NULL)
            return ch_err_set(err, CH_E_INVALID, "invalid IPv6 address '%s': %s", quote(q, s),
                              why);
    } else {
        a.family = CH_IP_V4;
        why = parse_v4(s, a.b);
        if (why != NULL)
            return ch_err_set(err, CH_E_INVALID, "invalid IPv4 address '%s': %s", quote(q, s),
                              why);
    }
    *ret = a;
    return CH_OK;
}

/* Clears every bit of b from bit `len` on; true if any was set. */
static bool clear_host_bits(uint8_t b[16], unsigned len)
{
    bool had = false;
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = len >= 8 * (i + 1) ? 8 : (len > 8 * i ? len - 8 * i : 0);
        uint8_t mask = (uint8_t)(keep == 0 ? 0u : 0xffu << (8 - keep));
        if ((b[i] & (uint8_t)~mask) != 0)
            had = true;
        b[i] &= mask;
    }
    return had;
}

int ch_prefix_make(const struct ch_ipaddr *a, unsigned len, struct ch_prefix *ret,
                   struct ch_err *err)
{
    if (len > ch_ip_bits(a->family))
        return ch_err_set(err, CH_E_INVALID, "prefix length %u exceeds %u bits", len,
                          ch_ip_bits(a->family));
    struct ch_prefix p = {.addr = *a, .len = (uint8_t)len};
    clear_host_bits(p.addr.b, len);
    *ret = p;
    return CH_OK;
}

int ch_prefix_parse(struct ch_str s, struct ch_prefix *ret, struct ch_err *err)
{
    char q[QUOTE_MAX];
    if (s.len > CH_IP_TEXT_MAX)
        return ch_err_set(err, CH_E_LIMIT, "prefix '%s' is longer than %d bytes", quote(q, s),
                          CH_IP_TEXT_MAX);
    long slash = ch_str_find_char(s, '/');
    struct ch_str as = slash < 0 ? s : ch_str_make(s.ptr, (size_t)slash);
    struct ch_ipaddr a;
    int rc = ch_ip_parse(as, &a, err);
    if (rc != CH_OK)
        return rc;
    unsigned bits = ch_ip_bits(a.family);
    unsigned len = bits;
    if (slash >= 0) {
        struct ch_str ls = ch_str_make(s.ptr + slash + 1, s.len - (size_t)slash - 1);
        bool ok = ls.len >= 1 && ls.len <= 3 && !(ls.len > 1 && ls.ptr[0] == '0');
        len = 0;
        for (size_t i = 0; ok && i < ls.len; i++) {
            if (!is_digit(ls.ptr[i]))
                ok = false;
            else
                len = len * 10 + (unsigned)(ls.ptr[i] - '0');
        }
        if (!ok || len > bits)
            return ch_err_set(err, CH_E_INVALID,
                              "invalid prefix '%s': length must be a decimal 0..%u", quote(q, s),
                              bits);
    }
    struct ch_prefix p = {.addr = a, .len = (uint8_t)len};
    if (clear_host_bits(p.addr.b, len)) {
        char net[CH_IP_STR_MAX];
        return ch_err_set(err, CH_E_INVALID, "invalid prefix '%s': host bits set; the network is '%s'",
                          quote(q, s), ch_prefix_format(&p, net));
    }
    *ret = p;
    return CH_OK;
}

/* Appends decimal v to out at *o. */
static void put_dec(char *out, size_t *o, unsigned v)
{
    char tmp[4];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        out[(*o)++] = tmp[--n];
}

static void put_v4(char *out, size_t *o, const uint8_t b[4])
{
    for (int i = 0; i < 4; i++) {
        if (i > 0)
            out[(*o)++] = '.';
        put_dec(out, o, b[i]);
    }
}

static void put_hex_group(char *out, size_t *o, unsigned g)
{
    static const char hex[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (g >> shift) & 15u;
        if (d != 0 || started || shift == 0) {
            out[(*o)++] = hex[d];
            started = true;
        }
    }
}

bool ch_ip_is_v4mapped(const struct ch_ipaddr *a)
{
    static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return a->family == CH_IP_V6 && memcmp(a->b, pfx, 12) == 0;
}

struct ch_ipaddr ch_ip_unmap(const struct ch_ipaddr *a)
{
    if (!ch_ip_is_v4mapped(a))
        return *a;
    struct ch_ipaddr r;
    memset(&r, 0, sizeof(r));
    r.family = CH_IP_V4;
    memcpy(r.b, a->b + 12, 4);
    return r;
}

static size_t format_into(const struct ch_ipaddr *a, char *out)
{
    size_t o = 0;
    if (a->family == CH_IP_V4) {
        put_v4(out, &o, a->b);
        return o;
    }
    if (ch_ip_is_v4mapped(a)) {
        memcpy(out, "::ffff:", 7);
        o = 7;
        put_v4(out, &o, a->b + 12);
        return o;
    }
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
    /* RFC 5952 §4.2: the longest run of two or more zero groups, the first on a tie */
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            out[o++] = ':';
            out[o++] = ':';
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len)
            out[o++] = ':';
        put_hex_group(out, &o, g[i]);
    }
    return o;
}

char *ch_ip_format(const struct ch_ipaddr *a, char out[CH_IP_STR_MAX])
{
    size_t o = format_into(a, out);
    out[o] = '\0';
    return out;
}

char *ch_prefix_format(const struct ch_prefix *p, char out[CH_IP_STR_MAX])
{
    size_t o = format_into(&p->addr, out);
    out[o++] = '/';
    put_dec(out, &o, p->len);
    out[o] = '\0';
    return out;
}

bool ch_ip_eq(const struct ch_ipaddr *a, const struct ch_ipaddr *b)
{
    return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

bool ch_prefix_eq(const struct ch_prefix *a, const struct ch_prefix *b)
{
    return a->len == b->len && ch_ip_eq(&a->addr, &b->addr);
}

struct ch_prefix ch_prefix_host(const struct ch_ipaddr *a)
{
    return (struct ch_prefix){.addr = *a, .len = (uint8_t)ch_ip_bits(a->family)};
}

/* True when the first len bits of x and y agree. */
static bool same_bits(const uint8_t *x, const uint8_t *y, unsigned len)
{
    unsigned full = len / 8;
    if (memcmp(x, y, full) != 0)
        return false;
    unsigned rest = len % 8;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return ((x[full] ^ y[full]) & mask) == 0;
}

bool ch_prefix_contains_ip(const struct ch_prefix *p, const struct ch_ipaddr *a)
{
    return p->addr.family == a->family && same_bits(p->addr.b, a->b, p->len);
}

bool ch_prefix_contains(const struct ch_prefix *outer, const struct ch_prefix *inner)
{
    return outer->addr.family == inner->addr.family && outer->len <= inner->len &&
           same_bits(outer->addr.b, inner->addr.b, outer->len);
}

bool ch_prefix_intersects(const struct ch_prefix *a, const struct ch_prefix *b)
{
    return ch_prefix_contains(a, b) || ch_prefix_contains(b, a);
}

static bool ldh(char c)
{
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-';
}

int ch_dnsname_parse(struct ch_str s, struct ch_dnsname *ret, struct ch_err *err)
{
    char q[QUOTE_MAX];
    if (s.len > CH_DNS_TEXT_MAX)
        return ch_err_set(err, CH_E_LIMIT, "DNS name '%s' is longer than %d bytes", quote(q, s),
                          CH_DNS_NAME_MAX);
    struct ch_str body = s;
    bool wild = false;
    if (body.len >= 2 && body.ptr[0] == '*' && body.ptr[1] == '.') {
        wild = true;
        body = ch_str_make(body.ptr + 2, body.len - 2);
    }
    if (body.len > 0 && body.ptr[body.len - 1] == '.')
        body.len--;
    if (body.len == 0)
        return ch_err_set(err, CH_E_INVALID, "invalid DNS name '%s': empty", quote(q, s));
    if (body.len > CH_DNS_NAME_MAX)
        return ch_err_set(err, CH_E_LIMIT, "DNS name '%s' is longer than %d bytes", quote(q, s),
                          CH_DNS_NAME_MAX);
    struct ch_dnsname n;
    memset(&n, 0, sizeof(n));
    size_t label_start = 0;
    int labels = 0;
    bool all_digits = true;
    for (size_t i = 0; i <= body.len; i++) {
        if (i == body.len || body.ptr[i] == '.') {
            size_t ll = i - label_start;
            if (ll == 0)
                return ch_err_set(err, CH_E_INVALID, "invalid DNS name '%s': empty label",
                                  quote(q, s));
            if (ll > CH_DNS_LABEL_MAX)
                return ch_err_set(err, CH_E_INVALID,
                                  "invalid DNS name '%s': label longer than %d bytes", quote(q, s),
                                  CH_DNS_LABEL_MAX);
            if (n.text[label_start] == '-' || n.text[i - 1] == '-')
                return ch_err_set(err, CH_E_INVALID,
                                  "invalid DNS name '%s': label starts or ends with '-'",
                                  quote(q, s));
            labels++;
            if (i < body.len) {
                n.text[i] = '.';
                all_digits = true;
            }
            label_start = i + 1;
            continue;
        }
        char c = body.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!ldh(c)) {
            if (c == '*')
                return ch_err_set(err, CH_E_INVALID,
                                  "invalid DNS name '%s': '*' only as the whole first label "
                                  "('*.example.com')",
                                  quote(q, s));
            return ch_err_set(err, CH_E_INVALID,
                              "invalid DNS name '%s': only letters, digits, '-' and '.' allowed",
                              quote(q, s));
        }
        if (!is_digit(c))
            all_digits = false;
        n.text[i] = c;
    }
    if (all_digits)
        return ch_err_set(err, CH_E_INVALID,
                          "invalid DNS name '%s': the last label is all digits (an address?)",
                          quote(q, s));
    if (wild && labels < 2)
        return ch_err_set(err, CH_E_INVALID,
                          "invalid DNS name '%s': a wildcard needs a base of at least two labels",
                          quote(q, s));
    n.len = (uint8_t)body.len;
    n.wildcard = wild;
    *ret = n;
    return CH_OK;
}

char *ch_dnsname_format(const struct ch_dnsname *n, char out[CH_DNS_STR_MAX])
{
    size_t o = 0;
    if (n->wildcard) {
        out[o++] = '*';
        out[o++] = '.';
    }
    memcpy(out + o, n->text, n->len);
    out[o + n->len] = '\0';
    return out;
}

bool ch_dnsname_eq(const struct ch_dnsname *a, const struct ch_dnsname *b)
{
    return a->wildcard == b->wildcard && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

bool ch_dnsname_is_below(struct ch_str sub, struct ch_str base)
{
    if (sub.len <= base.len + 1)
        return false;
    size_t off = sub.len - base.len;
    return sub.ptr[off - 1] == '.' && memcmp(sub.ptr + off, base.ptr, base.len) == 0;
}

static struct ch_str text_of(const struct ch_dnsname *n)
{
    return ch_str_make(n->text, n->len);
}

bool ch_dnsname_covers(const struct ch_dnsname *scope, const struct ch_dnsname *name)
{
    if (name->wildcard)
        return false;
    if (!scope->wildcard)
        return ch_str_eq(text_of(scope), text_of(name));
    return ch_dnsname_is_below(text_of(name), text_of(scope));
}

bool ch_dnsname_intersects(const struct ch_dnsname *a, const struct ch_dnsname *b)
{
    struct ch_str ta = text_of(a), tb = text_of(b);
    if (!a->wildcard && !b->wildcard)
        return ch_str_eq(ta, tb);
    if (a->wildcard && b->wildcard)
        return ch_str_eq(ta, tb) || ch_dnsname_is_below(ta, tb) || ch_dnsname_is_below(tb, ta);
    if (a->wildcard)
        return ch_dnsname_is_below(tb, ta);
    return ch_dnsname_is_below(ta, tb);
}
