/* SPDX-License-Identifier: Apache-2.0
 *
 * list.c: the one list view every dashboard list uses (see internal.h):
 * filters from the query, pagination, CSV and JSON export, links.
 *
 * The rows come from an API answer, already scoped to the caller; filtering
 * here can only narrow them. An export holds every filtered row, not just
 * the page on screen, so that a figure and its export agree.
 */
#include <ctype.h>
#include <string.h>

#include "core/num.h"
#include "web/csv.h"
#include "web/html.h"
#include "web/internal.h"

/* Case-insensitive substring search (ASCII folding is enough for filters). */
static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *h = hay; *h != '\0'; h++) {
        size_t i = 0;
        while (i < n && h[i] != '\0' &&
               tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

/* Equal, or one of the comma-separated values of `text`. */
static bool value_matches(const char *text, const char *want)
{
    if (strcmp(text, want) == 0)
        return true;
    struct ch_str rest = ch_str_c(text), item;
    while (ch_str_split_next(&rest, ',', &item)) {
        if (ch_str_eq_c(ch_str_trim(item), want))
            return true;
    }
    return false;
}

static bool row_kept(struct page *p, const struct web_list *spec, const cJSON *row)
{
    for (size_t i = 0; i < spec->n_filters; i++) {
        const char *want = web__q(p, spec->filters[i].param);
        if (want != NULL && !value_matches(web__text(p, row, spec->filters[i].param), want))
            return false;
    }
    const char *q = web__q(p, "q");
    if (q == NULL)
        return true;
    for (size_t c = 0; c < spec->n_cols; c++) {
        if (contains_nocase(web__text(p, row, spec->cols[c].key), q))
            return true;
    }
    return false;
}

void web__expand_link(struct page *p, struct ch_buf *b, const char *pattern, const cJSON *row)
{
    const char *s = pattern;
    for (;;) {
        const char *open = strchr(s, '{');
        const char *close = open != NULL ? strchr(open, '}') : NULL;
        if (close == NULL) {
            ch_buf_append_c(b, s);
            return;
        }
        ch_buf_append(b, s, (size_t)(open - s));
        char *key = ch_arena_strndup(p->call->arena, open + 1, (size_t)(close - open - 1));
        if (key != NULL)
            ch_url_esc(b, web__text(p, row, key));
        s = close + 1;
    }
}

static int export_csv(struct page *p, const struct web_list *spec, const cJSON *const *rows,
                      size_t n)
{
    struct ch_http_call *call = p->call;
    struct ch_buf *b = &call->res.body;
    for (size_t c = 0; c < spec->n_cols; c++)
        ch_csv_cell(b, spec->cols[c].key, c == 0);
    ch_csv_end(b);
    for (size_t r = 0; r < n; r++) {
        for (size_t c = 0; c < spec->n_cols; c++)
            ch_csv_cell(b, web__text(p, rows[r], spec->cols[c].key), c == 0);
        ch_csv_end(b);
    }
    call->res.content_type = "text/csv; charset=utf-8";
    return ch_http_add_header(
        call, "content-disposition",
        ch_arena_printf(call->arena, "attachment; filename=\"%s.csv\"", spec->id));
}

static int export_json(struct page *p, const struct web_list *spec, const cJSON *const *rows,
                       size_t n)
{
    struct ch_http_call *call = p->call;
    struct ch_jw w;
    ch_jw_init(&w, &call->res.body, 0);
    ch_jw_obj_open(&w);
    ch_jw_key(&w, "items");
    ch_jw_arr_open(&w);
    for (size_t r = 0; r < n; r++)
        ch_jw_cjson(&w, rows[r]);
    ch_jw_arr_close(&w);
    ch_jw_kint(&w, "count", (int64_t)n);
    ch_jw_obj_close(&w);
    call->res.content_type = "application/json";
    int rc = ch_jw_finish(&w, &call->err);
    if (rc != CH_OK)
        return rc;
    return ch_http_add_header(
        call, "content-disposition",
        ch_arena_printf(call->arena, "attachment; filename=\"%s.json\"", spec->id));
}

static int export(struct page *p, const struct web_list *spec, const char *format,
                  const cJSON *const *rows, size_t n)
{
    struct ch_http_call *call = p->call;
    if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
        return web__fail(p, CH_E_INVALID, "format: expected csv or json");
    web__end(p);
    ch_buf_reset(&call->res.body);
    call->res.status = 200;
    web__security_headers(call);
    int rc =
        strcmp(format, "csv") == 0 ? export_csv(p, spec, rows, n) : export_json(p, spec, rows, n);
    if (rc == CH_OK)
        rc = ch_buf_status(&call->res.body, "export", &call->err);
    return rc;
}

/* The current query without `drop` (and without page/format), for building links. */
static void query_without(struct page *p, struct ch_buf *b, const char *drop)
{
    for (unsigned i = 0; i < p->query.n_fields; i++) {
        const struct ch_form_field *f = &p->query.fields[i];
        if (strcmp(f->name, drop) == 0 || strcmp(f->name, "page") == 0 ||
            strcmp(f->name, "format") == 0 || f->value[0] == '\0')
            continue;
        ch_url_esc(b, f->name);
        ch_buf_append_byte(b, '=');
        ch_url_esc(b, f->value);
        ch_buf_append_byte(b, '&');
    }
}

static unsigned query_uint(struct page *p, const char *name, unsigned dflt, unsigned max)
{
    const char *v = web__q(p, name);
    uint64_t n = 0;
    struct ch_err e = CH_ERR_INIT;
    if (v == NULL || ch_num_parse_u64(ch_str_c(v), max, &n, &e) != CH_OK || n == 0)
        return dflt;
    return (unsigned)n;
}

static void filter_form(struct page *p, const struct web_list *spec)
{
    struct ch_buf *b = &p->main;
    char *path = ch_arena_str(p->call->arena, p->call->req.path);
    ch_buf_append_c(b, "<form class=\"filters\" method=\"get\" action=\"");
    ch_html_esc(b, path);
    ch_buf_appendf(b, "\" aria-label=\"Filter %s\">", spec->id);
    for (size_t k = 0; spec->keep != NULL && spec->keep[k] != NULL; k++) {
        const char *v = web__q(p, spec->keep[k]);
        if (v == NULL)
            continue;
        ch_buf_appendf(b, "<input type=\"hidden\" name=\"%s\" value=\"", spec->keep[k]);
        ch_html_esc(b, v);
        ch_buf_append_c(b, "\">");
    }
    for (size_t i = 0; i < spec->n_filters; i++) {
        const struct web_filter *f = &spec->filters[i];
        ch_buf_appendf(b, "<label>%s <input name=\"%s\" value=\"", f->label, f->param);
        ch_html_esc(b, web__q(p, f->param));
        ch_buf_append_c(b, "\"></label>");
    }
    ch_buf_append_c(b, "<label>Search <input type=\"search\" name=\"q\" value=\"");
    ch_html_esc(b, web__q(p, "q"));
    ch_buf_appendf(b,
                   "\"></label><label>Rows per page <input type=\"number\" min=\"1\" max=\"%u\" "
                   "name=\"per\" value=\"%u\"></label><button type=\"submit\">Apply</button>"
                   "</form>",
                   CH_WEB_MAX_PER_PAGE, query_uint(p, "per", CH_WEB_PER_PAGE, CH_WEB_MAX_PER_PAGE));
}

static void table(struct page *p, const struct web_list *spec, const cJSON *const *rows,
                  size_t from, size_t to)
{
    struct ch_buf *b = &p->main;
    ch_buf_appendf(b, "<div class=\"scroll\"><table id=\"%s\"><caption>", spec->id);
    ch_html_esc(b, spec->title);
    ch_buf_append_c(b, "</caption><thead><tr>");
    for (size_t c = 0; c < spec->n_cols; c++) {
        ch_buf_append_c(b, "<th scope=\"col\">");
        ch_html_esc(b, spec->cols[c].label);
        ch_buf_append_c(b, "</th>");
    }
    ch_buf_append_c(b, "</tr></thead><tbody>");
    for (size_t r = from; r < to; r++) {
        ch_buf_append_c(b, "<tr>");
        for (size_t c = 0; c < spec->n_cols; c++) {
            const struct web_col *col = &spec->cols[c];
            const char *text = web__text(p, rows[r], col->key);
            ch_buf_appendf(b, "<td data-col=\"%s\">", col->key);
            if (col->link != NULL && text[0] != '\0') {
                ch_buf_append_c(b, "<a href=\"");
                struct ch_buf href;
                ch_buf_init(&href, 4096);
                web__expand_link(p, &href, col->link, rows[r]);
                ch_html_esc(b, ch_buf_cstr(&href));
                ch_buf_release(&href);
                ch_buf_append_c(b, "\">");
                ch_html_esc(b, text);
                ch_buf_append_c(b, "</a>");
            } else {
                ch_html_esc(b, text);
            }
            ch_buf_append_c(b, "</td>");
        }
        ch_buf_append_c(b, "</tr>");
    }
    if (from == to)
        ch_buf_appendf(b, "<tr><td colspan=\"%zu\">No rows match.</td></tr>", spec->n_cols);
    ch_buf_append_c(b, "</tbody></table></div>");
}

static void page_link(struct page *p, const char *path, unsigned page, const char *label,
                      const char *rel)
{
    struct ch_buf href;
    ch_buf_init(&href, 8192);
    ch_buf_append_c(&href, path);
    ch_buf_append_byte(&href, '?');
    query_without(p, &href, "page");
    ch_buf_appendf(&href, "page=%u", page);
    ch_buf_appendf(&p->main, "<a rel=\"%s\" href=\"", rel);
    ch_html_esc(&p->main, ch_buf_cstr(&href));
    ch_buf_appendf(&p->main, "\">%s</a>", label);
    ch_buf_release(&href);
}

int web__list(struct page *p, const struct web_list *spec, const cJSON *items)
{
    size_t total = (size_t)cJSON_GetArraySize(items);
    const cJSON **rows = ch_arena_calloc(p->call->arena, total + 1, sizeof(*rows));
    if (rows == NULL)
        return web__fail(p, CH_E_NOMEM, "out of memory");
    size_t n = 0;
    for (const cJSON *r = items->child; r != NULL; r = r->next) {
        if (row_kept(p, spec, r))
            rows[n++] = r;
    }
    const char *format = web__q(p, "format");
    if (format != NULL)
        return export(p, spec, format, rows, n);
    unsigned per = query_uint(p, "per", CH_WEB_PER_PAGE, CH_WEB_MAX_PER_PAGE);
    size_t pages = n == 0 ? 1 : (n + per - 1) / per;
    unsigned page = query_uint(p, "page", 1, 1000000);
    if (page > pages)
        page = (unsigned)pages;
    size_t from = (size_t)(page - 1) * per;
    size_t to = from + per < n ? from + per : n;
    char *path = ch_arena_str(p->call->arena, p->call->req.path);
    filter_form(p, spec);
    struct ch_buf *b = &p->main;
    ch_buf_appendf(b,
                   "<p class=\"count\" role=\"status\"><strong data-count=\"%s\">%zu</strong> "
                   "%s · export ",
                   spec->id, n, n == 1 ? "row" : "rows");
    for (int i = 0; i < 2; i++) {
        const char *fmt = i == 0 ? "csv" : "json";
        struct ch_buf href;
        ch_buf_init(&href, 8192);
        ch_buf_append_c(&href, path);
        ch_buf_append_byte(&href, '?');
        query_without(p, &href, "per");
        ch_buf_appendf(&href, "format=%s", fmt);
        ch_buf_append_c(b, i == 0 ? "" : " · ");
        ch_buf_append_c(b, "<a download href=\"");
        ch_html_esc(b, ch_buf_cstr(&href));
        ch_buf_appendf(b, "\">%s</a>", i == 0 ? "CSV" : "JSON");
        ch_buf_release(&href);
    }
    ch_buf_append_c(b, "</p>");
    table(p, spec, rows, from, to);
    ch_buf_appendf(b, "<nav class=\"pages\" aria-label=\"Pages of %s\">", spec->id);
    if (page > 1)
        page_link(p, path, page - 1, "Previous page", "prev");
    ch_buf_appendf(b, " <span>page %u of %zu</span> ", page, pages);
    if (page < pages)
        page_link(p, path, page + 1, "Next page", "next");
    ch_buf_append_c(b, "</nav>");
    return CH_OK;
}

int web__list_page(struct ch_http_call *call, const char *title, const char *api_path,
                   const char *const *pass, const struct web_list *spec, const char *intro)
{
    struct page p;
    if (!web__begin(call, &p, title))
        return CH_OK;
    struct ch_buf q;
    ch_buf_init(&q, 2048);
    for (size_t i = 0; pass != NULL && pass[i] != NULL; i++) {
        const char *v = web__q(&p, pass[i]);
        if (v == NULL)
            continue;
        ch_buf_appendf(&q, "%s%s=", ch_buf_len(&q) ? "&" : "", pass[i]);
        ch_url_esc(&q, v);
    }
    cJSON *items = NULL;
    int rc = ch_buf_status(&q, "query", &call->err);
    if (rc == CH_OK)
        rc = web__api_items(&p, api_path, ch_buf_len(&q) ? ch_buf_cstr(&q) : NULL, &items);
    ch_buf_release(&q);
    if (rc != CH_OK)
        return web__fail(&p, rc, call->err.msg);
    if (intro != NULL)
        ch_buf_append_c(&p.main, intro);
    rc = web__list(&p, spec, items);
    cJSON_Delete(items);
    if (rc != CH_OK || call->res.content_type != NULL)
        return rc; /* an export, or an error page already made */
    return web__finish(&p);
}
