/* The layout of the frozen ABI 1.0 header, measured by the compiler. */
#include "frozen_layout.h"
#include "connector_v1_0.h"

const atsm_layout_entry atsm_frozen_layout[] = {
#include "layout_fields.inc"
    {NULL, 0}};
