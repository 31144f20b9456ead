// The command line: parses argv with CLI11 and runs one command; returns the exit code.
#pragma once

namespace calipso::app {
int run_cli(int argc, char** argv);
}
