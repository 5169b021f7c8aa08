/* SPDX-License-Identifier: Apache-2.0
 *
 * stix_check.c: see stix_check.h. References: STIX 2.1 (OASIS Standard)
 * §2.7 identifier, §2.13 timestamp, §3.1 property names, §3.2 common
 * properties, §4-6 object types, §7.2 marking definitions, TLP 2.0
 * extension definition.
 */
#include "stix_check.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int fail(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return 1;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* "<type>--<lower-case RFC 4122 UUID>" with the given type (NULL: any). */
static bool is_id(const char *s, const char *type)
{
    if (s == NULL)
        return false;
    const char *sep = strstr(s, "--");
    if (sep == NULL || (type != NULL &&
                        ((size_t)(sep - s) != strlen(type) || strncmp(s, type, strlen(type)) != 0)))
        return false;
    const char *u = sep + 2;
    if (strlen(u) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? u[i] != '-' : !is_hex(u[i]))
            return false;
    }
    /* version nibble 1-5 (our ids are v4 or v5), variant 10xx */
    return u[14] >= '1' && u[14] <= '5' && strchr("89ab", u[19]) != NULL;
}

/* "YYYY-MM-DDTHH:MM:SS.sssZ": exactly millisecond precision where STIX requires it. */
static bool is_ts_ms(const char *s)
{
    static const char pat[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (s == NULL || strlen(s) != sizeof(pat) - 1)
        return false;
    for (size_t i = 0; i < sizeof(pat) - 1; i++) {
        if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i])
            return false;
    }
    return true;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool has(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k) != NULL;
}

static bool nonempty_id_list(const cJSON *o, const char *k, const char *type)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0)
        return false;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        if (!cJSON_IsString(e) || !is_id(e->valuestring, type))
            return false;
    }
    return true;
}

static bool valid_prop_name(const char *k)
{
    size_t n = strlen(k);
    if (n < 3 || n > 250)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

static const char *const tlp2_ids[] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
};

static bool is_tlp2(const char *id)
{
    for (size_t i = 0; i < sizeof(tlp2_ids) / sizeof(tlp2_ids[0]); i++) {
        if (strcmp(id, tlp2_ids[i]) == 0)
            return true;
    }
    return false;
}

/* Properties defined by the specification for the types we emit (anything else must be x_). */
static const char *const known[] = {
    "type",
    "spec_version",
    "id",
    "created",
    "modified",
    "created_by_ref",
    "revoked",
    "labels",
    "confidence",
    "lang",
    "external_references",
    "object_marking_refs",
    "granular_markings",
    "extensions",
    "name",
    "description",
    "identity_class",
    "sectors",
    "contact_information",
    "roles",
    "indicator_types",
    "pattern",
    "pattern_type",
    "pattern_version",
    "valid_from",
    "valid_until",
    "kill_chain_phases",
    "first_observed",
    "last_observed",
    "number_observed",
    "object_refs",
    "relationship_type",
    "source_ref",
    "target_ref",
    "start_time",
    "stop_time",
    "cpe",
    "swid",
    "languages",
    "vendor",
    "version",
    "value",
    "resolves_to_refs",
    "belongs_to_refs",
    "definition_type",
    "definition",
    "report_types",
    "published",
    "defanged",
    NULL,
};

static bool is_known(const char *k)
{
    for (size_t i = 0; known[i] != NULL; i++) {
        if (strcmp(known[i], k) == 0)
            return true;
    }
    return false;
}

static int check_common(const cJSON *o, const char *type, bool sco, char *msg, size_t size)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, o)
    {
        if (is_known(p->string))
            continue;
        /* custom properties: 3..250 of [a-zA-Z0-9_], and ours are x_ prefixed */
        if (!valid_prop_name(p->string))
            return fail(msg, size, "property name '%s' is invalid", p->string);
        if (strncmp(p->string, "x_", 2) != 0)
            return fail(msg, size, "property '%s' is neither defined nor custom (x_)", p->string);
    }
    if (!is_id(str(o, "id"), type))
        return fail(msg, size, "id '%s' is not %s--<uuid>", str(o, "id") ? str(o, "id") : "", type);
    const char *sv = str(o, "spec_version");
    if (sv == NULL ? !sco : strcmp(sv, "2.1") != 0)
        return fail(msg, size, "spec_version must be \"2.1\"");
    if (sco) {
        if (has(o, "created") || has(o, "modified") || has(o, "created_by_ref"))
            return fail(msg, size, "an observable has no created, modified or created_by_ref");
    } else {
        if (!is_ts_ms(str(o, "created")))
            return fail(msg, size, "created missing or not millisecond-precision UTC");
        if (strcmp(type, "marking-definition") != 0) {
            if (!is_ts_ms(str(o, "modified")))
                return fail(msg, size, "modified missing or not millisecond-precision UTC");
            if (strcmp(str(o, "modified"), str(o, "created")) < 0)
                return fail(msg, size, "modified is before created");
        }
        if (has(o, "created_by_ref") && !is_id(str(o, "created_by_ref"), "identity"))
            return fail(msg, size, "created_by_ref is not an identity id");
    }
    if (has(o, "object_marking_refs") &&
        !nonempty_id_list(o, "object_marking_refs", "marking-definition"))
        return fail(msg, size, "object_marking_refs must list marking-definition ids");
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(o, "external_references");
    if (refs != NULL) {
        const cJSON *r;
        if (!cJSON_IsArray(refs) || cJSON_GetArraySize(refs) == 0)
            return fail(msg, size, "external_references must be a non-empty list");
        cJSON_ArrayForEach(r, refs)
        {
            if (str(r, "source_name") == NULL)
                return fail(msg, size, "an external reference lacks source_name");
            if (str(r, "external_id") == NULL && str(r, "url") == NULL &&
                str(r, "description") == NULL)
                return fail(msg, size, "an external reference has nothing but a source_name");
        }
    }
    return 0;
}

static int check_marking(const cJSON *o, char *msg, size_t size)
{
    if (has(o, "modified"))
        return fail(msg, size, "marking definitions are not versioned (no modified)");
    const cJSON *ext = cJSON_GetObjectItemCaseSensitive(o, "extensions");
    if (!has(o, "definition") && ext == NULL)
        return fail(msg, size, "marking definition needs definition or extensions");
    if (ext != NULL) {
        const cJSON *tlp = cJSON_GetObjectItemCaseSensitive(
            ext, "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d");
        if (tlp == NULL || str(tlp, "extension_type") == NULL ||
            strcmp(str(tlp, "extension_type"), "property-extension") != 0 ||
            str(tlp, "tlp_2_0") == NULL)
            return fail(msg, size, "TLP 2.0 marking lacks its property extension");
        if (!is_tlp2(str(o, "id")))
            return fail(msg, size, "TLP 2.0 marking with an id that is not the OASIS one");
    }
    return 0;
}

int stix_check(const cJSON *obj, char *msg, size_t msg_size)
{
    const char *type = str(obj, "type");
    if (!cJSON_IsObject(obj) || type == NULL)
        return fail(msg, msg_size, "not an object with a type");
    bool sco = strcmp(type, "software") == 0 || strcmp(type, "ipv4-addr") == 0 ||
               strcmp(type, "ipv6-addr") == 0;
    int rc = check_common(obj, type, sco, msg, msg_size);
    if (rc != 0)
        return rc;
    if (strcmp(type, "marking-definition") == 0)
        return check_marking(obj, msg, msg_size);
    if (!nonempty_id_list(obj, "object_marking_refs", "marking-definition"))
        return fail(msg, msg_size, "%s carries no marking", type);
    const cJSON *m =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(obj, "object_marking_refs"), 0);
    if (!is_tlp2(m->valuestring))
        return fail(msg, msg_size, "%s is not marked with a TLP 2.0 marking", type);
    if (strcmp(type, "vulnerability") == 0 || strcmp(type, "software") == 0 ||
        strcmp(type, "identity") == 0) {
        if (str(obj, "name") == NULL)
            return fail(msg, msg_size, "%s requires name", type);
    } else if (strcmp(type, "indicator") == 0) {
        if (str(obj, "pattern") == NULL || str(obj, "pattern_type") == NULL ||
            !is_ts_ms(str(obj, "valid_from")))
            return fail(msg, msg_size, "indicator requires pattern, pattern_type, valid_from");
    } else if (strcmp(type, "observed-data") == 0) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, "number_observed");
        if (!is_ts_ms(str(obj, "first_observed")) || !is_ts_ms(str(obj, "last_observed")) ||
            !cJSON_IsNumber(n) || n->valuedouble < 1 || n->valuedouble > 999999999 ||
            !nonempty_id_list(obj, "object_refs", NULL))
            return fail(msg, msg_size,
                        "observed-data requires first/last_observed, "
                        "number_observed 1..999999999 and object_refs");
        if (strcmp(str(obj, "last_observed"), str(obj, "first_observed")) < 0)
            return fail(msg, msg_size, "last_observed before first_observed");
    } else if (strcmp(type, "relationship") == 0) {
        if (str(obj, "relationship_type") == NULL || !is_id(str(obj, "source_ref"), NULL) ||
            !is_id(str(obj, "target_ref"), NULL))
            return fail(msg, msg_size,
                        "relationship requires relationship_type, source_ref, "
                        "target_ref");
    } else if (strcmp(type, "report") == 0) {
        if (str(obj, "name") == NULL || !is_ts_ms(str(obj, "published")) ||
            !nonempty_id_list(obj, "object_refs", NULL))
            return fail(msg, msg_size, "report requires name, published, object_refs");
    } else if (strcmp(type, "ipv4-addr") == 0 || strcmp(type, "ipv6-addr") == 0) {
        if (str(obj, "value") == NULL)
            return fail(msg, msg_size, "%s requires value", type);
    } else {
        return fail(msg, msg_size, "unexpected type '%s'", type);
    }
    return 0;
}
