// The sproto wire layout, shared by the schema loader and the decoder.
//
// A struct is a u16 entry count, then u16 entries, then the data parts. An
// even entry v is a field: v = 0 means its value is the next data part (a u32
// length and that many bytes), otherwise the value is v / 2 - 1 inline. An odd
// entry skips (v - 1) / 2 tags. Tags start at 0 and each entry advances by 1.
// All integers are little-endian.
#ifndef SKYNET_SPROTO_WIRE_H
#define SKYNET_SPROTO_WIRE_H

#include <cstddef>
#include <cstdint>
#include <span>

namespace sproto::wire {

inline uint32_t u16(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8;
}
inline uint32_t u32(const uint8_t *p) {
    return u16(p) | u16(p + 2) << 16;
}

inline void put_u16(uint8_t *p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
}

inline void put_u32(uint8_t *p, uint32_t v) {
    put_u16(p, v & 0xffff);
    put_u16(p + 2, v >> 16);
}

struct Entry {
    int tag;
    int value;                     // >= 0: inline value; -1: the value is `data`
    std::span<const uint8_t> data; // the data part without its length
};

// Walks the entries of one struct; the caller stops at the first false.
class StructReader {
  public:
    explicit StructReader(std::span<const uint8_t> bytes) : bytes_(bytes) {
        if (bytes.size() < 2)
            return;
        count_ = static_cast<int>(u16(bytes.data()));
        data_ = 2 + size_t(2) * static_cast<size_t>(count_);
        ok_ = data_ <= bytes.size();
    }

    bool ok() const { return ok_; }
    int count() const { return count_; }

    // The next field; false at the end or when the data overruns (then ok()
    // turns false).
    bool next(Entry &e) {
        while (ok_ && index_ < count_) {
            uint32_t v = u16(bytes_.data() + 2 + 2 * index_++);
            ++tag_;
            if (v & 1) {
                tag_ += static_cast<int>(v / 2);
                continue;
            }
            e.tag = tag_;
            e.value = static_cast<int>(v / 2) - 1;
            if (e.value >= 0)
                return true;
            size_t left = bytes_.size() - data_;
            if (left < 4 || left - 4 < u32(bytes_.data() + data_)) {
                ok_ = false;
                return false;
            }
            size_t n = u32(bytes_.data() + data_);
            e.data = bytes_.subspan(data_ + 4, n);
            data_ += 4 + n;
            return true;
        }
        return false;
    }

    // Bytes of the struct read so far (all of it once next() returned false).
    size_t consumed() const { return data_; }

  private:
    std::span<const uint8_t> bytes_;
    int count_ = 0;
    int index_ = 0;
    int tag_ = -1;
    size_t data_ = 0;
    bool ok_ = false;
};

// The elements of an array of length-prefixed parts; false when malformed.
template <class F> bool for_each_part(std::span<const uint8_t> bytes, F &&f) {
    while (!bytes.empty()) {
        if (bytes.size() < 4 || bytes.size() - 4 < u32(bytes.data()))
            return false;
        size_t n = u32(bytes.data());
        if (!f(bytes.subspan(4, n)))
            return false;
        bytes = bytes.subspan(4 + n);
    }
    return true;
}

} // namespace sproto::wire

#endif
