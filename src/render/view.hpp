// Building kainjow view data without needless copies: kainjow's own setters copy whole
// subtrees, so these helpers move values into place instead.
#pragma once

#include <boost/json/value.hpp>
#include <kainjow/mustache.hpp>

#include <string>
#include <vector>

namespace calipso::render {

using Data = kainjow::mustache::data;

// A string value that takes ownership of `s`.
Data text(std::string s);

// Sets obj[key] = value without copying value (obj must be an object).
void put(Data& obj, const std::string& key, Data value);

// boost::json → kainjow: objects and arrays keep their shape, numbers become their shortest
// decimal text, null and "" become false (so {{#x}} skips them).
Data to_data(const boost::json::value& v);

// The stack of view layers a template renders against; the most recently pushed is searched
// first, with mustache's rules (a dotted name resolves its first part in the nearest layer that
// has it). kainjow's own context splits dotted names through a stringstream on every lookup,
// which cost a tenth of a page's render time; this one splits in place.
class ViewStack final : public kainjow::mustache::basic_context<std::string> {
 public:
  void push(const Data* data) override { layers_.push_back(data); }
  void pop() override { layers_.pop_back(); }
  const Data* get(const std::string& name) const override;
  const Data* get_partial(const std::string& name) const override;

 private:
  const Data* nearest(const std::string& name) const;  // the innermost layer's member `name`
  std::vector<const Data*> layers_;                    // innermost last
};

}  // namespace calipso::render
