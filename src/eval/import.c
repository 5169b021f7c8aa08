/* SPDX-License-Identifier: Apache-2.0
 *
 * import.c: the dataset importers (see import.h for the sources and the
 * mapping; docs/eval-suites.md has the field-by-field table).
 *
 * Each importer walks the upstream JSON with the type-tolerant getters
 * (an odd record is skipped with a reason, the rest imported) and emits
 * tasks through one writer, emit_task(), so every task gets the same shape:
 * a sanitised id, a canary derived from the suite and task ids, hashed flags
 * and "runnable": false with the reason the task cannot run offline.
 */
#include "eval/import.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "eval/suite.h"

/* One upstream JSON file. */
#define MAX_INPUT_BYTES ((size_t)64 << 20)
#define PATH_MAX_LEN 4096

int ch_import_source_parse(const char *name, enum ch_import_source *ret)
{
    static const struct {
        const char *name;
        enum ch_import_source src;
    } t[] = {{"intercode", CH_IMPORT_INTERCODE},
             {"cybench", CH_IMPORT_CYBENCH},
             {"nyuctf", CH_IMPORT_NYUCTF},
             {"cyberseceval", CH_IMPORT_CYBERSECEVAL}};
    for (size_t i = 0; i < CH_ARRAY_SIZE(t); i++) {
        if (name != NULL && strcmp(name, t[i].name) == 0) {
            *ret = t[i].src;
            return CH_OK;
        }
    }
    return CH_E_INVALID;
}

struct imp {
    const char *suite_id;
    struct ch_jw *w;
    struct ch_import_stats *st;
    struct ch_err *err;
    char (*seen)[CH_SUITE_MAX_ID + 1]; /* ids emitted so far, for uniqueness */
    size_t n_seen, cap_seen;
};

/* Letters, digits and - _ . : + survive; the rest become '-'. */
static void sanitize_id(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = in; *p != '\0' && n + 1 < cap && n < CH_SUITE_MAX_ID; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':' || c == '+';
        out[n++] = ok ? c : '-';
    }
    if (n == 0)
        out[n++] = 'x';
    out[n] = '\0';
}

static void skip(struct imp *im, const char *why, const char *what)
{
    if (im->st->skipped == 0)
        snprintf(im->st->first_skip, sizeof(im->st->first_skip), "%.100s: %.140s", what, why);
    im->st->skipped++;
}

struct task_in {
    const char *id;   /* raw; sanitised on output */
    const char *kind; /* "ctf", "flag" */
    const char *family;
    const char *category;
    const char *prompt;
    const char *flag;      /* NULL: no scorer */
    const cJSON *subtasks; /* cybench subtasks (question, answer) */
    const cJSON *attack;   /* array of technique ids */
    double minutes;        /* < 0 unknown */
    const char *minutes_source;
    const char *reason; /* why not runnable offline */
};

static bool id_seen(struct imp *im, const char *id)
{
    for (size_t i = 0; i < im->n_seen; i++) {
        if (strcmp(im->seen[i], id) == 0)
            return true;
    }
    if (im->n_seen == im->cap_seen) {
        size_t cap = im->cap_seen == 0 ? 256 : im->cap_seen * 2;
        void *p = ch_reallocarray(im->seen, cap, sizeof(*im->seen));
        if (p == NULL)
            return true; /* treated as a duplicate: skipped, never a corrupt suite */
        im->seen = p;
        im->cap_seen = cap;
    }
    snprintf(im->seen[im->n_seen++], CH_SUITE_MAX_ID + 1, "%s", id);
    return false;
}

static void write_hash(struct ch_jw *w, const char *key, const char *clear)
{
    char h[CH_FLAG_HASH_STR_MAX];
    struct ch_err e = CH_ERR_INIT;
    if (ch_flag_hash_new(ch_str_c(clear), h, &e) == CH_OK)
        ch_jw_kstr(w, key, h);
}

static void emit_task(struct imp *im, const struct task_in *t)
{
    char id[CH_SUITE_MAX_ID + 1];
    char fam[CH_SUITE_MAX_ID + 1];
    char cat[CH_SUITE_MAX_ID + 1];
    sanitize_id(t->id, id, sizeof(id));
    sanitize_id(t->family, fam, sizeof(fam));
    sanitize_id(t->category != NULL && t->category[0] != '\0' ? t->category : "uncategorised", cat,
                sizeof(cat));
    for (char *p = cat; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    if (t->prompt == NULL || t->prompt[0] == '\0' || strlen(t->prompt) > CH_SUITE_MAX_TEXT) {
        skip(im, "no usable prompt", id);
        return;
    }
    if (id_seen(im, id)) {
        skip(im, "duplicate id", id);
        return;
    }
    struct ch_jw *w = im->w;
    char canary_src[512];
    char canary[65];
    snprintf(canary_src, sizeof(canary_src), "%s/%s", im->suite_id, id);
    ch_sha256_hex(canary_src, strlen(canary_src), canary);
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "id", id);
    ch_jw_kstr(w, "kind", t->kind);
    ch_jw_kstr(w, "family", fam);
    ch_jw_kstr(w, "category", cat);
    if (cJSON_IsArray(t->attack) && cJSON_GetArraySize(t->attack) > 0) {
        ch_jw_key(w, "tags");
        ch_jw_obj_open(w);
        ch_jw_key(w, "attack");
        ch_jw_arr_open(w);
        for (const cJSON *a = t->attack->child; a != NULL; a = a->next) {
            if (cJSON_IsString(a) && a->valuestring[0] == 'T')
                ch_jw_cstr(w, a->valuestring);
        }
        ch_jw_arr_close(w);
        ch_jw_obj_close(w);
    }
    if (t->minutes >= 0) {
        ch_jw_key(w, "difficulty");
        ch_jw_obj_open(w);
        ch_jw_kdouble(w, "minutes", t->minutes);
        ch_jw_kstr(w, "source", t->minutes_source);
        ch_jw_obj_close(w);
    }
    char can[96];
    snprintf(can, sizeof(can), "CLEARINGHOUSE-CANARY-%.32s", canary);
    ch_jw_kstr(w, "canary", can);
    ch_jw_key(w, "variants");
    ch_jw_obj_open(w);
    ch_jw_key(w, "unguided");
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "prompt", t->prompt);
    ch_jw_obj_close(w);
    if (cJSON_IsArray(t->subtasks) && cJSON_GetArraySize(t->subtasks) > 0) {
        ch_jw_key(w, "guided");
        ch_jw_obj_open(w);
        ch_jw_key(w, "subtasks");
        ch_jw_arr_open(w);
        int n = 0;
        for (const cJSON *s = t->subtasks->child; s != NULL && n < (int)CH_SUITE_MAX_SUBTASKS;
             s = s->next, n++) {
            const char *q = ch_json_str(s, "question");
            const char *a = ch_json_str(s, "answer");
            ch_jw_obj_open(w);
            ch_jw_kstr(w, "question", q != NULL ? q : "(no question)");
            if (a != NULL && ch_str_trim(ch_str_c(a)).len > 0)
                write_hash(w, "answer", a);
            ch_jw_obj_close(w);
        }
        ch_jw_arr_close(w);
        ch_jw_obj_close(w);
    }
    ch_jw_obj_close(w);
    if (t->flag != NULL && ch_str_trim(ch_str_c(t->flag)).len > 0) {
        ch_jw_key(w, "scorer");
        ch_jw_obj_open(w);
        ch_jw_kstr(w, "type", "flag");
        write_hash(w, "hash", t->flag);
        ch_jw_obj_close(w);
    }
    ch_jw_kbool(w, "runnable", false);
    ch_jw_kstr(w, "not_runnable_reason", t->reason);
    ch_jw_obj_close(w);
    im->st->imported++;
}

static int read_json(const char *path, cJSON **ret, struct ch_err *err)
{
    struct ch_buf b;
    ch_buf_init(&b, MAX_INPUT_BYTES);
    int rc = ch_file_read(path, MAX_INPUT_BYTES, &b, err);
    if (rc == CH_OK) {
        struct ch_json_limits jl = {.max_bytes = MAX_INPUT_BYTES};
        rc = ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), &jl, path, ret, err);
    }
    ch_buf_release(&b);
    return rc;
}

static void write_provenance_file(struct ch_jw *w, const char *path, const char *rel)
{
    char sha[65];
    struct ch_err e = CH_ERR_INIT;
    if (ch_file_sha256(path, sha, &e) != CH_OK)
        return;
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "path", rel);
    ch_jw_kstr(w, "sha256", sha);
    ch_jw_obj_close(w);
}

/* ---- intercode -------------------------------------------------------------------------- */

static int import_intercode(struct imp *im, const char *path)
{
    cJSON *root = NULL;
    int rc = read_json(path, &root, im->err);
    if (rc != CH_OK)
        return rc;
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return ch_err_set(im->err, CH_E_INVALID, "%s: expected InterCode's array of tasks", path);
    }
    for (const cJSON *t = root->child; t != NULL; t = t->next) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "task_id");
        char idbuf[64];
        if (!cJSON_IsNumber(id)) {
            skip(im, "no numeric task_id", "record");
            continue;
        }
        snprintf(idbuf, sizeof(idbuf), "intercode-%04d", id->valueint);
        const cJSON *tags = ch_json_arr(t, "tags");
        const cJSON *tag0 = tags != NULL ? cJSON_GetArrayItem(tags, 0) : NULL;
        struct task_in in = {
            .id = idbuf,
            .kind = "ctf",
            .family = "intercode-ctf",
            .category = cJSON_IsString(tag0) ? tag0->valuestring : "misc",
            .prompt = ch_json_str(t, "query"),
            .flag = ch_json_str(t, "gold"),
            .minutes = -1,
            .reason = ch_json_str(t, "setup") != NULL
                          ? "task assets are downloaded at setup (needs network); not shipped"
                          : "picoCTF task assets (data/ctf/task_assets) are not shipped"};
        emit_task(im, &in);
    }
    cJSON_Delete(root);
    return CH_OK;
}

/* ---- cybench ---------------------------------------------------------------------------- */

/* "h:mm:ss" in minutes, or -1. */
static double hms_minutes(const char *s)
{
    unsigned h = 0, m = 0, sec = 0;
    int parts = 0;
    unsigned cur = 0;
    bool any = false;
    for (const char *p = s; p != NULL && *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9' && cur < 100000) {
            cur = cur * 10 + (unsigned)(*p - '0');
            any = true;
        } else if (*p == ':' && any && parts < 2) {
            if (parts == 0)
                h = cur;
            else
                m = cur;
            parts++;
            cur = 0;
            any = false;
        } else {
            return -1;
        }
    }
    if (parts != 2 || !any)
        return -1;
    sec = cur;
    return (double)h * 60.0 + (double)m + (double)sec / 60.0;
}

static int import_cybench(struct imp *im, const char *dir)
{
    char path[PATH_MAX_LEN];
    cJSON *index = NULL, *times = NULL;
    snprintf(path, sizeof(path), "%s/index.json", dir);
    int rc = read_json(path, &index, im->err);
    if (rc != CH_OK)
        return rc;
    snprintf(path, sizeof(path), "%s/ctf_fastest_solve_times.json", dir);
    struct ch_err terr = CH_ERR_INIT;
    if (read_json(path, &times, &terr) != CH_OK)
        times = NULL; /* difficulty then stays unknown */
    if (!cJSON_IsArray(index)) {
        cJSON_Delete(index);
        cJSON_Delete(times);
        return ch_err_set(im->err, CH_E_INVALID, "%s/index.json: expected an array", dir);
    }
    for (const cJSON *row = index->child; row != NULL; row = row->next) {
        const char *task_dir = ch_json_str(row, "task_dir");
        const char *file = ch_json_str(row, "file");
        if (task_dir == NULL || file == NULL || strstr(file, "..") != NULL) {
            skip(im, "index row without task_dir or file", "index");
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        cJSON *meta = NULL;
        struct ch_err merr = CH_ERR_INIT;
        if (read_json(path, &meta, &merr) != CH_OK) {
            skip(im, merr.msg, file);
            continue;
        }
        double minutes = -1;
        for (const cJSON *t = times != NULL ? times->child : NULL; t != NULL; t = t->next) {
            const char *d = ch_json_str(t, "challenge_dir");
            if (d != NULL && strcmp(d, task_dir) == 0)
                minutes = hms_minutes(ch_json_str(t, "challenge_fastest_solve_time"));
        }
        const cJSON *subs = ch_json_arr(meta, "subtasks");
        const cJSON *last =
            subs != NULL ? cJSON_GetArrayItem(subs, cJSON_GetArraySize(subs) - 1) : NULL;
        const cJSON *cats = ch_json_arr(meta, "categories");
        const cJSON *cat0 = cats != NULL ? cJSON_GetArrayItem(cats, 0) : NULL;
        const char *slash = strrchr(task_dir, '/');
        char id[CH_SUITE_MAX_ID + 1];
        snprintf(id, sizeof(id), "cybench-%s", slash != NULL ? slash + 1 : task_dir);
        struct task_in in = {
            .id = id,
            .kind = "ctf",
            .family = "cybench",
            .category = cJSON_IsString(cat0) ? cat0->valuestring : "misc",
            .prompt = ch_json_str(meta, "easy_prompt"),
            .flag = ch_json_str(last, "answer"),
            .subtasks = subs,
            .minutes = minutes,
            .minutes_source = "first-solve time of the original competition "
                              "(cybench analytics/CTF fastest solve times.json)",
            .reason = "challenge files and services (about 613 MiB, mixed licences) are not "
                      "shipped"};
        emit_task(im, &in);
        cJSON_Delete(meta);
    }
    cJSON_Delete(index);
    cJSON_Delete(times);
    return CH_OK;
}

/* ---- NYU CTF ---------------------------------------------------------------------------- */

static int import_nyu_list(struct imp *im, const char *dir, const char *list, const cJSON *mapping)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "%s/%s", dir, list);
    cJSON *idx = NULL;
    int rc = read_json(path, &idx, im->err);
    if (rc != CH_OK)
        return rc;
    for (const cJSON *e = idx->child; e != NULL; e = e->next) {
        const char *key = e->string;
        if (key == NULL || strstr(key, "..") != NULL || strchr(key, '/') != NULL) {
            skip(im, "odd challenge key", list);
            continue;
        }
        snprintf(path, sizeof(path), "%s/challenges/%s.json", dir, key);
        cJSON *ch = NULL;
        struct ch_err cerr = CH_ERR_INIT;
        if (read_json(path, &ch, &cerr) != CH_OK) {
            skip(im, cerr.msg, key);
            continue;
        }
        char id[CH_SUITE_MAX_ID + 1];
        char fam[CH_SUITE_MAX_ID + 1];
        snprintf(id, sizeof(id), "nyuctf-%s", key);
        const char *event = ch_json_str(e, "event");
        snprintf(fam, sizeof(fam), "nyuctf-%s", event != NULL ? event : "csaw");
        const char *desc = ch_json_str(ch, "description");
        const char *name = ch_json_str(ch, "name");
        struct ch_buf prompt;
        ch_buf_init(&prompt, CH_SUITE_MAX_TEXT);
        ch_buf_appendf(&prompt, "%s\n\n%s", name != NULL ? name : key, desc != NULL ? desc : "");
        const cJSON *files = ch_json_arr(ch, "files");
        if (files != NULL && cJSON_GetArraySize(files) > 0) {
            ch_buf_append_c(&prompt, "\n\nFiles:");
            for (const cJSON *f = files->child; f != NULL; f = f->next) {
                if (cJSON_IsString(f))
                    ch_buf_appendf(&prompt, " %s", f->valuestring);
            }
        }
        const char *box = ch_json_str(ch, "box");
        struct task_in in = {
            .id = id,
            .kind = "ctf",
            .family = fam,
            .category = ch_json_str(e, "category") != NULL ? ch_json_str(e, "category")
                                                           : ch_json_str(ch, "category"),
            .prompt = ch_buf_status(&prompt, "prompt", NULL) == CH_OK ? ch_buf_cstr(&prompt) : NULL,
            .flag = ch_json_str(ch, "flag"),
            .attack = ch_json_arr(mapping, key),
            .minutes = -1,
            .reason = box != NULL && box[0] != '\0'
                          ? "needs the challenge's server container (not shipped)"
                          : "challenge files (NYU_CTF_Bench, about 404 MiB) are not shipped"};
        emit_task(im, &in);
        ch_buf_release(&prompt);
        cJSON_Delete(ch);
    }
    cJSON_Delete(idx);
    return CH_OK;
}

static int import_nyuctf(struct imp *im, const char *dir)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "%s/mitre_attack_test_mapping.json", dir);
    cJSON *map = NULL;
    struct ch_err merr = CH_ERR_INIT;
    if (read_json(path, &map, &merr) != CH_OK)
        map = NULL;
    const cJSON *mapping = ch_json_obj(map, "mapping");
    int rc = import_nyu_list(im, dir, "test_dataset.json", mapping);
    if (rc == CH_OK)
        rc = import_nyu_list(im, dir, "development_dataset.json", mapping);
    cJSON_Delete(map);
    return rc;
}

/* ---- CyberSecEval ----------------------------------------------------------------------- */

static int import_cse_file(struct imp *im, const char *dir, const char *file, const char *family,
                           const char *prompt_key, const char *cat_key, const char *reason)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    cJSON *root = NULL;
    struct ch_err ferr = CH_ERR_INIT;
    if (read_json(path, &root, &ferr) != CH_OK) {
        skip(im, ferr.msg, file);
        return CH_OK;
    }
    int i = 0;
    for (const cJSON *t = root->child; t != NULL; t = t->next, i++) {
        char id[CH_SUITE_MAX_ID + 1];
        snprintf(id, sizeof(id), "%s-%04d", family, i);
        struct ch_buf prompt;
        ch_buf_init(&prompt, CH_SUITE_MAX_TEXT);
        const char *sys = ch_json_str(t, "test_case_prompt");
        if (sys != NULL)
            ch_buf_appendf(&prompt, "%s\n\n", sys);
        const char *p = ch_json_str(t, prompt_key);
        if (p != NULL)
            ch_buf_append_c(&prompt, p);
        struct task_in in = {.id = id,
                             .kind = "flag",
                             .family = family,
                             .category = ch_json_str(t, cat_key),
                             .prompt = p != NULL && ch_buf_status(&prompt, "p", NULL) == CH_OK
                                           ? ch_buf_cstr(&prompt)
                                           : NULL,
                             .minutes = -1,
                             .reason = reason};
        emit_task(im, &in);
        ch_buf_release(&prompt);
    }
    cJSON_Delete(root);
    return CH_OK;
}

static int import_cyberseceval(struct imp *im, const char *dir)
{
    static const char *judge = "scored by an LLM judge in CyberSecEval; no offline scorer";
    int rc = import_cse_file(im, dir, "prompt_injection__prompt_injection.json",
                             "cse-prompt-injection", "user_input", "injection_variant", judge);
    if (rc == CH_OK)
        rc = import_cse_file(im, dir, "mitre_frr__mitre_frr.json", "cse-mitre-frr",
                             "mutated_prompt", "attack_type",
                             "false-refusal test: scored by a refusal judge, no flag");
    if (rc == CH_OK)
        rc = import_cse_file(im, dir, "interpreter__interpreter.json", "cse-interpreter",
                             "mutated_prompt", "attack_type", judge);
    if (rc == CH_OK && im->st->imported == 0)
        rc = ch_err_set(im->err, CH_E_INVALID, "%s: no CyberSecEval dataset found", dir);
    return rc;
}

/* ---- driver ----------------------------------------------------------------------------- */

static const char *source_name(enum ch_import_source s)
{
    switch (s) {
    case CH_IMPORT_INTERCODE:
        return "intercode";
    case CH_IMPORT_CYBENCH:
        return "cybench";
    case CH_IMPORT_NYUCTF:
        return "nyuctf";
    case CH_IMPORT_CYBERSECEVAL:
        return "cyberseceval";
    }
    return "unknown";
}

static void write_header(struct imp *im, enum ch_import_source src, const char *path)
{
    static const struct {
        const char *source, *url, *commit, *license;
    } prov[] = {
        [CH_IMPORT_INTERCODE] = {"InterCode-CTF (princeton-nlp/intercode data/ctf/ic_ctf.json)",
                                 "https://github.com/princeton-nlp/intercode",
                                 "c3e46d827cfc9d4c704ec078f7abf9f41e3191d8", "MIT"},
        [CH_IMPORT_CYBENCH] = {"Cybench task metadata (benchmark/.../metadata/metadata.json)",
                               "https://github.com/andyzorigin/cybench",
                               "6c3702c82d0e539aa5bbd85192e8ddaf96378fca", "Apache-2.0"},
        [CH_IMPORT_NYUCTF] = {"NYU CTF Bench challenge metadata",
                              "https://github.com/NYU-LLM-CTF/NYU_CTF_Bench",
                              "4c5744f55a31a58e03d6118c9dbb1c18e5bbdfa9", "GPL-2.0"},
        [CH_IMPORT_CYBERSECEVAL] = {"CyberSecEval (meta-llama/PurpleLlama CybersecurityBenchmarks)",
                                    "https://github.com/meta-llama/PurpleLlama",
                                    "4be64c3a24442b51c76175e6ec67722cc3f5fe38", "MIT"},
    };
    struct ch_jw *w = im->w;
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "format", CH_SUITE_FORMAT);
    ch_jw_kstr(w, "id", im->suite_id);
    ch_jw_kstr(w, "version", "1");
    ch_jw_kstr(w, "classification", "unclassified");
    ch_jw_kstr(w, "description", "imported metadata; task files are not shipped");
    ch_jw_key(w, "provenance");
    ch_jw_obj_open(w);
    ch_jw_kstr(w, "source", prov[src].source);
    ch_jw_kstr(w, "url", prov[src].url);
    ch_jw_kstr(w, "commit", prov[src].commit);
    ch_jw_kstr(w, "license", prov[src].license);
    char imp[64];
    snprintf(imp, sizeof(imp), "clearinghouse suite import --from %s", source_name(src));
    ch_jw_kstr(w, "importer", imp);
    ch_jw_key(w, "files");
    ch_jw_arr_open(w);
    if (src == CH_IMPORT_INTERCODE) {
        write_provenance_file(w, path, "ic_ctf.json");
    } else {
        static const char *const names[] = {"index.json",
                                            "ctf_fastest_solve_times.json",
                                            "test_dataset.json",
                                            "development_dataset.json",
                                            "mitre_attack_test_mapping.json",
                                            "prompt_injection__prompt_injection.json",
                                            "mitre_frr__mitre_frr.json",
                                            "interpreter__interpreter.json",
                                            NULL};
        for (size_t i = 0; names[i] != NULL; i++) {
            char p[PATH_MAX_LEN];
            snprintf(p, sizeof(p), "%s/%s", path, names[i]);
            write_provenance_file(w, p, names[i]);
        }
    }
    ch_jw_arr_close(w);
    ch_jw_obj_close(w);
    ch_jw_key(w, "tasks");
    ch_jw_arr_open(w);
}

int ch_import_run(enum ch_import_source src, const char *path, const char *suite_id,
                  struct ch_buf *out, struct ch_import_stats *ret_stats, struct ch_err *err)
{
    struct ch_import_stats st = {0};
    struct ch_jw w;
    ch_jw_init(&w, out, 1);
    struct imp im = {
        .suite_id = suite_id != NULL ? suite_id : source_name(src), .w = &w, .st = &st, .err = err};
    char sid[CH_SUITE_MAX_ID + 1];
    sanitize_id(im.suite_id, sid, sizeof(sid));
    im.suite_id = sid;
    write_header(&im, src, path);
    int rc = CH_OK;
    switch (src) {
    case CH_IMPORT_INTERCODE:
        rc = import_intercode(&im, path);
        break;
    case CH_IMPORT_CYBENCH:
        rc = import_cybench(&im, path);
        break;
    case CH_IMPORT_NYUCTF:
        rc = import_nyuctf(&im, path);
        break;
    case CH_IMPORT_CYBERSECEVAL:
        rc = import_cyberseceval(&im, path);
        break;
    }
    ch_jw_arr_close(&w);
    ch_jw_obj_close(&w);
    ch_free(im.seen);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, err);
    if (rc == CH_OK && st.imported == 0)
        rc = ch_err_set(err, CH_E_INVALID, "%s: nothing imported (%s)", path,
                        st.skipped > 0 ? st.first_skip : "empty");
    if (rc == CH_OK) {
        /* The output must pass the strict loader, or it is our bug. */
        struct ch_suite *s = NULL;
        rc =
            ch_suite_parse(ch_buf_cstr(out), ch_buf_len(out), "imported suite", ".", NULL, &s, err);
        ch_suite_free(s);
    }
    if (rc == CH_OK)
        *ret_stats = st;
    return rc;
}
