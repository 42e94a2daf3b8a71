/*
 * ppg_admin_page.c - the status page of the admin listener: one HTML
 * document, its script, its style sheet and its icon (ppg/status/), built
 * into the binary by scripts/embed.sh (Makefile.am) so that the daemon
 * needs no file at run time and the page no external asset.
 *
 * The page is static; it reads everything it shows from the JSON API of
 * the same origin (status, pushes with their addresses, one push with its
 * history, bindings, throughput), every ~2 s. It is served behind the
 * API's authentication (ppg_admin.c routes it after the check): the
 * browser asks for the [admin NAME] account once and sends it with the
 * page's fetch calls. The Content-Security-Policy allows scripts, styles,
 * images and connections from this origin only and no inline script, so
 * that a push-id that slipped into the document as markup could still not
 * run. [admin worker]
 */
#include "ppg/ppg_admin_int.h"

/* scripts/embed.sh output (ppg/ppg_admin_page_data.c, generated) */
extern const unsigned char ppg_admin_page_html[], ppg_admin_page_js[], ppg_admin_page_css[], ppg_admin_page_icon[];
extern const size_t ppg_admin_page_html_len, ppg_admin_page_js_len, ppg_admin_page_css_len, ppg_admin_page_icon_len;

#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const struct page_file {
	const char *path;
	const char *ctype;
	const unsigned char *data;
	const size_t *len;
} files[] = {
	{ "/", "text/html; charset=utf-8", ppg_admin_page_html, &ppg_admin_page_html_len },
	{ "/status", "text/html; charset=utf-8", ppg_admin_page_html, &ppg_admin_page_html_len },
	{ "/status.js", "text/javascript; charset=utf-8", ppg_admin_page_js, &ppg_admin_page_js_len },
	{ "/status.css", "text/css; charset=utf-8", ppg_admin_page_css, &ppg_admin_page_css_len },
	{ "/favicon.svg", "image/svg+xml", ppg_admin_page_icon, &ppg_admin_page_icon_len },
};

static const struct page_file *find(const char *url)
{
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (!strcmp(url, files[i].path))
			return &files[i];
	return NULL;
}

int ppg_admin_page_path(const char *url)
{
	return find(url) != NULL;
}

enum MHD_Result ppg_admin_page_serve(struct ppg_admin *a, struct MHD_Connection *mc, const char *url)
{
	(void)a;
	const struct page_file *f = find(url);
	if (!f)
		return ppg_admin_reply_error(mc, MHD_HTTP_NOT_FOUND, "no such path: %s", url);
	/* static data: libmicrohttpd sends it from where it lies */
	struct MHD_Response *r = MHD_create_response_from_buffer(*f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f->ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "ppgd/" PACKAGE_VERSION);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	enum MHD_Result ret = MHD_queue_response(mc, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}
