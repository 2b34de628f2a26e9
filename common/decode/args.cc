#include "decode/args.h"

#include <initializer_list>
#include <string>
#include <unordered_map>

namespace rp::decode {
namespace {

#define RP_ARGS(name, classes, ret, ...)                                               \
  ArgsSpec{#name, static_cast<uint16_t>(classes), ret,                                 \
           static_cast<int>(std::initializer_list<ArgKind>{__VA_ARGS__}.size()), \
           {__VA_ARGS__}},

const ArgsSpec kArgs[] = {
#include "decode/args.def"
};

#undef RP_ARGS

}  // namespace

const ArgsSpec* args_spec(std::string_view name) {
  static const auto by_name = [] {
    std::unordered_map<std::string_view, const ArgsSpec*> m;
    for (const auto& a : kArgs) m.emplace(a.name, &a);
    return m;
  }();
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

const ArgsSpec* args_specs_begin() { return std::begin(kArgs); }
const ArgsSpec* args_specs_end() { return std::end(kArgs); }

uint16_t trace_class(std::string_view name) {
  if (!name.empty() && name[0] == '%') name.remove_prefix(1);
  static const std::pair<std::string_view, uint16_t> kNames[] = {
      {"file", C_FILE},       {"desc", C_DESC},     {"network", C_NETWORK},
      {"net", C_NETWORK},     {"process", C_PROCESS}, {"signal", C_SIGNAL},
      {"ipc", C_IPC},         {"memory", C_MEMORY}, {"creds", C_CREDS},
      {"clock", C_CLOCK}};
  for (const auto& [n, c] : kNames)
    if (n == name) return c;
  return 0;
}

}  // namespace rp::decode
