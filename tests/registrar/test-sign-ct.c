/* SPDX-License-Identifier: Apache-2.0 */
/* sign_verify() compares signatures with CRYPTO_memcmp (constant time): the
 * test is linked with -Wl,--wrap=CRYPTO_memcmp and counts the calls. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sign.h"

int __real_CRYPTO_memcmp(const void *a, const void *b, size_t len);
int __wrap_CRYPTO_memcmp(const void *a, const void *b, size_t len);

static unsigned calls;
static size_t last_len;

int __wrap_CRYPTO_memcmp(const void *a, const void *b, size_t len) {
        calls++;
        last_len = len;
        return __real_CRYPTO_memcmp(a, b, len);
}

#define KEY "d70fff7fa24912f3a06caec17c3f64d36010c634c33f04412a8681b72b730b68"
#define NONCE "00112233445566778899aabbccddeeff"

static void test_verify_uses_constant_time_compare(void **state) {
        char h[SIGN_HEADER_MAX];
        struct sign_header p;

        assert_int_equal(sign_request(KEY, "n1", "PUT", "/p", 1, NONCE, "x", 1, h), 0);
        assert_int_equal(sign_parse_header(h, &p), 0);
        calls = 0;
        assert_int_equal(sign_verify(&p, KEY, "PUT", "/p", "x", 1), 0);
        assert_int_equal(calls, 1);
        assert_int_equal(last_len, SIGN_KEY_HEX_LEN);
        p.sig[0] = p.sig[0] == 'a' ? 'b' : 'a';
        assert_int_equal(sign_verify(&p, KEY, "PUT", "/p", "x", 1), -EACCES);
        assert_int_equal(calls, 2);
        assert_int_equal(last_len, SIGN_KEY_HEX_LEN);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_verify_uses_constant_time_compare),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
