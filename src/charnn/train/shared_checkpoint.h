// One checkpoint for every rank of a run: rank 0 reads and verifies the files,
// the other ranks receive its bytes, so ranks need not share a file system and
// cannot pick different checkpoints. With SingleProcess it is a plain load.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "charnn/io/checkpoint.h"
#include "charnn/train/collective.h"

namespace charnn {

struct CheckpointChoice {
  std::optional<Checkpoint> checkpoint;  // the same on every rank; empty when none was usable
  std::string path;                      // the candidate it came from
  std::vector<std::string> problems;     // rank 0 only: why candidates were skipped
};

// Rank 0 tries `candidates` (ignored on other ranks) in order; every rank gets
// the first that loads and verifies. A collective call: every rank makes it.
CheckpointChoice load_first_good_checkpoint(Collective& collective, const std::vector<std::string>& candidates);

}  // namespace charnn
