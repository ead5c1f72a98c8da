/* How a host of ABI 1.0 loads a connector (frozen_v1_0_host.c). */
#ifndef ATSM_FROZEN_V1_0_HOST_H
#define ATSM_FROZEN_V1_0_HOST_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What an older host (1.0 or 1.1) made of a plugin file. */
typedef struct atsm_v1_0_host_outcome {
  int loaded;            /* 1: it would use the connector; 0: refused */
  char refusal[256];     /* why, when refused */
  char name[65];         /* the descriptor's name, when loaded */
  uint32_t abi_version;  /* the descriptor's ABI, when loaded */
  uint32_t capabilities; /* the descriptor's capabilities, when loaded */
} atsm_v1_0_host_outcome;

/* Loads `path` as atsmigrate's registry did at ABI 1.0 and unloads it again. */
atsm_v1_0_host_outcome atsm_v1_0_host_load(const char* path);
/* The same rules in a host of ABI 1.1 (frozen_v1_1_host.c), which knows no display name. */
atsm_v1_0_host_outcome atsm_v1_1_host_load(const char* path);

#ifdef __cplusplus
}
#endif

#endif
