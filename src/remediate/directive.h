/* SPDX-License-Identifier: Apache-2.0
 *
 * directive.h: Binding Operational Directives (and any other remediation
 * directive) as data: one JSON file per directive, described in
 * docs/directives.md. A new directive needs a file, not code.
 *
 * A directive has an id and title, the day it was issued and (once it is)
 * revoked, a scope (organisation categories, critical-infrastructure
 * sectors, an internet-facing constraint), a decision rule, a clock and a
 * reporting cadence. Three kinds of rule exist:
 *
 *   - "ssvc": an SSVC decision table file (ssvc.h), named relative to the
 *     directive file, whose outcomes map to a number of days, "next upgrade",
 *     or nothing, optionally with a forensic triage task (BOD 26-04);
 *   - "kev_due_date": remediate by the KEV catalogue's dueDate (BOD 22-01);
 *   - "severity": CVSS qualitative severity → days (BOD 19-02: critical 15,
 *     high 30).
 *
 * Days run from the clock's start: the first detection, or the later of the
 * first detection and the day the exposure first met its tier (for rules
 * whose tier can change, e.g. an asset becoming internet-facing). Due dates
 * are at the END of the last day: with N days from a start on day D (UTC),
 * the last on-time second is D+N 23:59:59 UTC; a KEV due date Y is due at
 * Y 23:59:59 UTC. A directive is in force from 00:00:00 UTC of its issue day
 * until 00:00:00 UTC of its revocation day (exclusive), so on 2026-06-10
 * BOD 26-04 governs and BOD 22-01 / 19-02 no longer do.
 *
 * A loaded directive is immutable and may be shared between threads.
 */
#ifndef CH_REMEDIATE_DIRECTIVE_H
#define CH_REMEDIATE_DIRECTIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/str.h"
#include "identity/identity.h"
#include "remediate/ssvc.h"

/* A directive file is a page of JSON. */
#define CH_DIRECTIVE_MAX_FILE_BYTES ((size_t)1 << 20)
/* Directive files read from one directory. */
#define CH_DIRECTIVE_MAX_FILES 256
/* Sectors named in one scope, aliases and outcomes of one rule. */
#define CH_DIRECTIVE_MAX_ITEMS 64
/* The longest plausible remediation clock (ten years), so day arithmetic cannot overflow. */
#define CH_DIRECTIVE_MAX_DAYS 3660

enum ch_directive_rule {
    CH_RULE_SSVC,
    CH_RULE_KEV_DUE_DATE,
    CH_RULE_SEVERITY,
};

enum ch_directive_clock {
    CH_CLOCK_DETECTION,         /* days from the first detection */
    CH_CLOCK_DETECTION_OR_TIER, /* days from the later of detection and tier met */
};

/* What a decision asks for. */
enum ch_directive_action {
    CH_ACTION_NONE,         /* nothing under this directive (not in KEV, low severity) */
    CH_ACTION_DAYS,         /* remediate within `days` of the clock start */
    CH_ACTION_DATE,         /* remediate by a fixed date (the KEV due date) */
    CH_ACTION_NEXT_UPGRADE, /* at the asset's next scheduled upgrade or rebuild */
};

struct ch_directive;

/*
 * Parses a directive held in data. `source` names it in messages; `base_dir`
 * is the folder that an SSVC rule's table path is relative to (NULL: the
 * working directory). On success *ret is owned (ch_directive_free()).
 * Errors: CH_E_INVALID naming the field, CH_E_IO / CH_E_INVALID from the
 * table file (prefixed with the directive), CH_E_LIMIT, CH_E_NOMEM.
 */
int ch_directive_parse(const char *data, size_t len, const char *source, const char *base_dir,
                       struct ch_directive **ret, struct ch_err *err) CH_MUST_CHECK;
/* Reads and parses a directive file; its table paths are relative to its folder. */
int ch_directive_load(const char *path, struct ch_directive **ret,
                      struct ch_err *err) CH_MUST_CHECK;
/* NULL-safe. */
void ch_directive_free(struct ch_directive *d);

/* Accessors; strings are owned by the directive and live as long as it. */
const char *ch_directive_id(const struct ch_directive *d); /* "BOD-26-04" */
const char *ch_directive_title(const struct ch_directive *d);
int64_t ch_directive_issued(const struct ch_directive *d);         /* 00:00:00 UTC of the day */
int64_t ch_directive_revoked(const struct ch_directive *d);        /* same, or -1 */
const char *ch_directive_revoked_by(const struct ch_directive *d); /* id or NULL */
enum ch_directive_rule ch_directive_rule_kind(const struct ch_directive *d);
enum ch_directive_clock ch_directive_clock_kind(const struct ch_directive *d);
/* The decision table of an SSVC rule (borrowed), else NULL. */
const struct ch_ssvc_table *ch_directive_table(const struct ch_directive *d);

/* True when the directive governs at time t: issued <= t < revoked. */
bool ch_directive_in_force(const struct ch_directive *d, int64_t t);
/* True when the scope covers an organisation of this category and exposure. */
bool ch_directive_applies_to(const struct ch_directive *d, enum ch_org_category category,
                             bool internet_facing);
/* As above; for CH_ORG_CI, `sector` (may be NULL: unknown) must be in the scope's sectors. */
bool ch_directive_applies_to_sector(const struct ch_directive *d, enum ch_org_category category,
                                    const char *sector, bool internet_facing);

/*
 * What a decision is made from. `values` are NAME=VALUE inputs (borrowed):
 * for an SSVC rule, the table's decision points (by name, key or the
 * directive's aliases); for a severity rule "severity" (critical, high,
 * medium, low, none) or "cvss" (a base score 0.0-10.0); for a KEV rule an
 * optional "kev" (yes/no). Times are seconds since the epoch, -1 when
 * unknown; without `detected` no due date is computed.
 */
struct ch_directive_inputs {
    const struct ch_ssvc_input *values;
    size_t n_values;
    int64_t detected; /* first detection of the exposure */
    int64_t tier_met; /* when the exposure first met its current tier; -1: at detection */
    int64_t kev_due;  /* the KEV catalogue's dueDate (any time of that day); -1: not in KEV */
};

#define CH_DIRECTIVE_INPUTS_INIT                                                                   \
    {                                                                                              \
        .values = NULL, .n_values = 0, .detected = -1, .tier_met = -1, .kev_due = -1               \
    }

struct ch_directive_decision {
    const char *outcome;     /* "14 days", "KEV due date", "no deadline"; borrowed from d */
    const char *outcome_key; /* "14D" for SSVC rules; otherwise the same as outcome */
    enum ch_directive_action action;
    int days;             /* for CH_ACTION_DAYS; -1 otherwise */
    bool forensic_triage; /* the outcome also asks for a forensic triage of the asset */
    int64_t clock_start;  /* 00:00:00 UTC of the day the clock starts, or -1 */
    int64_t due;          /* last on-time second, or -1 (no date, or inputs lack one) */
};

/*
 * Adds one NAME=VALUE input to `in`: "detected", "tier" and "kev_due" set
 * the clock's dates (RFC 3339 date or time; CH_E_INVALID naming the input
 * otherwise); any other name becomes a rule input stored in vals[] (room
 * for max; CH_E_LIMIT beyond), which `in` then points at. Name and value
 * are borrowed for as long as `in` is used.
 */
int ch_directive_inputs_add(struct ch_directive_inputs *in, struct ch_ssvc_input *vals, size_t max,
                            struct ch_str name, struct ch_str value,
                            struct ch_err *err) CH_MUST_CHECK;

/*
 * Decides one exposure. Errors: CH_E_NOTFOUND / CH_E_INVALID naming an
 * unknown, repeated or missing input or a bad value (field = its name).
 */
int ch_directive_decide(const struct ch_directive *d, const struct ch_directive_inputs *in,
                        struct ch_directive_decision *ret, struct ch_err *err) CH_MUST_CHECK;

/* Last on-time second for `days` days from the UTC day containing start. */
int64_t ch_directive_due(int64_t start, int days);
/* True when remediation at time t misses a due date (t > due); never late when due < 0. */
bool ch_directive_is_late(int64_t due, int64_t t);

/* Writes the directive as JSON (the normalised form of its file) with w. */
void ch_directive_write_json(const struct ch_directive *d, struct ch_jw *w);
/* "in force", "not yet issued" or "revoked" at time `now` (static strings). */
const char *ch_directive_status_at(const struct ch_directive *d, int64_t now);
/* Writes {id, title, issued, revoked, status} (status at `now`) with w. */
void ch_directive_write_summary_json(const struct ch_directive *d, int64_t now, struct ch_jw *w);
/*
 * Writes a decision of d as {directive, outcome, outcome_key, action
 * (none|days|date|next_upgrade), days, forensic_triage, clock_start, due}.
 */
void ch_directive_decision_write_json(const struct ch_directive *d,
                                      const struct ch_directive_decision *dec, struct ch_jw *w);
/* Appends a human-readable description (several lines) to out. */
void ch_directive_describe(const struct ch_directive *d, struct ch_buf *out);

/*
 * A folder of directives: every "*.json" file directly in dir (not in
 * subfolders, where tables live), sorted by issue date then id. A file that
 * does not load fails the whole set with its name in the message, so a
 * broken directive is never silently ignored. Ids must be unique.
 */
struct ch_directive_set;

int ch_directive_set_load(const char *dir, struct ch_directive_set **ret,
                          struct ch_err *err) CH_MUST_CHECK;
void ch_directive_set_free(struct ch_directive_set *s);
size_t ch_directive_set_count(const struct ch_directive_set *s);
const struct ch_directive *ch_directive_set_get(const struct ch_directive_set *s, size_t i);
/* By id, case-insensitively; NULL when absent. */
const struct ch_directive *ch_directive_set_find(const struct ch_directive_set *s,
                                                 struct ch_str id);

#endif
