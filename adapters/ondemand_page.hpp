#pragma once
// What the Qianmi, Wshoto and Wangdiantong page readers share: simdjson's on-demand parser
// (Debian libsimdjson-dev) over a reused padded buffer, and scalar readers that give exactly what
// parse_json_exact and the json_util accessors give for the same bytes (a number's text is its
// literal, never a double).
//
// A reader takes its fast path only for bodies it reads the way parse_json_exact does; anything
// else (what simdjson refuses, a leading BOM, an escaped UTF-16 surrogate, nesting near
// kMaxJsonDepth, a duplicate key among the fields read) goes to the adapter's general path, so
// errors and results stay those of the general path.

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include "core/json_util.hpp"
#include "csync/domain/decimal.hpp"

namespace csync::ondemand {

namespace od = simdjson::ondemand;

// Nesting the fast path walks before it leaves a value to the general path, which refuses
// documents deeper than kMaxJsonDepth: the margin keeps the fast path strictly inside it.
inline constexpr int kMaxFastDepth = static_cast<int>(kMaxJsonDepth) - 8;

// True when simdjson and parse_json_exact read `body` alike as far as this module can tell
// before parsing: no leading UTF-8 BOM (nlohmann skips one) and no escaped surrogate (nlohmann
// refuses a lone one; simdjson's handling differs by version). simdjson itself refuses invalid
// UTF-8 and unescaped control bytes in strings, as nlohmann does.
inline bool plain_body(std::string_view body) {
    if (body.size() >= 3 && static_cast<unsigned char>(body[0]) == 0xEF &&
        static_cast<unsigned char>(body[1]) == 0xBB &&
        static_cast<unsigned char>(body[2]) == 0xBF) {
        return false;
    }
    const char* p = body.data();
    const char* end = p + body.size();
    while (
        (p = static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p))))) {
        if (end - p >= 3 && p[1] == 'u' && (p[2] == 'd' || p[2] == 'D') && end - p >= 4) {
            const char c = p[3];
            if ((c >= '8' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
                return false;
            }
        }
        p += 2;  // an escape is two bytes at least; "\\\\" must not start another one
        if (p >= end) break;
    }
    return true;
}

// The body, followed by the padding simdjson reads ahead into; its capacity lives across pages.
class PaddedBuffer {
  public:
    std::string_view load(std::string_view body) {
        text_.reserve(body.size() + simdjson::SIMDJSON_PADDING);
        text_.assign(body);
        return text_;
    }
    const char* data() const { return text_.data(); }
    std::size_t size() const { return text_.size(); }
    std::size_t capacity() const { return text_.capacity(); }
    // Bytes readable from `at` (inside the loaded body) to the end of the padding.
    std::size_t capacity_from(const char* at) const {
        return static_cast<std::size_t>(text_.data() + text_.capacity() - at);
    }

  private:
    std::string text_;
};

// Iterates one object that lies inside `buffer`'s body (a record's raw_json) on its own with
// `parser`: the padding after the body is readable ahead, as simdjson needs.
inline bool iterate_object(od::parser& parser, std::string_view raw, const PaddedBuffer& buffer,
                           od::document& doc, od::object& object) {
    return !parser.iterate(raw.data(), raw.size(), buffer.capacity_from(raw.data())).get(doc) &&
           !doc.get_object().get(object);
}

// Nothing follows the document (the on-demand parser stops where its reader stops).
inline bool at_end(od::document& doc) {
    return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

// Walks a value the reader does not use, so that it is checked like everything else: the
// on-demand parser only validates what is visited.
inline bool valid(od::value value, int depth) {
    if (depth > kMaxFastDepth) return false;
    od::json_type type;
    if (value.type().get(type)) return false;
    switch (type) {
        case od::json_type::object: {
            od::object object;
            if (value.get_object().get(object)) return false;
            for (auto field : object) {
                od::field f;
                std::string_view key;
                if (std::move(field).get(f) || f.unescaped_key().get(key)) return false;
                if (!valid(f.value(), depth + 1)) return false;
            }
            return true;
        }
        case od::json_type::array: {
            od::array array;
            if (value.get_array().get(array)) return false;
            for (auto element : array) {
                od::value v;
                if (element.get(v) || !valid(v, depth + 1)) return false;
            }
            return true;
        }
        case od::json_type::string: {
            std::string_view text;
            return !value.get_string().get(text);
        }
        case od::json_type::number: {
            od::number n;
            return !value.get_number().get(n);
        }
        case od::json_type::boolean: {
            bool b = false;
            return !value.get_bool().get(b);
        }
        case od::json_type::null: {
            bool is_null = false;
            return !value.is_null().get(is_null) && is_null;
        }
    }
    return false;
}

// Iterates an object's fields as (key, value): false when a key cannot be read or `each` says so.
template <typename Each>
bool each_field(od::object object, Each&& each) {
    for (auto field : object) {
        od::field f;
        std::string_view key;
        if (std::move(field).get(f) || f.unescaped_key().get(key)) return false;
        if (!each(key, f.value())) return false;
    }
    return true;
}

// A number's literal as written, checked against JSON's grammar; nullopt for anything else.
inline std::optional<std::string_view> number_token(od::value value) {
    std::string_view token = value.raw_json_token();
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                              token.back() == '\r')) {
        token.remove_suffix(1);
    }
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t from = i;
        while (i < token.size() && token[i] >= '0' && token[i] <= '9') ++i;
        return i - from;
    };
    if (i < token.size() && token[i] == '-') ++i;
    const std::size_t int_start = i;
    const std::size_t int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && token[int_start] == '0')) return std::nullopt;
    if (i < token.size() && token[i] == '.') {
        ++i;
        if (digits() == 0) return std::nullopt;
    }
    if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
        ++i;
        if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
        if (digits() == 0) return std::nullopt;
    }
    if (i != token.size()) return std::nullopt;
    return token;
}

// An integer literal (no fraction, no exponent).
inline bool is_integer_literal(std::string_view token) {
    return token.find_first_of(".eE") == std::string_view::npos;
}

// One scalar field as parse_json_exact leaves it, for the json_util accessors' rules.
struct Scalar {
    enum class Kind { absent, null, string, integer, literal, boolean, compound };
    Kind kind = Kind::absent;
    // string: the unescaped text (in the parser's buffer, valid until its next document);
    // integer / literal (a non-integer number, or an integer too big for 64 bits, which
    // parse_json_exact keeps as a string of its literal): the token as written.
    std::string_view text;
    bool flag = false;  // boolean
};

// Reads one value as a Scalar. Objects and arrays are walked (validated) and marked compound.
// False when the value is not valid JSON or is nested too deep for the fast path.
inline bool read_scalar(od::value value, Scalar& out, int depth) {
    od::json_type type;
    if (value.type().get(type)) return false;
    switch (type) {
        case od::json_type::string:
            out.kind = Scalar::Kind::string;
            return !value.get_string().get(out.text);
        case od::json_type::number: {
            auto token = number_token(value);
            if (!token) return false;
            od::number n;  // simdjson's own check of the literal
            if (value.get_number().get(n)) {
                // A literal simdjson cannot hold (an integer beyond 64 bits, an exponent out of
                // double range) is text to parse_json_exact: keep it, unless it is malformed.
                if (!is_integer_literal(*token)) return false;
                out.kind = Scalar::Kind::literal;
                out.text = *token;
                return true;
            }
            if (*token == "-0") return false;  // parse_json_exact reads it as the integer 0
            out.text = *token;
            if (!is_integer_literal(*token)) {
                out.kind = Scalar::Kind::literal;
                return true;
            }
            // Integers beyond int64 (negative) or uint64 (positive) are literals to nlohmann.
            if (token->front() == '-') {
                std::int64_t v = 0;
                auto [end, ec] = std::from_chars(token->data(), token->data() + token->size(), v);
                out.kind = ec == std::errc{} ? Scalar::Kind::integer : Scalar::Kind::literal;
            } else {
                std::uint64_t v = 0;
                auto [end, ec] = std::from_chars(token->data(), token->data() + token->size(), v);
                out.kind = ec == std::errc{} ? Scalar::Kind::integer : Scalar::Kind::literal;
            }
            return true;
        }
        case od::json_type::boolean:
            out.kind = Scalar::Kind::boolean;
            return !value.get_bool().get(out.flag);
        case od::json_type::null: {
            bool is_null = false;
            out.kind = Scalar::Kind::null;
            return !value.is_null().get(is_null) && is_null;
        }
        case od::json_type::object:
        case od::json_type::array:
            out.kind = Scalar::Kind::compound;
            return valid(value, depth);
    }
    return false;
}

// Reads a field into `slot` unless it was read already: for a duplicate key nlohmann keeps the
// last value, so the general path decides.
inline bool read_once(od::value value, Scalar& slot, int depth) {
    return slot.kind == Scalar::Kind::absent && read_scalar(value, slot, depth) &&
           slot.kind != Scalar::Kind::absent;
}

// A field the reader maps, and where its value goes.
struct FieldSlot {
    std::string_view name;
    Scalar* slot;
};

// Reads an object's fields: those named in `slots` once each (read_once), the others walked
// (valid). False for a duplicate, an unreadable value or nesting too deep.
template <std::size_t N>
bool read_fields(od::object object, const FieldSlot (&slots)[N], int depth) {
    return each_field(object, [&](std::string_view key, od::value value) {
        for (const FieldSlot& f : slots) {
            if (f.name == key) return read_once(value, *f.slot, depth);
        }
        return valid(value, depth);
    });
}

// json_text: strings as they are, numbers as written, booleans "true"/"false"; null, absent and
// compound values nullopt.
inline std::optional<std::string_view> text_of(const Scalar& s) {
    switch (s.kind) {
        case Scalar::Kind::string:
        case Scalar::Kind::integer:
        case Scalar::Kind::literal:
            return s.text;
        case Scalar::Kind::boolean:
            return s.flag ? std::string_view("true") : std::string_view("false");
        default:
            return std::nullopt;
    }
}

// json_int: an integer that fits int64, a boolean as 1/0, text that is a whole decimal.
inline std::optional<std::int64_t> int_of(const Scalar& s) {
    std::string_view digits;
    switch (s.kind) {
        case Scalar::Kind::integer:
            digits = s.text;
            break;
        case Scalar::Kind::boolean:
            return s.flag ? 1 : 0;
        case Scalar::Kind::string:
        case Scalar::Kind::literal: {
            if (s.text.empty()) return std::nullopt;
            auto dec = Decimal::parse(s.text);
            if (!dec || dec->text().find('.') != std::string::npos) return std::nullopt;
            const std::string& t = dec->text();
            std::int64_t v = 0;
            auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
            if (ec != std::errc{} || end != t.data() + t.size()) return std::nullopt;
            return v;
        }
        default:
            return std::nullopt;
    }
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return v;
}

// json_decimal: the text of a string or number as an exact decimal; booleans never.
inline std::optional<Decimal> decimal_of(const Scalar& s) {
    if (s.kind != Scalar::Kind::string && s.kind != Scalar::Kind::integer &&
        s.kind != Scalar::Kind::literal) {
        return std::nullopt;
    }
    return Decimal::parse(s.text);
}

// Nesting of a parsed value (1 for a scalar), for a record read on its own: the page around it
// adds its own levels, and the general path refuses the page beyond kMaxJsonDepth.
inline std::size_t json_depth(const nlohmann::json& value) {
    std::size_t deepest = 0;
    if (value.is_structured()) {
        for (const auto& child : value) deepest = std::max(deepest, json_depth(child));
    }
    return deepest + 1;
}

}  // namespace csync::ondemand
