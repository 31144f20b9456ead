// The one place that maps protocol-neutral error codes to HTTP statuses and turns an
// Error into a response: JSON for the API ({"errors":[...]}), the theme's error page
// otherwise. Internal details never reach the client.
#pragma once

#include <functional>
#include <string>

#include "core/result.hpp"
#include "http/message.hpp"

namespace calipso::http {

// invalid -> 422: the request was well-formed HTTP/JSON but a field is unacceptable.
// Malformed syntax (bad request line, framing, unparsable JSON body) is 400; it is found
// by the server or a body parser, which answer with error_response(req, 400, ...).
// unauthorized 401, forbidden 403, not_found 404, conflict 409, too_large 413,
// unavailable 503, internal 500.
int status_for(Errc code);
std::string_view reason(int status);
// The "code" of a JSON error for a bare status ("not_found", "method_not_allowed", ...).
std::string_view code_for_status(int status);

// Renders an HTML error page for a status; installed at boot from the active theme.
using ErrorPageRenderer = std::function<std::string(const Request&, int status, const std::string& message)>;
void set_error_page_renderer(ErrorPageRenderer renderer);

// For 5xx the message, field and further errors are replaced by a generic text: details
// belong in the log. An empty message means the reason phrase. JSON objects omit "field"
// when it is empty.
Response error_response(const Request& req, const Error& error);
Response error_response(const Request& req, int status, std::string message = {});
boost::json::value error_json(const Error& error);

}  // namespace calipso::http
