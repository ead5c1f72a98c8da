// Writes the sample records of every kind, through the codec, as JSON Lines: the input of the
// schema-validation test (validate_schema.py). Usage: atsm_model_write_samples OUTPUT.jsonl
#include <fstream>
#include <iostream>

#include <atsmigrate/model/codec.hpp>
#include "sample_records.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " OUTPUT.jsonl\n";
    return 2;
  }
  std::ofstream out(argv[1], std::ios::trunc);
  if (!out) {
    std::cerr << "cannot write " << argv[1] << '\n';
    return 1;
  }
  std::size_t count = 0;
  for (const auto& records : {atsm::model::testing::full_sample_records(),
                              atsm::model::testing::minimal_sample_records()}) {
    for (const auto& record : records) {
      out << atsm::model::serialize_record(record) << '\n';
      ++count;
    }
  }
  out.close();
  if (!out) {
    std::cerr << "failed writing " << argv[1] << '\n';
    return 1;
  }
  std::cout << "wrote " << count << " records to " << argv[1] << '\n';
  return 0;
}
