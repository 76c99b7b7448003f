/*
 * jxplug_qr.c — QR codes as SVG (see jxplug_qr.h).
 */
#include "jxplug_qr.h"

#include <stdio.h>
#include <string.h>

#include <qrencode.h>

char *
jxp_qr_path(const struct jx_host *jx_host, jx_req *req, const char *text,
            int *size)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	size_t cap, n = 0;
	char *d;
	int w;

	if (qr == NULL)
		return NULL;
	w = qr->width;
	/* at most one run per two modules, each "M123 45h67v1h-67z" */
	cap = (size_t)w * (size_t)(w / 2 + 1) * 24 + 1;
	d = jx_host->alloc(req, cap);
	d[0] = '\0';
	for (int y = 0; y < w; y++) {
		for (int x = 0; x < w;) {
			int run = 0;

			while (x + run < w && (qr->data[y * w + x + run] & 1))
				run++;
			if (run == 0) {
				x++;
				continue;
			}
			n += (size_t)snprintf(
			    d + n, cap - n, "M%d %dh%dv1h-%dz",
			    x + JXP_QR_QUIET, y + JXP_QR_QUIET, run, run);
			x += run;
		}
	}
	*size = w + 2 * JXP_QR_QUIET;
	QRcode_free(qr);
	return d;
}

/* label with &, <, > and " escaped (arena). */
static char *
jxp_qr_escape(const struct jx_host *jx_host, jx_req *req, const char *s)
{
	size_t n = 0;
	char *out, *p;

	for (const char *q = s; *q; q++)
		n += *q == '&'                  ? 5
		     : (*q == '<' || *q == '>') ? 4
		     : *q == '"'                ? 6
		                                : 1;
	p = out = jx_host->alloc(req, n + 1);
	for (const char *q = s; *q; q++) {
		const char *r = *q == '&'   ? "&amp;"
		                : *q == '<' ? "&lt;"
		                : *q == '>' ? "&gt;"
		                : *q == '"' ? "&quot;"
		                            : NULL;

		if (r != NULL) {
			memcpy(p, r, strlen(r));
			p += strlen(r);
		} else {
			*p++ = *q;
		}
	}
	*p = '\0';
	return out;
}

char *
jxp_qr_svg(const struct jx_host *jx_host, jx_req *req, const char *text,
           const char *label)
{
	int size = 0;
	char *d = jxp_qr_path(jx_host, req, text, &size);

	if (d == NULL)
		return NULL;
	return jx_host->sprintf(
	    req,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\" "
	    "role=\"img\"><title>%s</title><rect width=\"%d\" height=\"%d\" "
	    "fill=\"#fff\"/><path d=\"%s\" fill=\"#000\"/></svg>\n",
	    size, size, size * 6, size * 6,
	    jxp_qr_escape(jx_host, req, label ? label : ""), size, size, d);
}
