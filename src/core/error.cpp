#include "csync/error.hpp"

namespace csync {

std::string_view to_string(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::auth:
            return "auth";
        case ErrorKind::token_expired:
            return "token_expired";
        case ErrorKind::rate_limited:
            return "rate_limited";
        case ErrorKind::transient:
            return "transient";
        case ErrorKind::bad_response:
            return "bad_response";
        case ErrorKind::config:
            return "config";
        case ErrorKind::storage:
            return "storage";
        case ErrorKind::cancelled:
            return "cancelled";
        case ErrorKind::fenced:
            return "fenced";
    }
    return "unknown";
}

std::string Error::describe() const {
    std::string out(to_string(kind));
    out += ": ";
    out += message;
    return out;
}

}  // namespace csync
