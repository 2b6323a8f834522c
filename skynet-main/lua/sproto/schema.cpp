#include "schema.h"
#include "wire.h"

#include <algorithm>
#include <cstdio>

namespace sproto {

const Field *Type::find(int tag) const {
    if (base >= 0) {
        int i = tag - base;
        if (i < 0 || i >= static_cast<int>(fields.size()))
            return nullptr;
        return &fields[i];
    }
    auto it = std::lower_bound(fields.begin(), fields.end(), tag,
                               [](const Field &f, int t) { return f.tag < t; });
    return it != fields.end() && it->tag == tag ? &*it : nullptr;
}

namespace {

using Bytes = std::span<const uint8_t>;

std::string text_of(Bytes b) {
    return {reinterpret_cast<const char *>(b.data()), b.size()};
}

int pow10(int n) {
    int r = 1;
    while (n-- > 0)
        r *= 10;
    return r;
}

bool load_field(Bytes bytes, const std::vector<Type> &types, Field &f) {
    wire::StructReader r(bytes);
    wire::Entry e;
    bool has_kind = false;
    while (r.next(e)) {
        if (e.tag == 0) {
            if (e.value >= 0)
                return false;
            f.name = text_of(e.data);
            continue;
        }
        if (e.value < 0)
            return false;
        switch (e.tag) {
        case 1: // buildin
            if (e.value >= static_cast<int>(Kind::structure))
                return false;
            f.kind = static_cast<Kind>(e.value);
            has_kind = true;
            break;
        case 2: // decimal digits, string subtype, or type index
            if (has_kind && f.kind == Kind::integer) {
                if (e.value > 9)
                    return false; // 10^n must fit an int
                f.extra = pow10(e.value);
            } else if (has_kind && f.kind == Kind::string) {
                f.extra = e.value;
            } else {
                if (has_kind || e.value >= static_cast<int>(types.size()))
                    return false;
                f.kind = Kind::structure;
                f.sub = &types[e.value];
                has_kind = true;
            }
            break;
        case 3:
            f.tag = e.value;
            break;
        case 4:
            f.array = e.value != 0;
            break;
        case 5:
            f.key = e.value;
            break;
        case 6:
            f.map = e.value != 0;
            break;
        default:
            return false;
        }
    }
    return r.ok() && f.tag >= 0 && has_kind && !f.name.empty();
}

bool load_type(Bytes bytes, const std::vector<Type> &types, Type &t) {
    wire::StructReader r(bytes);
    wire::Entry e;
    bool named = false;
    while (r.next(e)) {
        if (e.value >= 0)
            return false;
        if (e.tag == 0) {
            t.name = text_of(e.data);
            named = true;
        } else if (e.tag == 1) {
            bool ok = wire::for_each_part(e.data, [&](Bytes part) {
                Field f;
                if (!load_field(part, types, f))
                    return false;
                t.fields.push_back(std::move(f));
                return true;
            });
            if (!ok)
                return false;
        } else {
            return false;
        }
    }
    if (!r.ok() || !named)
        return false;
    int last = -1;
    t.maxn = static_cast<int>(t.fields.size());
    for (const Field &f : t.fields) {
        if (f.tag <= last)
            return false; // tags must ascend
        if (f.tag > last + 1)
            ++t.maxn; // a skip entry
        last = f.tag;
    }
    if (!t.fields.empty()) {
        t.base = t.fields.front().tag;
        if (t.fields.back().tag - t.base + 1 != static_cast<int>(t.fields.size()))
            t.base = -1;
    }
    return true;
}

bool load_protocol(Bytes bytes, const std::vector<Type> &types, Protocol &p) {
    wire::StructReader r(bytes);
    wire::Entry e;
    auto type_at = [&](int i) { return i >= 0 && i < int(types.size()) ? &types[i] : nullptr; };
    while (r.next(e)) {
        if ((e.tag == 0) != (e.value < 0))
            return false;
        switch (e.tag) {
        case 0:
            p.name = text_of(e.data);
            break;
        case 1:
            p.tag = e.value;
            break;
        case 2:
            if (!(p.request = type_at(e.value)))
                return false;
            break;
        case 3:
            if (!(p.response = type_at(e.value)))
                return false;
            break;
        case 4:
            p.confirm = e.value != 0;
            break;
        default:
            return false;
        }
    }
    return r.ok() && !p.name.empty() && p.tag >= 0;
}

size_t count_parts(Bytes bytes) {
    size_t n = 0;
    if (!wire::for_each_part(bytes, [&](Bytes) { return ++n, true; }))
        return SIZE_MAX;
    return n;
}

} // namespace

std::unique_ptr<Schema> Schema::load(std::span<const uint8_t> bin) {
    auto s = std::make_unique<Schema>();
    wire::StructReader r(bin);
    if (!r.ok())
        return nullptr;
    wire::Entry e;
    Bytes type_parts, protocol_parts;
    while (r.next(e)) {
        if (e.value >= 0 || e.tag > 1)
            return nullptr;
        (e.tag == 0 ? type_parts : protocol_parts) = e.data;
    }
    if (!r.ok())
        return nullptr;
    // Fields point at types by index, so every Type exists before any loads.
    size_t ntypes = count_parts(type_parts);
    if (ntypes == SIZE_MAX)
        return nullptr;
    s->types_.resize(ntypes);
    size_t i = 0;
    bool ok = wire::for_each_part(
        type_parts, [&](Bytes part) { return load_type(part, s->types_, s->types_[i++]); });
    ok = ok && wire::for_each_part(protocol_parts, [&](Bytes part) {
             Protocol p;
             if (!load_protocol(part, s->types_, p))
                 return false;
             s->protocols_.push_back(std::move(p));
             return true;
         });
    if (!ok)
        return nullptr;
    for (const Type &t : s->types_)
        for (const Field &f : t.fields)
            if (f.map && (!f.sub || f.sub->fields.size() < 2))
                return nullptr;
    std::stable_sort(s->protocols_.begin(), s->protocols_.end(),
                     [](const Protocol &a, const Protocol &b) { return a.tag < b.tag; });
    return s;
}

const Type *Schema::type(std::string_view name) const {
    for (const Type &t : types_)
        if (t.name == name)
            return &t;
    return nullptr;
}

const Protocol *Schema::protocol(int tag) const {
    auto it = std::lower_bound(protocols_.begin(), protocols_.end(), tag,
                               [](const Protocol &p, int t) { return p.tag < t; });
    return it != protocols_.end() && it->tag == tag ? &*it : nullptr;
}

const Protocol *Schema::protocol(std::string_view name) const {
    for (const Protocol &p : protocols_)
        if (p.name == name)
            return &p;
    return nullptr;
}

namespace {

const char *kind_name(const Field &f) {
    switch (f.kind) {
    case Kind::integer:
        return f.extra ? "decimal" : "integer";
    case Kind::boolean:
        return "boolean";
    case Kind::string:
        return f.extra == 1 ? "binary" : "string";
    case Kind::real:
        return "double";
    case Kind::structure:
        return f.sub->name.c_str();
    }
    return "invalid";
}

template <class... A> void append(std::string &out, const char *fmt, A... args) {
    char line[512];
    int n = std::snprintf(line, sizeof line, fmt, args...);
    out.append(line, static_cast<size_t>(std::clamp(n, 0, int(sizeof line) - 1)));
}

} // namespace

std::string Schema::dump() const {
    std::string out;
    append(out, "=== %d types ===\n", static_cast<int>(types_.size()));
    for (const Type &t : types_) {
        append(out, "%s\n", t.name.c_str());
        for (const Field &f : t.fields) {
            append(out, "\t%s (%d) %s%s", f.name.c_str(), f.tag, f.array ? "*" : "", kind_name(f));
            if (f.kind == Kind::integer && f.extra > 0)
                append(out, "(%d)", f.extra);
            if (f.key >= 0) {
                append(out, " key[%d]", f.key);
                if (f.map)
                    append(out, " value[%d]", f.sub->fields[1].tag);
            }
            out += '\n';
        }
    }
    append(out, "=== %d protocol ===\n", static_cast<int>(protocols_.size()));
    for (const Protocol &p : protocols_) {
        append(out, "\t%s (%d) request:%s", p.name.c_str(), p.tag,
               p.request ? p.request->name.c_str() : "(null)");
        if (p.response)
            append(out, " response:%s", p.response->name.c_str());
        else if (p.confirm)
            out += " response nil";
        out += '\n';
    }
    return out;
}

} // namespace sproto
