// The datasheet blob: a tree flattened into one string (builder.compile), so
// a sheet can be compiled ahead of time, stored, and loaded back.
//
//   blob  := "SKDS" version:u8 value
//   value := 0 (false) | 1 (true) | 2 f64 | 3 len:u32 bytes | 4 table
//   table := narray:u32 nhash:u32 value*narray (key value)*nhash
// Integers are little-endian. Keys are numbers (tag 2) or strings (tag 3).
#pragma once

#include "tree.h"

#include <string>
#include <string_view>

namespace sharedata {

std::string encode(const Tree &tree);

// The tree of a blob, or nullptr with the reason in `error`.
std::unique_ptr<Tree> decode(std::string_view blob, std::string &error);

} // namespace sharedata
