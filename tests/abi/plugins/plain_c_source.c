/* A connector in plain C11: proves connector.h is a C header and a plugin needs no C++. */
#include <atsmigrate/connector.h>

static int instance_marker;

static atsm_status plain_open(const atsm_host_services* services, const char* config_json,
                              void** instance, atsm_error* error) {
  (void)config_json;
  (void)error;
  services->log(services->host, ATSM_LOG_INFO, "plain C connector opened");
  *instance = &instance_marker;
  return ATSM_OK;
}

static void plain_close(void* instance) {
  (void)instance;
}

static atsm_status plain_read(void* instance, const char* kind, const char* checkpoint,
                              const atsm_emitter* emitter, atsm_error* error) {
  static const char records[] =
      "[{\"kind\":\"user\",\"source\":\"plain\",\"source_key\":\"plain:user:1\"}]";
  atsm_batch batch;
  (void)instance;
  (void)checkpoint;
  batch.struct_size = (uint32_t)sizeof batch;
  batch.abi_version = ATSM_ABI_VERSION;
  batch.kind = kind;
  batch.records_json = records;
  batch.records_size = sizeof records - 1;
  batch.checkpoint = "";
  if (emitter->emit(emitter->context, &batch) != ATSM_OK)
    return atsm_fail(error, ATSM_CANCELLED, "host stopped");
  return ATSM_OK;
}

static const atsm_connector descriptor = {sizeof(atsm_connector),
                                          ATSM_ABI_VERSION,
                                          "plain",
                                          "0.1.0",
                                          "plain C test source",
                                          ATSM_ROLE_SOURCE,
                                          0,
                                          "[\"user\"]",
                                          "[]",
                                          "[]",
                                          "[]",
                                          plain_open,
                                          plain_close,
                                          plain_read,
                                          NULL,
                                          NULL,
                                          NULL,
                                          NULL,
                                          NULL};

ATSM_EXPORT const atsm_connector* atsm_connector_entry(uint32_t host_abi_version) {
  return ATSM_ABI_MAJOR(host_abi_version) == ATSM_ABI_VERSION_MAJOR ? &descriptor : NULL;
}
