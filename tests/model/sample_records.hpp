// Sample records of every kind, shared by the codec tests and the schema-validation writer.
#pragma once

#include <vector>

#include <atsmigrate/model/record.hpp>

namespace atsm::model::testing {

// One record per kind with every member set (kind order), then one per kind with only the
// required members.
std::vector<Record> full_sample_records();
std::vector<Record> minimal_sample_records();

}  // namespace atsm::model::testing
