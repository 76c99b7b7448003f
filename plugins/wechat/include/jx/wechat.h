/*
 * jx/wechat.h — service "wechat.v1", exported by the wechat plugin.
 *
 *   const struct jx_wechat_v1 *wx = host->service("wechat.v1");
 *   if (wx != NULL && wx->followed(db, person_id) == 1) ...
 *
 * The table is NULL when the plugin is not loaded: callers treat that
 * as "no WeChat". Append-only: test size before a later field.
 */
#ifndef JX_WECHAT_H
#define JX_WECHAT_H

#include <stddef.h>
#include <stdint.h>

#include <jx/plugin.h>

struct jx_wechat_v1 {
	size_t size; /* sizeof(struct jx_wechat_v1) of the plugin */
	/*
	 * Whether a person can be reached by WeChat template messages:
	 * 1 when an openid bound to the person's account is followed (not
	 * known to have unsubscribed, refused with 43004 or been invalid),
	 * 0 when the person has bindings but none is reachable, -1 when
	 * the person has no binding (or on a database error).
	 */
	int (*followed)(jx_db *db, int64_t person_id);
};

#endif
