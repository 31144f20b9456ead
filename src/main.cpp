// calipso: one binary for the whole CMS; everything happens in app/.
#include "app/cli.hpp"

int main(int argc, char** argv) { return calipso::app::run_cli(argc, argv); }
