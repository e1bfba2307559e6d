/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Strict validation of the agent's report (docs/protocol.md) into a struct.
 * Pure: a buffer in, a struct or a reason out. */

#include <stdbool.h>
#include <stddef.h>

#include "error-message.h"
#include "pci-address.h"

#define REPORT_BODY_MAX (64 * 1024)
#define REPORT_NAME_MAX 64
#define REPORT_HOST_NAME_MAX 255
#define REPORT_MAX_ERRORS 32
#define REPORT_ERROR_MAX 512
#define REPORT_MAX_DEVICES 64
#define REPORT_MAX_TWINS 256
#define REPORT_DRIVER_MAX 63
#define REPORT_VERSION_MAX 64

struct report_device {
        char address[PCI_ADDRESS_MAX];
        char vendor[5];
        char device[5];
        char class_code[7];
        char driver[REPORT_DRIVER_MAX + 1];
        int iommu_group; /* -1 when unknown or not given */
        int numa_node;
};

struct pci_report {
        char inventory_name[REPORT_NAME_MAX + 1];
        char host_name[REPORT_HOST_NAME_MAX + 1];
        char agent_version[REPORT_VERSION_MAX + 1];
        bool succeeded;
        size_t n_errors;
        char **errors; /* NULL-terminated */
        size_t n_devices;
        struct report_device *devices;
        size_t n_twins;
        struct report_device *twins;
};

/* Parses and validates a report body.  -EINVAL with a message such as
 * "devices[0].vendor: not 4 lowercase hex digits" (never echoing more than a
 * short, sanitised piece of the input); -E2BIG when the body is too large. */
int report_parse(const char *body, size_t len, struct pci_report *ret,
                 struct error_message *ret_error);

void report_done(struct pci_report *r);

/* OpenNebula host names: 1-255 of [A-Za-z0-9._:-]. */
bool report_host_name_valid(const char *s);
