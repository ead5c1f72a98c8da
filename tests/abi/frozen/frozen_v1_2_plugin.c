/* A sink built against the frozen ABI 1.2 header (connector_v1_2.h), never the current one, that
 * declares a display name (atsm.connector.display/1): the host of today must load it and show
 * that name; a 1.1 host must load it too and never ask for it. Built a second time with
 * BROKEN_DISPLAY_NAME: a display name with a control character, which this host refuses (a 1.1
 * host, not knowing the extension, still loads it). Plain C11. */
#include <string.h>

#include "connector_v1_2.h"

#ifdef BROKEN_DISPLAY_NAME
#define NAME "frozen12-broken"
#define DISPLAY_NAME "Frozen\ttwelve"
#else
#define NAME "frozen12"
#define DISPLAY_NAME "Frozen Twelve (ABI 1.2)"
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

static const atsm_connector_display_v1 display_extension = {sizeof(atsm_connector_display_v1),
                                                            ATSM_ABI_VERSION, DISPLAY_NAME};

static const void* connector_extension(const char* id) {
  return id != NULL && strcmp(id, ATSM_EXT_CONNECTOR_DISPLAY) == 0 ? &display_extension : NULL;
}

static const atsm_connector descriptor = {sizeof(atsm_connector),
                                          ATSM_ABI_VERSION,
                                          NAME,
                                          "1.2.0",
                                          "test sink built against the frozen ABI 1.2 header",
                                          ATSM_ROLE_SINK,
                                          0u,
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
                                          connector_extension};

ATSM_EXPORT const atsm_connector* atsm_connector_entry(uint32_t host_abi_version) {
  if (ATSM_ABI_MAJOR(host_abi_version) != ATSM_ABI_VERSION_MAJOR)
    return NULL;
  /* A display name changes nothing a host must do: every 1.x host is served. */
  return &descriptor;
}
