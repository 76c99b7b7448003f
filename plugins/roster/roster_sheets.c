/*
 * roster_sheets.c — the spreadsheets the roster hands out: the import
 * templates (GET /api/v1/imports/templates/{kind}.xlsx), the student
 * roster export in the same columns (GET /api/v1/schools/{sid}/
 * students.xlsx) so that an export can be edited and imported back, and
 * the import page (GET /roster/import) that drives the import job.
 *
 * libxlsxwriter 1.1.4 writes only to files (no output_buffer option in
 * Debian's version), so each workbook goes to a private temporary file
 * under the data directory, is read back and removed before the reply.
 */
#include "roster.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "jxplug_xlsx.h"

/* Rows of the template that carry the text format and the drop-down
 * lists: more than any school's sheet of one kind. */
#define SHEETS_TEMPLATE_ROWS 5000
/* Excel's built-in number format 49, "@": Text. */
#define SHEETS_TEXT 49

/* One kind of sheet: its columns, sheet name and file names. */
struct sheets_kind {
	const char *kind, *sheet, *file_zh, *file_ascii;
};

static const struct sheets_kind sheets_kinds[] = {
    {"students", "学生", "学生导入模板.xlsx", "students-template.xlsx"},
    {"teachers", "教师", "教师导入模板.xlsx", "teachers-template.xlsx"},
    {"parents", "家长", "家长导入模板.xlsx", "parents-template.xlsx"},
};

/* The formats of one workbook (owned by the workbook). */
struct sheets_formats {
	lxw_format *header, *header_text, *text, *note, *example, *example_text;
};

/* ---- cells -------------------------------------------------------------- */

/* 1 for columns whose values are digit strings that Excel would turn
 * into numbers (losing leading zeros and the last digits of 18-digit ID
 * numbers): they are formatted as text (@). */
static int
sheets_is_text(const char *alias)
{
	return strstr(alias, "phone") != NULL ||
	       strstr(alias, "id_number") != NULL ||
	       strstr(alias, "_no") != NULL || strstr(alias, "login") != NULL;
}

/* The width of a string in Excel's character units: CJK characters are
 * two wide. */
static double
sheets_width(const char *s)
{
	double w = 0;

	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		w += *p >= 0xe0 ? 2 : 1;
	}
	return w;
}

static void
sheets_formats_make(lxw_workbook *wb, struct sheets_formats *f)
{
	f->header = workbook_add_format(wb);
	format_set_bold(f->header);
	format_set_bg_color(f->header, 0xDDEBF7);
	format_set_border(f->header, LXW_BORDER_THIN);
	format_set_align(f->header, LXW_ALIGN_CENTER);
	f->header_text = workbook_add_format(wb);
	format_set_bold(f->header_text);
	format_set_bg_color(f->header_text, 0xDDEBF7);
	format_set_border(f->header_text, LXW_BORDER_THIN);
	format_set_align(f->header_text, LXW_ALIGN_CENTER);
	format_set_num_format_index(f->header_text, SHEETS_TEXT);
	f->text = workbook_add_format(wb);
	format_set_num_format_index(f->text, SHEETS_TEXT);
	f->note = workbook_add_format(wb);
	format_set_italic(f->note);
	format_set_font_color(f->note, 0x595959);
	format_set_text_wrap(f->note);
	format_set_align(f->note, LXW_ALIGN_VERTICAL_TOP);
	format_set_num_format_index(f->note, SHEETS_TEXT);
	f->example = workbook_add_format(wb);
	format_set_font_color(f->example, 0x808080);
	f->example_text = workbook_add_format(wb);
	format_set_font_color(f->example_text, 0x808080);
	format_set_num_format_index(f->example_text, SHEETS_TEXT);
}

/* The header row (required columns marked with *, which the importer
 * strips), column widths and text formats, and a frozen header. */
static void
sheets_header(jx_req *req, lxw_worksheet *ws, const struct roster_column *cols,
              const struct sheets_formats *f, int with_notes)
{
	for (int c = 0; cols[c].header != NULL &&
	                !(with_notes && roster_column_export_only(&cols[c]));
	     c++) {
		int text = sheets_is_text(cols[c].alias);
		double w = sheets_width(cols[c].header) + 4;

		if (with_notes) {
			double ex = sheets_width(cols[c].example) +
			            (c == 0 ? 6 : 0) + 2;
			double note = sheets_width(cols[c].note) + 2;

			if (ex > w)
				w = ex;
			/* long notes wrap over the notes row's three lines */
			if ((note > 32 ? 32 : note) > w)
				w = note > 32 ? 32 : note;
		}
		if (text && w < 22)
			w = 22; /* 18 digits and some room */
		if (w < 10)
			w = 10;
		if (w > 40)
			w = 40;
		worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, w,
		                     text ? f->text : NULL);
		worksheet_write_string(
		    ws, 0, (lxw_col_t)c,
		    cols[c].required
		        ? jx_host->sprintf(req, "%s*", cols[c].header)
		        : cols[c].header,
		    text ? f->header_text : f->header);
	}
	worksheet_freeze_panes(ws, 1, 0);
}

/* A drop-down list on a column of the template (a warning, not a stop:
 * the importer accepts other spellings too). */
static void
sheets_list(lxw_worksheet *ws, int col, char **values, const char *message)
{
	lxw_data_validation v = {0};

	v.validate = LXW_VALIDATION_TYPE_LIST;
	v.value_list = values;
	v.error_type = LXW_VALIDATION_ERROR_TYPE_WARNING;
	v.error_title = "家校";
	v.error_message = (char *)message;
	worksheet_data_validation_range(
	    ws, 3, (lxw_col_t)col, SHEETS_TEMPLATE_ROWS, (lxw_col_t)col, &v);
}

/* ---- temporary files ---------------------------------------------------- */

/* ---- GET /api/v1/imports/templates/{kind}.xlsx -------------------------- */

/* The second sheet: how to fill the first, for the school secretary. */
static void
sheets_help(lxw_workbook *wb, const char *kind)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, "填写说明");
	const char *common[] = {
	    "第1行是表头，带 * 的列必须填写；列的顺序可以调整，不认识的列会被"
	    "忽略。",
	    "以“说明”和“示例”开头的两行在导入时会自动跳过，也可以删除。",
	    "身份证号、学籍号和手机号所在的列已设为文本格式，请不要改为数字"
	    "格式，否则18位身份证号的末几位会丢失。",
	    "导入时请先选择“预检”：系统会逐行列出问题（行号与 Excel 中显示的"
	    "一致），全部改正后再确认导入。",
	};
	const char *students[] = {
	    "年级可写 1-12、一年级…九年级、初一…初三、高一…高三；班级写年级内"
	    "的班级名，如 1班。",
	    "班级须已在系统中建立，或在导入页勾选“自动创建班级”。",
	    "已在系统中的学生按全国学籍号、身份证号、姓名+年级+班级依次匹配："
	    "重复导入不会重复建档，改了班级即为调班。",
	    "家长按手机号识别：同一手机号的家长只建一个账号，可关联多个孩子。",
	    "导出的名单中身份证号已打码（含 *），原样导回时保留系统中已有的"
	    "号码。",
	};
	const char *teachers[] = {
	    "手机号即教师的登录账号。",
	    "任教班级可写多个，用 ; 分隔，如 七年级1班;初一(2)班。",
	};
	const char *parents[] = {
	    "每行一位家长：学生全国学籍号或学生身份证号至少填一项，用来找到"
	    "孩子。",
	    "同一手机号的家长只建一个账号，可关联多个孩子。",
	};
	const char **more = students;
	size_t nmore = sizeof(students) / sizeof(*students);
	lxw_row_t row = 0;
	lxw_format *wrap = workbook_add_format(wb);

	format_set_text_wrap(wrap);
	format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
	if (strcmp(kind, "teachers") == 0) {
		more = teachers;
		nmore = sizeof(teachers) / sizeof(*teachers);
	} else if (strcmp(kind, "parents") == 0) {
		more = parents;
		nmore = sizeof(parents) / sizeof(*parents);
	}
	worksheet_set_column(ws, 0, 0, 100, wrap);
	for (size_t i = 0; i < sizeof(common) / sizeof(*common); i++)
		worksheet_write_string(ws, row++, 0, common[i], NULL);
	for (size_t i = 0; i < nmore; i++)
		worksheet_write_string(ws, row++, 0, more[i], NULL);
}

int
sheets_template(jx_req *req, void *ud)
{
	static char *genders[] = {"男", "女", NULL};
	static char *relations[] = {"父亲",   "母亲",   "祖父", "祖母",
	                            "外祖父", "外祖母", "其他", NULL};
	const char *file = jx_host->req_param(req, "file");
	const struct sheets_kind *k = NULL;
	const struct roster_column *cols;
	struct sheets_formats f;
	char path[4096];
	lxw_workbook *wb;
	lxw_worksheet *ws;

	for (size_t i = 0; file != NULL && i < 3; i++)
		if (strncmp(file, sheets_kinds[i].kind,
		            strlen(sheets_kinds[i].kind)) == 0 &&
		    strcmp(file + strlen(sheets_kinds[i].kind), ".xlsx") == 0)
			k = &sheets_kinds[i];
	cols = k ? roster_columns(k->kind) : NULL;
	if (cols == NULL)
		return roster_not_found(req);
	wb = jxp_workbook(jx_host, req, path, sizeof(path), 0);
	if (wb == NULL)
		return roster_storage_error(req);
	sheets_formats_make(wb, &f);
	ws = workbook_add_worksheet(wb, k->sheet);
	sheets_header(req, ws, cols, &f, 1);
	/* Row 2: the notes, row 3: the example; both marked in their first
	 * cell and skipped by the importer. */
	worksheet_set_row(ws, 1, 48, NULL);
	for (int c = 0;
	     cols[c].header != NULL && !roster_column_export_only(&cols[c]);
	     c++) {
		const char *note = cols[c].note ? cols[c].note : "";
		const char *ex = cols[c].example ? cols[c].example : "";
		int text = sheets_is_text(cols[c].alias);

		if (c == 0) {
			note = jx_host->sprintf(req, "说明：%s", note);
			ex = jx_host->sprintf(req, "示例：%s", ex);
		}
		if (*note != '\0')
			worksheet_write_string(ws, 1, (lxw_col_t)c, note,
			                       f.note);
		if (*ex != '\0')
			worksheet_write_string(ws, 2, (lxw_col_t)c, ex,
			                       text ? f.example_text
			                            : f.example);
		if (strcmp(cols[c].alias, "gender") == 0)
			sheets_list(ws, c, genders, "性别请填 男 或 女");
		else if (strstr(cols[c].alias, "relation") != NULL)
			sheets_list(
			    ws, c, relations,
			    "关系一般为 父亲、母亲、祖父、祖母、外祖父、"
			    "外祖母 或 其他");
	}
	sheets_help(wb, k->kind);
	return jxp_workbook_send(jx_host, req, wb, path, k->file_zh,
	                         k->file_ascii);
}

/* ---- GET /api/v1/schools/{sid}/students.xlsx ---------------------------- */

/* The export's value for a student column by its alias. */
struct sheets_student {
	const char *name, *gender, *grade, *klass, *id_number, *national_no,
	    *city_no, *login;
	const char *g[2][3]; /* guardian name, phone, relation */
};

static const char *
sheets_student_value(const struct sheets_student *s, const char *alias)
{
	static const char *const plain[] = {
	    "name",      "gender",      "grade",   "class",
	    "id_number", "national_no", "city_no", "login"};
	const char *const values[] = {s->name,    s->gender,    s->grade,
	                              s->klass,   s->id_number, s->national_no,
	                              s->city_no, s->login};

	for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++)
		if (strcmp(alias, plain[i]) == 0)
			return values[i];
	/* guardian1_name ... guardian2_relation */
	if (strncmp(alias, "guardian", 8) == 0 &&
	    (alias[8] == '1' || alias[8] == '2') && alias[9] == '_') {
		int g = alias[8] - '1';

		if (strcmp(alias + 10, "name") == 0)
			return s->g[g][0];
		if (strcmp(alias + 10, "phone") == 0)
			return s->g[g][1];
		if (strcmp(alias + 10, "relation") == 0)
			return s->g[g][2];
	}
	return NULL;
}

static int
sheets_has(const int64_t *ids, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* Whether the caller's export includes a student of class klass: the
 * whole school for its admins, the classes a teacher teaches or heads. */
static int
sheets_class_ok(const struct jx_identity *me, int all, int64_t klass)
{
	if (all)
		return 1;
	return klass > 0 && (sheets_has(me->class_ids, me->nclass_ids, klass) ||
	                     sheets_has(me->head_of_class_ids,
	                                me->nhead_of_class_ids, klass));
}

int
sheets_export(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), only = 0, count = 0;
	const char *cq = jx_host->req_query(req, "class_id");
	const struct jx_identity *me = jx_host->identity(req);
	const struct roster_column *cols = roster_student_columns;
	jx_db *db = jx_host->req_db(req);
	struct sheets_formats f;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	jx_stmt *st, *gs;
	lxw_row_t row = 1;
	char path[4096];
	cJSON *detail;
	int all;

	if (sid < 0 || !jx_host->may(req, JX_SEE_SCHOOL, sid))
		return roster_not_found(req);
	all = jx_host->may(req, JX_MANAGE_SCHOOL, sid);
	if (!all &&
	    !(jxp_role(jx_host, req, "teacher") && me->school_id == sid))
		return roster_forbidden(req);
	if (cq != NULL) {
		only = atoll(cq);
		if (only <= 0 ||
		    jxp_one(jx_host, db,
		            "SELECT 1 FROM classes WHERE id = ? AND "
		            "school_id = ?",
		            "ii", only, sid) != 1 ||
		    !jx_host->may(req, JX_SEE_CLASS, only))
			return roster_not_found(req);
		if (!sheets_class_ok(me, all, only))
			return roster_forbidden(req);
	}
	wb = jxp_workbook(jx_host, req, path, sizeof(path), 1);
	if (wb == NULL)
		return roster_storage_error(req);
	sheets_formats_make(wb, &f);
	ws = workbook_add_worksheet(wb, "学生");
	sheets_header(req, ws, cols, &f, 0);
	/* constant_memory: rows are written in order and not kept */
	st = jx_host->db_query(
	    db,
	    "SELECT s.person_id, p.name, p.gender, c.id, c.grade, "
	    "c.name, s.id_number_masked, s.national_no_masked, "
	    "s.city_no, a.login FROM students s JOIN persons p ON "
	    "p.id = s.person_id LEFT JOIN classes c ON c.id = "
	    "s.class_id LEFT JOIN host_accounts a ON a.person_id = "
	    "s.person_id WHERE "
	    "s.school_id = ? AND s.status = 'in_school' AND (? = 0 "
	    "OR s.class_id = ?) ORDER BY COALESCE(c.grade, 99), "
	    "LENGTH(c.name), c.name, p.name, s.person_id",
	    "iii", sid, only, only);
	if (st == NULL) {
		workbook_close(wb);
		unlink(path);
		return roster_storage_error(req);
	}
	while (jx_host->db_step(st) == JX_DB_ROW) {
		struct sheets_student s = {0};
		int64_t klass =
		    jx_host->db_is_null(st, 3) ? 0 : jx_host->db_int(st, 3);
		int ng = 0;

		if (!sheets_class_ok(me, all, klass))
			continue;
		s.name = jx_host->strdup(req, jx_host->db_text(st, 1));
		s.gender = jx_host->strdup(req, jx_host->db_text(st, 2));
		if (klass > 0) {
			s.grade = roster_org->grade_label(
			    (int)jx_host->db_int(st, 4));
			s.klass = jx_host->strdup(req, jx_host->db_text(st, 5));
		}
		s.id_number = jx_host->strdup(req, jx_host->db_text(st, 6));
		s.national_no = jx_host->strdup(req, jx_host->db_text(st, 7));
		s.city_no = jx_host->strdup(req, jx_host->db_text(st, 8));
		s.login = jx_host->strdup(req, jx_host->db_text(st, 9));
		gs = jx_host->db_query(
		    db,
		    "SELECT COALESCE(g.display_name, p.name), "
		    "p.phone, g.relation FROM "
		    "guardians g JOIN persons p ON p.id = "
		    "g.parent_id WHERE g.student_id = ? ORDER BY "
		    "g.created_at, g.parent_id",
		    "i", jx_host->db_int(st, 0));
		while (gs != NULL && ng < 2 &&
		       jx_host->db_step(gs) == JX_DB_ROW) {
			for (int k = 0; k < 3; k++)
				s.g[ng][k] = jx_host->strdup(
				    req, jx_host->db_text(gs, k));
			ng++;
		}
		jx_host->db_finish(gs);
		for (int c = 0; cols[c].header != NULL; c++) {
			/* As stored: a string cell is never evaluated, so a
			 * name starting with = stays a name (no CSV is
			 * written here, where it would need neutralising). */
			const char *v = sheets_student_value(&s, cols[c].alias);

			if (v != NULL && *v != '\0')
				worksheet_write_string(
				    ws, row, (lxw_col_t)c, v,
				    sheets_is_text(cols[c].alias) ? f.text
				                                  : NULL);
		}
		row++;
		count++;
	}
	jx_host->db_finish(st);
	/* Personal data left the system: who, which school, how many. */
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "school_id", (double)sid);
	if (only > 0)
		cJSON_AddNumberToObject(detail, "class_id", (double)only);
	cJSON_AddNumberToObject(detail, "students", (double)count);
	if (jx_host->audit(req, "roster.students_exported",
	                   jx_host->sprintf(req, "school:%lld", (long long)sid),
	                   detail) != 0) {
		cJSON_Delete(detail);
		workbook_close(wb);
		unlink(path);
		return roster_storage_error(req);
	}
	cJSON_Delete(detail);
	return jxp_workbook_send(jx_host, req, wb, path, "学生名单.xlsx",
	                         "students.xlsx");
}

/* ---- GET /roster/import ------------------------------------------------- */

int
sheets_import_page(jx_req *req, void *ud)
{
	const struct jx_identity *me = jx_host->identity(req);
	const char *q = jx_host->req_query(req, "school_id");
	int64_t sid = me != NULL ? me->school_id : 0;
	jx_db *db = jx_host->req_db(req);
	static const char *const counts[] = {"created", "updated", "unchanged"};
	cJSON *d, *kinds, *recent, *item;
	jx_stmt *st;

	/* Admins above a school name the school. */
	if (q != NULL)
		sid = atoll(q);
	{
		int denied = roster_manage(req, sid);

		if (denied != 0)
			return denied;
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "roster.import.title"));
	cJSON_AddNumberToObject(d, "school_id", (double)sid);
	st = jx_host->db_query(db, "SELECT name FROM schools WHERE id = ?", "i",
	                       sid);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddStringToObject(d, "school_name",
		                        jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	kinds = cJSON_AddArrayToObject(d, "kinds");
	for (size_t i = 0; i < 3; i++) {
		cJSON *k = cJSON_CreateObject();

		cJSON_AddStringToObject(k, "kind", sheets_kinds[i].kind);
		cJSON_AddStringToObject(
		    k, "template",
		    jx_host->sprintf(req, "/api/v1/imports/templates/%s.xlsx",
		                     sheets_kinds[i].kind));
		cJSON_AddItemToArray(kinds, k);
	}
	/* The last imports of the school, for the history list, with the
	 * counts of each job's result. */
	recent = jx_host->db_rows(
	    db,
	    "SELECT i.job_id, i.kind, i.mode, i.file_name, "
	    "i.created_at, j.state, j.result FROM "
	    "roster_imports i LEFT JOIN jobs j ON j.id = "
	    "i.job_id WHERE i.school_id = ? ORDER BY i.id DESC "
	    "LIMIT 10",
	    "i", sid);
	if (recent == NULL)
		recent = cJSON_CreateArray();
	cJSON_ArrayForEach(item, recent)
	{
		cJSON *res = cJSON_Parse(
		    cJSON_GetStringValue(cJSON_GetObjectItem(item, "result")));

		cJSON_DeleteItemFromObject(item, "result");
		if (res == NULL)
			continue;
		for (size_t i = 0; i < 3; i++) {
			const cJSON *n = cJSON_GetObjectItem(res, counts[i]);

			if (cJSON_IsNumber(n))
				cJSON_AddNumberToObject(item, counts[i],
				                        n->valuedouble);
		}
		cJSON_AddNumberToObject(
		    item, "errors",
		    cJSON_GetArraySize(cJSON_GetObjectItem(res, "errors")));
		cJSON_Delete(res);
	}
	cJSON_AddItemToObject(d, "recent", recent);
	return jx_host->reply_view(req, 200, "roster/import", d);
}
