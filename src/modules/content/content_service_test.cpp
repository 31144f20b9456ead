// ContentService and UserService against both databases: rules, aliases, permissions,
// hooks, pagination and the change log.
#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/json.hpp>

#include <set>

#include "modules/content/content.hpp"
#include "modules/users/users.hpp"
#include "storage/change_log.hpp"
#include "storage/test_database.hpp"

namespace calipso::modules {
namespace {
using storage::testing::BackendTest;

class ServicesTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_GE(sodium_init(), 0);
    users::UsersModule u;
    content::ContentModule c;
    storage::migrate(
        *db, {{"core", storage::core_migrations()}, {"users", u.migrations()}, {"content", c.migrations()}});
    user_svc = std::make_unique<users::UserService>(*db);
    content_svc = std::make_unique<content::ContentService>(*db, events);
    auto admin = user_svc->create("admin@example.com", "password123", "administrator");
    ASSERT_TRUE(admin) << admin.error().message;
    auto token = user_svc->create_token("admin@example.com");
    ASSERT_TRUE(token);
    admin_token = *token;
    auto p = user_svc->authenticate_token(admin_token);
    ASSERT_TRUE(p);
    admin_principal = *p;
  }
  void TearDown() override {
    content_svc.reset();
    user_svc.reset();
    BackendTest::TearDown();
  }
  content::ItemInput input(std::string title, std::string status = "published") {
    content::ItemInput in;
    in.title = std::move(title);
    in.body = "Some *body*";
    in.status = std::move(status);
    return in;
  }
  std::int64_t changes() {
    auto conn = db->acquire();
    return static_cast<std::int64_t>(storage::changes_since(*conn, 0).size());
  }

  core::Events events;
  std::unique_ptr<users::UserService> user_svc;
  std::unique_ptr<content::ContentService> content_svc;
  std::string admin_token;
  core::Principal admin_principal;
};

TEST_P(ServicesTest, UserCreationValidatesAndRefusesDuplicates) {
  auto dup = user_svc->create("ADMIN@example.com", "password123", "author");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::conflict);
  auto bad = user_svc->create("not-an-email", "short", "wizard");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid);
  std::set<std::string> fields{bad.error().field};
  for (auto& e : bad.error().others) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"email", "password", "role"}));
}

TEST_P(ServicesTest, TokensAuthenticateAndCarryRolePermissions) {
  EXPECT_EQ(admin_principal.email, "admin@example.com");
  EXPECT_TRUE(admin_principal.can("content.publish"));
  EXPECT_TRUE(admin_principal.can("anything.a.module.adds.later"));
  auto bad = user_svc->authenticate_token(admin_token + "x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::unauthorized);

  ASSERT_TRUE(user_svc->create("author@example.com", "password123", "author"));
  auto author = user_svc->authenticate_token(*user_svc->create_token("author@example.com"));
  ASSERT_TRUE(author);
  EXPECT_TRUE(author->can("content.create"));
  EXPECT_FALSE(author->can("content.edit.any"));
}

TEST_P(ServicesTest, AliasesAreDerivedUniqueAndStable) {
  auto a = content_svc->create(input("Hello World"), admin_principal);
  auto b = content_svc->create(input("Hello World"), admin_principal);
  auto c = content_svc->create(input("Hello World"), admin_principal);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->alias, "hello-world");
  EXPECT_EQ(b->alias, "hello-world-2");
  EXPECT_EQ(c->alias, "hello-world-3");

  content::ItemInput rename;
  rename.title = "Another title";
  auto renamed = content_svc->update(a->id, rename, admin_principal);
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->alias, "hello-world");  // URLs do not move when a title changes

  content::ItemInput taken = input("X");
  taken.alias = "hello-world-2";
  auto conflict = content_svc->create(taken, admin_principal);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, Errc::conflict);
  EXPECT_EQ(conflict.error().field, "alias");
}

TEST_P(ServicesTest, ValidationReportsEveryBadField) {
  content::ItemInput in;
  in.status = "bogus";
  in.alias = "Not OK";
  auto r = content_svc->create(in, admin_principal);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
  std::set<std::string> fields{r.error().field};
  for (auto& e : r.error().others) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"title", "status", "alias"}));
}

TEST_P(ServicesTest, PermissionsAreEnforced) {
  ASSERT_TRUE(user_svc->create("a1@example.com", "password123", "author"));
  ASSERT_TRUE(user_svc->create("a2@example.com", "password123", "author"));
  auto a1 = *user_svc->authenticate_token(*user_svc->create_token("a1@example.com"));
  auto a2 = *user_svc->authenticate_token(*user_svc->create_token("a2@example.com"));
  auto mine = content_svc->create(input("Mine", "draft"), a1);
  ASSERT_TRUE(mine);
  content::ItemInput edit;
  edit.title = "Theirs now";
  auto other = content_svc->update(mine->id, edit, a2);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::forbidden);
  EXPECT_TRUE(content_svc->update(mine->id, edit, a1));
  auto del = content_svc->remove(mine->id, a2);
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code, Errc::forbidden);
  core::Principal nobody;
  EXPECT_EQ(content_svc->create(input("x"), nobody).error().code, Errc::forbidden);
}

TEST_P(ServicesTest, WritesRenderMarkdownAndAppendToTheChangeLog) {
  auto before = changes();
  auto item = content_svc->create(input("Post"), admin_principal);
  ASSERT_TRUE(item);
  EXPECT_NE(item->body_html.find("<em>body</em>"), std::string::npos);
  EXPECT_NE(item->teaser_html.find("<p>"), std::string::npos);
  ASSERT_TRUE(item->published_us.has_value());
  content::ItemInput edit;
  edit.body = "changed";
  ASSERT_TRUE(content_svc->update(item->id, edit, admin_principal));
  ASSERT_TRUE(content_svc->remove(item->id, admin_principal));
  EXPECT_EQ(changes() - before, 3);
  EXPECT_EQ(content_svc->get(item->id).error().code, Errc::not_found);
}

TEST_P(ServicesTest, ABeforeHookVetoesAndNothingIsStored) {
  events.before("content.create", [](boost::json::value& item) -> Result<void> {
    if (item.at("title").as_string() == "Spam") return fail(Errc::invalid, "no spam", "title");
    item.as_object()["title"] = "Edited by hook";
    return {};
  });
  auto before = changes();
  auto spam = content_svc->create(input("Spam"), admin_principal);
  ASSERT_FALSE(spam);
  EXPECT_EQ(spam.error().field, "title");
  EXPECT_EQ(changes(), before);
  auto ok = content_svc->create(input("Fine"), admin_principal);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->title, "Edited by hook");
  int after_calls = 0;
  events.after("content.delete", [&](const boost::json::value&) { ++after_calls; });
  ASSERT_TRUE(content_svc->remove(ok->id, admin_principal));
  EXPECT_EQ(after_calls, 1);
}

TEST_P(ServicesTest, CursorPaginationWalksEverythingOnceNewestFirst) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 7; ++i)
    ids.push_back(content_svc->create(input("P" + std::to_string(i)), admin_principal)->id);
  std::vector<std::int64_t> seen;
  content::ListQuery q;
  q.limit = 3;
  while (true) {
    auto page = content_svc->list(q);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->total, 7);
    for (auto& item : page->items) seen.push_back(item.id);
    if (!page->next_cursor) break;
    q.cursor = page->next_cursor;
  }
  std::vector<std::int64_t> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, expected);
  q.cursor = "garbage";
  EXPECT_EQ(content_svc->list(q).error().code, Errc::invalid);
}

TEST_P(ServicesTest, OffsetPagesCountTheFilteredTotalOnEveryPage) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(content_svc->create(input("Pub" + std::to_string(i)), admin_principal));
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(content_svc->create(input("Draft" + std::to_string(i), "draft"), admin_principal));
  content::ListQuery q;
  q.status = "published";
  q.limit = 2;
  std::vector<std::size_t> sizes;
  for (int page = 1; page <= 4; ++page) {  // pages 1-3 hold 2, 2, 1; page 4 is past the end
    q.page = page;
    auto found = content_svc->list(q);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->total, 5) << "page " << page;
    sizes.push_back(found->items.size());
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1, 0}));
  q.status = "archived";  // nothing matches
  q.page = 1;
  EXPECT_EQ(content_svc->list(q)->total, 0);
  q.page = 2;
  EXPECT_EQ(content_svc->list(q)->total, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServicesTest, storage::testing::kBackends, storage::testing::backend_name);

}  // namespace
}  // namespace calipso::modules
