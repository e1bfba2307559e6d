/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Checks made before anything is bound; each failure is EXIT_PREFLIGHT with a
 * message saying what is wrong and how to fix it. */

#include "context.h"
#include "error-message.h"

/* vfio-pci is loaded, or (live) the running kernel has it as a module or
 * built in, so that driverctl's modprobe will load it. */
int preflight_vfio_pci(const struct onepci_context *ctx, struct error_message *ret_error);

/* driverctl is there, installing it when missing (live, unless no_install).
 * *ret_path is the program to run. */
int preflight_driverctl(const struct onepci_context *ctx, char **ret_path,
                        struct error_message *ret_error);
