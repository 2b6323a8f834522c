#include "tree.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <new>

namespace sharedata {

namespace {

constexpr size_t min_block = 16 * 1024;

std::atomic<size_t> trees_alive{0};
std::atomic<size_t> bytes_alive{0};

bool same_key(const Value &a, const Value &b) {
    if (a.type != b.type)
        return false;
    if (a.type == Type::number)
        return a.number == b.number;
    return a.text() == b.text();
}

size_t slot_capacity(size_t count) {
    if (count == 0)
        return 0;
    // at most 3/4 full, so probes stay short
    return std::bit_ceil(count + count / 3 + 1);
}

} // namespace

Value Value::of(bool b) {
    Value v;
    v.type = Type::boolean;
    v.boolean = b;
    return v;
}

Value Value::of(double n) {
    Value v;
    v.type = Type::number;
    v.number = n;
    return v;
}

// FNV-1a over the length and at most 32 bytes sampled along the string:
// long keys hash in bounded time, and every read of a key hashes it.
uint32_t hash_string(std::string_view s) {
    uint32_t h = 2166136261u ^ static_cast<uint32_t>(s.size());
    size_t step = (s.size() >> 5) + 1;
    for (size_t i = 0; i < s.size(); i += step) {
        h ^= static_cast<uint8_t>(s[i]);
        h *= 16777619u;
    }
    return h;
}

uint32_t hash_number(double n) {
    if (n == 0)
        n = 0; // -0 and 0 are one key
    uint64_t bits;
    std::memcpy(&bits, &n, sizeof bits);
    bits ^= bits >> 29;
    bits *= 0xbf58476d1ce4e5b9ull;
    return static_cast<uint32_t>(bits ^ (bits >> 32));
}

namespace {

template <class Match> const Slot *probe(std::span<Slot> slots, uint32_t hash, Match match) {
    if (slots.empty())
        return nullptr;
    size_t mask = slots.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const Slot &s = slots[i];
        if (s.key.type == Type::nil)
            return nullptr;
        if (s.hash == hash && match(s.key))
            return &s;
    }
}

} // namespace

const Value *Node::find(std::string_view key) const {
    const Slot *s = probe(slots, hash_string(key), [key](const Value &k) {
        return k.type == Type::string && k.text() == key;
    });
    return s ? &s->value : nullptr;
}

const Value *Node::find(double key) const {
    if (key >= 1 && key <= static_cast<double>(array.size()) && std::floor(key) == key)
        return &array[static_cast<size_t>(key) - 1];
    const Slot *s = probe(slots, hash_number(key), [key](const Value &k) {
        return k.type == Type::number && k.number == key;
    });
    return s ? &s->value : nullptr;
}

std::optional<size_t> Node::next(std::optional<size_t> after) const {
    size_t i = after ? *after + 1 : 0;
    if (i < array.size())
        return i;
    for (; i - array.size() < slots.size(); ++i)
        if (slots[i - array.size()].key.type != Type::nil)
            return i;
    return std::nullopt;
}

std::optional<size_t> Node::position(const Value &key) const {
    if (key.type == Type::number && key.number >= 1 &&
        key.number <= static_cast<double>(array.size()) && std::floor(key.number) == key.number)
        return static_cast<size_t>(key.number) - 1;
    uint32_t hash = key.type == Type::string ? hash_string(key.text()) : hash_number(key.number);
    const Slot *s = probe(slots, hash, [&key](const Value &k) { return same_key(k, key); });
    if (s == nullptr)
        return std::nullopt;
    return array.size() + static_cast<size_t>(s - slots.data());
}

Value Node::key_at(size_t entry) const {
    if (entry < array.size())
        return Value::of(static_cast<double>(entry + 1));
    return slots[entry - array.size()].key;
}

const Value &Node::value_at(size_t entry) const {
    if (entry < array.size())
        return array[entry];
    return slots[entry - array.size()].value;
}

Builder::Builder() : tree_(new Tree) {}
Builder::~Builder() = default;

void *Builder::allocate(size_t size, size_t align) {
    Tree &t = *tree_;
    size_t at = (t.block_used_ + align - 1) & ~(align - 1);
    if (t.blocks_.empty() || at + size > t.block_size_) {
        size_t want = std::max(min_block, size + align);
        t.blocks_.push_back(std::make_unique<std::byte[]>(want));
        t.block_size_ = want;
        t.bytes_ += want;
        at = 0;
    }
    t.block_used_ = at + size;
    return t.blocks_.back().get() + at;
}

Value Builder::string(std::string_view s) {
    char *p = static_cast<char *>(allocate(s.size() + 1, 1));
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    Value v;
    v.type = Type::string;
    v.length = static_cast<uint32_t>(s.size());
    v.string = p;
    return v;
}

Node *Builder::table(size_t array_size, size_t hash_count) {
    Node *n = new (allocate(sizeof(Node), alignof(Node))) Node;
    if (array_size > 0) {
        Value *a = static_cast<Value *>(allocate(sizeof(Value) * array_size, alignof(Value)));
        for (size_t i = 0; i < array_size; ++i)
            new (a + i) Value;
        n->array = {a, array_size};
    }
    size_t cap = slot_capacity(hash_count);
    if (cap > 0) {
        Slot *s = static_cast<Slot *>(allocate(sizeof(Slot) * cap, alignof(Slot)));
        for (size_t i = 0; i < cap; ++i)
            new (s + i) Slot;
        n->slots = {s, cap};
    }
    return n;
}

void Builder::set_array(Node *node, size_t index, const Value &v) {
    node->array[index] = v;
}

bool Builder::set(Node *node, const Value &key, const Value &v) {
    uint32_t hash = key.type == Type::string ? hash_string(key.text()) : hash_number(key.number);
    size_t mask = node->slots.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        Slot &s = node->slots[i];
        if (s.key.type == Type::nil) {
            s.key = key;
            s.value = v;
            s.hash = hash;
            ++node->count;
            return true;
        }
        if (s.hash == hash && same_key(s.key, key))
            return false;
    }
}

Value Builder::of(const Node *node) {
    Value v;
    v.type = Type::table;
    v.table = node;
    return v;
}

std::unique_ptr<Tree> Builder::finish(const Node *root) {
    tree_->root_ = root;
    bytes_alive.fetch_add(tree_->bytes_, std::memory_order_relaxed);
    return std::move(tree_);
}

Tree::Tree() {
    trees_alive.fetch_add(1, std::memory_order_relaxed);
}

Tree::~Tree() {
    trees_alive.fetch_sub(1, std::memory_order_relaxed);
    if (root_ != nullptr)
        bytes_alive.fetch_sub(bytes_, std::memory_order_relaxed);
}

bool Tree::release(Tree *tree) {
    if (tree->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1)
        return false;
    std::unique_ptr<Tree> last(tree);
    return true;
}

size_t Tree::live_trees() {
    return trees_alive.load(std::memory_order_relaxed);
}
size_t Tree::live_bytes() {
    return bytes_alive.load(std::memory_order_relaxed);
}

} // namespace sharedata
