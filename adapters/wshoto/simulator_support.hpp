#pragma once
// Helpers the Wshoto simulator's parts share.

#include <nlohmann/json.hpp>

#include "csync/sim/simulated_platform.hpp"

namespace csync::wshoto {

// An answer with a JSON body.
inline SimResponse json_answer(const nlohmann::json& body, int status = 200) {
    SimResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

}  // namespace csync::wshoto
