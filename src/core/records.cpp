#include "csync/domain/records.hpp"

namespace csync {

std::string_view to_string(ProductStatus s) noexcept {
    switch (s) {
        case ProductStatus::active:
            return "active";
        case ProductStatus::inactive:
            return "inactive";
        case ProductStatus::deleted:
            return "deleted";
        case ProductStatus::out_of_stock:
            return "out_of_stock";
    }
    return "inactive";
}

std::string_view to_string(OrderStatus s) noexcept {
    switch (s) {
        case OrderStatus::pending:
            return "pending";
        case OrderStatus::paid:
            return "paid";
        case OrderStatus::shipped:
            return "shipped";
        case OrderStatus::cancelled:
            return "cancelled";
        case OrderStatus::completed:
            return "completed";
        case OrderStatus::unknown:
            return "unknown";
    }
    return "unknown";
}

}  // namespace csync
