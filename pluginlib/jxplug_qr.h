/*
 * jxplug_qr.h — QR codes as SVG (libqrencode), for plugins that print or
 * show one: roster's account slips (a link to the binding page),
 * practice's check-in code (a signed link). Drawn here, on the server:
 * no script or library is fetched by the page.
 */
#ifndef JXPLUG_QR_H
#define JXPLUG_QR_H

#include "jxplug.h"

/* The quiet zone around a code, in modules (ISO/IEC 18004). */
#define JXP_QR_QUIET 4

/*
 * The QR code of text (error correction M) as the d attribute of one
 * SVG path: one rectangle per horizontal run of dark modules, offset by
 * the quiet zone; *size gets the whole symbol's width in modules (quiet
 * zone included). Arena memory of req, or NULL (text too long).
 */
char *jxp_qr_path(const struct jx_host *jx_host, jx_req *req, const char *text,
                  int *size);

/*
 * A whole SVG document (image/svg+xml) of the code of text, white
 * behind it, crisp at any size; label (plain text, escaped here) is its
 * accessible name (<title>). Arena memory, or NULL.
 */
char *jxp_qr_svg(const struct jx_host *jx_host, jx_req *req, const char *text,
                 const char *label);

#endif
