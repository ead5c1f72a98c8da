/* The layout of the frozen ABI 1.1 header, measured by the compiler. */
#include "connector_v1_1.h"
#include "frozen_layout.h"

const atsm_layout_entry atsm_frozen_layout_v1_1[] = {
#include "layout_fields_v1_1.inc"
    {NULL, 0}};

const atsm_layout_text atsm_frozen_texts_v1_1[] = {
#include "texts_v1_1.inc"
    {NULL, NULL}};
