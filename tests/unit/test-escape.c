/* SPDX-License-Identifier: Apache-2.0 */
/* Registrar-provided text made safe for a terminal and the journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "macros.h"

static void expect(const char *in, const char *want) {
        char *got = escape_untrusted(in);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
}

static void test_plain_text_unchanged(void **state) {
        expect("192.168.122.3", "192.168.122.3");
        expect("10de:26b9,10de:22bc", "10de:26b9,10de:22bc");
        expect("", "");
        expect(NULL, "");
        expect("n\xc3\xb6"
               "de \xe2\x82\xac \xf0\x9f\x98\x80",
               "n\xc3\xb6"
               "de \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void test_controls_escaped(void **state) {
        /* A colour change, a title change, a cursor move and a clear screen. */
        expect("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
        expect("\x1b]0;owned\x07", "\\x1b]0;owned\\x07");
        expect("a\rb\nc\td", "a\\rb\\nc\\td");
        expect("x\x7fy\x01", "x\\x7fy\\x01");
        /* A fake second log line. */
        expect("ok\nonepci-agent: registration: done", "ok\\nonepci-agent: registration: done");
        /* The backslash is escaped, so the result reads back unambiguously. */
        expect("a\\x1b", "a\\\\x1b");
        /* C1 controls: the 8-bit CSI raw, and as UTF-8 (U+009B). */
        expect("\x9b"
               "2J",
               "\\x9b2J");
        expect("\xc2\x9b"
               "2J",
               "\\xc2\\x9b2J");
        /* Not UTF-8: an overlong ESC, a surrogate, a cut sequence, a stray byte. */
        expect("\xc0\x9b", "\\xc0\\x9b");
        expect("\xed\xa0\x80", "\\xed\\xa0\\x80");
        expect("\xe2\x82", "\\xe2\\x82");
        expect("\xff", "\\xff");
}

static void test_bounded_buffer(void **state) {
        char buf[8];

        /* "ab\x1b" needs 2 + 4 bytes: the escape is never cut. */
        assert_int_equal(escape_untrusted_to("ab\x1b"
                                             "cd",
                                             5, buf, 6),
                         8);
        assert_string_equal(buf, "ab");
        assert_int_equal(escape_untrusted_to("ab\x1b"
                                             "cd",
                                             5, buf, sizeof buf),
                         8);
        assert_string_equal(buf, "ab\\x1bc"); /* then stops: nothing after a cut */
        /* Nor a UTF-8 sequence. */
        assert_int_equal(escape_untrusted_to("abcd\xe2\x82\xac", 7, buf, 6), 7);
        assert_string_equal(buf, "abcd");
        /* Embedded NULs are bytes like others when a length is given. */
        assert_int_equal(escape_untrusted_to("a\0b", 3, buf, sizeof buf), 6);
        assert_string_equal(buf, "a\\x00b");
        assert_int_equal(escape_untrusted_to("abc", 3, buf, 0), 3);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_text_unchanged),
                cmocka_unit_test(test_controls_escaped),
                cmocka_unit_test(test_bounded_buffer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
