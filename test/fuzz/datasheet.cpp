// libFuzzer target: the datasheet blob decoder (builder.new accepts blobs
// compiled elsewhere). Whatever it accepts must encode back to itself.
#include "lua/sharedata/blob.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view in(reinterpret_cast<const char *>(data), size);
    std::string error;
    auto tree = sharedata::decode(in, error);
    if (tree && sharedata::encode(*tree).size() != size)
        std::abort();
    return 0;
}
