#include "core/json_util.hpp"

#include <charconv>
#include <limits>

namespace csync {
namespace {

using json = nlohmann::json;

// SAX handler that builds the DOM like nlohmann's own, except that non-integer numbers become
// strings holding their literal text: 550.0000 must reach a Decimal as "550.0000", not 550.0.
class ExactSax {
  public:
    explicit ExactSax(json& root) : dom_(root, /*allow_exceptions=*/false) {}

    bool null() { return dom_.null(); }
    bool boolean(bool v) { return dom_.boolean(v); }
    bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
    bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
    bool number_float(json::number_float_t, const json::string_t& literal) {
        json::string_t copy = literal;
        return dom_.string(copy);
    }
    bool string(json::string_t& v) { return dom_.string(v); }
    bool binary(json::binary_t& v) { return dom_.binary(v); }
    bool start_object(std::size_t n) { return enter() && dom_.start_object(n); }
    bool key(json::string_t& k) { return dom_.key(k); }
    bool end_object() {
        --depth_;
        return dom_.end_object();
    }
    bool start_array(std::size_t n) { return enter() && dom_.start_array(n); }
    bool end_array() {
        --depth_;
        return dom_.end_array();
    }
    bool parse_error(std::size_t position, const std::string& last_token,
                     const nlohmann::detail::exception& ex) {
        error_position = position;
        error_message = ex.what();
        (void)last_token;
        return false;
    }

    std::size_t error_position = 0;
    std::string error_message;
    bool too_deep = false;

  private:
    // Copying, comparing and printing a json value recurse once per level: a document nested
    // deeper than any platform's answer is refused here, before anything walks it.
    bool enter() {
        if (++depth_ <= kMaxJsonDepth) return true;
        too_deep = true;
        return false;
    }

    std::size_t depth_ = 0;
    nlohmann::detail::json_sax_dom_parser<json> dom_;
};

const json* member(const json& object, std::string_view key) {
    if (!object.is_object()) return nullptr;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
}

}  // namespace

Result<json> parse_json_exact(std::string_view text) {
    json root;
    ExactSax sax(root);
    bool ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json,
                              /*strict=*/true);
    if (sax.too_deep) {
        return Error::bad_response("JSON nesting deeper than " + std::to_string(kMaxJsonDepth) +
                                   " levels (" + std::to_string(text.size()) + " bytes)");
    }
    if (!ok) {
        std::string snippet(text.substr(0, 120));
        return Error::bad_response("invalid JSON at byte " + std::to_string(sax.error_position) +
                                   " of " + std::to_string(text.size()) + ": " + sax.error_message +
                                   " (body starts: " + snippet + ")");
    }
    return root;
}

std::optional<std::string> json_scalar_text(const json& v) {
    switch (v.type()) {
        case json::value_t::string:
            return v.get<std::string>();
        case json::value_t::number_integer:
            return std::to_string(v.get<std::int64_t>());
        case json::value_t::number_unsigned:
            return std::to_string(v.get<std::uint64_t>());
        case json::value_t::number_float:
            return v.dump();  // only from a non-exact parse
        case json::value_t::boolean:
            return v.get<bool>() ? "true" : "false";
        default:
            return std::nullopt;
    }
}

std::optional<std::string> json_text(const json& object, std::string_view key) {
    const json* v = member(object, key);
    return v ? json_scalar_text(*v) : std::nullopt;
}

std::optional<std::int64_t> json_int(const json& object, std::string_view key) {
    const json* v = member(object, key);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned()) {  // is_number_integer() is true for these too: must not wrap
        auto u = v->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(u);
    }
    if (v->is_number_integer()) return v->get<std::int64_t>();
    if (v->is_boolean()) return v->get<bool>() ? 1 : 0;
    auto text = json_scalar_text(*v);
    if (!text || text->empty()) return std::nullopt;
    // "12", "12.0000" (an exact-parsed Decimal(19,4) integer) are integers; "12.5" is not.
    auto dec = Decimal::parse(*text);
    if (!dec || dec->text().find('.') != std::string::npos) return std::nullopt;
    std::int64_t out = 0;
    const std::string& t = dec->text();
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    if (ec != std::errc{} || ptr != t.data() + t.size()) return std::nullopt;
    return out;
}

std::optional<Decimal> json_decimal(const json& object, std::string_view key) {
    const json* v = member(object, key);
    if (!v || v->is_boolean()) return std::nullopt;
    auto text = json_scalar_text(*v);
    return text ? Decimal::parse(*text) : std::nullopt;
}

std::optional<bool> json_bool(const json& object, std::string_view key) {
    const json* v = member(object, key);
    if (!v) return std::nullopt;
    if (v->is_boolean()) return v->get<bool>();
    if (v->is_number_integer()) return v->get<std::int64_t>() != 0;
    if (v->is_string()) {
        const auto& s = v->get_ref<const std::string&>();
        if (s == "true" || s == "1") return true;
        if (s == "false" || s == "0" || s.empty()) return false;
    }
    return std::nullopt;
}

}  // namespace csync
