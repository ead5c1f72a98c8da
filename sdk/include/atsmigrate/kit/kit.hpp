// The connector kit: helpers for what every connector does (sdk/README.md, "The connector kit").
// Link atsmigrate::kit; time normalisation is the model's (<atsmigrate/model/time.hpp>).
#pragma once

#include <atsmigrate/kit/checkpoint.hpp>
#include <atsmigrate/kit/config.hpp>
#include <atsmigrate/kit/json_reader.hpp>
#include <atsmigrate/kit/pause.hpp>
#include <atsmigrate/kit/url.hpp>
#include <atsmigrate/kit/validation_errors.hpp>
