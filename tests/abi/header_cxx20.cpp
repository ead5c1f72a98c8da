// Compiles the SDK headers as C++20 with pedantic errors; the C11 side is plugins/plain_c_source.c.
#include <atsmigrate/connector.h>

#include <atsmigrate/connector.hpp>

static_assert(ATSM_ABI_MAJOR(ATSM_ABI_VERSION) == ATSM_ABI_VERSION_MAJOR);
static_assert(sizeof(atsm_error) >= ATSM_ERROR_MESSAGE_SIZE);
