/* A host of ABI 1.0, built against the frozen 1.0 header: the loading rules of atsmigrate's
 * registry when 1.0 was released (core/host/plugin_registry.cpp then). It announces ABI 1.0 to
 * the entry point, refuses a NULL descriptor, another major and a descriptor shorter than 1.0's,
 * and knows nothing of what 1.1 added: this is what a 1.1 connector meets in an older host.
 * frozen_v1_1_host.c builds the same rules against the frozen 1.1 header (a 1.1 host, which
 * knows nothing of 1.2's display name): OLDER_HOST_HEADER and OLDER_HOST_LOAD say which. */
#include "frozen_v1_0_host.h"

#include <dlfcn.h>
#include <stdio.h>

#ifndef OLDER_HOST_HEADER
#define OLDER_HOST_HEADER "connector_v1_0.h"
#define OLDER_HOST_LOAD atsm_v1_0_host_load
#endif
#include OLDER_HOST_HEADER

static atsm_v1_0_host_outcome refused(void* handle, const char* reason) {
  atsm_v1_0_host_outcome outcome;
  memset(&outcome, 0, sizeof outcome);
  atsm_copy_text(outcome.refusal, sizeof outcome.refusal, reason);
  if (handle != NULL)
    dlclose(handle);
  return outcome;
}

atsm_v1_0_host_outcome OLDER_HOST_LOAD(const char* path) {
  atsm_v1_0_host_outcome outcome;
  atsm_connector_entry_fn entry;
  const atsm_connector* descriptor;
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    return refused(NULL, "cannot be loaded");
  /* Through memcpy: ISO C has no conversion from an object pointer to a function pointer. */
  {
    void* symbol = dlsym(handle, ATSM_ENTRY_SYMBOL);
    if (symbol == NULL)
      return refused(handle, "no entry symbol");
    memcpy(&entry, &symbol, sizeof entry);
  }
  descriptor = entry(ATSM_ABI_VERSION);
  if (descriptor == NULL) {
    char reason[96];
    snprintf(reason, sizeof reason, "its entry point returned no descriptor for host ABI %u.%u",
             (unsigned)ATSM_ABI_VERSION_MAJOR, (unsigned)ATSM_ABI_VERSION_MINOR);
    return refused(handle, reason);
  }
  if (ATSM_ABI_MAJOR(descriptor->abi_version) != ATSM_ABI_VERSION_MAJOR)
    return refused(handle, "built for another major version");
  if (descriptor->struct_size < sizeof(atsm_connector))
    return refused(handle, "descriptor shorter than ABI 1.0's");
  memset(&outcome, 0, sizeof outcome);
  outcome.loaded = 1;
  atsm_copy_text(outcome.name, sizeof outcome.name, descriptor->name);
  outcome.abi_version = descriptor->abi_version;
  outcome.capabilities = descriptor->capabilities;
  dlclose(handle);
  return outcome;
}
