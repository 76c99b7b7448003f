/*
 * jx/records.h — the records plugin's service "records.v1": record types
 * are plugins. A plugin registers its types at init (records_basic: the
 * ten of the seed; practice: social_practice; a district's own, built
 * out of tree against the installed headers) and may create records
 * (practice's check-ins). The records plugin owns every record row; no
 * other plugin reads or writes its tables.
 *
 *   static const char *const deps[] = {"records", NULL};
 *   ...
 *   const struct jx_records_v1 *rec = h->service(JX_RECORDS_SERVICE);
 *   if (rec == NULL || rec->type(&my_type) != 0)
 *           return -1;
 *
 * Append-only, like struct jx_host: test size before a later field.
 */
#ifndef JX_RECORDS_H
#define JX_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include <jx/plugin.h>

#define JX_RECORDS_SERVICE "records.v1"

/* The field types of API.md's GET /api/v1/record-types. */
enum jx_record_field_type {
	JX_RF_TEXT = 1, /* "text": one line */
	JX_RF_LONGTEXT, /* "longtext": several lines */
	JX_RF_DATE,     /* "date": YYYY-MM-DD */
	JX_RF_NUMBER,   /* "number": decimal (hours: 2.5) */
	JX_RF_CHOICE,   /* "choice": one of choices */
	JX_RF_FILES,    /* "files": ids of POST /api/v1/files, attached */
};

/*
 * One field of a record type. min and max bound a text's length in
 * characters, a number's value, the count of files; both 0: no bound
 * (the records plugin still caps text at its own limits). choices: for
 * JX_RF_CHOICE, the values (NULL-terminated; stored and shown as they
 * are, Chinese), with choices_en their English labels (NULL: the
 * values). is_private: never shown in 公示 (a phone number, a witness).
 */
struct jx_record_field {
	const char *name;     /* key in "fields": [a-z_]+ */
	const char *label_zh; /* the form's label */
	const char *label_en;
	int type; /* enum jx_record_field_type */
	int required;
	double min, max;
	const char *const *choices;
	const char *const *choices_en;
	int is_private;
};

/*
 * A record type. The service copies the struct and the field array
 * (strings, choices and ud must outlive the process).
 *
 * creators: who may create it, comma-separated among student, parent,
 * teacher, head_teacher, school_admin (head_teacher: a teacher heading
 * the student's class; teacher: any teacher of the class); a district's
 * Lua rule may narrow the list, never widen it.
 *
 * validate (may be NULL): after the field checks of the list passed,
 * may refuse fields: returns 0 to accept, else sets field (the field's
 * name) and message (in the request's language when req is not NULL)
 * and returns -1: the record is refused with 422 naming that field.
 * summary (may be NULL): one line describing the record for lists and
 * notifications ("区级 · 三好学生"), written to out.
 */
struct jx_record_type {
	size_t size;          /* sizeof(struct jx_record_type) */
	const char *code;     /* unique: "honor", "labour": [a-z_]+ */
	const char *name_zh;  /* 荣誉记录 */
	const char *name_en;  /* Honours */
	const char *plugin;   /* the registering plugin's name */
	const char *creators; /* "student,parent,teacher,school_admin" */
	int once_per_term; /* at most one per student and term (期终评语) */
	const struct jx_record_field *fields;
	int nfields;
	int (*validate)(jx_req *req, jx_db *db, int64_t student,
	                const cJSON *fields, char *field, size_t fieldlen,
	                char *message, size_t messagelen, void *ud);
	void (*summary)(const cJSON *fields, char *out, size_t outlen,
	                void *ud);
	void *ud;
};

/*
 * A record created by another plugin (records.v1 create): by staff or a
 * plugin's own process, e.g. a practice check-in. term "2026-2027-1";
 * NULL takes the term that holds date. approved 1: status approved at
 * once; 0: draft. Fields of type files are not attached here (no
 * request): leave them out.
 */
struct jx_record_new {
	size_t size;       /* sizeof(struct jx_record_new) */
	int64_t student;   /* the student's person id */
	const char *type;  /* a registered type's code */
	const char *term;  /* or NULL */
	int64_t date;      /* unix time the record is about */
	const char *title; /* required */
	const cJSON *fields;
	int approved;
	int64_t by_person; /* who recorded it (0: the system) */
	const char *ref;   /* the caller's reference ("practice:12"), kept
	                      unique per type: a second create with the
	                      same ref returns the first record's id */
};

struct jx_records_v1 {
	size_t size; /* sizeof(struct jx_records_v1) of the plugin */
	/* Registers a record type (copied). During init only. 0, or -1
	 * (bad type, code taken: logged). */
	int (*type)(const struct jx_record_type *t);
	/*
	 * Creates a record in the caller's transaction on db (the same
	 * checks of fields as the API, except creators and term locking,
	 * which are the caller's business) and notifies the family when
	 * approved. The record's id, or -1 with err (the field at fault
	 * and why, or a storage error).
	 */
	int64_t (*create)(jx_db *db, const struct jx_record_new *r, char *err,
	                  size_t errlen);
};

#endif
