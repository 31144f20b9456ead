// The one place that maps protocol-neutral error codes to HTTP statuses and turns an
// Error into a response: JSON for the API ({"errors":[...]}), the theme's error page
// otherwise. Internal details never reach the client.
#pragma once

#include <functional>
#include <string>

#include "core/result.hpp"
#include "http/message.hpp"

namespace calipso::http {

int status_for(Errc code);
std::string_view reason(int status);

// Renders an HTML error page for a status; installed at boot from the active theme.
using ErrorPageRenderer = std::function<std::string(const Request&, int status, const std::string& message)>;
void set_error_page_renderer(ErrorPageRenderer renderer);

Response error_response(const Request& req, const Error& error);
Response error_response(const Request& req, int status, std::string message = {});
boost::json::value error_json(const Error& error);

}  // namespace calipso::http
