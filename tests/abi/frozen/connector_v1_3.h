/* FROZEN: a verbatim copy of sdk/include/atsmigrate/connector.h as released with ABI 1.3. Never
 * edit it: tests build plugins against it and check that the current header keeps its layout,
 * so a plugin built against 1.3 keeps loading in every later 1.x host. */
/*
 * atsmigrate connector ABI, version 1.3.
 *
 * This header is the specification. A connector is a shared library that exports exactly one
 * symbol, `atsm_connector_entry`, and talks to the host through the plain C tables below. It can
 * be written in any language that builds a shared library with the C calling convention.
 *
 * Conventions (they hold for every function unless its comment says otherwise):
 *
 *  - Versions. An ABI version is `(major << 16) | minor`. The host and a connector must agree on
 *    the major version; minors only add. Every table starts with `struct_size` and `abi_version`,
 *    and grows only by appending fields: a reader reads a field only when it lies within the
 *    writer's `struct_size`, and treats a missing or NULL field as "not provided". Everything
 *    added after 1.0 says in its comment which minor added it ("[since 1.1]"); what says nothing
 *    is 1.0's (a frozen copy of each released minor lives in tests/abi/frozen/).
 *  - Mixed minors [since 1.1]. A host and a connector of the same major but different minors
 *    serve each other with what both know, except where the connector's meaning would change:
 *      a newer host, an older connector: the host loads it and serves it with what its minor
 *        defines. A 1.0 connector has none of 1.1's additions: asked for a 1.1 extension, its
 *        get_extension answers NULL (as 1.0 already required of an unknown id) and the host does
 *        without it (likewise a 1.1 connector asked for 1.2's display name: the host derives a
 *        label from its name); it gets no VERBATIM treatment; and the host refuses it if it sets a
 *        capability bit its minor left undefined (which can only mean it was built against an
 *        unreleased header, and would be misread either way).
 *      an older host, a newer connector: an addition the host does not know is ignored (an
 *        extension it never asks for, a field beyond what it reads), except a capability that
 *        changes what the host must do with the connector's records (ATSM_CAP_VERBATIM): a host
 *        that ignored it would serve the connector wrongly, so the connector declines such a host
 *        by returning NULL from its entry point (atsm_connector_minimum_host_minor below says
 *        when; connector.hpp's ATSM_DEFINE_CONNECTOR does it), and every host, 1.0's included,
 *        refuses a connector whose entry point returned NULL. Later minors put capabilities of
 *        that kind in ATSM_CAP_REQUIRED_RANGE, whose unknown bits a host from 1.1 on refuses.
 *  - Strings are UTF-8 and NUL-terminated unless a length is passed beside them. Records cross as
 *    UTF-8 JSON of the canonical model (sdk/schema/record.schema.json), a batch being a JSON array.
 *  - Ownership. Nothing changes owner across the boundary. A pointer passed into a call is
 *    borrowed for that call only: copy what you need to keep. Results travel the other way through
 *    an `atsm_output` callback that the caller provides; the callee may call it any number of
 *    times and the caller copies the bytes before it returns. Descriptor strings and tables
 *    returned by a connector live until the library is unloaded.
 *  - Errors. Every call returns an `atsm_status`. On anything but ATSM_OK the callee fills the
 *    caller-owned `atsm_error` (its fixed buffers need no freeing). No C++ exception, no `errno`
 *    and no C++ type crosses the boundary: a connector written in C++ catches everything at its
 *    edge (connector.hpp does this for you).
 *  - Threading. Tags in brackets say which threads may call a function:
 *      [any-thread]     the function may be called from any thread, concurrently.
 *      [instance-thread] the host calls one instance from one thread at a time (not always the
 *                       same thread), unless the descriptor sets ATSM_CAP_THREAD_SAFE, in which
 *                       case the host may call `write`, `find` and `read_back` concurrently.
 *      [load-thread]    the thread that loaded the library; never concurrently with anything
 *                       else of that library.
 *    Every host service is [any-thread].
 *  - Secrets. A connector asks the host for a secret by name (`get_secret`); it never takes one
 *    from its configuration. A value it derives (an OAuth access token) it hands to
 *    `register_secret`, so that no log line, report or error message ever shows it.
 */
#ifndef ATSMIGRATE_CONNECTOR_H
#define ATSMIGRATE_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATSM_ABI_VERSION_MAJOR 1u
/* 1.1: ATSM_CAP_VERBATIM and the extensions marked [since 1.1]; 1.2: atsm.connector.display/1;
 * 1.3: ATSM_HTTP_READ */
#define ATSM_ABI_VERSION_MINOR 3u
#define ATSM_MAKE_ABI_VERSION(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define ATSM_ABI_VERSION ATSM_MAKE_ABI_VERSION(ATSM_ABI_VERSION_MAJOR, ATSM_ABI_VERSION_MINOR)
#define ATSM_ABI_MAJOR(version) ((uint32_t)(version) >> 16)
#define ATSM_ABI_MINOR(version) ((uint32_t)(version)&0xffffu)

/* The one exported symbol. */
#define ATSM_ENTRY_SYMBOL "atsm_connector_entry"

#if defined(_WIN32)
#define ATSM_EXPORT __declspec(dllexport)
#else
#define ATSM_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------------------------ */
/* Statuses and errors                                                                          */
/* ------------------------------------------------------------------------------------------ */

typedef enum atsm_status {
  ATSM_OK = 0,
  /* Transient: the same call may succeed later (5xx, reset, timeout, Ashby's transient errors).
   * The host retries with backoff. For a write this means "not applied"; when the callee cannot
   * tell whether a write was applied it returns ATSM_AMBIGUOUS instead. */
  ATSM_RETRY = 1,
  /* The vendor said slow down; `atsm_error.retry_after_ms` says how long when it knows. */
  ATSM_RATE_LIMITED = 2,
  /* Credentials missing, wrong or without the needed permission. Not retried. */
  ATSM_AUTH = 3,
  /* The object asked for does not exist (`find`, `read_back`). */
  ATSM_NOT_FOUND = 4,
  /* The input was malformed or violates the target's rules (a record, a config key). Not
   * retried; the message names the record and the field. */
  ATSM_INVALID = 5,
  /* Any other business error the vendor reported; not retried, reported with vendor code and
   * request id. */
  ATSM_PERMANENT = 6,
  /* The host asked to stop (`is_cancelled`), or an output callback returned non-OK. */
  ATSM_CANCELLED = 7,
  /* A bug or an unexpected condition inside the connector. */
  ATSM_INTERNAL = 8,
  /* A write whose outcome is unknown: the request may have been applied (the connection dropped
   * after it was sent). The host never blindly repeats it: it calls `find` first. */
  ATSM_AMBIGUOUS = 9
} atsm_status;

#define ATSM_ERROR_MESSAGE_SIZE 1024
#define ATSM_ERROR_CODE_SIZE 128

/* Filled by the callee when a call fails. Owned by the caller; zero it before the call (or use
 * atsm_error_init). Never contains a secret. */
typedef struct atsm_error {
  uint32_t struct_size;
  uint32_t abi_version;
  char message[ATSM_ERROR_MESSAGE_SIZE];        /* what went wrong, naming record and field */
  char vendor_code[ATSM_ERROR_CODE_SIZE];       /* e.g. Ashby errorInfo.code, HTTP status */
  char vendor_request_id[ATSM_ERROR_CODE_SIZE]; /* the vendor's request id, for support */
  int32_t http_status;                          /* 0 when no HTTP response was involved */
  int32_t retry_after_ms; /* for ATSM_RATE_LIMITED / ATSM_RETRY; 0 = unknown */
} atsm_error;

static inline void atsm_error_init(atsm_error* error) {
  memset(error, 0, sizeof *error);
  error->struct_size = (uint32_t)sizeof *error;
  error->abi_version = ATSM_ABI_VERSION;
}

/* Copies `text` into a fixed buffer, truncating on a UTF-8 character boundary. */
static inline void atsm_copy_text(char* buffer, size_t size, const char* text) {
  size_t length;
  if (size == 0)
    return;
  if (text == NULL)
    text = "";
  length = strlen(text);
  if (length >= size) {
    length = size - 1;
    while (length > 0 && ((unsigned char)text[length] & 0xC0u) == 0x80u)
      --length;
  }
  memcpy(buffer, text, length);
  buffer[length] = '\0';
}

/* Fills `error` and returns `status`, so a connector can write `return atsm_fail(...)`. */
static inline atsm_status atsm_fail(atsm_error* error, atsm_status status, const char* message) {
  if (error != NULL)
    atsm_copy_text(error->message, sizeof error->message, message);
  return status;
}

/* The name of a status, e.g. "rate_limited"; "unknown" for a value outside the enum. */
static inline const char* atsm_status_name(atsm_status status) {
  switch (status) {
    case ATSM_OK:
      return "ok";
    case ATSM_RETRY:
      return "retry";
    case ATSM_RATE_LIMITED:
      return "rate_limited";
    case ATSM_AUTH:
      return "auth";
    case ATSM_NOT_FOUND:
      return "not_found";
    case ATSM_INVALID:
      return "invalid";
    case ATSM_PERMANENT:
      return "permanent";
    case ATSM_CANCELLED:
      return "cancelled";
    case ATSM_INTERNAL:
      return "internal";
    case ATSM_AMBIGUOUS:
      return "ambiguous";
  }
  return "unknown";
}

/* A byte sink the caller provides for results. `write` copies `size` bytes of `data` and returns
 * ATSM_OK, or another status to ask the callee to stop (it then returns that status). */
typedef struct atsm_output {
  void* context;
  atsm_status (*write)(void* context, const char* data, size_t size);
} atsm_output;

/* ------------------------------------------------------------------------------------------ */
/* Host services: lent to a connector instance by `open`, valid until its `close` returns.      */
/* ------------------------------------------------------------------------------------------ */

typedef enum atsm_log_level {
  ATSM_LOG_TRACE = 0,
  ATSM_LOG_DEBUG = 1,
  ATSM_LOG_INFO = 2,
  ATSM_LOG_WARN = 3,
  ATSM_LOG_ERROR = 4
} atsm_log_level;

typedef struct atsm_header {
  const char* name;
  const char* value;
} atsm_header;

/* One part of a multipart/form-data body: either `data`/`data_size` or a blob's bytes. */
typedef struct atsm_multipart_part {
  const char* name;         /* form field name */
  const char* file_name;    /* NULL for a plain field */
  const char* content_type; /* NULL: text/plain for fields, application/octet-stream for files */
  const char* data;
  size_t data_size;
  const char* blob_sha256; /* when set, the part's bytes are this blob's; `data` is ignored */
} atsm_multipart_part;

typedef enum atsm_auth_scheme {
  ATSM_AUTH_NONE = 0,
  /* HTTP Basic with the secret as user name and an empty password (Lever, Ashby API keys). */
  ATSM_AUTH_BASIC_SECRET_AS_USER = 1,
  /* HTTP Basic with two secrets: `auth_secret` as user, `auth_secret2` as password. */
  ATSM_AUTH_BASIC_SECRET_PAIR = 2,
  /* `Authorization: Bearer <secret>`. */
  ATSM_AUTH_BEARER_SECRET = 3
} atsm_auth_scheme;

/* An HTTP request. Everything is borrowed for the duration of the `http` call. */
typedef struct atsm_http_request {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* method; /* "GET", "POST", ... */
  const char* url;    /* absolute */
  const atsm_header* headers;
  size_t header_count;
  const char* body; /* ignored when parts are given */
  size_t body_size;
  const atsm_multipart_part* parts;
  size_t part_count;
  /* The rate-limit bucket this request counts against (declared with `declare_bucket`); NULL
   * for none. */
  const char* bucket;
  /* The host adds the Authorization header from named secrets, so the connector never needs
   * to hold the key itself. Authorization headers are never logged. */
  atsm_auth_scheme auth_scheme;
  const char* auth_secret;
  const char* auth_secret2;
  /* 0 means the host default. */
  uint32_t timeout_ms;
  /* Non-zero: the request may be repeated safely (reads). Zero: a write; the host then retries
   * it only when it provably never reached the vendor and otherwise reports ATSM_AMBIGUOUS.
   * [since 1.3] The values are named below: ATSM_HTTP_READ says more than "repeatable". */
  int32_t idempotent;
  /* Non-zero: stream the response body into the blob store instead of `body`; the response's
   * `blob_sha256` names it. */
  int32_t download_to_blob;
} atsm_http_request;

/* [since 1.3] Values of atsm_http_request.idempotent.
 *  - ATSM_HTTP_WRITE: a write (a create); see `idempotent` above.
 *  - ATSM_HTTP_REPEATABLE: repeatable, but it may have an effect (an update to fixed values, a
 *    tag added): the host retries it after a failure, but waits out an attempt that hangs, since
 *    an abandoned first copy landing after a later change would undo that change.
 *  - ATSM_HTTP_READ: a read, with no effect at the vendor whatever its method (a POST search, an
 *    Ashby `*.list` or `*.info`): the host may also abandon an attempt that hangs, after the
 *    same measured timeout as a GET's, and send it again.
 * Mixed minors: every host reads any non-zero value as "repeatable" (1.0 defined it so), so an
 * older host serves ATSM_HTTP_READ as ATSM_HTTP_REPEATABLE; connector.hpp sends it only to a
 * host from 1.3 on all the same. A host reads ATSM_HTTP_READ only from a request whose
 * `abi_version` is 1.3 or later (to an older connector, 2 was just "non-zero"). A GET or HEAD
 * marked repeatable is a read whatever the minor. */
#define ATSM_HTTP_WRITE 0
#define ATSM_HTTP_REPEATABLE 1
#define ATSM_HTTP_READ 2

/* What the host hands back. Owned by the host; valid until the `on_response` callback returns. */
typedef struct atsm_http_response {
  uint32_t struct_size;
  uint32_t abi_version;
  int32_t status; /* HTTP status of the last attempt */
  const atsm_header* headers;
  size_t header_count;
  const char* body;
  size_t body_size;
  const char* blob_sha256; /* set when download_to_blob was asked and the body was stored */
  uint64_t blob_size;
  uint32_t attempts;
  uint32_t elapsed_ms;
} atsm_http_response;

typedef void (*atsm_http_response_fn)(void* context, const atsm_http_response* response);

typedef enum atsm_rate_policy_kind {
  /* Tokens refill continuously at `rate_per_second` up to `burst` (Lever: 10/s, burst 20). */
  ATSM_RATE_TOKEN_BUCKET = 0,
  /* At most `limit` requests per fixed window of `window_ms` (Greenhouse v3: per 30 s). */
  ATSM_RATE_FIXED_WINDOW = 1
} atsm_rate_policy_kind;

typedef struct atsm_rate_policy {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* bucket;
  atsm_rate_policy_kind kind;
  double rate_per_second;   /* token bucket */
  uint32_t burst;           /* token bucket */
  uint32_t limit;           /* fixed window */
  uint32_t window_ms;       /* fixed window */
  uint32_t max_concurrency; /* 0 = no limit beyond the host's own */
} atsm_rate_policy;

typedef struct atsm_host_services {
  uint32_t struct_size;
  uint32_t abi_version;
  /* Opaque; passed back as the first argument of every service. */
  void* host;

  /* [any-thread] Writes a line to the run's log. Registered secrets are redacted. */
  void (*log)(void* host, atsm_log_level level, const char* message);

  /* [any-thread] Copies the secret `name` through `out`. ATSM_NOT_FOUND when it is not set (the
   * message says how to provide it). The value is already registered for redaction. */
  atsm_status (*get_secret)(void* host, const char* name, const atsm_output* out,
                            atsm_error* error);

  /* [any-thread] Registers a value the connector derived (an OAuth token) for redaction. */
  void (*register_secret)(void* host, const char* value);

  /* [any-thread] Declares (or redeclares) a rate-limit bucket the connector's requests use.
   * Buckets are shared by every instance of the run that names the same bucket. */
  atsm_status (*declare_bucket)(void* host, const atsm_rate_policy* policy, atsm_error* error);

  /* [any-thread] Performs an HTTP request through the shared rate limiter, with retries of
   * transport errors, 429 and 5xx (honouring Retry-After), timeouts and metrics. Returns ATSM_OK
   * whenever a response arrived, whatever its HTTP status (the connector classifies vendor
   * bodies), and calls `on_response` once before returning. Otherwise: ATSM_RETRY (retries
   * exhausted on a read), ATSM_AMBIGUOUS (a write may have been applied), ATSM_CANCELLED, or
   * ATSM_INVALID (a malformed request). */
  atsm_status (*http)(void* host, const atsm_http_request* request,
                      atsm_http_response_fn on_response, void* context, atsm_error* error);

  /* [any-thread] Stores bytes in the content-addressed blob store; writes the SHA-256 hex
   * (64 characters + NUL) into `sha256_hex`. */
  atsm_status (*blob_put)(void* host, const void* data, size_t size, char sha256_hex[65],
                          atsm_error* error);

  /* [any-thread] Reads a stored blob through `out`. ATSM_NOT_FOUND when absent. */
  atsm_status (*blob_get)(void* host, const char* sha256_hex, const atsm_output* out,
                          atsm_error* error);

  /* [any-thread] Looks up the target id the ledger holds for a source record already written
   * (kind and source key of the canonical model). ATSM_NOT_FOUND when none is done. */
  atsm_status (*ledger_target)(void* host, const char* kind, const char* source_key,
                               const atsm_output* out, atsm_error* error);

  /* [any-thread] Reports progress of the current step: `done` of `total` items of `kind`
   * (`total` 0 when unknown). */
  void (*progress)(void* host, const char* kind, uint64_t done, uint64_t total);

  /* [any-thread] Non-zero once the host wants the current call to stop. A connector checks it
   * between requests and returns ATSM_CANCELLED. */
  int32_t (*is_cancelled)(void* host);

  /* [any-thread] A host extension by versioned id (e.g. "atsm.host.metrics/1"); NULL when the
   * host does not offer it. */
  const void* (*get_extension)(void* host, const char* id);
} atsm_host_services;

/* ------------------------------------------------------------------------------------------ */
/* The connector                                                                                */
/* ------------------------------------------------------------------------------------------ */

#define ATSM_ROLE_SOURCE 0x1u
#define ATSM_ROLE_SINK 0x2u

/* The host may call write/find/read_back of one instance from several threads at once. */
#define ATSM_CAP_THREAD_SAFE 0x1u
/* The source honours the "since" config key (delta extraction). */
#define ATSM_CAP_INCREMENTAL 0x2u
/* The sink implements `find` (lookup-before-retry); without it an ambiguous write fails. */
#define ATSM_CAP_FIND 0x4u
/* The sink implements `read_back` (field-level reconciliation). */
#define ATSM_CAP_READ_BACK 0x8u
/* [since 1.1] The sink keeps every staged record as it is (an archive, a warehouse): the host
 * resolves no reference through the mapping file (an unmapped one does not fail the plan), merges
 * no person by email and no file by bytes, and applies none of the migration options' skip rules.
 * A host that did not know it would treat the sink as an ordinary one: a connector that sets it
 * declines hosts below 1.1 ("Mixed minors" above). */
#define ATSM_CAP_VERBATIM 0x10u

/* [since 1.1] The capability bits each minor defines. */
#define ATSM_CAPS_SINCE_1_0 \
  (ATSM_CAP_THREAD_SAFE | ATSM_CAP_INCREMENTAL | ATSM_CAP_FIND | ATSM_CAP_READ_BACK)
#define ATSM_CAPS_SINCE_1_1 ATSM_CAP_VERBATIM
/* [since 1.1] Every capability bit this header defines. */
#define ATSM_CAPS_KNOWN (ATSM_CAPS_SINCE_1_0 | ATSM_CAPS_SINCE_1_1)
/* [since 1.1] Capabilities that change what a host must do with a connector, unlike the ones a
 * host may ignore (THREAD_SAFE, FIND: it then does less): later minors define them in these bits,
 * and a host refuses a connector that sets one it does not know. VERBATIM is of that kind but
 * lies below, defined before this rule; hosts before 1.1 are kept from it by the entry point. */
#define ATSM_CAP_REQUIRED_RANGE 0xffff0000u

/* [since 1.1] The capability bits a connector built against ABI `abi_version` may set. */
static inline uint32_t atsm_capabilities_defined_in(uint32_t abi_version) {
  return ATSM_ABI_MINOR(abi_version) >= 1u ? ATSM_CAPS_KNOWN : ATSM_CAPS_SINCE_1_0;
}

/* [since 1.1] The lowest host minor that serves a connector with `capabilities` as it needs:
 * its entry point returns NULL to a host of a lower minor (of the same major). */
static inline uint32_t atsm_connector_minimum_host_minor(uint32_t capabilities) {
  return (capabilities & ATSM_CAP_VERBATIM) != 0u ? 1u : 0u;
}

/* [since 1.1] The capability bits a host of this header cannot honour for a connector that
 * declares ABI `abi_version` and `capabilities`: bits of the connector's own minor it left
 * undefined, and required bits (ATSM_CAP_REQUIRED_RANGE) the host does not know. A host refuses a
 * connector for which this is not 0. */
static inline uint32_t atsm_capabilities_unservable(uint32_t abi_version, uint32_t capabilities) {
  uint32_t undefined_by_its_minor =
      capabilities & ATSM_CAPS_KNOWN & ~atsm_capabilities_defined_in(abi_version);
  uint32_t unknown_required = capabilities & ATSM_CAP_REQUIRED_RANGE & ~ATSM_CAPS_KNOWN;
  return undefined_by_its_minor | unknown_required;
}

/* [since 1.1] */
/* Host extension "atsm.host.in_flight/1" (the services' get_extension): how many requests the
 * connector should keep in flight to run at its buckets' rate limit. The host answers with
 * Little's law on what the run has measured of this connector's requests: the buckets' limit
 * times the requests' mean time on the wire, doubled plus two for the latencies' spread and the
 * work between requests, at most 32. 0 while too little is measured: the connector keeps its own
 * default. A connector asks again as it goes; the answer follows the latency. [any-thread] */
#define ATSM_EXT_HOST_IN_FLIGHT "atsm.host.in_flight/1"
typedef struct atsm_host_in_flight_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  uint32_t (*suggested_in_flight)(void* host);
} atsm_host_in_flight_v1;

/* [since 1.1] */
/* Host extension "atsm.host.intents/1" (the services' get_extension): a durable record of
 * work a connector has begun on the target and must finish even if the process dies between two
 * of its calls (a job opened for a while that must be closed again). An intent is (topic, key)
 * with a text value. `begin` commits it before returning; `end` marks it finished (ATSM_OK when
 * none is open); `list` writes the topic's unfinished intents through `out` as a JSON array of
 * {"key", "value"}. Kept in the work dir with the ledger, under the run's sink, so a resumed,
 * delta or new run in the same work dir lists what an earlier one left open. Topics and keys are
 * non-empty; a topic is the connector's own name space. [any-thread] */
#define ATSM_EXT_HOST_INTENTS "atsm.host.intents/1"
typedef struct atsm_host_intents_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  atsm_status (*begin)(void* host, const char* topic, const char* key, const char* value,
                       atsm_error* error);
  atsm_status (*end)(void* host, const char* topic, const char* key, atsm_error* error);
  atsm_status (*list)(void* host, const char* topic, const atsm_output* out, atsm_error* error);
} atsm_host_intents_v1;

/* [since 1.1] */
/* Extension "atsm.sink.finish/1" (the descriptor's get_extension): a sink that commits its work
 * at the end (files replaced at once, a manifest) is told when a load has handed it every item.
 * `summary_json` is {"kinds": {"person": {"created": N, ...}, ...}}; `out` may receive a JSON
 * object the host logs. Not called when the load stopped early (fatal error, cancellation).
 * [instance-thread] */
#define ATSM_EXT_SINK_FINISH "atsm.sink.finish/1"
typedef struct atsm_sink_finish_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  atsm_status (*finish)(void* instance, const char* summary_json, const atsm_output* out,
                        atsm_error* error);
} atsm_sink_finish_v1;

/* [since 1.1] */
/* Extension "atsm.sink.census/1" (the descriptor's get_extension): every object of `kind` the
 * target holds that carries source keys (the legacy ids a sink writes on what it creates), so the
 * reconciliation can prove that no source record became two target objects and that no two
 * migrated persons share an email, whatever happened to the ledger. Writes a JSON array through
 * `out`: [{"target_id": "...", "keys": ["lever:contact:1", ...], "emails": ["a@b.example"]}]
 * ("emails" for persons; keys of every source, the host keeps its own). ATSM_NOT_FOUND for a kind
 * the sink cannot list that way. A census reads the whole target: the host calls it once per kind
 * and run. [same as read_back] */
#define ATSM_EXT_SINK_CENSUS "atsm.sink.census/1"
typedef struct atsm_sink_census_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  atsm_status (*census)(void* instance, const char* kind, const atsm_output* out,
                        atsm_error* error);
} atsm_sink_census_v1;

/* [since 1.1] */
/* Extension "atsm.source.unmigrated/1" (the descriptor's get_extension): what a source's vendor
 * holds that the connector does not carry into the canonical model, or carries only in another
 * form, each with the reason, so the report of every run lists it (report.json
 * `source_fields_not_migrated`). `fields_json` is a JSON array with the descriptor's lifetime:
 * [{"object": "...", "field": "...", "reason": "..."}], `object` naming the vendor object as the
 * connector's README does ("*": every object that has the field), `field` a path in it
 * ("salaryRange.min", "fields[].id"). What a sink cannot hold is its `lossy` answer per item.
 * [any-thread] */
#define ATSM_EXT_SOURCE_UNMIGRATED "atsm.source.unmigrated/1"
typedef struct atsm_source_unmigrated_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* fields_json;
} atsm_source_unmigrated_v1;

/* [since 1.2] */
/* Extension "atsm.connector.display/1" (the descriptor's get_extension): the name people know the
 * connector's system by ("Lever", "Greenhouse", "Legacy ATS"), for wherever its name ("lever")
 * would otherwise become visible text: the host shows it in `atsmigrate plugins list/info` and
 * hands a source's display name to the sink in the plan ("source_display_name",
 * sdk/docs/sink-protocol.md §1), which writes it into what it creates ("Lever note — ...").
 * UTF-8, 1 to 64 bytes, no control character; static storage. A host refuses a connector whose
 * display name breaks these rules. Without the extension (a connector before 1.2, or one that
 * declares none) the host derives a label from the name: each word between '_' and '-'
 * capitalised, joined by a space ("legacy_ats" gives "Legacy Ats"). A 1.1 host never asks for
 * it, and a 1.2 connector serves a 1.1 host as it is. [any-thread] */
#define ATSM_EXT_CONNECTOR_DISPLAY "atsm.connector.display/1"
typedef struct atsm_connector_display_v1 {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* display_name;
} atsm_connector_display_v1;

/* A batch of records a source emits. Borrowed for the duration of the `emit` call. */
typedef struct atsm_batch {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* kind;
  const char* records_json; /* a JSON array of canonical records of `kind` */
  size_t records_size;
  /* Opaque resume point after this batch (e.g. Lever's `next` token plus what was emitted).
   * The host commits it in the same transaction as the batch's records and passes it back to
   * `read` when a run resumes. NULL or "" means "the kind is complete". */
  const char* checkpoint;
} atsm_batch;

/* The host's receiver for batches. Returns ATSM_OK to continue; anything else (cancellation, a
 * staging failure) means "stop": `read` returns that status. */
typedef struct atsm_emitter {
  void* context;
  atsm_status (*emit)(void* context, const atsm_batch* batch);
} atsm_emitter;

typedef struct atsm_connector {
  uint32_t struct_size;
  uint32_t abi_version; /* the ABI the connector was built against */

  const char* name;        /* e.g. "lever"; [a-z0-9_-]+, unique among loaded connectors */
  const char* version;     /* the connector's own version, e.g. "1.2.0" */
  const char* description; /* one line */
  uint32_t roles;          /* ATSM_ROLE_* */
  uint32_t capabilities;   /* ATSM_CAP_* */
  /* JSON arrays of canonical kind names, e.g. ["user","job","person"]; "[]" for a role the
   * connector lacks. */
  const char* source_kinds_json;
  const char* sink_kinds_json;
  /* JSON array of the configuration keys `open` accepts:
   * [{"name":"base_url","type":"string","description":"...","default":"...","required":false}] */
  const char* config_keys_json;
  /* JSON array of the secrets the connector reads: [{"name":"LEVER_API_KEY","description":"...",
   * "required":true}] */
  const char* secrets_json;

  /* [instance-thread] Creates an instance. `config_json` is a JSON object of the keys above;
   * unknown keys are ATSM_INVALID naming them. `services` stays valid until `close` returns.
   * Writes the instance through `instance`. */
  atsm_status (*open)(const atsm_host_services* services, const char* config_json, void** instance,
                      atsm_error* error);

  /* [instance-thread] Destroys an instance. Never fails. */
  void (*close)(void* instance);

  /* [instance-thread] Source: streams every record of `kind` through `emitter`, in batches,
   * starting after `checkpoint` (NULL or "" for the beginning). Returns ATSM_OK when the kind
   * is complete. NULL for a connector without the source role. */
  atsm_status (*read)(void* instance, const char* kind, const char* checkpoint,
                      const atsm_emitter* emitter, atsm_error* error);

  /* [instance-thread] Sink: reads what the target already holds and checks that the plan can
   * be applied. `plan_json` describes the migration (options, counts, the reference records the
   * source has); writes a JSON object through `out`: {"catalog": {...the target's reference
   * objects with their ids...}, "missing": [{"kind", "name", "reason"}, ...]}. Must not write to
   * the target. The JSON on both sides: sdk/docs/sink-protocol.md. NULL without the sink role. */
  atsm_status (*prepare)(void* instance, const char* plan_json, const atsm_output* out,
                         atsm_error* error);

  /* [instance-thread or concurrently with ATSM_CAP_THREAD_SAFE] Sink: writes the items of
   * `kind` in `items_json`, a JSON array of write items ({"key", "record", "group", "refs",
   * "target_id", "lookup_first"}: sdk/docs/sink-protocol.md). Each item is one ledger row: it
   * creates one target object, or updates the one named by "target_id". Writes one JSON array
   * through `out`, an entry per item in the same order: {"key", "status": "ok" | <atsm_status
   * name>, "target_id", "derived", "lossy", "message", "vendor_code", "vendor_request_id"}.
   * Returns ATSM_OK when every item has an entry (whatever its status); a non-OK return means
   * the whole batch failed and `out` is ignored. */
  atsm_status (*write)(void* instance, const char* kind, const char* items_json,
                       const atsm_output* out, atsm_error* error);

  /* [same as write] Sink: looks for the object an earlier, ambiguous write of `item_json` (one
   * write item) may have created. Writes {"target_id":"..."} through `out` and returns ATSM_OK
   * when found, ATSM_NOT_FOUND when it surely does not exist. NULL without ATSM_CAP_FIND. */
  atsm_status (*find)(void* instance, const char* kind, const char* item_json,
                      const atsm_output* out, atsm_error* error);

  /* [same as write] Sink: reads back what the target holds for `target_id`, as a canonical
   * record of `kind`, through `out`. NULL without ATSM_CAP_READ_BACK. */
  atsm_status (*read_back)(void* instance, const char* kind, const char* target_id,
                           const atsm_output* out, atsm_error* error);

  /* [any-thread] An optional feature by versioned id ("atsm.<name>/<n>"); NULL when absent.
   * The returned table lives as long as the library. */
  const void* (*get_extension)(const char* id);
} atsm_connector;

/* The entry point: [load-thread]. Receives the host's ABI version; returns the connector's
 * descriptor (static storage, valid until unload), or NULL when it cannot serve this host. It
 * must not do I/O or start threads: the host calls it to list plugins. */
typedef const atsm_connector* (*atsm_connector_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* ATSMIGRATE_CONNECTOR_H */
