/* SPDX-License-Identifier: Apache-2.0
 *
 * testutil.c: see testutil.h.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"

char *ch_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof(tmpl), "%s/chtest.XXXXXX", base != NULL ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return ch_strdup(d);
}

/* The marker naming the PostgreSQL database that belongs to a temp dir. */
#define PG_MARKER "pg-database"

static void pg_drop_database_of(const char *dir);

void ch_test_rmtree(const char *path)
{
    pg_drop_database_of(path);
    DIR *dir = opendir(path);
    if (dir != NULL) {
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[1024];
            snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                ch_test_rmtree(p);
            else
                unlink(p);
        }
        closedir(dir);
    }
    rmdir(path);
}

static char *join_env(const char *var, const char *dflt, const char *rel)
{
    const char *base = getenv(var);
    if (base == NULL)
        base = dflt;
    size_t n = strlen(base) + strlen(rel) + 2;
    char *p = ch_malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", base, rel);
    return p;
}

char *ch_test_fixture(const char *rel)
{
    return join_env("CH_FIXTURES", "tests/fixtures", rel);
}

char *ch_test_shared(const char *rel)
{
    char *p = join_env("CH_SHARED_DATA", "../shared/data", rel);
    if (access(p, R_OK) != 0) {
        fprintf(stderr, "skipped: shared data '%s' is absent\n", rel);
        ch_free(p);
        return NULL;
    }
    return p;
}

void ch_test_read_file(const char *path, struct ch_buf *out)
{
    ch_buf_reset(out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail_msg("cannot open '%s': %s", path, strerror(errno));
    char tmp[65536];
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof(tmp));
        assert_true(n >= 0);
        if (n == 0)
            break;
        assert_int_equal(ch_buf_append(out, tmp, (size_t)n), CH_OK);
    }
    close(fd);
}

void ch_test_write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fail_msg("cannot create '%s': %s", path, strerror(errno));
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

const char *ch_test_pg_dsn(void)
{
    static char dsn[1024];
    static int loaded;
    if (loaded)
        return dsn[0] != '\0' ? dsn : NULL;
    const char *file = getenv("CH_TEST_PG_DSN_FILE");
    const char *env = getenv("CH_TEST_PG_DSN");
    if (file != NULL && file[0] != '\0') {
        FILE *f = fopen(file, "re");
        if (f == NULL)
            fail_msg("cannot read the PostgreSQL DSN file '%s' (did the pg_server_start test "
                     "run?): %s",
                     file, strerror(errno));
        if (fgets(dsn, sizeof(dsn), f) == NULL)
            dsn[0] = '\0';
        fclose(f);
        dsn[strcspn(dsn, "\r\n")] = '\0';
        if (dsn[0] == '\0')
            fail_msg("the PostgreSQL DSN file '%s' is empty", file);
    } else if (env != NULL && env[0] != '\0') {
        snprintf(dsn, sizeof(dsn), "%s", env);
    }
    loaded = 1;
    return dsn[0] != '\0' ? dsn : NULL;
}

/* dsn with its database (the URI path) replaced by db; owned. */
static char *pg_url_with_db(const char *dsn, const char *db)
{
    const char *scheme = strstr(dsn, "://");
    if (scheme == NULL)
        fail_msg("CH_TEST_PG_DSN must be a postgresql:// URI");
    const char *auth = scheme + 3;
    size_t path = strcspn(auth, "/?");
    const char *rest = auth + path;
    if (*rest == '/')
        rest += strcspn(rest, "?");
    struct ch_buf b;
    ch_buf_init(&b, CH_BUF_DEFAULT_MAX);
    (void)ch_buf_append(&b, dsn, (size_t)(auth - dsn) + path);
    (void)ch_buf_appendf(&b, "/%s%s", db, rest);
    char *url = ch_buf_take(&b, NULL);
    ch_buf_release(&b);
    assert_non_null(url);
    return url;
}

/* Runs one statement on the server's maintenance database. */
static int pg_admin(const char *sql, struct ch_err *err)
{
    const struct ch_store_options opts = {.no_migrate = true};
    struct ch_store *admin = NULL;
    int rc = ch_store_open(ch_test_pg_dsn(), &opts, &admin, err);
    if (rc == CH_OK)
        rc = ch_store_exec(admin, sql, err);
    ch_store_free(admin);
    return rc;
}

static void pg_drop_database_of(const char *dir)
{
    char marker[1024];
    snprintf(marker, sizeof(marker), "%s/" PG_MARKER, dir);
    FILE *f = fopen(marker, "re");
    if (f == NULL)
        return;
    char name[128] = {0};
    if (fgets(name, sizeof(name), f) == NULL)
        name[0] = '\0';
    fclose(f);
    name[strcspn(name, "\r\n")] = '\0';
    if (name[0] == '\0' || ch_test_pg_dsn() == NULL)
        return;
    char sql[256];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    struct ch_err err = CH_ERR_INIT;
    if (pg_admin(sql, &err) != CH_OK)
        fprintf(stderr, "warning: cannot drop test database %s: %s\n", name, err.msg);
}

char *ch_test_store_url(char **ret_dir)
{
    char *dir = ch_test_tmpdir();
    const char *dsn = ch_test_pg_dsn();
    char *url;
    if (dsn == NULL) {
        size_t n = strlen(dir) + 16;
        url = ch_malloc(n);
        assert_non_null(url);
        snprintf(url, n, "sqlite:%s/test.db", dir);
        *ret_dir = dir;
        return url;
    }
    /* a name of [a-z0-9_] only, so it needs no quoting; random so parallel tests never clash */
    static unsigned counter;
    unsigned char rnd[4] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        CH_IGNORE(read(fd, rnd, sizeof(rnd)) < 0); /* the pid and counter still make it unique */
        close(fd);
    }
    char name[64];
    snprintf(name, sizeof(name), "ch_test_%ld_%u_%02x%02x%02x%02x", (long)getpid(), ++counter,
             rnd[0], rnd[1], rnd[2], rnd[3]);
    char sql[128];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    struct ch_err err = CH_ERR_INIT;
    if (pg_admin(sql, &err) != CH_OK)
        fail_msg("cannot create test database: %s", err.msg);
    char marker[1024];
    snprintf(marker, sizeof(marker), "%s/" PG_MARKER, dir);
    ch_test_write_file(marker, name, strlen(name));
    url = pg_url_with_db(dsn, name);
    *ret_dir = dir;
    return url;
}

struct ch_store *ch_test_store(char **ret_dir)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_store *s = NULL;
    char *dir = NULL;
    char *url = ch_test_store_url(&dir);
    if (ch_store_open(url, NULL, &s, &err) != CH_OK)
        fail_msg("cannot open test store: %s", err.msg);
    ch_free(url);
    *ret_dir = dir;
    return s;
}

static void drain(int fd, struct ch_buf *b, int *open_flag)
{
    char tmp[16384];
    ssize_t n = read(fd, tmp, sizeof(tmp));
    if (n <= 0) {
        *open_flag = 0;
        return;
    }
    if (b != NULL)
        (void)ch_buf_append(b, tmp, (size_t)n);
}

int ch_test_run_cli(const char *const *argv, const char *input, struct ch_buf *out,
                    struct ch_buf *errout)
{
    const char *bin = getenv("CH_BINARY");
    assert_non_null(bin);
    int in_p[2], out_p[2], err_p[2];
    assert_int_equal(pipe2(in_p, O_CLOEXEC), 0);
    assert_int_equal(pipe2(out_p, O_CLOEXEC), 0);
    assert_int_equal(pipe2(err_p, O_CLOEXEC), 0);
    size_t argc = 0;
    while (argv[argc] != NULL)
        argc++;
    const char **full = ch_calloc(argc + 2, sizeof(char *));
    full[0] = bin;
    for (size_t i = 0; i < argc; i++)
        full[i + 1] = argv[i];
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in_p[0], 0);
        dup2(out_p[1], 1);
        dup2(err_p[1], 2);
        execv(bin, (char *const *)full);
        _exit(127);
    }
    ch_free(full);
    close(in_p[0]);
    close(out_p[1]);
    close(err_p[1]);
    if (out != NULL)
        ch_buf_reset(out);
    if (errout != NULL)
        ch_buf_reset(errout);
    signal(SIGPIPE, SIG_IGN);
    if (input != NULL) {
        size_t len = strlen(input), off = 0;
        /* small inputs only: larger ones would need interleaving with reads */
        while (off < len) {
            ssize_t n = write(in_p[1], input + off, len - off);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
    }
    close(in_p[1]);
    int out_open = 1, err_open = 1;
    while (out_open || err_open) {
        struct pollfd fds[2] = {{out_p[0], POLLIN, 0}, {err_p[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0)
            break;
        if (out_open && (fds[0].revents & (POLLIN | POLLHUP)))
            drain(out_p[0], out, &out_open);
        if (err_open && (fds[1].revents & (POLLIN | POLLHUP)))
            drain(err_p[0], errout, &err_open);
    }
    close(out_p[0]);
    close(err_p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int ch_test_contains(const char *haystack, const char *needle)
{
    return haystack != NULL && strstr(haystack, needle) != NULL;
}
