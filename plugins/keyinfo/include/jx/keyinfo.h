/*
 * jx/keyinfo.h — the keyinfo plugin's service, "keyinfo.v1": what other
 * plugins (statistics) ask of it. Lives with the plugin that exports it;
 * append-only, like struct jx_host (test size before a later field).
 */
#ifndef JX_KEYINFO_H
#define JX_KEYINFO_H

#include <stddef.h>
#include <stdint.h>

#include <jx/plugin.h>

#define JX_KEYINFO_SERVICE "keyinfo.v1"

struct jx_keyinfo_v1 {
	size_t size; /* sizeof(struct jx_keyinfo_v1) of the plugin */
	/*
	 * Runs a rule chunk (source; NULL: the district's active one) over
	 * every student in school in the district, against the stored
	 * results: *out is the dry-run object of API.md (checked,
	 * failing_before, failing_after, newly_failing, newly_passing;
	 * free with cJSON_Delete). 0, or -1 with err (the chunk's error
	 * with its line, or a storage error). On the calling thread's Lua
	 * state and connection; writes nothing.
	 */
	int (*dry_run)(jx_db *db, int64_t district, const char *source,
	               cJSON **out, char *err, size_t errlen);
	/*
	 * (Added for issue 14: test size.) The key-information status of
	 * each in-school student of class klass, the school's stored
	 * results brought up to date first as the progress page does
	 * (which may write: call outside a transaction, on a request
	 * worker): *out is an object {"<student person id>": "complete" |
	 * "incomplete" | "pending"} (free with cJSON_Delete); pending: a
	 * change by the family awaits review; a student whose result is
	 * not computed yet is absent. The caller checks who may see the
	 * class. 0, or -1.
	 */
	int (*class_status)(jx_db *db, int64_t klass, cJSON **out);
	/*
	 * (Added for issue 19, statistics: test size.) The progress's
	 * `complete` counts. school > 0: the school's stored results
	 * brought up to date first as the progress page does (may write:
	 * call outside a transaction), *out {"complete": n, "classes":
	 * {"<class id>": n}}. school 0: the district's schools as its
	 * progress shows them (stored counts, nothing written), *out
	 * {"complete": n, "schools": {"<school id>": n}}. Free with
	 * cJSON_Delete. The caller checks scope. 0, or -1.
	 */
	int (*complete_counts)(jx_db *db, int64_t school, int64_t district,
	                       cJSON **out);
};

#endif
