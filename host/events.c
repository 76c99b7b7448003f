/*
 * events.c — in-transaction publish/subscribe between plugins. A
 * subscriber runs synchronously on the publisher's connection, inside
 * its transaction, so what it writes commits or rolls back with the
 * publisher's change.
 */
#include "host.h"

#include <string.h>

int
events_publish(jx_db *db, const char *event, const cJSON *payload)
{
	for (int i = 0; i < app.nsubs; i++) {
		const struct subscription *s = &app.subs[i];
		int rc, prev;

		if (strcmp(s->event, event) != 0 ||
		    app.plugins[s->plugin].state != PLUGIN_ACTIVE)
			continue;
		prev = plugin_enter();
		rc = s->fn(db, event, payload, s->ud);
		plugin_leave(prev);
		if (rc != 0) {
			jx_log(JX_LOG_WARN, app.plugins[s->plugin].name,
			       "subscriber of %s refused (%d)", event, rc);
			return rc;
		}
	}
	return 0;
}
