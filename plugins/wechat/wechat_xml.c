/*
 * wechat_xml.c — the callback's XML, read with expat (see wechat_xml.h).
 */
#include "wechat_xml.h"

#include <string.h>

#include <expat.h>

static const char *const wx_xml_names[WX_NFIELDS] = {
    "FromUserName", "MsgType", "Event", "MsgID", "Status", "MsgId"};

struct wx_xml {
	XML_Parser x;
	struct wx_event *e;
	int depth, field; /* field: index into wx_xml_names, -1 none */
	int refused;
};

static void
wx_xml_refuse(struct wx_xml *s)
{
	s->refused = 1;
	XML_StopParser(s->x, XML_FALSE);
}

static void XMLCALL
wx_xml_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct wx_xml *s = ud;

	(void)atts;
	s->depth++;
	s->field = -1;
	if (s->depth > WX_XML_DEPTH) {
		wx_xml_refuse(s);
		return;
	}
	if (s->depth != 2)
		return;
	for (int i = 0; i < WX_NFIELDS; i++)
		if (strcmp(name, wx_xml_names[i]) == 0)
			s->field = i;
}

static void XMLCALL
wx_xml_end(void *ud, const XML_Char *name)
{
	struct wx_xml *s = ud;

	(void)name;
	s->depth--;
	s->field = -1;
}

static void XMLCALL
wx_xml_text(void *ud, const XML_Char *text, int len)
{
	struct wx_xml *s = ud;
	char *v;
	size_t have, room;

	if (s->field < 0 || len <= 0)
		return;
	v = s->e->v[s->field];
	have = strlen(v);
	room = WX_XML_FIELD - 1 - have;
	if ((size_t)len < room)
		room = (size_t)len;
	memcpy(v + have, text, room);
	v[have + room] = '\0';
}

static void XMLCALL
wx_xml_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
               const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	wx_xml_refuse(ud);
}

int
wx_xml_parse(const char *body, size_t len, struct wx_event *e)
{
	struct wx_xml s;
	int ok;

	memset(e, 0, sizeof(*e));
	if (len > WX_XML_MAX)
		return -1;
	memset(&s, 0, sizeof(s));
	s.e = e;
	s.field = -1;
	s.x = XML_ParserCreate("UTF-8");
	if (s.x == NULL)
		return -1;
	XML_SetUserData(s.x, &s);
	XML_SetElementHandler(s.x, wx_xml_start, wx_xml_end);
	XML_SetCharacterDataHandler(s.x, wx_xml_text);
	XML_SetStartDoctypeDeclHandler(s.x, wx_xml_doctype);
	ok = XML_Parse(s.x, body, (int)len, 1) == XML_STATUS_OK && !s.refused;
	XML_ParserFree(s.x);
	if (!ok)
		memset(e, 0, sizeof(*e));
	return ok ? 0 : -1;
}
