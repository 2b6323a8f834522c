#include "parser.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace sproto {

namespace {

// Errors unwind to parse() as this, inside the C++ code only.
struct SchemaError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string &msg) {
    throw SchemaError(msg);
}

// --- tokens ---

enum class Tok { word, number, punct, end };

struct Token {
    Tok kind;
    std::string text;
    int line;
};

bool alpha(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool alnum(char c) {
    return alpha(c) || std::isdigit(static_cast<unsigned char>(c));
}

class Lexer {
  public:
    Lexer(std::string_view text, std::string_view file) : s_(text), file_(file) {}

    [[noreturn]] void syntax_error(int line) const {
        fail("syntax error at [" + std::string(file_) + "] line (" + std::to_string(line) + ")");
    }

    Token next() {
        skip_blanks();
        if (i_ >= s_.size())
            return {Tok::end, "", line_};
        char c = s_[i_];
        size_t start = i_;
        if (alpha(c)) {
            // A type name may be dotted (Parent.Child), without blanks.
            do {
                ++i_;
                while (i_ < s_.size() && alnum(s_[i_]))
                    ++i_;
            } while (i_ + 1 < s_.size() && s_[i_] == '.' && alpha(s_[i_ + 1]) && ++i_);
            return {Tok::word, std::string(s_.substr(start, i_ - start)), line_};
        }
        if (std::isdigit(static_cast<unsigned char>(c))) {
            while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])))
                ++i_;
            return {Tok::number, std::string(s_.substr(start, i_ - start)), line_};
        }
        if (std::string_view("{}():*.").find(c) != std::string_view::npos) {
            ++i_;
            return {Tok::punct, std::string(1, c), line_};
        }
        syntax_error(line_);
    }

  private:
    void skip_blanks() {
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (c == ' ' || c == '\t') {
                ++i_;
            } else if (c == '\n' || (c == '\r' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n')) {
                i_ += c == '\n' ? 1 : 2;
                ++line_;
            } else if (c == '#') {
                while (i_ < s_.size() && s_[i_] != '\n' && s_[i_] != '\r')
                    ++i_;
                if (i_ < s_.size() && s_[i_] == '\r' && !(i_ + 1 < s_.size() && s_[i_ + 1] == '\n'))
                    syntax_error(line_); // a lone CR is not a line end
            } else {
                return;
            }
        }
    }

    std::string_view s_;
    std::string_view file_;
    size_t i_ = 0;
    int line_ = 1;
};

// --- syntax tree, as written ---

struct RawField {
    std::string name;
    long tag;
    bool array = false;
    std::string type;
    enum class Paren { none, word, number } paren = Paren::none;
    std::string inside; // the word (maybe empty) or digits in parentheses
};

struct RawType {
    std::string name;
    // Fields and nested types, in source order (errors are reported in it).
    struct Member {
        std::optional<RawField> field;
        std::unique_ptr<RawType> type; // a nested type
    };
    std::vector<Member> members;
};

struct RawSub {
    std::string which; // "request" or "response"
    std::string type;  // a type name, or empty with `inline_type`
    std::optional<RawType> inline_type;
};

struct RawProtocol {
    std::string name;
    long tag;
    std::vector<RawSub> subs;
};

struct RawItem {
    std::optional<RawType> type;
    std::optional<RawProtocol> protocol;
};

long to_tag(const std::string &digits) {
    if (digits.size() > 9)
        return std::numeric_limits<long>::max(); // out of range below anyway
    return std::stol(digits);
}

class Parser {
  public:
    Parser(std::string_view text, std::string_view file) : lex_(text, file) { advance(); }

    std::vector<RawItem> all() {
        std::vector<RawItem> items;
        while (tok_.kind != Tok::end) {
            RawItem item;
            if (is(".")) {
                advance();
                item.type = type_body(name());
            } else {
                item.protocol = protocol();
            }
            items.push_back(std::move(item));
        }
        return items;
    }

  private:
    void advance() { tok_ = lex_.next(); }
    bool is(const char *punct) const { return tok_.kind == Tok::punct && tok_.text == punct; }
    [[noreturn]] void error() const { lex_.syntax_error(tok_.line); }

    void expect(const char *punct) {
        if (!is(punct))
            error();
        advance();
    }

    std::string word(bool dotted) {
        if (tok_.kind != Tok::word || (!dotted && tok_.text.find('.') != std::string::npos))
            error();
        std::string w = tok_.text;
        advance();
        return w;
    }

    std::string name() { return word(false); }

    long tag() {
        if (tok_.kind != Tok::number)
            error();
        long t = to_tag(tok_.text);
        advance();
        return t;
    }

    RawType type_body(std::string type_name) {
        RawType t{std::move(type_name), {}};
        expect("{");
        while (!is("}")) {
            RawType::Member m;
            if (is(".")) {
                advance();
                m.type = std::make_unique<RawType>(type_body(name()));
            } else {
                m.field = field();
            }
            t.members.push_back(std::move(m));
        }
        advance();
        return t;
    }

    RawField field() {
        RawField f;
        f.name = name();
        f.tag = tag();
        expect(":");
        if (is("*")) {
            f.array = true;
            advance();
        }
        f.type = word(true);
        if (is("(")) {
            advance();
            if (tok_.kind == Tok::number) {
                f.paren = RawField::Paren::number;
                f.inside = tok_.text;
                advance();
            } else {
                f.paren = RawField::Paren::word;
                if (tok_.kind == Tok::word)
                    f.inside = name();
            }
            expect(")");
        }
        return f;
    }

    RawProtocol protocol() {
        RawProtocol p;
        p.name = name();
        p.tag = tag();
        expect("{");
        while (!is("}")) {
            RawSub sub;
            sub.which = name();
            if (sub.which != "request" && sub.which != "response")
                error();
            if (is("{"))
                sub.inline_type = type_body(p.name + "." + sub.which);
            else
                sub.type = word(true);
            p.subs.push_back(std::move(sub));
        }
        advance();
        return p;
    }

    Lexer lex_;
    Token tok_{Tok::end, "", 1};
};

// --- checked schema ---

const std::map<std::string, int> builtin = {
    {"integer", 0}, {"boolean", 1}, {"string", 2}, {"binary", 2}, {"double", 3},
};

struct FieldInfo {
    std::string name;
    long tag;
    bool array;
    std::string type;
    std::optional<std::string> decimal; // digits
    std::optional<std::string> key;     // main index field name, "" for a map
};

struct ProtoInfo {
    long tag;
    std::optional<std::string> request, response;
    bool confirm = false;
};

struct Checked {
    std::map<std::string, std::vector<FieldInfo>> types; // by name: upstream sorts them
    std::map<std::string, ProtoInfo> protocols;

    void add_type(const RawType &raw) { add_type(raw, raw.name); }

    void add_type(const RawType &raw, const std::string &type_name) {
        std::vector<FieldInfo> fields;
        std::map<std::string, bool> names;
        std::map<long, bool> tags;
        for (const auto &m : raw.members) {
            if (m.type) {
                std::string nested = type_name + "." + m.type->name;
                if (types.count(nested))
                    fail("redefined " + nested);
                add_type(*m.type, nested);
                continue;
            }
            const RawField &f = *m.field;
            if (names[f.name])
                fail("redefine " + f.name + " in type " + type_name);
            names[f.name] = true;
            if (tags[f.tag])
                fail("redefine tag " + std::to_string(f.tag) + " in type " + type_name);
            tags[f.tag] = true;
            fields.push_back(field_info(f));
        }
        std::sort(fields.begin(), fields.end(),
                  [](const FieldInfo &a, const FieldInfo &b) { return a.tag < b.tag; });
        types[type_name] = std::move(fields);
    }

    static FieldInfo field_info(const RawField &f) {
        FieldInfo info{f.name, f.tag, f.array, f.type, {}, {}};
        // Upstream's captures: a non-array field honours only a number in
        // parentheses (a decimal); an array field takes whatever is inside.
        if (f.paren == RawField::Paren::number && !f.array) {
            if (f.type != "integer")
                fail("assertion failed!");
            info.decimal = f.inside;
        } else if (f.paren != RawField::Paren::none && f.array) {
            if (f.type == "integer") {
                if (f.paren != RawField::Paren::number)
                    fail("Invalid decimal (" + f.inside + ") of " + f.name);
                info.decimal = f.inside;
            } else {
                info.key = f.inside;
            }
        }
        return info;
    }

    void add_protocol(const RawProtocol &raw) {
        ProtoInfo p{raw.tag, {}, {}, false};
        std::map<std::string, bool> seen;
        for (const RawSub &sub : raw.subs) {
            if (seen[sub.which])
                fail("redefine " + sub.which + " in protocol " + raw.name);
            std::string type_name = sub.type;
            if (sub.inline_type) {
                type_name = sub.inline_type->name;
                types.erase(type_name);
                add_type(*sub.inline_type);
            }
            if (type_name == "nil") {
                if (sub.which == "response")
                    p.confirm = true;
                continue;
            }
            seen[sub.which] = true;
            (sub.which == "request" ? p.request : p.response) = type_name;
        }
        protocols[raw.name] = p;
    }

    void check_protocols() const {
        std::map<long, bool> tags;
        for (const auto &[name, p] : protocols) {
            if (tags[p.tag])
                fail("redefined protocol tag " + std::to_string(p.tag) + " at " + name);
            tags[p.tag] = true;
            if (p.request && !types.count(*p.request))
                fail("Undefined request type " + *p.request + " in protocol " + name);
            if (p.response && !types.count(*p.response))
                fail("Undefined response type " + *p.response + " in protocol " + name);
        }
    }

    // A field's type name as written, looked up from the innermost enclosing
    // type outwards, then at the top.
    std::optional<std::string> resolve(std::string scope, const std::string &t) const {
        if (builtin.count(t))
            return t;
        for (;;) {
            std::string full = scope + "." + t;
            if (types.count(full))
                return full;
            size_t dot = scope.rfind('.');
            if (dot == std::string::npos || dot == 0)
                break;
            scope.resize(dot);
        }
        if (types.count(t))
            return t;
        return std::nullopt;
    }

    void resolve_fields() {
        for (auto &[name, fields] : types) {
            for (FieldInfo &f : fields) {
                auto full = resolve(name, f.type);
                if (!full)
                    fail("Undefined type " + f.type + " in type " + name);
                f.type = *full;
            }
        }
    }
};

// --- the schema binary (each piece a sproto message of the meta-schema) ---

class Out {
  public:
    std::string bytes;

    Out &raw(uint16_t entry) {
        bytes += static_cast<char>(entry & 0xff);
        bytes += static_cast<char>(entry >> 8);
        return *this;
    }
    Out &value(long v) {
        if (v < 0 || (v + 1) * 2 > 0xffff)
            fail("value " + std::to_string(v) + " is out of range (0 to 32766)");
        return raw(static_cast<uint16_t>((v + 1) * 2));
    }
    Out &part(const std::string &s) {
        uint32_t n = static_cast<uint32_t>(s.size());
        for (int i = 0; i < 4; ++i)
            bytes += static_cast<char>(n >> (8 * i));
        bytes += s;
        return *this;
    }
};

constexpr uint16_t data_entry = 0; // the value is the next data part
constexpr uint16_t skip_entry = 1; // skip one tag

struct TypeRef {
    long id;
    std::map<std::string, std::pair<long, std::optional<int>>> fields; // name -> tag, builtin
};

class Emitter {
  public:
    explicit Emitter(const Checked &c) : c_(c) {
        long id = 0;
        for (const auto &[name, fields] : c.types) {
            TypeRef ref{id++, {}};
            for (const FieldInfo &f : fields) {
                auto b = builtin.find(f.type);
                ref.fields[f.name] = {f.tag, b == builtin.end() ? std::nullopt
                                                                : std::optional<int>(b->second)};
            }
            refs_[name] = std::move(ref);
        }
    }

    std::string group() {
        if (c_.types.empty()) {
            if (!c_.protocols.empty())
                fail("assertion failed!");
            return std::string("\0\0", 2);
        }
        std::string types;
        for (const auto &[name, fields] : c_.types)
            types += type(name, fields);
        Out out;
        if (c_.protocols.empty()) {
            out.raw(1).raw(data_entry).part(types);
            return out.bytes;
        }
        std::vector<std::pair<std::string, const ProtoInfo *>> sorted;
        for (const auto &[name, p] : c_.protocols)
            sorted.emplace_back(name, &p);
        std::sort(sorted.begin(), sorted.end(),
                  [](const auto &a, const auto &b) { return a.second->tag < b.second->tag; });
        std::string protocols;
        for (const auto &[name, p] : sorted)
            protocols += protocol(name, *p);
        out.raw(2).raw(data_entry).raw(data_entry).part(types).part(protocols);
        return out.bytes;
    }

  private:
    std::string type(const std::string &name, const std::vector<FieldInfo> &fields) {
        Out out;
        if (fields.empty()) {
            out.raw(1).raw(data_entry).part(name);
        } else {
            std::string packed;
            for (const FieldInfo &f : fields)
                packed += field(f);
            out.raw(2).raw(data_entry).raw(data_entry).part(name).part(packed);
        }
        return Out().part(out.bytes).bytes;
    }

    std::string field(const FieldInfo &f) {
        auto b = builtin.find(f.type);
        std::optional<long> key;
        bool map = false;
        if (f.key) {
            const TypeRef *sub = b == builtin.end() ? &refs_.at(f.type) : nullptr;
            std::string key_name = *f.key;
            if (key_name.empty()) {
                map = true;
                if (!sub || sub->fields.size() != 2)
                    fail("Invalid map definition: " + f.name + ", must only have two fields");
                long min_tag = std::numeric_limits<long>::max();
                for (const auto &[n, info] : sub->fields) {
                    if (info.first < min_tag) {
                        min_tag = info.first;
                        key_name = n;
                    }
                }
            }
            if (!sub)
                fail("Invalid map index :" + key_name);
            auto it = sub->fields.find(key_name);
            if (it == sub->fields.end() || !it->second.second)
                fail("Invalid map index :" + key_name);
            key = it->second.first;
        }
        int entries = f.array ? (key ? (map ? 7 : 6) : 5) : 4;
        Out out;
        out.raw(static_cast<uint16_t>(entries)).raw(data_entry);
        if (b != builtin.end()) {
            out.value(b->second);
            if (f.decimal)
                out.value(to_tag(*f.decimal));
            else if (f.type == "binary")
                out.value(1);
            else
                out.raw(skip_entry);
        } else {
            out.raw(skip_entry).value(refs_.at(f.type).id);
        }
        out.value(f.tag);
        if (f.array) {
            out.value(1);
            if (key) {
                out.value(*key);
                if (map)
                    out.value(1);
            }
        }
        out.part(f.name);
        return Out().part(out.bytes).bytes;
    }

    std::string protocol(const std::string &name, const ProtoInfo &p) {
        Out out;
        uint16_t entries = 4;
        Out body;
        body.value(p.tag);
        if (!p.request && !p.response && !p.confirm) {
            entries = 2;
        } else {
            if (p.request)
                body.value(refs_.at(*p.request).id);
            else
                body.raw(skip_entry);
            if (p.response) {
                body.value(refs_.at(*p.response).id);
            } else if (p.confirm) {
                entries = 5;
                body.raw(skip_entry).value(1);
            } else {
                entries = 3;
            }
        }
        out.raw(entries).raw(data_entry);
        out.bytes += body.bytes;
        out.part(name);
        return Out().part(out.bytes).bytes;
    }

    const Checked &c_;
    std::map<std::string, TypeRef> refs_;
};

} // namespace

ParseResult parse(std::string_view text, std::string_view name) {
    try {
        Checked c;
        std::map<std::string, bool> seen_type, seen_protocol;
        for (const RawItem &item : Parser(text, name).all()) {
            if (item.type) {
                if (seen_type[item.type->name])
                    fail("redefined " + item.type->name);
                seen_type[item.type->name] = true;
                c.add_type(*item.type);
            } else {
                if (seen_protocol[item.protocol->name])
                    fail("redefined " + item.protocol->name);
                seen_protocol[item.protocol->name] = true;
                c.add_protocol(*item.protocol);
            }
        }
        c.check_protocols();
        c.resolve_fields();
        return {Emitter(c).group(), {}};
    } catch (const SchemaError &e) {
        return {{}, e.what()};
    } catch (const std::exception &e) { // std::bad_alloc and the like
        return {{}, e.what()};
    }
}

} // namespace sproto
