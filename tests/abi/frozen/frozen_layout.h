/* One measured fact of an ABI header: a field's offset, a struct's size or a constant's value. */
#ifndef ATSM_FROZEN_LAYOUT_H
#define ATSM_FROZEN_LAYOUT_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct atsm_layout_entry {
  const char* what; /* "atsm_batch.checkpoint", "sizeof atsm_batch", "ATSM_CAP_FIND" */
  size_t value;
} atsm_layout_entry;

/* The frozen 1.0 header's facts (frozen_layout.c), NULL-terminated. */
extern const atsm_layout_entry atsm_frozen_layout[];
/* The frozen 1.1 header's facts (frozen_layout_v1_1.c), NULL-terminated. */
extern const atsm_layout_entry atsm_frozen_layout_v1_1[];
/* The frozen 1.2 header's facts (frozen_layout_v1_2.c), NULL-terminated. */
extern const atsm_layout_entry atsm_frozen_layout_v1_2[];
/* The frozen 1.3 header's facts (frozen_layout_v1_3.c), NULL-terminated. */
extern const atsm_layout_entry atsm_frozen_layout_v1_3[];

/* A text constant of an ABI header: an extension id, the entry symbol. */
typedef struct atsm_layout_text {
  const char* what; /* "ATSM_EXT_SINK_FINISH" */
  const char* text; /* "atsm.sink.finish/1" */
} atsm_layout_text;

/* The frozen 1.1 header's text constants, NULL-terminated. */
extern const atsm_layout_text atsm_frozen_texts_v1_1[];
/* The frozen 1.2 header's text constants, NULL-terminated. */
extern const atsm_layout_text atsm_frozen_texts_v1_2[];

#ifdef __cplusplus
}
#endif

#define ATSM_LAYOUT_FIELD(type, field) {#type "." #field, offsetof(type, field)},
#define ATSM_LAYOUT_SIZE(type) {"sizeof " #type, sizeof(type)},
#define ATSM_LAYOUT_CONST(name) {#name, (size_t)(name)},
#define ATSM_LAYOUT_TEXT(name) {#name, name},

#endif
