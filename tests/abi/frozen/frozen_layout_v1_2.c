/* The layout of the frozen ABI 1.2 header, measured by the compiler. */
#include "connector_v1_2.h"
#include "frozen_layout.h"

const atsm_layout_entry atsm_frozen_layout_v1_2[] = {
#include "layout_fields_v1_2.inc"
    {NULL, 0}};

const atsm_layout_text atsm_frozen_texts_v1_2[] = {
#include "texts_v1_2.inc"
    {NULL, NULL}};
