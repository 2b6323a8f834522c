// libFuzzer target: the websocket frame header decoder (http.websocket.core).
// Any header it accepts must re-encode to a header that decodes the same;
// the payload mask is applied to the rest of the input.
#include "lua/websocket/frame.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    size_t head = websocket::header_size(data[0], data[1]);
    if (head > size)
        return 0;
    websocket::FrameHeader h;
    const char *error = nullptr;
    if (!websocket::parse_header({data, head}, h, error))
        return 0;
    std::array<uint8_t, websocket::kMaxHeader> out;
    size_t n = websocket::write_header(out, h);
    websocket::FrameHeader again;
    if (!websocket::parse_header({out.data(), n}, again, error) || again.fin != h.fin ||
        again.opcode != h.opcode || again.length != h.length || again.masked != h.masked ||
        again.mask != h.mask)
        std::abort();
    std::vector<uint8_t> payload(data + head, data + size);
    websocket::apply_mask(payload, h.mask, head);
    return 0;
}
