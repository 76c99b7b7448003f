/*
 * test_orgsvc.c — the 全国学籍号 forms that embed an ID number
 * (orgsvc.c): normalisation (full-width forms, spaces, case), which forms
 * embed one (G + the ID number, a bare ID number; not J or L numbers),
 * the mask, which never shows more of the ID number than the ID
 * number's own mask, and the stored columns (sealed only when
 * embedding; the hash of the normalised value).
 */
#include "check.h"
#include "crypto.h"
#include "host.h"
#include "org.h"

#include <jx/org.h>

#include <stdlib.h>
#include <unistd.h>

int
main(void)
{
	char out[64], idmask[64], dir[] = "/tmp/jx-orgsvc-XXXXXX", err[256];
	char hash[65], hash2[65], shown[64], *sealed = NULL, *open;

	CHECK(org_national_norm(" g430104201905010011 ", out, sizeof(out)) ==
	      0);
	CHECK_STR(out, "G430104201905010011");
	/* full-width G and digits, an ideographic space */
	CHECK(org_national_norm("\xef\xbc\xa7\xef\xbc\x94\xef\xbc\x93"
	                        "0104201905010011\xe3\x80\x80",
	                        out, sizeof(out)) == 0);
	CHECK_STR(out, "G430104201905010011");
	CHECK(org_national_norm("G430104201905010011", out, 8) == -1);

	CHECK(org_national_embeds_id("G430104201905010011"));
	CHECK(org_national_embeds_id("G43010420190501001X"));
	CHECK(org_national_embeds_id("G43010420190501001")); /* one short */
	CHECK(org_national_embeds_id("430104201905010011")); /* bare */
	CHECK(!org_national_embeds_id("J430104201905010011"));
	CHECK(!org_national_embeds_id("L430104201905010011"));
	CHECK(!org_national_embeds_id("G2026000001")); /* a short local no */
	CHECK(!org_national_embeds_id(""));
	CHECK(!org_national_embeds_id(NULL));

	/* The G number's mask is G and the ID number's mask. */
	org_id_mask("430104201905010011", idmask, sizeof(idmask));
	org_national_mask("G430104201905010011", out, sizeof(out));
	CHECK(out[0] == 'G');
	CHECK_STR(out + 1, idmask);
	CHECK_STR(out, "G430***********0011");
	org_national_mask("430104201905010011", out, sizeof(out));
	CHECK_STR(out, idmask);
	org_national_mask("L430104201908200031", out, sizeof(out));
	CHECK_STR(out, "L430104201908200031");
	org_national_mask("G430104201905010011", out, 5);
	CHECK(strlen(out) < 5 && strchr(out, '1') == NULL);

	/* The stored columns, with a key of its own. */
	CHECK(mkdtemp(dir) != NULL);
	CHECK(crypto_setup(dir, 1, 1, err, sizeof(err)) == 0);
	{
		const struct jx_org_v1 *o = &orgsvc_table;

		CHECK(o->national_seal("G430104201905010011", &sealed, hash,
		                       shown, sizeof(shown)) == 0);
		CHECK(sealed != NULL &&
		      strstr(sealed, "430104201905010011") == NULL);
		CHECK_STR(shown, "G430***********0011");
		open = o->id_open(sealed);
		CHECK_STR(open, "G430104201905010011");
		free(open);
		free(sealed);
		o->lookup_hash("G430104201905010011", hash2);
		CHECK_STR(hash, hash2);
		CHECK(o->national_seal("L430104201908200031", &sealed, hash,
		                       shown, sizeof(shown)) == 0);
		CHECK(sealed == NULL);
		CHECK_STR(shown, "L430104201908200031");
	}
	crypto_teardown();
	{
		char key[sizeof(dir) + 16];

		snprintf(key, sizeof(key), "%s/secret.key", dir);
		unlink(key);
		rmdir(dir);
	}
	return check_done();
}
