// sproto schemas: the types and protocols a schema binary describes.
//
// A schema binary is itself a sproto message of the meta-schema
//   .field { name 0 : string  buildin 1 : integer  type 2 : integer
//            tag 3 : integer  array 4 : boolean  key 5 : integer  map 6 : boolean }
//   .type { name 0 : string  fields 1 : *field }
//   .protocol { name 0 : string  tag 1 : integer  request 2 : integer
//               response 3 : integer  confirm 4 : boolean }
//   .group { type 0 : *type  protocol 1 : *protocol }
// (native.md §3.8). Types come sorted by name, fields by tag, protocols by tag.
#ifndef SKYNET_SPROTO_SCHEMA_H
#define SKYNET_SPROTO_SCHEMA_H

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sproto {

enum class Kind : uint8_t { integer = 0, boolean = 1, string = 2, real = 3, structure = 4 };

struct Type;

struct Field {
    std::string name;
    int tag = -1;
    Kind kind = Kind::integer;
    bool array = false;
    const Type *sub = nullptr; // structure fields
    int key = -1;              // main index tag of a keyed array, or -1
    bool map = false;          // a two-field struct array read as key -> value
    // integer: the decimal scale (10^n, 0 for none); string: 1 for binary
    int extra = 0;

    bool decimal() const { return kind == Kind::integer && extra != 0; }
};

struct Type {
    std::string name;
    std::vector<Field> fields; // ascending tags
    int maxn = 0;              // header entries when every field is present
    int base = -1;             // first tag when the tags are contiguous, else -1

    const Field *find(int tag) const;
};

struct Protocol {
    std::string name;
    int tag = -1;
    const Type *request = nullptr;
    const Type *response = nullptr;
    bool confirm = false; // "response nil": a reply without content
};

class Schema {
  public:
    // Null when the bytes are not a well-formed schema.
    static std::unique_ptr<Schema> load(std::span<const uint8_t> bin);

    const Type *type(std::string_view name) const;
    const Protocol *protocol(int tag) const;
    const Protocol *protocol(std::string_view name) const;

    const std::vector<Type> &types() const { return types_; }
    const std::vector<Protocol> &protocols() const { return protocols_; }

    // upstream's sproto_dump text
    std::string dump() const;

  private:
    std::vector<Type> types_;
    std::vector<Protocol> protocols_;
};

} // namespace sproto

#endif
