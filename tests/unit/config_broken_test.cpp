// The broken-config corpus (tests/fixtures/broken/): every file gives exactly one clear diagnostic, at its line.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/config_test_support.hpp"
#include "core/config/config.hpp"
#include "core/plugin/plugin_sections.hpp"
#include "core/plugin/plugin_settings.hpp"

namespace fsrelay {
namespace {

using test::dump;
using test::sourceDir;

namespace fs = std::filesystem;
using Severity = Diagnostic::Severity;


fs::path brokenDir() { return sourceDir() / "tests" / "fixtures" / "broken"; }

// One fixture: the single diagnostic it must give. A Warning entry means the config still loads, with
// that warning and nothing else. Line 0 means "the file as a whole" (there is no line to name).
struct Broken {
  const char* file;
  Severity severity;
  int line;
  std::vector<const char*> parts;  // every one must appear in the message
};

// Diagnostics are printed on a terminal: one that is longer than this hides the problem instead of naming it.
// Values quoted in them are cut to 80 bytes (huge-attribute.xml).
constexpr std::size_t kMaxMessage = 300;

const std::vector<Broken>& table() {
  static const std::string hugeQuoted = "timeToExecute=\"" + std::string(80, '9') + "...\" on <failLog>";
  static const std::vector<Broken> t = {
      // ---- the XML itself is broken: TinyXML-2's error in words, with the line it names ----
      // Zero bytes: no line to point at; "malformed" rather than a crash or an empty Config.
      {"empty.xml", Severity::Error, 0, {"malformed XML", "no element", "<head version=\"2.5\">"}},
      // Blank lines only: the same as empty, not "no <localpath>".
      {"whitespace-only.xml", Severity::Error, 0, {"malformed XML", "no element"}},
      // </head> missing: the parser names the <inotify> left open on line 3.
      {"unclosed-element.xml", Severity::Error, 3, {"malformed XML", "not closed"}},
      // <localpath watch="/tmp"> never closed before </sersync>: the mismatched element and its line.
      {"mismatched-close-tag.xml", Severity::Error, 4, {"malformed XML", "<localpath>", "end tag"}},
      // port="8008/> : the quote swallows the rest of the element.
      {"unclosed-attribute-quote.xml", Severity::Error, 3, {"malformed XML", "not well-formed", "quote"}},
      // start twice on one element is not well-formed XML; which one applies would be a guess.
      {"duplicate-attribute.xml", Severity::Error, 3, {"malformed XML", "<debug>", "appears twice"}},
      // Words after </head>: text outside the root element, on its own line 7.
      {"text-after-root.xml", Severity::Error, 7, {"malformed XML", "after the root element"}},
      // A PNG header: not XML, refused at line 1 (the same path takes any binary file given by mistake).
      {"binary-junk.xml", Severity::Error, 1, {"malformed XML"}},
      // A NUL byte ends the text TinyXML-2 sees: <head> (line 2) is then left open.
      {"nul-byte.xml", Severity::Error, 2, {"malformed XML"}},
      // 120 nested elements in a plugin section: TinyXML-2 stops at 100 levels, so the recursive copy of
      // plugin sections (xml_copy.cpp) never sees an unbounded depth.
      {"deep-nesting.xml", Severity::Error, 3, {"malformed XML", "nested more than 100 deep"}},
      // A comment left open swallows the rest of the file: named at the line where it starts.
      {"unclosed-comment.xml", Severity::Error, 6, {"malformed XML", "comment is not closed", "-->"}},
      // 101 attributes on one element: refused before parsing (TinyXML-2 compares each attribute with every
      // earlier one of its element, so 40,000 of them took 47 s).
      {"too-many-attributes.xml", Severity::Error, 6, {"<plugin>", "more than 100 attributes"}},
      // Not a sersync file at all: the root element is named, with what was expected.
      {"wrong-root.xml", Severity::Error, 2, {"<config>", "<head"}},

      // ---- a value of the wrong type or range: the attribute, the element and what is expected ----
      {"bad-boolean.xml", Severity::Error, 3, {"start=\"yes\"", "<debug>", "\"true\" or \"false\""}},
      {"port-not-a-number.xml", Severity::Error, 3, {"port=\"80a\"", "<host>", "not a number"}},
      {"port-out-of-range.xml", Severity::Error, 3, {"port=\"65536\"", "out of range", "1 to 65535"}},
      // Beyond long long: still "out of range", not a wrapped-around value.
      {"port-overflow.xml", Severity::Error, 3, {"99999999999999999999", "out of range"}},
      // rsync's port is checked like the endpoint's.
      {"rsync-port-zero.xml", Severity::Error, 6, {"port=\"0\"", "<userDefinedPort>", "out of range"}},
      {"fail-log-interval-not-a-number.xml", Severity::Error, 5, {"timeToExecute=\"soon\"", "<failLog>"}},
      // Two values that are each valid but contradict each other.
      {"retry-max-below-initial.xml", Severity::Error, 4, {"maxMs (100)", "initialMs (500)"}},
      {"log-level-unknown.xml", Severity::Error, 4, {"verbose", "error, warn, info, debug"}},
      // A regex that does not compile: refused at load, not when the first event arrives.
      {"bad-exclude-regex.xml", Severity::Error, 4, {"\"(unclosed\"", "ECMAScript"}},
      // A glob where a regex is expected (the most likely slip in <tempFiles>).
      {"bad-temp-pattern.xml", Severity::Error, 5, {"\"*.swp\"", "ECMAScript"}},
      // A Latin-1 byte (not UTF-8) in a value: reported with its bytes, no exception from a converter.
      {"non-utf8-value.xml", Severity::Error, 3, {"start=\"oui\xe9\"", "<debug>"}},
      // A UTF-8 byte-order mark is skipped and does not shift the line numbers.
      {"bom-then-bad-port.xml", Severity::Error, 3, {"port=\"-1\"", "out of range"}},
      // Billion laughs: TinyXML-2 does not expand entities declared in a DOCTYPE, so the value is the
      // literal reference (10 bytes, not 10^3 "lol"s) and loading stays small and fast.
      {"billion-laughs.xml", Severity::Error, 9, {"start=\"&lol3;\"", "not a boolean"}},
      // An external entity (XXE) is not resolved either: /etc/passwd is never read, the watch is literal.
      {"external-entity.xml", Severity::Error, 7, {"&xxe; does not exist"}},
      // A 100,000-digit number: one error, no overflow, and the value quoted by its first 80 bytes.
      {"huge-attribute.xml", Severity::Error, 5,
       {hugeQuoted.c_str(), "out of range"}},

      // ---- a required piece is missing: what it is for ----
      {"localpath-without-watch.xml", Severity::Error, 4, {"<localpath>", "watch", "the folder to watch"}},
      {"remote-without-ip.xml", Severity::Error, 5, {"<remote>", "ip"}},
      // auth on without its password file: caught before rsync would prompt or fail per transfer.
      {"auth-without-passwordfile.xml", Severity::Error, 6, {"<auth>", "passwordfile"}},
      {"watch-folder-missing.xml", Severity::Error, 4, {"/nonexistent/fsrelay-broken-fixture", "does not exist"}},
      // An empty <sersync>: nothing to watch, named at the <sersync> line.
      {"no-localpath.xml", Severity::Error, 3, {"<localpath", "nothing to watch"}},

      // ---- warnings only: the file loads, with the one warning ----
      // sersync's element names are case-sensitive; the warning lists the right spelling.
      {"unknown-element.xml", Severity::Warning, 4, {"<closewrite>", "<inotify>", "closeWrite"}},
      // A typo next to the right attribute: the typo is named and ignored.
      {"unknown-attribute.xml", Severity::Warning, 5, {"\"timeToExcute\"", "<failLog>", "timeToExecute"}},
      // A second <debug>: sersync read the first, so does fsrelay, and says which one applies.
      {"duplicate-singleton.xml", Severity::Warning, 4, {"duplicate <debug>", "line 3"}},
      {"duplicate-sersync.xml", Severity::Warning, 6, {"duplicate <sersync>", "line 3"}},
      // Two root elements (two configs pasted into one file): the second is named and ignored.
      {"second-root-element.xml", Severity::Warning, 7, {"<head>", "after the root element"}},
  };
  return t;
}

// gtest names a failing case by its file, not by the bytes of the struct.
void PrintTo(const Broken& b, std::ostream* os) { *os << b.file; }


std::string testName(const ::testing::TestParamInfo<Broken>& info) {
  std::string name = info.param.file;
  name = name.substr(0, name.rfind('.'));
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

class ConfigBroken : public ::testing::TestWithParam<Broken> {};

TEST_P(ConfigBroken, gives_one_clear_diagnostic_at_its_line) {
  const Broken& b = GetParam();
  const fs::path path = brokenDir() / b.file;
  ASSERT_TRUE(fs::is_regular_file(path)) << path;

  const auto start = std::chrono::steady_clock::now();
  LoadResult r;
  ASSERT_NO_THROW(r = loadConfig(path.string()));
  const auto took = std::chrono::steady_clock::now() - start;
  // Every fixture is tiny (the largest is 100 KB): anything slow is a hang in the making.
  EXPECT_LT(took, std::chrono::seconds(5)) << "loading took too long";

  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
  const Diagnostic& d = r.diagnostics[0];
  EXPECT_EQ(d.severity, b.severity) << dump(r);
  EXPECT_EQ(r.config.has_value(), b.severity == Severity::Warning) << dump(r);
  EXPECT_EQ(d.file, path.string());
  EXPECT_EQ(d.line, b.line) << dump(r);
  for (const char* part : b.parts)
    EXPECT_NE(d.message.find(part), std::string::npos) << "missing \"" << part << "\" in\n" << dump(r);
  // "FILE:LINE: error: ..." (or "FILE: error: ..." for the file as a whole), as compilers print it.
  const std::string prefix = path.string() + (b.line > 0 ? ":" + std::to_string(b.line) : std::string()) +
                             (b.severity == Severity::Error ? ": error: " : ": warning: ");
  EXPECT_EQ(d.format().rfind(prefix, 0), 0u) << d.format().substr(0, 300);
  EXPECT_LT(d.message.size(), kMaxMessage) << dump(r);
  // TinyXML-2's own text ("Error=XML_ERROR_PARSING ErrorID=15 (0xf) Line number=3") is not what a user reads.
  EXPECT_EQ(d.message.find("ErrorID"), std::string::npos) << dump(r);
  EXPECT_EQ(d.message.find("XML_ERROR"), std::string::npos) << dump(r);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ConfigBroken, ::testing::ValuesIn(table()), testName);

// The same text through loadConfigText (what a reload from memory would use) gives the same diagnostics.
TEST(ConfigBrokenCorpus, text_and_file_loading_agree) {
  for (const Broken& b : table()) {
    const fs::path path = brokenDir() / b.file;
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const LoadResult fromFile = loadConfig(path.string());
    const LoadResult fromText = loadConfigText(text, path.string());
    ASSERT_EQ(fromText.diagnostics.size(), fromFile.diagnostics.size()) << b.file;
    for (std::size_t i = 0; i < fromText.diagnostics.size(); ++i)
      EXPECT_EQ(fromText.diagnostics[i].format(), fromFile.diagnostics[i].format()) << b.file;
  }
}

// Every file of the folder is in the table (a new fixture cannot be forgotten), and the corpus is not thin.
TEST(ConfigBrokenCorpus, every_fixture_is_in_the_table) {
  std::set<std::string> listed;
  for (const Broken& b : table()) EXPECT_TRUE(listed.insert(b.file).second) << "listed twice: " << b.file;
  listed.insert("plugin-bad-key.xml");  // its own test below
  std::set<std::string> present;
  for (const auto& entry : fs::directory_iterator(brokenDir()))
    if (entry.path().extension() == ".xml") present.insert(entry.path().filename().string());
  EXPECT_EQ(present, listed);
  EXPECT_GE(present.size(), 20u);
}

// A key the plugin does not declare. The loader keeps plugin sections as XML without judging them (their
// keys belong to the plugin); the host checks them against the plugin's key table when it plans the
// instances. Here the table is the http plugin's host.* keys; the daemon's own run of this file
// (fsrelay --check -m http) is in tests/integration/http_bad_input_test.cpp.
TEST(ConfigBrokenCorpus, plugin_section_key_the_plugin_does_not_declare_names_its_line) {
  const fs::path path = brokenDir() / "plugin-bad-key.xml";
  LoadResult r = loadConfig(path.string());
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  ASSERT_EQ(r.config->pluginSections.size(), 1u);

  static const sdk::ConfigKey kHttpHostKeys[] = {
      {"host.hostip", sdk::KeyType::String, "127.0.0.1", "address", 0},
      {"host.port", sdk::KeyType::Int, "8008", "port", 0},
      {"host.token_file", sdk::KeyType::Path, "", "token file", 0},
      {"host.auth_reads", sdk::KeyType::Bool, "", "reads need the token", 0},
  };
  const sdk::PluginDescriptor http{1,       0, "test", "http", "1", "http (host keys only)", kHttpHostKeys,
                                   std::size(kHttpHostKeys), nullptr, "deshost"};
  SectionPlan plan = planSection(&r.config->pluginSections[0], http, {"/tmp"}, r.config->host);
  ASSERT_TRUE(plan.error.empty()) << plan.error;
  ASSERT_EQ(plan.instances.size(), 1u);
  PluginSettings settings;
  std::string error;
  int line = 0;
  EXPECT_FALSE(settings.build(http, plan.instances[0].values, &error, &line));
  EXPECT_EQ(line, 4);
  EXPECT_NE(error.find("'host.prot'"), std::string::npos) << error;
  EXPECT_NE(error.find("host.port"), std::string::npos) << error;  // the keys it does take are listed
}

// Inputs that crashed the loader (tests/fuzz/crashes/, see the README there): each must become a diagnostic.
// Each load runs in a child process so that a crash fails this test instead of ending the test program.
// Expressions that used to overflow the stack inside std::regex's recursive compiler, and a repeat count
// past 2^64 (undefined behaviour in libstdc++ 12): config_checks.cpp now bounds them, each with a diagnostic.
TEST(ConfigBrokenCorpus, crash_reproducers_give_a_diagnostic_not_a_crash) {
  const fs::path dir = sourceDir() / "tests" / "fuzz" / "crashes";
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".xml") continue;
    ++seen;
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // An error, or a warning where the regex sits in a switched-off filter: anything but silence or a crash.
      const LoadResult r = loadConfig(entry.path().string());
      ::_exit(r.diagnostics.empty() ? 1 : 0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
      ADD_FAILURE() << entry.path().filename() << ": the loader died with signal " << WTERMSIG(status) << " ("
                    << ::strsignal(WTERMSIG(status)) << ")";
    } else {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << entry.path().filename() << ": no diagnostic";
    }
  }
  EXPECT_GT(seen, 0);
}

}  // namespace
}  // namespace fsrelay
