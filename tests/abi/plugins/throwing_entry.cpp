// A connector whose entry point throws: the host must survive and refuse it.
#include <atsmigrate/connector.h>

#include <stdexcept>

extern "C" ATSM_EXPORT const atsm_connector* atsm_connector_entry(uint32_t host_abi_version) {
  if (host_abi_version != 0)
    throw std::runtime_error("entry point exploded");
  return nullptr;
}
