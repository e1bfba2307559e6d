/* SPDX-License-Identifier: Apache-2.0 */
/* Request signing: known vectors (computed independently with Python's hmac
 * module), tampering with every signed field, and strict header parsing. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sign.h"

/* secret = bytes 0x00..0x1f */
static uint8_t secret[32];
#define N1_KEY "d70fff7fa24912f3a06caec17c3f64d36010c634c33f04412a8681b72b730b68"
#define NONCE "00112233445566778899aabbccddeeff"
#define N1_KEY_UPPER "D70FFF7FA24912F3A06CAEC17C3F64D36010C634C33F04412A8681B72B730B68"
#define N1_KEY_BAD "g70fff7fa24912f3a06caec17c3f64d36010c634c33f04412a8681b72b730b68"
#define PUT_SIG_UPPER "65882EA97371B95861235BE31E60A780E1A127531A230DCA963ECB4842846A67"
#define H "ONEPCI-HMAC-SHA256 "
#define BODY "{\"schema\":1}"
#define PUT_SIG "65882ea97371b95861235be31e60a780e1a127531a230dca963ecb4842846a67"
#define GET_SIG "a55b92dd03a440941565e2bba21692e3e2530d279b9041fd35ecbc88cf0fec68"

static int setup(void **state) {
        for (size_t i = 0; i < sizeof(secret); i++)
                secret[i] = (uint8_t)i;
        return 0;
}

static void test_node_names(void **state) {
        assert_true(sign_node_name_valid("n1"));
        assert_true(sign_node_name_valid("a.b_c-d"));
        assert_true(sign_node_name_valid("0"));
        char long_ok[65], long_bad[66];
        memset(long_ok, 'a', 64);
        long_ok[64] = '\0';
        memset(long_bad, 'a', 65);
        long_bad[65] = '\0';
        assert_true(sign_node_name_valid(long_ok));
        assert_false(sign_node_name_valid(long_bad));
        assert_false(sign_node_name_valid(""));
        assert_false(sign_node_name_valid(NULL));
        assert_false(sign_node_name_valid("-n1"));
        assert_false(sign_node_name_valid(".n1"));
        assert_false(sign_node_name_valid("n 1"));
        assert_false(sign_node_name_valid("n1,"));
        assert_false(sign_node_name_valid("n1/x"));
        assert_false(sign_node_name_valid("n1\n"));
}

static void test_derive_known_vector(void **state) {
        char key[SIGN_KEY_HEX_LEN + 1];
        assert_int_equal(sign_derive_node_key(secret, sizeof(secret), "n1", key), 0);
        assert_string_equal(key, N1_KEY);
        /* Another name gives another key. */
        assert_int_equal(sign_derive_node_key(secret, sizeof(secret), "n2", key), 0);
        assert_string_not_equal(key, N1_KEY);
        assert_int_equal(sign_derive_node_key(secret, sizeof(secret), "bad name", key), -EINVAL);
        assert_int_equal(sign_derive_node_key(secret, 0, "n1", key), -EINVAL);
}

static void test_parse_hex_key(void **state) {
        uint8_t k[32];
        assert_int_equal(sign_parse_hex_key(N1_KEY, k), 0);
        assert_int_equal(k[0], 0xd7);
        assert_int_equal(k[31], 0x68);
        assert_int_equal(sign_parse_hex_key(N1_KEY "\n", k), 0);
        assert_int_equal(sign_parse_hex_key(N1_KEY_UPPER, k), 0);
        assert_int_equal(k[0], 0xd7);
        assert_int_equal(sign_parse_hex_key(N1_KEY "\n\n", k), -EINVAL);
        assert_int_equal(sign_parse_hex_key(N1_KEY " ", k), -EINVAL);
        assert_int_equal(sign_parse_hex_key(N1_KEY "00", k), -EINVAL);
        assert_int_equal(sign_parse_hex_key("d70fff", k), -EINVAL);
        assert_int_equal(sign_parse_hex_key(N1_KEY_BAD, k), -EINVAL);
        assert_int_equal(sign_parse_hex_key("", k), -EINVAL);
        assert_int_equal(sign_parse_hex_key(NULL, k), -EINVAL);
}

static void test_nonce(void **state) {
        char a[SIGN_NONCE_HEX_LEN + 1], b[SIGN_NONCE_HEX_LEN + 1];
        assert_int_equal(sign_new_nonce(a), 0);
        assert_int_equal(sign_new_nonce(b), 0);
        assert_int_equal(strlen(a), SIGN_NONCE_HEX_LEN);
        assert_int_equal(strspn(a, "0123456789abcdef"), SIGN_NONCE_HEX_LEN);
        assert_string_not_equal(a, b);
}

static void test_sign_known_vector(void **state) {
        char h[SIGN_HEADER_MAX];
        assert_int_equal(sign_request(N1_KEY, "n1", "PUT", "/v1/hosts/n1/pci", 1700000000, NONCE,
                                      BODY, strlen(BODY), h),
                         0);
        assert_string_equal(h, "ONEPCI-HMAC-SHA256 node=n1, ts=1700000000, nonce=" NONCE
                               ", sig=" PUT_SIG);
        assert_int_equal(sign_request(N1_KEY, "n1", "GET", "/v1/hosts/n1", 0, NONCE, NULL, 0, h),
                         0);
        assert_string_equal(h, "ONEPCI-HMAC-SHA256 node=n1, ts=0, nonce=" NONCE ", sig=" GET_SIG);
}

static void test_sign_rejects_bad_input(void **state) {
        char h[SIGN_HEADER_MAX];
        assert_int_equal(sign_request("nothex", "n1", "PUT", "/p", 1, NONCE, "", 0, h), -EINVAL);
        assert_int_equal(sign_request(N1_KEY, "n 1", "PUT", "/p", 1, NONCE, "", 0, h), -EINVAL);
        assert_int_equal(sign_request(N1_KEY, "n1", "PUT", "/p", 1, "abc", "", 0, h), -EINVAL);
        assert_int_equal(sign_request(N1_KEY, "n1", "PUT", "/p\n", 1, NONCE, "", 0, h), -EINVAL);
        assert_int_equal(sign_request(N1_KEY, "n1", "PUT", "/p", -1, NONCE, "", 0, h), -EINVAL);
}

static void test_roundtrip_and_tamper(void **state) {
        char h[SIGN_HEADER_MAX];
        struct sign_header p;
        const char *other_key = "0000000000000000000000000000000000000000000000000000000000000000";

        assert_int_equal(sign_request(N1_KEY, "n1", "PUT", "/v1/hosts/n1/pci", 1700000000, NONCE,
                                      BODY, strlen(BODY), h),
                         0);
        assert_int_equal(sign_parse_header(h, &p), 0);
        assert_string_equal(p.node, "n1");
        assert_int_equal(p.ts, 1700000000);
        assert_string_equal(p.nonce, NONCE);
        assert_string_equal(p.sig, PUT_SIG);

        assert_int_equal(sign_verify(&p, N1_KEY, "PUT", "/v1/hosts/n1/pci", BODY, strlen(BODY)), 0);
        /* Each signed input changed alone breaks the signature. */
        assert_int_equal(sign_verify(&p, other_key, "PUT", "/v1/hosts/n1/pci", BODY, strlen(BODY)),
                         -EACCES);
        assert_int_equal(sign_verify(&p, N1_KEY, "GET", "/v1/hosts/n1/pci", BODY, strlen(BODY)),
                         -EACCES);
        assert_int_equal(sign_verify(&p, N1_KEY, "PUT", "/v1/hosts/n2/pci", BODY, strlen(BODY)),
                         -EACCES);
        assert_int_equal(
                sign_verify(&p, N1_KEY, "PUT", "/v1/hosts/n1/pci", "{\"schema\":2}", strlen(BODY)),
                -EACCES);
        assert_int_equal(sign_verify(&p, N1_KEY, "PUT", "/v1/hosts/n1/pci", BODY, strlen(BODY) - 1),
                         -EACCES);
        struct sign_header t = p;
        t.ts++;
        assert_int_equal(sign_verify(&t, N1_KEY, "PUT", "/v1/hosts/n1/pci", BODY, strlen(BODY)),
                         -EACCES);
        t = p;
        t.nonce[0] = '1';
        assert_int_equal(sign_verify(&t, N1_KEY, "PUT", "/v1/hosts/n1/pci", BODY, strlen(BODY)),
                         -EACCES);
        /* The last character matters too (a compare that stops early would miss nothing here,
         * but one comparing a prefix would). */
        t = p;
        t.sig[SIGN_KEY_HEX_LEN - 1] = t.sig[SIGN_KEY_HEX_LEN - 1] == '0' ? '1' : '0';
        assert_int_equal(sign_verify(&t, N1_KEY, "PUT", "/v1/hosts/n1/pci", BODY, strlen(BODY)),
                         -EACCES);
        t = p;
        t.sig[0] = t.sig[0] == '0' ? '1' : '0';
        assert_int_equal(sign_verify(&t, N1_KEY, "PUT", "/v1/hosts/n1/pci", BODY, strlen(BODY)),
                         -EACCES);
}

static void test_parse_header_strict(void **state) {
        struct sign_header p;
        const char *ok = "ONEPCI-HMAC-SHA256 node=n1, ts=5, nonce=" NONCE ", sig=" PUT_SIG;
        static const char *const bad[] = {
                "",
                "ONEPCI-HMAC-SHA256",
                "onepci-hmac-sha256 node=n1, ts=5, nonce=" NONCE ", sig=" PUT_SIG,
                "Bearer node=n1, ts=5, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256  node=n1, ts=5, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=n1,ts=5, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 ts=5, node=n1, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=, ts=5, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=n 1, ts=5, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=-n1, ts=5, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=n1, ts=-5, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=n1, ts=+5, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=n1, ts=05, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=n1, ts=5x, nonce=" NONCE ", sig=" PUT_SIG,
                H "node=n1, ts=99999999999999999999, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=n1, ts=, nonce=" NONCE ", sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=n1, ts=5, nonce=0011, sig=" PUT_SIG,
                H "node=n1, ts=5, nonce=00112233445566778899AABBCCDDEEFF, sig=" PUT_SIG,
                "ONEPCI-HMAC-SHA256 node=n1, ts=5, nonce=" NONCE ", sig=" PUT_SIG "0",
                "ONEPCI-HMAC-SHA256 node=n1, ts=5, nonce=" NONCE ", sig=" PUT_SIG " ",
                "ONEPCI-HMAC-SHA256 node=n1, ts=5, nonce=" NONCE ", sig=" PUT_SIG ", x=1",
                "ONEPCI-HMAC-SHA256 node=n1, ts=5, nonce=" NONCE ", sig=",
                "ONEPCI-HMAC-SHA256 node=n1, ts=5, nonce=" NONCE,
                H "node=n1, ts=5, nonce=" NONCE ", sig=" PUT_SIG_UPPER,
        };

        assert_int_equal(sign_parse_header(ok, &p), 0);
        assert_int_equal(p.ts, 5);
        assert_int_equal(sign_parse_header("ONEPCI-HMAC-SHA256 node=n1, ts=0, nonce=" NONCE
                                           ", sig=" PUT_SIG,
                                           &p),
                         0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&p, 0, sizeof(p));
                if (sign_parse_header(bad[i], &p) != -EINVAL)
                        fail_msg("accepted: \"%s\"", bad[i]);
        }
        assert_int_equal(sign_parse_header(NULL, &p), -EINVAL);
}

/* Response signatures (sign.h, "Responses"): a known vector, then every
 * signed field tampered with, and the arguments refused. */
#define DATE "Sun, 06 Nov 1994 08:49:37 GMT"
#define RESP_SIG "51cc2ced66331b964932c7a0775b2fb74e3c186985a354d84c2a1ea0d1e07e91"
#define RESP_SIG_EMPTY_401 "430e730a00628ee256d9d51c49d07d3619ee4802b393f1fe98f5b8a5c45ec345"
static void test_response_signature(void **state) {
        const char *other_nonce = "ffeeddccbbaa99887766554433221100";
        char sig[SIGN_KEY_HEX_LEN + 1], bad[SIGN_KEY_HEX_LEN + 1];

        assert_int_equal(sign_response(N1_KEY, 200, DATE, NONCE, BODY, strlen(BODY), sig), 0);
        assert_string_equal(sig, RESP_SIG);
        assert_int_equal(sign_response(N1_KEY, 401, DATE, NONCE, NULL, 0, sig), 0);
        assert_string_equal(sig, RESP_SIG_EMPTY_401);

        assert_int_equal(
                sign_verify_response(N1_KEY, 200, DATE, NONCE, BODY, strlen(BODY), RESP_SIG), 0);
        /* Each signed field changed. */
        assert_int_equal(
                sign_verify_response(N1_KEY, 201, DATE, NONCE, BODY, strlen(BODY), RESP_SIG),
                -EACCES);
        assert_int_equal(sign_verify_response(N1_KEY, 200, "Sun, 06 Nov 1994 08:49:38 GMT", NONCE,
                                              BODY, strlen(BODY), RESP_SIG),
                         -EACCES);
        assert_int_equal(
                sign_verify_response(N1_KEY, 200, DATE, other_nonce, BODY, strlen(BODY), RESP_SIG),
                -EACCES);
        assert_int_equal(
                sign_verify_response(N1_KEY, 200, DATE, NONCE, BODY, strlen(BODY) - 1, RESP_SIG),
                -EACCES);
        /* Another node's key. */
        char n2[SIGN_KEY_HEX_LEN + 1];
        assert_int_equal(sign_derive_node_key(secret, sizeof(secret), "n2", n2), 0);
        assert_int_equal(sign_verify_response(n2, 200, DATE, NONCE, BODY, strlen(BODY), RESP_SIG),
                         -EACCES);
        /* The signature itself: missing, flipped, upper case, short. */
        assert_int_equal(sign_verify_response(N1_KEY, 200, DATE, NONCE, BODY, strlen(BODY), NULL),
                         -EACCES);
        memcpy(bad, RESP_SIG, sizeof(bad));
        bad[10] = bad[10] == '0' ? '1' : '0';
        assert_int_equal(sign_verify_response(N1_KEY, 200, DATE, NONCE, BODY, strlen(BODY), bad),
                         -EACCES);
        for (size_t i = 0; i < SIGN_KEY_HEX_LEN; i++)
                bad[i] = RESP_SIG[i] >= 'a' ? (char)(RESP_SIG[i] - 'a' + 'A') : RESP_SIG[i];
        assert_int_equal(sign_verify_response(N1_KEY, 200, DATE, NONCE, BODY, strlen(BODY), bad),
                         -EACCES);
        assert_int_equal(sign_verify_response(N1_KEY, 200, DATE, NONCE, BODY, strlen(BODY), "51cc"),
                         -EACCES);
        /* Arguments that would make two answers sign alike, or no answer at all. */
        assert_int_equal(sign_response(N1_KEY, 200, DATE "\n", NONCE, BODY, strlen(BODY), sig),
                         -EINVAL);
        assert_int_equal(sign_response(N1_KEY, 200, DATE, NONCE "\n", BODY, strlen(BODY), sig),
                         -EINVAL);
        assert_int_equal(sign_response(N1_KEY, 200, NULL, NONCE, BODY, strlen(BODY), sig), -EINVAL);
        assert_int_equal(sign_response(N1_KEY, 200, DATE, NULL, BODY, strlen(BODY), sig), -EINVAL);
        assert_int_equal(sign_response(N1_KEY, 200, DATE, NONCE, NULL, 3, sig), -EINVAL);
        assert_int_equal(sign_response(N1_KEY, 99, DATE, NONCE, BODY, strlen(BODY), sig), -EINVAL);
        assert_int_equal(sign_response(N1_KEY, 1000, DATE, NONCE, BODY, strlen(BODY), sig),
                         -EINVAL);
        assert_int_equal(sign_response(N1_KEY_BAD, 200, DATE, NONCE, BODY, strlen(BODY), sig),
                         -EINVAL);
        assert_int_equal(
                sign_verify_response(N1_KEY, 200, DATE "\r", NONCE, BODY, strlen(BODY), RESP_SIG),
                -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_node_names),
                cmocka_unit_test(test_derive_known_vector),
                cmocka_unit_test(test_parse_hex_key),
                cmocka_unit_test(test_nonce),
                cmocka_unit_test(test_sign_known_vector),
                cmocka_unit_test(test_sign_rejects_bad_input),
                cmocka_unit_test(test_roundtrip_and_tamper),
                cmocka_unit_test(test_parse_header_strict),
                cmocka_unit_test(test_response_signature),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
