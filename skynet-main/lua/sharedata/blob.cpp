#include "blob.h"

#include <cmath>
#include <cstring>

namespace sharedata {

namespace {

constexpr char magic[] = {'S', 'K', 'D', 'S'};
constexpr uint8_t version = 1;
constexpr int max_depth = 128;

enum Tag : uint8_t { tag_false = 0, tag_true = 1, tag_number = 2, tag_string = 3, tag_table = 4 };

class Writer {
  public:
    std::string out;

    void u8(uint8_t v) { out.push_back(static_cast<char>(v)); }
    void u32(uint32_t v) {
        for (int i = 0; i < 4; ++i)
            u8(static_cast<uint8_t>(v >> (8 * i)));
    }
    void number(double n) {
        uint64_t bits;
        std::memcpy(&bits, &n, sizeof bits);
        u8(tag_number);
        for (int i = 0; i < 8; ++i)
            u8(static_cast<uint8_t>(bits >> (8 * i)));
    }
    void value(const Value &v) {
        switch (v.type) {
        case Type::nil:
        case Type::boolean:
            u8(v.boolean ? tag_true : tag_false);
            break;
        case Type::number:
            number(v.number);
            break;
        case Type::string:
            u8(tag_string);
            u32(v.length);
            out.append(v.string, v.length);
            break;
        case Type::table:
            table(*v.table);
            break;
        }
    }
    void table(const Node &n) {
        u8(tag_table);
        u32(static_cast<uint32_t>(n.array.size()));
        u32(n.count);
        for (const Value &v : n.array)
            value(v);
        for (const Slot &s : n.slots) {
            if (s.key.type == Type::nil)
                continue;
            value(s.key);
            value(s.value);
        }
    }
};

class Reader {
  public:
    explicit Reader(std::string_view in) : in_(in) {}

    std::unique_ptr<Tree> run(std::string &error) {
        if (in_.size() < sizeof magic + 1 || std::memcmp(in_.data(), magic, sizeof magic) != 0) {
            error = "Invalid datasheet blob (bad header)";
            return nullptr;
        }
        if (static_cast<uint8_t>(in_[sizeof magic]) != version) {
            error = "Invalid datasheet blob (version)";
            return nullptr;
        }
        pos_ = sizeof magic + 1;
        uint8_t tag = 0;
        const Node *root = nullptr;
        if (!u8(tag) || tag != tag_table || !(root = table(0))) {
            error = error_.empty() ? "Invalid datasheet blob (no root table)" : error_;
            return nullptr;
        }
        if (pos_ != in_.size()) {
            error = "Invalid datasheet blob (trailing bytes)";
            return nullptr;
        }
        return builder_.finish(root);
    }

  private:
    bool fail(const char *why) {
        if (error_.empty())
            error_ = std::string("Invalid datasheet blob (") + why + ")";
        return false;
    }
    bool u8(uint8_t &v) {
        if (pos_ >= in_.size())
            return fail("truncated");
        v = static_cast<uint8_t>(in_[pos_++]);
        return true;
    }
    bool u32(uint32_t &v) {
        if (in_.size() - pos_ < 4)
            return fail("truncated");
        v = 0;
        for (int i = 0; i < 4; ++i)
            v |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
        return true;
    }
    bool value(Value &v, int depth) {
        uint8_t tag = 0;
        if (!u8(tag))
            return false;
        switch (tag) {
        case tag_false:
        case tag_true:
            v = Value::of(tag == tag_true);
            return true;
        case tag_number: {
            if (in_.size() - pos_ < 8)
                return fail("truncated");
            uint64_t bits = 0;
            for (int i = 0; i < 8; ++i)
                bits |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
            double n;
            std::memcpy(&n, &bits, sizeof n);
            v = Value::of(n);
            return true;
        }
        case tag_string: {
            uint32_t len = 0;
            if (!u32(len))
                return false;
            if (in_.size() - pos_ < len)
                return fail("truncated");
            v = builder_.string(in_.substr(pos_, len));
            pos_ += len;
            return true;
        }
        case tag_table: {
            const Node *n = table(depth + 1);
            if (n == nullptr)
                return false;
            v = Builder::of(n);
            return true;
        }
        default:
            return fail("bad tag");
        }
    }
    bool key(Value &k) {
        if (!value(k, max_depth))
            return false;
        if (k.type == Type::number && (std::isnan(k.number) || std::floor(k.number) != k.number))
            return fail("bad key");
        if (k.type != Type::number && k.type != Type::string)
            return fail("bad key");
        return true;
    }
    const Node *table(int depth) {
        if (depth > max_depth) {
            fail("too deep");
            return nullptr;
        }
        uint32_t narray = 0, nhash = 0;
        if (!u32(narray) || !u32(nhash))
            return nullptr;
        // every value takes a byte at least: bounds the allocation by the input
        if (static_cast<uint64_t>(narray) + 2ull * nhash > in_.size() - pos_) {
            fail("truncated");
            return nullptr;
        }
        Node *node = builder_.table(narray, nhash);
        for (uint32_t i = 0; i < narray; ++i) {
            Value v;
            if (!value(v, depth))
                return nullptr;
            builder_.set_array(node, i, v);
        }
        for (uint32_t i = 0; i < nhash; ++i) {
            Value k, v;
            if (!key(k) || !value(v, depth))
                return nullptr;
            if (k.type == Type::number && k.number >= 1 && k.number <= narray) {
                fail("key in the array part");
                return nullptr;
            }
            if (!builder_.set(node, k, v)) {
                fail("duplicate key");
                return nullptr;
            }
        }
        return node;
    }

    std::string_view in_;
    size_t pos_ = 0;
    Builder builder_;
    std::string error_;
};

} // namespace

std::string encode(const Tree &tree) {
    Writer w;
    w.out.append(magic, sizeof magic);
    w.u8(version);
    w.table(tree.root());
    return std::move(w.out);
}

std::unique_ptr<Tree> decode(std::string_view blob, std::string &error) {
    return Reader(blob).run(error);
}

} // namespace sharedata
