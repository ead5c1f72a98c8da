// The whole canonical model: types, kinds, codec, time and email helpers.
#pragma once

#include "model/codec.hpp"
#include "model/email.hpp"
#include "model/enums.hpp"
#include "model/kind.hpp"
#include "model/record.hpp"
#include "model/time.hpp"
#include "model/types.hpp"
