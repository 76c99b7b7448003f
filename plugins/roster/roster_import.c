/*
 * roster_import.c — importing students, teachers and parents from a
 * spreadsheet (.xlsx, .xls, .csv): the upload becomes a durable job that
 * finds the header row by its column names, normalises each value, runs
 * every row through roster_apply.c inside one transaction (a savepoint
 * per row, so a bad row leaves nothing), and commits only when the mode
 * is commit and no row failed. A dry run does the same and rolls back,
 * so it reports exactly what a commit would do.
 */
#include "roster.h"
#include "sheet.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IMPORT_MAX_COLS 64
#define IMPORT_HEADER_SCAN 20

const struct roster_column roster_student_columns[] = {
    {"姓名", "name", 1, "必填", "张三"},
    {"性别", "gender", 1, "男 或 女", "男"},
    {"年级", "grade", 1, "1-12，或 一年级…九年级、初一…高三", "七年级"},
    {"班级", "class", 1, "年级内的班级名，如 1班", "1班"},
    {"身份证号", "id_number", 0, "18位，请设为文本格式", "430102200801010012"},
    {"全国学籍号", "national_no", 0, "G+身份证号 等", ""},
    {"市网学籍号", "city_no", 0, "", ""},
    {"家长1姓名", "guardian1_name", 0, "", "张伟"},
    {"家长1手机", "guardian1_phone", 0, "11位手机号", "13900000000"},
    {"家长1关系", "guardian1_relation", 0, "父亲、母亲、祖父…", "父亲"},
    {"家长2姓名", "guardian2_name", 0, "", ""},
    {"家长2手机", "guardian2_phone", 0, "", ""},
    {"家长2关系", "guardian2_relation", 0, "", ""},
    /* exports only, last (not in the template): the row's student */
    {"学生账号", "login", 0, "导出名单时填写，用于匹配学生；新学生留空", ""},
    {NULL, NULL, 0, NULL, NULL},
};

const struct roster_column roster_teacher_columns[] = {
    {"姓名", "name", 1, "必填", "李老师"},
    {"手机", "phone", 1, "11位手机号，即登录账号", "13800000000"},
    {"性别", "gender", 0, "男 或 女", "女"},
    {"学科", "subject", 0, "", "语文"},
    {"任教班级", "classes", 0, "多个用 ; 分隔，如 七年级1班;初一(2)班",
     "七年级1班;七年级2班"},
    {"班主任班级", "head_of_class", 0, "", "七年级1班"},
    {NULL, NULL, 0, NULL, NULL},
};

const struct roster_column roster_parent_columns[] = {
    {"学生账号", "student_login", 0, "学生账号、全国学籍号、身份证号填一项",
     ""},
    {"学生全国学籍号", "student_national_no", 0, "", ""},
    {"学生身份证号", "student_id_number", 0, "", "430102200801010012"},
    {"家长姓名", "name", 1, "必填", "王芳"},
    {"手机", "phone", 1, "11位手机号", "13900000001"},
    {"关系", "relation", 0, "父亲、母亲、祖父、祖母、其他", "母亲"},
    {NULL, NULL, 0, NULL, NULL},
};

int
roster_column_export_only(const struct roster_column *col)
{
	return strcmp(col->alias, "login") == 0;
}

const struct roster_column *
roster_columns(const char *kind)
{
	if (kind == NULL)
		return NULL;
	if (strcmp(kind, "students") == 0)
		return roster_student_columns;
	if (strcmp(kind, "teachers") == 0)
		return roster_teacher_columns;
	if (strcmp(kind, "parents") == 0)
		return roster_parent_columns;
	return NULL;
}

/* ---- reading the sheet into rows ------------------------------------- */

struct import_row {
	int number;
	int ncells;
	/* cells[0..ncells-1], NULL when empty; one allocation with the
	 * texts after the pointers (a malloc per cell cost twice the
	 * memory of a 100,000-row sheet) */
	char **cells;
};

#define IMPORT_CELL_BYTES 1024

struct import_sheet {
	struct import_row *rows;
	size_t n, cap;
	char scratch[IMPORT_MAX_COLS * IMPORT_CELL_BYTES]; /* one row */
};

static int
import_collect(void *ud, const struct sheet_row *row)
{
	struct import_sheet *s = ud;
	struct import_row *r;
	size_t len[IMPORT_MAX_COLS], used = 0;
	char *block, *text;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct import_row *grown =
		    realloc(s->rows, cap * sizeof(*grown));

		if (grown == NULL)
			return -2;
		s->rows = grown;
		s->cap = cap;
	}
	r = &s->rows[s->n];
	r->number = row->number;
	r->ncells =
	    row->ncells < IMPORT_MAX_COLS ? row->ncells : IMPORT_MAX_COLS;
	/* The row's normalised texts go to scratch, then to one block. */
	for (int i = 0; i < r->ncells; i++) {
		const char *c = row->cells[i];
		char *buf = s->scratch + used;

		len[i] = 0;
		if (c == NULL || *c == '\0')
			continue;
		sheet_normalize(c, buf, IMPORT_CELL_BYTES);
		/* Exports before 2026-12 put an apostrophe before a value
		 * starting with = + - @ (a string cell is never evaluated,
		 * so they no longer do): a re-import of such a sheet gets
		 * the value back. Only before those four characters, which
		 * begin no number, name or phone a school enters. */
		if (buf[0] == '\'' && buf[1] != '\0' &&
		    strchr("=+-@", buf[1]) != NULL)
			memmove(buf, buf + 1, strlen(buf));
		if (*buf != '\0')
			len[i] = strlen(buf) + 1;
		used += len[i];
	}
	block = malloc(((size_t)r->ncells + 1) * sizeof(char *) + used);
	if (block == NULL)
		return -2;
	r->cells = (char **)block;
	text = block + ((size_t)r->ncells + 1) * sizeof(char *);
	memcpy(text, s->scratch, used);
	for (int i = 0; i < r->ncells; i++) {
		r->cells[i] = len[i] > 0 ? text : NULL;
		text += len[i];
	}
	r->cells[r->ncells] = NULL;
	s->n++;
	return 0;
}

static void
import_sheet_free(struct import_sheet *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rows[i].cells);
	free(s->rows);
}

/* ---- string sets ------------------------------------------------------ */

/*
 * Strings with a positive int each, sized once for the sheet: open
 * addressing with FNV-1a and linear probing. Neither a cJSON object
 * (which searches its members one by one: quadratic in the rows) nor
 * glibc's hsearch_r (whose hash keeps only the first few characters, and
 * every key here starts alike: "national_no:G4301...") is fit for 100,000
 * rows. Keys are copied.
 */
struct import_set {
	struct import_slot {
		char *key; /* owned; NULL: free */
		int value;
	} * slots;
	size_t mask; /* slots - 1, a power of two minus one */
	size_t n, cap;
};

static size_t
import_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

/* Room for cap keys; 0 or -1. */
static int
import_set_init(struct import_set *s, size_t cap)
{
	size_t size = 64;

	memset(s, 0, sizeof(*s));
	/* at most half full, so probes stay short */
	while (size < 2 * cap && size < ((size_t)1 << 40))
		size *= 2;
	s->slots = calloc(size, sizeof(*s->slots));
	if (s->slots == NULL)
		return -1;
	s->mask = size - 1;
	s->cap = size / 2;
	return 0;
}

/* The slot of key: its own, or the free one where it would go. */
static struct import_slot *
import_set_slot(const struct import_set *s, const char *key)
{
	size_t i = import_hash(key) & s->mask;

	while (s->slots[i].key != NULL && strcmp(s->slots[i].key, key) != 0)
		i = (i + 1) & s->mask;
	return &s->slots[i];
}

/* The value stored with key; 0 when absent. */
static int
import_set_get(const struct import_set *s, const char *key)
{
	const struct import_slot *e;

	if (s->slots == NULL)
		return 0;
	e = import_set_slot(s, key);
	return e->key != NULL ? e->value : 0;
}

/* Adds key with value (> 0) unless present; 0, or -1 when the set is
 * full or memory is short. */
static int
import_set_add(struct import_set *s, const char *key, int value)
{
	struct import_slot *e;

	if (s->slots == NULL)
		return -1;
	e = import_set_slot(s, key);
	if (e->key != NULL)
		return 0;
	if (s->n == s->cap || (e->key = strdup(key)) == NULL)
		return -1;
	e->value = value;
	s->n++;
	return 0;
}

static void
import_set_free(struct import_set *s)
{
	for (size_t i = 0; s->slots != NULL && i <= s->mask; i++)
		free(s->slots[i].key);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

/* ---- the job ---------------------------------------------------------- */

struct import {
	const char *kind;
	const struct roster_column *cols;
	int col_of[IMPORT_MAX_COLS]; /* sheet column → index in cols, -1 */
	int index_of[32];            /* index in cols → sheet column, -1 */
	const char *header_text[32]; /* the column's header as written */
	int header_row;
	int64_t school;
	int create_classes;
	cJSON *errors, *warnings;
	int nerrors; /* items in errors (cJSON counts them one by one) */
	int64_t created, updated, unchanged;
	/* Students: "grade\x1fclass\x1fname" of every in-school student
	 * of the school and of every row applied so far (a superset), so
	 * that a row whose name is not in its class skips the name match's
	 * class scan. names_ok is 0 when the set could not be kept. */
	struct import_set names;
	int names_ok;
	/* First pass without a savepoint per row: a clean sheet (the usual
	 * commit, after a dry run) never pays for them. At the first error
	 * the pass stops and the import runs again with savepoints, which
	 * gives the full list of errors. */
	int fast;
};

/*
 * Adds {"row"?, "field"?, "message", "message_en"} to list: the job's
 * result is stored without a request, so it keeps both languages and the
 * host's jobs API leaves the reader's one in "message".
 */
static void
import_note(cJSON *list, int row, const char *field, const char *zh,
            const char *en)
{
	cJSON *e = cJSON_CreateObject();

	if (row > 0)
		cJSON_AddNumberToObject(e, "row", row);
	if (field != NULL)
		cJSON_AddStringToObject(e, "field", field);
	cJSON_AddStringToObject(e, "message", zh);
	cJSON_AddStringToObject(e, "message_en", en);
	cJSON_AddItemToArray(list, e);
}

static void
import_error(struct import *im, int row, const char *field, const char *zh,
             const char *en)
{
	import_note(im->errors, row, field, zh, en);
	im->nerrors++;
}

static void
import_warning(struct import *im, int row, const char *field, const char *zh,
               const char *en)
{
	import_note(im->warnings, row, field, zh, en);
}

/* The column a header names: Chinese or the English alias, with a
 * trailing * (required marker) and spaces ignored. */
static int
import_column(const struct roster_column *cols, const char *text)
{
	char buf[128];
	size_t n;

	if (text == NULL)
		return -1;
	snprintf(buf, sizeof(buf), "%s", text);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '*' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (n >= 3 && strcmp(buf + n - 3, "＊") == 0)
		buf[n - 3] = '\0';
	for (int i = 0; cols[i].header != NULL; i++)
		if (strcmp(buf, cols[i].header) == 0 ||
		    strcasecmp(buf, cols[i].alias) == 0)
			return i;
	/* common synonyms in real school sheets */
	if (strcmp(buf, "手机号") == 0 || strcmp(buf, "手机号码") == 0 ||
	    strcmp(buf, "联系电话") == 0)
		for (int i = 0; cols[i].header != NULL; i++)
			if (strcmp(cols[i].alias, "phone") == 0)
				return i;
	if (strcmp(buf, "身份证") == 0 || strcmp(buf, "身份证号码") == 0)
		for (int i = 0; cols[i].header != NULL; i++)
			if (strcmp(cols[i].alias, "id_number") == 0)
				return i;
	return -1;
}

/* Finds the header row among the first rows: the one naming the most
 * known columns (at least two). */
static int
import_find_header(struct import *im, struct import_sheet *s)
{
	size_t best = (size_t)-1;
	int best_hits = 1;

	for (size_t i = 0; i < s->n && i < IMPORT_HEADER_SCAN; i++) {
		int hits = 0;

		for (int k = 0; k < s->rows[i].ncells; k++)
			hits +=
			    import_column(im->cols, s->rows[i].cells[k]) >= 0;
		if (hits > best_hits) {
			best_hits = hits;
			best = i;
		}
	}
	if (best == (size_t)-1)
		return -1;
	for (int k = 0; k < 32; k++)
		im->index_of[k] = -1;
	for (int k = 0; k < IMPORT_MAX_COLS; k++)
		im->col_of[k] = -1;
	for (int k = 0; k < s->rows[best].ncells; k++) {
		const char *text = s->rows[best].cells[k];
		int c = import_column(im->cols, text);

		if (c < 0) {
			if (text != NULL) {
				char msg[200], en[200];

				snprintf(msg, sizeof(msg), "忽略未知列“%s”",
				         text);
				snprintf(en, sizeof(en),
				         "unknown column “%s” ignored", text);
				import_warning(im, s->rows[best].number, text,
				               msg, en);
			}
			continue;
		}
		if (im->index_of[c] >= 0)
			continue; /* the first of duplicated columns wins */
		im->col_of[k] = c;
		im->index_of[c] = k;
		im->header_text[c] = text;
	}
	im->header_row = (int)best;
	return 0;
}

/* The value of the column whose alias is name in row r, or NULL. */
static const char *
import_value(const struct import *im, const struct import_row *r,
             const char *alias)
{
	for (int i = 0; im->cols[i].header != NULL; i++)
		if (strcmp(im->cols[i].alias, alias) == 0) {
			int k = im->index_of[i];

			return k >= 0 && k < r->ncells ? r->cells[k] : NULL;
		}
	return NULL;
}

/* The sheet's header for an API field, for error reports. */
static const char *
import_field(const struct import *im, const char *field)
{
	if (field == NULL)
		return NULL;
	if (strcmp(field, "class_id") == 0)
		field = "class";
	for (int i = 0; im->cols[i].header != NULL; i++)
		if (strcmp(im->cols[i].alias, field) == 0)
			return im->header_text[i] ? im->header_text[i]
			                          : im->cols[i].header;
	return field;
}

static int
import_skip(const struct import_row *r)
{
	const char *first = NULL;

	for (int k = 0; k < r->ncells && first == NULL; k++)
		first = r->cells[k];
	/* blank rows, and the template's example and notes rows */
	return first == NULL || strncmp(first, "示例", 6) == 0 ||
	       strncmp(first, "说明", 6) == 0;
}

/* An ID-number cell: normalised, or an error (it may have been stored as
 * a number by Excel, losing its last digits). */
static int
import_id(struct import *im, const struct import_row *r, const char *alias,
          char out[19], const char **value)
{
	const char *v = import_value(im, r, alias);

	*value = NULL;
	if (v == NULL)
		return 0;
	if (strchr(v, '*') != NULL) {
		*value = v; /* masked: keep what is stored */
		return 0;
	}
	if (strchr(v, 'E') != NULL || strchr(v, 'e') != NULL ||
	    strchr(v, '.') != NULL) {
		import_error(im, r->number, import_field(im, alias),
		             "身份证号被存成了数字，末几位已丢失：请把该列设为"
		             "文本格式后重新填写",
		             "the ID number was stored as a number and lost "
		             "digits: format the column as text");
		return -1;
	}
	if (roster_id_number(v, out, 19) != 0) {
		import_error(im, r->number, import_field(im, alias),
		             "身份证号应为18位：17位数字加1位数字或X",
		             "an ID number has 17 digits and a digit or X");
		return -1;
	}
	if (!roster_id_checksum_ok(out))
		import_warning(im, r->number, import_field(im, alias),
		               "身份证号校验位不符，请核对",
		               "the check digit does not match");
	*value = out;
	return 0;
}

static int
import_phone(struct import *im, const struct import_row *r, const char *alias)
{
	const char *v = import_value(im, r, alias);

	if (v == NULL || strchr(v, '*') != NULL || roster_org->phone_valid(v))
		return 0;
	import_error(im, r->number, import_field(im, alias),
	             "手机号应为以1开头的11位数字",
	             "a phone is 11 digits starting with 1");
	return -1;
}

/* Parses "七年级1班;初一(2)班" into class ids of the school. */
static int
import_class_list(struct import *im, jx_db *db, const struct import_row *r,
                  const char *alias, int64_t *ids, int *n)
{
	const char *v = import_value(im, r, alias);
	char buf[1024], *tok, *save = NULL;

	*n = 0;
	if (v == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", v);
	/* separators: ; ； , ， 、 and spaces */
	for (char *p = buf; *p; p++) {
		if (*p == ';' || *p == ',' || *p == ' ')
			*p = '\x1f';
		else if (strncmp(p, "；", 3) == 0 || strncmp(p, "，", 3) == 0 ||
		         strncmp(p, "、", 3) == 0)
			memset(p, '\x1f', 3);
	}
	for (tok = strtok_r(buf, "\x1f", &save); tok != NULL && *n < 32;
	     tok = strtok_r(NULL, "\x1f", &save)) {
		char name[64], msg[200], en[200];
		struct roster_error gerr = {0};
		int grade;
		int64_t id;

		if (roster_parse_grade_class(tok, &grade, name, sizeof(name)) !=
		    0) {
			snprintf(
			    msg, sizeof(msg),
			    "无法识别班级“%s”，应写成 七年级1班 或 初一(1)班",
			    tok);
			snprintf(
			    en, sizeof(en),
			    "unrecognised class “%s”: write it as 七年级1班 "
			    "or 初一(1)班",
			    tok);
			import_error(im, r->number, import_field(im, alias),
			             msg, en);
			return -1;
		}
		id = roster_class_find(db, im->school, grade, name);
		if (id <= 0 && im->create_classes &&
		    roster_grade_check(db, im->school, grade, &gerr) != 0) {
			import_error(im, r->number, import_field(im, alias),
			             gerr.message, gerr.message_en);
			return -1;
		}
		if (id <= 0 && im->create_classes)
			id = roster_org->class_create(db, im->school, grade,
			                              name, 0);
		if (id <= 0) {
			snprintf(msg, sizeof(msg),
			         "班级“%s”不存在，请先创建班级", tok);
			snprintf(en, sizeof(en),
			         "no such class “%s”: create it first", tok);
			import_error(im, r->number, import_field(im, alias),
			             msg, en);
			return -1;
		}
		ids[(*n)++] = id;
	}
	return 0;
}

/* The names set's key of a student; 0, or -1 when it does not fit. */
static int
import_name_key(char *key, size_t len, int grade, const char *klass,
                const char *name)
{
	int n = snprintf(key, len, "%d\x1f%s\x1f%s", grade, klass, name);

	return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* The names of the school's in-school students by class, for
 * struct import's names; rows: the sheet's data rows. */
static void
import_names_load(struct import *im, jx_db *db, size_t rows)
{
	int64_t n = jxp_one(jx_host, db,
	                    "SELECT COUNT(*) FROM students WHERE school_id "
	                    "= ? AND status = 'in_school'",
	                    "i", im->school);
	jx_stmt *st;
	int rc = JX_DB_ERROR;

	im->names_ok = 0;
	if (n < 0 || import_set_init(&im->names, (size_t)n + rows) != 0)
		return;
	st = jx_host->db_query(
	    db,
	    "SELECT c.grade, c.name, p.name FROM students s JOIN "
	    "classes c ON c.id = s.class_id JOIN persons p ON "
	    "p.id = s.person_id WHERE s.school_id = ? AND "
	    "s.status = 'in_school'",
	    "i", im->school);
	while (st != NULL && (rc = jx_host->db_step(st)) == JX_DB_ROW) {
		char key[512];

		if (import_name_key(key, sizeof(key),
		                    (int)jx_host->db_int(st, 0),
		                    jx_host->db_text(st, 1),
		                    jx_host->db_text(st, 2)) != 0 ||
		    import_set_add(&im->names, key, 1) != 0) {
			rc = JX_DB_ERROR;
			break;
		}
	}
	jx_host->db_finish(st);
	im->names_ok = rc == JX_DB_DONE;
}

/* One row: converted, checked and applied. */
static void
import_row(struct import *im, jx_db *db, const struct import_row *r)
{
	struct roster_error err;
	int64_t id;
	int rc = -1, nerr = im->nerrors;

	if (strcmp(im->kind, "students") == 0) {
		struct roster_student_in in = {0};
		char idn[19], cls_buf[64];
		const char *g = import_value(im, r, "gender");
		const char *grade = import_value(im, r, "grade");

		in.name = import_value(im, r, "name");
		in.gender = roster_gender(g);
		if (in.name == NULL)
			import_error(im, r->number, import_field(im, "name"),
			             "姓名不能为空", "name is required");
		if (in.gender == NULL)
			import_error(im, r->number, import_field(im, "gender"),
			             "性别应为 男 或 女",
			             "gender: male or female");
		in.grade = roster_parse_grade(grade);
		if (in.grade == 0)
			import_error(
			    im, r->number, import_field(im, "grade"),
			    "无法识别年级，应为 1-12、一年级…九年级、初一…高三",
			    "unrecognised grade");
		in.class_name = import_value(im, r, "class");
		/* 班级 written with its grade (一年级1班, 初一(2)班) as on
		 * teacher sheets: keep the class part when the grades agree. */
		if (in.class_name != NULL) {
			int g2;

			if (roster_parse_grade_class(in.class_name, &g2,
			                             cls_buf,
			                             sizeof(cls_buf)) == 0 &&
			    (in.grade == 0 || in.grade == g2)) {
				in.grade = g2;
				in.class_name = cls_buf;
			}
		}
		if (in.class_name == NULL)
			import_error(im, r->number, import_field(im, "class"),
			             "班级不能为空", "class is required");
		else if (in.grade > 0 && !im->create_classes &&
		         roster_class_find(db, im->school, in.grade,
		                           in.class_name) == 0) {
			char msg[200], en[200];

			snprintf(
			    msg, sizeof(msg), "班级 %s%s 不存在，请先创建班级",
			    roster_org->grade_label(in.grade), in.class_name);
			snprintf(
			    en, sizeof(en),
			    "the class %s%s does not exist: create it first",
			    roster_org->grade_label(in.grade), in.class_name);
			import_error(im, r->number, import_field(im, "class"),
			             msg, en);
		}
		in.create_classes = im->create_classes;
		import_id(im, r, "id_number", idn, &in.id_number);
		in.national_no = import_value(im, r, "national_no");
		in.login = import_value(im, r, "login");
		in.city_no = import_value(im, r, "city_no");
		import_phone(im, r, "guardian1_phone");
		import_phone(im, r, "guardian2_phone");
		in.guardians[0] = (struct roster_guardian_in){
		    import_value(im, r, "guardian1_name"),
		    import_value(im, r, "guardian1_phone"),
		    import_value(im, r, "guardian1_relation")};
		in.guardians[1] = (struct roster_guardian_in){
		    import_value(im, r, "guardian2_name"),
		    import_value(im, r, "guardian2_phone"),
		    import_value(im, r, "guardian2_relation")};
		in.nguardians = 2;
		if (im->nerrors == nerr) {
			char key[512];
			int keyed =
			    im->names_ok && in.name != NULL &&
			    in.class_name != NULL &&
			    import_name_key(key, sizeof(key), in.grade,
			                    in.class_name, in.name) == 0;

			in.no_name_match =
			    keyed && import_set_get(&im->names, key) == 0;
			in.quiet = 1; /* the school is announced at the end */
			rc = roster_student_apply(db, im->school, &in, &id,
			                          &err);
			/* whatever happened, the name may now be in the
			 * class */
			if (keyed && import_set_add(&im->names, key, 1) != 0)
				im->names_ok = 0;
		}
	} else if (strcmp(im->kind, "teachers") == 0) {
		struct roster_teacher_in in = {0};
		int64_t classes[32], heads[32];
		int nc = 0, nh = 0;
		const char *g = import_value(im, r, "gender");

		in.name = import_value(im, r, "name");
		in.phone = import_value(im, r, "phone");
		in.gender = roster_gender(g);
		in.subject = import_value(im, r, "subject");
		if (in.name == NULL)
			import_error(im, r->number, import_field(im, "name"),
			             "姓名不能为空", "name is required");
		if (in.phone == NULL)
			import_error(im, r->number, import_field(im, "phone"),
			             "手机号不能为空", "phone is required");
		else
			import_phone(im, r, "phone");
		if (g != NULL && in.gender == NULL)
			import_error(im, r->number, import_field(im, "gender"),
			             "性别应为 男 或 女",
			             "gender: male or female");
		if (import_class_list(im, db, r, "classes", classes, &nc) ==
		        0 &&
		    import_value(im, r, "classes") != NULL) {
			in.class_ids = classes;
			in.nclass_ids = nc;
		}
		if (import_class_list(im, db, r, "head_of_class", heads, &nh) ==
		        0 &&
		    import_value(im, r, "head_of_class") != NULL) {
			in.head_of_class_ids = heads;
			in.nhead_of_class_ids = nh;
		}
		if (im->nerrors == nerr)
			rc = roster_teacher_apply(db, im->school, &in, &id,
			                          &err);
	} else {
		struct roster_parent_in in = {0};
		char idn[19];

		in.student_login = import_value(im, r, "student_login");
		in.student_national_no =
		    import_value(im, r, "student_national_no");
		import_id(im, r, "student_id_number", idn,
		          &in.student_id_number);
		in.name = import_value(im, r, "name");
		in.phone = import_value(im, r, "phone");
		in.relation = import_value(im, r, "relation");
		if (in.phone != NULL)
			import_phone(im, r, "phone");
		if (im->nerrors == nerr)
			rc =
			    roster_parent_apply(db, im->school, &in, &id, &err);
	}
	if (im->nerrors != nerr)
		return;
	switch (rc) {
	case ROSTER_CREATED: im->created++; break;
	case ROSTER_UPDATED: im->updated++; break;
	case ROSTER_UNCHANGED: im->unchanged++; break;
	default:
		import_error(im, r->number, import_field(im, err.field),
		             err.message, err.message_en);
		break;
	}
}

/* Sheet rows in order, with in-sheet duplicates of unique numbers
 * reported on their second occurrence. */
static void
import_rows(struct import *im, jx_db *db, struct import_sheet *s, jx_job *job)
{
	size_t total = s->n - (size_t)im->header_row - 1, done = 0;
	struct import_set seen;

	/* the keys a row may add: 学生账号, 全国学籍号, 身份证号, and a
	 * teacher's phone */
	if (import_set_init(&seen, (strcmp(im->kind, "teachers") == 0 ? 4 : 3) *
	                               total) != 0) {
		import_error(im, 0, NULL, "内存不足", "out of memory");
		return;
	}
	if (strcmp(im->kind, "students") == 0)
		import_names_load(im, db, total);

	for (size_t i = (size_t)im->header_row + 1; i < s->n; i++) {
		const struct import_row *r = &s->rows[i];
		const char *keys[] = {"national_no", "id_number", "phone",
		                      "login"};

		done++;
		if (done % 256 == 0)
			jx_host->job_progress(job, (int64_t)done,
			                      (int64_t)total);
		if (import_skip(r))
			continue;
		for (size_t k = 0; k < 4; k++) {
			const char *v;
			char key[128];
			int first;

			/* a teacher's phone is unique per sheet; a parent's is
			 * not (one parent, many children) */
			if (strcmp(keys[k], "phone") == 0 &&
			    strcmp(im->kind, "teachers") != 0)
				continue;
			v = import_value(im, r, keys[k]);
			if (v == NULL || strchr(v, '*') != NULL)
				continue;
			snprintf(key, sizeof(key), "%s:%s", keys[k], v);
			/* 身份证号 ...x and ...X are one number */
			for (char *p = key; k == 1 && *p; p++)
				if (*p == 'x')
					*p = 'X';
			first = import_set_get(&seen, key);
			if (first != 0) {
				char msg[200], en[200];

				snprintf(msg, sizeof(msg), "与第 %d 行重复",
				         first);
				snprintf(en, sizeof(en), "the same as row %d",
				         first);
				import_error(im, r->number,
				             import_field(im, keys[k]), msg,
				             en);
				goto next;
			}
			if (import_set_add(&seen, key, r->number) != 0) {
				import_error(im, r->number, NULL, "内存不足",
				             "out of memory");
				goto next;
			}
		}
		/* Two students of one name in one class can only be told
		 * apart by a number: without one, the second row would
		 * update the first. */
		if (strcmp(im->kind, "students") == 0 &&
		    import_value(im, r, "login") == NULL &&
		    import_value(im, r, "national_no") == NULL &&
		    import_value(im, r, "id_number") == NULL &&
		    import_value(im, r, "name") != NULL) {
			char key[256];
			int first;

			snprintf(
			    key, sizeof(key), "name:%s|%d|%s",
			    import_value(im, r, "name"),
			    roster_parse_grade(import_value(im, r, "grade")),
			    import_value(im, r, "class")
			        ? import_value(im, r, "class")
			        : "");
			first = import_set_get(&seen, key);
			if (first != 0) {
				char msg[300], en[200];

				snprintf(msg, sizeof(msg),
				         "与第 %d "
				         "行同名同班：请填写身份证号或全国学籍"
				         "号以区分",
				         first);
				snprintf(
				    en, sizeof(en),
				    "the same name and class as row %d: add "
				    "an ID or national number",
				    first);
				import_error(im, r->number,
				             import_field(im, "name"), msg, en);
				continue;
			}
			import_set_add(&seen, key, r->number);
		}
		if (im->fast) {
			import_row(im, db, r);
			if (im->nerrors > 0)
				break;
			continue;
		}
		/* A savepoint per row: a failing row leaves nothing. */
		if (jx_host->db_begin(db) != 0) {
			import_error(im, r->number, NULL,
			             "无法保存，请稍后重试",
			             jx_host->db_errmsg(db));
			continue;
		}
		{
			int before = im->nerrors;

			import_row(im, db, r);
			if (im->nerrors != before)
				jx_host->db_rollback(db);
			else if (jx_host->db_commit(db) != 0)
				import_error(im, r->number, NULL,
				             "无法保存，请稍后重试",
				             jx_host->db_errmsg(db));
		}
	next:;
	}
	jx_host->job_progress(job, (int64_t)total, (int64_t)total);
	import_set_free(&seen);
	import_set_free(&im->names);
}

static int
import_read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*data = malloc(n > 0 ? (size_t)n : 1);
	if (*data == NULL ||
	    (n > 0 && fread(*data, 1, (size_t)n, f) != (size_t)n)) {
		fclose(f);
		free(*data);
		return -1;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

/* Seconds on a clock (CLOCK_MONOTONIC, or the job thread's CPU time),
 * for the job's log line. */
static double
import_clock(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
import_job(jx_job *job, void *ud)
{
	const cJSON *p = jx_host->job_params(job);
	jx_db *db = jx_host->job_db(job);
	const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(p, "path"));
	const char *ctype =
	    cJSON_GetStringValue(cJSON_GetObjectItem(p, "content_type"));
	const char *mode = cJSON_GetStringValue(cJSON_GetObjectItem(p, "mode"));
	struct import im = {0};
	struct import_sheet sheet = {0};
	struct sheet_limits lim = {0};
	char err[512], tmpdir[4096], *data = NULL;
	size_t len = 0;
	cJSON *res;
	int rc, failed = 0, commit = mode && strcmp(mode, "commit") == 0;
	/* the phases, logged for bench/import.sh and slow-import reports */
	double t_start = import_clock(CLOCK_MONOTONIC), t_read = 0, t_rows = 0;
	double t_end, cpu = import_clock(CLOCK_THREAD_CPUTIME_ID);

	im.kind = cJSON_GetStringValue(cJSON_GetObjectItem(p, "kind"));
	im.cols = roster_columns(im.kind);
	im.school =
	    (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "school"));
	im.create_classes =
	    cJSON_IsTrue(cJSON_GetObjectItem(p, "create_classes"));
	im.errors = cJSON_CreateArray();
	im.warnings = cJSON_CreateArray();
	lim.max_uncompressed = (size_t)jx_host->config_int(
	    "limits.sheet_uncompressed_bytes", 200 << 20);
	lim.max_entries = 10000;
	lim.max_ratio = 200;
	lim.max_rows = 200000;
	lim.max_cell_bytes = 32767;

	if (path == NULL || im.cols == NULL ||
	    import_read_file(path, &data, &len) != 0) {
		import_error(&im, 0, NULL, "上传的文件已不存在，请重新上传",
		             "the upload is gone: upload it again");
		failed = 1;
		goto done;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", jx_host->data_dir());
	rc = sheet_read(data, len, ctype, tmpdir, &lim, import_collect, &sheet,
	                err, sizeof(err));
	t_read = import_clock(CLOCK_MONOTONIC);
	if (rc != 0) {
		import_error(&im, 0, NULL, rc == -2 ? "内存不足" : err,
		             rc == -2 ? "out of memory"
		                      : sheet_err_en(err, sizeof(err)));
		failed = 1;
		goto done;
	}
	if (import_find_header(&im, &sheet) != 0) {
		import_error(&im, 0, NULL, "找不到表头行：请使用导入模板的列名",
		             "no header row: use the template's column names");
		failed = 1;
		goto done;
	}
	for (int i = 0; im.cols[i].header != NULL; i++)
		if (im.cols[i].required && im.index_of[i] < 0) {
			char msg[160], en[160];

			snprintf(msg, sizeof(msg), "缺少必填列“%s”",
			         im.cols[i].header);
			snprintf(en, sizeof(en),
			         "the required column “%s” is missing",
			         im.cols[i].header);
			import_error(&im, sheet.rows[im.header_row].number,
			             im.cols[i].header, msg, en);
		}
	/* parents: 学生账号, 学生全国学籍号 or 学生身份证号 (columns 0-2) */
	if (strcmp(im.kind, "parents") == 0 && im.index_of[0] < 0 &&
	    im.index_of[1] < 0 && im.index_of[2] < 0)
		import_error(
		    &im, sheet.rows[im.header_row].number, "学生全国学籍号",
		    "需要“学生账号”、“学生全国学籍号”或“学生身份证号”列",
		    "a student login or number column is required");
	if (im.nerrors > 0) {
		failed = 1;
		goto done;
	}
	/* All rows in one transaction; kept only by a clean commit. */
	if (jx_host->db_begin(db) != 0) {
		import_error(&im, 0, NULL, "无法保存，请稍后重试",
		             jx_host->db_errmsg(db));
		failed = 1;
		goto done;
	}
	{
		int warnings = cJSON_GetArraySize(im.warnings);

		im.fast = 1;
		import_rows(&im, db, &sheet, job);
		if (im.nerrors > 0) {
			/* Start over, row by row, to list every error. */
			jx_host->db_rollback(db);
			cJSON_Delete(im.errors);
			im.errors = cJSON_CreateArray();
			im.nerrors = 0;
			while (cJSON_GetArraySize(im.warnings) > warnings)
				cJSON_DeleteItemFromArray(im.warnings,
				                          warnings);
			im.created = im.updated = im.unchanged = 0;
			im.fast = 0;
			if (jx_host->db_begin(db) != 0) {
				import_error(&im, 0, NULL,
				             "无法保存，请稍后重试",
				             jx_host->db_errmsg(db));
				failed = 1;
				goto done;
			}
			import_rows(&im, db, &sheet, job);
		}
	}
	t_rows = import_clock(CLOCK_MONOTONIC);
	if (commit && im.nerrors == 0) {
		/* Students' rows changed without an event each: one for the
		 * school (keyinfo rechecks it in the background). */
		if (im.created + im.updated > 0 &&
		    roster_school_changed(db, im.school) != 0) {
			jx_host->db_rollback(db);
			import_error(
			    &im, 0, NULL, "无法保存，请稍后重试",
			    "cannot mark the school's students changed");
			failed = 1;
		} else if (jx_host->db_commit(db) != 0) {
			import_error(&im, 0, NULL, "无法保存，请稍后重试",
			             jx_host->db_errmsg(db));
			failed = 1;
		}
	} else {
		jx_host->db_rollback(db);
		failed = commit; /* a commit with errors writes nothing */
	}
done:
	t_end = import_clock(CLOCK_MONOTONIC);
	cpu = import_clock(CLOCK_THREAD_CPUTIME_ID) - cpu;
	if (t_rows > 0)
		jx_host->log(
		    JX_LOG_INFO, "roster",
		    "import %lld: %s of %zu sheet rows: read in %.3f s, "
		    "rows applied in %.3f s, %s in %.3f s; cpu %.3f s; "
		    "%d errors",
		    (long long)jx_host->job_id(job),
		    commit ? "commit" : "dry run", sheet.n, t_read - t_start,
		    t_rows - t_read,
		    commit && im.nerrors == 0 ? "committed" : "rolled back",
		    t_end - t_rows, cpu, im.nerrors);
	res = cJSON_CreateObject();
	cJSON_AddNumberToObject(res, "created", (double)im.created);
	cJSON_AddNumberToObject(res, "updated", (double)im.updated);
	cJSON_AddNumberToObject(res, "unchanged", (double)im.unchanged);
	cJSON_AddItemToObject(res, "warnings", im.warnings);
	cJSON_AddItemToObject(res, "errors", im.errors);
	cJSON_AddBoolToObject(res, "written", commit && !failed);
	jx_host->job_set_result(job, res);
	free(data);
	import_sheet_free(&sheet);
	if (path != NULL)
		unlink(path);
	return failed ? 1 : 0;
}

/* ---- the endpoint ----------------------------------------------------- */

int
import_post(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), job;
	const char *kind = jx_host->req_query(req, "kind");
	const char *mode = jx_host->req_query(req, "mode");
	const char *create = jx_host->req_query(req, "create_classes");
	const char *data, *filename, *ctype;
	const struct jx_identity *me = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	char path[4096];
	size_t len;
	cJSON *params, *o;
	int fd, rc;

	{
		int denied = roster_manage(req, sid);

		if (denied != 0)
			return denied;
	}
	if (roster_columns(kind) == NULL)
		jx_host->problem_error(
		    req, 0, "kind",
		    "kind must be students, teachers or parents");
	if (mode == NULL ||
	    (strcmp(mode, "dry-run") != 0 && strcmp(mode, "commit") != 0))
		jx_host->problem_error(req, 0, "mode",
		                       "mode must be dry-run or commit");
	if (roster_columns(kind) == NULL || mode == NULL ||
	    (strcmp(mode, "dry-run") != 0 && strcmp(mode, "commit") != 0))
		return roster_invalid(req, NULL);
	rc = jx_host->req_upload(req, "file", &data, &len, &filename, &ctype);
	if (rc != 0)
		return rc;
	if (len == 0) {
		const char *why =
		    roster_tr(req, "文件是空的", "the file is empty");

		jx_host->problem_error(req, 0, "file", why);
		return roster_invalid(req, why);
	}
	if (sheet_detect(data, len, ctype) == SHEET_UNKNOWN)
		return jx_host->reply_problem(
		    req, 415, "unsupported-media-type", "Not a spreadsheet",
		    roster_tr(req,
		              "文件不是 Excel 或 CSV 表格，请上传 .xlsx、.xls "
		              "或 .csv",
		              "not a spreadsheet: send .xlsx, .xls or .csv"));
	/* The sheet waits for the job in the host's temporary area; the
	 * job removes it. A crash leaves it to the host, which empties the
	 * area at start (the job is failed then, or finds its file gone and
	 * says so) and sweeps day-old work files. */
	fd = jx_host->tmp_open(path, sizeof(path), ".sheet");
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return roster_storage_error(req);
	}
	close(fd);
	params = cJSON_CreateObject();
	cJSON_AddNumberToObject(params, "school", (double)sid);
	cJSON_AddStringToObject(params, "kind", kind);
	cJSON_AddStringToObject(params, "mode", mode);
	cJSON_AddBoolToObject(params, "create_classes",
	                      create && strcmp(create, "1") == 0);
	cJSON_AddStringToObject(params, "path", path);
	cJSON_AddStringToObject(params, "content_type", ctype);
	if (jx_host->db_begin(db) != 0) {
		cJSON_Delete(params);
		unlink(path);
		return roster_storage_error(req);
	}
	job = jx_host->job_submit(db, "roster.import", params, me->account_id);
	if (job <= 0 ||
	    jx_host->db_exec(
	        db,
	        "INSERT INTO roster_imports(school_id, job_id, kind, "
	        "mode, file_name, created_by, created_at) VALUES (?, ?, "
	        "?, ?, ?, ?, ?)",
	        "iisssii", sid, job, kind, mode, filename, me->account_id,
	        jx_host->now()) != 1 ||
	    jx_host->audit(req, "roster.import", kind, NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		unlink(path);
		return roster_storage_error(req);
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "job_id", (double)job);
	return jx_host->reply_json(req, 202, o);
}

int
roster_import_init(struct jx_registrar *reg)
{
	return reg->job_kind(reg, "roster.import", import_job, NULL);
}
