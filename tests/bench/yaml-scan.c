/* SPDX-License-Identifier: Apache-2.0 */
/* The floor for any libyaml-based inventory reader: read the file and pull
 * every parser event, doing nothing with them but counting scalars and
 * noticing the host name given on the command line.
 *
 *     yaml-scan FILE [HOST]
 *
 * Prints "events N scalars N found 0|1". */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

int main(int argc, char **argv) {
        if (argc < 2) {
                fprintf(stderr, "usage: yaml-scan FILE [HOST]\n");
                return 2;
        }
        FILE *f = fopen(argv[1], "rb");
        if (!f) {
                perror(argv[1]);
                return 1;
        }
        const char *host = argc > 2 ? argv[2] : NULL;
        size_t host_len = host ? strlen(host) : 0;
        yaml_parser_t p;
        if (!yaml_parser_initialize(&p)) {
                fclose(f);
                return 1;
        }
        yaml_parser_set_input_file(&p, f);
        unsigned long events = 0, scalars = 0;
        int found = 0, r = 0;
        for (;;) {
                yaml_event_t e;
                if (!yaml_parser_parse(&p, &e)) {
                        fprintf(stderr, "%s:%zu: %s\n", argv[1], p.problem_mark.line + 1,
                                p.problem ? p.problem : "parse error");
                        r = 1;
                        break;
                }
                events++;
                if (e.type == YAML_SCALAR_EVENT) {
                        scalars++;
                        if (host && e.data.scalar.length == host_len &&
                            memcmp(e.data.scalar.value, host, host_len) == 0)
                                found = 1;
                }
                int done = e.type == YAML_STREAM_END_EVENT;
                yaml_event_delete(&e);
                if (done)
                        break;
        }
        yaml_parser_delete(&p);
        fclose(f);
        printf("events %lu scalars %lu found %d\n", events, scalars, found);
        return r;
}
