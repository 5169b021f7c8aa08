/* SPDX-License-Identifier: Apache-2.0
 *
 * Integration test of sealed suites and transcripts: the example suite is
 * sealed into the database (`suite seal --classification secret`), run from
 * the sealed copy against the oracle endpoint as a cleared evaluator, and
 * must report exactly what a run from the directory reports. Then no table
 * row of the database (every column of every table; on SQLite also the
 * database file and its WAL), no file under the transcript and work
 * directories holds the plaintext of any task prompt, solution script,
 * shipped file or flag (the flags learned by running each solution in the
 * sandbox, as the oracle does). A transcript opens for a cleared evaluator
 * and is "not found" for a developer and for an evaluator below the
 * marking; every open, allowed or refused, is in the verified audit chain.
 * The same scan over the directory run's transcripts must find plaintext,
 * so the scan itself is shown to work.
 */
#include "eval_helpers.h"

#include <dirent.h>
#include <sys/stat.h>

#include "core/keys.h"
#include "eval/agent.h"
#include "eval/suite.h"
#include "store/store.h"

/* Secrets shorter than this could occur by chance (a choice letter, "B"). */
#define MIN_SECRET 10u
#define MAX_SECRETS 512u

static char *tmp;    /* work area */
static char *db_dir; /* the sealed database's directory (SQLite) */
static char *db_url; /* the sealed database: SQLite, or PostgreSQL for the _pg twin */
static char keys[4200];

struct secrets {
    char *s[MAX_SECRETS];
    size_t len[MAX_SECRETS];
    size_t n;
};

static struct secrets secrets;

static void add_secret(const void *p, size_t len)
{
    if (p == NULL || len < MIN_SECRET || secrets.n == MAX_SECRETS)
        return;
    secrets.s[secrets.n] = ch_strndup(p, len);
    secrets.len[secrets.n] = len;
    secrets.n++;
}

static const char *find_secret(const void *p, size_t n)
{
    for (size_t i = 0; i < secrets.n; i++) {
        if (memmem(p, n, secrets.s[i], secrets.len[i]) != NULL)
            return secrets.s[i];
    }
    return NULL;
}

/* The flag a free-answer or shell task's solution prints last, run in the sandbox. */
static void learn_flag(const struct ch_task *t)
{
    struct ch_agent_env env = {.work_root = tmp};
    char *dir = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (ch_agent_prepare(t, &env, &dir, &err) != CH_OK)
        fail_msg("%s: %s", t->id, err.msg);
    struct ch_sandbox_result r;
    if (ch_agent_shell(t, &env, dir, t->solution.commands, 0, &r, &err) != CH_OK)
        fail_msg("%s: %s", t->id, err.msg);
    struct ch_str flag = ch_agent_last_line(ch_buf_str(&r.out));
    assert_true(flag.len > 0);
    add_secret(flag.ptr, flag.len);
    ch_sandbox_result_release(&r);
    ch_eval_rmtree(dir);
    ch_free(dir);
}

static void add_files(const struct ch_task_file *files, size_t n)
{
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    for (size_t i = 0; i < n; i++) {
        ch_test_read_file(files[i].host_path, &b);
        add_secret(b.ptr, ch_buf_len(&b));
    }
    ch_buf_release(&b);
}

/* Prompts, guided questions, solutions, shipped files and flags of the example suite. */
static void collect_secrets(void)
{
    char path[4096];
    et_suite_path(path, sizeof(path));
    struct ch_suite *su = NULL;
    struct ch_suite_load_options lo = {.check_files = true};
    struct ch_err err = CH_ERR_INIT;
    if (ch_suite_load(path, &lo, &su, &err) != CH_OK)
        fail_msg("%s", err.msg);
    for (size_t i = 0; i < su->n_tasks; i++) {
        const struct ch_task *t = &su->tasks[i];
        add_secret(t->prompt, strlen(t->prompt));
        for (size_t j = 0; j < t->n_subtasks; j++)
            add_secret(t->subtasks[j].question, strlen(t->subtasks[j].question));
        if (t->solution.commands != NULL)
            add_secret(t->solution.commands, strlen(t->solution.commands));
        add_files(t->env.files, t->env.n_files);
        if (t->scorer.kind == CH_SCORER_POV)
            add_files(t->scorer.pov.files, t->scorer.pov.n_files);
        if ((t->kind == CH_TASK_FLAG || t->kind == CH_TASK_SHELL) && t->has_solution)
            learn_flag(t);
    }
    ch_suite_free(su);
    assert_true(secrets.n > 100);
}

static int setup(void **state)
{
    (void)state;
    tmp = ch_test_tmpdir();
    /* Sandboxes run as another uid: it must reach the work directories below. */
    assert_int_equal(chmod(tmp, 0711), 0);
    db_url = ch_test_store_url(&db_dir);
    snprintf(keys, sizeof(keys), "%s/keys", tmp);
    collect_secrets();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < secrets.n; i++)
        ch_free(secrets.s[i]);
    secrets.n = 0;
    ch_test_rmtree(db_dir);
    ch_free(db_dir);
    ch_free(db_url);
    ch_test_rmtree(tmp);
    ch_free(tmp);
    return 0;
}

/* `clearinghouse --db URL --keys DIR ARGS...`; asserts the exit code; owned stdout. */
static char *cli(int want, const char *const *args)
{
    const char *argv[48] = {"--db", db_url, "--keys", keys};
    size_t n = 4;
    for (size_t i = 0; args[i] != NULL && n < 47; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    struct ch_buf out, err;
    ch_buf_init(&out, CH_BUF_DEFAULT_MAX);
    ch_buf_init(&err, CH_BUF_DEFAULT_MAX);
    int code = ch_test_run_cli(argv, NULL, &out, &err);
    if (code != want)
        fail_msg("'%s %s' exited %d, not %d: %s%s", args[0], args[1], code, want, ch_buf_cstr(&out),
                 ch_buf_cstr(&err));
    ch_buf_release(&err);
    return ch_buf_take(&out, NULL);
}

static void cli_ok(const char *const *args)
{
    ch_free(cli(0, args));
}

/* Every value of every row of every table. */
static size_t scan_database(void)
{
    struct ch_store *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_open(db_url, NULL, &s, &err), CH_OK);
    bool pg = ch_store_backend(s) != CH_STORE_SQLITE;
    struct ch_stmt *tables = NULL;
    assert_int_equal(
        ch_store_prepare(s,
                         pg ? "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                            : "SELECT name FROM sqlite_master WHERE type = 'table'",
                         &tables, &err),
        CH_OK);
    size_t rows = 0;
    while (ch_stmt_step(tables, &err) == 1) {
        char sql[300];
        snprintf(sql, sizeof(sql), "SELECT * FROM %s", ch_stmt_cstr(tables, 0));
        struct ch_stmt *st = NULL;
        assert_int_equal(ch_store_prepare(s, sql, &st, &err), CH_OK);
        int rc;
        while ((rc = ch_stmt_step(st, &err)) == 1) {
            rows++;
            for (int c = 0; c < ch_stmt_column_count(st); c++) {
                struct ch_str v = ch_stmt_blob(st, c);
                const char *hit = v.len > 0 ? find_secret(v.ptr, v.len) : NULL;
                if (hit != NULL)
                    fail_msg("plaintext in table %s column %d: '%.60s'", ch_stmt_cstr(tables, 0), c,
                             hit);
            }
        }
        assert_int_equal(rc, 0);
        ch_stmt_free(st);
    }
    ch_stmt_free(tables);
    if (!pg)
        assert_int_equal(ch_store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", &err), CH_OK);
    ch_store_free(s);
    return rows;
}

/* Every regular file below dir (absent: nothing); returns how many held a secret. */
static size_t scan_tree(const char *dir, size_t *ret_files)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    size_t hits = 0;
    struct dirent *e;
    struct ch_buf b;
    ch_buf_init(&b, (size_t)1 << 30);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            hits += scan_tree(p, ret_files);
        } else if (S_ISREG(st.st_mode)) {
            (*ret_files)++;
            ch_test_read_file(p, &b);
            hits += find_secret(b.ptr, ch_buf_len(&b)) != NULL;
        }
    }
    closedir(d);
    ch_buf_release(&b);
    return hits;
}

/* The SQLite database file and its WAL (after the checkpoint in scan_database). */
static void scan_sqlite_files(void)
{
    if (strncmp(db_url, "sqlite:", 7) != 0)
        return;
    const char *const suffixes[] = {"", "-wal"};
    struct ch_buf b;
    ch_buf_init(&b, (size_t)1 << 30);
    for (size_t i = 0; i < 2; i++) {
        char p[4200];
        snprintf(p, sizeof(p), "%s%s", db_url + 7, suffixes[i]);
        if (access(p, F_OK) != 0)
            continue;
        ch_test_read_file(p, &b);
        const char *hit = find_secret(b.ptr, ch_buf_len(&b));
        if (hit != NULL)
            fail_msg("plaintext in the database file %s: '%.60s'", p, hit);
    }
    ch_buf_release(&b);
}

static int64_t audit_count(const char *action, const char *object, const char *actor)
{
    struct ch_store *s = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_open(db_url, NULL, &s, &err), CH_OK);
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_prepare(s,
                                      "SELECT COUNT(*) FROM audit_log WHERE action = ? AND"
                                      " object LIKE ? AND actor = ?",
                                      &st, &err),
                     CH_OK);
    ch_stmt_bind_cstr(st, 1, action);
    ch_stmt_bind_cstr(st, 2, object);
    ch_stmt_bind_cstr(st, 3, actor);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    int64_t n = ch_stmt_int(st, 0);
    ch_stmt_free(st);
    ch_store_free(s);
    return n;
}

static void assert_same_report(const cJSON *a, const cJSON *b)
{
    const cJSON *oa = cJSON_GetObjectItemCaseSensitive(a, "overall");
    const cJSON *ob = cJSON_GetObjectItemCaseSensitive(b, "overall");
    static const char *const keys_cmp[] = {"tasks", "samples", "successes", "success_rate",
                                           "tokens"};
    for (size_t i = 0; i < sizeof(keys_cmp) / sizeof(keys_cmp[0]); i++)
        assert_true(et_num(oa, keys_cmp[i]) == et_num(ob, keys_cmp[i]));
    const cJSON *ta = cJSON_GetObjectItemCaseSensitive(a, "tasks");
    const cJSON *tb = cJSON_GetObjectItemCaseSensitive(b, "tasks");
    assert_int_equal(cJSON_GetArraySize(ta), cJSON_GetArraySize(tb));
    for (const cJSON *x = ta->child, *y = tb->child; x != NULL; x = x->next, y = y->next) {
        assert_string_equal(ch_json_str(x, "task"), ch_json_str(y, "task"));
        assert_true(et_num(x, "success_rate") == et_num(y, "success_rate"));
    }
}

static void test_sealed_suite_runs_and_leaves_no_plaintext(void **state)
{
    (void)state;
    char suite[4096], work[4200], tdir[4200], plain_tdir[4200];
    et_suite_path(suite, sizeof(suite));
    snprintf(work, sizeof(work), "%s/work", tmp);
    snprintf(tdir, sizeof(tdir), "%s/transcripts", tmp);
    snprintf(plain_tdir, sizeof(plain_tdir), "%s/plain-transcripts", tmp);
    assert_int_equal(mkdir(work, 0711), 0);
    assert_int_equal(chmod(work, 0711), 0);
    struct et_ref r;
    et_ref_start(&r, "oracle", NULL);

    /* The directory run, for comparison. */
    char *plain_db = et_db(tmp, "plain.db");
    const char *pargs[] = {"--concurrency", "2", "--transcripts", plain_tdir, NULL};
    struct ch_buf out, err;
    ch_buf_init(&out, CH_BUF_DEFAULT_MAX);
    ch_buf_init(&err, CH_BUF_DEFAULT_MAX);
    if (et_run(plain_db, &r, pargs, &out, &err) != 0)
        fail_msg("directory run: %s%s", ch_buf_cstr(&out), ch_buf_cstr(&err));

    /* Seal as the local administrator, marked above the suite's own classification. */
    cli_ok((const char *const[]){"init", NULL});
    const char *seal[] = {"suite", "seal", suite, "--classification", "secret", NULL};
    char *o = cli(0, seal);
    assert_true(ch_test_contains(o, "\"already\": false"));
    ch_free(o);
    o = cli(0, seal);
    assert_true(ch_test_contains(o, "\"already\": true"));
    ch_free(o);
    /* Sealed already under another marking: a conflict, not a second copy. */
    ch_free(cli(3, (const char *const[]){"suite", "seal", suite, "--classification", "cui", NULL}));
    cli_ok((const char *const[]){"org", "create", "ch", "--name", "CH", "--category",
                                 "clearinghouse", NULL});
    cli_ok((const char *const[]){"org", "create", "acme", "--name", "Acme", "--category",
                                 "developer", NULL});
    cli_ok((const char *const[]){"user", "create", "eve", "--org", "ch", "--roles", "evaluator",
                                 "--clearance", "secret", NULL});
    cli_ok((const char *const[]){"user", "create", "low", "--org", "ch", "--roles", "evaluator",
                                 "--clearance", "cui", NULL});
    cli_ok((const char *const[]){"user", "create", "dev", "--org", "acme", "--roles", "developer",
                                 "--clearance", "top_secret", NULL});
    o = cli(0, (const char *const[]){"suite", "sealed", "--as", "low", NULL});
    assert_false(ch_test_contains(o, "example"));
    ch_free(o);

    /* The sealed run, as the cleared evaluator; an under-cleared one cannot start it. */
    const char *run_args[] = {"eval",
                              "run",
                              "--suite",
                              "sealed:example",
                              "--model",
                              "refmodel",
                              "--endpoint",
                              r.endpoint,
                              "--concurrency",
                              "2",
                              "--work-dir",
                              work,
                              "--transcripts",
                              tdir,
                              "--as",
                              "eve",
                              NULL};
    o = cli(0, run_args);
    assert_true(ch_test_contains(o, "\"complete\": true"));
    ch_free(o);
    const char *low_run[] = {"eval",    "run",      "--suite",    "sealed:example",
                             "--model", "refmodel", "--endpoint", r.endpoint,
                             "--as",    "low",      NULL};
    ch_free(cli(3, low_run));
    et_ref_stop(&r);
    cJSON *rp = et_report(plain_db, 1);
    /* et_report reads a SQLite URL; the sealed run's report goes through the same CLI. */
    char *rs = cli(0, (const char *const[]){"eval", "report", "1", "--json", NULL});
    cJSON *rsj = NULL;
    struct ch_err jerr = CH_ERR_INIT;
    assert_int_equal(ch_json_parse(rs, strlen(rs), NULL, "report", &rsj, &jerr), CH_OK);
    assert_same_report(rp, rsj);
    assert_int_equal((int)et_num(cJSON_GetObjectItemCaseSensitive(rsj, "overall"), "successes"),
                     48);
    cJSON_Delete(rp);
    cJSON_Delete(rsj);
    ch_free(rs);

    /* Transcripts: the cleared evaluator reads one; the developer and `low` are told none. */
    o = cli(0, (const char *const[]){"eval", "transcript", "1", "ctf-01", "--as", "eve", NULL});
    assert_non_null(find_secret(o, strlen(o))); /* the prompt, in memory only */
    ch_free(o);
    o = cli(3, (const char *const[]){"eval", "transcript", "1", "ctf-01", "--as", "dev", NULL});
    assert_int_equal(strlen(o), 0);
    ch_free(o);
    ch_free(
        cli(3, (const char *const[]){"eval", "transcript", "1", "ctf-01", "--as", "low", NULL}));
    ch_free(cli(
        3, (const char *const[]){"eval", "transcript", "1", "nonexistent", "--as", "eve", NULL}));
    assert_int_equal(audit_count("sealed.read", "transcript:run:1/ctf-01.e1", "user:eve"), 1);
    assert_int_equal(audit_count("sealed.read_refused", "transcript:run:1/ctf-01.e1", "user:dev"),
                     1);
    assert_int_equal(audit_count("sealed.read_refused", "transcript:run:1/ctf-01.e1", "user:low"),
                     1);
    /* The run opened every object of the suite, each audited; `low` was refused the document. */
    assert_true(audit_count("sealed.read", "suite:example/%", "user:eve") >= 69);
    assert_int_equal(audit_count("sealed.read_refused", "suite:example/suite.json", "user:low"), 1);
    assert_int_equal(audit_count("sealed.put", "transcript:run:1/%", "user:eve"), 48);
    cli_ok((const char *const[]){"audit", "verify", NULL});

    /* Nothing at rest holds the plaintext. */
    assert_true(scan_database() > 100);
    scan_sqlite_files();
    size_t files = 0;
    assert_int_equal(scan_tree(tdir, &files), 0);
    assert_int_equal(scan_tree(work, &files), 0);
    assert_int_equal(files, 0); /* the work directories and the private transcripts are gone */
    /* The same scan does find the directory run's plaintext transcripts. */
    size_t plain_files = 0;
    assert_true(scan_tree(plain_tdir, &plain_files) >= 48);
    ch_buf_release(&out);
    ch_buf_release(&err);
    ch_free(plain_db);
}

int main(void)
{
    ch_json_global_init();
    et_require_sandbox();
    struct ch_err err = CH_ERR_INIT;
    if (ch_crypto_init(&err) != CH_OK)
        fail_msg("%s", err.msg);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sealed_suite_runs_and_leaves_no_plaintext, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
