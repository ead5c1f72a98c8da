/* A source built against the frozen ABI 1.0 header (connector_v1_0.h), never the current one: the
 * host of today must load it, and `atsmigrate plugin verify` must pass it. Plain C11. */
#include <string.h>

#include "connector_v1_0.h"

static int instance_marker;

static atsm_status frozen_open(const atsm_host_services* services, const char* config_json,
                               void** instance, atsm_error* error) {
  const char* quote = config_json == NULL ? NULL : strchr(config_json, '"');
  if (quote != NULL) {
    char message[200] = "unknown config key ";
    size_t used = strlen(message);
    const char* end = strchr(quote + 1, '"');
    size_t length = end == NULL ? 0 : (size_t)(end - quote + 1);
    if (length > sizeof message - used - 1)
      length = sizeof message - used - 1;
    memcpy(message + used, quote, length);
    message[used + length] = '\0';
    return atsm_fail(error, ATSM_INVALID, message);
  }
  services->log(services->host, ATSM_LOG_DEBUG, "frozen 1.0 connector opened");
  *instance = &instance_marker;
  return ATSM_OK;
}

static void frozen_close(void* instance) {
  (void)instance;
}

static atsm_status emit(const atsm_emitter* emitter, const char* records, const char* checkpoint,
                        atsm_error* error) {
  atsm_batch batch;
  atsm_status status;
  batch.struct_size = (uint32_t)sizeof batch;
  batch.abi_version = ATSM_ABI_VERSION;
  batch.kind = "person";
  batch.records_json = records;
  batch.records_size = strlen(records);
  batch.checkpoint = checkpoint;
  status = emitter->emit(emitter->context, &batch);
  return status == ATSM_OK ? ATSM_OK : atsm_fail(error, status, "the host stopped the read");
}

static atsm_status frozen_read(void* instance, const char* kind, const char* checkpoint,
                               const atsm_emitter* emitter, atsm_error* error) {
  atsm_status status = ATSM_OK;
  (void)instance;
  if (kind == NULL || strcmp(kind, "person") != 0)
    return atsm_fail(error, ATSM_INVALID, "the frozen connector reads only kind 'person'");
  if (checkpoint != NULL && checkpoint[0] != '\0' && strcmp(checkpoint, "after-2") != 0)
    return atsm_fail(error, ATSM_INVALID, "not a checkpoint this connector wrote");
  if (checkpoint == NULL || checkpoint[0] == '\0') {
    status = emit(emitter,
                  "[{\"kind\":\"person\",\"source\":\"frozen\",\"source_key\":\"frozen:person:1\","
                  "\"name\":\"Ada\"},{\"kind\":\"person\",\"source\":\"frozen\","
                  "\"source_key\":\"frozen:person:2\",\"name\":\"Grace\"}]",
                  "after-2", error);
  }
  if (status == ATSM_OK)
    status = emit(emitter,
                  "[{\"kind\":\"person\",\"source\":\"frozen\",\"source_key\":\"frozen:person:3\","
                  "\"name\":\"Edsger\"}]",
                  "", error);
  return status;
}

static const atsm_connector descriptor = {sizeof(atsm_connector),
                                          ATSM_ABI_VERSION,
                                          "frozen",
                                          "1.0.0",
                                          "test source built against the frozen ABI 1.0 header",
                                          ATSM_ROLE_SOURCE,
                                          0,
                                          "[\"person\"]",
                                          "[]",
                                          "[]",
                                          "[]",
                                          frozen_open,
                                          frozen_close,
                                          frozen_read,
                                          NULL,
                                          NULL,
                                          NULL,
                                          NULL,
                                          NULL};

ATSM_EXPORT const atsm_connector* atsm_connector_entry(uint32_t host_abi_version) {
  return ATSM_ABI_MAJOR(host_abi_version) == ATSM_ABI_VERSION_MAJOR ? &descriptor : NULL;
}
