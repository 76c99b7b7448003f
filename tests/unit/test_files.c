/*
 * test_files.c — the file service's sniffing (filestore.c): types come
 * from the bytes only; Office documents with macros are refused, OOXML
 * by their VBA part or content type, legacy OLE files by a VBA storage
 * in their directory; the work area's files are private and new.
 */
#include "check.h"
#include "files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

static const char ct_docx[] =
    "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats."
    "org/package/2006/content-types\"><Override PartName=\"/word/"
    "document.xml\" ContentType=\"application/vnd.openxmlformats-"
    "officedocument.wordprocessingml.document.main+xml\"/></Types>";
static const char ct_docm[] =
    "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats."
    "org/package/2006/content-types\"><Override PartName=\"/word/"
    "document.xml\" ContentType=\"application/vnd.ms-word.document."
    "macroEnabled.main+xml\"/></Types>";

/* A zip in memory of (name, text) pairs; malloc'ed, *len its size. */
static void *
zip_of(const char *const *entries, size_t *len)
{
	zip_error_t ze;
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
	zip_t *z;
	void *out;

	zip_source_keep(src);
	z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	for (int i = 0; entries[i] != NULL; i += 2) {
		zip_source_t *e = zip_source_buffer(z, entries[i + 1],
		                                    strlen(entries[i + 1]), 0);
		zip_file_add(z, entries[i], e, ZIP_FL_ENC_UTF_8);
	}
	zip_close(z);
	zip_source_open(src);
	zip_source_seek(src, 0, SEEK_END);
	*len = (size_t)zip_source_tell(src);
	zip_source_seek(src, 0, SEEK_SET);
	out = malloc(*len);
	zip_source_read(src, out, *len);
	zip_source_close(src);
	zip_source_free(src);
	return out;
}

/* A minimal OLE compound file: the header, then directory entries named
 * as given at 128-byte boundaries from offset 512. */
static unsigned char *
ole_of(const char *const *names, size_t *len)
{
	static const unsigned char sig[8] = {0xd0, 0xcf, 0x11, 0xe0,
	                                     0xa1, 0xb1, 0x1a, 0xe1};
	size_t n = 0;
	unsigned char *b;

	while (names[n] != NULL)
		n++;
	*len = 512 + 128 * (n < 4 ? 4 : n) + 512;
	b = calloc(1, *len);
	memcpy(b, sig, 8);
	b[0x1a] = 0x3e; /* minor version */
	b[0x1c] = 0x03; /* major version 3 */
	b[0x1e] = 0x09; /* 512-byte sectors */
	b[0x20] = 0x06;
	for (size_t i = 0; i < n; i++) {
		unsigned char *e = b + 512 + 128 * i;
		size_t k = strlen(names[i]);

		for (size_t j = 0; j < k; j++)
			e[2 * j] = (unsigned char)names[i][j];
		e[64] = (unsigned char)((k + 1) * 2);
		e[66] = i == 0 ? 5 : 2; /* root, then streams */
	}
	return b;
}

static int
sniff(const void *data, size_t len, const char **mime, char *found)
{
	int image;

	return files_sniff(data, len, mime, &image, found, 160);
}

int
main(void)
{
	char dir[] = "/tmp/jx-files-XXXXXX", found[160], path[512];
	const char *mime;
	size_t len;
	void *z;
	unsigned char *o;
	struct stat st;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	app.data_dir = dir;
	CHECK(files_start() == 0);

	CHECK(sniff("%PDF-1.4\n%%EOF\n", 15, &mime, found) == 0);
	CHECK_STR(mime, "application/pdf");
	CHECK(sniff("<?php echo 1; ?>\n", 17, &mime, found) == -1);
	CHECK(strstr(found, "php") != NULL);
	CHECK(sniff("", 0, &mime, found) == -1);

	{
		const char *docx[] = {"[Content_Types].xml", ct_docx,
		                      "word/document.xml", "<w:document/>",
		                      NULL};
		const char *docm[] = {"[Content_Types].xml",
		                      ct_docm,
		                      "word/document.xml",
		                      "<w:document/>",
		                      "word/vbaProject.bin",
		                      "vba",
		                      NULL};
		/* a docx whose content types say nothing of macros, with a
		 * VBA part all the same */
		const char *hidden[] = {"[Content_Types].xml",
		                        ct_docx,
		                        "word/document.xml",
		                        "<w:document/>",
		                        "word/VBAPROJECT.BIN",
		                        "vba",
		                        NULL};
		/* only the content type gives it away */
		const char *ctonly[] = {"[Content_Types].xml", ct_docm,
		                        "word/document.xml", "<w:document/>",
		                        NULL};
		const char *plainzip[] = {"a.txt", "hello", NULL};

		z = zip_of(docx, &len);
		CHECK(sniff(z, len, &mime, found) == 0);
		CHECK_STR(mime, "application/vnd.openxmlformats-"
		                "officedocument.wordprocessingml.document");
		free(z);
		z = zip_of(docm, &len);
		CHECK(sniff(z, len, &mime, found) == -1);
		CHECK(strstr(found, "macros") != NULL);
		free(z);
		z = zip_of(hidden, &len);
		CHECK(sniff(z, len, &mime, found) == -1);
		free(z);
		z = zip_of(ctonly, &len);
		CHECK(sniff(z, len, &mime, found) == -1);
		free(z);
		z = zip_of(plainzip, &len);
		CHECK(sniff(z, len, &mime, found) == -1);
		free(z);
	}
	{
		const char *doc[] = {"Root Entry", "WordDocument", "1Table",
		                     NULL};
		const char *docm[] = {"Root Entry", "WordDocument", "Macros",
		                      "VBA",        "_VBA_PROJECT", NULL};
		const char *xlsm[] = {"Root Entry", "Workbook",
		                      "_VBA_PROJECT_CUR", NULL};
		const char *other[] = {"Root Entry", "__substg1.0_0037001F",
		                       NULL};

		o = ole_of(doc, &len);
		CHECK(sniff(o, len, &mime, found) == 0);
		CHECK_STR(mime, "application/msword");
		free(o);
		o = ole_of(docm, &len);
		CHECK(sniff(o, len, &mime, found) == -1);
		CHECK(strstr(found, "macros") != NULL);
		free(o);
		o = ole_of(xlsm, &len);
		CHECK(sniff(o, len, &mime, found) == -1);
		free(o);
		o = ole_of(other, &len);
		CHECK(sniff(o, len, &mime, found) == -1);
		free(o);
	}

	fd = files_tmp_open(path, sizeof(path), ".xlsx");
	CHECK(fd >= 0);
	CHECK(strncmp(path, dir, strlen(dir)) == 0);
	CHECK(strstr(path, "/tmp/w-") != NULL);
	CHECK(strcmp(path + strlen(path) - 5, ".xlsx") == 0);
	CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600);
	close(fd);
	unlink(path);
	CHECK(files_tmp_open(path, sizeof(path), "/../x") == -1);

	files_stop();
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK(system(path) == 0);
	return check_done();
}
