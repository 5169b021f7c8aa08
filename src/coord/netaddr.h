/* SPDX-License-Identifier: Apache-2.0
 *
 * netaddr.h: IPv4 and IPv6 addresses, CIDR prefixes and DNS names as the
 * targets and sources of scan leases: strict parsing, canonical formatting,
 * containment and intersection.
 *
 * Design decisions, chosen because these values authorise traffic:
 *
 * - Addresses: IPv4 is dotted-quad only (four decimal octets, no leading
 *   zeros, so "010.0.0.1" cannot be read as octal by another tool); IPv6 is
 *   RFC 4291 §2.2 text (hex groups, one "::", an optional dotted IPv4 tail),
 *   without zone ids or brackets. Formatting is RFC 5952 (lower case, longest
 *   zero run compressed, ::ffff:a.b.c.d for IPv4-mapped addresses).
 * - Prefixes: "addr/len" with len a decimal without leading zeros, or a bare
 *   address meaning a host prefix (/32, /128). A prefix with host bits set
 *   ("10.0.0.1/8") is REJECTED with a message naming the intended network:
 *   silently normalising it could widen an authorisation beyond what its
 *   author meant. Prefixes format as "addr/len" always.
 * - IPv4-mapped IPv6 addresses (::ffff:0:0/96) parse as IPv6, as written;
 *   ch_ip_unmap() turns them into IPv4 for callers that want one family
 *   (the lease index does so for queries).
 * - DNS names: LDH labels (RFC 1123 §2.1: letters, digits, inner hyphens),
 *   1..63 bytes each, at most 253 bytes in all; case folded to lower case and
 *   one trailing dot removed. The last label must not be all digits
 *   (RFC 3696 §2), so no IPv4 address is ever read as a name. IDNA is not
 *   applied: internationalised names are given in their "xn--" form.
 * - Wildcards: "*.example.com" is a name scope covering every name strictly
 *   below example.com, at any depth (a.example.com, a.b.example.com), but not
 *   example.com itself. The base must have at least two labels ("*.com" is
 *   refused as too broad for an authorisation). A wildcard appears only as
 *   the whole leftmost label.
 *
 * All functions are pure and thread-safe.
 */
#ifndef CH_COORD_NETADDR_H
#define CH_COORD_NETADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

/* Longest accepted address or prefix text: 45 bytes is the longest IPv6 text
 * (with an IPv4 tail), plus "/128"; anything longer is not an address and is
 * refused before any work is done on it. */
#define CH_IP_TEXT_MAX 49
/* Buffer size for ch_ip_format()/ch_prefix_format(), NUL included. */
#define CH_IP_STR_MAX 52
/* RFC 1035 §2.3.4: 63 bytes per label, 255 bytes on the wire, which is 253
 * bytes of presentation text without the trailing dot. */
#define CH_DNS_LABEL_MAX 63
#define CH_DNS_NAME_MAX 253
/* Longest accepted name text: a name, "*." and a trailing dot. */
#define CH_DNS_TEXT_MAX (CH_DNS_NAME_MAX + 3)
/* Buffer size for ch_dnsname_format(), NUL included. */
#define CH_DNS_STR_MAX (CH_DNS_NAME_MAX + 3)

enum ch_ip_family {
    CH_IP_V4 = 4,
    CH_IP_V6 = 6,
};

/* An address. IPv4 uses b[0..3] (network order) and leaves b[4..15] zero, so
 * that two equal addresses are equal bytewise. */
struct ch_ipaddr {
    uint8_t family; /* enum ch_ip_family */
    uint8_t b[16];
};

/* A CIDR prefix; the bits of addr past len are always zero. */
struct ch_prefix {
    struct ch_ipaddr addr;
    uint8_t len; /* 0..32 for IPv4, 0..128 for IPv6 */
};

/* A normalised DNS name or wildcard scope. For "*.Example.COM." text is
 * "example.com" and wildcard is true. */
struct ch_dnsname {
    uint8_t len;   /* bytes of text, 1..CH_DNS_NAME_MAX */
    bool wildcard; /* covers the names strictly below text */
    char text[CH_DNS_NAME_MAX + 1]; /* NUL-terminated, lower case, no trailing dot */
};

/* Address width in bits: 32 or 128. */
static inline unsigned ch_ip_bits(uint8_t family)
{
    return family == CH_IP_V4 ? 32u : 128u;
}

/*
 * Parses an IPv4 or IPv6 address (whole input, see the banner).
 * Errors: CH_E_INVALID with a message quoting the input, CH_E_LIMIT when
 * longer than CH_IP_TEXT_MAX.
 */
int ch_ip_parse(struct ch_str s, struct ch_ipaddr *ret, struct ch_err *err) CH_MUST_CHECK;

/*
 * Parses "addr/len" or a bare address (host prefix). Host bits set are
 * CH_E_INVALID ("... has host bits set; the network is '10.0.0.0/8'").
 */
int ch_prefix_parse(struct ch_str s, struct ch_prefix *ret, struct ch_err *err) CH_MUST_CHECK;

/* Canonical text (RFC 5952 for IPv6) into out; returns out. */
char *ch_ip_format(const struct ch_ipaddr *a, char out[CH_IP_STR_MAX]);
/* "addr/len" into out; returns out. */
char *ch_prefix_format(const struct ch_prefix *p, char out[CH_IP_STR_MAX]);

bool ch_ip_eq(const struct ch_ipaddr *a, const struct ch_ipaddr *b);
bool ch_prefix_eq(const struct ch_prefix *a, const struct ch_prefix *b);

/* The host prefix (/32 or /128) of an address. */
struct ch_prefix ch_prefix_host(const struct ch_ipaddr *a);

/*
 * Builds a prefix from an address and a length, clearing host bits.
 * CH_E_INVALID when len exceeds the family's width.
 */
int ch_prefix_make(const struct ch_ipaddr *a, unsigned len, struct ch_prefix *ret,
                   struct ch_err *err) CH_MUST_CHECK;

/* True when a is inside p (always false across families). */
bool ch_prefix_contains_ip(const struct ch_prefix *p, const struct ch_ipaddr *a);
/* True when every address of inner is inside outer (same family). */
bool ch_prefix_contains(const struct ch_prefix *outer, const struct ch_prefix *inner);
/* True when a and b share an address: for prefixes, one contains the other. */
bool ch_prefix_intersects(const struct ch_prefix *a, const struct ch_prefix *b);

/* True for an IPv6 address in ::ffff:0:0/96. */
bool ch_ip_is_v4mapped(const struct ch_ipaddr *a);
/* The IPv4 address of an IPv4-mapped one; any other address unchanged. */
struct ch_ipaddr ch_ip_unmap(const struct ch_ipaddr *a);

/*
 * Parses a DNS name or a wildcard scope "*.base" (see the banner).
 * Errors: CH_E_INVALID naming the bad label, CH_E_LIMIT when too long.
 */
int ch_dnsname_parse(struct ch_str s, struct ch_dnsname *ret, struct ch_err *err) CH_MUST_CHECK;
/* Canonical text ("*.example.com" or "example.com") into out; returns out. */
char *ch_dnsname_format(const struct ch_dnsname *n, char out[CH_DNS_STR_MAX]);

bool ch_dnsname_eq(const struct ch_dnsname *a, const struct ch_dnsname *b);
/* True when name `sub` is strictly below `base` ("a.b.c" below "b.c"). */
bool ch_dnsname_is_below(struct ch_str sub, struct ch_str base);
/* True when scope covers the concrete (non-wildcard) name. */
bool ch_dnsname_covers(const struct ch_dnsname *scope, const struct ch_dnsname *name);
/* True when some concrete name is covered by both scopes. */
bool ch_dnsname_intersects(const struct ch_dnsname *a, const struct ch_dnsname *b);

#endif
