#include "app/cli.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "app/app.hpp"
#include "app/demo.hpp"
#include "modules/users/users.hpp"

namespace calipso::app {

namespace {

std::string describe(const Error& e) {
  std::string out = e.message;
  if (!e.field.empty() && out.find(e.field) == std::string::npos) out = e.field + ": " + out;
  for (auto& other : e.others) out += "; " + describe(other);
  return out;
}

int fail_with(const std::string& message) {
  std::cerr << "calipso: error: " << message << "\n";
  return 1;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App cli{"calipso: a fast content management system", "calipso"};
  cli.require_subcommand(1);
  cli.fallthrough();  // --config is accepted before or after the command
  Options options;
  cli.add_option("-c,--config", options.config_file, "TOML configuration file")->check(CLI::ExistingFile);

  auto* serve = cli.add_subcommand("serve", "Run the web server (migrates first)");
  int port = -1;
  std::string role;
  serve->add_option("-p,--port", port, "Port to listen on (overrides server.port)")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--role", role, "site, admin or all (overrides server.role)")
      ->check(CLI::IsMember({"site", "admin", "all"}));

  auto* migrate = cli.add_subcommand("migrate", "Apply pending database migrations");

  auto* user = cli.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Add a user; the password is read from standard input");
  std::string email, user_role = "author", name;
  bool password_stdin = false;
  user_add->add_option("--email", email, "Email address (the login name)")->required();
  user_add->add_flag("--password-stdin", password_stdin, "Read the password from standard input")->required();
  user_add->add_option("--role", user_role, "Role: administrator, editor or author")->capture_default_str();
  user_add->add_option("--name", name, "Display name (default: the part of the email before @)");

  auto* token = cli.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "Create an API token and print it on the last line");
  std::string token_user, token_label = "cli";
  token_create->add_option("--user", token_user, "Email of the user the token acts as")->required();
  token_create->add_option("--label", token_label, "A note on what the token is for")->capture_default_str();

  auto* demo = cli.add_subcommand("demo", "Load demo content into an empty site");
  auto* version = cli.add_subcommand("version", "Print the version");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  if (version->parsed()) {
    std::cout << "calipso " << CALIPSO_VERSION << "\n";
    return 0;
  }

  try {
    if (port >= 0) options.port = port;
    if (!role.empty()) options.role = role;
    App app(options);
    if (serve->parsed()) return app.serve();
    if (migrate->parsed()) {
      auto n = app.migrate();
      std::cout << "applied " << n << " migration(s)\n";
      return 0;
    }
    app.migrate();
    modules::users::UserService users(app.db());
    if (user_add->parsed()) {
      std::string password;
      std::getline(std::cin, password);
      if (!password.empty() && password.back() == '\r') password.pop_back();
      auto created = users.create(email, password, user_role, name);
      if (!created) return fail_with(describe(created.error()));
      std::cout << "added user " << created->email << " (" << user_role << ")\n";
      return 0;
    }
    if (token_create->parsed()) {
      auto t = users.create_token(token_user, token_label);
      if (!t) return fail_with(describe(t.error()));
      std::cout << *t << "\n";
      return 0;
    }
    if (demo->parsed()) return load_demo(app);
  } catch (const std::exception& e) {
    return fail_with(e.what());
  }
  return 0;
}

}  // namespace calipso::app
