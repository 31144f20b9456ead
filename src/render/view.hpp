// Building kainjow view data without needless copies: kainjow's own setters copy whole
// subtrees, so these helpers move values into place instead.
#pragma once

#include <boost/json/value.hpp>
#include <kainjow/mustache.hpp>

#include <string>

namespace calipso::render {

using Data = kainjow::mustache::data;

// A string value that takes ownership of `s`.
Data text(std::string s);

// Sets obj[key] = value without copying value (obj must be an object).
void put(Data& obj, const std::string& key, Data value);

// boost::json → kainjow: objects and arrays keep their shape, numbers become their shortest
// decimal text, null and "" become false (so {{#x}} skips them).
Data to_data(const boost::json::value& v);

}  // namespace calipso::render
