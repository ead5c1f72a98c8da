/* A sink built against the frozen ABI 1.0 header (connector_v1_0.h), never the current one: a 1.1
 * host must load it and serve it without any of 1.1's additions (it is asked for them and answers
 * NULL, as 1.0 requires of get_extension). Built a second time with STRAY_CAPABILITY: a 1.0
 * descriptor that sets a bit 1.0 left undefined (VERBATIM's, as a plugin built against an
 * unreleased header would), which a 1.1 host refuses rather than guess. Plain C11. */
#include <string.h>

#include "connector_v1_0.h"

#ifdef STRAY_CAPABILITY
#define NAME "frozen-stray"
#define CAPABILITIES STRAY_CAPABILITY
#else
#define NAME "frozen-sink"
#define CAPABILITIES 0u
#endif

static int instance_marker;

static atsm_status answer(const atsm_output* out, const char* text, atsm_error* error) {
  atsm_status status = out->write(out->context, text, strlen(text));
  return status == ATSM_OK ? ATSM_OK : atsm_fail(error, status, "the host refused the answer");
}

static atsm_status sink_open(const atsm_host_services* services, const char* config_json,
                             void** instance, atsm_error* error) {
  (void)config_json;
  (void)error;
  services->log(services->host, ATSM_LOG_DEBUG, "frozen 1.0 sink opened");
  *instance = &instance_marker;
  return ATSM_OK;
}

static void sink_close(void* instance) {
  (void)instance;
}

static atsm_status sink_prepare(void* instance, const char* plan_json, const atsm_output* out,
                                atsm_error* error) {
  (void)instance;
  (void)plan_json;
  return answer(out, "{\"catalog\":{},\"missing\":[]}", error);
}

/* Answers one item, whatever it is: enough for the host's plumbing. */
static atsm_status sink_write(void* instance, const char* kind, const char* items_json,
                              const atsm_output* out, atsm_error* error) {
  (void)instance;
  (void)items_json;
  if (kind == NULL || strcmp(kind, "person") != 0)
    return atsm_fail(error, ATSM_INVALID, "the frozen sink writes only kind 'person'");
  return answer(out, "[{\"key\":\"frozen:person:1\",\"status\":\"ok\",\"target_id\":\"t-1\"}]",
                error);
}

/* A 1.0 connector may offer extensions of its own; it knows none of 1.1's. */
static const void* sink_extension(const char* id) {
  (void)id;
  return NULL;
}

static const atsm_connector descriptor = {sizeof(atsm_connector),
                                          ATSM_ABI_VERSION,
                                          NAME,
                                          "1.0.0",
                                          "test sink built against the frozen ABI 1.0 header",
                                          ATSM_ROLE_SINK,
                                          CAPABILITIES,
                                          "[]",
                                          "[\"person\"]",
                                          "[]",
                                          "[]",
                                          sink_open,
                                          sink_close,
                                          NULL,
                                          sink_prepare,
                                          sink_write,
                                          NULL,
                                          NULL,
                                          sink_extension};

ATSM_EXPORT const atsm_connector* atsm_connector_entry(uint32_t host_abi_version) {
  return ATSM_ABI_MAJOR(host_abi_version) == ATSM_ABI_VERSION_MAJOR ? &descriptor : NULL;
}
