// The native store behind sharedata, sharetable and datasheet: one immutable
// tree of tables built once, then read by every service without copying.
// A tree is reference counted across threads (the last release frees it)
// and carries a dirty flag: set when a newer version replaces it, it tells
// readers to move their proxies to the new tree.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sharedata {

struct Node;

enum class Type : uint8_t { nil, boolean, number, string, table };

// A value as stored: strings and tables point into the tree's arena.
struct Value {
    Type type = Type::nil;
    bool boolean = false;
    uint32_t length = 0; // of a string
    union {
        double number = 0;
        const char *string;
        const Node *table;
    };

    static Value of(bool b);
    static Value of(double n);
    std::string_view text() const { return {string, length}; }
};

// Keys are strings or numbers; 1..#array live in the array part.
struct Slot {
    Value key;
    Value value;
    uint32_t hash = 0;
};

struct Node {
    std::span<Value> array;
    std::span<Slot> slots; // open addressing, a power of two long, or empty
    uint32_t count = 0;    // keys in slots

    const Value *find(std::string_view key) const;
    const Value *find(double key) const;
    // The key after `key` in iteration order (array part first): the index of
    // the next entry, or nullopt at the end. Entry i < array.size() is
    // array[i] with key i+1; beyond that it is slots[i - array.size()].
    std::optional<size_t> next(std::optional<size_t> after) const;
    // The entry index of a key, for resuming an iteration.
    std::optional<size_t> position(const Value &key) const;
    Value key_at(size_t entry) const;
    const Value &value_at(size_t entry) const;
};

uint32_t hash_string(std::string_view s);
uint32_t hash_number(double n);

class Tree;

// Builds a tree bottom-up: a table's children are built before it.
class Builder {
  public:
    Builder();
    ~Builder();
    Builder(const Builder &) = delete;
    Builder &operator=(const Builder &) = delete;

    Value string(std::string_view s);
    // A table of `array_size` array values and `hash_count` keyed values;
    // fill it with set_array/set before building its parent.
    Node *table(size_t array_size, size_t hash_count);
    void set_array(Node *node, size_t index, const Value &v); // index 0-based
    // Adds key = v; false if the key is there already.
    bool set(Node *node, const Value &key, const Value &v);
    static Value of(const Node *node);

    // The finished tree with this root; the builder is spent.
    std::unique_ptr<Tree> finish(const Node *root);

  private:
    void *allocate(size_t size, size_t align);
    std::unique_ptr<Tree> tree_;
};

class Tree {
  public:
    const Node &root() const { return *root_; }
    size_t bytes() const { return bytes_; }

    // References: a new tree has one. release() frees the tree when it drops
    // the last one and says so.
    void retain() { refs_.fetch_add(1, std::memory_order_relaxed); }
    static bool release(Tree *tree);
    int refs() const { return refs_.load(std::memory_order_acquire); }

    void mark_dirty() { dirty_.store(true, std::memory_order_release); }
    bool dirty() const { return dirty_.load(std::memory_order_acquire); }

    // Trees alive in the process and the bytes they hold (debug_console).
    static size_t live_trees();
    static size_t live_bytes();

    ~Tree();

  private:
    friend class Builder;
    Tree();

    std::vector<std::unique_ptr<std::byte[]>> blocks_;
    size_t block_used_ = 0;
    size_t block_size_ = 0;
    size_t bytes_ = 0;
    const Node *root_ = nullptr;
    std::atomic<int> refs_{1};
    std::atomic<bool> dirty_{false};
};

} // namespace sharedata
