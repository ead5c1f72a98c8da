/* A host of ABI 1.1: frozen_v1_0_host.c's loading rules built against the frozen 1.1 header. It
 * never asks for 1.2's display name: this is what a 1.2 connector meets in an older host. */
#define OLDER_HOST_HEADER "connector_v1_1.h"
#define OLDER_HOST_LOAD atsm_v1_1_host_load
#include "frozen_v1_0_host.c"
