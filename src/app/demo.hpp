// Demo content for `make run`: an administrator and a handful of posts and pages so the
// default theme looks alive. Does nothing on a site that already has content.
#pragma once

namespace calipso::app {
class App;
int load_demo(App& app);
}  // namespace calipso::app
