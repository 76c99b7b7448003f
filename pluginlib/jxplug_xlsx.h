/*
 * jxplug_xlsx.h — writing a workbook as a reply. libxlsxwriter 1.1.4
 * (Debian's) writes only to files, so each workbook goes to a private
 * temporary file under <data_dir>/tmp, is read back and removed before
 * the reply.
 */
#ifndef JXPLUG_XLSX_H
#define JXPLUG_XLSX_H

#include <xlsxwriter.h>

#include "jxplug.h"

#define JXP_XLSX_TYPE                                                          \
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* A new workbook on a fresh temporary file (path receives its name);
 * NULL on failure (logged). constant_memory for long sheets. */
lxw_workbook *jxp_workbook(const struct jx_host *jx_host, jx_req *req,
                           char *path, size_t pathlen, int constant_memory);
/* Closes the workbook, replies with it as an attachment named file_zh
 * (RFC 5987) with an ASCII fallback, and removes the file either way. */
int jxp_workbook_send(const struct jx_host *jx_host, jx_req *req,
                      lxw_workbook *wb, const char *path, const char *file_zh,
                      const char *file_ascii);

#endif
