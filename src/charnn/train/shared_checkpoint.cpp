// Rank 0 loads, every rank receives; see shared_checkpoint.h.
#include "charnn/train/shared_checkpoint.h"

#include <utility>

#include "charnn/error.h"
#include "charnn/text/utf8.h"

namespace charnn {

CheckpointChoice load_first_good_checkpoint(Collective& collective, const std::vector<std::string>& candidates) {
  CheckpointChoice choice;
  const bool shared = collective.size() > 1;
  std::string bytes;  // rank 0: the chosen file's, kept to send on
  if (collective.rank() == 0) {
    for (const std::string& path : candidates) {
      try {
        bytes = read_file_bytes(path);
        if (shared) {
          choice.checkpoint = parse_checkpoint(bytes, path);
        } else {
          choice.checkpoint = parse_checkpoint(std::move(bytes), path);
        }
        choice.path = path;
        break;
      } catch (const Error& e) {
        choice.problems.push_back(e.what());
        bytes.clear();
      }
    }
  }
  if (shared) {
    collective.broadcast(choice.path);
    collective.broadcast(bytes);  // empty when rank 0 found none
    if (collective.rank() != 0 && !bytes.empty()) choice.checkpoint = parse_checkpoint(std::move(bytes), choice.path);
  }
  return choice;
}

}  // namespace charnn
