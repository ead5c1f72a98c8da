/* The layout of the frozen ABI 1.3 header, measured by the compiler. */
#include "connector_v1_3.h"
#include "frozen_layout.h"

const atsm_layout_entry atsm_frozen_layout_v1_3[] = {
#include "layout_fields_v1_3.inc"
    {NULL, 0}};
