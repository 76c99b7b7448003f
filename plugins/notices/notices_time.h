/*
 * notices_time.h — the notices plugin's time arithmetic, kept free of the
 * host so a unit test can run it: quiet hours in local time (the process
 * time zone, which the host sets from the config's `timezone`) and ISO
 * 8601 times as the API speaks them.
 */
#ifndef NOTICES_TIME_H
#define NOTICES_TIME_H

#include <stddef.h>
#include <stdint.h>

/* "21:30" → 1290 minutes after midnight; -1 when not HH:MM. */
int notices_minutes(const char *hhmm);

/*
 * The end of the quiet hours [from, to) (minutes of the local day; from >
 * to spans midnight) when now falls inside them, else 0. from == to or a
 * negative value means no quiet hours.
 */
int64_t notices_quiet_end(int64_t now, int from, int to);

/* ISO 8601 times are parsed by pluginlib's jxp_parse_time. */

#endif
