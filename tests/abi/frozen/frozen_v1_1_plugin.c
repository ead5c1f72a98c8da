/* A verbatim sink (an archive's kind) built against the frozen ABI 1.1 header (connector_v1_1.h),
 * never the current one: the host of today must load it and offer it its 1.1 extension; a 1.0
 * host must refuse it, since it would treat it as an ordinary sink. Built a second time with
 * FUTURE_REQUIRED_CAPABILITY: a required capability no host knows yet, which a 1.1 host refuses.
 * Plain C11. */
#include <string.h>

#include "connector_v1_1.h"

#ifdef FUTURE_REQUIRED_CAPABILITY
#define NAME "frozen11-future"
#define CAPABILITIES (ATSM_CAP_VERBATIM | FUTURE_REQUIRED_CAPABILITY)
#else
#define NAME "frozen11"
#define CAPABILITIES ATSM_CAP_VERBATIM
#endif

static int instance_marker;

static atsm_status answer(const atsm_output* out, const char* text, atsm_error* error) {
  atsm_status status = out->write(out->context, text, strlen(text));
  return status == ATSM_OK ? ATSM_OK : atsm_fail(error, status, "the host refused the answer");
}

static atsm_status sink_open(const atsm_host_services* services, const char* config_json,
                             void** instance, atsm_error* error) {
  (void)services;
  (void)config_json;
  (void)error;
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

static atsm_status sink_write(void* instance, const char* kind, const char* items_json,
                              const atsm_output* out, atsm_error* error) {
  (void)instance;
  (void)kind;
  (void)items_json;
  return answer(out, "[]", error);
}

static atsm_status sink_finish(void* instance, const char* summary_json, const atsm_output* out,
                               atsm_error* error) {
  (void)instance;
  (void)summary_json;
  return answer(out, "{\"finished\":true}", error);
}

static const atsm_sink_finish_v1 finish_extension = {sizeof(atsm_sink_finish_v1), ATSM_ABI_VERSION,
                                                     sink_finish};

static const void* sink_extension(const char* id) {
  return id != NULL && strcmp(id, ATSM_EXT_SINK_FINISH) == 0 ? &finish_extension : NULL;
}

static const atsm_connector descriptor = {sizeof(atsm_connector),
                                          ATSM_ABI_VERSION,
                                          NAME,
                                          "1.1.0",
                                          "test verbatim sink built against the frozen ABI 1.1 "
                                          "header",
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
  if (ATSM_ABI_MAJOR(host_abi_version) != ATSM_ABI_VERSION_MAJOR)
    return NULL;
  /* Mixed minors (connector.h): a 1.0 host does not know VERBATIM; decline it. */
  if (ATSM_ABI_MINOR(host_abi_version) < atsm_connector_minimum_host_minor(descriptor.capabilities))
    return NULL;
  return &descriptor;
}
