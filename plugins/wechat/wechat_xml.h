/*
 * wechat_xml.h — reading the XML of WeChat's callback (a flat <xml> of a
 * few text elements). Separate from the routes so that the fuzz target
 * (tests/fuzz/fuzz_wechat_xml.c) runs the very same code.
 */
#ifndef WECHAT_XML_H
#define WECHAT_XML_H

#include <stddef.h>

/* The longest field kept (longer text is cut); the deepest nesting and
 * the largest body accepted. WeChat sends depth 2 and a few hundred
 * bytes. */
#define WX_XML_FIELD 256
#define WX_XML_DEPTH 8
#define WX_XML_MAX 65536

enum wx_xml_field {
	WX_FROM,     /* FromUserName: the openid */
	WX_MSGTYPE,  /* MsgType */
	WX_EVENT,    /* Event */
	WX_MSGID,    /* MsgID (TEMPLATESENDJOBFINISH) */
	WX_STATUS,   /* Status */
	WX_MSGID_LC, /* MsgId, as some events spell it */
	WX_NFIELDS
};

/* The second-level elements the callback reads, "" when absent. */
struct wx_event {
	char v[WX_NFIELDS][WX_XML_FIELD];
};

/* Parses body into *e. 0, or -1 when it is not well-formed XML, nests
 * deeper than WX_XML_DEPTH, is larger than WX_XML_MAX or has a document
 * type declaration (WeChat sends none; refusing it keeps entity
 * expansion, which recurses inside expat, out of reach). Parsing stops
 * at the first of these, and expat keeps its element stack on the heap:
 * the call uses a bounded, small amount of the caller's stack. */
int wx_xml_parse(const char *body, size_t len, struct wx_event *e);

#endif
