/* SPDX-License-Identifier: Apache-2.0 */
/* The pure parts of HA support: RAFT and ZONE answers, which failures an
 * election explains, and the sync-lock document (issue 14). */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc-lock.h"
#include "one-zone.h"

#define S(x) x, strlen(x)

static void test_raft(void **state) {
        struct one_raft r;

        assert_int_equal(one_raft_parse(S("<RAFT><SERVER_ID>1</SERVER_ID><STATE>2</STATE><TERM>"
                                          "1</TERM><VOTEDFOR>0</VOTEDFOR><COMMIT>2</COMMIT>"
                                          "<LOG_INDEX>2</LOG_INDEX><FEDLOG_INDEX>-1"
                                          "</FEDLOG_INDEX></RAFT>"),
                                        &r),
                         0);
        assert_int_equal(r.server_id, 1);
        assert_int_equal(r.state, ONE_RAFT_FOLLOWER);
        assert_int_equal(r.term, 1);
        assert_int_equal(r.votedfor, 0);
        assert_int_equal(r.commit, 2);
        assert_int_equal(r.log_index, 2);
        /* a solo oned */
        assert_int_equal(one_raft_parse(S("<RAFT><SERVER_ID>-1</SERVER_ID><STATE>0</STATE><TERM>"
                                          "0</TERM><VOTEDFOR>-1</VOTEDFOR><COMMIT>0</COMMIT>"
                                          "<LOG_INDEX>0</LOG_INDEX></RAFT>"),
                                        &r),
                         0);
        assert_int_equal(r.state, ONE_RAFT_SOLO);
        assert_int_equal(r.server_id, -1);
        /* not a RAFT, a field missing, a state out of range, garbage */
        assert_int_equal(one_raft_parse(S("<ZONE/>"), &r), -EBADMSG);
        assert_int_equal(
                one_raft_parse(S("<RAFT><SERVER_ID>1</SERVER_ID><STATE>2</STATE></RAFT>"), &r),
                -EBADMSG);
        assert_int_equal(one_raft_parse(S("<RAFT><SERVER_ID>1</SERVER_ID><STATE>4</STATE><TERM>1"
                                          "</TERM><VOTEDFOR>0</VOTEDFOR><COMMIT>2</COMMIT>"
                                          "<LOG_INDEX>2</LOG_INDEX></RAFT>"),
                                        &r),
                         -EBADMSG);
        assert_int_equal(one_raft_parse(S("<RAFT><SERVER_ID>x</SERVER_ID><STATE>2</STATE><TERM>1"
                                          "</TERM><VOTEDFOR>0</VOTEDFOR><COMMIT>2</COMMIT>"
                                          "<LOG_INDEX>2</LOG_INDEX></RAFT>"),
                                        &r),
                         -EBADMSG);
        assert_int_equal(one_raft_parse(S("not xml"), &r), -EBADMSG);
}

static void test_zone_endpoints(void **state) {
        char *ep[ONE_ZONE_SERVERS_MAX];
        size_t n = 99;

        assert_int_equal(
                one_zone_parse_endpoints(
                        S("<ZONE><ID>0</ID><NAME>OpenNebula</NAME><TEMPLATE><ENDPOINT><![CDATA["
                          "http://vip:2633/RPC2]]></ENDPOINT></TEMPLATE><SERVER_POOL><SERVER>"
                          "<ENDPOINT>http://a:2633/RPC2</ENDPOINT><ID>0</ID><NAME>a</NAME>"
                          "</SERVER><SERVER><ID>1</ID><ENDPOINT><![CDATA[http://b:2633/RPC2]]>"
                          "</ENDPOINT></SERVER></SERVER_POOL></ZONE>"),
                        ep, &n),
                0);
        assert_int_equal(n, 2);
        assert_string_equal(ep[0], "http://a:2633/RPC2");
        assert_string_equal(ep[1], "http://b:2633/RPC2");
        free(ep[0]);
        free(ep[1]);
        assert_int_equal(
                one_zone_parse_endpoints(S("<ZONE><ID>0</ID><SERVER_POOL/></ZONE>"), ep, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(one_zone_parse_endpoints(S("<ZONE><SERVER_POOL><SERVER><ID>0</ID>"
                                                    "</SERVER></SERVER_POOL></ZONE>"),
                                                  ep, &n),
                         -EBADMSG);
        assert_int_equal(one_zone_parse_endpoints(S("<RAFT/>"), ep, &n), -EBADMSG);
}

static void test_election_errors(void **state) {
        struct one_error e = {.code = ONE_ERR_INTERNAL};

        assert_true(one_zone_is_election_error(-EHOSTDOWN, NULL));
        strcpy(e.message, "one.host.update: [one.host.update] Cannot process request, no leader "
                          "found (code 0x2000)");
        assert_true(one_zone_is_election_error(-EREMOTEIO, &e));
        strcpy(e.message, "[one.host.status] Cannot process request, oned cluster in election "
                          "mode");
        assert_true(one_zone_is_election_error(-EREMOTEIO, &e));
        strcpy(e.message, "[one.host.status] RPC call timed out and aborted");
        assert_true(one_zone_is_election_error(-EREMOTEIO, &e));
        strcpy(e.message, "[one.host.update] libcurl failed to execute the HTTP POST transaction, "
                          "explaining:  Failed to connect to 10.0.0.1 port 2633");
        assert_true(one_zone_is_election_error(-EREMOTEIO, &e));
        /* other internal errors are not waited out */
        strcpy(e.message, "[one.host.update] Cannot update template. syntax error");
        assert_false(one_zone_is_election_error(-EREMOTEIO, &e));
        strcpy(e.message, "Cannot process request, no leader found");
        e.code = ONE_ERR_NO_EXISTS;
        assert_false(one_zone_is_election_error(-EREMOTEIO, &e));
        assert_false(one_zone_is_election_error(-EBADMSG, &e));
}

static void test_doc_lock_document(void **state) {
        long long t, seq;
        bool locked;
        int id;

        assert_int_equal(doc_lock_parse(S("<DOCUMENT><ID>7</ID><NAME>onepci-registrar-sync</NAME>"
                                          "<LOCK><LOCKED>1</LOCKED><OWNER>0</OWNER><TIME>"
                                          "1700000000</TIME><REQ_ID>3</REQ_ID></LOCK><TEMPLATE>"
                                          "<SEQ><![CDATA[12]]></SEQ></TEMPLATE></DOCUMENT>"),
                                        &id, &locked, &t, &seq),
                         0);
        assert_int_equal(id, 7);
        assert_true(locked);
        assert_int_equal(t, 1700000000);
        assert_int_equal(seq, 12);
        assert_int_equal(doc_lock_parse(S("<DOCUMENT><ID>7</ID><TEMPLATE/></DOCUMENT>"), &id,
                                        &locked, &t, &seq),
                         0);
        assert_false(locked);
        assert_int_equal(seq, 0);
        /* a SEQ someone broke counts as 0 */
        assert_int_equal(doc_lock_parse(S("<DOCUMENT><ID>7</ID><TEMPLATE><SEQ>x</SEQ></TEMPLATE>"
                                          "</DOCUMENT>"),
                                        &id, &locked, &t, &seq),
                         0);
        assert_int_equal(seq, 0);
        assert_int_equal(
                doc_lock_parse(S("<DOCUMENT><NAME>x</NAME></DOCUMENT>"), &id, &locked, &t, &seq),
                -EBADMSG);
        assert_int_equal(doc_lock_parse(S("<HOST/>"), &id, &locked, &t, &seq), -EBADMSG);

        /* two front-ends created it at once: the lowest ID is the one */
        assert_int_equal(doc_lock_find(S("<DOCUMENT_POOL><DOCUMENT><ID>9</ID><NAME>"
                                         "onepci-registrar-sync</NAME></DOCUMENT><DOCUMENT><ID>4"
                                         "</ID><NAME>other</NAME></DOCUMENT><DOCUMENT><ID>5</ID>"
                                         "<NAME>onepci-registrar-sync</NAME></DOCUMENT>"
                                         "</DOCUMENT_POOL>"),
                                       DOC_LOCK_NAME, &id),
                         0);
        assert_int_equal(id, 5);
        assert_int_equal(doc_lock_find(S("<DOCUMENT_POOL/>"), DOC_LOCK_NAME, &id), -ENOENT);
        assert_int_equal(doc_lock_find(S("<HOST_POOL/>"), DOC_LOCK_NAME, &id), -EBADMSG);
}

/* What the last sync in the zone sent to the nodes. */
static void test_doc_lock_synced(void **state) {
        char buf[DOC_LOCK_SYNCED_MAX];

        assert_int_equal(doc_lock_parse_synced(S("<DOCUMENT><ID>7</ID><TEMPLATE><SEQ>2</SEQ>"
                                                 "<SYNCED_PROBE><![CDATA[ab12]]></SYNCED_PROBE>"
                                                 "</TEMPLATE></DOCUMENT>"),
                                               buf, sizeof(buf)),
                         0);
        assert_string_equal(buf, "ab12");
        assert_int_equal(doc_lock_parse_synced(S("<DOCUMENT><ID>7</ID><TEMPLATE/></DOCUMENT>"), buf,
                                               sizeof(buf)),
                         0);
        assert_string_equal(buf, "");
        /* too long for the buffer: as if none (the sync runs again) */
        assert_int_equal(doc_lock_parse_synced(S("<DOCUMENT><TEMPLATE><SYNCED_PROBE>abcdef"
                                                 "</SYNCED_PROBE></TEMPLATE></DOCUMENT>"),
                                               buf, 4),
                         0);
        assert_string_equal(buf, "");
        assert_int_equal(doc_lock_parse_synced(S("<HOST/>"), buf, sizeof(buf)), -EBADMSG);
}

/* A NULL lock is no lock: what a test without oned gets. */
static void test_doc_lock_null(void **state) {
        long long seq = 5;
        bool overlapped = true;

        bool synced = true;

        assert_int_equal(doc_lock_sync_begin(NULL, NULL), 0);
        assert_int_equal(doc_lock_sync_begin_probe(NULL, "ab", &synced, NULL), 0);
        assert_false(synced);
        assert_int_equal(doc_lock_sync_record(NULL, "ab", NULL), 0);
        doc_lock_sync_end(NULL);
        assert_int_equal(doc_lock_hold_off(NULL, &seq, NULL), 0);
        assert_int_equal(seq, 0);
        assert_int_equal(doc_lock_overlapped(NULL, &seq, &overlapped, NULL), 0);
        assert_false(overlapped);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_raft),
                cmocka_unit_test(test_zone_endpoints),
                cmocka_unit_test(test_election_errors),
                cmocka_unit_test(test_doc_lock_document),
                cmocka_unit_test(test_doc_lock_synced),
                cmocka_unit_test(test_doc_lock_null),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
