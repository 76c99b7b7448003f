/*
 * jx/keyinfo.h — the keyinfo plugin's service, "keyinfo.v1": what the
 * host's `jiaxiao rules check` and other plugins (statistics) ask of it.
 */
#ifndef JX_KEYINFO_H
#define JX_KEYINFO_H

#include <stdint.h>

#include <jx/plugin.h>

#define JX_KEYINFO_SERVICE "keyinfo.v1"

struct jx_keyinfo_v1 {
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
};

#endif
