/* SPDX-License-Identifier: Apache-2.0 */
/* Registrar-provided text made safe for a terminal and the journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "error-message.h"
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

static void expect_masked(const char *in, const char *want) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", in);
        assert_int_equal(mask_url_userinfo(buf, strlen(buf)), strlen(want));
        assert_string_equal(buf, want);
}

static void test_url_userinfo_masked(void **state) {
        expect_masked("http://oneadmin:pw@10.0.0.1:2633/RPC2", "http://***@10.0.0.1:2633/RPC2");
        expect_masked("a http://u:p@h/x and https://v:q@k/y", "a http://***@h/x and https://***@k/y");
        /* A user without a password, and no URL at all, stay as they are. */
        expect_masked("http://user@host/", "http://user@host/");
        expect_masked("no url: here@there", "no url: here@there");
}

/* An inventory's names reach messages: error_message_format() escapes them. */
static void test_error_message_format_escapes(void **state) {
        struct error_message err = {0};
        char line[ERROR_MESSAGE_FORMAT_MAX];

        error_set_at(&err, "inv\033.yml", 3, 5, "gpu\033[2J", "host gpu\033]0;x\a: bad");
        error_message_format(&err, NULL, NULL, line, sizeof line);
        assert_null(strchr(line, '\033'));
        assert_null(strchr(line, '\a'));
        assert_string_equal(line, "inv\\x1b.yml:3:5: host gpu\\x1b]0;x\\x07: bad "
                                  "(value: \"gpu\\x1b[2J\")");

        /* Without a place: the fallback file, and the fallback text when none was set. */
        err = (struct error_message){0};
        assert_string_equal(error_message_format(&err, "/etc/one/inv.yml", "No such file", line,
                                                 sizeof line),
                            "/etc/one/inv.yml: No such file");
        error_set(&err, "line\nbreak");
        assert_string_equal(error_message_format(&err, "f", NULL, line, sizeof line),
                            "f: line\\nbreak");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_text_unchanged),
                cmocka_unit_test(test_controls_escaped),
                cmocka_unit_test(test_bounded_buffer),
                cmocka_unit_test(test_url_userinfo_masked),
                cmocka_unit_test(test_error_message_format_escapes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
