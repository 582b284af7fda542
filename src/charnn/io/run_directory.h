// The files of a training run directory and their rotation:
//   checkpoint-<step>.safetensors  the newest K checkpoints (K = keep)
//   last.safetensors               the newest checkpoint (a hard link)
//   best.safetensors               lowest validation loss so far (a hard link)
// A new checkpoint is made durable before last/best move to it, and older ones
// are deleted only after that, so a crash or full disk never loses the last good one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace charnn {

class RunDirectory {
 public:
  explicit RunDirectory(std::string path);

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const;

  // Writes a checkpoint for `step`, points last (and best when asked) at it,
  // then prunes to the newest `keep`. Throws Error if the checkpoint itself
  // could not be written; everything that was good before stays good.
  void commit(std::string_view bytes, int64_t step, bool best, int keep) const;

  // Checkpoints to try when resuming, most recent first: last, then the
  // numbered ones by falling step, then best.
  std::vector<std::string> resume_candidates() const;

  // Removes temporary files a killed writer left behind.
  void remove_stale_temporaries() const;

 private:
  void point_at(const std::string& target, const std::string& name, std::string_view bytes) const;
  std::string path_;
};

}  // namespace charnn
