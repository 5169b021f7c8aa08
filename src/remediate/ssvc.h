/* SPDX-License-Identifier: Apache-2.0
 *
 * ssvc.h: SSVC decision tables (Stakeholder-Specific Vulnerability
 * Categorization, CERT/CC), loaded from the files CERT/CC publishes.
 *
 * A decision table names input decision points, each with an ordered list of
 * values (In KEV: no < yes; Technical Impact: partial < total), and one
 * outcome decision point (BOD 26-04 remediation timelines; CISA levels
 * Track < Track* < Attend < Act). Every combination of input values maps to
 * exactly one outcome value. Loading verifies that: a table with a missing,
 * duplicated or unknown combination is refused with a message naming it, so a
 * lookup on a loaded table always has an answer.
 *
 * Two file forms are read (https://github.com/CERTCC/SSVC, data/):
 *
 *   - JSON decision tables (schemaVersion 2.0.0, data/json/decision_tables/):
 *     "decision_points" keyed by "namespace:key:version", each with ordered
 *     "values" {key, name, definition}; "outcome" names the outcome point;
 *     "mapping" is a list of objects {point id: value key}.
 *   - CSV decision tables (data/csv/): a header "row,<Name> v<version>
 *     (<namespace>),...,<Outcome> v<version>" and one row per combination,
 *     holding value names. CSV carries no value keys (a value's key is its
 *     name) and no order: input values are ordered by first appearance, and
 *     outcome values by the mean rank of the rows that produce them (ties by
 *     first appearance), which recovers the published order of every
 *     monotone table (all CERT/CC and CISA ones). Use JSON when order matters.
 *
 * The form is chosen by content: a file whose first non-blank byte is '{' is
 * JSON. Names match ASCII-case-insensitively, ignoring spaces, '_' and '-'
 * ("Public PoC" = "public_poc"); see ch_ssvc_table_find_point() and
 * ch_ssvc_point_find_value() for what else is accepted.
 *
 * A table is immutable once loaded (except for ch_ssvc_table_add_alias(),
 * meant for the loader of a directive) and may then be read from several
 * threads at once.
 */
#ifndef CH_REMEDIATE_SSVC_H
#define CH_REMEDIATE_SSVC_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

/* A table file is a few kB; the largest CERT/CC one (CVSS v4 EQ sets) is ~1 MB. */
#define CH_SSVC_MAX_FILE_BYTES ((size_t)4 << 20)
/* Input decision points of one table (published tables have at most 6). */
#define CH_SSVC_MAX_POINTS 12
/* Values of one decision point (published points have at most 6). */
#define CH_SSVC_MAX_VALUES 32
/* Combinations of one table: bounds the dense outcome array we allocate. */
#define CH_SSVC_MAX_ROWS 65536
/* Bytes of one name, key or definition. */
#define CH_SSVC_MAX_TEXT 4096
/* Aliases that may be added to one table. */
#define CH_SSVC_MAX_ALIASES 64

struct ch_ssvc_value {
    const char *key;        /* "Y"; for CSV tables, the name */
    const char *name;       /* "Yes"; as written in the file */
    const char *definition; /* "" when the file has none */
};

/* A decision point; every pointer is owned by the table and lives as long as it. */
struct ch_ssvc_point {
    const char *id;         /* "cisa:KEV:1.0.0": namespace:key:version */
    const char *ns;         /* "cisa", "ssvc"; "ssvc" when a CSV header names none */
    const char *key;        /* "KEV"; for CSV tables, the name */
    const char *version;    /* "1.0.0"; "" when absent */
    const char *name;       /* "In KEV" */
    const char *definition; /* "" when the file has none */
    size_t n_values;
    const struct ch_ssvc_value *values; /* lowest first */
};

struct ch_ssvc_table;

/*
 * Parses a decision table held in len bytes of data (JSON or CSV, see above).
 * `source` names the input in messages (a file name); NULL means "input".
 * On success *ret is an owned table (free with ch_ssvc_table_free()).
 * Errors: CH_E_INVALID with a message naming the line, field or combination
 * (missing, duplicated, unknown point or value, wrong field count),
 * CH_E_LIMIT past the limits above, CH_E_NOMEM.
 */
int ch_ssvc_table_parse(const char *data, size_t len, const char *source,
                        struct ch_ssvc_table **ret, struct ch_err *err) CH_MUST_CHECK;

/* Reads and parses the file at path; CH_E_IO when it cannot be read. */
int ch_ssvc_table_load(const char *path, struct ch_ssvc_table **ret,
                       struct ch_err *err) CH_MUST_CHECK;

/* NULL-safe. */
void ch_ssvc_table_free(struct ch_ssvc_table *t);

/* "cisa:DT_BOD2604:1.0.0" for JSON tables; the source name for CSV ones. */
const char *ch_ssvc_table_id(const struct ch_ssvc_table *t);
/* "CISA BOD 26-04"; for CSV tables, the outcome point's name. */
const char *ch_ssvc_table_name(const struct ch_ssvc_table *t);
/* Number of input decision points. */
size_t ch_ssvc_table_n_points(const struct ch_ssvc_table *t);
/* Input point i (i < n_points), in the table's column order. */
const struct ch_ssvc_point *ch_ssvc_table_point(const struct ch_ssvc_table *t, size_t i);
/* The outcome decision point. */
const struct ch_ssvc_point *ch_ssvc_table_outcome(const struct ch_ssvc_table *t);
/* Number of combinations (rows): the product of the points' value counts. */
size_t ch_ssvc_table_n_rows(const struct ch_ssvc_table *t);
/*
 * Row r (r < n_rows) in mixed-radix order, last point fastest: writes the
 * value index of each input point into ret_values (n_points entries) and
 * returns the outcome value index.
 */
size_t ch_ssvc_table_row(const struct ch_ssvc_table *t, size_t r, size_t *ret_values);

/*
 * Finds an input point by name: its id ("cisa:KEV:1.0.0", or without the
 * version), key ("KEV"), name ("In KEV") or an alias added with
 * ch_ssvc_table_add_alias(), compared as described at the top. CH_E_NOTFOUND
 * with a message listing the known points otherwise.
 */
int ch_ssvc_table_find_point(const struct ch_ssvc_table *t, struct ch_str name, size_t *ret_index,
                             struct ch_err *err) CH_MUST_CHECK;

/*
 * Finds a value of a point by name ("Public PoC"), key ("P") or synonym:
 * a value named Yes also answers to "true", "y" and "1"; No to "false", "n"
 * and "0"; Public PoC to "poc" (as CISA's ADP records write it).
 * CH_E_NOTFOUND with a message listing the point's values otherwise.
 */
int ch_ssvc_point_find_value(const struct ch_ssvc_point *p, struct ch_str value, size_t *ret_index,
                             struct ch_err *err) CH_MUST_CHECK;

/*
 * Adds another name for input point `index` (copied). CH_E_CONFLICT when the
 * alias already names a different point, CH_E_LIMIT past
 * CH_SSVC_MAX_ALIASES. Not thread-safe: call before sharing the table.
 */
int ch_ssvc_table_add_alias(struct ch_ssvc_table *t, const char *alias, size_t index,
                            struct ch_err *err) CH_MUST_CHECK;

/* One NAME=VALUE input of a lookup; both borrowed. */
struct ch_ssvc_input {
    struct ch_str point;
    struct ch_str value;
};

/*
 * The outcome for a combination given by name. Every input point must be
 * given exactly once; errors (CH_E_INVALID, field = the offending name) name
 * an unknown point or value, a point given twice, or the points missing.
 * Writes the index of the outcome value (see ch_ssvc_table_outcome()).
 */
int ch_ssvc_table_lookup(const struct ch_ssvc_table *t, const struct ch_ssvc_input *in, size_t n_in,
                         size_t *ret_outcome, struct ch_err *err) CH_MUST_CHECK;

/* As above with value indexes (n_points of them); CH_E_INVALID when one is out of range. */
int ch_ssvc_table_lookup_index(const struct ch_ssvc_table *t, const size_t *values,
                               size_t *ret_outcome, struct ch_err *err) CH_MUST_CHECK;

#endif
