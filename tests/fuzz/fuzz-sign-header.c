/* SPDX-License-Identifier: Apache-2.0 */
/* The Authorization header parser, and that whatever it accepts verifies
 * without crashing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *value = malloc(size + 1);
        if (!value)
                return 0;
        memcpy(value, data, size);
        value[size] = '\0';
        struct sign_header h;
        if (sign_parse_header(value, &h) == 0) {
                static const char key[] =
                        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
                (void)sign_verify(&h, key, "PUT", "/v1/hosts/n1/pci", data, size);
        }
        free(value);
        return 0;
}
