/*
 * test_rules.c — the roster's row rules: grade names, classes written
 * with their grade, gender words, ID-number shape and check digit.
 */
#include "check.h"
#include "roster.h"

/* The rules use neither table; the plugin's files want the symbols. */
JX_HOST_DECLARE;
const struct jx_org_v1 *roster_org;

int
main(void)
{
	char name[64], id[19];
	int grade;

	/* grades */
	CHECK(roster_parse_grade("1") == 1);
	CHECK(roster_parse_grade("12") == 12);
	CHECK(roster_parse_grade("7年级") == 7);
	CHECK(roster_parse_grade("一年级") == 1);
	CHECK(roster_parse_grade("九年级") == 9);
	CHECK(roster_parse_grade("初一") == 7);
	CHECK(roster_parse_grade("初三") == 9);
	CHECK(roster_parse_grade("高一") == 10);
	CHECK(roster_parse_grade("高三") == 12);
	CHECK(roster_parse_grade("0") == 0);
	CHECK(roster_parse_grade("13") == 0);
	CHECK(roster_parse_grade("十年级") == 0);
	CHECK(roster_parse_grade("") == 0);
	CHECK(roster_parse_grade(NULL) == 0);
	CHECK(roster_parse_grade("1a") == 0);

	/* classes written with their grade */
	CHECK(roster_parse_grade_class("七年级1班", &grade, name,
	                               sizeof(name)) == 0);
	CHECK(grade == 7);
	CHECK_STR(name, "1班");
	CHECK(roster_parse_grade_class("7年级3班", &grade, name,
	                               sizeof(name)) == 0);
	CHECK(grade == 7);
	CHECK_STR(name, "3班");
	CHECK(roster_parse_grade_class("初一(2)班", &grade, name,
	                               sizeof(name)) == 0);
	CHECK(grade == 7);
	CHECK_STR(name, "2班");
	CHECK(roster_parse_grade_class("高二3班", &grade, name, sizeof(name)) ==
	      0);
	CHECK(grade == 11);
	CHECK_STR(name, "3班");
	CHECK(roster_parse_grade_class("1班", &grade, name, sizeof(name)) ==
	      -1);
	CHECK(roster_parse_grade_class("实验1班", &grade, name, sizeof(name)) ==
	      -1);
	CHECK(roster_parse_grade_class("初一(2班", &grade, name,
	                               sizeof(name)) == -1);
	CHECK(roster_parse_grade_class("七年级", &grade, name, sizeof(name)) ==
	      -1);

	/* gender */
	CHECK_STR(roster_gender("男"), "男");
	CHECK_STR(roster_gender("Female"), "女");
	CHECK_STR(roster_gender("m"), "男");
	CHECK(roster_gender("未知") == NULL);
	CHECK(roster_gender(NULL) == NULL);

	/* ID numbers: shape, lower-case x, check digit */
	CHECK(roster_id_number("11010519491231002x", id, sizeof(id)) == 0);
	CHECK_STR(id, "11010519491231002X");
	CHECK(roster_id_checksum_ok(id));
	CHECK(roster_id_number("110105201001010010", id, sizeof(id)) == 0);
	CHECK(roster_id_checksum_ok(id));
	CHECK(roster_id_number("110105201001010011", id, sizeof(id)) == 0);
	CHECK(!roster_id_checksum_ok(id));
	CHECK(roster_id_number("1101052010010100", id, sizeof(id)) == -1);
	CHECK(roster_id_number("11010520100101001A", id, sizeof(id)) == -1);
	CHECK(roster_id_number("X10105201001010010", id, sizeof(id)) == -1);
	CHECK(roster_id_number(NULL, id, sizeof(id)) == -1);
	return check_done();
}
