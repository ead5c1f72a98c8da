// The whole canonical model: types, kinds, codec, time and email helpers.
#pragma once

#include <atsmigrate/model/codec.hpp>
#include <atsmigrate/model/email.hpp>
#include <atsmigrate/model/enums.hpp>
#include <atsmigrate/model/kind.hpp>
#include <atsmigrate/model/record.hpp>
#include <atsmigrate/model/time.hpp>
#include <atsmigrate/model/types.hpp>
