/* Connectors that misbehave in one way each, selected by BROKEN_KIND at compile time. The host
 * must refuse each with a line that names the file and the reason, and keep loading others. */
#include <atsmigrate/connector.h>

static atsm_status broken_open(const atsm_host_services* services, const char* config_json,
                               void** instance, atsm_error* error) {
  (void)services;
  (void)config_json;
  (void)instance;
  return atsm_fail(error, ATSM_INTERNAL, "never opened");
}
static void broken_close(void* instance) {
  (void)instance;
}
static atsm_status broken_read(void* instance, const char* kind, const char* checkpoint,
                               const atsm_emitter* emitter, atsm_error* error) {
  (void)instance;
  (void)kind;
  (void)checkpoint;
  (void)emitter;
  return atsm_fail(error, ATSM_INTERNAL, "never read");
}

#if BROKEN_KIND == 1 /* built for a future major version */
#define ABI ATSM_MAKE_ABI_VERSION(2, 0)
#define SIZE sizeof(atsm_connector)
#define SOURCE_KINDS "[\"user\"]"
#define NAME "future"
#elif BROKEN_KIND == 2 /* a descriptor cut short */
#define ABI ATSM_ABI_VERSION
#define SIZE 16
#define SOURCE_KINDS "[\"user\"]"
#define NAME "short"
#elif BROKEN_KIND == 3 /* garbage JSON in the descriptor */
#define ABI ATSM_ABI_VERSION
#define SIZE sizeof(atsm_connector)
#define SOURCE_KINDS "[\"user\", oops"
#define NAME "garbage"
#endif

static const atsm_connector descriptor = {SIZE,
                                          ABI,
                                          NAME,
                                          "0.0.1",
                                          "misbehaving test connector",
                                          ATSM_ROLE_SOURCE,
                                          0,
                                          SOURCE_KINDS,
                                          "[]",
                                          "[]",
                                          "[]",
                                          broken_open,
                                          broken_close,
                                          broken_read,
                                          NULL,
                                          NULL,
                                          NULL,
                                          NULL,
                                          NULL};

ATSM_EXPORT const atsm_connector* atsm_connector_entry(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &descriptor;
}
