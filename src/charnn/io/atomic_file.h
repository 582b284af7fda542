// Durable, all-or-nothing file replacement: write a temporary file in the same
// directory, fsync it, rename it over the target, fsync the directory. A crash
// or a full disk at any point leaves either the old file or the new one.
#pragma once

#include <string>
#include <string_view>

namespace charnn {

// Throws Error (naming the path and the system's reason) on failure, after
// removing the temporary file; the previous file at `path` is untouched.
void write_file_atomically(const std::string& path, std::string_view bytes);

// Creates a directory and its parents if needed; throws Error on failure.
void make_directories(const std::string& path);

}  // namespace charnn
