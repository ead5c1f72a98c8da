/* Connectors that crash, abort, exit or hang, for the host's isolation of plugins (issue 19).
 * CRASH_AT selects where, at compile time:
 *   1 entry point SIGSEGV   2 entry point abort()   3 entry point hangs   4 entry point exit(0)
 *   5 a descriptor whose name points at unmapped memory (the host's read of it faults)
 *   6 a descriptor with a 1 MB description   7 a descriptor with a 1 MB name
 *   0 "faulty": a working source and verbatim sink of one person, whose read or write crashes
 *     as its config key "crash" says: read-segv, read-abort, read-exit0, write-segv,
 *     write-abort, write-exit0 (anything else: no crash). */
#define _POSIX_C_SOURCE 200809L
#include <atsmigrate/connector.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Through volatile, so that the compiler cannot turn the fault into a trap of its own; not NULL,
 * so that under UndefinedBehaviorSanitizer too it is a real segmentation fault. */
static volatile int* volatile nowhere = (volatile int*)(uintptr_t)16;

static void segfault(void) {
  *nowhere = 1;
}

#if CRASH_AT == 3
static void hang(void) {
  for (;;)
    pause();
}
#endif

static char crash_mode[32];

static atsm_status faulty_open(const atsm_host_services* services, const char* config_json,
                               void** instance, atsm_error* error) {
  static const char* const modes[] = {"read-segv",  "read-abort",  "read-exit0",
                                      "write-segv", "write-abort", "write-exit0"};
  size_t i;
  (void)services;
  (void)error;
  crash_mode[0] = '\0';
  for (i = 0; i < sizeof modes / sizeof modes[0]; ++i) {
    char quoted[40];
    strcpy(quoted, "\"");
    strcat(quoted, modes[i]);
    strcat(quoted, "\"");
    if (strstr(config_json, quoted) != NULL)
      strcpy(crash_mode, modes[i]);
  }
  *instance = crash_mode;
  return ATSM_OK;
}

static void faulty_close(void* instance) {
  (void)instance;
}

/* Crashes as configured when `call` ("read" or "write") is the configured one. */
static void crash_if(const char* call) {
  size_t length = strlen(call);
  const char* how;
  if (strncmp(crash_mode, call, length) != 0 || crash_mode[length] != '-')
    return;
  how = crash_mode + length + 1;
  if (strcmp(how, "segv") == 0)
    segfault();
  if (strcmp(how, "abort") == 0)
    abort();
  if (strcmp(how, "exit0") == 0)
    exit(0);
}

static atsm_status faulty_read(void* instance, const char* kind, const char* checkpoint,
                               const atsm_emitter* emitter, atsm_error* error) {
  static const char records[] =
      "[{\"kind\":\"person\",\"source\":\"faulty\",\"source_key\":\"faulty:person:1\","
      "\"name\":\"Ada Faulty\"}]";
  atsm_batch batch;
  (void)instance;
  (void)checkpoint;
  crash_if("read");
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

static atsm_status faulty_prepare(void* instance, const char* plan_json, const atsm_output* out,
                                  atsm_error* error) {
  (void)instance;
  (void)plan_json;
  (void)error;
  return out->write(out->context, "{}", 2);
}

static atsm_status faulty_write(void* instance, const char* kind, const char* items_json,
                                const atsm_output* out, atsm_error* error) {
  (void)instance;
  (void)kind;
  (void)items_json;
  (void)out;
  crash_if("write");
  return atsm_fail(error, ATSM_INVALID, "this test sink writes nothing");
}

#if CRASH_AT == 0
#define NAME "faulty"
#elif CRASH_AT == 1
#define NAME "entry-segv"
#elif CRASH_AT == 2
#define NAME "entry-abort"
#elif CRASH_AT == 3
#define NAME "entry-hang"
#elif CRASH_AT == 4
#define NAME "entry-exit"
#elif CRASH_AT == 5
#define NAME "bad-name-pointer"
#elif CRASH_AT == 6
#define NAME "huge-description"
#elif CRASH_AT == 7
#define NAME "huge-name"
#endif

static atsm_connector descriptor = {
    sizeof(atsm_connector),
    ATSM_ABI_VERSION,
    NAME,
    "0.0.1",
    "test connector that crashes",
    ATSM_ROLE_SOURCE | ATSM_ROLE_SINK,
    ATSM_CAP_VERBATIM,
    "[\"person\"]",
    "[\"person\"]",
    "[{\"name\":\"crash\",\"type\":\"string\",\"description\":\"where and how to crash\"}]",
    "[]",
    faulty_open,
    faulty_close,
    faulty_read,
    faulty_prepare,
    faulty_write,
    NULL,
    NULL,
    NULL};

#if CRASH_AT == 6 || CRASH_AT == 7
static char huge_text[1024 * 1024 + 1];
#endif

ATSM_EXPORT const atsm_connector* atsm_connector_entry(uint32_t host_abi_version) {
  (void)host_abi_version;
#if CRASH_AT == 1
  segfault();
#elif CRASH_AT == 2
  abort();
#elif CRASH_AT == 3
  hang();
#elif CRASH_AT == 4
  exit(0);
#elif CRASH_AT == 5
  descriptor.name = (const char*)(uintptr_t)16;
#elif CRASH_AT == 6
  memset(huge_text, 'x', sizeof huge_text - 1);
  descriptor.description = huge_text;
#elif CRASH_AT == 7
  memset(huge_text, 'x', sizeof huge_text - 1);
  descriptor.name = huge_text;
#endif
  return &descriptor;
}
